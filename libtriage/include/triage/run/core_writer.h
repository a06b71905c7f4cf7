// Writing an ELF core file laid out like the kernel's (ET_CORE; one PT_NOTE
// with NT_PRSTATUS per thread, NT_PRPSINFO, NT_SIGINFO, NT_AUXV, NT_FILE and
// NT_FPREGSET; one PT_LOAD per memory range, with or without its bytes), for
// 64- and 32-bit little-endian targets, from a process state gathered
// elsewhere (run/ptrace_capture.cpp). This module owns the file format only:
// which memory goes in is the caller's choice, given as CoreSegment sizes.
#pragma once

#include <signal.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "triage/core/memory.h"
#include "triage/core/process_snapshot.h"
#include "triage/error.h"

namespace triage {

struct CoreThreadState {
  int tid = 0;
  std::vector<std::byte> registers;     // pr_reg: the NT_PRSTATUS regset as PTRACE_GETREGSET gives it
  std::vector<std::byte> fp_registers;  // the NT_PRFPREG regset; empty when unknown (pr_fpvalid 0)
  uint64_t pending_signals = 0;         // pr_sigpend
  uint64_t blocked_signals = 0;         // pr_sighold
  uint64_t user_time_us = 0;            // pr_utime
  uint64_t system_time_us = 0;          // pr_stime
};

struct CoreProcessState {
  int pid = 0;
  int ppid = 0;
  int pgrp = 0;
  int sid = 0;
  unsigned uid = 0;
  unsigned gid = 0;
  char state = 'R';  // pr_sname
  int nice = 0;
  uint64_t flags = 0;        // the task's PF_* flags (pr_flag)
  std::string command_name;  // comm; cut to 15 bytes
  std::string arguments;     // the command line, words joined by spaces; cut to 79 bytes
  uint64_t children_user_time_us = 0;
  uint64_t children_system_time_us = 0;
};

// One PT_LOAD: [start, end) of the process, of which the first dump_bytes
// are written (a page multiple, at most end - start; 0: the range is only
// described, as the kernel does for unmodified file-backed code).
struct CoreSegment {
  uint64_t start = 0;
  uint64_t end = 0;
  bool readable = false;
  bool writable = false;
  bool executable = false;
  uint64_t dump_bytes = 0;
};

struct CoreDescription {
  uint16_t machine = 0;  // e_machine: EM_X86_64, EM_386, ...
  bool is_64bit = true;
  int signal = 0;                        // pr_cursig of every thread, as the kernel writes it
  std::vector<std::byte> siginfo;        // NT_SIGINFO in the target's layout (siginfo_for_core); empty: none
  std::vector<CoreThreadState> threads;  // the crashing thread first
  CoreProcessState process;
  std::vector<std::pair<uint64_t, uint64_t>> auxv;  // NT_AUXV without its AT_NULL
  std::vector<FileMapping> files;                   // NT_FILE, file_offset in bytes (a page multiple)
  std::vector<CoreSegment> segments;                // in address order, not overlapping
  uint64_t page_size = 4096;
};

struct CoreWriteStats {
  uint64_t file_bytes = 0;        // the core's size
  uint64_t memory_bytes = 0;      // of it, memory contents
  uint64_t unreadable_pages = 0;  // pages `memory` could not give, written as zeros
};

// A native siginfo_t (from PTRACE_GETSIGINFO) as a core of a `is_64bit`
// target holds it: unchanged for 64-bit, converted to the 32-bit layout
// (compat_siginfo) for a 32-bit target traced by a 64-bit tracer.
std::vector<std::byte> siginfo_for_core(const siginfo_t& info, bool is_64bit);

// The note segment's bytes (exposed for tests).
std::vector<std::byte> build_core_notes(const CoreDescription& core);

// Writes the core to `path`. A fresh file is made next to it (O_EXCL |
// O_NOFOLLOW, mode 0600) and renamed to `path` once complete; a `path` that
// is a symbolic link or not a regular file is refused (kInvalidArgument).
// Segment bytes are read from `memory`; pages it can't give are written as
// zeros and counted; runs of zero pages are left as holes.
Result<CoreWriteStats> write_core_file(const CoreDescription& core, const Memory& memory, const std::string& path);

}  // namespace triage

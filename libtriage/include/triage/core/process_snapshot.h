// A read-only model of a crashed process: threads with their registers, the
// signal, the mappings, auxv, the command line and its memory. An ELF core
// file is one source of it (core/elf_core.h); a ptrace capture or a live
// process can be others. Nothing downstream knows which source it came from.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "triage/arch/arch.h"
#include "triage/core/memory.h"

namespace triage {

// Register values in the order of ArchInfo::register_names, zero-extended.
using Registers = std::vector<uint64_t>;

struct ThreadSnapshot {
  int tid = 0;
  int current_signal = 0;  // pr_cursig: the signal this thread stopped on
  Registers registers;
};

struct SignalInfo {
  int number = 0;
  int code = 0;
  int error = 0;
  std::optional<uint64_t> fault_address;  // for SIGSEGV/SIGBUS/SIGILL/SIGFPE/SIGTRAP
  bool from_siginfo = false;  // false: only pr_cursig was known (no NT_SIGINFO)
};

// One line of NT_FILE: a file mapped at [start, end) from file_offset.
struct FileMapping {
  uint64_t start = 0;
  uint64_t end = 0;
  uint64_t file_offset = 0;
  std::string path;
};

// One PT_LOAD of the core: a memory range and what the process could do with it.
struct MemoryRegion {
  uint64_t start = 0;
  uint64_t end = 0;
  bool readable = false;
  bool writable = false;
  bool executable = false;
  bool contents_present = false;  // false: the kernel did not dump it (p_filesz 0)
};

struct ProcessInfo {
  int pid = 0;
  int ppid = 0;
  unsigned uid = 0;
  unsigned gid = 0;
  std::string command_name;  // pr_fname, at most 15 characters
  std::string arguments;     // pr_psargs: the command line, cut at 80 bytes by the kernel
};

struct ProcessSnapshot {
  const ArchInfo* arch = nullptr;
  ProcessInfo process;
  std::vector<ThreadSnapshot> threads;  // the crashing thread first, as the kernel writes it
  SignalInfo signal;
  std::vector<FileMapping> file_mappings;
  std::vector<MemoryRegion> regions;
  std::vector<std::pair<uint64_t, uint64_t>> auxv;
  std::string executable_path;  // AT_EXECFN, else the best guess from NT_FILE; may be empty
  std::unique_ptr<Memory> memory;  // the core's own memory image
  std::vector<std::string> warnings;

  const ThreadSnapshot& crashing_thread() const { return threads.front(); }
  std::optional<uint64_t> auxv_value(uint64_t type) const;
  const MemoryRegion* region_at(uint64_t address) const;
  const FileMapping* file_mapping_at(uint64_t address) const;
};

}  // namespace triage

// The ELF core file source of a ProcessSnapshot: the kernel's cores, gdb's
// gcore output and qemu-user's cores. Everything read from the file goes
// through checked bounds; byte order and word size are settled here.
#pragma once

#include <string>

#include "triage/core/process_snapshot.h"
#include "triage/error.h"

namespace triage {

struct CoreLimits {
  size_t max_threads = 65536;
  size_t max_mappings = 1 << 20;
  size_t max_note_bytes = 64ull << 20;  // notes beyond this are hostile
  // A zstd-compressed core is expanded up to this (a few KB can expand to
  // terabytes of zeros).
  uint64_t max_expanded_bytes = 32ull << 30;
};

Result<ProcessSnapshot> load_elf_core(const std::string& path, const CoreLimits& limits = {});

}  // namespace triage

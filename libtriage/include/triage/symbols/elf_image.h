// The few facts we need from an ELF image's headers, read through Memory so
// the same code serves a module's first page inside a core and a file on
// disk: class, type, machine, entry point, PT_LOAD segments, where the
// dynamic section is and the GNU build-id.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "triage/core/memory.h"

namespace triage {

struct LoadSegment {
  uint64_t vaddr = 0;
  uint64_t memsz = 0;
  uint64_t offset = 0;
  uint64_t filesz = 0;
  bool executable = false;
};

struct ElfImageInfo {
  bool is_64bit = false;
  uint16_t type = 0;  // ET_EXEC, ET_DYN, ...
  uint16_t machine = 0;
  uint64_t entry = 0;                     // e_entry, a file address
  std::optional<uint64_t> dynamic_vaddr;  // PT_DYNAMIC's p_vaddr
  uint64_t dynamic_size = 0;              // PT_DYNAMIC's p_memsz
  uint64_t interp_offset = 0, interp_size = 0;  // PT_INTERP: the loader's path, in the file
  std::vector<LoadSegment> loads;
  std::string build_id;  // lowercase hex, empty if none
};

// Reads the ELF image whose first byte (file offset 0) is at `base`.
// Notes are located by file offset (base + p_offset), so this works on a
// file and on the first mapping of a module in a process.
std::optional<ElfImageInfo> read_elf_image(const Memory& memory, uint64_t base);

}  // namespace triage

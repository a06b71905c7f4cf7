// A crashed process's modules: every ELF file the core maps (NT_FILE, or
// the loader's list where a core has no NT_FILE), matched to a file on disk
// (sysroot, -e), checked by build-id, with its load bias. Gives the memory the analysis reads (the core's, with module
// files under it for pages the kernel did not dump) and symbolizes frames.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "triage/core/process_snapshot.h"
#include "triage/symbols/module_cache.h"
#include "triage/unwind/frame.h"

namespace triage {

struct ProcessModule {
  std::string path;  // as the core names it
  uint64_t start = 0;
  uint64_t end = 0;
  int64_t bias = 0;  // runtime address - the file's p_vaddr
  std::string core_build_id;
  std::shared_ptr<const ModuleFile> file;  // null when no usable file was found
  std::string file_problem;                // why not, for the report
  bool mismatch = false;                   // file and core build-ids differ
  bool is_executable = false;
  bool source_lines = true;  // false: symbol names only (a runtime library)

  uint64_t file_address(uint64_t address) const { return address - static_cast<uint64_t>(bias); }
};

class AddressSpace {
 public:
  // `executable` replaces the main executable's path when not empty (-e).
  // `wants_source` says which modules get line tables and inlined frames
  // (loading a large library's DWARF costs more than the rest of an
  // analysis). Problems (missing files, build-id mismatches) are added to
  // `warnings`.
  AddressSpace(const ProcessSnapshot& snapshot, ModuleCache& cache, const std::string& executable,
               const std::function<bool(const std::string& module_path)>& wants_source,
               std::vector<std::string>& warnings);
  ~AddressSpace();

  const ProcessModule* module_at(uint64_t address) const;
  // The files mapped into the process: the core's NT_FILE, or what was
  // found through the loader when it has none. Sorted by start.
  std::span<const FileMapping> file_mappings() const { return mappings_; }
  const FileMapping* file_mapping_at(uint64_t address) const;
  std::span<const ProcessModule> modules() const { return modules_; }
  // The core's memory, with module file contents where the core has none.
  const Memory& memory() const { return *memory_; }

  // Fills in module, function and source of each frame; a frame inside
  // inlined code becomes several frames (the inlined ones first).
  std::vector<Frame> symbolize(const std::vector<Frame>& frames) const;

 private:
  void add_vdso(ModuleCache& cache, std::vector<std::string>& warnings);

  const ProcessSnapshot& snapshot_;
  std::vector<FileMapping> mappings_;
  std::vector<ProcessModule> modules_;  // sorted by start
  std::unique_ptr<Memory> memory_;
};

}  // namespace triage

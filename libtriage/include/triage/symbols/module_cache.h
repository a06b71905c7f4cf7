// Module files (executables, shared libraries) and their symbols, line
// tables, inlined scopes and CFI, loaded with libdwfl once per batch and
// shared by every analysis in it. Entries are keyed by build-id (by file
// identity when a file has none). libdw is not thread-safe, so each module
// serialises its own queries; different modules are queried in parallel.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "triage/error.h"
#include "triage/symbols/elf_image.h"
#include "triage/util/mapped_file.h"

typedef struct Dwfl Dwfl;
typedef struct Dwfl_Module Dwfl_Module;
typedef struct Dwarf_CFI_s Dwarf_CFI;

namespace triage {

// One source location of a symbolized address. An address inside inlined
// code has several: the innermost inlined function first.
struct SymbolLocation {
  std::string function;  // demangled
  uint64_t function_offset = 0;
  std::string file;
  int line = 0;
  int column = 0;
  bool inlined = false;
};

class ModuleFile {
 public:
  ~ModuleFile();
  ModuleFile(const ModuleFile&) = delete;
  ModuleFile& operator=(const ModuleFile&) = delete;

  const std::string& path() const { return path_; }
  const std::string& build_id() const { return image_.build_id; }  // hex; empty if none
  const ElfImageInfo& image() const { return image_; }
  std::span<const std::byte> bytes() const { return file_->bytes(); }

  // Addresses are the file's own (p_vaddr space). Inlined frames come first.
  // Without `with_source`, only the ELF symbol is looked up: no line table,
  // no inlined scopes, so the module's DWARF is never loaded.
  std::vector<SymbolLocation> symbolize(uint64_t file_address, bool with_source = true) const;

  // The file address of a symbol by its exact (mangled) name, if defined.
  std::optional<uint64_t> symbol_address(const std::string& name) const;

  // Runs `use` with each CFI table of this module in turn (.eh_frame, then
  // .debug_frame), holding the module's lock, until `use` returns true.
  // `bias` is subtracted from a file address to look it up in that table.
  bool with_cfi(const std::function<bool(Dwarf_CFI* cfi, uint64_t bias)>& use) const;

 private:
  friend class ModuleCache;
  ModuleFile() = default;
  // symbol_address() without the memo; the lock is held.
  std::optional<uint64_t> find_symbol(const std::string& name) const;
  // symbolize() without the memo; the lock is held.
  std::vector<SymbolLocation> lookup(uint64_t file_address, bool with_source) const;
  // The DIE offset of the compile unit holding a file address, for when
  // libdw can't say (no .debug_aranges); the lock is held.
  std::optional<uint64_t> cu_offset_of(uint64_t file_address) const;
  // The function symbol's name at a file address and the offset into it:
  // libdw's nearest symbol, unless that is an ARM mapping symbol ("$t")
  // or one of several names of a function; the lock is held.
  const char* function_name(uint64_t file_address, uint64_t* offset) const;

  std::string path_;
  ElfImageInfo image_;
  std::shared_ptr<MappedFile> file_;
  std::string debuginfo_path_;  // must outlive dwfl_
  std::unique_ptr<struct DwflCallbacksHolder> callbacks_;
  Dwfl* dwfl_ = nullptr;
  Dwfl_Module* module_ = nullptr;
  // Answers already given, by address and `with_source`: a deep recursion
  // repeats one return address thousands of times, and a batch of one
  // program's cores repeats its crash sites.
  mutable std::unordered_map<uint64_t, std::vector<SymbolLocation>> symbolized_;
  struct CuRange {
    uint64_t start, end, cu_offset;
  };
  mutable std::optional<std::vector<CuRange>> cu_ranges_;  // built on first need
  mutable std::unordered_map<std::string, std::optional<uint64_t>> symbol_addresses_;
  struct FunctionSymbol {
    uint64_t start, size;
    const char* name;  // owned by libelf
  };
  // Function symbols by start, the preferred name first among those that
  // share a start; built on first need.
  mutable std::optional<std::vector<FunctionSymbol>> functions_;
  mutable std::mutex mutex_;
};

struct ModuleSearch {
  std::string sysroot;                 // prefix for every path named in a core
  std::vector<std::string> debug_dirs;  // extra places for separate debug files

  // Where a file the core names is on this machine: under the sysroot,
  // unless the path already is (cores of emulated processes written on the
  // host, by gdb's gcore through qemu-user, name the sysroot's files).
  std::string disk_path(const std::string& core_path) const;
};

class ModuleCache {
 public:
  explicit ModuleCache(ModuleSearch search = {});
  ~ModuleCache();

  // The module at `path` on disk (already prefixed with the sysroot), loaded
  // once. Null with a reason in `why` when it can't be opened or isn't ELF.
  std::shared_ptr<const ModuleFile> get(const std::string& path, std::string* why = nullptr);

  // A module that exists only in the process's memory (the vDSO), from a
  // copy of its image; cached by build-id like files.
  std::shared_ptr<const ModuleFile> get_image(const std::string& name, std::vector<std::byte> image,
                                              std::string* why = nullptr);

  const ModuleSearch& search() const { return search_; }
  // How many distinct module files were loaded.
  size_t loaded_count() const;

 private:
  ModuleSearch search_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const ModuleFile>> by_identity_;  // dev:ino:size:mtime
  std::map<std::string, std::shared_ptr<const ModuleFile>> by_build_id_;
  std::map<std::string, std::string> failures_;

  // Creates the module for an ELF file already mapped; the lock is held.
  std::shared_ptr<ModuleFile> load(const std::string& name, std::shared_ptr<MappedFile> file, ElfImageInfo image,
                                   int fd, std::string* why);
};

}  // namespace triage

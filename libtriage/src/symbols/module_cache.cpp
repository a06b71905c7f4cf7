#include "triage/symbols/module_cache.h"

#include <cxxabi.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <set>
#include <cstdio>
#include <cstring>

namespace triage {

// libdwfl keeps a pointer to its callbacks and to the debuginfo path string:
// both live as long as the module.
struct DwflCallbacksHolder {
  Dwfl_Callbacks callbacks{};
  char* debuginfo_path = nullptr;
  // Folders searched for a .gnu_debuglink file besides the module's own.
  std::vector<std::string> debuglink_dirs;
};

namespace {

std::string demangle(const char* name) {
  if (!name) return {};
  // A versioned ELF symbol ("memcpy@@GLIBC_2.14") names the same function.
  if (const char* at = std::strchr(name, '@'); at && at != name) return demangle(std::string(name, at).c_str());
  if (name[0] == '_' && name[1] == 'Z') {
    int status = 0;
    char* plain = abi::__cxa_demangle(name, nullptr, nullptr, &status);
    if (status == 0 && plain) {
      std::string result(plain);
      std::free(plain);
      return result;
    }
  }
  return name;
}

// The function name of a subprogram or inlined-subroutine DIE: its linkage
// name demangled (qualified, with parameters) when it has one, else its name.
std::string die_function_name(Dwarf_Die* die) {
  Dwarf_Attribute attr;
  for (int name_attr : {DW_AT_linkage_name, DW_AT_MIPS_linkage_name})
    if (dwarf_attr_integrate(die, name_attr, &attr))
      if (const char* linkage = dwarf_formstring(&attr)) return demangle(linkage);
  if (dwarf_attr_integrate(die, DW_AT_name, &attr))
    if (const char* name = dwarf_formstring(&attr)) return name;
  return {};
}

struct SourcePoint {
  std::string file;
  int line = 0;
  int column = 0;
};

// Where an inlined subroutine was called from.
SourcePoint call_site(Dwarf_Die* inlined, Dwarf_Die* cu) {
  SourcePoint point;
  Dwarf_Attribute attr;
  Dwarf_Word value;
  if (dwarf_attr(inlined, DW_AT_call_file, &attr) && dwarf_formudata(&attr, &value) == 0) {
    Dwarf_Files* files;
    size_t count;
    if (dwarf_getsrcfiles(cu, &files, &count) == 0 && value < count)
      if (const char* name = dwarf_filesrc(files, value, nullptr, nullptr)) point.file = name;
  }
  if (dwarf_attr(inlined, DW_AT_call_line, &attr) && dwarf_formudata(&attr, &value) == 0)
    point.line = static_cast<int>(value);
  if (dwarf_attr(inlined, DW_AT_call_column, &attr) && dwarf_formudata(&attr, &value) == 0)
    point.column = static_cast<int>(value);
  return point;
}

// Finds a module's separate debug file: by build-id under each folder of
// the debuginfo path (libdwfl's own lookup), else by its .gnu_debuglink name
// next to the file, in .debug/ beside it and in the debug folders (as
// DIR/NAME and DIR/<file's folder>/NAME), accepted only if its build-id
// matches. Unlike dwfl_standard_find_debuginfo this never asks debuginfod:
// no network, and no dlopen of its client (which cost more than a whole
// analysis) for every module without local debug information.
int find_debuginfo(Dwfl_Module* module, void** userdata, const char* module_name, Dwarf_Addr base,
                   const char* file_name, const char* debuglink_file, GElf_Word debuglink_crc,
                   char** debuginfo_file_name) {
  int fd = dwfl_build_id_find_debuginfo(module, userdata, module_name, base, file_name, debuglink_file,
                                        debuglink_crc, debuginfo_file_name);
  if (fd >= 0 || !debuglink_file || !file_name || !userdata || !*userdata) return fd;
  const auto* holder = static_cast<const DwflCallbacksHolder*>(*userdata);
  std::string folder = file_name;
  folder.erase(folder.find_last_of('/') + 1);  // "/usr/lib/x/" or "" for a bare name
  std::vector<std::string> candidates = {folder + debuglink_file, folder + ".debug/" + debuglink_file};
  for (const std::string& dir : holder->debuglink_dirs) {
    candidates.push_back(dir + "/" + debuglink_file);
    if (!folder.empty() && folder[0] == '/') candidates.push_back(dir + folder + debuglink_file);
  }
  const unsigned char* wanted = nullptr;
  GElf_Addr vaddr;
  int wanted_length = dwfl_module_build_id(module, &wanted, &vaddr);
  for (const std::string& candidate : candidates) {
    if (candidate == file_name) continue;  // the debuglink names the file itself
    auto mapped = MappedFile::open(candidate);
    if (!mapped) continue;
    auto image = read_elf_image(BytesMemory((*mapped)->bytes()), 0);
    if (!image) continue;
    if (wanted_length > 0) {
      std::string hex;
      for (int i = 0; i < wanted_length; ++i) {
        char byte[3];
        std::snprintf(byte, sizeof byte, "%02x", wanted[i]);
        hex += byte;
      }
      if (!image->build_id.empty() && image->build_id != hex) continue;
    }
    fd = open(candidate.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    if (debuginfo_file_name) *debuginfo_file_name = strdup(candidate.c_str());
    return fd;
  }
  return -1;
}

std::string file_identity(const struct stat& st) {
  return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) + ":" +
         std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
}

}  // namespace

ModuleFile::~ModuleFile() {
  if (dwfl_) dwfl_end(dwfl_);
  if (callbacks_) std::free(callbacks_->debuginfo_path);
}

std::vector<SymbolLocation> ModuleFile::symbolize(uint64_t address, bool with_source) const {
  constexpr size_t kMaxRemembered = 1 << 16;
  // Addresses are far below 2^63 in any file's own address space; the top
  // bit keeps the two kinds of answer apart.
  uint64_t key = address | (with_source ? 1ull << 63 : 0);
  std::lock_guard lock(mutex_);
  if (auto it = symbolized_.find(key); it != symbolized_.end()) return it->second;
  std::vector<SymbolLocation> locations = lookup(address, with_source);
  if (symbolized_.size() < kMaxRemembered) symbolized_.emplace(key, locations);
  return locations;
}

std::optional<uint64_t> ModuleFile::cu_offset_of(uint64_t address) const {
  // elfutils 0.188 finds a CU by .debug_aranges, which clang does not emit
  // unless asked (-gdwarf-aranges): index the CUs' own address ranges once.
  Dwarf_Addr bias = 0;
  Dwarf* dwarf = dwfl_module_getdwarf(module_, &bias);
  if (!dwarf) return std::nullopt;
  if (!cu_ranges_) {
    cu_ranges_.emplace();
    Dwarf_CU* unit = nullptr;
    Dwarf_CU* next = nullptr;
    Dwarf_Die unit_die;
    uint8_t unit_type = 0;
    for (; dwarf_get_units(dwarf, unit, &next, nullptr, &unit_type, &unit_die, nullptr) == 0; unit = next) {
      if (unit_type != DW_UT_compile && unit_type != DW_UT_partial) continue;
      Dwarf_Addr base = 0, start = 0, end = 0;
      for (ptrdiff_t at = 0; (at = dwarf_ranges(&unit_die, at, &base, &start, &end)) > 0;) {
        if (end > start) cu_ranges_->push_back({start, end, dwarf_dieoffset(&unit_die)});
      }
    }
    std::sort(cu_ranges_->begin(), cu_ranges_->end(),
              [](const CuRange& a, const CuRange& b) { return a.start < b.start; });
  }
  const uint64_t target = address - bias;
  auto after = std::upper_bound(cu_ranges_->begin(), cu_ranges_->end(), target,
                                [](uint64_t value, const CuRange& range) { return value < range.start; });
  // Ranges may nest or overlap (partial units): look back for one that holds it.
  for (auto it = after; it != cu_ranges_->begin();) {
    --it;
    if (target < it->end) return it->cu_offset;
    if (after - it > 64) break;
  }
  return std::nullopt;
}

namespace {

// ARM and AArch64 mark code and data with symbols named $a, $t, $x, $d
// (optionally ".suffix"): they name no function.
bool is_mapping_symbol(const char* name) { return name && name[0] == '$'; }

// Of several names for one function (free / __libc_free / cfree), the one
// people know: fewest leading underscores, then the shortest.
bool preferred_name(const char* a, const char* b) {
  const size_t ua = std::strspn(a, "_"), ub = std::strspn(b, "_");
  if (ua != ub) return ua < ub;
  const size_t la = std::strlen(a), lb = std::strlen(b);
  if (la != lb) return la < lb;
  return std::strcmp(a, b) < 0;
}

}  // namespace

const char* ModuleFile::function_name(uint64_t address, uint64_t* offset) const {
  GElf_Off nearest_offset = 0;
  GElf_Sym nearest;
  const char* name = dwfl_module_addrinfo(module_, address, &nearest_offset, &nearest, nullptr, nullptr, nullptr);
  *offset = nearest_offset;
  if (!functions_) {
    functions_.emplace();
    const int count = dwfl_module_getsymtab(module_);
    for (int i = 1; i < count; ++i) {
      GElf_Sym symbol;
      GElf_Addr start;
      const char* symbol_name = dwfl_module_getsym_info(module_, i, &symbol, &start, nullptr, nullptr, nullptr);
      const int type = GELF_ST_TYPE(symbol.st_info);
      if (!symbol_name || symbol.st_shndx == SHN_UNDEF || is_mapping_symbol(symbol_name) ||
          (type != STT_FUNC && type != STT_GNU_IFUNC))
        continue;
      // A Thumb function's symbol has bit 0 set; its code starts one lower.
      if (image_.machine == EM_ARM) start &= ~GElf_Addr{1};
      functions_->push_back({start, symbol.st_size, symbol_name});
    }
    std::sort(functions_->begin(), functions_->end(), [](const FunctionSymbol& a, const FunctionSymbol& b) {
      return a.start != b.start ? a.start < b.start : preferred_name(a.name, b.name);
    });
  }
  // The last function starting at or below the address, first of its aliases.
  auto it = std::upper_bound(functions_->begin(), functions_->end(), address,
                             [](uint64_t a, const FunctionSymbol& f) { return a < f.start; });
  if (it == functions_->begin()) return is_mapping_symbol(name) ? nullptr : name;
  const uint64_t start = std::prev(it)->start;
  while (it != functions_->begin() && std::prev(it)->start == start) --it;
  const FunctionSymbol& function = *it;
  const bool covers = function.size == 0 || address < function.start + function.size;
  if (is_mapping_symbol(name)) {
    if (!covers) return nullptr;
  } else if (!name || address - nearest_offset != function.start) {
    return name;  // libdw's symbol is no function's start (an object, a local label)
  }
  *offset = address - function.start;
  return function.name;
}

std::vector<SymbolLocation> ModuleFile::lookup(uint64_t address, bool with_source) const {
  std::vector<SymbolLocation> locations;
  if (!module_) return locations;

  uint64_t symbol_offset = 0;
  const char* symbol_name = function_name(address, &symbol_offset);

  SourcePoint point;
  if (!with_source) return {{demangle(symbol_name), symbol_offset, {}, 0, 0, false}};

  Dwarf_Addr bias = 0;
  Dwarf_Die* cu = dwfl_module_addrdie(module_, address, &bias);
  Dwarf_Die found_cu;
  if (!cu) {
    Dwarf* dwarf = dwfl_module_getdwarf(module_, &bias);
    auto offset = cu_offset_of(address);
    if (dwarf && offset && dwarf_offdie(dwarf, *offset, &found_cu)) cu = &found_cu;
  }
  if (Dwfl_Line* line = dwfl_module_getsrc(module_, address)) {
    if (const char* file = dwfl_lineinfo(line, nullptr, &point.line, &point.column, nullptr, nullptr))
      point.file = file;
  } else if (cu) {
    if (Dwarf_Line* line = dwarf_getsrc_die(cu, address - bias)) {
      if (const char* file = dwarf_linesrc(line, nullptr, nullptr)) point.file = file;
      dwarf_lineno(line, &point.line);
      dwarf_linecol(line, &point.column);
    }
  }
  // dwarf_getscopes finds the innermost scope, but past an inlined call it
  // goes on with the inlined function's abstract definition; the chain of
  // concrete scopes that holds the nested inlined calls is its DIE's parents.
  Dwarf_Die* innermost = nullptr;
  Dwarf_Die* scopes = nullptr;
  int count = 0;
  if (cu && dwarf_getscopes(cu, address - bias, &innermost) > 0) {
    count = dwarf_getscopes_die(&innermost[0], &scopes);
  }
  std::free(innermost);
  for (int i = 0; i < count; ++i) {
    int tag = dwarf_tag(&scopes[i]);
    if (tag == DW_TAG_inlined_subroutine) {
      locations.push_back({die_function_name(&scopes[i]), 0, point.file, point.line, point.column, true});
      point = call_site(&scopes[i], cu);
    } else if (tag == DW_TAG_subprogram) {
      SymbolLocation outer{die_function_name(&scopes[i]), 0, point.file, point.line, point.column, false};
      if (symbol_name) {
        // The ELF symbol is the out-of-line function: prefer its (linkage) name.
        outer.function = demangle(symbol_name);
        outer.function_offset = symbol_offset;
      } else {
        Dwarf_Addr low;
        if (dwarf_lowpc(&scopes[i], &low) == 0) outer.function_offset = address - bias - low;
      }
      locations.push_back(std::move(outer));
      break;
    }
  }
  std::free(scopes);
  if (locations.empty() || locations.back().inlined) {
    // No DWARF subprogram: the ELF symbol names the function, and any
    // inlined frames found so far were inlined into it.
    locations.push_back({demangle(symbol_name), symbol_offset, point.file, point.line, point.column, false});
  }
  return locations;
}

std::optional<uint64_t> ModuleFile::symbol_address(const std::string& name) const {
  std::lock_guard lock(mutex_);
  if (!module_) return std::nullopt;
  // Every core of a batch asks for the same few symbols (__abort_msg, ...).
  if (auto known = symbol_addresses_.find(name); known != symbol_addresses_.end()) return known->second;
  std::optional<uint64_t> found = find_symbol(name);
  symbol_addresses_.emplace(name, found);
  return found;
}

std::optional<uint64_t> ModuleFile::find_symbol(const std::string& name) const {
  int count = dwfl_module_getsymtab(module_);
  for (int i = 1; i < count; ++i) {
    GElf_Sym symbol;
    GElf_Addr address;
    const char* symbol_name = dwfl_module_getsym_info(module_, i, &symbol, &address, nullptr, nullptr, nullptr);
    if (!symbol_name || symbol.st_shndx == SHN_UNDEF) continue;
    // Versioned names ("__abort_msg@@GLIBC_PRIVATE") count as the plain name.
    size_t length = std::strcspn(symbol_name, "@");
    if (length == name.size() && name.compare(0, length, symbol_name, length) == 0) return address;
  }
  return std::nullopt;
}

bool ModuleFile::with_cfi(const std::function<bool(Dwarf_CFI*, uint64_t)>& use) const {
  std::lock_guard lock(mutex_);
  if (!module_) return false;
  Dwarf_Addr bias = 0;
  if (Dwarf_CFI* eh = dwfl_module_eh_cfi(module_, &bias))
    if (use(eh, bias)) return true;
  if (Dwarf_CFI* debug = dwfl_module_dwarf_cfi(module_, &bias))
    if (use(debug, bias)) return true;
  return false;
}

std::string ModuleSearch::disk_path(const std::string& core_path) const {
  if (sysroot.empty()) return core_path;
  std::string root = sysroot;
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  if (core_path.starts_with(root + "/")) return core_path;
  return root + core_path;
}

ModuleCache::ModuleCache(ModuleSearch search) : search_(std::move(search)) {}
ModuleCache::~ModuleCache() = default;

size_t ModuleCache::loaded_count() const {
  std::lock_guard lock(mutex_);
  std::set<const ModuleFile*> distinct;
  for (const auto& [key, module] : by_identity_) distinct.insert(module.get());
  for (const auto& [key, module] : by_build_id_) distinct.insert(module.get());
  return distinct.size();
}

std::shared_ptr<const ModuleFile> ModuleCache::get(const std::string& path, std::string* why) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    if (why) *why = path + ": " + (errno == ENOENT ? "not found" : std::strerror(errno));
    return nullptr;
  }
  std::string identity = file_identity(st);
  std::lock_guard lock(mutex_);
  if (auto it = by_identity_.find(identity); it != by_identity_.end()) return it->second;
  if (auto it = failures_.find(identity); it != failures_.end()) {
    if (why) *why = it->second;
    return nullptr;
  }

  auto fail = [&](std::string reason) -> std::shared_ptr<const ModuleFile> {
    failures_[identity] = reason;
    if (why) *why = std::move(reason);
    return nullptr;
  };
  auto mapped = MappedFile::open(path);
  if (!mapped) return fail(mapped.error().message);
  auto image = read_elf_image(BytesMemory((*mapped)->bytes()), 0);
  if (!image) return fail(path + ": not an ELF file");
  if (!image->build_id.empty()) {
    if (auto it = by_build_id_.find(image->build_id); it != by_build_id_.end()) {
      by_identity_[identity] = it->second;
      return it->second;
    }
  }

  auto module = load(path, *mapped, std::move(*image), -1, why);
  if (!module) {
    failures_[identity] = why ? *why : "cannot load";
    return nullptr;
  }
  by_identity_[identity] = module;
  if (!module->build_id().empty()) by_build_id_[module->build_id()] = module;
  return module;
}

std::shared_ptr<const ModuleFile> ModuleCache::get_image(const std::string& name, std::vector<std::byte> bytes,
                                                         std::string* why) {
  auto image = read_elf_image(BytesMemory(bytes), 0);
  if (!image) {
    if (why) *why = name + ": not an ELF image";
    return nullptr;
  }
  std::lock_guard lock(mutex_);
  if (!image->build_id.empty())
    if (auto it = by_build_id_.find(image->build_id); it != by_build_id_.end()) return it->second;
  int fd = -1;
  auto mapped = MappedFile::from_bytes(name, bytes, &fd);
  if (!mapped) {
    if (why) *why = mapped.error().message;
    return nullptr;
  }
  auto module = load(name, *mapped, std::move(*image), fd, why);
  if (module && !module->build_id().empty()) by_build_id_[module->build_id()] = module;
  return module;
}

std::shared_ptr<ModuleFile> ModuleCache::load(const std::string& path, std::shared_ptr<MappedFile> file,
                                              ElfImageInfo image, int fd, std::string* why) {
  auto fail = [&](std::string reason) -> std::shared_ptr<ModuleFile> {
    if (fd >= 0) close(fd);
    if (why) *why = std::move(reason);
    return nullptr;
  };
  std::shared_ptr<ModuleFile> module(new ModuleFile());
  module->path_ = path;
  module->image_ = std::move(image);
  module->file_ = std::move(file);
  module->callbacks_ = std::make_unique<DwflCallbacksHolder>();
  // Separate debug files: next to the file, in .debug/, in the user's
  // directories, then the system's; build-id paths are tried in each.
  std::string debug_path = "-:.debug";
  for (const std::string& dir : search_.debug_dirs) debug_path += ":" + dir;
  if (!search_.sysroot.empty()) debug_path += ":" + search_.sysroot + "/usr/lib/debug";
  debug_path += ":/usr/lib/debug";
  module->callbacks_->debuginfo_path = strdup(debug_path.c_str());
  module->callbacks_->debuglink_dirs = search_.debug_dirs;
  if (!search_.sysroot.empty()) module->callbacks_->debuglink_dirs.push_back(search_.sysroot + "/usr/lib/debug");
  module->callbacks_->debuglink_dirs.push_back("/usr/lib/debug");
  Dwfl_Callbacks& callbacks = module->callbacks_->callbacks;
  callbacks.find_elf = dwfl_build_id_find_elf;
  callbacks.find_debuginfo = find_debuginfo;
  callbacks.section_address = dwfl_offline_section_address;
  callbacks.debuginfo_path = &module->callbacks_->debuginfo_path;
  module->dwfl_ = dwfl_begin(&callbacks);
  if (!module->dwfl_) return fail(path + ": libdwfl: " + dwfl_errmsg(-1));
  dwfl_report_begin(module->dwfl_);
  // Base 0 plus p_vaddr: addresses are the file's own p_vaddr space, also
  // for an image relocated away from 0 (qemu-user's vDSO).
  module->module_ = dwfl_report_elf(module->dwfl_, path.c_str(), path.c_str(), fd, 0, true);
  fd = -1;  // consumed by libdwfl
  dwfl_report_end(module->dwfl_, nullptr, nullptr);
  if (!module->module_) return fail(path + ": libdwfl cannot load it: " + dwfl_errmsg(-1));
  // find_debuginfo() reaches the search folders through the module's userdata.
  void** userdata = nullptr;
  dwfl_module_info(module->module_, &userdata, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr);
  if (userdata) *userdata = module->callbacks_.get();

  return module;
}

}  // namespace triage

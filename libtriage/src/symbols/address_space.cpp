#include "triage/symbols/address_space.h"

#include <elf.h>

#include <algorithm>
#include <map>

#include "triage/symbols/loader_modules.h"
#include "triage/util/checked.h"

namespace triage {
namespace {

constexpr std::string_view kDeleted = " (deleted)";

// Core memory first; where the kernel did not dump a page of a mapped file
// (code, read-only data), the file's bytes at the mapped offset.
class LayeredMemory final : public Memory {
 public:
  LayeredMemory(const ProcessSnapshot& snapshot, const AddressSpace& space) : snapshot_(snapshot), space_(space) {}

  size_t read_up_to(uint64_t address, std::span<std::byte> out) const override {
    size_t done = 0;
    while (done < out.size()) {
      uint64_t at = address + done;
      size_t got = snapshot_.memory->read_up_to(at, out.subspan(done));
      done += got;
      if (done == out.size()) break;
      at = address + done;
      size_t from_file = read_from_file(at, out.subspan(done));
      if (from_file == 0) break;
      done += from_file;
    }
    return done;
  }

 private:
  size_t read_from_file(uint64_t address, std::span<std::byte> out) const {
    const FileMapping* mapping = space_.file_mapping_at(address);
    if (!mapping) return 0;
    const ProcessModule* module = space_.module_at(address);
    if (!module || !module->file) return 0;
    auto bytes = module->file->bytes();
    uint64_t offset = mapping->file_offset + (address - mapping->start);
    if (offset >= bytes.size()) return 0;
    // Stop at the end of this mapping or of the file, whichever comes first;
    // the caller continues with the next mapping.
    uint64_t count = std::min<uint64_t>({out.size(), bytes.size() - offset, mapping->end - address});
    std::memcpy(out.data(), bytes.data() + offset, count);
    return count;
  }

  const ProcessSnapshot& snapshot_;
  const AddressSpace& space_;
};

// Runtime address of file offset `file_offset` is start; the PT_LOAD that
// holds that offset gives the bias.
std::optional<int64_t> compute_bias(const ElfImageInfo& image, uint64_t start, uint64_t file_offset) {
  for (const LoadSegment& load : image.loads) {
    uint64_t page_offset = load.offset & ~0xfffull;
    if (file_offset >= page_offset && file_offset < load.offset + std::max<uint64_t>(load.filesz, 1))
      return static_cast<int64_t>(start - ((load.vaddr - load.offset) + file_offset));
  }
  if (!image.loads.empty() && file_offset == 0)
    return static_cast<int64_t>(start - (image.loads.front().vaddr & ~0xfffull));
  return std::nullopt;
}

// qemu-user relocates its vDSO's image in place (p_vaddr, .dynsym, section
// addresses) but not .symtab, whose values stay image-relative; libdw would
// prefer those and name nothing. Hiding .symtab (type SHT_NULL) in our copy
// makes it use the relocated .dynsym. A kernel vDSO (p_vaddr 0) is left alone.
void hide_unrelocated_symtab(std::vector<std::byte>& image, const ElfImageInfo& info) {
  if (info.loads.empty() || info.loads.front().vaddr == 0) return;
  const bool is64 = info.is_64bit;
  const auto shoff = load_le(image, is64 ? 0x28 : 0x20, is64 ? 8 : 4);
  const auto shentsize = load_le(image, is64 ? 0x3a : 0x2e, 2);
  const auto shnum = load_le(image, is64 ? 0x3c : 0x30, 2);
  if (!shoff || !shentsize || !shnum || *shentsize < (is64 ? 64u : 40u)) return;
  for (uint64_t i = 0; i < *shnum; ++i) {
    const uint64_t type_at = *shoff + i * *shentsize + 4;
    if (load_le(image, type_at, 4) != SHT_SYMTAB) continue;
    const uint32_t null_type = SHT_NULL;
    std::memcpy(image.data() + type_at, &null_type, sizeof null_type);
  }
}

}  // namespace

AddressSpace::AddressSpace(const ProcessSnapshot& snapshot, ModuleCache& cache, const std::string& executable,
                           const std::function<bool(const std::string&)>& wants_source,
                           std::vector<std::string>& warnings)
    : snapshot_(snapshot) {
  mappings_ = snapshot.file_mappings;
  if (mappings_.empty()) mappings_ = mappings_from_loader(snapshot, cache, executable, warnings);
  std::sort(mappings_.begin(), mappings_.end(),
            [](const FileMapping& a, const FileMapping& b) { return a.start < b.start; });
  // Group the mappings by file, in address order.
  std::map<std::string, std::vector<const FileMapping*>> by_path;
  std::vector<std::string> order;
  for (const FileMapping& mapping : mappings_) {
    auto& list = by_path[mapping.path];
    if (list.empty()) order.push_back(mapping.path);
    list.push_back(&mapping);
  }
  std::string main_path;
  if (auto entry = snapshot.auxv_value(AT_ENTRY))
    if (const FileMapping* mapping = file_mapping_at(*entry)) main_path = mapping->path;
  if (main_path.empty()) main_path = snapshot.executable_path;

  const std::string& sysroot = cache.search().sysroot;
  for (const std::string& path : order) {
    const auto& mappings = by_path[path];
    const FileMapping* first = *std::min_element(mappings.begin(), mappings.end(),
        [](const FileMapping* a, const FileMapping* b) { return a->start < b->start; });
    ProcessModule module;
    module.path = path;
    module.start = first->start;
    module.end = 0;
    for (const FileMapping* mapping : mappings) module.end = std::max(module.end, mapping->end);
    module.is_executable = path == main_path;
    module.source_lines = module.is_executable || wants_source(path);

    // What the core itself says about the module (its first page is dumped
    // for ELF files): this also tells ELF modules from data files.
    std::optional<ElfImageInfo> core_image;
    if (first->file_offset == 0) core_image = read_elf_image(*snapshot.memory, first->start);
    if (core_image) module.core_build_id = core_image->build_id;

    std::string disk_path = path;
    bool deleted = disk_path.size() > kDeleted.size() && disk_path.ends_with(kDeleted);
    if (deleted) disk_path.resize(disk_path.size() - kDeleted.size());
    if (module.is_executable && !executable.empty()) disk_path = executable;
    else disk_path = cache.search().disk_path(disk_path);

    std::string why;
    module.file = cache.get(disk_path, &why);
    if (!module.file && !core_image) continue;  // a data file, not a module
    if (!module.file) {
      module.file_problem = why;
      warnings.push_back("no symbols for " + path + ": " + why +
                         (sysroot.empty() && !module.is_executable ? " (use --sysroot?)" : ""));
    } else if (module.file->image().machine != snapshot.arch->elf_machine) {
      module.file_problem = disk_path + ": built for another architecture";
      warnings.push_back("not using " + disk_path + " for " + path + ": it is for another architecture (use --sysroot)");
      module.file.reset();
    } else if (!module.core_build_id.empty() && !module.file->build_id().empty() &&
               module.core_build_id != module.file->build_id()) {
      module.mismatch = true;
      warnings.push_back("build-id mismatch for " + path + ": the core has " + module.core_build_id + ", " +
                         disk_path + " has " + module.file->build_id() +
                         "; its symbols may be wrong (frames marked ModuleMismatch)");
    } else if (deleted) {
      warnings.push_back(path + " was deleted or replaced after it was loaded; using " + disk_path);
    }
    const ElfImageInfo* image = module.file ? &module.file->image() : (core_image ? &*core_image : nullptr);
    module.bias = static_cast<int64_t>(module.start);
    if (image)
      if (auto bias = compute_bias(*image, first->start, first->file_offset)) module.bias = *bias;
    modules_.push_back(std::move(module));
  }
  add_vdso(cache, warnings);
  std::sort(modules_.begin(), modules_.end(),
            [](const ProcessModule& a, const ProcessModule& b) { return a.start < b.start; });
  memory_ = std::make_unique<LayeredMemory>(snapshot_, *this);
}

// The vDSO is in no file: the kernel maps it and AT_SYSINFO_EHDR says where.
// Its image is dumped in the core; system calls (and so abort) sit in it on
// i386, so without it unwinding starts with a scan.
void AddressSpace::add_vdso(ModuleCache& cache, std::vector<std::string>& warnings) {
  constexpr uint64_t kMaxVdsoBytes = 1 << 20;
  auto base = snapshot_.auxv_value(33 /* AT_SYSINFO_EHDR */);
  if (!base || *base == 0) return;
  for (const ProcessModule& module : modules_)
    if (*base >= module.start && *base < module.end) return;
  const MemoryRegion* region = snapshot_.region_at(*base);
  if (!region || !region->contents_present || region->end - *base > kMaxVdsoBytes) return;
  std::vector<std::byte> bytes(region->end - *base);
  if (!snapshot_.memory->read(*base, bytes)) return;
  if (auto info = read_elf_image(*snapshot_.memory, *base)) hide_unrelocated_symtab(bytes, *info);
  std::string why;
  auto file = cache.get_image("[vdso]", std::move(bytes), &why);
  if (!file) {
    warnings.push_back("cannot use the vDSO's image: " + why);
    return;
  }
  ProcessModule module;
  module.path = "[vdso]";
  module.start = *base;
  module.end = region->end;
  module.core_build_id = file->build_id();
  module.bias = compute_bias(file->image(), *base, 0).value_or(static_cast<int64_t>(*base));
  module.file = std::move(file);
  modules_.push_back(std::move(module));
}

AddressSpace::~AddressSpace() = default;

const FileMapping* AddressSpace::file_mapping_at(uint64_t address) const {
  auto it = std::upper_bound(mappings_.begin(), mappings_.end(), address,
                             [](uint64_t a, const FileMapping& m) { return a < m.start; });
  if (it == mappings_.begin()) return nullptr;
  --it;
  return address < it->end ? &*it : nullptr;
}

const ProcessModule* AddressSpace::module_at(uint64_t address) const {
  auto it = std::upper_bound(modules_.begin(), modules_.end(), address,
                             [](uint64_t a, const ProcessModule& m) { return a < m.start; });
  if (it == modules_.begin()) return nullptr;
  --it;
  return address < it->end ? &*it : nullptr;
}

std::vector<Frame> AddressSpace::symbolize(const std::vector<Frame>& frames) const {
  std::vector<Frame> result;
  result.reserve(frames.size());
  for (const Frame& raw : frames) {
    Frame frame = raw;
    const ProcessModule* module = module_at(frame.pc);
    if (!module) {
      result.push_back(frame);
      continue;
    }
    frame.module = module->path;
    frame.module_offset = frame.pc - module->start;
    frame.module_mismatch = module->mismatch;
    if (!module->file) {
      result.push_back(frame);
      continue;
    }
    // A return address points after the call: look up the call itself.
    uint64_t lookup = frame.trust == FrameTrust::kContext ? frame.pc : frame.pc - 1;
    std::vector<SymbolLocation> locations = module->file->symbolize(module->file_address(lookup), module->source_lines);
    for (const SymbolLocation& location : locations) {
      Frame expanded = frame;
      expanded.function = location.function;
      expanded.function_offset = location.function_offset + (lookup != frame.pc && !location.inlined ? 1 : 0);
      expanded.file = location.file;
      expanded.line = location.line;
      expanded.column = location.column;
      expanded.inlined = location.inlined;
      result.push_back(std::move(expanded));
    }
    if (locations.empty()) result.push_back(frame);
  }
  return result;
}

}  // namespace triage

#include "triage/symbols/loader_modules.h"

#include <elf.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>

namespace triage {
namespace {

constexpr size_t kMaxLinkMapEntries = 1024;  // a hostile core's list may loop or never end
constexpr size_t kMaxDynamicEntries = 4096;
constexpr size_t kMaxPathBytes = 4096;

std::string hex(uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof text, "0x%" PRIx64, value);
  return text;
}

std::optional<std::string> read_c_string(const Memory& memory, uint64_t address) {
  std::string text;
  std::byte chunk[64];
  while (text.size() < kMaxPathBytes) {
    size_t got = memory.read_up_to(address + text.size(), chunk);
    if (got == 0) return std::nullopt;
    for (size_t i = 0; i < got; ++i) {
      if (chunk[i] == std::byte{0}) return text;
      text.push_back(static_cast<char>(chunk[i]));
    }
  }
  return std::nullopt;
}

// The mappings of a module loaded with `bias`, one per PT_LOAD, page-aligned
// as the loader mapped them.
void add_mappings(const ElfImageInfo& image, uint64_t bias, uint64_t page, const std::string& path, uint64_t mask,
                  std::vector<FileMapping>& out) {
  for (const LoadSegment& load : image.loads) {
    if (load.memsz == 0) continue;
    const uint64_t start = (bias + load.vaddr) & ~(page - 1) & mask;
    const uint64_t end = (bias + load.vaddr + load.memsz + page - 1) & ~(page - 1) & mask;
    if (end <= start) continue;
    out.push_back({start, end, load.offset & ~(page - 1), path});
  }
}

std::optional<std::string> interpreter(const ModuleFile& file) {
  const ElfImageInfo& image = file.image();
  const auto bytes = file.bytes();
  if (image.interp_size == 0 || image.interp_offset >= bytes.size() ||
      image.interp_size > std::min<uint64_t>(kMaxPathBytes, bytes.size() - image.interp_offset))
    return std::nullopt;
  std::string path(reinterpret_cast<const char*>(bytes.data() + image.interp_offset), image.interp_size);
  path.resize(std::strlen(path.c_str()));
  return path;
}

}  // namespace

std::vector<FileMapping> mappings_from_loader(const ProcessSnapshot& snapshot, ModuleCache& cache,
                                              const std::string& executable, std::vector<std::string>& warnings) {
  std::vector<FileMapping> mappings;
  const ArchInfo& arch = *snapshot.arch;
  const Memory& memory = *snapshot.memory;
  const uint64_t word = arch.word_size;
  const uint64_t mask = arch.address_mask();
  const uint64_t page = snapshot.auxv_value(AT_PAGESZ).value_or(4096);
  if (page == 0 || (page & (page - 1)) != 0) return mappings;

  // Named as NT_FILE would name it: an absolute path.
  std::error_code ignored;
  const std::string exe_path = !executable.empty()
                                   ? std::filesystem::absolute(executable, ignored).lexically_normal().string()
                                   : snapshot.executable_path;
  const std::string lead = "the core has no NT_FILE note (qemu-user writes none): ";
  if (executable.empty() && (exe_path.empty() || exe_path.front() != '/')) {
    warnings.push_back(lead + "give the executable with -e to place it and find its libraries");
    return mappings;
  }
  std::string why;
  auto exe = cache.get(exe_path, &why);
  const auto entry = snapshot.auxv_value(AT_ENTRY);
  if (!exe || !entry) {
    warnings.push_back(lead + "cannot place the executable: " + (exe ? "no AT_ENTRY in auxv" : why));
    return mappings;
  }
  const ElfImageInfo& image = exe->image();
  const uint64_t bias = image.type == ET_DYN ? (*entry - image.entry) & mask : 0;
  add_mappings(image, bias, page, exe_path, mask, mappings);

  // r_debug, from the executable's DT_DEBUG entry, which the loader fills in.
  std::optional<uint64_t> r_debug;
  if (image.dynamic_vaddr) {
    const uint64_t dynamic = (bias + *image.dynamic_vaddr) & mask;
    const size_t count = std::min<uint64_t>(image.dynamic_size / (2 * word), kMaxDynamicEntries);
    for (size_t i = 0; i < count; ++i) {
      auto tag = memory.read_uint(dynamic + i * 2 * word, word);
      if (!tag || *tag == DT_NULL) break;
      if (*tag == DT_DEBUG) r_debug = memory.read_uint(dynamic + i * 2 * word + word, word);
    }
  }
  if (!r_debug || *r_debug == 0) {
    warnings.push_back(lead + (image.dynamic_vaddr ? "the loader's r_debug is not set (static, or it crashed before "
                                                     "the loader ran): libraries unknown"
                                                   : "a static executable: it is the only module"));
    return mappings;
  }
  // struct r_debug { int r_version; struct link_map* r_map; ... }: r_map is
  // one word in; struct link_map { l_addr; l_name; l_ld; l_next; l_prev }.
  auto link = memory.read_uint(*r_debug + word, word);
  const auto loader_base = snapshot.auxv_value(AT_BASE);
  std::set<uint64_t> seen;
  size_t libraries = 0;
  while (link && *link != 0 && seen.insert(*link).second && seen.size() <= kMaxLinkMapEntries) {
    auto l_addr = memory.read_uint(*link, word);
    auto l_name = memory.read_uint(*link + word, word);
    auto l_ld = memory.read_uint(*link + 2 * word, word);
    auto next = memory.read_uint(*link + 3 * word, word);
    if (!l_addr || !l_name) {
      warnings.push_back(lead + "the loader's list is cut short at " + hex(*link));
      break;
    }
    std::optional<std::string> name = *l_name ? read_c_string(memory, *l_name) : std::string();
    // The loader's own name is in its read-only data, which the core leaves
    // out: the executable's PT_INTERP names it.
    if ((!name || name->empty()) && loader_base && *l_addr == *loader_base) name = interpreter(*exe);
    // The executable's entry has no name; the vDSO's names no file.
    if (name && !name->empty() && name->front() == '/') {
      const std::string disk_path = cache.search().disk_path(*name);
      if (auto library = cache.get(disk_path, &why)) {
        // No build-id in such a core to check the file against; where the
        // loader found its dynamic section tells a different build apart.
        const auto& dynamic = library->image().dynamic_vaddr;
        if (l_ld && dynamic && ((*l_addr + *dynamic) & mask) != *l_ld)
          warnings.push_back(disk_path + " is not the file the process loaded as " + *name +
                             ": its dynamic section would be at " + hex((*l_addr + *dynamic) & mask) +
                             ", the process's is at " + hex(*l_ld) + "; its frames may be wrong");
        add_mappings(library->image(), *l_addr, page, *name, mask, mappings);
        ++libraries;
      } else {
        warnings.push_back("no symbols for " + *name + ": " + why +
                           (cache.search().sysroot.empty() ? " (use --sysroot?)" : ""));
      }
    }
    link = next;
  }
  warnings.push_back(lead + "the executable placed by AT_ENTRY and " + std::to_string(libraries) +
                     " libraries by the loader's link_map (r_debug at " + hex(*r_debug) + ")");
  std::sort(mappings.begin(), mappings.end(),
            [](const FileMapping& a, const FileMapping& b) { return a.start < b.start; });
  return mappings;
}

}  // namespace triage

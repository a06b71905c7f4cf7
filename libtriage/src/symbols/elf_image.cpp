#include "triage/symbols/elf_image.h"

#include <elf.h>

#include <array>

#include "triage/util/checked.h"

namespace triage {
namespace {

constexpr unsigned kMaxProgramHeaders = 512;
constexpr uint64_t kMaxNoteBytes = 64 * 1024;

std::string to_hex(std::span<const std::byte> bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string hex;
  for (std::byte b : bytes) {
    hex.push_back(digits[std::to_integer<uint8_t>(b) >> 4]);
    hex.push_back(digits[std::to_integer<uint8_t>(b) & 15]);
  }
  return hex;
}

std::string build_id_in_notes(std::span<const std::byte> notes) {
  size_t offset = 0;
  while (in_bounds(offset, 12, notes.size())) {
    uint64_t namesz = *load_le(notes, offset, 4);
    uint64_t descsz = *load_le(notes, offset + 4, 4);
    uint64_t type = *load_le(notes, offset + 8, 4);
    uint64_t name_at = offset + 12;
    uint64_t desc_at = name_at + ((namesz + 3) & ~3ull);
    if (!in_bounds(desc_at, descsz, notes.size())) break;
    if (type == NT_GNU_BUILD_ID && namesz == 4 &&
        std::memcmp(notes.data() + name_at, "GNU", 4) == 0 && descsz > 0 && descsz <= 64)
      return to_hex(notes.subspan(desc_at, descsz));
    offset = desc_at + ((descsz + 3) & ~3ull);
  }
  return {};
}

}  // namespace

std::optional<ElfImageInfo> read_elf_image(const Memory& memory, uint64_t base) {
  std::array<std::byte, 64> header{};
  if (!memory.read(base, std::span(header).first(52))) return std::nullopt;
  memory.read_up_to(base, header);
  if (std::memcmp(header.data(), ELFMAG, SELFMAG) != 0) return std::nullopt;
  if (std::to_integer<uint8_t>(header[EI_DATA]) != ELFDATA2LSB) return std::nullopt;
  ElfImageInfo info;
  info.is_64bit = std::to_integer<uint8_t>(header[EI_CLASS]) == ELFCLASS64;
  info.type = static_cast<uint16_t>(*load_le(header, 16, 2));
  info.machine = static_cast<uint16_t>(*load_le(header, 18, 2));
  info.entry = *load_le(header, 0x18, info.is_64bit ? 8 : 4);
  uint64_t phoff = *load_le(header, info.is_64bit ? 0x20 : 0x1c, info.is_64bit ? 8 : 4);
  uint64_t phentsize = *load_le(header, info.is_64bit ? 0x36 : 0x2a, 2);
  uint64_t phnum = *load_le(header, info.is_64bit ? 0x38 : 0x2c, 2);
  uint64_t min_entry = info.is_64bit ? 56 : 32;
  if (phnum > kMaxProgramHeaders || phentsize < min_entry) return info;

  std::vector<std::pair<uint64_t, uint64_t>> note_ranges;  // file offset, size
  for (uint64_t i = 0; i < phnum; ++i) {
    std::array<std::byte, 56> phdr{};
    auto at = checked_add(base, phoff + i * phentsize);
    if (!at || !memory.read(*at, std::span(phdr).first(min_entry))) break;
    uint64_t type = *load_le(phdr, 0, 4);
    LoadSegment segment;
    uint64_t flags;
    if (info.is_64bit) {
      flags = *load_le(phdr, 4, 4);
      segment = {*load_le(phdr, 16, 8), *load_le(phdr, 40, 8), *load_le(phdr, 8, 8), *load_le(phdr, 32, 8), false};
    } else {
      flags = *load_le(phdr, 24, 4);
      segment = {*load_le(phdr, 8, 4), *load_le(phdr, 20, 4), *load_le(phdr, 4, 4), *load_le(phdr, 16, 4), false};
    }
    segment.executable = (flags & PF_X) != 0;
    if (type == PT_LOAD) info.loads.push_back(segment);
    if (type == PT_DYNAMIC) info.dynamic_vaddr = segment.vaddr, info.dynamic_size = segment.memsz;
    if (type == PT_INTERP) info.interp_offset = segment.offset, info.interp_size = segment.filesz;
    // An empty PT_NOTE holds no build-id (and an empty read would memcpy from null).
    if (type == PT_NOTE && segment.filesz > 0 && segment.filesz <= kMaxNoteBytes)
      note_ranges.emplace_back(segment.offset, segment.filesz);
  }
  for (auto [offset, size] : note_ranges) {
    std::vector<std::byte> notes(size);
    auto at = checked_add(base, offset);
    if (!at || !memory.read(*at, notes)) continue;
    info.build_id = build_id_in_notes(notes);
    if (!info.build_id.empty()) break;
  }
  return info;
}

}  // namespace triage

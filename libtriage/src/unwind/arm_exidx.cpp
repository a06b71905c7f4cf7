#include "triage/unwind/arm_exidx.h"

#include <elf.h>

#include <cstring>

namespace triage::unwind_detail {
namespace {

constexpr uint32_t kCantUnwind = 1;
constexpr size_t kMaxExtabWords = 256;  // far more than any real entry; bounds a hostile one

// Sign-extends a 31-bit place-relative offset and adds the place.
uint32_t prel31(uint32_t word, uint32_t place) {
  uint32_t offset = word & 0x7fffffffu;
  if (offset & 0x40000000u) offset |= 0x80000000u;
  return place + offset;
}

template <typename T>
std::optional<T> load(std::span<const std::byte> bytes, uint64_t offset) {
  if (offset > bytes.size() || bytes.size() - offset < sizeof(T)) return std::nullopt;
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof(T));
  return value;  // little-endian host and file (checked by from_elf)
}

// Pops the registers in `mask` (bit n = rn), lowest first, as LDM does.
ExidxStatus pop(ArmRegisters& regs, uint32_t& vsp, uint32_t mask, const ReadWord& read, bool* pc_popped) {
  bool sp_popped = false;
  uint32_t new_sp = 0;
  for (int n = 0; n < 16; ++n) {
    if (!(mask & (1u << n))) continue;
    auto value = read(vsp);
    if (!value) return ExidxStatus::kMemory;
    vsp += 4;
    if (n == 13) {
      // The popped sp replaces vsp once the whole pop is done.
      sp_popped = true;
      new_sp = *value;
      continue;
    }
    regs.r[n] = *value;
    regs.known[n] = true;
    if (n == 15 && pc_popped) *pc_popped = true;
  }
  if (sp_popped) vsp = new_sp;
  return ExidxStatus::kOk;
}

}  // namespace

ExidxStatus execute_exidx_opcodes(std::span<const uint8_t> ops, ArmRegisters& regs, const ReadWord& read,
                                  bool* pc_popped) {
  if (pc_popped) *pc_popped = false;
  if (!regs.known[13]) return ExidxStatus::kUnsupported;
  uint32_t vsp = regs.r[13];
  size_t i = 0;
  auto next = [&]() -> std::optional<uint8_t> {
    if (i >= ops.size()) return std::nullopt;
    return ops[i++];
  };
  while (i < ops.size()) {
    const uint8_t op = ops[i++];
    ExidxStatus status = ExidxStatus::kOk;
    if ((op & 0xc0) == 0x00) {
      vsp += ((op & 0x3fu) << 2) + 4;
    } else if ((op & 0xc0) == 0x40) {
      vsp -= ((op & 0x3fu) << 2) + 4;
    } else if ((op & 0xf0) == 0x80) {
      auto low = next();
      if (!low) return ExidxStatus::kUnsupported;
      uint32_t mask = ((op & 0x0fu) << 8) | *low;
      if (mask == 0) return ExidxStatus::kRefused;
      status = pop(regs, vsp, mask << 4, read, pc_popped);
    } else if ((op & 0xf0) == 0x90) {
      unsigned n = op & 0x0f;
      if (n == 13 || n == 15) return ExidxStatus::kUnsupported;  // reserved
      if (!regs.known[n]) return ExidxStatus::kUnsupported;
      vsp = regs.r[n];
    } else if ((op & 0xf0) == 0xa0) {
      // pop r4-r[4+nnn], and r14 when bit 3 is set
      uint32_t mask = ((1u << ((op & 7u) + 1)) - 1) << 4;
      if (op & 0x08) mask |= 1u << 14;
      status = pop(regs, vsp, mask, read, pc_popped);
    } else if (op == 0xb0) {
      break;  // finish
    } else if (op == 0xb1) {
      auto mask = next();
      if (!mask || *mask == 0 || (*mask & 0xf0)) return ExidxStatus::kUnsupported;  // spare
      status = pop(regs, vsp, *mask, read, pc_popped);
    } else if (op == 0xb2) {
      // vsp += 0x204 + (uleb128 << 2)
      uint64_t value = 0;
      unsigned shift = 0;
      while (true) {
        auto byte = next();
        if (!byte || shift > 28) return ExidxStatus::kUnsupported;
        value |= static_cast<uint64_t>(*byte & 0x7f) << shift;
        shift += 7;
        if (!(*byte & 0x80)) break;
      }
      vsp += static_cast<uint32_t>(0x204 + (value << 2));
    } else if (op == 0xb3) {
      // VFP d[ssss]-d[ssss+cccc] saved by FSTMFDX: one pad word more than VPUSH
      auto regs_byte = next();
      if (!regs_byte) return ExidxStatus::kUnsupported;
      vsp += ((*regs_byte & 0x0fu) + 1) * 8 + 4;
    } else if ((op & 0xfc) == 0xb4) {
      return ExidxStatus::kUnsupported;  // spare
    } else if ((op & 0xf8) == 0xb8) {
      vsp += ((op & 7u) + 1) * 8 + 4;  // d8-d[8+nnn] by FSTMFDX
    } else if ((op & 0xf8) == 0xc0 && op != 0xc6 && op != 0xc7) {
      vsp += ((op & 7u) + 1) * 8;  // iWMMXt wR10-wR[10+nnn]
    } else if (op == 0xc6 || op == 0xc8 || op == 0xc9) {
      // iWMMXt wR[ssss]..., VFP d[16+ssss]... or d[ssss]... by VPUSH: 8 bytes each
      auto regs_byte = next();
      if (!regs_byte) return ExidxStatus::kUnsupported;
      vsp += ((*regs_byte & 0x0fu) + 1) * 8;
    } else if (op == 0xc7) {
      auto mask = next();
      if (!mask || *mask == 0 || (*mask & 0xf0)) return ExidxStatus::kUnsupported;  // spare
      vsp += 4 * static_cast<uint32_t>(__builtin_popcount(*mask));  // iWMMXt wCGR registers
    } else if ((op & 0xf8) == 0xd0) {
      vsp += ((op & 7u) + 1) * 8;  // d8-d[8+nnn] by VPUSH
    } else {
      return ExidxStatus::kUnsupported;  // 0xca-0xcf, 0xd8-0xff: spare
    }
    if (status != ExidxStatus::kOk) return status;
  }
  regs.r[13] = vsp;
  regs.known[13] = true;
  return ExidxStatus::kOk;
}

std::optional<ExidxTable> ExidxTable::from_elf(std::span<const std::byte> file) {
  auto ehdr = load<Elf32_Ehdr>(file, 0);
  if (!ehdr || std::memcmp(ehdr->e_ident, ELFMAG, SELFMAG) != 0 || ehdr->e_ident[EI_CLASS] != ELFCLASS32 ||
      ehdr->e_ident[EI_DATA] != ELFDATA2LSB || ehdr->e_shentsize != sizeof(Elf32_Shdr))
    return std::nullopt;
  ExidxTable table;
  table.file_ = file;
  bool found = false;
  for (unsigned n = 0; n < ehdr->e_shnum; ++n) {
    auto shdr = load<Elf32_Shdr>(file, static_cast<uint64_t>(ehdr->e_shoff) + n * sizeof(Elf32_Shdr));
    if (!shdr) return std::nullopt;
    if (shdr->sh_type == SHT_NOBITS || !(shdr->sh_flags & SHF_ALLOC)) continue;
    if (static_cast<uint64_t>(shdr->sh_offset) + shdr->sh_size > file.size()) continue;
    table.sections_.push_back({shdr->sh_addr, shdr->sh_offset, shdr->sh_size});
    if (shdr->sh_type == SHT_ARM_EXIDX && !found) {
      found = true;
      table.exidx_addr_ = shdr->sh_addr;
      table.exidx_entries_ = shdr->sh_size / 8;
    }
  }
  if (!found || table.exidx_entries_ == 0) return std::nullopt;
  return table;
}

std::optional<uint32_t> ExidxTable::word_at(uint32_t address) const {
  for (const Section& section : sections_)
    if (section.size >= 4 && address >= section.addr && address - section.addr <= section.size - 4)
      return load<uint32_t>(file_, static_cast<uint64_t>(section.offset) + (address - section.addr));
  return std::nullopt;
}

ExidxStatus ExidxTable::opcodes_for(uint32_t address, std::vector<uint8_t>& opcodes) const {
  opcodes.clear();
  // The last entry whose function starts at or before the address; the
  // table is sorted by function start (the linker sorts it).
  uint32_t low = 0, high = exidx_entries_;  // answer in [low, high)
  std::optional<uint32_t> best;
  while (low < high) {
    uint32_t mid = low + (high - low) / 2;
    uint32_t place = exidx_addr_ + mid * 8;
    auto word = word_at(place);
    if (!word) return ExidxStatus::kUnsupported;
    if (prel31(*word, place) <= address) {
      best = mid;
      low = mid + 1;
    } else {
      high = mid;
    }
  }
  if (!best) return ExidxStatus::kNoEntry;
  const uint32_t place = exidx_addr_ + *best * 8 + 4;
  auto entry = word_at(place);
  if (!entry) return ExidxStatus::kUnsupported;
  if (*entry == kCantUnwind) return ExidxStatus::kCantUnwind;

  auto push_bytes = [&](uint32_t word, int count) {  // the low `count` bytes, most significant first
    for (int b = count - 1; b >= 0; --b) opcodes.push_back(static_cast<uint8_t>(word >> (8 * b)));
  };
  if (*entry & 0x80000000u) {
    // Inline compact entry: only personality 0 (three opcodes) fits here.
    if ((*entry >> 24) != 0x80) return ExidxStatus::kUnsupported;
    push_bytes(*entry, 3);
    return ExidxStatus::kOk;
  }

  uint32_t extab = prel31(*entry, place);
  auto first = word_at(extab);
  if (!first) return ExidxStatus::kUnsupported;
  uint32_t extra_words = 0;
  if (*first & 0x80000000u) {
    switch ((*first >> 24) & 0x0f) {
      case 0:  // __aeabi_unwind_cpp_pr0: three opcodes, no more words
        if ((*first >> 28) != 0x8) return ExidxStatus::kUnsupported;
        push_bytes(*first, 3);
        return ExidxStatus::kOk;
      case 1:
      case 2:  // pr1/pr2: a count of further words, then two opcodes
        extra_words = (*first >> 16) & 0xff;
        push_bytes(*first, 2);
        break;
      default:
        return ExidxStatus::kUnsupported;
    }
  } else {
    // A generic personality routine. GCC's (__gcc_personality_v0,
    // __gxx_personality_v0, and those built on libgcc's __gnu_unwind_frame)
    // follow its address with a word count and three opcodes, as gdb also
    // assumes; anything else fails below as malformed opcodes at worst.
    extab += 4;
    auto data = word_at(extab);
    if (!data) return ExidxStatus::kUnsupported;
    extra_words = *data >> 24;
    push_bytes(*data, 3);
  }
  if (extra_words > kMaxExtabWords) return ExidxStatus::kUnsupported;
  for (uint32_t n = 1; n <= extra_words; ++n) {
    auto word = word_at(extab + 4 * n);
    if (!word) return ExidxStatus::kUnsupported;
    push_bytes(*word, 4);
  }
  return ExidxStatus::kOk;
}

}  // namespace triage::unwind_detail

#include "triage/core/memory.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "triage/util/checked.h"

namespace triage {

bool Memory::read(uint64_t address, std::span<std::byte> out) const {
  return read_up_to(address, out) == out.size();
}

std::optional<uint64_t> Memory::read_uint(uint64_t address, unsigned size) const {
  std::array<std::byte, 8> buffer{};
  if (size == 0 || size > buffer.size()) return std::nullopt;
  if (!read(address, std::span(buffer).first(size))) return std::nullopt;
  return load_le(buffer, 0, size);
}

std::optional<std::string> Memory::read_c_string(uint64_t address, size_t max_length) const {
  std::string text;
  std::array<std::byte, 64> chunk{};
  while (text.size() < max_length) {
    size_t got = read_up_to(address + text.size(), chunk);
    if (got == 0) return std::nullopt;
    for (size_t i = 0; i < got && text.size() < max_length; ++i) {
      char c = static_cast<char>(chunk[i]);
      if (c == '\0') return text;
      text.push_back(c);
    }
  }
  return std::nullopt;  // no terminator within max_length
}

size_t BytesMemory::read_up_to(uint64_t address, std::span<std::byte> out) const {
  if (out.empty() || address < base_ || address - base_ >= bytes_.size()) return 0;
  size_t offset = address - base_;
  size_t count = std::min(out.size(), bytes_.size() - offset);
  std::memcpy(out.data(), bytes_.data() + offset, count);
  return count;
}

}  // namespace triage

// Checked arithmetic and bounded reads for values that come from untrusted
// input (core files, modules): an overflow or an out-of-range read is a
// failed optional, never undefined behaviour.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>

namespace triage {

inline std::optional<uint64_t> checked_add(uint64_t a, uint64_t b) {
  uint64_t sum;
  if (__builtin_add_overflow(a, b, &sum)) return std::nullopt;
  return sum;
}

inline std::optional<uint64_t> checked_mul(uint64_t a, uint64_t b) {
  uint64_t product;
  if (__builtin_mul_overflow(a, b, &product)) return std::nullopt;
  return product;
}

// True if [offset, offset + size) lies within a buffer of `total` bytes.
inline bool in_bounds(uint64_t offset, uint64_t size, uint64_t total) {
  auto end = checked_add(offset, size);
  return end && *end <= total;
}

// A little-endian unsigned integer of `size` bytes at `offset`, if in bounds.
inline std::optional<uint64_t> load_le(std::span<const std::byte> bytes, uint64_t offset,
                                       unsigned size) {
  if (size > 8 || !in_bounds(offset, size, bytes.size())) return std::nullopt;
  uint64_t value = 0;
  for (unsigned i = 0; i < size; ++i)
    value |= static_cast<uint64_t>(std::to_integer<uint8_t>(bytes[offset + i])) << (8 * i);
  return value;
}

}  // namespace triage

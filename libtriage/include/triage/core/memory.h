// One way to read a crashed process's memory, used by every parser and by
// the unwinder. A source (core file, module file on disk, live process)
// implements read_up_to(); callers use the checked helpers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace triage {

class Memory {
 public:
  virtual ~Memory() = default;

  // Copies bytes starting at address until `out` is full or the first
  // unreadable byte; returns how many were copied.
  virtual size_t read_up_to(uint64_t address, std::span<std::byte> out) const = 0;

  // True only if every byte of `out` was read.
  bool read(uint64_t address, std::span<std::byte> out) const;
  // A little-endian unsigned integer of `size` bytes (1, 2, 4 or 8).
  std::optional<uint64_t> read_uint(uint64_t address, unsigned size) const;
  // A NUL-terminated string of at most max_length bytes.
  std::optional<std::string> read_c_string(uint64_t address, size_t max_length = 4096) const;
};

// Memory over a borrowed byte span placed at `base` (a file image, a test's
// bytes). The span must outlive it.
class BytesMemory final : public Memory {
 public:
  explicit BytesMemory(std::span<const std::byte> bytes, uint64_t base = 0) : bytes_(bytes), base_(base) {}
  size_t read_up_to(uint64_t address, std::span<std::byte> out) const override;

 private:
  std::span<const std::byte> bytes_;
  uint64_t base_;
};

}  // namespace triage

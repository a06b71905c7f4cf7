// The Memory helpers every parser reads through.
#include <array>
#include <catch2/catch.hpp>
#include <cstddef>

#include "triage/core/memory.h"

using triage::BytesMemory;

TEST_CASE("BytesMemory reads within its span and nothing outside it", "[memory]") {
  const std::array<std::byte, 8> bytes = {std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4},
                                          std::byte{'h'}, std::byte{'i'}, std::byte{0}, std::byte{9}};
  BytesMemory memory(bytes, 0x1000);
  CHECK(memory.read_uint(0x1000, 4) == 0x04030201u);
  CHECK(memory.read_c_string(0x1004) == "hi");
  CHECK_FALSE(memory.read_uint(0x1006, 4).has_value());  // runs past the end
  CHECK_FALSE(memory.read_uint(0xfff, 1).has_value());   // before the start
  std::array<std::byte, 4> out{};
  CHECK(memory.read_up_to(0x1006, out) == 2);
  // An empty read is 0 bytes, not a memcpy to a null pointer (found by the fuzzer).
  CHECK(memory.read_up_to(0x1000, std::span<std::byte>()) == 0);
  CHECK(memory.read(0x1000, std::span<std::byte>()));
  CHECK_FALSE(memory.read_c_string(0x1007, 1).has_value());  // no terminator within the limit
}

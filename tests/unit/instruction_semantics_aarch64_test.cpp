// AArch64 instruction semantics: instruction bytes (from aarch64-linux-gnu-as,
// shown in the comments) analyzed at a fixed address.
#include <catch2/catch.hpp>

#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <utility>
#include <vector>

#include "triage/arch/instruction_semantics.h"

namespace triage {
namespace {

constexpr uint64_t kAt = 0x400000;

InstructionSemantics analyze(const std::vector<uint8_t>& bytes, uint64_t at = kAt) {
  auto analyzer = InstructionAnalyzer::create(arch_info(Arch::kAarch64));
  REQUIRE(analyzer.ok());
  return (*analyzer)->analyze(bytes, at);
}

Registers registers(std::initializer_list<std::pair<std::string_view, uint64_t>> values) {
  const ArchInfo& arch = arch_info(Arch::kAarch64);
  Registers r(arch.register_names.size(), 0);
  for (const auto& [name, value] : values)
    r[static_cast<size_t>(*arch.register_index(name))] = value;
  return r;
}

std::optional<uint64_t> ea(const InstructionSemantics& s, const Registers& r, size_t i = 0) {
  REQUIRE(s.memory_operands.size() > i);
  return s.memory_operands[i].effective_address(arch_info(Arch::kAarch64), r);
}

using Names = std::vector<std::string_view>;

}  // namespace

TEST_CASE("aarch64 loads: size, addressing modes and registers", "[semantics][aarch64]") {
  SECTION("ldr x1, [x0]") {
    const auto s = analyze({0x01, 0x00, 0x40, 0xf9});
    CHECK(s.kind == InstructionKind::kLoad);
    REQUIRE(s.memory_operands.size() == 1);
    const MemoryOperand& m = s.memory_operands[0];
    CHECK(m.base == "x0");
    CHECK(m.index.empty());
    CHECK(m.displacement == 0);
    CHECK(m.size == 8);
    CHECK(m.read);
    CHECK_FALSE(m.write);
    CHECK(s.registers_read == Names{"x0"});
    CHECK(s.registers_written == Names{"x1"});
    CHECK(s.flow == DataFlow::kDerived);
    CHECK(ea(s, registers({{"x0", 0x1234}})) == uint64_t{0x1234});
  }
  SECTION("ldr w3, [x2, #8]! (pre-index: the access is at base + 8)") {
    const auto s = analyze({0x43, 0x8c, 0x40, 0xb8});
    CHECK(s.memory_operands[0].size == 4);
    CHECK(ea(s, registers({{"x2", 0x1000}})) == uint64_t{0x1008});
    CHECK(s.registers_written == Names{"x3", "x2"});
  }
  SECTION("ldr x3, [x2], #16 (post-index: the access is at base)") {
    const auto s = analyze({0x43, 0x04, 0x41, 0xf8});
    CHECK(s.memory_operands[0].displacement == 0);
    CHECK(ea(s, registers({{"x2", 0x1000}})) == uint64_t{0x1000});
    CHECK(s.registers_written == Names{"x3", "x2"});
  }
  SECTION("ldr x0, [x1, x2, lsl #3]") {
    const auto s = analyze({0x20, 0x78, 0x62, 0xf8});
    const MemoryOperand& m = s.memory_operands[0];
    CHECK(m.base == "x1");
    CHECK(m.index == "x2");
    CHECK(m.scale == 8);
    CHECK(ea(s, registers({{"x1", 0x1000}, {"x2", 2}})) == uint64_t{0x1010});
    CHECK(s.registers_read == Names{"x1", "x2"});
  }
  SECTION("ldr w0, [x1, w2, uxtw #2]: the index is 32-bit, zero-extended") {
    const auto s = analyze({0x20, 0x58, 0x62, 0xb8});
    CHECK(s.memory_operands[0].index == "x2");
    CHECK(s.memory_operands[0].scale == 4);
    CHECK(ea(s, registers({{"x1", 0x1000}, {"x2", 0xffffffff00000001}})) == uint64_t{0x1004});
  }
  SECTION("ldrsw x0, [x1, w2, sxtw]: the index is sign-extended") {
    const auto s = analyze({0x20, 0xc8, 0xa2, 0xb8});
    CHECK(s.memory_operands[0].size == 4);
    CHECK(ea(s, registers({{"x1", 0x1000}, {"x2", 0xffffffff}})) == uint64_t{0xfff});
  }
  SECTION("ldp x29, x30, [sp], #32") {
    const auto s = analyze({0xfd, 0x7b, 0xc2, 0xa8});
    CHECK(s.kind == InstructionKind::kLoad);
    CHECK(s.memory_operands[0].base == "sp");
    CHECK(s.memory_operands[0].size == 16);
    CHECK(s.registers_written == Names{"x29", "x30"});  // not sp's own update
  }
  SECTION("sizes by mnemonic and register") {
    CHECK(analyze({0x40, 0x04, 0x40, 0x29}).memory_operands[0].size == 8);   // ldp w0, w1, [x2]
    CHECK(analyze({0x20, 0x00, 0xc0, 0x3d}).memory_operands[0].size == 16);  // ldr q0, [x1]
    CHECK(analyze({0x20, 0x00, 0x40, 0xfd}).memory_operands[0].size == 8);   // ldr d0, [x1]
    CHECK(analyze({0x20, 0x00, 0x40, 0xbd}).memory_operands[0].size == 4);   // ldr s0, [x1]
    CHECK(analyze({0x20, 0x04, 0x40, 0x39}).memory_operands[0].size == 1);   // ldrb w0, [x1, #1]
    CHECK(analyze({0x20, 0x00, 0x40, 0x79}).memory_operands[0].size == 2);   // ldrh w0, [x1]
    CHECK(analyze({0x20, 0x08, 0xc0, 0x78}).memory_operands[0].size == 2);   // ldtrsh w0, [x1]
    CHECK(analyze({0x40, 0x04, 0x40, 0x69}).memory_operands[0].size == 8);   // ldpsw x0, x1, [x2]
    CHECK(analyze({0x20, 0x7c, 0x5f, 0xc8}).memory_operands[0].size == 8);   // ldxr x0, [x1]
    CHECK(analyze({0x20, 0xfc, 0xdf, 0x88}).memory_operands[0].size == 4);   // ldar w0, [x1]
    // ld1 {v0.4s, v1.4s}, [x0]
    CHECK(analyze({0x00, 0xa8, 0x40, 0x4c}).memory_operands[0].size == 32);
    CHECK(analyze({0x00, 0x90, 0x40, 0x0d}).memory_operands[0].size == 4);   // ld1 {v0.s}[1], [x0]
  }
  SECTION("ldr q0 writes the vector register by its v name") {
    CHECK(analyze({0x20, 0x00, 0xc0, 0x3d}).registers_written == Names{"v0"});
  }
  SECTION("ldur x0, [x1, #-8]") {
    const auto s = analyze({0x20, 0x80, 0x5f, 0xf8});
    CHECK(s.memory_operands[0].displacement == -8);
    CHECK(ea(s, registers({{"x1", 0x1000}})) == uint64_t{0xff8});
  }
  SECTION("ldr x0, literal: resolved pc-relative") {
    const auto s = analyze({0x80, 0x00, 0x00, 0x58});  // ldr x0, .+16
    REQUIRE(s.memory_operands.size() == 1);
    CHECK(s.memory_operands[0].base.empty());
    CHECK(ea(s, registers({})) == kAt + 16);
    CHECK(s.memory_operands[0].size == 8);
    const auto w = analyze({0x40, 0x00, 0x00, 0x98});  // ldrsw x0, .+8
    CHECK(ea(w, registers({})) == kAt + 8);
    CHECK(w.memory_operands[0].size == 4);
  }
  SECTION("prfm accesses nothing") {
    const auto s = analyze({0x00, 0x00, 0x80, 0xf9});
    CHECK(s.kind == InstructionKind::kOther);
    CHECK(s.memory_operands.empty());
  }
}

TEST_CASE("aarch64 stores", "[semantics][aarch64]") {
  SECTION("str x2, [x1]") {
    const auto s = analyze({0x22, 0x00, 0x00, 0xf9});
    CHECK(s.kind == InstructionKind::kStore);
    const MemoryOperand& m = s.memory_operands[0];
    CHECK(m.base == "x1");
    CHECK(m.write);
    CHECK_FALSE(m.read);
    CHECK(m.size == 8);
    CHECK(s.registers_read == Names{"x2", "x1"});
    CHECK(s.registers_written.empty());
    CHECK(s.flow == DataFlow::kNone);
  }
  SECTION("stp x29, x30, [sp, #-32]!") {
    const auto s = analyze({0xfd, 0x7b, 0xbe, 0xa9});
    CHECK(s.kind == InstructionKind::kStore);
    CHECK(s.memory_operands[0].size == 16);
    CHECK(ea(s, registers({{"sp", 0x8000}})) == uint64_t{0x7fe0});
    CHECK(s.registers_written.empty());
  }
  SECTION("str xzr, [x1]: the zero register is no register") {
    const auto s = analyze({0x3f, 0x00, 0x00, 0xf9});
    CHECK(s.memory_operands[0].size == 8);
    CHECK(s.registers_read == Names{"x1"});
  }
  SECTION("stxr and stlxr write their status register") {
    const auto s = analyze({0x20, 0x7c, 0x02, 0xc8});  // stxr w2, x0, [x1]
    CHECK(s.kind == InstructionKind::kStore);
    CHECK(s.memory_operands[0].size == 8);
    CHECK(s.registers_written == Names{"x2"});
    const auto l = analyze({0x20, 0xfc, 0x03, 0x88});  // stlxr w3, w0, [x1]
    CHECK(l.memory_operands[0].size == 4);
    CHECK(l.registers_written == Names{"x3"});
  }
  SECTION("stlr w0, [x1]") {
    const auto s = analyze({0x20, 0xfc, 0x9f, 0x88});
    CHECK(s.kind == InstructionKind::kStore);
    CHECK(s.memory_operands[0].size == 4);
  }
  SECTION("st1 {v0.16b}, [x0], #16") {
    const auto s = analyze({0x00, 0x70, 0x9f, 0x4c});
    CHECK(s.kind == InstructionKind::kStore);
    CHECK(s.memory_operands[0].size == 16);
    CHECK(ea(s, registers({{"x0", 0x1000}})) == uint64_t{0x1000});
  }
}

TEST_CASE("aarch64 atomics (decoded without Capstone) are load+store", "[semantics][aarch64]") {
  SECTION("ldadd x0, x1, [x2]") {
    const auto s = analyze({0x41, 0x00, 0x20, 0xf8});
    CHECK(s.instruction.valid);
    CHECK(s.instruction.text() == "ldadd x0, x1, [x2]");
    CHECK(s.kind == InstructionKind::kLoadStore);
    const MemoryOperand& m = s.memory_operands[0];
    CHECK(m.base == "x2");
    CHECK(m.size == 8);
    CHECK((m.read && m.write));
    CHECK(s.registers_written == Names{"x1"});
  }
  SECTION("ldaddal w0, w1, [x2]; stadd x0, [x1]; swp; cas; casal on sp") {
    const auto a = analyze({0x41, 0x00, 0xe0, 0xb8});
    CHECK(a.instruction.mnemonic == "ldaddal");
    CHECK(a.memory_operands[0].size == 4);
    const auto st = analyze({0x3f, 0x00, 0x20, 0xf8});
    CHECK(st.instruction.mnemonic == "stadd");
    CHECK(st.registers_written.empty());
    const auto swp = analyze({0x41, 0x80, 0x20, 0xf8});
    CHECK(swp.instruction.mnemonic == "swp");
    CHECK(swp.kind == InstructionKind::kLoadStore);
    const auto cas = analyze({0x41, 0x7c, 0xa0, 0xc8});
    CHECK(cas.instruction.text() == "cas x0, x1, [x2]");
    CHECK(cas.kind == InstructionKind::kLoadStore);
    CHECK(cas.registers_written == Names{"x0"});
    const auto casal = analyze({0xe1, 0xff, 0xe0, 0xc8});
    CHECK(casal.instruction.mnemonic == "casal");
    CHECK(casal.memory_operands[0].base == "sp");
  }
}

TEST_CASE("aarch64 branches, calls and returns", "[semantics][aarch64]") {
  SECTION("br x16") {
    const auto s = analyze({0x00, 0x02, 0x1f, 0xd6});
    CHECK(s.kind == InstructionKind::kJump);
    CHECK(s.target_register == "x16");
    CHECK(s.is_indirect_branch());
  }
  SECTION("blr x1") {
    const auto s = analyze({0x20, 0x00, 0x3f, 0xd6});
    CHECK(s.kind == InstructionKind::kCall);
    CHECK(s.target_register == "x1");
    CHECK(s.registers_written == Names{"x30"});
  }
  SECTION("ret, retaa, retab") {
    using Bytes = std::vector<uint8_t>;
    for (const Bytes& bytes :
         {Bytes{0xc0, 0x03, 0x5f, 0xd6}, Bytes{0xff, 0x0b, 0x5f, 0xd6}, Bytes{0xff, 0x0f, 0x5f, 0xd6}}) {
      const auto s = analyze(bytes);
      CHECK(s.kind == InstructionKind::kReturn);
      CHECK(s.target_register == "x30");
    }
    CHECK(analyze({0xff, 0x0b, 0x5f, 0xd6}).instruction.mnemonic == "retaa");
  }
  SECTION("authenticated calls and jumps") {
    const auto blraa = analyze({0x22, 0x08, 0x3f, 0xd7});  // blraa x1, x2
    CHECK(blraa.instruction.text() == "blraa x1, x2");
    CHECK(blraa.kind == InstructionKind::kCall);
    CHECK(blraa.target_register == "x1");
    const auto braaz = analyze({0x7f, 0x08, 0x1f, 0xd6});  // braaz x3
    CHECK(braaz.instruction.text() == "braaz x3");
    CHECK(braaz.kind == InstructionKind::kJump);
    CHECK(braaz.target_register == "x3");
    const auto braa = analyze({0x3f, 0x08, 0x1f, 0xd7});  // braa x1, sp
    CHECK(braa.instruction.text() == "braa x1, sp");
  }
  SECTION("direct and conditional branches") {
    const auto bne = analyze({0x41, 0x00, 0x00, 0x54});  // b.ne .+8
    CHECK(bne.kind == InstructionKind::kConditionalJump);
    CHECK(bne.direct_target == kAt + 8);
    CHECK(analyze({0x40, 0x00, 0x00, 0xb4}).kind == InstructionKind::kConditionalJump);  // cbz
    const auto tbnz = analyze({0x40, 0x00, 0x18, 0x37});  // tbnz w0, #3, .+8
    CHECK(tbnz.kind == InstructionKind::kConditionalJump);
    CHECK(tbnz.direct_target == kAt + 8);
    const auto b = analyze({0x02, 0x00, 0x00, 0x14});
    CHECK(b.kind == InstructionKind::kJump);
    CHECK(b.direct_target == kAt + 8);
    CHECK_FALSE(b.is_indirect_branch());
    const auto bl = analyze({0x02, 0x00, 0x00, 0x94});
    CHECK(bl.kind == InstructionKind::kCall);
    CHECK(bl.direct_target == kAt + 8);
  }
}

TEST_CASE("aarch64 register moves and arithmetic", "[semantics][aarch64]") {
  SECTION("mov x0, x1") {
    const auto s = analyze({0xe0, 0x03, 0x01, 0xaa});
    CHECK(s.kind == InstructionKind::kOther);
    CHECK(s.registers_read == Names{"x1"});
    CHECK(s.registers_written == Names{"x0"});
    CHECK(s.flow == DataFlow::kDerived);
  }
  SECTION("add x0, x1, #8") {
    const auto s = analyze({0x20, 0x20, 0x00, 0x91});
    CHECK(s.registers_read == Names{"x1"});
    CHECK(s.registers_written == Names{"x0"});
    CHECK(s.flow == DataFlow::kDerived);
  }
  SECTION("mov w0, wzr and eor x0, x0, x0 clear") {
    const auto mov = analyze({0xe0, 0x03, 0x1f, 0x2a});
    CHECK(mov.registers_read.empty());
    CHECK(mov.registers_written == Names{"x0"});
    CHECK(mov.flow == DataFlow::kClears);
    CHECK(analyze({0x00, 0x00, 0x00, 0xca}).flow == DataFlow::kClears);
  }
  SECTION("undecodable") {
    const auto s = analyze({0x00, 0x00, 0x00, 0x00});  // udf #0
    CHECK(s.kind == InstructionKind::kInvalid);
    CHECK_FALSE(s.instruction.valid);
  }
}

}  // namespace triage

// RISC-V instruction semantics (RV64 and RV32, with compressed instructions):
// instruction bytes (from riscv64-linux-gnu-as, shown in the comments)
// analyzed at a fixed address.
#include <catch2/catch.hpp>

#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <utility>
#include <vector>

#include "triage/arch/instruction_semantics.h"

namespace triage {
namespace {

constexpr uint64_t kAt = 0x10000;

InstructionSemantics analyze(const std::vector<uint8_t>& bytes, Arch arch = Arch::kRiscv64,
                             uint64_t at = kAt) {
  auto analyzer = InstructionAnalyzer::create(arch_info(arch));
  REQUIRE(analyzer.ok());
  return (*analyzer)->analyze(bytes, at);
}

Registers registers(std::initializer_list<std::pair<std::string_view, uint64_t>> values,
                    Arch arch = Arch::kRiscv64) {
  const ArchInfo& info = arch_info(arch);
  Registers r(info.register_names.size(), 0);
  for (const auto& [name, value] : values)
    r[static_cast<size_t>(*info.register_index(name))] = value;
  return r;
}

std::optional<uint64_t> ea(const InstructionSemantics& s, const Registers& r,
                           Arch arch = Arch::kRiscv64) {
  REQUIRE_FALSE(s.memory_operands.empty());
  return s.memory_operands[0].effective_address(arch_info(arch), r);
}

using Names = std::vector<std::string_view>;

}  // namespace

TEST_CASE("riscv loads and stores", "[semantics][riscv]") {
  SECTION("ld a0, 8(s0)") {
    const auto s = analyze({0x03, 0x35, 0x84, 0x00});
    CHECK(s.kind == InstructionKind::kLoad);
    CHECK(s.instruction.text() == "ld a0,8(s0)");
    REQUIRE(s.memory_operands.size() == 1);
    const MemoryOperand& m = s.memory_operands[0];
    CHECK(m.base == "s0");
    CHECK(m.displacement == 8);
    CHECK(m.size == 8);
    CHECK(m.read);
    CHECK_FALSE(m.write);
    CHECK(s.registers_read == Names{"s0"});
    CHECK(s.registers_written == Names{"a0"});
    CHECK(s.flow == DataFlow::kDerived);
    CHECK(ea(s, registers({{"s0", 0x2000}})) == uint64_t{0x2008});
  }
  SECTION("sd a1, -16(sp)") {
    const auto s = analyze({0x23, 0x38, 0xb1, 0xfe});
    CHECK(s.kind == InstructionKind::kStore);
    CHECK(s.memory_operands[0].write);
    CHECK(s.memory_operands[0].size == 8);
    CHECK(ea(s, registers({{"sp", 0x8000}})) == uint64_t{0x7ff0});
    CHECK(s.registers_written.empty());
  }
  SECTION("sizes") {
    CHECK(analyze({0x83, 0xa7, 0x07, 0x00}).memory_operands[0].size == 4);  // lw a5, 0(a5)
    CHECK(analyze({0x23, 0x80, 0xe7, 0x00}).memory_operands[0].size == 1);  // sb a4, 0(a5)
    CHECK(analyze({0x03, 0xc5, 0x15, 0x00}).memory_operands[0].size == 1);  // lbu a0, 1(a1)
    CHECK(analyze({0x03, 0x95, 0x25, 0x00}).memory_operands[0].size == 2);  // lh a0, 2(a1)
    const auto flw = analyze({0x07, 0x25, 0x45, 0x00});                     // flw fa0, 4(a0)
    CHECK(flw.memory_operands[0].size == 4);
    CHECK(flw.registers_written == Names{"fa0"});
    const auto fsd = analyze({0x27, 0x34, 0xb5, 0x00});  // fsd fa1, 8(a0)
    CHECK(fsd.kind == InstructionKind::kStore);
    CHECK(fsd.memory_operands[0].size == 8);
  }
  SECTION("base x0: an absolute address") {
    const auto s = analyze({0x03, 0x25, 0x00, 0x01});  // lw a0, 16(zero)
    CHECK(s.memory_operands[0].base.empty());
    CHECK(ea(s, registers({})) == uint64_t{16});
    CHECK(s.registers_read.empty());
  }
  SECTION("compressed") {
    const auto ld = analyze({0x88, 0x65});  // c.ld a0, 8(a1)
    CHECK(ld.instruction.bytes.size() == 2);
    CHECK(ld.memory_operands[0].base == "a1");
    CHECK(ld.memory_operands[0].size == 8);
    const auto lwsp = analyze({0x32, 0x45});  // c.lwsp a0, 12(sp)
    CHECK(ea(lwsp, registers({{"sp", 0x8000}})) == uint64_t{0x800c});
    CHECK(lwsp.memory_operands[0].size == 4);
    const auto sdsp = analyze({0x06, 0xe4});  // c.sdsp ra, 8(sp)
    CHECK(sdsp.kind == InstructionKind::kStore);
    CHECK(sdsp.registers_read == Names{"sp", "ra"});
  }
  SECTION("atomics") {
    const auto lr = analyze({0x2f, 0xb5, 0x05, 0x10});  // lr.d a0, (a1)
    CHECK(lr.kind == InstructionKind::kLoad);
    CHECK(lr.memory_operands[0].size == 8);
    const auto sc = analyze({0x2f, 0xb6, 0xd5, 0x18});  // sc.d a2, a3, (a1)
    CHECK(sc.kind == InstructionKind::kStore);
    CHECK(sc.registers_written == Names{"a2"});
    const auto amo = analyze({0x2f, 0x25, 0xb6, 0x00});  // amoadd.w a0, a1, (a2)
    CHECK(amo.kind == InstructionKind::kLoadStore);
    CHECK(amo.memory_operands[0].size == 4);
    CHECK((amo.memory_operands[0].read && amo.memory_operands[0].write));
  }
  SECTION("rv32: 32-bit addresses") {
    const auto s = analyze({0x23, 0x2e, 0xb1, 0xfe}, Arch::kRiscv32);  // sw a1, -4(sp)
    CHECK(s.memory_operands[0].address_size == 4);
    CHECK(ea(s, registers({{"sp", 0}}, Arch::kRiscv32), Arch::kRiscv32) == uint64_t{0xfffffffc});
    const auto c = analyze({0xc8, 0x41}, Arch::kRiscv32);  // c.lw a0, 4(a1)
    CHECK(c.memory_operands[0].size == 4);
  }
}

TEST_CASE("riscv branches, calls and returns", "[semantics][riscv]") {
  SECTION("jalr a0 calls through a0") {
    const auto s = analyze({0xe7, 0x00, 0x05, 0x00});
    CHECK(s.kind == InstructionKind::kCall);
    CHECK(s.target_register == "a0");
    CHECK(s.target_offset == 0);
    CHECK(s.registers_written == Names{"ra"});
  }
  SECTION("jr 8(a1): the target is a1 + 8") {
    const auto s = analyze({0x67, 0x80, 0x85, 0x00});
    CHECK(s.kind == InstructionKind::kJump);
    CHECK(s.target_register == "a1");
    CHECK(s.target_offset == 8);
  }
  SECTION("jalr t0, 4(a2): t0 is the alternate link register") {
    const auto s = analyze({0xe7, 0x02, 0x46, 0x00});
    CHECK(s.kind == InstructionKind::kCall);
    CHECK(s.target_register == "a2");
    CHECK(s.target_offset == 4);
  }
  SECTION("ret and c.jr/c.jalr") {
    const auto ret = analyze({0x67, 0x80, 0x00, 0x00});
    CHECK(ret.kind == InstructionKind::kReturn);
    CHECK(ret.target_register == "ra");
    const auto jr = analyze({0x82, 0x87});  // c.jr a5
    CHECK(jr.kind == InstructionKind::kJump);
    CHECK(jr.target_register == "a5");
    const auto jalr = analyze({0x82, 0x97});  // c.jalr a5
    CHECK(jalr.kind == InstructionKind::kCall);
    CHECK(jalr.target_register == "a5");
    CHECK(analyze({0x02, 0x95}, Arch::kRiscv32).kind == InstructionKind::kCall);  // c.jalr a0
  }
  SECTION("direct ones") {
    const auto jal = analyze({0xef, 0x00, 0x00, 0x01});  // jal ra, .+16
    CHECK(jal.kind == InstructionKind::kCall);
    CHECK(jal.direct_target == kAt + 16);
    CHECK_FALSE(jal.is_indirect_branch());
    const auto j = analyze({0x6f, 0x00, 0x80, 0x00});  // j .+8
    CHECK(j.kind == InstructionKind::kJump);
    CHECK(j.direct_target == kAt + 8);
    const auto beq = analyze({0x63, 0x04, 0xb5, 0x00});  // beq a0, a1, .+8
    CHECK(beq.kind == InstructionKind::kConditionalJump);
    CHECK(beq.direct_target == kAt + 8);
    const auto beqz = analyze({0x01, 0xc5});  // c.beqz a0, .+8
    CHECK(beqz.kind == InstructionKind::kConditionalJump);
    CHECK(beqz.direct_target == kAt + 8);
  }
}

TEST_CASE("riscv register data flow", "[semantics][riscv]") {
  const auto mv = analyze({0x93, 0x05, 0x05, 0x00});  // mv a1, a0
  CHECK(mv.kind == InstructionKind::kOther);
  CHECK(mv.registers_read == Names{"a0"});
  CHECK(mv.registers_written == Names{"a1"});
  CHECK(mv.flow == DataFlow::kDerived);
  CHECK(analyze({0x13, 0x05, 0x50, 0x00}).flow == DataFlow::kClears);  // li a0, 5
  CHECK(analyze({0x37, 0x25, 0x01, 0x00}).flow == DataFlow::kClears);  // lui a0, 0x12
  const auto add = analyze({0x33, 0x85, 0xc5, 0x00});                  // add a0, a1, a2
  CHECK(add.registers_read == Names{"a1", "a2"});
  CHECK(add.flow == DataFlow::kDerived);
  const auto bad = analyze({0x00, 0x00});  // c.unimp
  CHECK(bad.kind == InstructionKind::kInvalid);
  CHECK_FALSE(bad.instruction.valid);
}

}  // namespace triage

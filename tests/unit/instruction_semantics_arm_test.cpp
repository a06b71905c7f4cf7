// 32-bit ARM instruction semantics, ARM and Thumb state: instruction bytes
// (from arm-linux-gnueabihf-as, shown in the comments) analyzed at a fixed
// address.
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

InstructionSemantics analyze(const std::vector<uint8_t>& bytes, uint64_t at = kAt) {
  auto analyzer = InstructionAnalyzer::create(arch_info(Arch::kArm));
  REQUIRE(analyzer.ok());
  return (*analyzer)->analyze(bytes, at);
}

InstructionSemantics thumb(const std::vector<uint8_t>& bytes, uint64_t at = kAt) {
  auto analyzer = InstructionAnalyzer::create(arch_info(Arch::kArm), InstructionMode::kThumb);
  REQUIRE(analyzer.ok());
  return (*analyzer)->analyze(bytes, at);
}

Registers registers(std::initializer_list<std::pair<std::string_view, uint64_t>> values) {
  const ArchInfo& arch = arch_info(Arch::kArm);
  Registers r(arch.register_names.size(), 0);
  for (const auto& [name, value] : values)
    r[static_cast<size_t>(*arch.register_index(name))] = value;
  return r;
}

std::optional<uint64_t> ea(const InstructionSemantics& s, const Registers& r, size_t i = 0) {
  REQUIRE(s.memory_operands.size() > i);
  return s.memory_operands[i].effective_address(arch_info(Arch::kArm), r);
}

using Names = std::vector<std::string_view>;

}  // namespace

TEST_CASE("arm loads and stores: addressing modes", "[semantics][arm]") {
  const Registers regs = registers({{"r1", 0x2000}, {"r2", 3}});
  SECTION("ldr r1, [r0]") {
    const auto s = analyze({0x00, 0x10, 0x90, 0xe5});
    CHECK(s.kind == InstructionKind::kLoad);
    REQUIRE(s.memory_operands.size() == 1);
    const MemoryOperand& m = s.memory_operands[0];
    CHECK(m.base == "r0");
    CHECK(m.size == 4);
    CHECK(m.address_size == 4);
    CHECK(m.read);
    CHECK_FALSE(m.write);
    CHECK(s.registers_read == Names{"r0"});
    CHECK(s.registers_written == Names{"r1"});
    CHECK(s.flow == DataFlow::kDerived);
  }
  SECTION("ldr r0, [r1], #4: post-index, the access is at the base") {
    const auto s = analyze({0x04, 0x00, 0x91, 0xe4});
    CHECK(s.memory_operands[0].displacement == 0);
    CHECK(ea(s, regs) == uint64_t{0x2000});
    CHECK(s.registers_written == Names{"r0", "r1"});
  }
  SECTION("ldr r0, [r1, #-8]!: pre-index with writeback") {
    const auto s = analyze({0x08, 0x00, 0x31, 0xe5});
    CHECK(s.memory_operands[0].displacement == -8);
    CHECK(ea(s, regs) == uint64_t{0x1ff8});
    CHECK(s.registers_written == Names{"r0", "r1"});
  }
  SECTION("ldr r0, [r1, r2, lsl #2]") {
    const auto s = analyze({0x02, 0x01, 0x91, 0xe7});
    CHECK(s.memory_operands[0].index == "r2");
    CHECK(s.memory_operands[0].scale == 4);
    CHECK(ea(s, regs) == uint64_t{0x200c});
    CHECK(s.registers_read == Names{"r1", "r2"});
  }
  SECTION("ldr r0, [r1, -r2]: a subtracted index") {
    const auto s = analyze({0x02, 0x00, 0x11, 0xe7});
    CHECK(s.memory_operands[0].scale == -1);
    CHECK(ea(s, regs) == uint64_t{0x1ffd});
  }
  SECTION("ldr r0, [r1], -r2: post-index by a register") {
    const auto s = analyze({0x02, 0x00, 0x11, 0xe6});
    CHECK(ea(s, regs) == uint64_t{0x2000});
    CHECK(s.registers_read == Names{"r2", "r1"});
  }
  SECTION("ldr r0, [r1, r2, asr #2]: an index shift other than lsl is left out") {
    const auto s = analyze({0x42, 0x01, 0x91, 0xe7});
    CHECK(s.memory_operands[0].base == "r1");
    CHECK(s.memory_operands[0].index.empty());
  }
  SECTION("ldr r0, [pc, #8]: pc reads as the instruction + 8") {
    const auto s = analyze({0x08, 0x00, 0x9f, 0xe5});
    CHECK(s.memory_operands[0].base.empty());
    CHECK(ea(s, regs) == kAt + 16);
  }
  SECTION("register names by number: fp, ip, r9, r10") {
    CHECK(analyze({0x08, 0x00, 0x1b, 0xe5}).memory_operands[0].base == "fp");  // ldr r0, [fp, #-8]
    CHECK(analyze({0x00, 0x00, 0x9c, 0xe5}).memory_operands[0].base == "ip");  // ldr r0, [ip]
    const auto s = analyze({0x00, 0x90, 0x9a, 0xe5});                          // ldr r9, [sl]
    CHECK(s.memory_operands[0].base == "r10");
    CHECK(s.registers_written == Names{"r9"});
  }
  SECTION("sizes by instruction") {
    const auto ldrd = analyze({0xd8, 0x00, 0xc2, 0xe1});  // ldrd r0, r1, [r2, #8]
    CHECK(ldrd.kind == InstructionKind::kLoad);
    CHECK(ldrd.memory_operands[0].size == 8);
    CHECK(ldrd.registers_written == Names{"r0", "r1"});
    const auto strh = analyze({0xb2, 0x00, 0x41, 0xe1});  // strh r0, [r1, #-2]
    CHECK(strh.kind == InstructionKind::kStore);
    CHECK(strh.memory_operands[0].size == 2);
    CHECK(strh.memory_operands[0].displacement == -2);
    CHECK(strh.memory_operands[0].write);
    CHECK(analyze({0x00, 0x20, 0xc3, 0xe5}).memory_operands[0].size == 1);  // strb r2, [r3]
    CHECK(analyze({0xb0, 0x00, 0xd1, 0xe1}).memory_operands[0].size == 2);  // ldrh r0, [r1]
    CHECK(analyze({0xd0, 0x00, 0xd1, 0xe1}).memory_operands[0].size == 1);  // ldrsb r0, [r1]
    CHECK(analyze({0x02, 0x0b, 0x91, 0xed}).memory_operands[0].size == 8);  // vldr d0, [r1, #8]
    // vld1.32 {d0, d1}, [r0]
    CHECK(analyze({0x8f, 0x0a, 0x20, 0xf4}).memory_operands[0].size == 16);
  }
  SECTION("str r2, [r1]") {
    const auto s = analyze({0x00, 0x20, 0x81, 0xe5});
    CHECK(s.kind == InstructionKind::kStore);
    CHECK(s.registers_read == Names{"r2", "r1"});
    CHECK(s.registers_written.empty());
  }
  SECTION("swp is load+store, strex writes its status") {
    CHECK(analyze({0x91, 0x00, 0x02, 0xe1}).kind == InstructionKind::kLoadStore);
    const auto strex = analyze({0x91, 0x0f, 0x82, 0xe1});  // strex r0, r1, [r2]
    CHECK(strex.kind == InstructionKind::kStore);
    CHECK(strex.registers_written == Names{"r0"});
  }
  SECTION("a conditional load is still a load") {
    CHECK(analyze({0x00, 0x00, 0x91, 0x15}).kind == InstructionKind::kLoad);  // ldrne r0, [r1]
  }
}

TEST_CASE("arm load/store multiple: one operand over the block", "[semantics][arm]") {
  const Registers regs = registers({{"r0", 0x2000}, {"sp", 0x8000}});
  SECTION("ldmdb r0, {r1, r2, r3}") {
    const auto s = analyze({0x0e, 0x00, 0x10, 0xe9});
    CHECK(s.kind == InstructionKind::kLoad);
    REQUIRE(s.memory_operands.size() == 1);
    CHECK(s.memory_operands[0].size == 12);
    CHECK(ea(s, regs) == uint64_t{0x2000 - 12});
    CHECK(s.registers_written == Names{"r1", "r2", "r3"});
  }
  SECTION("ldmib r0, {r1, r2}") {
    const auto s = analyze({0x06, 0x00, 0x90, 0xe9});
    CHECK(ea(s, regs) == uint64_t{0x2004});
  }
  SECTION("stmia r0!, {r1, r2}") {
    const auto s = analyze({0x06, 0x00, 0xa0, 0xe8});
    CHECK(s.kind == InstructionKind::kStore);
    CHECK(s.memory_operands[0].write);
    CHECK(s.memory_operands[0].size == 8);
    CHECK(ea(s, regs) == uint64_t{0x2000});
    CHECK(s.registers_written == Names{"r0"});
  }
  SECTION("push {r4, r5, lr}") {
    const auto s = analyze({0x30, 0x40, 0x2d, 0xe9});
    CHECK(s.kind == InstructionKind::kPush);
    const MemoryOperand& m = s.memory_operands[0];
    CHECK(m.base == "sp");
    CHECK(m.size == 12);
    CHECK(m.write);
    CHECK(ea(s, regs) == uint64_t{0x8000 - 12});
    CHECK(s.registers_read == Names{"r4", "r5", "lr"});
  }
  SECTION("vpush {d8, d9}, vldmia r0, {s0-s3}") {
    const auto s = analyze({0x04, 0x8b, 0x2d, 0xed});
    CHECK(s.kind == InstructionKind::kPush);
    CHECK(s.memory_operands[0].size == 16);
    CHECK(ea(s, regs) == uint64_t{0x8000 - 16});
    CHECK(analyze({0x04, 0x0a, 0x90, 0xec}).memory_operands[0].size == 16);
  }
}

TEST_CASE("arm branches, calls and returns", "[semantics][arm]") {
  SECTION("returns") {
    const auto bx = analyze({0x1e, 0xff, 0x2f, 0xe1});  // bx lr
    CHECK(bx.kind == InstructionKind::kReturn);
    CHECK(bx.target_register == "lr");
    const auto mov = analyze({0x0e, 0xf0, 0xa0, 0xe1});  // mov pc, lr
    CHECK(mov.kind == InstructionKind::kReturn);
    CHECK(mov.target_register == "lr");
    const auto pop = analyze({0x10, 0x80, 0xbd, 0xe8});  // pop {r4, pc}
    CHECK(pop.kind == InstructionKind::kReturn);
    REQUIRE(pop.memory_operands.size() == 1);
    CHECK(pop.memory_operands[0].size == 8);
    CHECK(pop.registers_written == Names{"r4"});
    CHECK(pop.target_memory == size_t{0});  // the return address is the block's last word
    CHECK(pop.target_offset == 4);
    CHECK(analyze({0x04, 0xf0, 0x9d, 0xe4}).kind == InstructionKind::kReturn);  // ldr pc, [sp], #4
  }
  SECTION("bx r3 jumps, blx r1 calls") {
    const auto bx = analyze({0x13, 0xff, 0x2f, 0xe1});
    CHECK(bx.kind == InstructionKind::kJump);
    CHECK(bx.target_register == "r3");
    const auto blx = analyze({0x31, 0xff, 0x2f, 0xe1});
    CHECK(blx.kind == InstructionKind::kCall);
    CHECK(blx.target_register == "r1");
    CHECK(blx.registers_written == Names{"lr"});
  }
  SECTION("ldr pc, [r0, #4] jumps through memory") {
    const auto s = analyze({0x04, 0xf0, 0x90, 0xe5});
    CHECK(s.kind == InstructionKind::kJump);
    REQUIRE(s.target_memory == size_t{0});
    CHECK(ea(s, registers({{"r0", 0x2000}})) == uint64_t{0x2004});
  }
  SECTION("ldm r0, {r4, pc} jumps through the block's last word") {
    const auto s = analyze({0x10, 0x80, 0x90, 0xe8});
    CHECK(s.kind == InstructionKind::kJump);
    CHECK(s.target_memory == size_t{0});
    CHECK(s.target_offset == 4);
    CHECK(s.memory_operands[0].size == 8);
  }
  SECTION("direct branches") {
    const auto bl = analyze({0x00, 0x00, 0x00, 0xeb});
    CHECK(bl.kind == InstructionKind::kCall);
    CHECK(bl.direct_target == kAt + 8);
    CHECK_FALSE(bl.is_indirect_branch());
    const auto blx = analyze({0x02, 0x00, 0x00, 0xfa});  // blx .+16 (to Thumb)
    CHECK(blx.kind == InstructionKind::kCall);
    CHECK(blx.direct_target == kAt + 16);
    const auto beq = analyze({0x00, 0x00, 0x00, 0x0a});
    CHECK(beq.kind == InstructionKind::kConditionalJump);
    CHECK(beq.direct_target == kAt + 8);
    const auto b = analyze({0x00, 0x00, 0x00, 0xea});
    CHECK(b.kind == InstructionKind::kJump);
    CHECK(b.direct_target == kAt + 8);
  }
}

TEST_CASE("arm register data flow", "[semantics][arm]") {
  const auto mov = analyze({0x01, 0x00, 0xa0, 0xe1});  // mov r0, r1
  CHECK(mov.kind == InstructionKind::kOther);
  CHECK(mov.registers_read == Names{"r1"});
  CHECK(mov.registers_written == Names{"r0"});
  CHECK(mov.flow == DataFlow::kDerived);
  CHECK(analyze({0x00, 0x00, 0x20, 0xe0}).flow == DataFlow::kClears);  // eor r0, r0, r0
  const auto add = analyze({0x12, 0x03, 0x81, 0xe0});  // add r0, r1, r2, lsl r3
  CHECK(add.registers_read == Names{"r1", "r2", "r3"});
}

TEST_CASE("thumb instructions", "[semantics][arm]") {
  SECTION("ldr r0, [pc, #8]: pc is Align(insn + 4, 4)") {
    const auto s = thumb({0x02, 0x48}, kAt + 2);
    CHECK(s.instruction.bytes.size() == 2);
    CHECK(s.kind == InstructionKind::kLoad);
    CHECK(ea(s, registers({})) == kAt + 4 + 8);
    const auto w = thumb({0x5f, 0xf8, 0x0c, 0x00});  // ldr.w r0, [pc, #-12]
    CHECK(w.instruction.bytes.size() == 4);
    CHECK(ea(w, registers({})) == kAt + 4 - 12);
  }
  SECTION("loads and stores") {
    const auto ldr = thumb({0x48, 0x68});  // ldr r0, [r1, #4]
    CHECK(ldr.memory_operands[0].base == "r1");
    CHECK(ldr.memory_operands[0].displacement == 4);
    CHECK(ldr.registers_written == Names{"r0"});
    const auto strb = thumb({0x1a, 0x70});  // strb r2, [r3]
    CHECK(strb.kind == InstructionKind::kStore);
    CHECK(strb.memory_operands[0].size == 1);
    const auto ldrb = thumb({0x88, 0x5c});  // ldrb r0, [r1, r2]
    CHECK(ldrb.memory_operands[0].index == "r2");
    CHECK(ldrb.memory_operands[0].size == 1);
    CHECK(thumb({0x91, 0xed, 0x01, 0x0a}).memory_operands[0].size == 4);  // vldr s0, [r1, #4]
    const auto ldm = thumb({0x06, 0xc8});  // ldmia r0!, {r1, r2}
    CHECK(ldm.kind == InstructionKind::kLoad);
    CHECK(ldm.memory_operands[0].size == 8);
    CHECK(ldm.registers_written == Names{"r0", "r1", "r2"});
    const auto push = thumb({0x10, 0xb5});  // push {r4, lr}
    CHECK(push.kind == InstructionKind::kPush);
    CHECK(push.memory_operands[0].displacement == -8);
  }
  SECTION("branches") {
    CHECK(thumb({0x70, 0x47}).kind == InstructionKind::kReturn);  // bx lr
    CHECK(thumb({0xf7, 0x46}).kind == InstructionKind::kReturn);  // mov pc, lr
    CHECK(thumb({0x10, 0xbd}).kind == InstructionKind::kReturn);  // pop {r4, pc}
    const auto bx = thumb({0x18, 0x47});                          // bx r3
    CHECK(bx.kind == InstructionKind::kJump);
    CHECK(bx.target_register == "r3");
    const auto blx = thumb({0x88, 0x47});  // blx r1
    CHECK(blx.kind == InstructionKind::kCall);
    CHECK(blx.target_register == "r1");
    const auto ldr_pc = thumb({0xd0, 0xf8, 0x04, 0xf0});  // ldr.w pc, [r0, #4]
    CHECK(ldr_pc.kind == InstructionKind::kJump);
    CHECK(ldr_pc.target_memory == size_t{0});
    const auto cbz = thumb({0x10, 0xb1});  // cbz r0, .+8
    CHECK(cbz.kind == InstructionKind::kConditionalJump);
    CHECK(cbz.direct_target == kAt + 8);
    const auto bl = thumb({0x00, 0xf0, 0x06, 0xf8});  // bl .+16
    CHECK(bl.kind == InstructionKind::kCall);
    CHECK(bl.direct_target == kAt + 16);
    const auto tbb = thumb({0xdf, 0xe8, 0x00, 0xf0});  // tbb [pc, r0]
    CHECK(tbb.kind == InstructionKind::kJump);
    CHECK_FALSE(tbb.is_indirect_branch());
    CHECK(tbb.memory_operands[0].size == 1);
    CHECK(ea(tbb, registers({{"r0", 2}})) == kAt + 4 + 2);
  }
}

TEST_CASE("the instruction mode follows the CPSR T bit", "[semantics][arm]") {
  const ArchInfo& arm = arch_info(Arch::kArm);
  Registers r = registers({{"cpsr", 0x20}});
  CHECK(instruction_mode(arm, r) == InstructionMode::kThumb);
  r = registers({{"cpsr", 0x10}});
  CHECK(instruction_mode(arm, r) == InstructionMode::kDefault);
  CHECK(instruction_mode(arm, Registers{}) == InstructionMode::kDefault);
  const ArchInfo& a64 = arch_info(Arch::kAarch64);
  CHECK(instruction_mode(a64, Registers(a64.register_names.size(), 0x20)) ==
        InstructionMode::kDefault);
}

}  // namespace triage

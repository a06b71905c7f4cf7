// Disassembly of known bytes on every architecture (Capstone 4, and our own
// RISC-V decoder), and the x86 instruction semantics the classifier relies on.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include "triage/arch/disassembler.h"
#include "triage/arch/instruction_semantics.h"

namespace triage {
namespace {

// Sparse memory: byte blocks at addresses; anything else is unreadable.
class BlockMemory final : public Memory {
 public:
  void put(uint64_t address, std::initializer_list<uint8_t> bytes) {
    blocks_[address] = std::vector<uint8_t>(bytes);
  }
  size_t read_up_to(uint64_t address, std::span<std::byte> out) const override {
    size_t done = 0;
    while (done < out.size()) {
      const uint64_t at = address + done;
      auto it = blocks_.upper_bound(at);
      if (it == blocks_.begin()) break;
      --it;
      if (at - it->first >= it->second.size()) break;
      out[done++] = static_cast<std::byte>(it->second[at - it->first]);
    }
    return done;
  }

 private:
  std::map<uint64_t, std::vector<uint8_t>> blocks_;
};

std::vector<Instruction> decode(Arch arch, std::initializer_list<uint8_t> bytes,
                                InstructionMode mode = InstructionMode::kDefault,
                                uint64_t address = 0x1000, size_t count = 16) {
  BlockMemory memory;
  memory.put(address, bytes);
  auto disassembler = Disassembler::create(arch_info(arch), mode);
  REQUIRE(disassembler.ok());
  return (*disassembler)->disassemble(memory, address, count);
}

std::vector<std::string> texts(const std::vector<Instruction>& instructions) {
  std::vector<std::string> result;
  for (const Instruction& i : instructions) result.push_back(i.text());
  return result;
}

InstructionSemantics semantics(Arch arch, std::initializer_list<uint8_t> bytes,
                               uint64_t address = 0x401000) {
  auto analyzer = InstructionAnalyzer::create(arch_info(arch));
  REQUIRE(analyzer.ok());
  std::vector<uint8_t> code(bytes);
  return (*analyzer)->analyze(code, address);
}

Registers registers_for(Arch arch, std::initializer_list<std::pair<const char*, uint64_t>> values) {
  const ArchInfo& info = arch_info(arch);
  Registers registers(info.register_names.size(), 0);
  for (const auto& [name, value] : values) {
    auto index = info.register_index(name);
    REQUIRE(index.has_value());
    registers[static_cast<size_t>(*index)] = value;
  }
  return registers;
}

bool contains(const std::vector<std::string_view>& set, std::string_view name) {
  return std::find(set.begin(), set.end(), name) != set.end();
}

}  // namespace

TEST_CASE("x86-64 bytes disassemble into Intel syntax text", "[disasm]") {
  const auto result = decode(Arch::kX86_64, {0x48, 0x89, 0x18, 0xff, 0xd0, 0xff, 0x60, 0x18, 0xc3});
  CHECK(texts(result) == std::vector<std::string>{"mov qword ptr [rax], rbx", "call rax",
                                                  "jmp qword ptr [rax + 0x18]", "ret"});
  REQUIRE(result.size() == 4);
  CHECK(result[0].address == 0x1000);
  CHECK(result[1].address == 0x1003);
  CHECK(result[2].bytes == std::vector<uint8_t>{0xff, 0x60, 0x18});
  CHECK(result[3].mnemonic == "ret");
  CHECK(result[3].operands.empty());
  CHECK(result[3].valid);
}

TEST_CASE("i386 bytes disassemble with 32-bit registers", "[disasm]") {
  const auto result = decode(Arch::kX86, {0x89, 0x18, 0xff, 0x60, 0x18, 0x0f, 0x0b});
  CHECK(texts(result) ==
        std::vector<std::string>{"mov dword ptr [eax], ebx", "jmp dword ptr [eax + 0x18]", "ud2"});
}

TEST_CASE("AArch64 bytes disassemble", "[disasm]") {
  const auto result = decode(Arch::kAarch64, {0x20, 0x00, 0x40, 0xf9, 0xc0, 0x03, 0x5f, 0xd6});
  CHECK(texts(result) == std::vector<std::string>{"ldr x0, [x1]", "ret"});
}

TEST_CASE("ARM and Thumb bytes disassemble in their own modes", "[disasm]") {
  CHECK(texts(decode(Arch::kArm, {0x00, 0x00, 0x91, 0xe5, 0x1e, 0xff, 0x2f, 0xe1})) ==
        std::vector<std::string>{"ldr r0, [r1]", "bx lr"});
  const auto thumb = decode(Arch::kArm, {0x08, 0x68, 0x70, 0x47}, InstructionMode::kThumb);
  CHECK(texts(thumb) == std::vector<std::string>{"ldr r0, [r1]", "bx lr"});
  REQUIRE(thumb.size() == 2);
  CHECK(thumb[1].address == 0x1002);
}

TEST_CASE("an undecodable first instruction is returned as (bad)", "[disasm]") {
  const auto result = decode(Arch::kX86_64, {0xff, 0xff});
  REQUIRE(result.size() == 1);
  CHECK_FALSE(result[0].valid);
  CHECK(result[0].mnemonic == "(bad)");
  CHECK(result[0].text() == "(bad)");
  CHECK(result[0].bytes.size() == 1);
}

TEST_CASE("disassembly stops at unreadable memory and undecodable bytes", "[disasm]") {
  // A truncated second instruction: only the first comes back.
  CHECK(texts(decode(Arch::kX86_64, {0xc3, 0x48, 0x89})) == std::vector<std::string>{"ret"});
  // Bad bytes after a good instruction end the listing without a (bad) entry.
  CHECK(texts(decode(Arch::kX86_64, {0x90, 0xff, 0xff})) == std::vector<std::string>{"nop"});
  // Nothing readable at all.
  BlockMemory empty;
  auto disassembler = Disassembler::create(arch_info(Arch::kX86_64));
  REQUIRE(disassembler.ok());
  CHECK((*disassembler)->disassemble(empty, 0x1000, 4).empty());
  // Count is honoured.
  CHECK(decode(Arch::kX86_64, {0x90, 0x90, 0x90}, InstructionMode::kDefault, 0x1000, 2).size() == 2);
}

TEST_CASE("RISC-V is disassembled by our own decoder (Capstone 4 has none)", "[disasm]") {
  // From riscv64 glibc, as objdump prints them: c.ld, sd, a branch, ret.
  auto out = decode(Arch::kRiscv64, {0x1c, 0x61, 0x23, 0x30, 0xa4, 0x00, 0x63, 0x04, 0x05, 0x00, 0x82, 0x80},
                    InstructionMode::kDefault, 0x1000, 8);
  REQUIRE(out.size() == 4);
  CHECK(out[0].text() == "ld a5,0(a0)");
  CHECK(out[0].bytes.size() == 2);
  CHECK(out[1].text() == "sd a0,0(s0)");
  CHECK(out[2].mnemonic == "beqz");
  CHECK(out[3].text() == "ret");
  // An all-zero halfword is the defined illegal instruction.
  auto bad = decode(Arch::kRiscv32, {0x00, 0x00, 0x13, 0x00}, InstructionMode::kDefault, 0x2000, 4);
  REQUIRE(bad.size() == 1);
  CHECK_FALSE(bad[0].valid);
  // Every architecture has instruction semantics.
  for (Arch arch : {Arch::kX86, Arch::kX86_64, Arch::kArm, Arch::kAarch64, Arch::kRiscv32,
                    Arch::kRiscv64})
    CHECK(InstructionAnalyzer::create(arch_info(arch)).ok());
}

TEST_CASE("x86-64 semantics: kinds of instructions", "[disasm]") {
  CHECK(semantics(Arch::kX86_64, {0x48, 0x89, 0x18}).kind == InstructionKind::kStore);
  CHECK(semantics(Arch::kX86_64, {0x48, 0x8b, 0x03}).kind == InstructionKind::kLoad);
  CHECK(semantics(Arch::kX86_64, {0x48, 0x01, 0x18}).kind == InstructionKind::kLoadStore);
  CHECK(semantics(Arch::kX86_64, {0xff, 0xd0}).kind == InstructionKind::kCall);
  CHECK(semantics(Arch::kX86_64, {0xff, 0x60, 0x18}).kind == InstructionKind::kJump);
  CHECK(semantics(Arch::kX86_64, {0x74, 0x02}).kind == InstructionKind::kConditionalJump);
  CHECK(semantics(Arch::kX86_64, {0xc3}).kind == InstructionKind::kReturn);
  CHECK(semantics(Arch::kX86_64, {0x50}).kind == InstructionKind::kPush);
  CHECK(semantics(Arch::kX86_64, {0x58}).kind == InstructionKind::kPop);
  CHECK(semantics(Arch::kX86_64, {0x0f, 0x0b}).kind == InstructionKind::kOther);
  CHECK(semantics(Arch::kX86_64, {0xff, 0xff}).kind == InstructionKind::kInvalid);
  // lea and multi-byte nop name memory without touching it.
  const auto lea = semantics(Arch::kX86_64, {0x48, 0x8d, 0x04, 0x58});
  CHECK(lea.kind == InstructionKind::kOther);
  CHECK(lea.memory_operands.empty());
  CHECK(contains(lea.registers_read, "rbx"));
  CHECK(semantics(Arch::kX86_64, {0x0f, 0x1f, 0x44, 0x00, 0x00}).kind == InstructionKind::kOther);
  // Capstone 4 calls cmpxchg's memory operand read-only; it is read+write.
  CHECK(semantics(Arch::kX86_64, {0xf0, 0x48, 0x0f, 0xb1, 0x0a}).kind == InstructionKind::kLoadStore);
  CHECK(std::string(to_string(InstructionKind::kLoadStore)) == "load+store");
}

TEST_CASE("x86-64 semantics: effective addresses", "[disasm]") {
  const ArchInfo& arch = arch_info(Arch::kX86_64);
  const Registers regs = registers_for(Arch::kX86_64, {{"rax", 0x1000},
                                                       {"rbx", 0x10},
                                                       {"rsp", 0x7ffc0000},
                                                       {"rbp", 0x7ffc0100},
                                                       {"fs_base", 0x7f0000000000},
                                                       {"rip", 0x401000}});
  SECTION("base + index * scale + displacement") {
    // mov qword ptr [rax + rbx*4 + 0x20], rcx
    const auto s = semantics(Arch::kX86_64, {0x48, 0x89, 0x4c, 0x98, 0x20});
    REQUIRE(s.memory_operands.size() == 1);
    const MemoryOperand& op = s.memory_operands[0];
    CHECK(op.base == "rax");
    CHECK(op.index == "rbx");
    CHECK(op.scale == 4);
    CHECK(op.write);
    CHECK_FALSE(op.read);
    CHECK(op.size == 8);
    CHECK(op.effective_address(arch, regs) == 0x1000 + 0x40 + 0x20);
  }
  SECTION("negative displacement") {
    const auto s = semantics(Arch::kX86_64, {0x48, 0x89, 0x7d, 0xe8});  // mov [rbp - 0x18], rdi
    REQUIRE(s.memory_operands.size() == 1);
    CHECK(s.memory_operands[0].effective_address(arch, regs) == 0x7ffc0100 - 0x18);
  }
  SECTION("fs segment base") {
    const auto s = semantics(Arch::kX86_64, {0x64, 0x48, 0x8b, 0x04, 0x25, 0x28, 0, 0, 0});
    REQUIRE(s.memory_operands.size() == 1);
    CHECK(s.memory_operands[0].segment == "fs");
    CHECK(s.memory_operands[0].effective_address(arch, regs) == 0x7f0000000028);
  }
  SECTION("rip-relative operands are resolved against the next instruction") {
    const auto s = semantics(Arch::kX86_64, {0x48, 0x8b, 0x05, 0x10, 0, 0, 0}, 0x401000);
    REQUIRE(s.memory_operands.size() == 1);
    CHECK(s.memory_operands[0].base.empty());
    CHECK(s.memory_operands[0].effective_address(arch, regs) == 0x401007 + 0x10);
  }
  SECTION("32-bit address size wraps") {
    const Registers high = registers_for(Arch::kX86_64, {{"rax", 0x1'0000'0010}});
    const auto s = semantics(Arch::kX86_64, {0x67, 0x8b, 0x00});  // mov eax, dword ptr [eax]
    REQUIRE(s.memory_operands.size() == 1);
    CHECK(s.memory_operands[0].effective_address(arch, high) == 0x10);
  }
  SECTION("push and call write below sp, ret reads at sp") {
    const auto push = semantics(Arch::kX86_64, {0x50});
    REQUIRE(push.memory_operands.size() == 1);
    CHECK(push.memory_operands[0].implicit);
    CHECK(push.memory_operands[0].write);
    CHECK(push.memory_operands[0].effective_address(arch, regs) == 0x7ffc0000 - 8);
    const auto call = semantics(Arch::kX86_64, {0xff, 0x10});  // call qword ptr [rax]
    REQUIRE(call.memory_operands.size() == 2);
    CHECK(call.target_memory == size_t{0});
    CHECK(call.memory_operands[0].read);
    CHECK(call.memory_operands[1].implicit);
    const auto ret = semantics(Arch::kX86_64, {0xc3});
    REQUIRE(ret.memory_operands.size() == 1);
    CHECK(ret.memory_operands[0].read);
    CHECK(ret.memory_operands[0].effective_address(arch, regs) == 0x7ffc0000);
  }
}

TEST_CASE("x86 semantics: branch targets and register flow", "[disasm]") {
  const auto call = semantics(Arch::kX86_64, {0xff, 0xd0});
  CHECK(call.target_register == "rax");
  CHECK(call.is_indirect_branch());
  const auto direct = semantics(Arch::kX86_64, {0xe8, 0x00, 0x00, 0x00, 0x00}, 0x401000);
  CHECK_FALSE(direct.is_indirect_branch());
  CHECK(direct.direct_target == uint64_t{0x401005});

  const auto copy = semantics(Arch::kX86_64, {0x48, 0x89, 0xc2});  // mov rdx, rax
  CHECK(copy.flow == DataFlow::kDerived);
  CHECK(contains(copy.registers_read, "rax"));
  CHECK(contains(copy.registers_written, "rdx"));
  const auto sub32 = semantics(Arch::kX86_64, {0x89, 0xc2});  // mov edx, eax
  CHECK(contains(sub32.registers_read, "rax"));
  CHECK(contains(sub32.registers_written, "rdx"));
  const auto zero = semantics(Arch::kX86_64, {0x31, 0xc0});  // xor eax, eax
  CHECK(zero.flow == DataFlow::kClears);
  const auto imm = semantics(Arch::kX86_64, {0xb8, 1, 0, 0, 0});  // mov eax, 1
  CHECK(imm.flow == DataFlow::kDerived);
  CHECK(imm.registers_read.empty());
  const auto byte_write = semantics(Arch::kX86_64, {0xb0, 0x05});  // mov al, 5: keeps the rest
  CHECK(contains(byte_write.registers_read, "rax"));

  // i386: registers are the 32-bit ones; gs has no known base.
  const auto i386_call = semantics(Arch::kX86, {0xff, 0xd0});
  CHECK(i386_call.target_register == "eax");
  const auto tls = semantics(Arch::kX86, {0x65, 0xa1, 0x14, 0, 0, 0});  // mov eax, gs:[0x14]
  REQUIRE(tls.memory_operands.size() == 1);
  const Registers regs = registers_for(Arch::kX86, {{"eax", 1}});
  CHECK_FALSE(tls.memory_operands[0].effective_address(arch_info(Arch::kX86), regs).has_value());
}

TEST_CASE("analysing a range follows instructions until bad bytes", "[disasm]") {
  BlockMemory memory;
  memory.put(0x2000, {0x48, 0x8b, 0x03, 0x48, 0x89, 0xc2, 0xff, 0xd2, 0xff, 0xff});
  auto analyzer = InstructionAnalyzer::create(arch_info(Arch::kX86_64));
  REQUIRE(analyzer.ok());
  const auto block = (*analyzer)->analyze(memory, 0x2000, 16);
  REQUIRE(block.size() == 3);
  CHECK(block[0].instruction.text() == "mov rax, qword ptr [rbx]");
  CHECK(block[1].instruction.address == 0x2003);
  CHECK(block[2].kind == InstructionKind::kCall);
}

}  // namespace triage

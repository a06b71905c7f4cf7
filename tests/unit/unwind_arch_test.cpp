// Catch2 v2 tests for the architecture-specific pieces of the unwinder: the
// ARM EHABI opcode interpreter and index table, prologue analysis, and the
// return-address checks (Thumb bit, "follows a call") the stack scan uses.
// Instruction bytes are from objdump of the Debian 12 cross glibcs (2.36)
// where an address is given.
#include <catch2/catch.hpp>

#include <elf.h>

#include <cstring>
#include <map>
#include <vector>

#include "triage/unwind/arm_exidx.h"
#include "triage/unwind/prologue.h"
#include "triage/unwind/return_address.h"

using namespace triage;
using namespace triage::unwind_detail;

namespace {

// A stack of 32-bit words from `base` up.
struct FakeStack {
  uint32_t base = 0x1000;
  std::vector<uint32_t> words;
  ReadWord reader() const {
    return [this](uint32_t address) -> std::optional<uint32_t> {
      if (address < base || (address - base) % 4 || (address - base) / 4 >= words.size()) return std::nullopt;
      return words[(address - base) / 4];
    };
  }
};

ArmRegisters registers_with_sp(uint32_t sp) {
  ArmRegisters regs;
  for (int n = 0; n < 16; ++n) {
    regs.r[n] = 0xdead0000u + n;
    regs.known[n] = true;
  }
  regs.r[13] = sp;
  return regs;
}

ExidxStatus run(std::vector<uint8_t> ops, ArmRegisters& regs, const FakeStack& stack, bool* pc_popped = nullptr) {
  return execute_exidx_opcodes(ops, regs, stack.reader(), pc_popped);
}

}  // namespace

TEST_CASE("EHABI opcodes adjust vsp", "[unwind][arm]") {
  FakeStack stack;
  ArmRegisters regs = registers_with_sp(0x1000);
  CHECK(run({0x02}, regs, stack) == ExidxStatus::kOk);  // vsp += 12
  CHECK(regs.r[13] == 0x100c);
  CHECK(run({0x41}, regs, stack) == ExidxStatus::kOk);  // vsp -= 8
  CHECK(regs.r[13] == 0x1004);
  regs.r[13] = 0x1000;
  CHECK(run({0x3f, 0x0c}, regs, stack) == ExidxStatus::kOk);  // 256 + 52, as libc's first extab entry
  CHECK(regs.r[13] == 0x1000 + 256 + 52);
  regs.r[13] = 0x1000;
  CHECK(run({0xb2, 0x81, 0x01}, regs, stack) == ExidxStatus::kOk);  // uleb128 129
  CHECK(regs.r[13] == 0x1000 + 0x204 + 129 * 4);
  regs.r[13] = 0x1000;
  regs.r[7] = 0x2000;
  CHECK(run({0x97}, regs, stack) == ExidxStatus::kOk);  // vsp = r7
  CHECK(regs.r[13] == 0x2000);
}

TEST_CASE("EHABI opcodes skip saved VFP and iWMMXt registers", "[unwind][arm]") {
  FakeStack stack;
  struct Case {
    std::vector<uint8_t> ops;
    uint32_t bytes;
  };
  const Case cases[] = {
      {{0xb3, 0x12}, 3 * 8 + 4},  // d1-d3 by FSTMFDX
      {{0xb9}, 2 * 8 + 4},        // d8-d9 by FSTMFDX
      {{0xc8, 0x01}, 2 * 8},      // d16-d17 by VPUSH
      {{0xc9, 0x83}, 4 * 8},      // d8-d11 by VPUSH
      {{0xd7}, 8 * 8},            // d8-d15 by VPUSH
      {{0xc1}, 2 * 8},            // wR10-wR11
      {{0xc6, 0x21}, 2 * 8},      // wR2-wR3
      {{0xc7, 0x05}, 2 * 4},      // wCGR0, wCGR2
  };
  for (const Case& c : cases) {
    ArmRegisters regs = registers_with_sp(0x1000);
    INFO("first opcode " << int(c.ops[0]));
    CHECK(run(c.ops, regs, stack) == ExidxStatus::kOk);
    CHECK(regs.r[13] == 0x1000 + c.bytes);
  }
}

TEST_CASE("EHABI opcodes pop core registers", "[unwind][arm]") {
  FakeStack stack{0x1000, {10, 11, 12, 13, 14, 15, 16, 17, 18, 19}};
  SECTION("pop r4-r11, r14 (0xaf)") {
    ArmRegisters regs = registers_with_sp(0x1000);
    bool pc_popped = true;
    REQUIRE(run({0xaf, 0xb0}, regs, stack, &pc_popped) == ExidxStatus::kOk);
    for (int n = 4; n <= 11; ++n) CHECK(regs.r[n] == static_cast<uint32_t>(10 + n - 4));
    CHECK(regs.r[14] == 18);
    CHECK(regs.r[13] == 0x1000 + 9 * 4);
    CHECK_FALSE(pc_popped);
  }
  SECTION("pop r4 only (0xa0)") {
    ArmRegisters regs = registers_with_sp(0x1000);
    REQUIRE(run({0xa0}, regs, stack) == ExidxStatus::kOk);
    CHECK(regs.r[4] == 10);
    CHECK(regs.r[5] == 0xdead0005);
    CHECK(regs.r[13] == 0x1004);
  }
  SECTION("pop {r7, pc} under a mask (0x88 0x08)") {
    ArmRegisters regs = registers_with_sp(0x1000);
    bool pc_popped = false;
    REQUIRE(run({0x88, 0x08}, regs, stack, &pc_popped) == ExidxStatus::kOk);
    CHECK(regs.r[7] == 10);
    CHECK(regs.r[15] == 11);
    CHECK(pc_popped);
    CHECK(regs.r[13] == 0x1008);
  }
  SECTION("pop {r14} then finish ends the program (0x84 0x00 0xb0 0x02)") {
    ArmRegisters regs = registers_with_sp(0x1000);
    REQUIRE(run({0x84, 0x00, 0xb0, 0x02}, regs, stack) == ExidxStatus::kOk);
    CHECK(regs.r[14] == 10);
    CHECK(regs.r[13] == 0x1004);
  }
  SECTION("pop {r0-r3} mask (0xb1 0x09: r0, r3)") {
    ArmRegisters regs = registers_with_sp(0x1000);
    REQUIRE(run({0xb1, 0x09}, regs, stack) == ExidxStatus::kOk);
    CHECK(regs.r[0] == 10);
    CHECK(regs.r[3] == 11);
    CHECK(regs.r[1] == 0xdead0001);
    CHECK(regs.r[13] == 0x1008);
  }
  SECTION("a popped sp replaces vsp (0x82 0x00: pop {r13})") {
    stack.words[0] = 0x1020;
    ArmRegisters regs = registers_with_sp(0x1000);
    REQUIRE(run({0x82, 0x00}, regs, stack) == ExidxStatus::kOk);
    CHECK(regs.r[13] == 0x1020);
  }
  SECTION("a word off the stack") {
    ArmRegisters regs = registers_with_sp(0x1000 + 8 * 4);
    CHECK(run({0xaf}, regs, stack) == ExidxStatus::kMemory);
  }
}

TEST_CASE("EHABI refuse, spare and reserved opcodes", "[unwind][arm]") {
  FakeStack stack;
  ArmRegisters regs = registers_with_sp(0x1000);
  CHECK(run({0x80, 0x00}, regs, stack) == ExidxStatus::kRefused);
  CHECK(run({0x9d}, regs, stack) == ExidxStatus::kUnsupported);  // reserved: register to register moves
  CHECK(run({0x9f}, regs, stack) == ExidxStatus::kUnsupported);
  CHECK(run({0xb1, 0x00}, regs, stack) == ExidxStatus::kUnsupported);
  CHECK(run({0xb1, 0x10}, regs, stack) == ExidxStatus::kUnsupported);
  CHECK(run({0xb4}, regs, stack) == ExidxStatus::kUnsupported);
  CHECK(run({0xca}, regs, stack) == ExidxStatus::kUnsupported);
  CHECK(run({0xd8}, regs, stack) == ExidxStatus::kUnsupported);
  CHECK(run({0xff}, regs, stack) == ExidxStatus::kUnsupported);
  CHECK(run({0x84}, regs, stack) == ExidxStatus::kUnsupported);  // cut short
}

namespace {

// A minimal little-endian ELF32 with .text, .ARM.extab and .ARM.exidx.
class ExidxElf {
 public:
  static constexpr uint32_t kText = 0x1000, kExtab = 0x2000, kExidx = 0x3000;

  void add_entry(uint32_t function, uint32_t data) { exidx_.push_back({function, data}); }
  uint32_t add_extab(std::vector<uint32_t> words) {
    uint32_t address = kExtab + 4 * static_cast<uint32_t>(extab_.size());
    extab_.insert(extab_.end(), words.begin(), words.end());
    return address;
  }
  static uint32_t prel31(uint32_t target, uint32_t place) { return (target - place) & 0x7fffffffu; }

  std::vector<std::byte> build() const {
    std::vector<uint32_t> exidx_words;
    for (size_t i = 0; i < exidx_.size(); ++i) {
      uint32_t place = kExidx + 8 * static_cast<uint32_t>(i);
      exidx_words.push_back(prel31(exidx_[i].first, place));
      exidx_words.push_back(exidx_[i].second);
    }
    std::vector<std::byte> file(0x600);
    Elf32_Ehdr ehdr{};
    std::memcpy(ehdr.e_ident, ELFMAG, SELFMAG);
    ehdr.e_ident[EI_CLASS] = ELFCLASS32;
    ehdr.e_ident[EI_DATA] = ELFDATA2LSB;
    ehdr.e_type = ET_DYN;
    ehdr.e_machine = EM_ARM;
    ehdr.e_shoff = 0x400;
    ehdr.e_shentsize = sizeof(Elf32_Shdr);
    ehdr.e_shnum = 4;
    std::memcpy(file.data(), &ehdr, sizeof ehdr);
    auto section = [&](int index, uint32_t type, uint32_t addr, uint32_t offset, const std::vector<uint32_t>& words,
                       uint32_t size) {
      Elf32_Shdr shdr{};
      shdr.sh_type = type;
      shdr.sh_flags = SHF_ALLOC;
      shdr.sh_addr = addr;
      shdr.sh_offset = offset;
      shdr.sh_size = size;
      std::memcpy(file.data() + 0x400 + index * sizeof shdr, &shdr, sizeof shdr);
      if (!words.empty()) std::memcpy(file.data() + offset, words.data(), 4 * words.size());
    };
    section(1, SHT_PROGBITS, kText, 0x100, {}, 0x100);
    section(2, SHT_PROGBITS, kExtab, 0x200, extab_, 4 * static_cast<uint32_t>(extab_.size()));
    section(3, SHT_ARM_EXIDX, kExidx, 0x300, exidx_words, 4 * static_cast<uint32_t>(exidx_words.size()));
    return file;
  }

 private:
  std::vector<std::pair<uint32_t, uint32_t>> exidx_;
  std::vector<uint32_t> extab_;
};

}  // namespace

TEST_CASE("EHABI index table lookup", "[unwind][arm]") {
  ExidxElf elf;
  const uint32_t pr1 = elf.add_extab({0x81010284, 0x00b0b0b0});  // pr1, one more word: vsp += 12; pop {r14}
  const uint32_t pr0 = elf.add_extab({0x80a8b0b0});                  // pr0 in .ARM.extab
  // A generic personality routine (GCC's): its address, then a count and three opcodes.
  const uint32_t generic = elf.add_extab({ExidxElf::prel31(ExidxElf::kText + 0xf0, ExidxElf::kExtab + 12), 0x01a9b0b0,
                                          0x02b0b0b0});
  elf.add_entry(0x1000, 0x80a8b0b0);  // inline: pop {r4, r14}
  elf.add_entry(0x1040, 1);           // EXIDX_CANTUNWIND
  elf.add_entry(0x1080, ExidxElf::prel31(pr1, ExidxElf::kExidx + 2 * 8 + 4));
  elf.add_entry(0x10a0, ExidxElf::prel31(pr0, ExidxElf::kExidx + 3 * 8 + 4));
  elf.add_entry(0x10c0, ExidxElf::prel31(generic, ExidxElf::kExidx + 4 * 8 + 4));
  elf.add_entry(0x10e0, 0x81000000);  // inline entries must be personality 0
  const std::vector<std::byte> file = elf.build();
  auto table = ExidxTable::from_elf(file);
  REQUIRE(table);

  std::vector<uint8_t> ops;
  CHECK(table->opcodes_for(0x0fff, ops) == ExidxStatus::kNoEntry);
  REQUIRE(table->opcodes_for(0x1000, ops) == ExidxStatus::kOk);
  CHECK(ops == std::vector<uint8_t>{0xa8, 0xb0, 0xb0});
  REQUIRE(table->opcodes_for(0x103f, ops) == ExidxStatus::kOk);
  CHECK(ops == std::vector<uint8_t>{0xa8, 0xb0, 0xb0});
  CHECK(table->opcodes_for(0x1050, ops) == ExidxStatus::kCantUnwind);
  REQUIRE(table->opcodes_for(0x1090, ops) == ExidxStatus::kOk);
  CHECK(ops == std::vector<uint8_t>{0x02, 0x84, 0x00, 0xb0, 0xb0, 0xb0});
  REQUIRE(table->opcodes_for(0x10a2, ops) == ExidxStatus::kOk);
  CHECK(ops == std::vector<uint8_t>{0xa8, 0xb0, 0xb0});
  REQUIRE(table->opcodes_for(0x10c4, ops) == ExidxStatus::kOk);
  CHECK(ops == std::vector<uint8_t>{0xa9, 0xb0, 0xb0, 0x02, 0xb0, 0xb0, 0xb0});
  CHECK(table->opcodes_for(0x10e0, ops) == ExidxStatus::kUnsupported);
  CHECK(table->opcodes_for(0xffffff00, ops) == ExidxStatus::kUnsupported);  // the last entry holds it
}

TEST_CASE("EHABI index table needs the section", "[unwind][arm]") {
  std::vector<std::byte> file = ExidxElf().build();  // an empty .ARM.exidx
  CHECK_FALSE(ExidxTable::from_elf(file));
  file[EI_CLASS] = std::byte{ELFCLASS64};
  CHECK_FALSE(ExidxTable::from_elf(file));
  CHECK_FALSE(ExidxTable::from_elf(std::span<const std::byte>(file.data(), 10)));
}

TEST_CASE("Thumb-2 prologue analysis", "[unwind][arm]") {
  // glibc 2.36 armhf abort (0x1e008) up to its first branch: push {r7, lr};
  // sub sp, #144, among loads and a sub.w of r4.
  const std::vector<uint8_t> abort_code = {
      0x4e, 0x4a, 0x1d, 0xee, 0x70, 0x4f, 0x4e, 0x4b, 0xa4, 0xf5, 0xa0, 0x64, 0x7a, 0x44, 0x4d, 0x48,
      0x80, 0xb5, 0x78, 0x44, 0xd3, 0x58, 0xa4, 0xb0, 0x1b, 0x68, 0x23, 0x93, 0x4f, 0xf0, 0x00, 0x03,
      0x83, 0x68, 0xa3, 0x42, 0x10, 0xd0, 0x01, 0x23, 0x11, 0xb0};  // ... beq; movs; add sp (not reached)
  auto prologue = analyze_thumb_prologue(abort_code, 0xa4);
  REQUIRE(prologue);
  CHECK(prologue->frame_size == 152);
  CHECK(prologue->saved[7] == 8u);
  CHECK(prologue->saved[14] == 4u);
  CHECK_FALSE(prologue->saved[4]);

  // Only the instructions before pc count: in the middle of the prologue.
  prologue = analyze_thumb_prologue(abort_code, 0x12);
  REQUIRE(prologue);
  CHECK(prologue->frame_size == 8);

  // push.w {r4-r8, lr}; vpush {d8-d9}; sub.w sp, sp, #0x100; subw sp, sp, #0x10
  const std::vector<uint8_t> wide = {0x2d, 0xe9, 0xf0, 0x41, 0x2d, 0xed, 0x04, 0x8b,
                                     0xad, 0xf5, 0x80, 0x7d, 0xad, 0xf2, 0x10, 0x0d};
  prologue = analyze_thumb_prologue(wide, 0x100);
  REQUIRE(prologue);
  CHECK(prologue->frame_size == 24 + 16 + 0x100 + 0x10);
  CHECK(prologue->saved[4] == 24u);
  CHECK(prologue->saved[14] == 4u);

  CHECK_FALSE(analyze_thumb_prologue(std::vector<uint8_t>{0x80}, 2));
}

TEST_CASE("RISC-V prologue analysis", "[unwind][riscv]") {
  // glibc 2.36 riscv64 abort (0x268c8) up to its first branch.
  const std::vector<uint8_t> abort_code = {
      0x31, 0x71, 0x22, 0xf9, 0x17, 0x04, 0x10, 0x00, 0x13, 0x04, 0xc4, 0x48, 0x1c, 0x64,
      0x17, 0x07, 0x10, 0x00, 0x03, 0x37, 0x27, 0xdc, 0x26, 0xf5, 0x4a, 0xf1, 0x06, 0xfd,
      0x14, 0x63, 0x36, 0xed, 0x81, 0x46, 0x13, 0x09, 0x02, 0x8a, 0xa2, 0x84, 0x63, 0x80,
      0x27, 0x03, 0x05, 0x47};  // ... beq a5,s2; li a4,1 (not reached)
  auto prologue = analyze_riscv_prologue(abort_code, 0xb0, true);
  REQUIRE(prologue);
  CHECK(prologue->frame_size == 192);
  CHECK(prologue->saved[1] == 8u);   // ra at 184(sp)
  CHECK(prologue->saved[8] == 16u);  // s0 at 176(sp)
  CHECK(prologue->saved[9] == 24u);
  CHECK(prologue->saved[18] == 32u);
  CHECK(prologue->saved[13] == 40u);  // sd a3,152(sp) stores a local: harmless, a3 is caller-saved

  // addi sp,sp,-32; sd ra,24(sp) (4-byte forms); then an epilogue's addi sp,sp,32
  const std::vector<uint8_t> wide = {0x13, 0x01, 0x01, 0xfe, 0x23, 0x3c, 0x11, 0x00, 0x13, 0x01, 0x01, 0x02};
  prologue = analyze_riscv_prologue(wide, 0x100, true);
  REQUIRE(prologue);
  CHECK(prologue->frame_size == 32);
  CHECK(prologue->saved[1] == 8u);
}

TEST_CASE("ARM return addresses drop the Thumb bit", "[unwind][arm]") {
  CHECK(return_target(Arch::kArm, 0x4005b1) == 0x4005b0);
  CHECK(return_target(Arch::kArm, 0x4005b0) == 0x4005b0);
  CHECK(return_target(Arch::kAarch64, 0x4005b1) == 0x4005b1);
  CHECK(return_target(Arch::kX86, 0x4005b1) == 0x4005b1);
}

namespace {

std::array<std::byte, 8> tail(std::vector<uint8_t> bytes) {
  std::array<std::byte, 8> before{};
  for (size_t i = 0; i < bytes.size(); ++i) before[8 - bytes.size() + i] = std::byte{bytes[i]};
  return before;
}

}  // namespace

TEST_CASE("Return addresses must follow a call", "[unwind][arm][riscv]") {
  // Thumb bl raise (libc 0x1e0a8: f00f f934) returns to an odd address.
  CHECK(follows_call(Arch::kArm, 0x1e0ad, tail({0x0f, 0xf0, 0x34, 0xf9})));
  CHECK_FALSE(follows_call(Arch::kArm, 0x1e0ac, tail({0x0f, 0xf0, 0x34, 0xf9})));  // not ARM code
  CHECK(follows_call(Arch::kArm, 0x4005b1, tail({0x00, 0xbf, 0x98, 0x47})));        // blx r3
  CHECK(follows_call(Arch::kArm, 0x1001, tail({0xff, 0xf7, 0xde, 0xef})));          // blx <imm>
  CHECK_FALSE(follows_call(Arch::kArm, 0x1001, tail({0x00, 0xbf, 0x70, 0x47})));    // bx lr
  CHECK_FALSE(follows_call(Arch::kArm, 0x1001, tail({0x80, 0xb5, 0x00, 0xaf})));    // push; add r7, sp
  // ARM state: bl, blx r3, blx <imm>; a return address there is word aligned.
  CHECK(follows_call(Arch::kArm, 0x2000, tail({0x10, 0x00, 0x00, 0xeb})));
  CHECK(follows_call(Arch::kArm, 0x2000, tail({0x33, 0xff, 0x2f, 0xe1})));
  CHECK(follows_call(Arch::kArm, 0x2000, tail({0x10, 0x00, 0x00, 0xfa})));
  CHECK_FALSE(follows_call(Arch::kArm, 0x2002, tail({0x10, 0x00, 0x00, 0xeb})));
  CHECK_FALSE(follows_call(Arch::kArm, 0x2000, tail({0x10, 0x00, 0x00, 0xea})));  // b

  // RISC-V: jal ra (abort 0x26908), jalr ra, c.jalr a5; not ret or j.
  CHECK(follows_call(Arch::kRiscv64, 0x2690c, tail({0xef, 0x10, 0x24, 0x78})));
  CHECK(follows_call(Arch::kRiscv64, 0x1004, tail({0xe7, 0x80, 0x07, 0x00})));  // jalr ra, 0(a5)
  CHECK(follows_call(Arch::kRiscv64, 0x1002, tail({0x01, 0x00, 0x82, 0x97})));  // c.jalr a5
  CHECK_FALSE(follows_call(Arch::kRiscv64, 0x1002, tail({0x01, 0x00, 0x82, 0x80})));  // ret
  CHECK_FALSE(follows_call(Arch::kRiscv64, 0x1004, tail({0x6f, 0x00, 0x00, 0x01})));  // j
  CHECK(follows_call(Arch::kRiscv32, 0x1002, tail({0x01, 0x00, 0x01, 0x20})));  // c.jal (RV32 only)
  CHECK_FALSE(follows_call(Arch::kRiscv64, 0x1002, tail({0x01, 0x00, 0x01, 0x20})));  // c.addiw there

  // AArch64 and x86 as before: bl / blr x8; call rel32.
  CHECK(follows_call(Arch::kAarch64, 0x1004, tail({0x10, 0x00, 0x00, 0x94})));
  CHECK(follows_call(Arch::kAarch64, 0x1004, tail({0x00, 0x01, 0x3f, 0xd6})));
  CHECK_FALSE(follows_call(Arch::kAarch64, 0x1004, tail({0xc0, 0x03, 0x5f, 0xd6})));  // ret
  CHECK(follows_call(Arch::kX86_64, 0x1005, tail({0xe8, 0x10, 0x00, 0x00, 0x00})));
  CHECK(follows_call(Arch::kX86, 0x1002, tail({0xff, 0xd0})));  // call *%eax
}

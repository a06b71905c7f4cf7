#include "triage/arch/arch.h"

#include <elf.h>

#include <array>

namespace triage {
namespace {

// struct user_regs_struct order for x86-64 (asm/ptrace.h).
constexpr std::string_view kX86_64Regs[] = {
    "r15", "r14",    "r13",     "r12",     "rbp", "rbx", "r11", "r10", "r9",
    "r8",  "rax",    "rcx",     "rdx",     "rsi", "rdi", "orig_rax", "rip", "cs",
    "eflags", "rsp", "ss", "fs_base", "gs_base", "ds", "es", "fs", "gs"};
// DWARF: rax rdx rcx rbx rsi rdi rbp rsp r8..r15 rip.
constexpr int kX86_64Dwarf[] = {10, 12, 11, 5, 13, 14, 4, 19, 9, 8, 7, 6, 3, 2, 1, 0, 16};

constexpr std::string_view kX86Regs[] = {
    "ebx", "ecx", "edx", "esi",      "edi", "ebp", "eax",    "ds",  "es",
    "fs",  "gs",  "orig_eax", "eip", "cs",  "eflags", "esp", "ss"};
// DWARF: eax ecx edx ebx esp ebp esi edi eip.
constexpr int kX86Dwarf[] = {6, 1, 2, 0, 15, 5, 3, 4, 12};

constexpr std::string_view kArmRegs[] = {"r0", "r1", "r2",  "r3", "r4", "r5",
                                         "r6", "r7", "r8",  "r9", "r10", "fp",
                                         "ip", "sp", "lr",  "pc", "cpsr", "orig_r0"};
constexpr int kArmDwarf[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

constexpr std::string_view kAarch64Regs[] = {
    "x0",  "x1",  "x2",  "x3",  "x4",  "x5",  "x6",  "x7",  "x8",  "x9",  "x10", "x11",
    "x12", "x13", "x14", "x15", "x16", "x17", "x18", "x19", "x20", "x21", "x22", "x23",
    "x24", "x25", "x26", "x27", "x28", "x29", "x30", "sp",  "pc",  "pstate"};
constexpr int kAarch64Dwarf[] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10,
                                 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
                                 22, 23, 24, 25, 26, 27, 28, 29, 30, 31};

// RISC-V prstatus holds pc in slot 0 where x0 (always zero) would be.
constexpr std::string_view kRiscvRegs[] = {
    "pc", "ra", "sp", "gp", "tp",  "t0",  "t1", "t2", "s0", "s1", "a0",
    "a1", "a2", "a3", "a4", "a5",  "a6",  "a7", "s2", "s3", "s4", "s5",
    "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"};
constexpr int kRiscvDwarf[] = {-1, 1,  2,  3,  4,  5,  6,  7,  8,  9,  10,
                               11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
                               22, 23, 24, 25, 26, 27, 28, 29, 30, 31};

const std::array<ArchInfo, 6> kArchs = {{
    {Arch::kX86_64, "x86_64", EM_X86_64, true, 8, 112, kX86_64Regs, 16, 19, 4, -1, kX86_64Dwarf, 16},
    {Arch::kX86, "i386", EM_386, false, 4, 72, kX86Regs, 12, 15, 5, -1, kX86Dwarf, 8},
    {Arch::kArm, "arm", EM_ARM, false, 4, 72, kArmRegs, 15, 13, 11, 14, kArmDwarf, 14},
    {Arch::kAarch64, "aarch64", EM_AARCH64, true, 8, 112, kAarch64Regs, 32, 31, 29, 30, kAarch64Dwarf, 30},
    {Arch::kRiscv64, "riscv64", EM_RISCV, true, 8, 112, kRiscvRegs, 0, 2, 8, 1, kRiscvDwarf, 1},
    {Arch::kRiscv32, "riscv32", EM_RISCV, false, 4, 72, kRiscvRegs, 0, 2, 8, 1, kRiscvDwarf, 1},
}};

}  // namespace

std::optional<int> ArchInfo::register_index(std::string_view wanted) const {
  for (size_t i = 0; i < register_names.size(); ++i)
    if (register_names[i] == wanted) return static_cast<int>(i);
  return std::nullopt;
}

uint64_t ArchInfo::data_address(uint64_t pointer) const {
  if (arch != Arch::kAarch64) return pointer & address_mask();
  constexpr uint64_t kTagMask = 0xff00000000000000ull;
  constexpr uint64_t kBit55 = uint64_t{1} << 55;
  return (pointer & kBit55) != 0 ? pointer | kTagMask : pointer & ~kTagMask;
}

const ArchInfo* find_arch(uint16_t elf_machine, bool is_64bit) {
  for (const ArchInfo& info : kArchs)
    if (info.elf_machine == elf_machine && info.is_64bit == is_64bit) return &info;
  return nullptr;
}

const ArchInfo& arch_info(Arch arch) {
  for (const ArchInfo& info : kArchs)
    if (info.arch == arch) return info;
  return kArchs[0];  // unreachable: every enumerator has a row
}

}  // namespace triage

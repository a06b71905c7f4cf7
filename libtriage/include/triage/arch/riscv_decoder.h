// A RISC-V instruction decoder of our own, for the disassembly and the
// classifier: Capstone 4 (Debian 12) has no RISC-V. RV32 and RV64 with the
// compressed instructions; what it decodes is checked against GNU objdump.
//
// API
//   Decoded decode(const uint8_t* bytes, size_t available, uint64_t pc, Xlen);
//     Decodes the one instruction that starts at `bytes` (little-endian, as in
//     memory / a core dump).  `pc` is its address (used for pc-relative
//     targets), `available` how many bytes may be read.  Never throws, never
//     reads past `available`.
//   std::string_view kind_name(Kind);         "load", "call", ...
//   std::string_view register_name(int reg);  0-31 -> x ABI names, 32-63 -> f ABI names
//   std::string to_text(const Decoded&);      "ld\ta0,8(s0)" (objdump layout)
//
// Coverage (RV32 and RV64)
//   RV32I/RV64I, M, A (lr/sc/amo* with .aq/.rl/.aqrl), F and D *completely*
//   (loads/stores, arithmetic, fused multiply-add, conversions, moves,
//   compares, fclass), Zicsr (CSR names as objdump 2.40 prints them), fence,
//   fence.tso, fence.i, ecall/ebreak, the privileged uret/sret/mret/dret/wfi/
//   sfence.vma, and the whole C extension including the RV32-only c.jal,
//   c.flw(sp)/c.fsw(sp) and the RV64-only c.ld(sp)/c.sd(sp)/c.addiw/c.subw/
//   c.addw, plus the C HINT encodings (printed as objdump does: "c.nop 5",
//   "c.li zero,3", "c.slli64 a0", ...).
//   NOT decoded (they come back as Kind::kIllegal with objdump's fallback text
//   ".4byte 0x..." / ".2byte 0x..." even though some are valid on hardware
//   that implements them): V (vector), B (Zba/Zbb/Zbc/Zbs), Zfh/Q, Zicond,
//   Zcb/Zcmp/Zcmt, H (hypervisor loads, hfence), crypto (Zk*), Zawrs,
//   Zicbo*, custom-0..3 opcodes.  So treat kIllegal as "not decodable here";
//   check the signal (SIGILL) before calling a crash an illegal instruction.
//   Instructions longer than 32 bits (48/64/80+-bit formats, none ratified)
//   report their length with Kind::kIllegal.
//   A few encodings are reserved by the ISA yet printed by objdump 2.40 as
//   instructions; we keep objdump's text but report Kind::kIllegal: RV32
//   shifts with shamt[5] = 1 (slli/srli/srai and c.slli/c.srli/c.srai),
//   c.addi16sp with a zero immediate, and the obsolete "hret".
//   Deliberate divergence from objdump 2.40: the exact conversions fcvt.d.s,
//   fcvt.d.w and fcvt.d.wu with rm != 0 (objdump 2.40 shows ".4byte"; other
//   assemblers emit rm = dyn) decode as instructions with the rounding mode
//   appended (",dyn", ",rtz", ...).
//
// Text output
//   `mnemonic` and `operands` reproduce GNU objdump 2.40 (Debian 12
//   binutils-riscv64-linux-gnu) default output (aliases on) for an
//   rv32gc/rv64gc object, with two differences: branch/jump targets are
//   printed as a bare hex address without objdump's " <symbol+off>", and
//   objdump's "# comment" annotations are not produced.  Note that objdump 2.40
//   prints immediate forms with the register-form mnemonic, which we copy:
//   "add sp,sp,-16" for addi/c.addi, "sll a0,a0,0x20" for slli, "and" for
//   andi, "addw" for addiw, "csrrs a0,0x7c0,3" for csrrsi, etc.  Compressed
//   instructions print as their 32-bit expansion ("ld ra,8(sp)", "ret").
//
// Kind rules
//   kLoad     lb..ld, lbu..lwu, flw/fld and c.lw/c.ld/c.lwsp/c.ldsp/c.flw(sp)/c.fld(sp)
//   kStore    sb..sd, fsw/fsd and their compressed forms
//   kAtomic   lr.*, sc.*, amo*.*              (base = rs1, offset = 0)
//   kBranch   beq/bne/blt/bge/bltu/bgeu, c.beqz/c.bnez
//   kJump     jal with rd = x0 (j, c.j) or with a link register other than ra/t0
//   kJumpRegister  jalr/c.jr not covered by kCall/kReturn
//   kCall     jal/jalr/c.jal/c.jalr whose rd is ra (x1) or t0 (x5); t0 is the
//             ISA's alternate link register (used by -msave-restore millicode)
//   kReturn   jalr x0, 0(ra) / c.jr ra ("ret") and jalr x0, 0(t0) ("jr t0",
//             the millicode return); per the ISA's return-address-stack hints
//   kSystem   ecall, ebreak, c.ebreak, uret/sret/mret/dret, wfi, sfence.vma and
//             all Zicsr instructions (csrr*, frflags, rdcycle, ...)
//   kIllegal  the all-zero 16-bit word ("unimp"), the canonical 32-bit
//             `unimp` 0xc0001073 (csrrw x0,cycle,x0, a write to a read-only
//             CSR), reserved encodings, undecoded extensions (see above) and
//             truncated input (`truncated` is set then)
//   kOther    everything else (ALU, lui/auipc, fence*, F/D arithmetic, HINTs)
//
// Register numbering in Decoded: 0-31 are x0-x31, 32-63 are f0-f31
// (kFpRegisterBase + n).  x0 is never listed in source_registers and never
// reported as dest_register (it is hard-wired to zero); `base` can be 0.
//
// Thread-safe: decode() keeps no state.  C++20, standard library only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace triage::riscv {

enum class Xlen { k32, k64 };

enum class Kind {
  kOther,
  kLoad,
  kStore,
  kAtomic,         // lr/sc/amo
  kBranch,         // conditional
  kJump,           // jal x0 / c.j (direct)
  kJumpRegister,   // jalr / c.jr that is neither a call nor a return
  kCall,           // jal/jalr/c.jal/c.jalr linking ra (or t0)
  kReturn,         // ret (jalr x0,0(ra) / c.jr ra), jr t0
  kSystem,         // ecall/ebreak/xret/wfi/sfence.vma/csr*
  kIllegal,
};

inline constexpr int kFpRegisterBase = 32;  // register numbers 32..63 are f0..f31

struct Decoded {
  unsigned length = 0;        // 2 or 4 (6/8/10+ for reserved long formats);
                              // known from the first byte, so it is set even
                              // when truncated; 0 only if available == 0 (or
                              // a lone first byte of an 80+-bit encoding)
  bool truncated = false;     // fewer than `length` bytes were available
  uint32_t raw = 0;           // the instruction word (16 or 32 bits)
  Kind kind = Kind::kIllegal;
  std::string mnemonic;       // objdump 2.40 text, e.g. "ld", "ret", ".4byte";
                              // empty if truncated
  std::string operands;       // e.g. "a0,8(s0)"; targets as bare hex "1c"

  // Memory access (kLoad/kStore/kAtomic): base register, signed offset and
  // access size in bytes.  For jalr-type instructions `offset` holds the
  // immediate added to target_register (base stays -1).
  int base = -1;
  int64_t offset = 0;
  unsigned access_size = 0;

  int target_register = -1;        // jalr/c.jr/c.jalr/ret: register holding the target
  int link_register = -1;          // jal/jalr/c.jal/c.jalr: rd (0 = none); -1 otherwise
  std::optional<uint64_t> target;  // pc-relative targets of jal/c.jal/c.j/branches
  int dest_register = -1;          // register written (loads: rd), -1 if none
  std::vector<int> source_registers;  // registers read (no duplicates, no x0)
};

Decoded decode(const uint8_t* bytes, size_t available, uint64_t pc, Xlen xlen);

std::string_view kind_name(Kind kind);
std::string_view register_name(int reg);
std::string to_text(const Decoded& d);

}  // namespace triage::riscv

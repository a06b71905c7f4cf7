// Catch2 v2 tests for triage::riscv::decode.
//
// Every vector below was taken from real `riscv64-linux-gnu-objdump -d`
// (binutils 2.40, Debian 12) output: Debian's riscv64 glibc (libc.so.6,
// libm.so.6) and GCC 12 objects built from corpus-samples/crashes/*.c and a
// few more C files with riscv64-linux-gnu-gcc.  The source
// and address are given in the comment; `word` is the value objdump shows.
// Targets are objdump's address without the "<symbol>" annotation.
#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "triage/arch/riscv_decoder.h"

using triage::riscv::decode;
using triage::riscv::Decoded;
using triage::riscv::Kind;
using triage::riscv::kFpRegisterBase;
using triage::riscv::Xlen;

namespace {

constexpr Xlen k32 = Xlen::k32;
constexpr Xlen k64 = Xlen::k64;

// Register numbers used below.
enum : int { zero = 0, ra = 1, sp = 2, t0 = 5, t1 = 6, t2 = 7, s0 = 8, a0 = 10, a1 = 11,
             a2 = 12, a3 = 13, a4 = 14, a5 = 15, a6 = 16, s2 = 18, s5 = 21, s9 = 25 };
constexpr int f(int n) { return kFpRegisterBase + n; }
enum : int { fa5 = 15, fs0 = 8, fs2 = 18, fa1 = 11 };

struct Vector {
  const char* where;  // source of the objdump line
  Xlen xlen;
  uint64_t pc;
  uint32_t word;      // as objdump prints it
  unsigned length;
  Kind kind;
  const char* mnemonic;
  const char* operands;
  int base = -1;
  int64_t offset = 0;
  unsigned size = 0;
  std::optional<uint64_t> target = std::nullopt;
};

std::vector<uint8_t> bytes_of(uint32_t word, unsigned length) {
  std::vector<uint8_t> b;
  for (unsigned i = 0; i < length; ++i) b.push_back(static_cast<uint8_t>(word >> (8 * i)));
  return b;
}

Decoded run(Xlen xlen, uint64_t pc, uint32_t word, unsigned length) {
  const auto b = bytes_of(word, length);
  return decode(b.data(), b.size(), pc, xlen);
}

// clang-format off
const Vector kVectors[] = {
  // ---- RV64GC, compressed ------------------------------------------------
  {"libc.so.6 268c0", k64, 0x268c0, 0x1141, 2, Kind::kOther,  "add",  "sp,sp,-16"},          // c.addi
  {"libc.so.6 268c2", k64, 0x268c2, 0xe406, 2, Kind::kStore,  "sd",   "ra,8(sp)", sp, 8, 8},  // c.sdsp (RV64)
  {"libc.so.6 26a4c", k64, 0x26a4c, 0x6442, 2, Kind::kLoad,   "ld",   "s0,16(sp)", sp, 16, 8},// c.ldsp (RV64)
  {"libc.so.6 26a9a", k64, 0x26a9a, 0x8082, 2, Kind::kReturn, "ret",  ""},                    // c.jr ra
  {"libc.so.6 268e8", k64, 0x268e8, 0x4681, 2, Kind::kOther,  "li",   "a3,0"},                // c.li
  {"libc.so.6 26910", k64, 0x26910, 0x405c, 2, Kind::kLoad,   "lw",   "a5,4(s0)", s0, 4, 4},  // c.lw
  {"libc.so.6 26a48", k64, 0x26a48, 0xc380, 2, Kind::kStore,  "sw",   "s0,0(a5)", a5, 0, 4},  // c.sw
  {"libc.so.6 26902", k64, 0x26902, 0x2781, 2, Kind::kOther,  "sext.w", "a5,a5"},             // c.addiw 0 (RV64)
  {"libc.so.6 26914", k64, 0x26914, 0x2785, 2, Kind::kOther,  "addw", "a5,a5,1"},             // c.addiw (RV64)
  {"libc.so.6 268e4", k64, 0x268e4, 0x6314, 2, Kind::kLoad,   "ld",   "a3,0(a4)", a4, 0, 8},  // c.ld (RV64)
  {"libc.so.6 26a50", k64, 0x26a50, 0xe78c, 2, Kind::kStore,  "sd",   "a1,8(a5)", a5, 8, 8},  // c.sd (RV64)
  {"libc.so.6 2ea9c", k64, 0x2ea9c, 0x9d1d, 2, Kind::kOther,  "subw", "a0,a0,a5"},            // c.subw (RV64)
  {"libc.so.6 277b4", k64, 0x277b4, 0x9e29, 2, Kind::kOther,  "addw", "a2,a2,a0"},            // c.addw (RV64)
  {"libc.so.6 269aa", k64, 0x269aa, 0xa021, 2, Kind::kJump,   "j",    "269b2", -1, 0, 0, 0x269b2},  // c.j
  {"libc.so.6 26904", k64, 0x26904, 0xc781, 2, Kind::kBranch, "beqz", "a5,2690c", -1, 0, 0, 0x2690c},
  {"libc.so.6 268fa", k64, 0x268fa, 0xe781, 2, Kind::kBranch, "bnez", "a5,26902", -1, 0, 0, 0x26902},
  {"libc.so.6 26b02", k64, 0x26b02, 0x9782, 2, Kind::kCall,   "jalr", "a5"},                  // c.jalr
  {"libc.so.6 26d44", k64, 0x26d44, 0x8782, 2, Kind::kJumpRegister, "jr", "a5"},              // c.jr
  {"libc.so.6 26c3e", k64, 0x26c3e, 0x8282, 2, Kind::kReturn, "jr",   "t0"},                  // millicode return
  {"libc.so.6 28fbe", k64, 0x28fbe, 0x8302, 2, Kind::kJumpRegister, "jr", "t1"},              // tail call
  {"libc.so.6 268ee", k64, 0x268ee, 0x84a2, 2, Kind::kOther,  "mv",   "s1,s0"},               // c.mv
  {"libc.so.6 26bca", k64, 0x26bca, 0x97ba, 2, Kind::kOther,  "add",  "a5,a5,a4"},            // c.add
  {"libc.so.6 26c24", k64, 0x26c24, 0x737d, 2, Kind::kOther,  "lui",  "t1,0xfffff"},          // c.lui
  {"libc.so.6 26efc", k64, 0x26efc, 0x050a, 2, Kind::kOther,  "sll",  "a0,a0,0x2"},           // c.slli
  {"libc.so.6 2761e", k64, 0x2761e, 0x9381, 2, Kind::kOther,  "srl",  "a5,a5,0x20"},          // c.srli, shamt 32
  {"libc.so.6 2a540", k64, 0x2a540, 0x8709, 2, Kind::kOther,  "sra",  "a4,a4,0x2"},           // c.srai
  {"libc.so.6 270b6", k64, 0x270b6, 0x9bc1, 2, Kind::kOther,  "and",  "a5,a5,-16"},           // c.andi
  {"libc.so.6 26ed4", k64, 0x26ed4, 0x8f95, 2, Kind::kOther,  "sub",  "a5,a5,a3"},            // c.sub
  {"libc.so.6 277c0", k64, 0x277c0, 0x8ed1, 2, Kind::kOther,  "or",   "a3,a3,a2"},            // c.or
  {"libc.so.6 26ac4", k64, 0x26ac4, 0x1008, 2, Kind::kOther,  "add",  "a0,sp,32"},            // c.addi4spn
  {"libc.so.6 26a5c", k64, 0x26a5c, 0x6105, 2, Kind::kOther,  "add",  "sp,sp,32"},            // c.addi16sp
  {"libc.so.6 3631c", k64, 0x3631c, 0x3920, 2, Kind::kLoad,   "fld",  "fs0,112(a0)", a0, 112, 8},  // c.fld
  {"libc.so.6 36250", k64, 0x36250, 0xb920, 2, Kind::kStore,  "fsd",  "fs0,112(a0)", a0, 112, 8},  // c.fsd
  {"libc.so.6 35f08", k64, 0x35f08, 0x2422, 2, Kind::kLoad,   "fld",  "fs0,8(sp)", sp, 8, 8}, // c.fldsp
  {"libc.so.6 35ed8", k64, 0x35ed8, 0xa422, 2, Kind::kStore,  "fsd",  "fs0,8(sp)", sp, 8, 8}, // c.fsdsp
  {"libc.so.6 2aea6", k64, 0x2aea6, 0xd83e, 2, Kind::kStore,  "sw",   "a5,48(sp)", sp, 48, 4},// c.swsp
  {"libc.so.6 26ce4", k64, 0x26ce4, 0x47c2, 2, Kind::kLoad,   "lw",   "a5,16(sp)", sp, 16, 4},// c.lwsp
  {"libc.so.6 269f0", k64, 0x269f0, 0x9002, 2, Kind::kSystem, "ebreak", ""},                  // c.ebreak
  {"libc.so.6 26c22", k64, 0x26c22, 0x0001, 2, Kind::kOther,  "nop",  ""},                    // c.nop
  {"libc.so.6 26c40", k64, 0x26c40, 0x0000, 2, Kind::kIllegal, "unimp", ""},                  // all-zero parcel

  // ---- RV64GC, 32-bit ----------------------------------------------------
  {"libc.so.6 267a0", k64, 0x267a0, 0x00100397, 4, Kind::kOther, "auipc", "t2,0x100"},
  {"libc.so.6 268c4", k64, 0x268c4, 0x004000ef, 4, Kind::kCall,  "jal",   "268c8", -1, 0, 0, 0x268c8},
  {"abort-signal.o 2c (rv64gc -O2)", k64, 0x2c, 0x000080e7, 4, Kind::kCall, "jalr", "ra"},
  {"abort-signal.o 4 (rv64gc -Os -msave-restore)", k64, 0x4, 0x000302e7, 4, Kind::kCall, "jalr", "t0,t1"},
  {"libc.so.6 26a5e", k64, 0x26a5e, 0x24c9106f, 4, Kind::kJump,  "j",     "b7caa", -1, 0, 0, 0xb7caa},
  {"libc.so.6 28456", k64, 0x28456, 0x00f04363, 4, Kind::kBranch, "bgtz", "a5,2845c", -1, 0, 0, 0x2845c},
  {"libc.so.6 268f0", k64, 0x268f0, 0x03278063, 4, Kind::kBranch, "beq",  "a5,s2,26910", -1, 0, 0, 0x26910},
  {"libc.so.6 26ef0", k64, 0x26ef0, 0x08a7e763, 4, Kind::kBranch, "bltu", "a5,a0,26f7e", -1, 0, 0, 0x26f7e},
  {"libc.so.6 27662", k64, 0x27662, 0x0e054063, 4, Kind::kBranch, "bltz", "a0,27742", -1, 0, 0, 0x27742},
  {"libc.so.6 2855c", k64, 0x2855c, 0xf6846c83, 4, Kind::kLoad,  "lwu",   "s9,-152(s0)", s0, -152, 4},  // RV64
  {"libc.so.6 26a20", k64, 0x26a20, 0x6aa7c783, 4, Kind::kLoad,  "lbu",   "a5,1706(a5)", a5, 1706, 1},
  {"libc.so.6 6c2b2", k64, 0x6c2b2, 0xdf271703, 4, Kind::kLoad,  "lh",    "a4,-526(a4)", a4, -526, 2},
  {"libc.so.6 267a8", k64, 0x267a8, 0xd603be03, 4, Kind::kLoad,  "ld",    "t3,-672(t2)", t2, -672, 8},
  {"libc.so.6 270d0", k64, 0x270d0, 0x00f50023, 4, Kind::kStore, "sb",    "a5,0(a0)", a0, 0, 1},
  {"libc.so.6 2c98e", k64, 0x2c98e, 0x00f41023, 4, Kind::kStore, "sh",    "a5,0(s0)", s0, 0, 2},
  {"libc.so.6 2690c", k64, 0x2690c, 0x01243423, 4, Kind::kStore, "sd",    "s2,8(s0)", s0, 8, 8},
  {"libc.so.6 267ac", k64, 0x267ac, 0xfd430313, 4, Kind::kOther, "add",   "t1,t1,-44"},       // addi
  {"libc.so.6 2691e", k64, 0x2691e, 0x02000793, 4, Kind::kOther, "li",    "a5,32"},
  {"libc.so.6 26bd8", k64, 0x26bd8, 0x020b1713, 4, Kind::kOther, "sll",   "a4,s6,0x20"},      // slli
  {"libc.so.6 276b8", k64, 0x276b8, 0x000a8d1b, 4, Kind::kOther, "sext.w", "s10,s5"},         // addiw
  {"libc.so.6 2aef2", k64, 0x2aef2, 0x0ff7f793, 4, Kind::kOther, "zext.b", "a5,a5"},          // andi 255
  {"libc.so.6 31332", k64, 0x31332, 0x40e006bb, 4, Kind::kOther, "negw",  "a3,a4"},
  {"libc.so.6 27562", k64, 0x27562, 0x029984b3, 4, Kind::kOther, "mul",   "s1,s3,s1"},
  {"libc.so.6 68096", k64, 0x68096, 0x0ce7a72f, 4, Kind::kAtomic, "amoswap.w.aq", "a4,a4,(a5)", a5, 0, 4},
  {"libc.so.6 268f6", k64, 0x268f6, 0x100427af, 4, Kind::kAtomic, "lr.w",    "a5,(s0)", s0, 0, 4},
  {"libc.so.6 268fc", k64, 0x268fc, 0x1ce426af, 4, Kind::kAtomic, "sc.w.aq", "a3,a4,(s0)", s0, 0, 4},
  {"libc.so.6 37c0e", k64, 0x37c0e, 0x00f7302f, 4, Kind::kAtomic, "amoadd.d", "zero,a5,(a4)", a4, 0, 8},
  {"libc.so.6 6a7ca", k64, 0x6a7ca, 0x1008362f, 4, Kind::kAtomic, "lr.d",    "a2,(a6)", a6, 0, 8},
  {"libc.so.6 3915e", k64, 0x3915e, 0x0ff0000f, 4, Kind::kOther,  "fence",   ""},
  {"libc.so.6 26958", k64, 0x26958, 0x0f50000f, 4, Kind::kOther,  "fence",   "iorw,ow"},
  {"libc.so.6 26930", k64, 0x26930, 0x00000073, 4, Kind::kSystem, "ecall",   ""},
  {"bad-instruction.o 54", k64, 0x54, 0x00100073, 4, Kind::kSystem, "ebreak", ""},
  {"libc.so.6 35ee2", k64, 0x35ee2, 0x00102773, 4, Kind::kSystem, "frflags", "a4"},
  {"libc.so.6 35eea", k64, 0x35eea, 0x00171073, 4, Kind::kSystem, "fsflags", "a4"},
  {"libc.so.6 ef1f6", k64, 0xef1f6, 0x00172073, 4, Kind::kSystem, "csrs",    "fflags,a4"},
  {"extra.o 1fc (rv64gc -O2)", k64, 0x1fc, 0xc0002573, 4, Kind::kSystem, "rdcycle", "a0"},
  {"extra.o 22c (rv64gc -O2)", k64, 0x22c, 0xc0001073, 4, Kind::kIllegal, "unimp", ""},
  {"libc.so.6 35ff0", k64, 0x35ff0, 0x0d47a787, 4, Kind::kLoad,  "flw", "fa5,212(a5)", a5, 212, 4},
  {"libc.so.6 35fc2", k64, 0x35fc2, 0x00f52027, 4, Kind::kStore, "fsw", "fa5,0(a0)", a0, 0, 4},
  {"libc.so.6 35d02", k64, 0x35d02, 0xa826b787, 4, Kind::kLoad,  "fld", "fa5,-1406(a3)", a3, -1406, 8},
  {"libc.so.6 36254", k64, 0x36254, 0x09253027, 4, Kind::kStore, "fsd", "fs2,128(a0)", a0, 128, 8},
  {"libc.so.6 48ce4", k64, 0x48ce4, 0xd20a87d3, 4, Kind::kOther, "fcvt.d.w", "fa5,s5"},
  {"libc.so.6 35cc0", k64, 0x35cc0, 0xe2050753, 4, Kind::kOther, "fmv.x.d",  "a4,fa0"},
  {"libm.so.6 24bd8", k64, 0x24bd8, 0x7aa577c3, 4, Kind::kOther, "fmadd.d",  "fa5,fa0,fa0,fa5"},
  {"libm.so.6 25e8c", k64, 0x25e8c, 0xc20797d3, 4, Kind::kOther, "fcvt.w.d", "a5,fa5,rtz"},

  // ---- RV32 (rv32gc / rv32imafc objects, rv32-linked executables) ---------
  {"rv32gc-O2-branch-av-near-null.elf 100cc", k32, 0x100cc, 0x2831, 2, Kind::kCall, "jal", "100e8", -1, 0, 0, 0x100e8},  // c.jal (RV32)
  {"rv32gc-O2/extra.o 0",   k32, 0x0,   0x61dc, 2, Kind::kLoad,  "flw", "fa5,4(a1)", a1, 4, 4},    // c.flw (RV32)
  {"rv32gc-O2/extra.o 124", k32, 0x124, 0xe10c, 2, Kind::kStore, "fsw", "fa1,0(a0)", a0, 0, 4},    // c.fsw (RV32)
  {"rv32imafc-O2/extra.o 340", k32, 0x340, 0x6432, 2, Kind::kLoad,  "flw", "fs0,12(sp)", sp, 12, 4},  // c.flwsp
  {"rv32imafc-O2/extra.o 276", k32, 0x276, 0xe622, 2, Kind::kStore, "fsw", "fs0,12(sp)", sp, 12, 4},  // c.fswsp
  {"rv32gc-O2/extra.o 102", k32, 0x102, 0x291c, 2, Kind::kLoad,  "fld", "fa5,16(a0)", a0, 16, 8},  // c.fld
  {"rv32gc-O2/abort-signal.o 14", k32, 0x14, 0x4388, 2, Kind::kLoad,  "lw", "a0,0(a5)", a5, 0, 4},
  {"rv32gc-O2/abort-signal.o 2",  k32, 0x2,  0xc606, 2, Kind::kStore, "sw", "ra,12(sp)", sp, 12, 4},
  {"rv32gc-O2/bad-instruction.o 4c", k32, 0x4c, 0xbfc1, 2, Kind::kJump, "j", "1c", -1, 0, 0, 0x1c},
  {"rv32gc-O2/abort-signal.o 5a", k32, 0x5a, 0x8082, 2, Kind::kReturn, "ret", ""},
  {"rv32gc-O2-gun.elf 11156", k32, 0x11156, 0x9e8ff0ef, 4, Kind::kCall, "jal", "1033e", -1, 0, 0, 0x1033e},
  {"rv32gc-O2/extra.o 1ac", k32, 0x1ac, 0xc80025f3, 4, Kind::kSystem, "rdcycleh", "a1"},          // RV32-only alias
  {"rv32gc-O2/extra.o 13e", k32, 0x13e, 0x04e7a52f, 4, Kind::kAtomic, "amoadd.w.aq", "a0,a4,(a5)", a5, 0, 4},
  {"rv32gc-O2/extra.o 162", k32, 0x162, 0x140727af, 4, Kind::kAtomic, "lr.w.aq", "a5,(a4)", a4, 0, 4},
  {"rv32gc-O2/extra.o 280", k32, 0x280, 0xd00477d3, 4, Kind::kOther, "fcvt.s.w", "fa5,s0"},

  // ---- the same bits, other XLEN: objdump's exhaustive 16-bit sweep
  //      (gen_ref.py c16) and 32-bit encodings RV32 does not have --------------
  {"c16 sweep rv32 949e", k32, 0x949e, 0x6314, 2, Kind::kLoad,  "flw", "fa3,0(a4)", a4, 0, 4},   // c.ld bits on RV32
  {"c16 sweep rv32 3b42", k32, 0x3b42, 0x2781, 2, Kind::kCall,  "jal", "4282", -1, 0, 0, 0x4282}, // c.addiw bits on RV32
  {"c16 sweep rv32 15b52", k32, 0x15b52, 0xe78c, 2, Kind::kStore, "fsw", "fa1,8(a5)", a5, 8, 4},
  {"c16 sweep rv32 ebac", k32, 0xebac, 0x9d1d, 2, Kind::kIllegal, ".2byte", "0x9d1d"},           // c.subw: RV64 only
  {"c16 sweep rv64 3c4a", k64, 0x3c4a, 0x2831, 2, Kind::kOther, "addw", "a6,a6,12"},              // c.jal bits on RV64
  {"lwu on rv32", k32, 0x0, 0xf6846c83, 4, Kind::kIllegal, ".4byte", "0xf6846c83"},
  {"addiw on rv32", k32, 0x0, 0x000a8d1b, 4, Kind::kIllegal, ".4byte", "0xa8d1b"},
  {"amoadd.d on rv32", k32, 0x0, 0x00f7302f, 4, Kind::kIllegal, ".4byte", "0xf7302f"},
};
// clang-format on

}  // namespace

TEST_CASE("real objdump vectors decode identically", "[riscv][vectors]") {
  for (const Vector& v : kVectors) {
    CAPTURE(v.where, v.word);
    const Decoded d = run(v.xlen, v.pc, v.word, v.length);
    CHECK(d.length == v.length);
    CHECK_FALSE(d.truncated);
    CHECK(d.raw == v.word);
    CHECK(triage::riscv::kind_name(d.kind) == triage::riscv::kind_name(v.kind));
    CHECK(d.mnemonic == v.mnemonic);
    CHECK(d.operands == v.operands);
    CHECK(d.base == v.base);
    if (v.kind == Kind::kLoad || v.kind == Kind::kStore || v.kind == Kind::kAtomic)
      CHECK(d.offset == v.offset);
    CHECK(d.access_size == v.size);
    CHECK(d.target == v.target);
  }
}

TEST_CASE("vector table covers every kind, both sizes and both XLENs", "[riscv][vectors]") {
  std::vector<int> seen(static_cast<size_t>(Kind::kIllegal) + 1, 0);
  int compressed = 0, full = 0, rv32 = 0, rv64 = 0;
  for (const Vector& v : kVectors) {
    seen[static_cast<size_t>(v.kind)]++;
    (v.length == 2 ? compressed : full)++;
    (v.xlen == k32 ? rv32 : rv64)++;
  }
  for (size_t k = 0; k < seen.size(); ++k) {
    CAPTURE(triage::riscv::kind_name(static_cast<Kind>(k)));
    CHECK(seen[k] > 0);
  }
  CHECK(compressed >= 20);
  CHECK(full >= 20);
  CHECK(rv32 >= 10);
  CHECK(rv64 >= 10);
  CHECK(sizeof kVectors / sizeof kVectors[0] >= 60);
}

TEST_CASE("registers: loads, stores, atomics", "[riscv][registers]") {
  SECTION("c.ldsp ld s0,16(sp)") {
    const Decoded d = run(k64, 0, 0x6442, 2);
    CHECK(d.dest_register == s0);
    CHECK(d.source_registers == std::vector<int>{sp});
  }
  SECTION("c.sdsp sd ra,8(sp): base first, then the stored value") {
    const Decoded d = run(k64, 0, 0xe406, 2);
    CHECK(d.dest_register == -1);
    CHECK(d.source_registers == std::vector<int>{sp, ra});
  }
  SECTION("fld fa5,-1406(a3): FP destination is numbered 32+n") {
    const Decoded d = run(k64, 0, 0xa826b787, 4);
    CHECK(d.dest_register == f(fa5));
    CHECK(d.source_registers == std::vector<int>{a3});
    CHECK(triage::riscv::register_name(d.dest_register) == "fa5");
  }
  SECTION("c.fsdsp fsd fs0,8(sp): FP source") {
    const Decoded d = run(k64, 0, 0xa422, 2);
    CHECK(d.source_registers == std::vector<int>{sp, f(fs0)});
  }
  SECTION("sw zero is not a source") {
    // sw zero,8(sp) = 0x00012423
    const Decoded d = run(k64, 0, 0x00012423, 4);
    CHECK(d.kind == Kind::kStore);
    CHECK(d.operands == "zero,8(sp)");
    CHECK(d.source_registers == std::vector<int>{sp});
  }
  SECTION("sc.w.aq a3,a4,(s0)") {
    const Decoded d = run(k64, 0, 0x1ce426af, 4);
    CHECK(d.dest_register == a3);
    CHECK(d.source_registers == std::vector<int>{s0, a4});
  }
  SECTION("amoadd.d zero,a5,(a4): no destination") {
    const Decoded d = run(k64, 0, 0x00f7302f, 4);
    CHECK(d.dest_register == -1);
    CHECK(d.source_registers == std::vector<int>{a4, a5});
  }
  SECTION("lwu s9,-152(s0)") {
    const Decoded d = run(k64, 0, 0xf6846c83, 4);
    CHECK(d.dest_register == s9);
  }
}

TEST_CASE("registers: control flow", "[riscv][registers]") {
  SECTION("ret") {
    const Decoded d = run(k64, 0, 0x8082, 2);
    CHECK(d.target_register == ra);
    CHECK(d.link_register == 0);
    CHECK_FALSE(d.target.has_value());
  }
  SECTION("32-bit ret (jalr zero,0(ra))") {
    const Decoded d = run(k64, 0, 0x00008067, 4);
    CHECK(d.kind == Kind::kReturn);
    CHECK(d.mnemonic == "ret");
  }
  SECTION("c.jalr a5") {
    const Decoded d = run(k64, 0, 0x9782, 2);
    CHECK(d.target_register == a5);
    CHECK(d.link_register == ra);
    CHECK(d.dest_register == ra);
    CHECK(d.source_registers == std::vector<int>{a5});
  }
  SECTION("jalr t0,t1 (call through the alternate link register)") {
    const Decoded d = run(k64, 4, 0x000302e7, 4);
    CHECK(d.kind == Kind::kCall);
    CHECK(d.target_register == t1);
    CHECK(d.link_register == t0);
  }
  SECTION("jalr with offset keeps it in `offset`") {
    // jalr 8(a5) = jalr ra,8(a5) = 0x008780e7
    const Decoded d = run(k64, 0, 0x008780e7, 4);
    CHECK(d.kind == Kind::kCall);
    CHECK(d.operands == "8(a5)");
    CHECK(d.target_register == a5);
    CHECK(d.offset == 8);
    CHECK(d.base == -1);
  }
  SECTION("jal ra and c.j targets; j links nothing") {
    const Decoded call = run(k64, 0x268c4, 0x004000ef, 4);
    CHECK(call.link_register == ra);
    const Decoded j = run(k64, 0x269aa, 0xa021, 2);
    CHECK(j.link_register == 0);
    CHECK(j.dest_register == -1);
  }
  SECTION("backward branch target") {
    // rv32gc-O2/bad-instruction.o 4c: bfc1 j 1c
    CHECK(run(k32, 0x4c, 0xbfc1, 2).target == uint64_t{0x1c});
  }
  SECTION("RV32 targets wrap at 32 bits") {
    // jal zero,-4 at pc 0 = 0xffdff06f
    const Decoded d = run(k32, 0, 0xffdff06f, 4);
    CHECK(d.target == uint64_t{0xfffffffc});
    CHECK(d.operands == "fffffffc");
    const Decoded d64 = run(k64, 0, 0xffdff06f, 4);
    CHECK(d64.target == uint64_t{0xfffffffffffffffc});
  }
  SECTION("branch reads both registers") {
    const Decoded d = run(k64, 0x268f0, 0x03278063, 4);  // beq a5,s2
    CHECK(d.source_registers == std::vector<int>{a5, s2});
  }
}

TEST_CASE("illegal and truncated input", "[riscv][illegal]") {
  SECTION("all-zero 16-bit word is the defined illegal instruction") {
    const uint8_t z[4] = {0, 0, 0, 0};
    const Decoded d = decode(z, sizeof z, 0x1000, k64);
    CHECK(d.length == 2);
    CHECK(d.kind == Kind::kIllegal);
    CHECK(d.mnemonic == "unimp");
    CHECK_FALSE(d.truncated);
  }
  SECTION("unimp = csrrw zero,cycle,zero") {
    const Decoded d = run(k32, 0, 0xc0001073, 4);
    CHECK(d.kind == Kind::kIllegal);
    CHECK(d.mnemonic == "unimp");
    CHECK(d.length == 4);
  }
  SECTION("1 byte of a 4-byte instruction") {
    const uint8_t b[1] = {0x97};  // first byte of auipc t2,0x100 (00100397)
    const Decoded d = decode(b, 1, 0, k64);
    CHECK(d.length == 4);
    CHECK(d.truncated);
    CHECK(d.kind == Kind::kIllegal);
    CHECK(d.mnemonic.empty());
  }
  SECTION("3 bytes of a 4-byte instruction") {
    const uint8_t b[3] = {0x97, 0x03, 0x10};
    const Decoded d = decode(b, 3, 0, k64);
    CHECK(d.length == 4);
    CHECK(d.truncated);
  }
  SECTION("1 byte of a 2-byte instruction") {
    const uint8_t b[1] = {0x41};
    const Decoded d = decode(b, 1, 0, k64);
    CHECK(d.length == 2);
    CHECK(d.truncated);
  }
  SECTION("nothing available") {
    const Decoded d = decode(nullptr, 0, 0, k64);
    CHECK(d.length == 0);
    CHECK(d.kind == Kind::kIllegal);
  }
  SECTION("reserved encodings print like objdump") {
    CHECK(run(k64, 0, 0x4002, 2).mnemonic == ".2byte");  // c.lwsp zero
    CHECK(run(k64, 0, 0x8002, 2).kind == Kind::kIllegal);  // c.jr zero
    const Decoded d = run(k64, 0, 0xffffffb3, 4);
    CHECK(d.kind == Kind::kIllegal);
    CHECK(d.operands == "0xffffffb3");
  }
  SECTION("RV32 shift by >= 32 keeps objdump's text but is illegal") {
    // objdump (rv32) prints 020e9e13 as "sll t3,t4,0x20"
    const Decoded d = run(k32, 0, 0x020e9e13, 4);
    CHECK(d.mnemonic == "sll");
    CHECK(d.operands == "t3,t4,0x20");
    CHECK(d.kind == Kind::kIllegal);
  }
  SECTION("48-bit format reports its length") {
    const uint8_t b[6] = {0x1f, 0, 0, 0, 0, 0};
    const Decoded d = decode(b, 6, 0, k64);
    CHECK(d.length == 6);
    CHECK(d.kind == Kind::kIllegal);
  }
}

TEST_CASE("HINTs and text helpers", "[riscv][misc]") {
  CHECK(run(k64, 0, 0x0071, 2).mnemonic == "c.nop");  // objdump: c.nop 28
  CHECK(run(k64, 0, 0x0071, 2).operands == "28");
  CHECK(run(k64, 0, 0x0502, 2).mnemonic == "c.slli64");
  CHECK(triage::riscv::to_text(run(k64, 0, 0x1141, 2)) == "add\tsp,sp,-16");
  CHECK(triage::riscv::to_text(run(k64, 0, 0x8082, 2)) == "ret");
  CHECK(triage::riscv::register_name(0) == "zero");
  CHECK(triage::riscv::register_name(f(31)) == "ft11");
  CHECK(triage::riscv::register_name(64) == "?");
  CHECK(triage::riscv::kind_name(Kind::kJumpRegister) == "jump-register");
}

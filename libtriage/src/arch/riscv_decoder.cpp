// Decoding by opcode tables for the base ISA, M, A, F, D, Zicsr and C; text
// as objdump 2.40 prints it.
#include "triage/arch/riscv_decoder.h"

#include <algorithm>
#include <array>
#include <cinttypes>
#include <cstdio>
#include <utility>

namespace triage::riscv {
namespace {

constexpr std::array<const char*, 32> kXNames = {
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0",
    "a1",   "a2", "a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5",
    "s6",   "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"};
constexpr std::array<const char*, 32> kFNames = {
    "ft0", "ft1", "ft2",  "ft3",  "ft4", "ft5", "ft6",  "ft7",
    "fs0", "fs1", "fa0",  "fa1",  "fa2", "fa3", "fa4",  "fa5",
    "fa6", "fa7", "fs2",  "fs3",  "fs4", "fs5", "fs6",  "fs7",
    "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11"};

// CSR names exactly as objdump 2.40 prints them (extracted from its output
// for all 4096 CSR numbers: gen_ref.py csr + gen_csr_table.py).  Sorted.
struct CsrName {
  uint16_t number;
  const char* name;
};
constexpr CsrName kCsrNames[] = {
    {0x001, "fflags"},
    {0x002, "frm"},
    {0x003, "fcsr"},
    {0x008, "vstart"},
    {0x009, "vxsat"},
    {0x00a, "vxrm"},
    {0x00f, "vcsr"},
    {0x015, "seed"},
    {0x100, "sstatus"},
    {0x104, "sie"},
    {0x105, "stvec"},
    {0x106, "scounteren"},
    {0x10a, "senvcfg"},
    {0x10c, "sstateen0"},
    {0x10d, "sstateen1"},
    {0x10e, "sstateen2"},
    {0x10f, "sstateen3"},
    {0x114, "sieh"},
    {0x140, "sscratch"},
    {0x141, "sepc"},
    {0x142, "scause"},
    {0x143, "stval"},
    {0x144, "sip"},
    {0x14d, "stimecmp"},
    {0x150, "siselect"},
    {0x151, "sireg"},
    {0x154, "siph"},
    {0x15c, "stopei"},
    {0x15d, "stimecmph"},
    {0x180, "satp"},
    {0x200, "vsstatus"},
    {0x204, "vsie"},
    {0x205, "vstvec"},
    {0x214, "vsieh"},
    {0x240, "vsscratch"},
    {0x241, "vsepc"},
    {0x242, "vscause"},
    {0x243, "vstval"},
    {0x244, "vsip"},
    {0x24d, "vstimecmp"},
    {0x250, "vsiselect"},
    {0x251, "vsireg"},
    {0x254, "vsiph"},
    {0x25c, "vstopei"},
    {0x25d, "vstimecmph"},
    {0x280, "vsatp"},
    {0x300, "mstatus"},
    {0x301, "misa"},
    {0x302, "medeleg"},
    {0x303, "mideleg"},
    {0x304, "mie"},
    {0x305, "mtvec"},
    {0x306, "mcounteren"},
    {0x308, "mvien"},
    {0x309, "mvip"},
    {0x30a, "menvcfg"},
    {0x30c, "mstateen0"},
    {0x30d, "mstateen1"},
    {0x30e, "mstateen2"},
    {0x30f, "mstateen3"},
    {0x310, "mstatush"},
    {0x313, "midelegh"},
    {0x314, "mieh"},
    {0x318, "mvienh"},
    {0x319, "mviph"},
    {0x31a, "menvcfgh"},
    {0x31c, "mstateen0h"},
    {0x31d, "mstateen1h"},
    {0x31e, "mstateen2h"},
    {0x31f, "mstateen3h"},
    {0x320, "mcountinhibit"},
    {0x323, "mhpmevent3"},
    {0x324, "mhpmevent4"},
    {0x325, "mhpmevent5"},
    {0x326, "mhpmevent6"},
    {0x327, "mhpmevent7"},
    {0x328, "mhpmevent8"},
    {0x329, "mhpmevent9"},
    {0x32a, "mhpmevent10"},
    {0x32b, "mhpmevent11"},
    {0x32c, "mhpmevent12"},
    {0x32d, "mhpmevent13"},
    {0x32e, "mhpmevent14"},
    {0x32f, "mhpmevent15"},
    {0x330, "mhpmevent16"},
    {0x331, "mhpmevent17"},
    {0x332, "mhpmevent18"},
    {0x333, "mhpmevent19"},
    {0x334, "mhpmevent20"},
    {0x335, "mhpmevent21"},
    {0x336, "mhpmevent22"},
    {0x337, "mhpmevent23"},
    {0x338, "mhpmevent24"},
    {0x339, "mhpmevent25"},
    {0x33a, "mhpmevent26"},
    {0x33b, "mhpmevent27"},
    {0x33c, "mhpmevent28"},
    {0x33d, "mhpmevent29"},
    {0x33e, "mhpmevent30"},
    {0x33f, "mhpmevent31"},
    {0x340, "mscratch"},
    {0x341, "mepc"},
    {0x342, "mcause"},
    {0x343, "mtval"},
    {0x344, "mip"},
    {0x34a, "mtinst"},
    {0x34b, "mtval2"},
    {0x350, "miselect"},
    {0x351, "mireg"},
    {0x354, "miph"},
    {0x35c, "mtopei"},
    {0x3a0, "pmpcfg0"},
    {0x3a1, "pmpcfg1"},
    {0x3a2, "pmpcfg2"},
    {0x3a3, "pmpcfg3"},
    {0x3a4, "pmpcfg4"},
    {0x3a5, "pmpcfg5"},
    {0x3a6, "pmpcfg6"},
    {0x3a7, "pmpcfg7"},
    {0x3a8, "pmpcfg8"},
    {0x3a9, "pmpcfg9"},
    {0x3aa, "pmpcfg10"},
    {0x3ab, "pmpcfg11"},
    {0x3ac, "pmpcfg12"},
    {0x3ad, "pmpcfg13"},
    {0x3ae, "pmpcfg14"},
    {0x3af, "pmpcfg15"},
    {0x3b0, "pmpaddr0"},
    {0x3b1, "pmpaddr1"},
    {0x3b2, "pmpaddr2"},
    {0x3b3, "pmpaddr3"},
    {0x3b4, "pmpaddr4"},
    {0x3b5, "pmpaddr5"},
    {0x3b6, "pmpaddr6"},
    {0x3b7, "pmpaddr7"},
    {0x3b8, "pmpaddr8"},
    {0x3b9, "pmpaddr9"},
    {0x3ba, "pmpaddr10"},
    {0x3bb, "pmpaddr11"},
    {0x3bc, "pmpaddr12"},
    {0x3bd, "pmpaddr13"},
    {0x3be, "pmpaddr14"},
    {0x3bf, "pmpaddr15"},
    {0x3c0, "pmpaddr16"},
    {0x3c1, "pmpaddr17"},
    {0x3c2, "pmpaddr18"},
    {0x3c3, "pmpaddr19"},
    {0x3c4, "pmpaddr20"},
    {0x3c5, "pmpaddr21"},
    {0x3c6, "pmpaddr22"},
    {0x3c7, "pmpaddr23"},
    {0x3c8, "pmpaddr24"},
    {0x3c9, "pmpaddr25"},
    {0x3ca, "pmpaddr26"},
    {0x3cb, "pmpaddr27"},
    {0x3cc, "pmpaddr28"},
    {0x3cd, "pmpaddr29"},
    {0x3ce, "pmpaddr30"},
    {0x3cf, "pmpaddr31"},
    {0x3d0, "pmpaddr32"},
    {0x3d1, "pmpaddr33"},
    {0x3d2, "pmpaddr34"},
    {0x3d3, "pmpaddr35"},
    {0x3d4, "pmpaddr36"},
    {0x3d5, "pmpaddr37"},
    {0x3d6, "pmpaddr38"},
    {0x3d7, "pmpaddr39"},
    {0x3d8, "pmpaddr40"},
    {0x3d9, "pmpaddr41"},
    {0x3da, "pmpaddr42"},
    {0x3db, "pmpaddr43"},
    {0x3dc, "pmpaddr44"},
    {0x3dd, "pmpaddr45"},
    {0x3de, "pmpaddr46"},
    {0x3df, "pmpaddr47"},
    {0x3e0, "pmpaddr48"},
    {0x3e1, "pmpaddr49"},
    {0x3e2, "pmpaddr50"},
    {0x3e3, "pmpaddr51"},
    {0x3e4, "pmpaddr52"},
    {0x3e5, "pmpaddr53"},
    {0x3e6, "pmpaddr54"},
    {0x3e7, "pmpaddr55"},
    {0x3e8, "pmpaddr56"},
    {0x3e9, "pmpaddr57"},
    {0x3ea, "pmpaddr58"},
    {0x3eb, "pmpaddr59"},
    {0x3ec, "pmpaddr60"},
    {0x3ed, "pmpaddr61"},
    {0x3ee, "pmpaddr62"},
    {0x3ef, "pmpaddr63"},
    {0x5a8, "scontext"},
    {0x600, "hstatus"},
    {0x602, "hedeleg"},
    {0x603, "hideleg"},
    {0x604, "hie"},
    {0x605, "htimedelta"},
    {0x606, "hcounteren"},
    {0x607, "hgeie"},
    {0x608, "hvien"},
    {0x609, "hvictl"},
    {0x60a, "henvcfg"},
    {0x60c, "hstateen0"},
    {0x60d, "hstateen1"},
    {0x60e, "hstateen2"},
    {0x60f, "hstateen3"},
    {0x613, "hidelegh"},
    {0x615, "htimedeltah"},
    {0x618, "hvienh"},
    {0x61a, "henvcfgh"},
    {0x61c, "hstateen0h"},
    {0x61d, "hstateen1h"},
    {0x61e, "hstateen2h"},
    {0x61f, "hstateen3h"},
    {0x643, "htval"},
    {0x644, "hip"},
    {0x645, "hvip"},
    {0x646, "hviprio1"},
    {0x647, "hviprio2"},
    {0x64a, "htinst"},
    {0x655, "hviph"},
    {0x656, "hviprio1h"},
    {0x657, "hviprio2h"},
    {0x680, "hgatp"},
    {0x6a8, "hcontext"},
    {0x723, "mhpmevent3h"},
    {0x724, "mhpmevent4h"},
    {0x725, "mhpmevent5h"},
    {0x726, "mhpmevent6h"},
    {0x727, "mhpmevent7h"},
    {0x728, "mhpmevent8h"},
    {0x729, "mhpmevent9h"},
    {0x72a, "mhpmevent10h"},
    {0x72b, "mhpmevent11h"},
    {0x72c, "mhpmevent12h"},
    {0x72d, "mhpmevent13h"},
    {0x72e, "mhpmevent14h"},
    {0x72f, "mhpmevent15h"},
    {0x730, "mhpmevent16h"},
    {0x731, "mhpmevent17h"},
    {0x732, "mhpmevent18h"},
    {0x733, "mhpmevent19h"},
    {0x734, "mhpmevent20h"},
    {0x735, "mhpmevent21h"},
    {0x736, "mhpmevent22h"},
    {0x737, "mhpmevent23h"},
    {0x738, "mhpmevent24h"},
    {0x739, "mhpmevent25h"},
    {0x73a, "mhpmevent26h"},
    {0x73b, "mhpmevent27h"},
    {0x73c, "mhpmevent28h"},
    {0x73d, "mhpmevent29h"},
    {0x73e, "mhpmevent30h"},
    {0x73f, "mhpmevent31h"},
    {0x747, "mseccfg"},
    {0x757, "mseccfgh"},
    {0x7a0, "tselect"},
    {0x7a1, "tdata1"},
    {0x7a2, "tdata2"},
    {0x7a3, "tdata3"},
    {0x7a4, "tinfo"},
    {0x7a5, "tcontrol"},
    {0x7a8, "mcontext"},
    {0x7aa, "mscontext"},
    {0x7b0, "dcsr"},
    {0x7b1, "dpc"},
    {0x7b2, "dscratch0"},
    {0x7b3, "dscratch1"},
    {0xb00, "mcycle"},
    {0xb02, "minstret"},
    {0xb03, "mhpmcounter3"},
    {0xb04, "mhpmcounter4"},
    {0xb05, "mhpmcounter5"},
    {0xb06, "mhpmcounter6"},
    {0xb07, "mhpmcounter7"},
    {0xb08, "mhpmcounter8"},
    {0xb09, "mhpmcounter9"},
    {0xb0a, "mhpmcounter10"},
    {0xb0b, "mhpmcounter11"},
    {0xb0c, "mhpmcounter12"},
    {0xb0d, "mhpmcounter13"},
    {0xb0e, "mhpmcounter14"},
    {0xb0f, "mhpmcounter15"},
    {0xb10, "mhpmcounter16"},
    {0xb11, "mhpmcounter17"},
    {0xb12, "mhpmcounter18"},
    {0xb13, "mhpmcounter19"},
    {0xb14, "mhpmcounter20"},
    {0xb15, "mhpmcounter21"},
    {0xb16, "mhpmcounter22"},
    {0xb17, "mhpmcounter23"},
    {0xb18, "mhpmcounter24"},
    {0xb19, "mhpmcounter25"},
    {0xb1a, "mhpmcounter26"},
    {0xb1b, "mhpmcounter27"},
    {0xb1c, "mhpmcounter28"},
    {0xb1d, "mhpmcounter29"},
    {0xb1e, "mhpmcounter30"},
    {0xb1f, "mhpmcounter31"},
    {0xb80, "mcycleh"},
    {0xb82, "minstreth"},
    {0xb83, "mhpmcounter3h"},
    {0xb84, "mhpmcounter4h"},
    {0xb85, "mhpmcounter5h"},
    {0xb86, "mhpmcounter6h"},
    {0xb87, "mhpmcounter7h"},
    {0xb88, "mhpmcounter8h"},
    {0xb89, "mhpmcounter9h"},
    {0xb8a, "mhpmcounter10h"},
    {0xb8b, "mhpmcounter11h"},
    {0xb8c, "mhpmcounter12h"},
    {0xb8d, "mhpmcounter13h"},
    {0xb8e, "mhpmcounter14h"},
    {0xb8f, "mhpmcounter15h"},
    {0xb90, "mhpmcounter16h"},
    {0xb91, "mhpmcounter17h"},
    {0xb92, "mhpmcounter18h"},
    {0xb93, "mhpmcounter19h"},
    {0xb94, "mhpmcounter20h"},
    {0xb95, "mhpmcounter21h"},
    {0xb96, "mhpmcounter22h"},
    {0xb97, "mhpmcounter23h"},
    {0xb98, "mhpmcounter24h"},
    {0xb99, "mhpmcounter25h"},
    {0xb9a, "mhpmcounter26h"},
    {0xb9b, "mhpmcounter27h"},
    {0xb9c, "mhpmcounter28h"},
    {0xb9d, "mhpmcounter29h"},
    {0xb9e, "mhpmcounter30h"},
    {0xb9f, "mhpmcounter31h"},
    {0xc00, "cycle"},
    {0xc01, "time"},
    {0xc02, "instret"},
    {0xc03, "hpmcounter3"},
    {0xc04, "hpmcounter4"},
    {0xc05, "hpmcounter5"},
    {0xc06, "hpmcounter6"},
    {0xc07, "hpmcounter7"},
    {0xc08, "hpmcounter8"},
    {0xc09, "hpmcounter9"},
    {0xc0a, "hpmcounter10"},
    {0xc0b, "hpmcounter11"},
    {0xc0c, "hpmcounter12"},
    {0xc0d, "hpmcounter13"},
    {0xc0e, "hpmcounter14"},
    {0xc0f, "hpmcounter15"},
    {0xc10, "hpmcounter16"},
    {0xc11, "hpmcounter17"},
    {0xc12, "hpmcounter18"},
    {0xc13, "hpmcounter19"},
    {0xc14, "hpmcounter20"},
    {0xc15, "hpmcounter21"},
    {0xc16, "hpmcounter22"},
    {0xc17, "hpmcounter23"},
    {0xc18, "hpmcounter24"},
    {0xc19, "hpmcounter25"},
    {0xc1a, "hpmcounter26"},
    {0xc1b, "hpmcounter27"},
    {0xc1c, "hpmcounter28"},
    {0xc1d, "hpmcounter29"},
    {0xc1e, "hpmcounter30"},
    {0xc1f, "hpmcounter31"},
    {0xc20, "vl"},
    {0xc21, "vtype"},
    {0xc22, "vlenb"},
    {0xc80, "cycleh"},
    {0xc81, "timeh"},
    {0xc82, "instreth"},
    {0xc83, "hpmcounter3h"},
    {0xc84, "hpmcounter4h"},
    {0xc85, "hpmcounter5h"},
    {0xc86, "hpmcounter6h"},
    {0xc87, "hpmcounter7h"},
    {0xc88, "hpmcounter8h"},
    {0xc89, "hpmcounter9h"},
    {0xc8a, "hpmcounter10h"},
    {0xc8b, "hpmcounter11h"},
    {0xc8c, "hpmcounter12h"},
    {0xc8d, "hpmcounter13h"},
    {0xc8e, "hpmcounter14h"},
    {0xc8f, "hpmcounter15h"},
    {0xc90, "hpmcounter16h"},
    {0xc91, "hpmcounter17h"},
    {0xc92, "hpmcounter18h"},
    {0xc93, "hpmcounter19h"},
    {0xc94, "hpmcounter20h"},
    {0xc95, "hpmcounter21h"},
    {0xc96, "hpmcounter22h"},
    {0xc97, "hpmcounter23h"},
    {0xc98, "hpmcounter24h"},
    {0xc99, "hpmcounter25h"},
    {0xc9a, "hpmcounter26h"},
    {0xc9b, "hpmcounter27h"},
    {0xc9c, "hpmcounter28h"},
    {0xc9d, "hpmcounter29h"},
    {0xc9e, "hpmcounter30h"},
    {0xc9f, "hpmcounter31h"},
    {0xda0, "scountovf"},
    {0xdb0, "stopi"},
    {0xe12, "hgeip"},
    {0xeb0, "vstopi"},
    {0xf11, "mvendorid"},
    {0xf12, "marchid"},
    {0xf13, "mimpid"},
    {0xf14, "mhartid"},
    {0xf15, "mconfigptr"},
    {0xfb0, "mtopi"},
};

const char* csr_name(uint32_t csr) {
  const auto* end = std::end(kCsrNames);
  const auto* it = std::lower_bound(
      std::begin(kCsrNames), end, csr,
      [](const CsrName& c, uint32_t n) { return c.number < n; });
  return (it != end && it->number == csr) ? it->name : nullptr;
}

std::string xr(unsigned r) { return kXNames[r & 31]; }
std::string fr(unsigned r) { return kFNames[r & 31]; }

std::string dec(int64_t v) { return std::to_string(v); }

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%" PRIx64, v);
  return buf;
}

std::string mem(int64_t off, unsigned base) { return dec(off) + "(" + xr(base) + ")"; }

int64_t sext(uint64_t v, unsigned bits) {
  const uint64_t m = uint64_t{1} << (bits - 1);
  v &= (m << 1) - 1;
  return static_cast<int64_t>((v ^ m) - m);
}

uint32_t bits(uint32_t w, unsigned hi, unsigned lo) {
  return (w >> lo) & ((uint32_t{1} << (hi - lo + 1)) - 1);
}

// Rounding-mode suffix for F/D arithmetic: nothing for "dyn" (7).
std::string rm_suffix(unsigned rm) {
  static constexpr const char* kRm[8] = {"rne", "rtz", "rdn", "rup",
                                         "rmm", "unknown", "unknown", nullptr};
  return kRm[rm & 7] ? std::string(",") + kRm[rm & 7] : std::string();
}

// Exact conversions (fcvt.d.s, fcvt.d.w, fcvt.d.wu) ignore rm.  GNU as 2.40
// encodes them with rm = 0 and objdump 2.40 shows any other rm as ".4byte";
// other assemblers (LLVM) may use rm = dyn, so we decode them and print the
// rounding mode only when it is not the rne default.
std::string exact_rm(unsigned rm) {
  if (rm == 0) return {};
  if (rm == 7) return ",dyn";
  return rm_suffix(rm);
}

std::string fence_set(unsigned v) {
  if (v == 0) return "unknown";
  std::string s;
  if (v & 8) s += 'i';
  if (v & 4) s += 'o';
  if (v & 2) s += 'r';
  if (v & 1) s += 'w';
  return s;
}

class Builder {
 public:
  Builder(uint64_t pc, Xlen xlen, unsigned length, uint32_t raw) : pc_(pc), xlen_(xlen) {
    d.length = length;
    d.raw = raw;
    d.kind = Kind::kOther;
  }

  Decoded d;

  bool rv64() const { return xlen_ == Xlen::k64; }

  void text(std::string mn, std::string ops = {}) {
    d.mnemonic = std::move(mn);
    d.operands = std::move(ops);
  }
  void kind(Kind k) { d.kind = k; }
  void src(unsigned r) {
    if (r == 0) return;
    push(static_cast<int>(r));
  }
  void fsrc(unsigned r) { push(kFpRegisterBase + static_cast<int>(r)); }
  void dst(unsigned r) {
    if (r != 0) d.dest_register = static_cast<int>(r);
  }
  void fdst(unsigned r) { d.dest_register = kFpRegisterBase + static_cast<int>(r); }

  uint64_t target(int64_t off) const {
    uint64_t t = pc_ + static_cast<uint64_t>(off);
    if (!rv64()) t &= 0xffffffffu;
    return t;
  }
  std::string addr(uint64_t t) const {
    char buf[24];
    std::snprintf(buf, sizeof buf, "%" PRIx64, t);
    return buf;
  }

  void illegal() {
    d.kind = Kind::kIllegal;
    d.mnemonic = d.length == 2 ? ".2byte" : ".4byte";
    d.operands = hex(d.raw);
    d.base = -1;
    d.offset = 0;
    d.access_size = 0;
    d.target_register = -1;
    d.link_register = -1;
    d.target.reset();
    d.dest_register = -1;
    d.source_registers.clear();
  }

  // An encoding that objdump 2.40 still prints as an instruction but that the
  // ISA reserves (e.g. RV32 shifts with shamt[5] = 1): keep objdump's text,
  // report kIllegal and no register effects.
  void reserved() {
    std::string mn = std::move(d.mnemonic), ops = std::move(d.operands);
    illegal();
    d.mnemonic = std::move(mn);
    d.operands = std::move(ops);
  }

  // --- shared instruction shapes (used by both 16- and 32-bit decoders) ---

  void load(const char* mn, unsigned rd, unsigned base, int64_t off, unsigned size, bool fp) {
    kind(Kind::kLoad);
    text(mn, (fp ? fr(rd) : xr(rd)) + "," + mem(off, base));
    d.base = static_cast<int>(base);
    d.offset = off;
    d.access_size = size;
    src(base);
    if (fp) fdst(rd); else dst(rd);
  }

  void store(const char* mn, unsigned rs2, unsigned base, int64_t off, unsigned size, bool fp) {
    kind(Kind::kStore);
    text(mn, (fp ? fr(rs2) : xr(rs2)) + "," + mem(off, base));
    d.base = static_cast<int>(base);
    d.offset = off;
    d.access_size = size;
    src(base);
    if (fp) fsrc(rs2); else src(rs2);
  }

  void branch(const char* mn, unsigned rs1, unsigned rs2, int64_t off) {
    // objdump's zero-register aliases.
    const uint64_t t = target(off);
    std::string name = mn, ops;
    const std::string m = mn;
    if (m == "beq" && rs2 == 0) { name = "beqz"; ops = xr(rs1); }
    else if (m == "bne" && rs2 == 0) { name = "bnez"; ops = xr(rs1); }
    else if (m == "bge" && rs1 == 0) { name = "blez"; ops = xr(rs2); }
    else if (m == "bge" && rs2 == 0) { name = "bgez"; ops = xr(rs1); }
    else if (m == "blt" && rs2 == 0) { name = "bltz"; ops = xr(rs1); }
    else if (m == "blt" && rs1 == 0) { name = "bgtz"; ops = xr(rs2); }
    else ops = xr(rs1) + "," + xr(rs2);
    kind(Kind::kBranch);
    text(name, ops + "," + addr(t));
    d.target = t;
    src(rs1);
    src(rs2);
  }

  void jal(unsigned rd, int64_t off) {
    const uint64_t t = target(off);
    if (rd == 0) text("j", addr(t));
    else if (rd == 1) text("jal", addr(t));
    else text("jal", xr(rd) + "," + addr(t));
    kind(rd == 1 || rd == 5 ? Kind::kCall : Kind::kJump);
    d.target = t;
    d.link_register = static_cast<int>(rd);
    dst(rd);
  }

  void jalr(unsigned rd, unsigned rs1, int64_t imm) {
    std::string ops;
    if (rd == 0 && rs1 == 1 && imm == 0) {
      text("ret");
    } else if (rd == 0) {
      text("jr", imm == 0 ? xr(rs1) : mem(imm, rs1));
    } else if (rd == 1) {
      text("jalr", imm == 0 ? xr(rs1) : mem(imm, rs1));
    } else {
      text("jalr", xr(rd) + "," + (imm == 0 ? xr(rs1) : mem(imm, rs1)));
    }
    if (rd == 1 || rd == 5) kind(Kind::kCall);
    else if (rd == 0 && imm == 0 && (rs1 == 1 || rs1 == 5)) kind(Kind::kReturn);
    else kind(Kind::kJumpRegister);
    d.target_register = static_cast<int>(rs1);
    d.offset = imm;
    d.link_register = static_cast<int>(rd);
    src(rs1);
    dst(rd);
  }

  // Register-immediate ALU op in objdump 2.40 spelling.
  void alu_imm(const char* mn, unsigned rd, unsigned rs1, std::string imm) {
    text(mn, xr(rd) + "," + xr(rs1) + "," + imm);
    src(rs1);
    dst(rd);
  }
  void alu_reg(const char* mn, unsigned rd, unsigned rs1, unsigned rs2) {
    text(mn, xr(rd) + "," + xr(rs1) + "," + xr(rs2));
    src(rs1);
    src(rs2);
    dst(rd);
  }
  void addi(unsigned rd, unsigned rs1, int64_t imm) {
    if (rd == 0 && rs1 == 0 && imm == 0) text("nop");
    else if (rs1 == 0) { text("li", xr(rd) + "," + dec(imm)); dst(rd); }
    else if (imm == 0) { text("mv", xr(rd) + "," + xr(rs1)); src(rs1); dst(rd); }
    else alu_imm("add", rd, rs1, dec(imm));
  }
  void lui(unsigned rd, uint32_t imm20) {
    text("lui", xr(rd) + "," + hex(imm20 & 0xfffff));
    dst(rd);
  }

 private:
  void push(int r) {
    auto& v = d.source_registers;
    if (std::find(v.begin(), v.end(), r) == v.end()) v.push_back(r);
  }

  uint64_t pc_;
  Xlen xlen_;
};

// ---------------------------------------------------------------------------
// 32-bit instructions
// ---------------------------------------------------------------------------

void decode_amo(Builder& b, uint32_t w) {
  const unsigned funct3 = bits(w, 14, 12);
  if (funct3 != 2 && !(funct3 == 3 && b.rv64())) return b.illegal();
  const unsigned rd = bits(w, 11, 7), rs1 = bits(w, 19, 15), rs2 = bits(w, 24, 20);
  const char* op = nullptr;
  switch (bits(w, 31, 27)) {
    case 0x02: op = "lr"; break;
    case 0x03: op = "sc"; break;
    case 0x01: op = "amoswap"; break;
    case 0x00: op = "amoadd"; break;
    case 0x04: op = "amoxor"; break;
    case 0x0c: op = "amoand"; break;
    case 0x08: op = "amoor"; break;
    case 0x10: op = "amomin"; break;
    case 0x14: op = "amomax"; break;
    case 0x18: op = "amominu"; break;
    case 0x1c: op = "amomaxu"; break;
    default: return b.illegal();
  }
  const bool lr = bits(w, 31, 27) == 0x02;
  if (lr && rs2 != 0) return b.illegal();
  static constexpr const char* kOrder[4] = {"", ".rl", ".aq", ".aqrl"};
  std::string mn = std::string(op) + (funct3 == 2 ? ".w" : ".d") + kOrder[bits(w, 26, 25)];
  const std::string addr = "(" + xr(rs1) + ")";
  b.text(mn, lr ? xr(rd) + "," + addr : xr(rd) + "," + xr(rs2) + "," + addr);
  b.kind(Kind::kAtomic);
  b.d.base = static_cast<int>(rs1);
  b.d.offset = 0;
  b.d.access_size = funct3 == 2 ? 4 : 8;
  b.src(rs1);
  if (!lr) b.src(rs2);
  b.dst(rd);
}

void decode_system(Builder& b, uint32_t w) {
  const unsigned funct3 = bits(w, 14, 12);
  const unsigned rd = bits(w, 11, 7), rs1 = bits(w, 19, 15);
  const uint32_t csr = w >> 20;
  b.kind(Kind::kSystem);
  if (funct3 == 0) {
    switch (w) {
      case 0x00000073: return b.text("ecall");
      case 0x00100073: return b.text("ebreak");
      case 0x00200073: return b.text("uret");
      case 0x10200073: return b.text("sret");
      case 0x30200073: return b.text("mret");
      case 0x7b200073: return b.text("dret");
      case 0x10500073: return b.text("wfi");
      case 0x20200073:  // hret: priv-1.9 only, reserved today; objdump still names it
        b.text("hret");
        return b.reserved();
      default: break;
    }
    if (bits(w, 31, 25) == 0x09 && rd == 0) {  // sfence.vma rs1,rs2
      const unsigned rs2 = bits(w, 24, 20);
      b.src(rs1);
      b.src(rs2);
      if (rs2 != 0) return b.text("sfence.vma", xr(rs1) + "," + xr(rs2));
      if (rs1 != 0) return b.text("sfence.vma", xr(rs1));
      return b.text("sfence.vma");
    }
    return b.illegal();
  }
  if (funct3 == 4) return b.illegal();
  if (w == 0xc0001073) {  // csrrw x0, cycle, x0: objdump's "unimp"
    b.text("unimp");
    b.kind(Kind::kIllegal);
    return;
  }

  const char* name = csr_name(csr);
  const std::string cs = name ? std::string(name) : hex(csr);
  const bool imm = funct3 >= 5;
  const std::string src = imm ? dec(rs1) : xr(rs1);
  if (!imm) b.src(rs1);
  b.dst(rd);
  const unsigned op = funct3 & 3;  // 1 = rw, 2 = rs, 3 = rc

  // Floating-point CSR and counter aliases first (objdump table order).
  if (op == 2 && !imm && rs1 == 0) {
    switch (csr) {
      case 0x001: return b.text("frflags", xr(rd));
      case 0x002: return b.text("frrm", xr(rd));
      case 0x003: return b.text("frcsr", xr(rd));
      case 0xc00: return b.text("rdcycle", xr(rd));
      case 0xc01: return b.text("rdtime", xr(rd));
      case 0xc02: return b.text("rdinstret", xr(rd));
      case 0xc80: if (!b.rv64()) return b.text("rdcycleh", xr(rd)); break;
      case 0xc81: if (!b.rv64()) return b.text("rdtimeh", xr(rd)); break;
      case 0xc82: if (!b.rv64()) return b.text("rdinstreth", xr(rd)); break;
      default: break;
    }
    return b.text("csrr", xr(rd) + "," + cs);
  }
  if (op == 1 && (csr == 0x001 || csr == 0x002 || csr == 0x003) && !(imm && csr == 3)) {
    const char* alias = csr == 1 ? (imm ? "fsflagsi" : "fsflags")
                        : csr == 2 ? (imm ? "fsrmi" : "fsrm")
                                   : "fscsr";
    // objdump drops a zero rd only for the register forms.
    return b.text(alias, rd == 0 && !imm ? src : xr(rd) + "," + src);
  }
  static constexpr const char* kShort[4] = {nullptr, "csrw", "csrs", "csrc"};
  static constexpr const char* kLong[4] = {nullptr, "csrrw", "csrrs", "csrrc"};
  if (rd == 0) return b.text(kShort[op], cs + "," + src);
  return b.text(kLong[op], xr(rd) + "," + cs + "," + src);
}

void decode_op_fp(Builder& b, uint32_t w) {
  const unsigned rd = bits(w, 11, 7), rs1 = bits(w, 19, 15), rs2 = bits(w, 24, 20);
  const unsigned rm = bits(w, 14, 12), funct7 = bits(w, 31, 25);
  const bool dbl = funct7 & 1;
  const char* sfx = dbl ? ".d" : ".s";
  auto name = [&](const char* base) { return std::string(base) + sfx; };
  auto fff = [&](const char* op, bool with_rm) {
    b.text(name(op), fr(rd) + "," + fr(rs1) + "," + fr(rs2) + (with_rm ? rm_suffix(rm) : ""));
    b.fsrc(rs1);
    b.fsrc(rs2);
    b.fdst(rd);
  };
  switch (funct7) {
    case 0x00: case 0x01: return fff("fadd", true);
    case 0x04: case 0x05: return fff("fsub", true);
    case 0x08: case 0x09: return fff("fmul", true);
    case 0x0c: case 0x0d: return fff("fdiv", true);
    case 0x2c: case 0x2d:
      if (rs2 != 0) break;
      b.text(name("fsqrt"), fr(rd) + "," + fr(rs1) + rm_suffix(rm));
      b.fsrc(rs1);
      b.fdst(rd);
      return;
    case 0x10: case 0x11: {
      static constexpr const char* kOp[3] = {"fsgnj", "fsgnjn", "fsgnjx"};
      static constexpr const char* kAlias[3] = {"fmv", "fneg", "fabs"};
      if (rm > 2) break;
      if (rs1 == rs2) {
        b.text(name(kAlias[rm]), fr(rd) + "," + fr(rs1));
        b.fsrc(rs1);
        b.fdst(rd);
        return;
      }
      return fff(kOp[rm], false);
    }
    case 0x14: case 0x15:
      if (rm > 1) break;
      return fff(rm == 0 ? "fmin" : "fmax", false);
    case 0x20:  // fcvt.s.d
      if (rs2 != 1) break;
      b.text("fcvt.s.d", fr(rd) + "," + fr(rs1) + rm_suffix(rm));
      b.fsrc(rs1);
      b.fdst(rd);
      return;
    case 0x21:  // fcvt.d.s (exact)
      if (rs2 != 0 || rm == 5 || rm == 6) break;
      b.text("fcvt.d.s", fr(rd) + "," + fr(rs1) + exact_rm(rm));
      b.fsrc(rs1);
      b.fdst(rd);
      return;
    case 0x50: case 0x51: {
      static constexpr const char* kCmp[3] = {"fle", "flt", "feq"};
      if (rm > 2) break;
      b.text(name(kCmp[rm]), xr(rd) + "," + fr(rs1) + "," + fr(rs2));
      b.fsrc(rs1);
      b.fsrc(rs2);
      b.dst(rd);
      return;
    }
    case 0x60: case 0x61: {  // fcvt.{w,wu,l,lu}.{s,d}
      static constexpr const char* kTo[4] = {"w", "wu", "l", "lu"};
      if (rs2 > 3 || (rs2 > 1 && !b.rv64())) break;
      b.text(std::string("fcvt.") + kTo[rs2] + sfx, xr(rd) + "," + fr(rs1) + rm_suffix(rm));
      b.fsrc(rs1);
      b.dst(rd);
      return;
    }
    case 0x68: case 0x69: {  // fcvt.{s,d}.{w,wu,l,lu}
      static constexpr const char* kFrom[4] = {"w", "wu", "l", "lu"};
      if (rs2 > 3 || (rs2 > 1 && !b.rv64())) break;
      const bool exact = dbl && rs2 <= 1;  // int32 -> double needs no rounding
      if (exact && (rm == 5 || rm == 6)) break;
      b.text(std::string("fcvt") + sfx + "." + kFrom[rs2],
             fr(rd) + "," + xr(rs1) + (exact ? exact_rm(rm) : rm_suffix(rm)));
      b.src(rs1);
      b.fdst(rd);
      return;
    }
    case 0x70: case 0x71:
      if (rs2 != 0) break;
      if (rm == 0 && (!dbl || b.rv64())) {
        b.text(dbl ? "fmv.x.d" : "fmv.x.w", xr(rd) + "," + fr(rs1));
      } else if (rm == 1) {
        b.text(name("fclass"), xr(rd) + "," + fr(rs1));
      } else {
        break;
      }
      b.fsrc(rs1);
      b.dst(rd);
      return;
    case 0x78: case 0x79:
      if (rs2 != 0 || rm != 0 || (dbl && !b.rv64())) break;
      b.text(dbl ? "fmv.d.x" : "fmv.w.x", fr(rd) + "," + xr(rs1));
      b.src(rs1);
      b.fdst(rd);
      return;
    default: break;
  }
  b.illegal();
}

void decode32(Builder& b, uint32_t w) {
  const unsigned rd = bits(w, 11, 7), rs1 = bits(w, 19, 15), rs2 = bits(w, 24, 20);
  const unsigned funct3 = bits(w, 14, 12), funct7 = bits(w, 31, 25);
  const int64_t imm_i = sext(w >> 20, 12);
  const int64_t imm_s = sext((bits(w, 31, 25) << 5) | bits(w, 11, 7), 12);
  const bool rv64 = b.rv64();

  switch (w & 0x7f) {
    case 0x03: {  // LOAD
      static constexpr const char* kName[8] = {"lb", "lh", "lw", "ld", "lbu", "lhu", "lwu", nullptr};
      static constexpr unsigned kSize[8] = {1, 2, 4, 8, 1, 2, 4, 0};
      if (!kName[funct3] || (!rv64 && (funct3 == 3 || funct3 == 6))) return b.illegal();
      return b.load(kName[funct3], rd, rs1, imm_i, kSize[funct3], false);
    }
    case 0x07:  // LOAD-FP
      if (funct3 == 2) return b.load("flw", rd, rs1, imm_i, 4, true);
      if (funct3 == 3) return b.load("fld", rd, rs1, imm_i, 8, true);
      return b.illegal();
    case 0x0f:  // MISC-MEM
      if (funct3 == 0 && rd == 0 && rs1 == 0) {
        if (w == 0x8330000f) return b.text("fence.tso");
        if (bits(w, 31, 28) != 0) return b.illegal();
        if (bits(w, 27, 20) == 0xff) return b.text("fence");
        return b.text("fence", fence_set(bits(w, 27, 24)) + "," + fence_set(bits(w, 23, 20)));
      }
      if (funct3 == 1 && w == 0x0000100f) return b.text("fence.i");
      return b.illegal();
    case 0x13: {  // OP-IMM
      switch (funct3) {
        case 0: return b.addi(rd, rs1, imm_i);
        case 2: return b.alu_imm("slti", rd, rs1, dec(imm_i));
        case 3:
          if (imm_i == 1) {
            b.text("seqz", xr(rd) + "," + xr(rs1));
            b.src(rs1);
            b.dst(rd);
            return;
          }
          return b.alu_imm("sltiu", rd, rs1, dec(imm_i));
        case 4:
          if (imm_i == -1) {
            b.text("not", xr(rd) + "," + xr(rs1));
            b.src(rs1);
            b.dst(rd);
            return;
          }
          return b.alu_imm("xor", rd, rs1, dec(imm_i));
        case 6: return b.alu_imm("or", rd, rs1, dec(imm_i));
        case 7:
          if (imm_i == 255) {
            b.text("zext.b", xr(rd) + "," + xr(rs1));
            b.src(rs1);
            b.dst(rd);
            return;
          }
          return b.alu_imm("and", rd, rs1, dec(imm_i));
        case 1:
        case 5: {
          const unsigned shamt = rv64 ? bits(w, 25, 20) : bits(w, 24, 20);
          const unsigned top = rv64 ? bits(w, 31, 26) : funct7;
          const unsigned arith = rv64 ? 0x10 : 0x20;
          if (funct3 == 1 && top == 0) b.alu_imm("sll", rd, rs1, hex(shamt));
          else if (funct3 == 5 && top == 0) b.alu_imm("srl", rd, rs1, hex(shamt));
          else if (funct3 == 5 && top == arith) b.alu_imm("sra", rd, rs1, hex(shamt));
          else if (!rv64 && (funct3 == 1 ? funct7 == 1 : (funct7 & ~0x20u) == 1)) {
            // RV32 shamt[5] = 1: reserved, but objdump prints it as a shift.
            b.alu_imm(funct3 == 1 ? "sll" : funct7 & 0x20 ? "sra" : "srl", rd, rs1,
                      hex(bits(w, 25, 20)));
            return b.reserved();
          } else return b.illegal();
          return;
        }
      }
      return b.illegal();
    }
    case 0x17:  // AUIPC
      b.text("auipc", xr(rd) + "," + hex(w >> 12));
      b.dst(rd);
      return;
    case 0x1b:  // OP-IMM-32
      if (!rv64) return b.illegal();
      if (funct3 == 0) {
        if (imm_i == 0) {
          b.text("sext.w", xr(rd) + "," + xr(rs1));
          b.src(rs1);
          b.dst(rd);
          return;
        }
        return b.alu_imm("addw", rd, rs1, dec(imm_i));
      }
      if (funct3 == 1 && funct7 == 0) return b.alu_imm("sllw", rd, rs1, hex(rs2));
      if (funct3 == 5 && funct7 == 0) return b.alu_imm("srlw", rd, rs1, hex(rs2));
      if (funct3 == 5 && funct7 == 0x20) return b.alu_imm("sraw", rd, rs1, hex(rs2));
      return b.illegal();
    case 0x23: {  // STORE
      static constexpr const char* kName[4] = {"sb", "sh", "sw", "sd"};
      if (funct3 > 3 || (funct3 == 3 && !rv64)) return b.illegal();
      return b.store(kName[funct3], rs2, rs1, imm_s, 1u << funct3, false);
    }
    case 0x27:  // STORE-FP
      if (funct3 == 2) return b.store("fsw", rs2, rs1, imm_s, 4, true);
      if (funct3 == 3) return b.store("fsd", rs2, rs1, imm_s, 8, true);
      return b.illegal();
    case 0x2f: return decode_amo(b, w);
    case 0x33: {  // OP
      if (funct7 == 0x00) {
        static constexpr const char* kName[8] = {"add", "sll", "slt", "sltu", "xor", "srl", "or", "and"};
        if (funct3 == 3 && rs1 == 0) {
          b.text("snez", xr(rd) + "," + xr(rs2));
          b.src(rs2);
          b.dst(rd);
          return;
        }
        if (funct3 == 2 && rs2 == 0) {
          b.text("sltz", xr(rd) + "," + xr(rs1));
          b.src(rs1);
          b.dst(rd);
          return;
        }
        if (funct3 == 2 && rs1 == 0) {
          b.text("sgtz", xr(rd) + "," + xr(rs2));
          b.src(rs2);
          b.dst(rd);
          return;
        }
        return b.alu_reg(kName[funct3], rd, rs1, rs2);
      }
      if (funct7 == 0x20 && funct3 == 0) {
        if (rs1 == 0) {
          b.text("neg", xr(rd) + "," + xr(rs2));
          b.src(rs2);
          b.dst(rd);
          return;
        }
        return b.alu_reg("sub", rd, rs1, rs2);
      }
      if (funct7 == 0x20 && funct3 == 5) return b.alu_reg("sra", rd, rs1, rs2);
      if (funct7 == 0x01) {
        static constexpr const char* kName[8] = {"mul", "mulh", "mulhsu", "mulhu",
                                                 "div", "divu", "rem", "remu"};
        return b.alu_reg(kName[funct3], rd, rs1, rs2);
      }
      return b.illegal();
    }
    case 0x37:  // LUI
      return b.lui(rd, w >> 12);
    case 0x3b: {  // OP-32
      if (!rv64) return b.illegal();
      if (funct7 == 0x00) {
        if (funct3 == 0) return b.alu_reg("addw", rd, rs1, rs2);
        if (funct3 == 1) return b.alu_reg("sllw", rd, rs1, rs2);
        if (funct3 == 5) return b.alu_reg("srlw", rd, rs1, rs2);
        return b.illegal();
      }
      if (funct7 == 0x20 && funct3 == 0) {
        if (rs1 == 0) {
          b.text("negw", xr(rd) + "," + xr(rs2));
          b.src(rs2);
          b.dst(rd);
          return;
        }
        return b.alu_reg("subw", rd, rs1, rs2);
      }
      if (funct7 == 0x20 && funct3 == 5) return b.alu_reg("sraw", rd, rs1, rs2);
      if (funct7 == 0x01) {
        static constexpr const char* kName[8] = {"mulw", nullptr, nullptr, nullptr,
                                                 "divw", "divuw", "remw", "remuw"};
        if (!kName[funct3]) return b.illegal();
        return b.alu_reg(kName[funct3], rd, rs1, rs2);
      }
      return b.illegal();
    }
    case 0x43: case 0x47: case 0x4b: case 0x4f: {  // FMADD/FMSUB/FNMSUB/FNMADD
      static constexpr const char* kName[4] = {"fmadd", "fmsub", "fnmsub", "fnmadd"};
      const unsigned fmt = bits(w, 26, 25);
      if (fmt > 1) return b.illegal();
      const unsigned rs3 = bits(w, 31, 27);
      b.text(std::string(kName[((w & 0x7f) - 0x43) / 4]) + (fmt ? ".d" : ".s"),
             fr(rd) + "," + fr(rs1) + "," + fr(rs2) + "," + fr(rs3) + rm_suffix(funct3));
      b.fsrc(rs1);
      b.fsrc(rs2);
      b.fsrc(rs3);
      b.fdst(rd);
      return;
    }
    case 0x53: return decode_op_fp(b, w);
    case 0x63: {  // BRANCH
      static constexpr const char* kName[8] = {"beq", "bne", nullptr, nullptr, "blt", "bge", "bltu", "bgeu"};
      if (!kName[funct3]) return b.illegal();
      const int64_t off = sext((bits(w, 31, 31) << 12) | (bits(w, 7, 7) << 11) |
                               (bits(w, 30, 25) << 5) | (bits(w, 11, 8) << 1), 13);
      return b.branch(kName[funct3], rs1, rs2, off);
    }
    case 0x67:  // JALR
      if (funct3 != 0) return b.illegal();
      return b.jalr(rd, rs1, imm_i);
    case 0x6f: {  // JAL
      const int64_t off = sext((bits(w, 31, 31) << 20) | (bits(w, 19, 12) << 12) |
                               (bits(w, 20, 20) << 11) | (bits(w, 30, 21) << 1), 21);
      return b.jal(rd, off);
    }
    case 0x73: return decode_system(b, w);
    default: return b.illegal();
  }
}

// ---------------------------------------------------------------------------
// 16-bit (C extension) instructions
// ---------------------------------------------------------------------------

// Field helpers; register fields with a prime (') address x8..x15.
unsigned rdp(uint32_t w) { return 8 + bits(w, 4, 2); }   // rd' / rs2'
unsigned rs1p(uint32_t w) { return 8 + bits(w, 9, 7); }  // rs1' / rd'
int64_t ci_imm(uint32_t w) { return sext((bits(w, 12, 12) << 5) | bits(w, 6, 2), 6); }
unsigned ci_shamt(uint32_t w) { return (bits(w, 12, 12) << 5) | bits(w, 6, 2); }
int64_t off_w(uint32_t w) {  // c.lw/c.sw/c.flw/c.fsw
  return (bits(w, 12, 10) << 3) | (bits(w, 6, 6) << 2) | (bits(w, 5, 5) << 6);
}
int64_t off_d(uint32_t w) {  // c.ld/c.sd/c.fld/c.fsd
  return (bits(w, 12, 10) << 3) | (bits(w, 6, 5) << 6);
}
int64_t off_lwsp(uint32_t w) {
  return (bits(w, 12, 12) << 5) | (bits(w, 6, 4) << 2) | (bits(w, 3, 2) << 6);
}
int64_t off_ldsp(uint32_t w) {
  return (bits(w, 12, 12) << 5) | (bits(w, 6, 5) << 3) | (bits(w, 4, 2) << 6);
}
int64_t off_swsp(uint32_t w) { return (bits(w, 12, 9) << 2) | (bits(w, 8, 7) << 6); }
int64_t off_sdsp(uint32_t w) { return (bits(w, 12, 10) << 3) | (bits(w, 9, 7) << 6); }
int64_t off_cj(uint32_t w) {
  return sext((bits(w, 12, 12) << 11) | (bits(w, 11, 11) << 4) | (bits(w, 10, 9) << 8) |
                  (bits(w, 8, 8) << 10) | (bits(w, 7, 7) << 6) | (bits(w, 6, 6) << 7) |
                  (bits(w, 5, 3) << 1) | (bits(w, 2, 2) << 5),
              12);
}
int64_t off_cb(uint32_t w) {
  return sext((bits(w, 12, 12) << 8) | (bits(w, 11, 10) << 3) | (bits(w, 6, 5) << 6) |
                  (bits(w, 4, 3) << 1) | (bits(w, 2, 2) << 5),
              9);
}

void decode16(Builder& b, uint32_t w) {
  const bool rv64 = b.rv64();
  const unsigned funct3 = bits(w, 15, 13);
  const unsigned rd = bits(w, 11, 7), rs2 = bits(w, 6, 2);

  switch (w & 3) {
    case 0:  // quadrant 0
      switch (funct3) {
        case 0: {  // c.addi4spn
          if (w == 0) {
            b.text("unimp");
            b.kind(Kind::kIllegal);
            return;
          }
          const unsigned imm = (bits(w, 12, 11) << 4) | (bits(w, 10, 7) << 6) |
                               (bits(w, 6, 6) << 2) | (bits(w, 5, 5) << 3);
          if (imm == 0) return b.illegal();
          return b.alu_imm("add", rdp(w), 2, dec(imm));
        }
        case 1: return b.load("fld", rdp(w), rs1p(w), off_d(w), 8, true);
        case 2: return b.load("lw", rdp(w), rs1p(w), off_w(w), 4, false);
        case 3:
          if (rv64) return b.load("ld", rdp(w), rs1p(w), off_d(w), 8, false);
          return b.load("flw", rdp(w), rs1p(w), off_w(w), 4, true);
        case 5: return b.store("fsd", rdp(w), rs1p(w), off_d(w), 8, true);
        case 6: return b.store("sw", rdp(w), rs1p(w), off_w(w), 4, false);
        case 7:
          if (rv64) return b.store("sd", rdp(w), rs1p(w), off_d(w), 8, false);
          return b.store("fsw", rdp(w), rs1p(w), off_w(w), 4, true);
        default: return b.illegal();
      }
    case 1:  // quadrant 1
      switch (funct3) {
        case 0:  // c.addi / c.nop
          if (rd == 0) {
            if (ci_imm(w) == 0) return b.text("nop");
            return b.text("c.nop", dec(ci_imm(w)));
          }
          return b.alu_imm("add", rd, rd, dec(ci_imm(w)));
        case 1:
          if (!rv64) return b.jal(1, off_cj(w));  // c.jal
          if (rd == 0) return b.illegal();        // c.addiw
          if (ci_imm(w) == 0) {
            b.text("sext.w", xr(rd) + "," + xr(rd));
            b.src(rd);
            b.dst(rd);
            return;
          }
          return b.alu_imm("addw", rd, rd, dec(ci_imm(w)));
        case 2:  // c.li
          if (rd == 0) return b.text("c.li", "zero," + dec(ci_imm(w)));
          b.text("li", xr(rd) + "," + dec(ci_imm(w)));
          b.dst(rd);
          return;
        case 3:
          if (rd == 2) {  // c.addi16sp
            const int64_t imm = sext((bits(w, 12, 12) << 9) | (bits(w, 6, 6) << 4) |
                                         (bits(w, 5, 5) << 6) | (bits(w, 4, 3) << 7) |
                                         (bits(w, 2, 2) << 5),
                                     10);
            b.alu_imm("add", 2, 2, dec(imm));
            if (imm == 0) b.reserved();  // nzimm = 0 is reserved
            return;
          }
          if (ci_imm(w) == 0) return b.illegal();  // c.lui, nzimm = 0: reserved
          {
            const uint32_t imm20 = static_cast<uint32_t>(ci_imm(w)) & 0xfffff;
            if (rd == 0) return b.text("c.lui", "zero," + hex(imm20));
            return b.lui(rd, imm20);
          }
        case 4: {
          const unsigned r = rs1p(w);
          switch (bits(w, 11, 10)) {
            case 0:
            case 1: {
              const bool arith = bits(w, 11, 10) == 1;
              const unsigned sh = ci_shamt(w);
              if (sh == 0) {
                b.text(arith ? "c.srai64" : "c.srli64", xr(r));
                b.src(r);
                b.dst(r);
                return;
              }
              b.alu_imm(arith ? "sra" : "srl", r, r, hex(sh));
              if (!rv64 && sh >= 32) b.reserved();  // RV32: custom/reserved
              return;
            }
            case 2: return b.alu_imm("and", r, r, dec(ci_imm(w)));
            default: {
              const unsigned s2 = rdp(w);
              const unsigned op = bits(w, 6, 5);
              if (bits(w, 12, 12) == 0) {
                static constexpr const char* kName[4] = {"sub", "xor", "or", "and"};
                return b.alu_reg(kName[op], r, r, s2);
              }
              if (rv64 && op == 0) return b.alu_reg("subw", r, r, s2);
              if (rv64 && op == 1) return b.alu_reg("addw", r, r, s2);
              return b.illegal();
            }
          }
        }
        case 5: return b.jal(0, off_cj(w));  // c.j
        case 6: return b.branch("beq", rs1p(w), 0, off_cb(w));
        case 7: return b.branch("bne", rs1p(w), 0, off_cb(w));
      }
      break;
    case 2:  // quadrant 2
      switch (funct3) {
        case 0: {  // c.slli
          const unsigned sh = ci_shamt(w);
          if (rd == 0 && sh != 0) return b.text("c.slli", "zero," + hex(sh));
          if (sh == 0) {
            b.text("c.slli64", xr(rd));
            b.src(rd);
            b.dst(rd);
            return;
          }
          b.alu_imm("sll", rd, rd, hex(sh));
          if (!rv64 && sh >= 32) b.reserved();  // RV32: custom/reserved
          return;
        }
        case 1: return b.load("fld", rd, 2, off_ldsp(w), 8, true);
        case 2:
          if (rd == 0) return b.illegal();
          return b.load("lw", rd, 2, off_lwsp(w), 4, false);
        case 3:
          if (!rv64) return b.load("flw", rd, 2, off_lwsp(w), 4, true);
          if (rd == 0) return b.illegal();
          return b.load("ld", rd, 2, off_ldsp(w), 8, false);
        case 4:
          if (bits(w, 12, 12) == 0) {
            if (rs2 == 0) {  // c.jr
              if (rd == 0) return b.illegal();
              return b.jalr(0, rd, 0);
            }
            if (rd == 0) {  // HINT
              b.text("c.mv", "zero," + xr(rs2));
              b.src(rs2);
              return;
            }
            return b.addi(rd, rs2, 0);  // c.mv -> "mv"
          }
          if (rd == 0 && rs2 == 0) {
            b.text("ebreak");
            b.kind(Kind::kSystem);
            return;
          }
          if (rs2 == 0) return b.jalr(1, rd, 0);  // c.jalr
          if (rd == 0) {  // HINT
            b.text("c.add", "zero," + xr(rs2));
            b.src(rs2);
            return;
          }
          return b.alu_reg("add", rd, rd, rs2);
        case 5: return b.store("fsd", rs2, 2, off_sdsp(w), 8, true);
        case 6: return b.store("sw", rs2, 2, off_swsp(w), 4, false);
        case 7:
          if (rv64) return b.store("sd", rs2, 2, off_sdsp(w), 8, false);
          return b.store("fsw", rs2, 2, off_swsp(w), 4, true);
      }
      break;
    default: break;
  }
  b.illegal();
}

unsigned length_of(uint16_t first) {
  if ((first & 0x03) != 0x03) return 2;
  if ((first & 0x1f) != 0x1f) return 4;
  if ((first & 0x3f) == 0x1f) return 6;
  if ((first & 0x7f) == 0x3f) return 8;
  const unsigned nnn = (first >> 12) & 7;
  if ((first & 0x7f) == 0x7f && nnn != 7) return 10 + 2 * nnn;
  return 2;  // reserved (>= 192-bit) encodings: step over one parcel
}

}  // namespace

Decoded decode(const uint8_t* bytes, size_t available, uint64_t pc, Xlen xlen) {
  Decoded d;
  if (bytes == nullptr || available == 0) return d;  // length 0, kIllegal

  // The length is encoded in the low bits of the first parcel; with a single
  // byte we still know it unless the >= 80-bit format's nnn field is needed.
  uint16_t first = bytes[0];
  if (available >= 2) first = static_cast<uint16_t>(first | (bytes[1] << 8));
  unsigned length = length_of(first);
  if (available < 2 && (first & 0x7f) == 0x7f) length = 0;

  if (length == 0 || available < length) {
    d.length = length;
    d.truncated = true;
    d.kind = Kind::kIllegal;
    for (size_t i = 0; i < std::min<size_t>(available, 4); ++i)
      d.raw |= static_cast<uint32_t>(bytes[i]) << (8 * i);
    return d;
  }

  if (length == 2) {
    Builder b(pc, xlen, 2, first);
    decode16(b, first);
    return std::move(b.d);
  }
  if (length == 4) {
    const uint32_t w = static_cast<uint32_t>(bytes[0]) | (static_cast<uint32_t>(bytes[1]) << 8) |
                       (static_cast<uint32_t>(bytes[2]) << 16) |
                       (static_cast<uint32_t>(bytes[3]) << 24);
    Builder b(pc, xlen, 4, w);
    decode32(b, w);
    return std::move(b.d);
  }

  // 48-bit and longer formats: nothing ratified uses them.  Print them the
  // way objdump does (".8byte" for 64-bit, a ".byte" list otherwise).
  d.length = length;
  d.kind = Kind::kIllegal;
  for (unsigned i = 0; i < 4; ++i) d.raw |= static_cast<uint32_t>(bytes[i]) << (8 * i);
  if (length == 8) {
    uint64_t v = 0;
    for (unsigned i = 0; i < 8; ++i) v |= static_cast<uint64_t>(bytes[i]) << (8 * i);
    d.mnemonic = ".8byte";
    d.operands = hex(v);
  } else {
    d.mnemonic = ".byte";
    for (unsigned i = 0; i < length; ++i) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "0x%02x", bytes[i]);
      if (i) d.operands += ", ";
      d.operands += buf;
    }
  }
  return d;
}

std::string_view kind_name(Kind kind) {
  switch (kind) {
    case Kind::kOther: return "other";
    case Kind::kLoad: return "load";
    case Kind::kStore: return "store";
    case Kind::kAtomic: return "atomic";
    case Kind::kBranch: return "branch";
    case Kind::kJump: return "jump";
    case Kind::kJumpRegister: return "jump-register";
    case Kind::kCall: return "call";
    case Kind::kReturn: return "return";
    case Kind::kSystem: return "system";
    case Kind::kIllegal: return "illegal";
  }
  return "?";
}

std::string_view register_name(int reg) {
  if (reg >= 0 && reg < 32) return kXNames[static_cast<size_t>(reg)];
  if (reg >= kFpRegisterBase && reg < kFpRegisterBase + 32)
    return kFNames[static_cast<size_t>(reg - kFpRegisterBase)];
  return "?";
}

std::string to_text(const Decoded& d) {
  if (d.operands.empty()) return d.mnemonic;
  return d.mnemonic + "\t" + d.operands;
}

}  // namespace triage::riscv

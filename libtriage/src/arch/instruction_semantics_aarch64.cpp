// Instruction semantics for AArch64 from Capstone 4's ARM64 detail.
//
// The direction and size of a memory access come from the mnemonic (ld*/st*,
// a b/h/sw suffix, a pair) and the data register's width: Capstone's access
// flags mark writeback bases as written memory. Capstone 4 shows a
// post-index immediate as a separate operand after the memory operand.
//
// Capstone 4 predates ARMv8.1 atomics and ARMv8.3 pointer authentication;
// those few encodings (ldadd/swp/cas..., retaa/braa/blraa...) are decoded
// here from the instruction word.
#include <capstone/capstone.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "instruction_semantics_internal.h"

namespace triage {
namespace {

using semantics_detail::add_unique;
using semantics_detail::CapstoneRegisterNames;

// The arch table's name of a Capstone register name: w registers fold onto x,
// wsp onto sp, the SIMD views (b/h/s/d/q) onto vN; xzr/wzr and nzcv are "".
// `width` is the register's size in bytes (for access sizes).
std::pair<std::string, unsigned> canonical_aarch64(std::string r) {
  unsigned width = 0;
  switch (r.empty() ? '\0' : r[0]) {
    case 'x': width = 8; break;
    case 'w': width = 4; break;
    case 'b': width = 1; break;
    case 'h': width = 2; break;
    case 's': width = 4; break;
    case 'd': width = 8; break;
    case 'q': case 'v': width = 16; break;
    default: break;
  }
  const bool numbered = r.size() >= 2 && r[1] >= '0' && r[1] <= '9';
  if (r == "xzr" || r == "wzr" || r == "nzcv") {
    r.clear();
  } else if (r == "wsp" || r == "sp") {
    r = "sp";
    width = 8;
  } else if (r == "fp") {
    r = "x29";
  } else if (r == "lr") {
    r = "x30";
  } else if (numbered && r[0] == 'w') {
    r[0] = 'x';
  } else if (numbered && (r[0] == 'b' || r[0] == 'h' || r[0] == 's' || r[0] == 'd' || r[0] == 'q')) {
    r[0] = 'v';
  }
  return {std::move(r), width};
}

const CapstoneRegisterNames& aarch64_register_names() {
  static const CapstoneRegisterNames names(CS_ARCH_ARM64, CS_MODE_ARM, ARM64_REG_ENDING, canonical_aarch64);
  return names;
}

// x0..x30 by number for the raw decoder; 31 is sp or the zero register
// depending on the field.
std::string_view x_register(unsigned number, bool sp) {
  static constexpr std::array<std::string_view, 31> kNames = {
      "x0",  "x1",  "x2",  "x3",  "x4",  "x5",  "x6",  "x7",  "x8",  "x9",  "x10",
      "x11", "x12", "x13", "x14", "x15", "x16", "x17", "x18", "x19", "x20", "x21",
      "x22", "x23", "x24", "x25", "x26", "x27", "x28", "x29", "x30"};
  if (number < 31) return kNames[number];
  return sp ? std::string_view("sp") : std::string_view();
}

std::string register_text(unsigned number, bool wide) {
  if (number == 31) return wide ? "xzr" : "wzr";
  return (wide ? "x" : "w") + std::to_string(number);
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// Vector structure loads/stores: ld1..ld4, ld1r..ld4r, st1..st4.
bool is_vector_structure(std::string_view m) {
  return m.size() >= 3 && (starts_with(m, "ld") || starts_with(m, "st")) && m[2] >= '1' &&
         m[2] <= '4';
}

// Element size in bytes of a vector arrangement.
unsigned element_size(arm64_vas vas) {
  switch (vas) {
    case ARM64_VAS_8B: case ARM64_VAS_16B: return 1;
    case ARM64_VAS_4H: case ARM64_VAS_8H: return 2;
    case ARM64_VAS_2S: case ARM64_VAS_4S: return 4;
    case ARM64_VAS_1D: case ARM64_VAS_2D: return 8;
    default: return 16;
  }
}

unsigned lane_size(arm64_vess vess) {
  switch (vess) {
    case ARM64_VESS_B: return 1;
    case ARM64_VESS_H: return 2;
    case ARM64_VESS_S: return 4;
    case ARM64_VESS_D: return 8;
    default: return 0;
  }
}

unsigned arrangement_size(arm64_vas vas) {
  switch (vas) {
    case ARM64_VAS_8B: case ARM64_VAS_4H: case ARM64_VAS_2S: case ARM64_VAS_1D: return 8;
    default: return 16;
  }
}

void set_flow(InstructionSemantics& s, bool clears) {
  if (s.registers_written.empty() || s.is_branch())
    s.flow = DataFlow::kNone;
  else if (clears || (s.registers_read.empty() && s.memory_operands.empty()))
    s.flow = DataFlow::kClears;
  else
    s.flow = DataFlow::kDerived;
}

// ARMv8.1 atomics and ARMv8.3 authenticated branches, which Capstone 4 does
// not decode; nothing for any other word.
bool decode_raw(uint32_t w, InstructionSemantics& s) {
  const unsigned rt = w & 31;
  const unsigned rn = (w >> 5) & 31;
  const unsigned rs = (w >> 16) & 31;
  const unsigned size_bits = w >> 30;
  static constexpr std::array<const char*, 4> kSizeSuffix = {"b", "h", "", ""};
  const auto order = [](bool acquire, bool release) {
    return std::string(acquire ? "a" : "") + (release ? "l" : "");
  };
  const auto memory = [&](unsigned size, bool read, bool write) {
    MemoryOperand m;
    m.base = x_register(rn, true);
    m.size = size;
    m.read = read;
    m.write = write;
    s.memory_operands.push_back(m);
    add_unique(s.registers_read, m.base);
  };

  // ldadd/ldclr/ldeor/ldset/ld{s,u}{max,min} and swp (st* aliases when
  // Rt is the zero register).
  if ((w & 0x3f200c00) == 0x38200000) {
    const bool o3 = (w >> 15) & 1;
    const unsigned opc = (w >> 12) & 7;
    if (o3 && opc != 0) return false;  // ldapr and reserved
    static constexpr std::array<const char*, 8> kOps = {"add",  "clr",  "eor",  "set",
                                                         "smax", "smin", "umax", "umin"};
    const bool wide = size_bits == 3;
    const bool acquire = (w >> 23) & 1;
    const bool release = (w >> 22) & 1;
    const bool store_alias = !o3 && rt == 31 && !acquire;
    s.instruction.mnemonic = std::string(o3 ? "swp" : store_alias ? "st" : "ld") +
                             (o3 ? "" : kOps[opc]) + order(acquire, release) +
                             kSizeSuffix[size_bits];
    s.instruction.operands = register_text(rs, wide) +
                             (store_alias ? "" : ", " + register_text(rt, wide)) + ", [" +
                             std::string(x_register(rn, true)) + "]";
    memory(1u << size_bits, true, true);
    add_unique(s.registers_read, x_register(rs, false));
    add_unique(s.registers_written, x_register(rt, false));
    s.kind = InstructionKind::kLoadStore;
    set_flow(s, false);
    return true;
  }
  // cas{a,l,al}{b,h}: Rs is compared and receives the old value.
  if ((w & 0x3fa07c00) == 0x08a07c00) {
    const bool wide = size_bits == 3;
    s.instruction.mnemonic =
        "cas" + order((w >> 22) & 1, (w >> 15) & 1) + kSizeSuffix[size_bits];
    s.instruction.operands = register_text(rs, wide) + ", " + register_text(rt, wide) + ", [" +
                             std::string(x_register(rn, true)) + "]";
    memory(1u << size_bits, true, true);
    add_unique(s.registers_read, x_register(rs, false));
    add_unique(s.registers_read, x_register(rt, false));
    add_unique(s.registers_written, x_register(rs, false));
    s.kind = InstructionKind::kLoadStore;
    set_flow(s, false);
    return true;
  }
  // casp{a,l,al}: pairs of registers.
  if ((w & 0xbfa07c00) == 0x08207c00) {
    const bool wide = (w >> 30) & 1;
    s.instruction.mnemonic = "casp" + order((w >> 22) & 1, (w >> 15) & 1);
    s.instruction.operands = register_text(rs, wide) + ", " + register_text(rs + 1, wide) + ", " +
                             register_text(rt, wide) + ", " + register_text(rt + 1, wide) + ", [" +
                             std::string(x_register(rn, true)) + "]";
    memory(wide ? 16 : 8, true, true);
    for (unsigned r : {rs, rs + 1, rt, rt + 1}) add_unique(s.registers_read, x_register(r, false));
    add_unique(s.registers_written, x_register(rs, false));
    add_unique(s.registers_written, x_register(rs + 1, false));
    s.kind = InstructionKind::kLoadStore;
    set_flow(s, false);
    return true;
  }
  // Authenticated branches: braa/brab(z), blraa/blrab(z), retaa/retab.
  if ((w >> 25) == 0x6b && ((w >> 16) & 31) == 31 && ((w >> 11) & 31) == 1) {
    const unsigned opc = (w >> 21) & 15;
    const char key = (w >> 10) & 1 ? 'b' : 'a';
    const unsigned op4 = rt;
    const std::string xn(x_register(rn, true));
    const std::string modifier = op4 == 31 ? "sp" : std::string(x_register(op4, false));
    switch (opc) {
      case 0:  // braaz
      case 1:  // blraaz
        if (op4 != 31) return false;
        s.instruction.mnemonic = std::string(opc == 0 ? "bra" : "blra") + key + "z";
        s.instruction.operands = xn;
        break;
      case 2:  // retaa
        if (rn != 31 || op4 != 31) return false;
        s.instruction.mnemonic = std::string("reta") + key;
        break;
      case 8:  // braa
      case 9:  // blraa
        s.instruction.mnemonic = std::string(opc == 8 ? "bra" : "blra") + key;
        s.instruction.operands = xn + ", " + modifier;
        if (op4 != 31) add_unique(s.registers_read, x_register(op4, false));
        break;
      default:
        return false;
    }
    if (opc == 2) {
      s.kind = InstructionKind::kReturn;
      s.target_register = "x30";
    } else {
      s.target_register = x_register(rn, false);
      s.kind = (opc & 1) ? InstructionKind::kCall : InstructionKind::kJump;
      if (opc & 1) add_unique(s.registers_written, "x30");
    }
    add_unique(s.registers_read, s.target_register);
    s.flow = DataFlow::kNone;
    return true;
  }
  return false;
}

class Aarch64Analyzer final : public InstructionAnalyzer {
 public:
  Aarch64Analyzer(csh handle, const ArchInfo& arch)
      : handle_(handle), arch_(arch), names_(aarch64_register_names()) {}
  ~Aarch64Analyzer() override { cs_close(&handle_); }
  Aarch64Analyzer(const Aarch64Analyzer&) = delete;
  Aarch64Analyzer& operator=(const Aarch64Analyzer&) = delete;

  const ArchInfo& arch() const override { return arch_; }
  size_t max_instruction_size() const override { return 4; }

  InstructionSemantics analyze(std::span<const uint8_t> bytes, uint64_t address) const override {
    InstructionSemantics s;
    s.instruction.address = address;
    cs_insn* insn = cs_malloc(handle_);
    if (insn == nullptr) return semantics_detail::mark_invalid(s, bytes);
    const uint8_t* code = bytes.data();
    size_t size = std::min<size_t>(bytes.size(), 4);
    uint64_t at = address;
    if (size == 0 || !cs_disasm_iter(handle_, &code, &size, &at, insn)) {
      cs_free(insn, 1);
      if (bytes.size() >= 4) {
        uint32_t word = 0;
        for (int i = 3; i >= 0; --i) word = word << 8 | bytes[static_cast<size_t>(i)];
        s.instruction.bytes.assign(bytes.begin(), bytes.begin() + 4);
        if (decode_raw(word, s)) return s;
        s = InstructionSemantics();
        s.instruction.address = address;
      }
      semantics_detail::mark_invalid(s, bytes);
      if (bytes.size() >= 4) s.instruction.bytes.assign(bytes.begin(), bytes.begin() + 4);
      return s;
    }
    s.instruction.address = insn->address;
    s.instruction.bytes.assign(insn->bytes, insn->bytes + insn->size);
    s.instruction.mnemonic = insn->mnemonic;
    s.instruction.operands = insn->op_str;
    describe(*insn, s);
    cs_free(insn, 1);
    return s;
  }

 private:
  void describe(const cs_insn& insn, InstructionSemantics& s) const {
    const cs_arm64& a64 = insn.detail->arm64;
    const unsigned id = insn.id;
    const std::string_view m = insn.mnemonic;

    bool has_immediate = false;
    std::vector<std::string_view> explicit_reads;
    std::vector<const cs_arm64_op*> data_registers;  // register operands, in order
    for (uint8_t i = 0; i < a64.op_count; ++i) {
      const cs_arm64_op& op = a64.operands[i];
      if (op.type == ARM64_OP_IMM || op.type == ARM64_OP_CIMM || op.type == ARM64_OP_FP)
        has_immediate = true;
      if (op.type != ARM64_OP_REG) continue;
      data_registers.push_back(&op);
      const std::string_view name = names_.name(op.reg);
      const bool read = (op.access & CS_AC_READ) != 0 || op.access == 0;
      const bool write = (op.access & CS_AC_WRITE) != 0;
      if (read && !write) explicit_reads.push_back(name);
      if (read) add_unique(s.registers_read, name);
      if (write) add_unique(s.registers_written, name);
    }

    // Memory.
    const bool prefetch = id == ARM64_INS_PRFM || id == ARM64_INS_PRFUM;
    const bool load = starts_with(m, "ld");
    const bool store = starts_with(m, "st");
    const auto access_size = [&]() -> unsigned {
      if (is_vector_structure(m)) {
        unsigned total = 0;
        for (const cs_arm64_op* op : data_registers) {
          if (op->vas == ARM64_VAS_INVALID) {  // one lane: {v0.s}[1]
            total += lane_size(op->vess);
            continue;
          }
          const bool replicate = m.size() >= 4 && m[3] == 'r';  // ld1r: one element
          total += replicate ? element_size(op->vas) : arrangement_size(op->vas);
        }
        return total;
      }
      if (m == "ldpsw") return 8;
      // The data register: the second operand of a store exclusive (the
      // first receives the status).
      const bool status_first = starts_with(m, "stx") || starts_with(m, "stlx");
      const size_t data = status_first ? 1 : 0;
      unsigned size = data < data_registers.size() ? names_.width(data_registers[data]->reg) : 0;
      if (m.ends_with("sw")) size = 4;
      else if (m.ends_with("b")) size = 1;
      else if (m.ends_with("h")) size = 2;
      if (m.ends_with("p")) size *= 2;
      return size;
    };
    if ((load || store) && !prefetch) {
      MemoryOperand memory;
      bool found = false;
      for (uint8_t i = 0; i < a64.op_count; ++i) {
        const cs_arm64_op& op = a64.operands[i];
        if (op.type != ARM64_OP_MEM) continue;
        found = true;
        const bool post_indexed = i + 1 < a64.op_count && a64.operands[i + 1].type == ARM64_OP_IMM;
        memory.base = names_.name(op.mem.base);
        if (!post_indexed) {
          memory.displacement = op.mem.disp;
          memory.index = names_.name(op.mem.index);
          if (!memory.index.empty()) {
            if (op.shift.type == ARM64_SFT_LSL && op.shift.value < 31)
              memory.scale = 1 << op.shift.value;
            if (op.ext == ARM64_EXT_UXTW || op.ext == ARM64_EXT_SXTW) {
              memory.index_bits = 32;
              memory.index_signed = op.ext == ARM64_EXT_SXTW;
            }
          }
        }
        add_unique(s.registers_read, memory.base);
        add_unique(s.registers_read, names_.name(op.mem.index));
        if (a64.writeback && memory.base != "sp") add_unique(s.registers_written, memory.base);
        break;
      }
      if (!found && load) {
        // ldr literal: Capstone gives the resolved address as an immediate.
        for (uint8_t i = 0; i < a64.op_count; ++i) {
          if (a64.operands[i].type != ARM64_OP_IMM) continue;
          memory.displacement = a64.operands[i].imm;
          found = true;
          break;
        }
      }
      if (found) {
        memory.size = access_size();
        memory.read = load;
        memory.write = store;
        s.memory_operands.push_back(memory);
        // Capstone marks the registers a store writes back as written and a
        // load's destinations as read+write in places: a store writes only
        // its status register and a writeback base.
        if (store) {
          const bool status_first = starts_with(m, "stx") || starts_with(m, "stlx");
          std::vector<std::string_view> written;
          if (status_first && !data_registers.empty())
            add_unique(written, names_.name(data_registers.front()->reg));
          if (a64.writeback && s.memory_operands.back().base != "sp")
            add_unique(written, s.memory_operands.back().base);
          s.registers_written = written;
        }
      }
    }

    // Implicit registers (x30 of bl/blr); flags are nameless.
    for (uint8_t i = 0; i < insn.detail->regs_read_count; ++i)
      add_unique(s.registers_read, names_.name(insn.detail->regs_read[i]));
    for (uint8_t i = 0; i < insn.detail->regs_write_count; ++i) {
      const std::string_view name = names_.name(insn.detail->regs_write[i]);
      if (name != "sp") add_unique(s.registers_written, name);
    }

    // Control transfers.
    const auto last_immediate = [&]() -> std::optional<uint64_t> {
      std::optional<uint64_t> target;
      for (uint8_t i = 0; i < a64.op_count; ++i)
        if (a64.operands[i].type == ARM64_OP_IMM)
          target = static_cast<uint64_t>(a64.operands[i].imm);
      return target;
    };
    const auto first_register = [&]() -> std::string_view {
      return data_registers.empty() ? std::string_view() : names_.name(data_registers.front()->reg);
    };
    switch (id) {
      case ARM64_INS_B: {
        const bool conditional = a64.cc != ARM64_CC_INVALID && a64.cc != ARM64_CC_AL &&
                                 a64.cc != ARM64_CC_NV;
        s.kind = conditional ? InstructionKind::kConditionalJump : InstructionKind::kJump;
        s.direct_target = last_immediate();
        break;
      }
      case ARM64_INS_CBZ:
      case ARM64_INS_CBNZ:
      case ARM64_INS_TBZ:
      case ARM64_INS_TBNZ:
        s.kind = InstructionKind::kConditionalJump;
        s.direct_target = last_immediate();
        break;
      case ARM64_INS_BL:
        s.kind = InstructionKind::kCall;
        s.direct_target = last_immediate();
        break;
      case ARM64_INS_BR:
        s.kind = InstructionKind::kJump;
        s.target_register = first_register();
        break;
      case ARM64_INS_BLR:
        s.kind = InstructionKind::kCall;
        s.target_register = first_register();
        break;
      case ARM64_INS_RET:
        s.kind = InstructionKind::kReturn;
        s.target_register = data_registers.empty() ? std::string_view("x30") : first_register();
        add_unique(s.registers_read, s.target_register);
        break;
      case ARM64_INS_ERET:
        s.kind = InstructionKind::kReturn;
        break;
      default:
        s.kind = semantics_detail::kind_from_accesses(s);
        break;
    }

    const bool zeroing_idiom = (id == ARM64_INS_EOR || id == ARM64_INS_SUB) && !has_immediate &&
                               explicit_reads.size() == 2 && explicit_reads[0] == explicit_reads[1];
    set_flow(s, zeroing_idiom);
  }

  mutable csh handle_;
  const ArchInfo& arch_;
  const CapstoneRegisterNames& names_;
};

}  // namespace

Result<std::unique_ptr<InstructionAnalyzer>> make_aarch64_analyzer(const ArchInfo& arch) {
  csh handle = 0;
  if (cs_open(CS_ARCH_ARM64, CS_MODE_ARM, &handle) != CS_ERR_OK)
    return make_error(ErrorKind::kUnsupported, "Capstone cannot open AArch64");
  cs_option(handle, CS_OPT_DETAIL, CS_OPT_ON);
  return std::unique_ptr<InstructionAnalyzer>(new Aarch64Analyzer(handle, arch));
}

}  // namespace triage

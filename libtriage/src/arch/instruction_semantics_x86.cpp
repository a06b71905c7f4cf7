// Instruction semantics for x86 and x86-64 from Capstone 4's x86 detail.
#include <capstone/capstone.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstddef>
#include <string>
#include <vector>

#include "instruction_semantics_internal.h"

namespace triage {

// ---------------------------------------------------------------------------
// x86 and x86-64.

namespace {

using semantics_detail::add_unique;
using semantics_detail::CapstoneRegisterNames;

// The arch table's name of a Capstone register name, per mode: sub-registers
// map to the register of the arch table ("al" -> "rax" in 64-bit code,
// "eax" in 32-bit code), rip/eip to "" (the program counter is handled
// apart), flags to "" (not tracked); vector registers are folded onto their
// xmm name and everything else keeps Capstone's name.
std::pair<std::string, unsigned> canonical_x86(std::string r, bool is64) {
  static constexpr std::array<std::string_view, 4> kLegacy = {"a", "b", "c", "d"};
  static constexpr std::array<std::string_view, 4> kIndex = {"si", "di", "bp", "sp"};
  const std::string prefix = is64 ? "r" : "e";
  for (std::string_view l : kLegacy) {
    const std::string x = std::string(l) + "x";
    if (r == "r" + x) return {prefix + x, 8};
    if (r == "e" + x) return {prefix + x, 4};
    if (r == x) return {prefix + x, 2};
    if (r == std::string(l) + "l" || r == std::string(l) + "h") return {prefix + x, 1};
  }
  for (std::string_view i : kIndex) {
    const std::string s(i);
    if (r == "r" + s) return {prefix + s, 8};
    if (r == "e" + s) return {prefix + s, 4};
    if (r == s) return {prefix + s, 2};
    if (r == s + "l") return {prefix + s, 1};
  }
  if (r.size() >= 2 && r[0] == 'r' && std::isdigit(static_cast<unsigned char>(r[1]))) {
    size_t digits = 1;
    while (digits < r.size() && std::isdigit(static_cast<unsigned char>(r[digits]))) ++digits;
    const std::string base = r.substr(0, digits);
    const std::string suffix = r.substr(digits);
    if (suffix.empty()) return {base, 8};
    if (suffix == "d") return {base, 4};
    if (suffix == "w") return {base, 2};
    if (suffix == "b") return {base, 1};
  }
  if (r == "rip" || r == "eip" || r == "ip") return {"", 0};
  if (r == "rflags" || r == "eflags" || r == "flags") return {"", 0};
  if ((r.rfind("ymm", 0) == 0 || r.rfind("zmm", 0) == 0) && r.size() > 3)
    return {"xmm" + r.substr(3), 0};
  return {r, 0};
}

const CapstoneRegisterNames& x86_register_names(bool is64) {
  static const CapstoneRegisterNames k32(CS_ARCH_X86, CS_MODE_32, X86_REG_ENDING,
                                         [](std::string r) { return canonical_x86(std::move(r), false); });
  static const CapstoneRegisterNames k64(CS_ARCH_X86, CS_MODE_64, X86_REG_ENDING,
                                         [](std::string r) { return canonical_x86(std::move(r), true); });
  return is64 ? k64 : k32;
}

bool is_one_of(unsigned id, std::initializer_list<unsigned> ids) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}


class X86Analyzer final : public InstructionAnalyzer {
 public:
  X86Analyzer(csh handle, const ArchInfo& arch)
      : handle_(handle), arch_(arch), names_(x86_register_names(arch.is_64bit)) {}
  ~X86Analyzer() override { cs_close(&handle_); }
  X86Analyzer(const X86Analyzer&) = delete;
  X86Analyzer& operator=(const X86Analyzer&) = delete;

  const ArchInfo& arch() const override { return arch_; }
  size_t max_instruction_size() const override { return 15; }

  InstructionSemantics analyze(std::span<const uint8_t> bytes, uint64_t address) const override {
    InstructionSemantics s;
    s.instruction.address = address;
    cs_insn* insn = cs_malloc(handle_);
    if (insn == nullptr) return invalid(s, bytes);
    const uint8_t* code = bytes.data();
    size_t size = std::min<size_t>(bytes.size(), 15);
    uint64_t at = address;
    if (size == 0 || !cs_disasm_iter(handle_, &code, &size, &at, insn)) {
      cs_free(insn, 1);
      return invalid(s, bytes);
    }
    s.instruction.address = insn->address & arch_.address_mask();
    s.instruction.bytes.assign(insn->bytes, insn->bytes + insn->size);
    s.instruction.mnemonic = insn->mnemonic;
    s.instruction.operands = insn->op_str;
    describe(*insn, s);
    cs_free(insn, 1);
    return s;
  }

 private:
  static InstructionSemantics invalid(InstructionSemantics& s, std::span<const uint8_t> bytes) {
    s.kind = InstructionKind::kInvalid;
    s.instruction.valid = false;
    s.instruction.mnemonic = "(bad)";
    if (!bytes.empty()) s.instruction.bytes.assign(bytes.begin(), bytes.begin() + 1);
    return s;
  }

  std::string_view stack_pointer() const { return arch_.register_names[arch_.sp]; }
  std::string_view frame_pointer() const { return arch_.register_names[arch_.fp]; }

  void describe(const cs_insn& insn, InstructionSemantics& s) const {
    const cs_x86& x86 = insn.detail->x86;
    const unsigned id = insn.id;
    const unsigned word = arch_.word_size;
    const uint64_t next = insn.address + insn.size;

    const bool is_call = cs_insn_group(handle_, &insn, CS_GRP_CALL);
    const bool is_ret = cs_insn_group(handle_, &insn, CS_GRP_RET) ||
                        cs_insn_group(handle_, &insn, CS_GRP_IRET) ||
                        is_one_of(id, {X86_INS_RET, X86_INS_RETF, X86_INS_RETFQ, X86_INS_IRET,
                                       X86_INS_IRETD, X86_INS_IRETQ});
    const bool is_jump = !is_call && !is_ret && cs_insn_group(handle_, &insn, CS_GRP_JUMP);
    const bool is_push = is_one_of(id, {X86_INS_PUSH, X86_INS_PUSHAW, X86_INS_PUSHAL,
                                        X86_INS_PUSHF, X86_INS_PUSHFD, X86_INS_PUSHFQ});
    const bool is_pop = is_one_of(id, {X86_INS_POP, X86_INS_POPAW, X86_INS_POPAL, X86_INS_POPF,
                                       X86_INS_POPFD, X86_INS_POPFQ});
    // Operands written as memory that are not accessed.
    const bool no_access = is_one_of(id, {X86_INS_LEA, X86_INS_NOP, X86_INS_PREFETCH,
                                          X86_INS_PREFETCHNTA, X86_INS_PREFETCHT0,
                                          X86_INS_PREFETCHT1, X86_INS_PREFETCHT2,
                                          X86_INS_PREFETCHW});
    // Capstone 4 marks some read-modify-write memory operands as read only.
    const bool rmw = is_one_of(id, {X86_INS_CMPXCHG, X86_INS_CMPXCHG8B, X86_INS_CMPXCHG16B,
                                    X86_INS_XADD});
    const bool rep = x86.prefix[0] == X86_PREFIX_REP || x86.prefix[0] == X86_PREFIX_REPNE;

    std::vector<std::string_view> explicit_register_reads;
    bool has_immediate = false;
    for (uint8_t i = 0; i < x86.op_count; ++i) {
      const cs_x86_op& op = x86.operands[i];
      switch (op.type) {
        case X86_OP_REG: {
          const std::string_view name = names_.name(op.reg);
          if (op.access & CS_AC_READ) {
            add_unique(s.registers_read, name);
            explicit_register_reads.push_back(name);
          }
          if (op.access & CS_AC_WRITE) {
            add_unique(s.registers_written, name);
            // An 8- or 16-bit write keeps the rest of the register.
            const unsigned width = names_.width(op.reg);
            if (width != 0 && width < 4) add_unique(s.registers_read, name);
          }
          if ((is_call || is_jump) && s.target_register.empty()) s.target_register = name;
          break;
        }
        case X86_OP_IMM:
          has_immediate = true;
          if (is_call || is_jump) s.direct_target = static_cast<uint64_t>(op.imm) & arch_.address_mask();
          break;
        case X86_OP_MEM: {
          MemoryOperand m;
          const std::string_view segment = names_.name(op.mem.segment);
          if (segment == "fs" || segment == "gs") m.segment = segment;
          if (op.mem.base == X86_REG_RIP || op.mem.base == X86_REG_EIP) {
            m.displacement = static_cast<int64_t>(next + static_cast<uint64_t>(op.mem.disp));
          } else {
            m.base = names_.name(op.mem.base);
            m.displacement = op.mem.disp;
          }
          m.index = names_.name(op.mem.index);
          m.scale = op.mem.scale == 0 ? 1 : op.mem.scale;
          m.size = op.size;
          m.address_size = x86.addr_size == 0 ? word : x86.addr_size;
          add_unique(s.registers_read, m.base);
          add_unique(s.registers_read, m.index);
          if (no_access) break;
          m.read = (op.access & CS_AC_READ) != 0 || op.access == 0 || rmw;
          m.write = (op.access & CS_AC_WRITE) != 0 || rmw;
          if (rep) m.size = 0;
          if ((is_call || is_jump) && !s.target_memory) s.target_memory = s.memory_operands.size();
          s.memory_operands.push_back(m);
          break;
        }
        default:
          break;
      }
    }

    // Implicit registers, without flags, pc and the stack pointer's updates.
    for (uint8_t i = 0; i < insn.detail->regs_read_count; ++i) {
      const std::string_view name = names_.name(insn.detail->regs_read[i]);
      if (name != stack_pointer()) add_unique(s.registers_read, name);
    }
    for (uint8_t i = 0; i < insn.detail->regs_write_count; ++i) {
      const std::string_view name = names_.name(insn.detail->regs_write[i]);
      if (name != stack_pointer()) add_unique(s.registers_written, name);
    }

    // Implicit stack accesses.
    auto stack_slot = [&](std::string_view base, int64_t displacement, bool write) {
      MemoryOperand m;
      m.base = base;
      m.displacement = displacement;
      m.size = word;
      m.address_size = word;
      m.read = !write;
      m.write = write;
      m.implicit = true;
      s.memory_operands.push_back(m);
    };
    if (is_push || is_call || id == X86_INS_ENTER) {
      stack_slot(stack_pointer(), -static_cast<int64_t>(word), true);
    } else if (is_pop || is_ret) {
      stack_slot(stack_pointer(), 0, false);
    } else if (id == X86_INS_LEAVE) {
      stack_slot(frame_pointer(), 0, false);
    }

    // Kind.
    if (is_ret) {
      s.kind = InstructionKind::kReturn;
    } else if (is_call) {
      s.kind = InstructionKind::kCall;
    } else if (is_jump) {
      s.kind = is_one_of(id, {X86_INS_JMP, X86_INS_LJMP}) ? InstructionKind::kJump
                                                          : InstructionKind::kConditionalJump;
    } else if (is_push) {
      s.kind = InstructionKind::kPush;
    } else if (is_pop) {
      s.kind = InstructionKind::kPop;
    } else {
      bool reads = false;
      bool writes = false;
      for (const MemoryOperand& m : s.memory_operands) {
        reads |= m.read;
        writes |= m.write;
      }
      s.kind = reads && writes ? InstructionKind::kLoadStore
               : reads         ? InstructionKind::kLoad
               : writes        ? InstructionKind::kStore
                               : InstructionKind::kOther;
    }
    if (!is_call && !is_jump) {
      s.target_register = {};
      s.target_memory.reset();
      s.direct_target.reset();
    } else if (s.direct_target) {
      s.target_register = {};
      s.target_memory.reset();
    }

    // Data flow.
    const bool zeroing_idiom =
        is_one_of(id, {X86_INS_XOR, X86_INS_SUB, X86_INS_SBB, X86_INS_PXOR, X86_INS_XORPS,
                       X86_INS_XORPD, X86_INS_VPXOR, X86_INS_VPXORD, X86_INS_VPXORQ,
                       X86_INS_VXORPS, X86_INS_VXORPD, X86_INS_PSUBB, X86_INS_PSUBW,
                       X86_INS_PSUBD, X86_INS_PSUBQ}) &&
        !has_immediate && s.memory_operands.empty() && explicit_register_reads.size() >= 2 &&
        std::all_of(explicit_register_reads.begin(), explicit_register_reads.end(),
                    [&](std::string_view r) { return r == explicit_register_reads.front(); });
    if (s.registers_written.empty() || s.is_branch()) {
      s.flow = DataFlow::kNone;
    } else if (zeroing_idiom || is_pop) {
      s.flow = DataFlow::kClears;
    } else {
      s.flow = DataFlow::kDerived;
    }
  }

  mutable csh handle_;
  const ArchInfo& arch_;
  const CapstoneRegisterNames& names_;
};

}  // namespace

Result<std::unique_ptr<InstructionAnalyzer>> make_x86_analyzer(const ArchInfo& arch) {
  csh handle = 0;
  if (cs_open(CS_ARCH_X86, arch.is_64bit ? CS_MODE_64 : CS_MODE_32, &handle) != CS_ERR_OK)
    return make_error(ErrorKind::kUnsupported, "Capstone cannot open x86");
  cs_option(handle, CS_OPT_DETAIL, CS_OPT_ON);
  return std::unique_ptr<InstructionAnalyzer>(new X86Analyzer(handle, arch));
}

}  // namespace triage

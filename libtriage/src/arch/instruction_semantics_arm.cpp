// Instruction semantics for 32-bit ARM, in ARM and Thumb state, from
// Capstone 4's ARM detail.
//
// Capstone's access flags are not reliable for ARM memory operands (ldrd,
// ldr pc, ldrh in Thumb come back with none), so the direction and size of
// an access come from the instruction id. A post-indexed access shows as a
// memory operand followed by the offset (an immediate or a register): the
// access is at the base then.
#include <capstone/capstone.h>

#include <algorithm>
#include <array>
#include <initializer_list>
#include <optional>
#include <string_view>

#include "instruction_semantics_internal.h"

namespace triage {
namespace {

using semantics_detail::add_unique;

bool is_one_of(unsigned id, std::initializer_list<unsigned> ids) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

// The arch table's name for a Capstone register (by id: Capstone prints r9
// to r12 as sb/sl/fp/ip or not, depending on syntax); "" for flags and
// status registers, which are not tracked.
std::string_view arm_register(csh handle, unsigned id) {
  static constexpr std::array<std::string_view, 13> kCore = {
      "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "fp", "ip"};
  if (id >= ARM_REG_R0 && id <= ARM_REG_R12) return kCore[id - ARM_REG_R0];
  switch (id) {
    case ARM_REG_INVALID:
    case ARM_REG_APSR:
    case ARM_REG_APSR_NZCV:
    case ARM_REG_CPSR:
    case ARM_REG_SPSR:
    case ARM_REG_FPSCR:
    case ARM_REG_FPSCR_NZCV:
    case ARM_REG_ITSTATE:
      return {};
    case ARM_REG_SP: return "sp";
    case ARM_REG_LR: return "lr";
    case ARM_REG_PC: return "pc";
    default: {
      const char* name = cs_reg_name(handle, id);  // a static string
      return name == nullptr ? std::string_view() : std::string_view(name);
    }
  }
}

// Bytes per register of a VFP/NEON register name ("d3" 8, "s1" 4, "q0" 16).
unsigned vector_register_size(std::string_view name) {
  if (name.empty()) return 0;
  switch (name.front()) {
    case 's': return 4;
    case 'd': return 8;
    case 'q': return 16;
    default: return 4;
  }
}

enum class Access { kNone, kRead, kWrite, kReadWrite };

struct SingleAccess {
  Access access;
  unsigned size;  // 0: from the register (vldr/vstr)
};

// Loads and stores of one or two registers through a memory operand.
std::optional<SingleAccess> single_access(unsigned id) {
  switch (id) {
    case ARM_INS_LDR: case ARM_INS_LDRT: case ARM_INS_LDREX: case ARM_INS_LDA:
    case ARM_INS_LDAEX:
      return SingleAccess{Access::kRead, 4};
    case ARM_INS_LDRB: case ARM_INS_LDRSB: case ARM_INS_LDRBT: case ARM_INS_LDRSBT:
    case ARM_INS_LDREXB: case ARM_INS_LDAB: case ARM_INS_LDAEXB: case ARM_INS_TBB:
      return SingleAccess{Access::kRead, 1};
    case ARM_INS_LDRH: case ARM_INS_LDRSH: case ARM_INS_LDRHT: case ARM_INS_LDRSHT:
    case ARM_INS_LDREXH: case ARM_INS_LDAH: case ARM_INS_LDAEXH: case ARM_INS_TBH:
      return SingleAccess{Access::kRead, 2};
    case ARM_INS_LDRD: case ARM_INS_LDREXD: case ARM_INS_LDAEXD:
      return SingleAccess{Access::kRead, 8};
    case ARM_INS_VLDR:
      return SingleAccess{Access::kRead, 0};
    case ARM_INS_STR: case ARM_INS_STRT: case ARM_INS_STREX: case ARM_INS_STL:
    case ARM_INS_STLEX:
      return SingleAccess{Access::kWrite, 4};
    case ARM_INS_STRB: case ARM_INS_STRBT: case ARM_INS_STREXB: case ARM_INS_STLB:
    case ARM_INS_STLEXB:
      return SingleAccess{Access::kWrite, 1};
    case ARM_INS_STRH: case ARM_INS_STRHT: case ARM_INS_STREXH: case ARM_INS_STLH:
    case ARM_INS_STLEXH:
      return SingleAccess{Access::kWrite, 2};
    case ARM_INS_STRD: case ARM_INS_STREXD: case ARM_INS_STLEXD:
      return SingleAccess{Access::kWrite, 8};
    case ARM_INS_VSTR:
      return SingleAccess{Access::kWrite, 0};
    case ARM_INS_SWP:
      return SingleAccess{Access::kReadWrite, 4};
    case ARM_INS_SWPB:
      return SingleAccess{Access::kReadWrite, 1};
    case ARM_INS_PLD: case ARM_INS_PLDW: case ARM_INS_PLI:
      return SingleAccess{Access::kNone, 0};
    default:
      return std::nullopt;
  }
}

// Load/store multiple: where the block starts relative to the base.
enum class Block { kIncrementAfter, kIncrementBefore, kDecrementAfter, kDecrementBefore };

struct MultipleAccess {
  Access access;
  Block block;
  bool stack;  // push/pop/vpush/vpop: the base is sp, not an operand
};

std::optional<MultipleAccess> multiple_access(unsigned id) {
  switch (id) {
    case ARM_INS_LDM: case ARM_INS_VLDMIA:
      return MultipleAccess{Access::kRead, Block::kIncrementAfter, false};
    case ARM_INS_LDMIB:
      return MultipleAccess{Access::kRead, Block::kIncrementBefore, false};
    case ARM_INS_LDMDA:
      return MultipleAccess{Access::kRead, Block::kDecrementAfter, false};
    case ARM_INS_LDMDB: case ARM_INS_VLDMDB:
      return MultipleAccess{Access::kRead, Block::kDecrementBefore, false};
    case ARM_INS_POP: case ARM_INS_VPOP:
      return MultipleAccess{Access::kRead, Block::kIncrementAfter, true};
    case ARM_INS_STM: case ARM_INS_VSTMIA:
      return MultipleAccess{Access::kWrite, Block::kIncrementAfter, false};
    case ARM_INS_STMIB:
      return MultipleAccess{Access::kWrite, Block::kIncrementBefore, false};
    case ARM_INS_STMDA:
      return MultipleAccess{Access::kWrite, Block::kDecrementAfter, false};
    case ARM_INS_STMDB: case ARM_INS_VSTMDB:
      return MultipleAccess{Access::kWrite, Block::kDecrementBefore, false};
    case ARM_INS_PUSH: case ARM_INS_VPUSH:
      return MultipleAccess{Access::kWrite, Block::kDecrementBefore, true};
    default:
      return std::nullopt;
  }
}

bool is_vector_structure(unsigned id) {
  return is_one_of(id, {ARM_INS_VLD1, ARM_INS_VLD2, ARM_INS_VLD3, ARM_INS_VLD4, ARM_INS_VST1,
                        ARM_INS_VST2, ARM_INS_VST3, ARM_INS_VST4});
}

class ArmAnalyzer final : public InstructionAnalyzer {
 public:
  ArmAnalyzer(csh handle, const ArchInfo& arch, bool thumb)
      : handle_(handle), arch_(arch), thumb_(thumb) {}
  ~ArmAnalyzer() override { cs_close(&handle_); }
  ArmAnalyzer(const ArmAnalyzer&) = delete;
  ArmAnalyzer& operator=(const ArmAnalyzer&) = delete;

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
      semantics_detail::mark_invalid(s, bytes);
      // Resynchronise on the instruction size of the state.
      const size_t skip = std::min<size_t>(bytes.size(), thumb_ ? 2 : 4);
      s.instruction.bytes.assign(bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(skip));
      return s;
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
  std::string_view reg(unsigned id) const { return arm_register(handle_, id); }

  // pc as an operand reads the instruction's address + 8 (ARM) or + 4
  // (Thumb); literal loads in Thumb align it down to a word.
  uint64_t pc_value(uint64_t address, bool align) const {
    if (!thumb_) return address + 8;
    const uint64_t value = address + 4;
    return align ? value & ~uint64_t{3} : value;
  }

  void describe(const cs_insn& insn, InstructionSemantics& s) const {
    const cs_arm& arm = insn.detail->arm;
    const unsigned id = insn.id;
    const uint64_t mask = arch_.address_mask();
    const bool conditional = arm.cc != ARM_CC_AL && arm.cc != ARM_CC_INVALID;

    // Registers, from the explicit operands; pc and flags are left out.
    bool writes_pc = false;
    bool has_immediate = false;
    std::vector<std::string_view> explicit_reads;
    std::vector<std::string_view> register_list;  // for ldm/stm/push/pop
    for (uint8_t i = 0; i < arm.op_count; ++i) {
      const cs_arm_op& op = arm.operands[i];
      if (op.type == ARM_OP_IMM) has_immediate = true;
      if (op.type != ARM_OP_REG) continue;
      const std::string_view name = reg(static_cast<unsigned>(op.reg));
      const bool read = (op.access & CS_AC_READ) != 0 || op.access == 0;
      const bool write = (op.access & CS_AC_WRITE) != 0;
      if (name == "pc") {
        writes_pc |= write;
        continue;
      }
      if (read && !write) explicit_reads.push_back(name);
      if (read) add_unique(s.registers_read, name);
      if (write) add_unique(s.registers_written, name);
      // A shift by a register reads it too.
      if (op.shift.type >= ARM_SFT_ASR_REG)
        add_unique(s.registers_read, reg(op.shift.value));
    }

    const std::optional<SingleAccess> single = single_access(id);
    const std::optional<MultipleAccess> multiple = multiple_access(id);
    bool post_indexed = false;
    std::optional<size_t> explicit_memory;

    // Memory operands written as [base, ...].
    for (uint8_t i = 0; i < arm.op_count; ++i) {
      const cs_arm_op& op = arm.operands[i];
      if (op.type != ARM_OP_MEM) continue;
      MemoryOperand m;
      m.address_size = 4;
      post_indexed = i + 1 < arm.op_count &&
                     (arm.operands[i + 1].type == ARM_OP_IMM ||
                      arm.operands[i + 1].type == ARM_OP_REG);
      const std::string_view base = reg(op.mem.base);
      const std::string_view index = reg(op.mem.index);
      int64_t displacement = op.mem.disp;
      if (op.subtracted && displacement > 0) displacement = -displacement;
      if (!post_indexed) {
        m.displacement = displacement;
        if (!index.empty()) {
          const unsigned shift = op.shift.value;
          if (op.shift.type == ARM_SFT_INVALID || (op.shift.type == ARM_SFT_LSL && shift < 31)) {
            m.index = index;
            m.scale = op.shift.type == ARM_SFT_LSL ? 1 << shift : 1;
            if (op.subtracted || op.mem.scale < 0) m.scale = -m.scale;
          }
          // Other shifts (asr, ror, rrx) are left out: the fault is then
          // attributed by page.
        }
      }
      if (base == "pc") {
        m.displacement += static_cast<int64_t>(pc_value(insn.address, index.empty()));
      } else {
        m.base = base;
        add_unique(s.registers_read, base);
      }
      add_unique(s.registers_read, index);
      if (arm.writeback && !base.empty() && base != "pc" && base != "sp")
        add_unique(s.registers_written, base);

      Access access = Access::kRead;
      unsigned size = 0;
      if (single) {
        access = single->access;
        size = single->size;
        if (size == 0 && arm.op_count > 0 && arm.operands[0].type == ARM_OP_REG)
          size = vector_register_size(reg(static_cast<unsigned>(arm.operands[0].reg)));
      } else if (is_vector_structure(id)) {
        access = id == ARM_INS_VST1 || id == ARM_INS_VST2 || id == ARM_INS_VST3 ||
                         id == ARM_INS_VST4
                     ? Access::kWrite
                     : Access::kRead;
        unsigned registers = 0;
        bool lane = false;
        for (uint8_t j = 0; j < i; ++j) {
          if (arm.operands[j].type != ARM_OP_REG) continue;
          ++registers;
          lane |= arm.operands[j].neon_lane >= 0 || arm.operands[j].vector_index >= 0;
        }
        const unsigned element =
            arm.vector_size > 0 ? static_cast<unsigned>(arm.vector_size) / 8 : 0;
        size = lane ? registers * element : registers * 8;
      } else if (op.access != 0) {
        access = (op.access & CS_AC_READ) && (op.access & CS_AC_WRITE) ? Access::kReadWrite
                 : (op.access & CS_AC_WRITE)                            ? Access::kWrite
                                                                        : Access::kRead;
      }
      if (access == Access::kNone) continue;
      m.size = size;
      m.read = access == Access::kRead || access == Access::kReadWrite;
      m.write = access == Access::kWrite || access == Access::kReadWrite;
      if (!explicit_memory) explicit_memory = s.memory_operands.size();
      s.memory_operands.push_back(m);
    }

    // Load/store multiple: one operand over the whole block.
    bool list_has_pc = false;
    std::string_view block_base;
    if (multiple) {
      unsigned count = 0;
      unsigned register_size = 4;
      for (uint8_t i = multiple->stack ? 0 : 1; i < arm.op_count; ++i) {
        const cs_arm_op& op = arm.operands[i];
        if (op.type != ARM_OP_REG) continue;
        const std::string_view name = reg(static_cast<unsigned>(op.reg));
        if (name == "pc") list_has_pc = true;
        register_size = name.size() > 1 && (name[0] == 'd' || name[0] == 's' || name[0] == 'q')
                            ? vector_register_size(name)
                            : 4;
        ++count;
      }
      if (list_has_pc && multiple->access == Access::kRead) writes_pc = true;
      MemoryOperand m;
      m.address_size = 4;
      block_base = multiple->stack ? std::string_view("sp")
                   : arm.op_count > 0 && arm.operands[0].type == ARM_OP_REG
                       ? reg(static_cast<unsigned>(arm.operands[0].reg))
                       : std::string_view();
      m.base = block_base;
      m.size = count * register_size;
      const int64_t size = m.size;
      switch (multiple->block) {
        case Block::kIncrementAfter: m.displacement = 0; break;
        case Block::kIncrementBefore: m.displacement = 4; break;
        case Block::kDecrementAfter: m.displacement = -size + 4; break;
        case Block::kDecrementBefore: m.displacement = -size; break;
      }
      m.read = multiple->access == Access::kRead;
      m.write = multiple->access == Access::kWrite;
      m.implicit = multiple->stack;
      if (!multiple->stack) add_unique(s.registers_read, m.base);  // as x86 push/pop
      if (arm.writeback && m.base != "sp") add_unique(s.registers_written, m.base);
      if (!multiple->stack && !explicit_memory) explicit_memory = s.memory_operands.size();
      s.memory_operands.push_back(m);
    }

    // Implicit registers (lr of bl/blx); sp's own updates and pc are left out.
    for (uint8_t i = 0; i < insn.detail->regs_read_count; ++i) {
      const std::string_view name = reg(insn.detail->regs_read[i]);
      if (name != "sp" && name != "pc") add_unique(s.registers_read, name);
    }
    for (uint8_t i = 0; i < insn.detail->regs_write_count; ++i) {
      const std::string_view name = reg(insn.detail->regs_write[i]);
      if (name != "sp" && name != "pc") add_unique(s.registers_written, name);
    }

    // Control transfers.
    const auto first_register = [&]() -> std::string_view {
      for (uint8_t i = 0; i < arm.op_count; ++i)
        if (arm.operands[i].type == ARM_OP_REG)
          return reg(static_cast<unsigned>(arm.operands[i].reg));
      return {};
    };
    const auto first_immediate = [&]() -> std::optional<uint64_t> {
      for (uint8_t i = 0; i < arm.op_count; ++i)
        if (arm.operands[i].type == ARM_OP_IMM)
          return static_cast<uint64_t>(static_cast<uint32_t>(arm.operands[i].imm)) & mask;
      return std::nullopt;
    };
    switch (id) {
      case ARM_INS_B:
        s.kind = conditional ? InstructionKind::kConditionalJump : InstructionKind::kJump;
        s.direct_target = first_immediate();
        break;
      case ARM_INS_CBZ:
      case ARM_INS_CBNZ:
        s.kind = InstructionKind::kConditionalJump;
        s.direct_target = first_immediate();
        break;
      case ARM_INS_BL:
        s.kind = InstructionKind::kCall;
        s.direct_target = first_immediate();
        break;
      case ARM_INS_BLX:
        s.kind = InstructionKind::kCall;
        if (auto target = first_immediate())
          s.direct_target = target;
        else
          s.target_register = first_register();
        break;
      case ARM_INS_BX:
      case ARM_INS_BXJ:
        s.target_register = first_register();
        s.kind = s.target_register == "lr" ? InstructionKind::kReturn : InstructionKind::kJump;
        break;
      case ARM_INS_TBB:
      case ARM_INS_TBH:
        // A bounded switch: a jump whose target is not a loaded address;
        // a fault is the read of its table.
        s.kind = InstructionKind::kJump;
        break;
      default:
        if (writes_pc) {
          if (multiple) {
            // pop {..., pc} / ldm sp!, {..., pc}: a return; ldm rN, {..., pc}: a
            // jump. pc is the highest register: the block's last word.
            s.kind = block_base == "sp" ? InstructionKind::kReturn : InstructionKind::kJump;
            s.target_memory = s.memory_operands.size() - 1;
            s.target_offset = static_cast<int64_t>(s.memory_operands.back().size) - 4;
          } else if (single && explicit_memory) {
            // ldr pc, [sp], #4 returns; ldr pc, [rN, ...] jumps through memory.
            const MemoryOperand& m = s.memory_operands[*explicit_memory];
            s.kind = m.base == "sp" && post_indexed ? InstructionKind::kReturn
                                                    : InstructionKind::kJump;
            s.target_memory = explicit_memory;
          } else if (id == ARM_INS_MOV && arm.op_count == 2 && arm.operands[1].type == ARM_OP_REG) {
            s.target_register = reg(static_cast<unsigned>(arm.operands[1].reg));
            s.kind = s.target_register == "lr" ? InstructionKind::kReturn : InstructionKind::kJump;
          } else {
            s.kind = InstructionKind::kJump;  // computed (add pc, pc, r0, lsl #2)
          }
        } else if (multiple && multiple->stack) {
          s.kind = multiple->access == Access::kWrite ? InstructionKind::kPush
                                                      : InstructionKind::kPop;
        } else {
          s.kind = semantics_detail::kind_from_accesses(s);
        }
        break;
    }

    // Data flow.
    const bool zeroing_idiom = is_one_of(id, {ARM_INS_EOR, ARM_INS_SUB}) && !has_immediate &&
                               explicit_reads.size() == 2 &&
                               explicit_reads[0] == explicit_reads[1];
    if (s.registers_written.empty() || s.is_branch()) {
      s.flow = DataFlow::kNone;
    } else if (zeroing_idiom || s.kind == InstructionKind::kPop ||
               (s.registers_read.empty() && s.memory_operands.empty())) {
      s.flow = DataFlow::kClears;
    } else {
      s.flow = DataFlow::kDerived;
    }
  }

  mutable csh handle_;
  const ArchInfo& arch_;
  bool thumb_;
};

}  // namespace

Result<std::unique_ptr<InstructionAnalyzer>> make_arm_analyzer(const ArchInfo& arch,
                                                               InstructionMode mode) {
  const bool thumb = mode == InstructionMode::kThumb;
  csh handle = 0;
  if (cs_open(CS_ARCH_ARM, thumb ? CS_MODE_THUMB : CS_MODE_ARM, &handle) != CS_ERR_OK)
    return make_error(ErrorKind::kUnsupported, "Capstone cannot open ARM");
  cs_option(handle, CS_OPT_DETAIL, CS_OPT_ON);
  return std::unique_ptr<InstructionAnalyzer>(new ArmAnalyzer(handle, arch, thumb));
}

}  // namespace triage

// The architecture-independent parts of instruction_semantics.h: the
// factory, effective addresses, the batch analyze(), and helpers the
// per-architecture analyzers share.
#include <algorithm>
#include <cstddef>
#include <string>
#include <tuple>
#include <vector>

#include "instruction_semantics_internal.h"

namespace triage {

const char* to_string(InstructionKind kind) {
  switch (kind) {
    case InstructionKind::kInvalid: return "invalid";
    case InstructionKind::kOther: return "other";
    case InstructionKind::kLoad: return "load";
    case InstructionKind::kStore: return "store";
    case InstructionKind::kLoadStore: return "load+store";
    case InstructionKind::kCall: return "call";
    case InstructionKind::kJump: return "jump";
    case InstructionKind::kConditionalJump: return "conditional jump";
    case InstructionKind::kReturn: return "return";
    case InstructionKind::kPush: return "push";
    case InstructionKind::kPop: return "pop";
  }
  return "?";
}

std::optional<uint64_t> register_value(const ArchInfo& arch, const Registers& registers,
                                       std::string_view name) {
  if (name.empty()) return std::nullopt;
  const std::optional<int> index = arch.register_index(name);
  if (!index || *index < 0 || static_cast<size_t>(*index) >= registers.size()) return std::nullopt;
  return registers[static_cast<size_t>(*index)];
}

std::optional<uint64_t> MemoryOperand::effective_address(const ArchInfo& arch,
                                                         const Registers& registers) const {
  uint64_t address = static_cast<uint64_t>(displacement);
  if (!base.empty()) {
    const std::optional<uint64_t> value = register_value(arch, registers, base);
    if (!value) return std::nullopt;
    address += *value;
  }
  if (!index.empty()) {
    const std::optional<uint64_t> value = register_value(arch, registers, index);
    if (!value) return std::nullopt;
    uint64_t index_value = *value;
    if (index_bits > 0 && index_bits < 64) {
      const uint64_t sign = uint64_t{1} << (index_bits - 1);
      index_value &= (sign << 1) - 1;
      if (index_signed) index_value = (index_value ^ sign) - sign;
    }
    address += index_value * static_cast<uint64_t>(static_cast<int64_t>(scale));
  }
  if (address_size < 8) address &= (uint64_t{1} << (8 * address_size)) - 1;
  if (!segment.empty()) {
    // A segment with a base of its own (x86-64 fs/gs: "fs_base"); a
    // segment whose base the snapshot does not have makes the address unknown.
    const std::optional<uint64_t> segment_base =
        register_value(arch, registers, std::string(segment) + "_base");
    if (!segment_base) return std::nullopt;
    address += *segment_base;
  }
  return arch.data_address(address);
}

bool MemoryOperand::covers(uint64_t effective_address, uint64_t address) const {
  // Unknown extent (rep-prefixed string operations, which the processor may
  // run ahead on): anything in the page from the current pointer.
  const uint64_t extent = size == 0 ? 4096 : size;
  return address >= effective_address && address - effective_address < extent;
}

bool InstructionSemantics::reads_memory() const {
  return std::any_of(memory_operands.begin(), memory_operands.end(),
                     [](const MemoryOperand& op) { return op.read; });
}

bool InstructionSemantics::writes_memory() const {
  return std::any_of(memory_operands.begin(), memory_operands.end(),
                     [](const MemoryOperand& op) { return op.write; });
}

std::vector<InstructionSemantics> InstructionAnalyzer::analyze(const Memory& memory,
                                                               uint64_t address,
                                                               size_t count) const {
  std::vector<InstructionSemantics> result;
  if (count == 0) return result;
  count = std::min<size_t>(count, 4096);
  const uint64_t mask = arch().address_mask();
  address &= mask;
  std::vector<std::byte> buffer(count * max_instruction_size());
  const uint64_t room = mask - address + 1;  // 0: the whole 64-bit space
  if (room != 0 && room < buffer.size()) buffer.resize(static_cast<size_t>(room));
  const size_t got = memory.read_up_to(address, buffer);
  const auto* bytes = reinterpret_cast<const uint8_t*>(buffer.data());
  size_t offset = 0;
  while (result.size() < count && offset < got) {
    InstructionSemantics semantics =
        analyze(std::span<const uint8_t>(bytes + offset, got - offset), (address + offset) & mask);
    const bool invalid = semantics.kind == InstructionKind::kInvalid;
    const size_t length = semantics.instruction.bytes.size();
    if (!invalid || result.empty()) result.push_back(std::move(semantics));
    if (invalid || length == 0) break;
    offset += length;
  }
  return result;
}

Result<std::unique_ptr<InstructionAnalyzer>> InstructionAnalyzer::create(const ArchInfo& arch,
                                                                         InstructionMode mode) {
  switch (arch.arch) {
    case Arch::kX86:
    case Arch::kX86_64:
      return make_x86_analyzer(arch);
    case Arch::kArm:
      return make_arm_analyzer(arch, mode);
    case Arch::kAarch64:
      return make_aarch64_analyzer(arch);
    case Arch::kRiscv32:
    case Arch::kRiscv64:
      return make_riscv_analyzer(arch);
  }
  return make_error(ErrorKind::kUnsupported,
                    "no instruction semantics for " + std::string(arch.name));
}

namespace semantics_detail {

CapstoneRegisterNames::CapstoneRegisterNames(cs_arch arch, cs_mode mode, unsigned count,
                                             const Canonical& canonical)
    : names_(count), widths_(count, 0) {
  csh handle = 0;
  if (cs_open(arch, mode, &handle) != CS_ERR_OK) return;
  for (unsigned id = 1; id < count; ++id) {
    const char* raw = cs_reg_name(handle, id);
    if (raw == nullptr) continue;
    std::tie(names_[id], widths_[id]) = canonical(raw);
  }
  cs_close(&handle);
}

void add_unique(std::vector<std::string_view>& set, std::string_view name) {
  if (name.empty()) return;
  if (std::find(set.begin(), set.end(), name) == set.end()) set.push_back(name);
}

InstructionSemantics& mark_invalid(InstructionSemantics& s, std::span<const uint8_t> bytes) {
  s.kind = InstructionKind::kInvalid;
  s.instruction.valid = false;
  s.instruction.mnemonic = "(bad)";
  if (!bytes.empty()) s.instruction.bytes.assign(bytes.begin(), bytes.begin() + 1);
  return s;
}

InstructionKind kind_from_accesses(const InstructionSemantics& s) {
  const bool reads = s.reads_memory();
  const bool writes = s.writes_memory();
  return reads && writes ? InstructionKind::kLoadStore
         : reads         ? InstructionKind::kLoad
         : writes        ? InstructionKind::kStore
                         : InstructionKind::kOther;
}

}  // namespace semantics_detail
}  // namespace triage

// Classification of a crash from its signal, the faulting instruction's
// semantics, the registers, the memory map and the crashing stack.
//
// Order of the checks:
//   1. stack rules of the class table (StackGuard, SafeFunctionCheck,
//      HeapError, user classes), for the signals each rule names (none: any);
//   2. by signal:
//      SIGSEGV/SIGBUS  the memory fault analysis below;
//      SIGABRT         uncaught C++ exception, else AbortSignal;
//      SIGILL BadInstruction, SIGFPE FPE, SIGTRAP TrapSignal, SIGSYS BadSyscall;
//      anything else   (SIGKILL, SIGQUIT, SIGXCPU, SIGXFSZ, no signal, ...):
//                      AbortSignal, NOT_EXPLOITABLE, with a note: the process
//                      was ended by a signal that says nothing about memory
//                      safety, which is what AbortSignal means for abort().
//   Memory faults: SegFaultOnPc (pc is the fault or is not code), then
//   StackOverflow (the fault is in or just below the stack, whatever the
//   instruction), ReturnAv, CallAv/BranchAv for indirect transfers, then
//   DestAv/SourceAv by the direction of the operand that matches the fault,
//   with the Tainted variants found by following a faulting load's value
//   forward; AccessViolation when nothing can be attributed.
#include "triage/classify/classifier.h"

#include <algorithm>
#include <cstdio>
#include <exception>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "cxx_exception.h"
#include "triage/arch/instruction_semantics.h"

namespace triage {
namespace {

constexpr uint64_t kNearNullLimit = 64 * 1024;
constexpr uint64_t kPageSize = 4096;
// The kernel keeps this gap (stack_guard_gap, 256 pages) below a stack that
// grows down; faults in it are stack overflows.
constexpr uint64_t kStackGuardGap = 1024 * 1024;
// How far below its mapping sp may be and still be taken for an overflowed
// stack (stack limits above the usual 8 MiB included).
constexpr uint64_t kMaxStackGrowth = 256 * 1024 * 1024;
constexpr int kSiKernel = 0x80;  // si_code of a fault the kernel raised itself (x86 #GP)
constexpr size_t kTaintWindow = 16;

constexpr int kSigIll = 4, kSigTrap = 5, kSigAbrt = 6, kSigBus = 7, kSigFpe = 8, kSigSegv = 11,
              kSigSys = 31;

std::string hex(uint64_t value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%#llx", static_cast<unsigned long long>(value));
  return buffer;
}

// "ns::f(int) const [clone .cold]" -> "ns::f"; "(anonymous namespace)::g()"
// keeps its namespace; a name without a parameter list is unchanged.
std::string_view function_base_name(std::string_view name) {
  if (size_t clone = name.find(" [clone "); clone != std::string_view::npos)
    name = name.substr(0, clone);
  while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
  for (std::string_view qualifier : {" const", " volatile", " &&", " &", " noexcept"}) {
    if (name.size() > qualifier.size() && name.ends_with(qualifier))
      name.remove_suffix(qualifier.size());
  }
  if (name.empty() || name.back() != ')') return name;
  int depth = 0;
  for (size_t i = name.size(); i-- > 0;) {
    if (name[i] == ')') {
      ++depth;
    } else if (name[i] == '(' && --depth == 0) {
      std::string_view base = name.substr(0, i);
      while (!base.empty() && base.back() == ' ') base.remove_suffix(1);
      return base.empty() ? name : base;
    }
  }
  return name;
}

bool stack_has_function(std::span<const Frame> frames, std::span<const std::string> names) {
  for (const Frame& frame : frames) {
    if (frame.function.empty()) continue;
    const std::string_view base = function_base_name(frame.function);
    for (const std::string& wanted : names)
      if (base == wanted) return true;
  }
  return false;
}

bool stack_has_function(std::span<const Frame> frames,
                        std::initializer_list<std::string_view> names) {
  for (const Frame& frame : frames) {
    if (frame.function.empty()) continue;
    const std::string_view base = function_base_name(frame.function);
    for (std::string_view wanted : names)
      if (base == wanted) return true;
  }
  return false;
}

const char* signal_name(int number) {
  switch (number) {
    case 1: return "SIGHUP";
    case 2: return "SIGINT";
    case 3: return "SIGQUIT";
    case kSigIll: return "SIGILL";
    case kSigTrap: return "SIGTRAP";
    case kSigAbrt: return "SIGABRT";
    case kSigBus: return "SIGBUS";
    case kSigFpe: return "SIGFPE";
    case 9: return "SIGKILL";
    case kSigSegv: return "SIGSEGV";
    case 13: return "SIGPIPE";
    case 14: return "SIGALRM";
    case 15: return "SIGTERM";
    case 24: return "SIGXCPU";
    case 25: return "SIGXFSZ";
    case kSigSys: return "SIGSYS";
    default: return nullptr;
  }
}

std::string describe_signal(int number) {
  const char* name = signal_name(number);
  return name ? std::string(name) + " (" + std::to_string(number) + ")"
              : "signal " + std::to_string(number);
}

bool is_canonical_x86_64(uint64_t address) {
  const uint64_t top = address >> 47;
  return top == 0 || top == 0x1ffff;
}

// A fault address and how it was found.
struct Fault {
  std::optional<uint64_t> address;
  bool derived = false;
  bool general_protection = false;  // SI_KERNEL with no address (x86 #GP)
};

class Classifier {
 public:
  Classifier(const ClassificationInput& input, const ClassTable& classes)
      : input_(input), snapshot_(input.snapshot), classes_(classes) {}

  Classification run() {
    const int signal = snapshot_.signal.number;
    if (apply_stack_rules(signal)) return std::move(out_);
    switch (signal) {
      case kSigSegv:
      case kSigBus:
        memory_fault();
        break;
      case kSigAbrt:
        abort_signal();
        break;
      case kSigIll:
        set(CrashClass::kBadInstruction);
        break;
      case kSigFpe:
        set(CrashClass::kFPE);
        break;
      case kSigTrap:
        set(CrashClass::kTrapSignal);
        break;
      case kSigSys:
        set(CrashClass::kBadSyscall);
        break;
      default:
        set(CrashClass::kAbortSignal);
        note(signal == 0 ? std::string("no signal is recorded for the crash")
                         : describe_signal(signal) + " is not a fault signal");
        break;
    }
    return std::move(out_);
  }

 private:
  void set(CrashClass crash_class) { out_.class_name = std::string(class_name(crash_class)); }
  void note(std::string text) { out_.notes.push_back(std::move(text)); }

  bool apply_stack_rules(int signal) {
    for (const ClassInfo* rule : classes_.stack_rules()) {
      if (rule == nullptr) continue;
      if (!rule->signals.empty() &&
          std::find(rule->signals.begin(), rule->signals.end(), signal) == rule->signals.end())
        continue;
      if (stack_has_function(input_.crashing_stack, rule->stack_functions) ||
          abort_message_matches(rule->abort_messages)) {
        out_.class_name = rule->name;
        return true;
      }
    }
    return false;
  }

  bool abort_message_matches(const std::vector<Pattern>& patterns) const {
    if (input_.abort_message.empty()) return false;
    std::string message(input_.abort_message);
    for (const Pattern& pattern : patterns)
      if (pattern.search(message)) return true;
    return false;
  }

  // --- SIGABRT -----------------------------------------------------------

  void abort_signal() {
    const bool terminating =
        stack_has_function(input_.crashing_stack,
                           {"std::terminate", "__cxxabiv1::__terminate",
                            "__gnu_cxx::__verbose_terminate_handler"});
    if (!terminating) {
      set(CrashClass::kAbortSignal);
      return;
    }
    std::optional<classify_detail::ThrownException> thrown;
    if (const ThreadSnapshot* thread = crashing_thread(); thread != nullptr && snapshot_.arch) {
      const ArchInfo& arch = *snapshot_.arch;
      if (static_cast<size_t>(arch.sp) < thread->registers.size()) {
        const uint64_t sp = thread->registers[static_cast<size_t>(arch.sp)];
        std::optional<uint64_t> stack_end;
        if (auto stack = stack_bounds(sp)) stack_end = stack->second;
        thrown = classify_detail::find_thrown_exception(input_.memory, arch, sp, stack_end);
      }
    }
    if (thrown) {
      set(CrashClass::kUncaughtException);
      out_.short_description = thrown->type;
      if (thrown->what) note("what(): " + *thrown->what);
      return;
    }
    if (stack_has_function(input_.crashing_stack,
                           {"__cxa_throw", "__cxa_rethrow", "__cxa_call_terminate",
                            "__cxa_call_unexpected", "std::rethrow_exception"})) {
      set(CrashClass::kUncaughtException);
      note("std::terminate after a throw, but the exception object was not found in stack memory");
      return;
    }
    set(CrashClass::kAbortSignal);
    note("std::terminate is on the stack but no C++ exception was found");
  }

  // --- SIGSEGV / SIGBUS ---------------------------------------------------

  const ThreadSnapshot* crashing_thread() const {
    return snapshot_.threads.empty() ? nullptr : &snapshot_.threads.front();
  }

  // The stack as [low, high): the region holding sp, widened over the
  // writable regions adjacent to it; or, when sp is in the guard gap, the
  // region just above it.
  std::optional<std::pair<uint64_t, uint64_t>> stack_bounds(uint64_t sp) const {
    const MemoryRegion* stack = snapshot_.region_at(sp);
    if (stack == nullptr) {
      for (const MemoryRegion& region : snapshot_.regions) {
        if (region.start > sp && region.start - sp <= kStackGuardGap &&
            (stack == nullptr || region.start < stack->start))
          stack = &region;
      }
    }
    if (stack == nullptr) return std::nullopt;
    uint64_t low = stack->start;
    uint64_t high = stack->end;
    for (bool grown = true; grown;) {
      grown = false;
      for (const MemoryRegion& region : snapshot_.regions) {
        if (!region.writable) continue;
        if (region.end == low && region.start < low) { low = region.start; grown = true; }
        if (region.start == high && region.end > high) { high = region.end; grown = true; }
      }
    }
    return std::make_pair(low, high);
  }

  bool is_stack_overflow(uint64_t fault, uint64_t sp) const {
    const uint64_t mask = arch_->address_mask();
    const uint64_t near_sp_limit = sp + kPageSize;  // "next to" sp: up to a page above it
    if (auto stack = stack_bounds(sp)) {
      const uint64_t window_low = stack->first > kStackGuardGap ? stack->first - kStackGuardGap : 0;
      if (fault >= window_low && fault < stack->second && fault < near_sp_limit) return true;
    } else if (snapshot_.regions.empty()) {
      // No memory map (a snapshot without PT_LOAD information): the same
      // window, anchored at sp.
      const uint64_t window_low = sp > kStackGuardGap ? sp - kStackGuardGap : 0;
      if (fault >= window_low && fault < near_sp_limit) return true;
    } else if (snapshot_.region_at(sp) == nullptr) {
      // sp far below the stack's mapping: a frame (alloca, a huge array)
      // larger than what the stack could grow to moved sp past the guard
      // gap. The fault is at or above sp, in the unmapped space between sp
      // and a writable mapping above it (through a guard region, if any).
      const MemoryRegion* above = nullptr;
      for (const MemoryRegion& region : snapshot_.regions)
        if (region.start > sp && (above == nullptr || region.start < above->start)) above = &region;
      if (above != nullptr && above->start - sp <= kMaxStackGrowth && fault + kPageSize > sp &&
          fault < above->start) {
        bool writable = above->writable;
        if (!writable && !above->readable)  // a guard region: look at what it guards
          if (const MemoryRegion* next = snapshot_.region_at(above->end)) writable = next->writable;
        if (writable) return true;
      }
    }
    // push/call with sp itself pointing to unmapped memory.
    return fault == ((sp - arch_->word_size) & mask) && snapshot_.region_at(fault) == nullptr;
  }

  // By the memory map when there is one (code the kernel did not dump may
  // still be unreadable here when its module file is missing: that is not
  // a fault on pc), else by whether memory at pc can be read.
  bool pc_is_code(uint64_t pc) const {
    if (!snapshot_.regions.empty()) {
      const MemoryRegion* region = snapshot_.region_at(pc);
      return region != nullptr && region->executable;
    }
    std::byte probe[1];
    return input_.memory.read_up_to(pc, probe) == 1;
  }

  // Whether an access at `address` would fault according to the memory map;
  // nothing when there is no map.
  std::optional<bool> faults(uint64_t address, bool write) const {
    if (arch_->arch == Arch::kX86_64 && !is_canonical_x86_64(address)) return true;
    if (snapshot_.regions.empty()) return std::nullopt;
    const MemoryRegion* region = snapshot_.region_at(address);
    if (region == nullptr) return true;
    return write ? !region->writable : !region->readable;
  }

  // The effective address of every memory operand (nothing when unknown).
  std::vector<std::optional<uint64_t>> addresses_of(const InstructionSemantics& s) const {
    std::vector<std::optional<uint64_t>> result;
    for (const MemoryOperand& op : s.memory_operands)
      result.push_back(op.effective_address(*arch_, *registers_));
    return result;
  }

  // The operand that faulted when siginfo did not say where: a non-canonical
  // address first (a #GP), then one the memory map does not allow, then the
  // first explicit operand.
  std::optional<size_t> guess_faulting_operand(const InstructionSemantics& s,
                                               const std::vector<std::optional<uint64_t>>& eas,
                                               bool general_protection) const {
    for (size_t i = 0; i < eas.size(); ++i)
      if (eas[i] && arch_->arch == Arch::kX86_64 && !is_canonical_x86_64(*eas[i])) return i;
    if (!general_protection) {
      for (size_t i = 0; i < eas.size(); ++i) {
        if (!eas[i]) continue;
        const MemoryOperand& op = s.memory_operands[i];
        if (faults(*eas[i], op.write).value_or(false)) return i;
      }
    }
    for (size_t i = 0; i < s.memory_operands.size(); ++i)
      if (!s.memory_operands[i].implicit) return i;
    // A stack slot of push/pop/call/ret only when there is no memory map to
    // say it was accessible (else the transfer's target is to blame).
    if (!s.memory_operands.empty() && !general_protection && snapshot_.regions.empty()) return 0;
    return std::nullopt;
  }

  // The operand whose access covers the fault address: explicit before
  // implicit, a write before a read.
  std::optional<size_t> matching_operand(const InstructionSemantics& s,
                                         const std::vector<std::optional<uint64_t>>& eas,
                                         uint64_t fault) const {
    std::optional<size_t> best;
    auto rank = [&](size_t i) {
      const MemoryOperand& op = s.memory_operands[i];
      return (op.implicit ? 0 : 2) + (op.write ? 1 : 0);
    };
    for (size_t i = 0; i < eas.size(); ++i) {
      if (!eas[i] || !s.memory_operands[i].covers(*eas[i], fault)) continue;
      if (!best || rank(i) > rank(*best)) best = i;
    }
    return best;
  }

  void memory_fault() {
    const ThreadSnapshot* thread = crashing_thread();
    if (snapshot_.arch == nullptr || thread == nullptr) {
      set(CrashClass::kAccessViolation);
      note("no thread registers: the faulting instruction is unknown");
      return;
    }
    arch_ = snapshot_.arch;
    registers_ = &thread->registers;
    const size_t pc_index = static_cast<size_t>(arch_->pc);
    const size_t sp_index = static_cast<size_t>(arch_->sp);
    if (pc_index >= registers_->size() || sp_index >= registers_->size()) {
      set(CrashClass::kAccessViolation);
      note("the crashing thread's registers are incomplete");
      return;
    }
    const uint64_t pc = (*registers_)[pc_index];
    const uint64_t sp = (*registers_)[sp_index];
    const SignalInfo& signal = snapshot_.signal;
    const bool is_bus = signal.number == kSigBus;

    Fault fault;
    if (signal.fault_address) {  // normally only with siginfo
      if (signal.code == kSiKernel && *signal.fault_address == 0 && !is_bus)
        fault.general_protection = true;
      else
        fault.address = *signal.fault_address;
    }

    // 1. Executing where there is no code.
    if ((fault.address && *fault.address == pc) || !pc_is_code(pc)) {
      set(pc < kNearNullLimit ? CrashClass::kSegFaultOnPcNearNull : CrashClass::kSegFaultOnPc);
      if (!fault.address) {
        out_.fault_address = pc;
        out_.fault_address_derived = true;
        note("fault address taken from pc " + hex(pc));
      } else {
        out_.fault_address = fault.address;
      }
      return;
    }

    // 2. The instruction at pc.
    auto analyzer = InstructionAnalyzer::create(*arch_, instruction_mode(*arch_, *registers_));
    if (!analyzer) {
      out_.fault_address = fault.address;
      if (fault.address && is_stack_overflow(*fault.address, sp)) {
        set(CrashClass::kStackOverflow);
        return;
      }
      set(CrashClass::kAccessViolation);
      note(analyzer.error().message);
      return;
    }
    analyzer_ = analyzer->get();
    const std::vector<InstructionSemantics> decoded = analyzer_->analyze(input_.memory, pc, 1);
    if (decoded.empty() || decoded.front().kind == InstructionKind::kInvalid) {
      out_.fault_address = fault.address;
      if (fault.address && is_stack_overflow(*fault.address, sp)) {
        set(CrashClass::kStackOverflow);
        return;
      }
      set(CrashClass::kAccessViolation);
      note(decoded.empty() ? "the code at pc " + hex(pc) +
                                 " is not readable (not in the core, and its module file was not found)"
                           : "the instruction at pc " + hex(pc) + " does not decode");
      return;
    }
    const InstructionSemantics& insn = decoded.front();
    const std::vector<std::optional<uint64_t>> eas = addresses_of(insn);

    // 3. The fault address, derived from the operands where siginfo has none.
    std::optional<size_t> operand;
    if (fault.address) {
      operand = matching_operand(insn, eas, *fault.address);
    } else {
      operand = guess_faulting_operand(insn, eas, fault.general_protection);
      std::optional<uint64_t> derived;
      std::string how;
      if (operand && eas[*operand]) {
        derived = eas[*operand];
        how = "the effective address of operand " + std::to_string(*operand) + " of \"" +
              insn.instruction.text() + "\"";
      } else if (arch_->arch == Arch::kX86_64) {
        // A #GP on a control transfer to a non-canonical address.
        if (auto target = branch_target(insn); target && !is_canonical_x86_64(*target)) {
          derived = target;
          how = insn.kind == InstructionKind::kReturn
                    ? "the return address that \"" + insn.instruction.text() + "\" reads"
                    : "the target of \"" + insn.instruction.text() + "\"";
        }
      }
      if (derived) {
        fault.address = derived;
        fault.derived = true;
        out_.fault_address = derived;
        out_.fault_address_derived = true;
        if (fault.general_protection)
          note("general protection fault (SI_KERNEL, no address): fault address " + hex(*derived) +
               " computed from " + how +
               (arch_->arch == Arch::kX86_64 && !is_canonical_x86_64(*derived)
                    ? " (non-canonical)"
                    : ""));
        else
          note("no siginfo: fault address " + hex(*derived) + " computed from " + how);
      } else if (fault.general_protection) {
        note("general protection fault (SI_KERNEL) with no address to attribute");
      } else {
        note("no fault address in the core and none computable from \"" +
             insn.instruction.text() + "\"");
      }
    }
    if (!fault.derived) out_.fault_address = fault.address;

    // 4. Stack overflow, whatever the instruction.
    if (fault.address && is_stack_overflow(*fault.address, sp)) {
      set(CrashClass::kStackOverflow);
      return;
    }

    const auto near_null = [](std::optional<uint64_t> a) { return a && *a < kNearNullLimit; };

    // 5. Returns and indirect transfers.
    if (insn.kind == InstructionKind::kReturn) {
      set(CrashClass::kReturnAv);
      return;
    }
    if ((insn.kind == InstructionKind::kCall || insn.kind == InstructionKind::kJump) &&
        insn.is_indirect_branch()) {
      const bool call = insn.kind == InstructionKind::kCall;
      std::optional<uint64_t> where = fault.address;
      if (!where) where = branch_target(insn);
      if (near_null(where))
        set(call ? CrashClass::kCallAvNearNull : CrashClass::kBranchAvNearNull);
      else
        set(call ? CrashClass::kCallAv : CrashClass::kBranchAv);
      return;
    }

    // 6. Data accesses by direction.
    if (!operand) {
      operand = fallback_operand(insn, eas, fault.address, is_bus);
      if (operand && fault.address)
        note("the fault address " + hex(*fault.address) +
             " is not the computed address of \"" + insn.instruction.text() +
             "\"; attributed to its memory operand");
    }
    if (!operand) {
      set(CrashClass::kAccessViolation);
      if (insn.memory_operands.empty())
        note("\"" + insn.instruction.text() + "\" has no memory operand to attribute the fault to");
      else
        note("no memory operand of \"" + insn.instruction.text() + "\" matches the fault address");
      return;
    }
    const MemoryOperand& op = insn.memory_operands[*operand];
    const std::optional<uint64_t> address = fault.address ? fault.address : eas[*operand];
    if (op.write) {
      set(near_null(address) ? CrashClass::kDestAvNearNull : CrashClass::kDestAv);
      return;
    }
    if (near_null(address)) {
      set(CrashClass::kSourceAvNearNull);
      return;
    }
    set(CrashClass::kSourceAv);
    if (insn.kind == InstructionKind::kLoad) taint_forward(insn);
  }

  // The operand to blame when none covers the fault address: the only
  // explicit memory operand, for SIGBUS or when the fault is on the page of
  // its computed address (or that address is unknown).
  std::optional<size_t> fallback_operand(const InstructionSemantics& s,
                                         const std::vector<std::optional<uint64_t>>& eas,
                                         std::optional<uint64_t> fault, bool is_bus) const {
    std::optional<size_t> only;
    for (size_t i = 0; i < s.memory_operands.size(); ++i) {
      if (s.memory_operands[i].implicit) continue;
      if (only) return std::nullopt;  // several: ambiguous
      only = i;
    }
    if (!only) return std::nullopt;
    if (is_bus || !fault || !eas[*only]) return only;
    if ((*eas[*only] & ~(kPageSize - 1)) == (*fault & ~(kPageSize - 1))) return only;
    return std::nullopt;
  }

  // The target of an indirect call/jump, or the return address of a ret.
  std::optional<uint64_t> branch_target(const InstructionSemantics& s) const {
    const unsigned word = arch_->word_size;
    if (!s.target_register.empty()) {
      const std::optional<uint64_t> value = register_value(*arch_, *registers_, s.target_register);
      if (!value) return std::nullopt;
      return (*value + static_cast<uint64_t>(s.target_offset)) & arch_->address_mask();
    }
    if (s.target_memory && *s.target_memory < s.memory_operands.size()) {
      const MemoryOperand& op = s.memory_operands[*s.target_memory];
      if (auto ea = op.effective_address(*arch_, *registers_)) {
        if (s.target_offset != 0)
          return input_.memory.read_uint((*ea + static_cast<uint64_t>(s.target_offset)) &
                                             arch_->address_mask(),
                                         word);
        return input_.memory.read_uint(*ea, op.size ? std::min(op.size, 8u) : word);
      }
      return std::nullopt;
    }
    if (s.kind == InstructionKind::kReturn && !s.memory_operands.empty()) {
      if (auto ea = s.memory_operands.front().effective_address(*arch_, *registers_))
        return input_.memory.read_uint(*ea, word);
    }
    return std::nullopt;
  }

  // Follows the value a faulting load produced through the rest of its basic
  // block: if it becomes a call or jump target, or the address of a store,
  // the attacker who controls the bad address controls more than a read.
  void taint_forward(const InstructionSemantics& load) {
    std::set<std::string_view> tainted(load.registers_written.begin(),
                                       load.registers_written.end());
    if (tainted.empty() || load.flow != DataFlow::kDerived) return;
    const auto uses_tainted = [&](const MemoryOperand& op) {
      return (!op.base.empty() && tainted.count(op.base)) ||
             (!op.index.empty() && tainted.count(op.index));
    };
    // One path of at most kTaintWindow instructions: the fall-through of
    // conditional branches (a value the attacker controls passes the checks
    // they guard) and the target of direct jumps.
    const uint64_t next = load.instruction.address + load.instruction.bytes.size();
    std::vector<InstructionSemantics> path = analyzer_->analyze(input_.memory, next, kTaintWindow);
    size_t position = 0;
    for (size_t walked = 0; walked < kTaintWindow; ++walked) {
      if (position >= path.size()) return;
      const InstructionSemantics& s = path[position++];
      if (s.kind == InstructionKind::kInvalid) return;
      if (s.kind == InstructionKind::kJump && s.direct_target) {
        const uint64_t target = *s.direct_target;
        path = analyzer_->analyze(input_.memory, target, kTaintWindow - walked - 1);
        position = 0;
        continue;
      }
      if (s.kind == InstructionKind::kConditionalJump) continue;
      if (s.kind == InstructionKind::kCall || s.kind == InstructionKind::kJump) {
        bool controlled = false;
        if (!s.target_register.empty()) controlled = tainted.count(s.target_register) > 0;
        if (s.target_memory && *s.target_memory < s.memory_operands.size())
          controlled = uses_tainted(s.memory_operands[*s.target_memory]);
        if (controlled) {
          const bool call = s.kind == InstructionKind::kCall;
          set(call ? CrashClass::kCallAvTainted : CrashClass::kBranchAvTainted);
          note("the value loaded by \"" + load.instruction.text() + "\" becomes the target of \"" +
               s.instruction.text() + "\" at " + hex(s.instruction.address));
        }
        return;  // a call, or an indirect jump: the path ends here
      }
      if (s.is_branch()) return;
      for (const MemoryOperand& op : s.memory_operands) {
        if (op.write && !op.implicit && uses_tainted(op)) {
          set(CrashClass::kDestAvTainted);
          note("the value loaded by \"" + load.instruction.text() +
               "\" becomes the address written by \"" + s.instruction.text() + "\" at " +
               hex(s.instruction.address));
          return;
        }
      }
      // Propagate.
      const bool from_tainted =
          s.flow == DataFlow::kDerived &&
          std::any_of(s.registers_read.begin(), s.registers_read.end(),
                      [&](std::string_view r) { return tainted.count(r) > 0; });
      for (std::string_view r : s.registers_written) tainted.erase(r);
      if (from_tainted) tainted.insert(s.registers_written.begin(), s.registers_written.end());
      if (tainted.empty()) return;
    }
  }

  const ClassificationInput& input_;
  const ProcessSnapshot& snapshot_;
  const ClassTable& classes_;
  const ArchInfo* arch_ = nullptr;
  const Registers* registers_ = nullptr;
  const InstructionAnalyzer* analyzer_ = nullptr;
  Classification out_;
};

}  // namespace

Classification classify(const ClassificationInput& input, const ClassTable& classes) {
  try {
    Classification result = Classifier(input, classes).run();
    if (result.class_name.empty()) result.class_name = std::string(class_name(CrashClass::kAccessViolation));
    return result;
  } catch (const std::exception& e) {
    // Out of memory or a bug: still give the crash a class.
    Classification fallback;
    const int signal = input.snapshot.signal.number;
    fallback.class_name = std::string(class_name(signal == kSigSegv || signal == kSigBus
                                                     ? CrashClass::kAccessViolation
                                                     : CrashClass::kAbortSignal));
    fallback.notes.push_back(std::string("classification failed: ") + e.what());
    return fallback;
  } catch (...) {
    Classification fallback;
    fallback.class_name = std::string(class_name(CrashClass::kAccessViolation));
    fallback.notes.push_back("classification failed");
    return fallback;
  }
}

}  // namespace triage

#include "triage/unwind/unwinder.h"

#include <elfutils/libdw.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <unordered_map>

#include "dwarf_expression.h"
#include "triage/unwind/arm_exidx.h"
#include "triage/unwind/prologue.h"
#include "triage/unwind/return_address.h"

namespace triage {
namespace {

std::string hex(uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof text, "%#llx", static_cast<unsigned long long>(value));
  return text;
}

constexpr int kArmCpsr = 16;  // in the ARM register table

// Register values in prstatus order, with which of them are known.
struct RegisterState {
  Registers values;
  std::vector<bool> known;
  uint64_t pc = 0;
  bool pc_is_exact = true;  // false for return addresses: look up pc - 1
  bool thumb = false;       // ARM: the code at pc is Thumb

  std::optional<uint64_t> get(int index) const {
    if (index < 0 || static_cast<size_t>(index) >= values.size() || !known[index]) return std::nullopt;
    return values[index];
  }
  void set(int index, uint64_t value) {
    if (index < 0 || static_cast<size_t>(index) >= values.size()) return;
    values[index] = value;
    known[index] = true;
  }
};

class ThreadUnwinder {
 public:
  ThreadUnwinder(const ProcessSnapshot& snapshot, const AddressSpace& space, const UnwindLimits& limits)
      : arch_(*snapshot.arch), snapshot_(snapshot), space_(space), memory_(space.memory()), limits_(limits) {}

  ThreadStack unwind(const ThreadSnapshot& thread) {
    ThreadStack stack;
    stack.tid = thread.tid;
    RegisterState state;
    state.values = thread.registers;
    state.known.assign(state.values.size(), true);
    state.pc = state.values[arch_.pc];
    // ARM keeps the Thumb state in cpsr (T, bit 5); pc itself is even.
    if (arch_.arch == Arch::kArm) {
      state.thumb = state.values.size() > kArmCpsr && ((state.values[kArmCpsr] >> 5) & 1);
      state.pc &= ~uint64_t{1};
    }
    stack.frames.push_back({.pc = state.pc, .trust = FrameTrust::kContext});

    while (true) {
      if (stack.frames.size() >= limits_.max_frames) {
        stack.truncated = true;
        break;
      }
      RegisterState caller;
      FrameTrust trust;
      std::string why_stopped;
      bool no_exidx_entry = arch_.arch != Arch::kArm;  // other architectures have no such table
      if (step_cfi(state, caller, &why_stopped)) {
        trust = FrameTrust::kCfi;
      } else if (!why_stopped.empty()) {
        break;  // the CFI says this is the outermost frame
      } else if (step_exidx(state, caller, &why_stopped, &no_exidx_entry)) {
        trust = FrameTrust::kExidx;
      } else if (!why_stopped.empty()) {
        break;  // the index table says this is the outermost frame
      } else if (no_exidx_entry && step_prologue(state, caller, stack.frames.size() == 1)) {
        trust = FrameTrust::kPrologue;
      } else if (step_frame_pointer(state, caller, stack.frames.size() == 1)) {
        trust = FrameTrust::kFramePointer;
      } else if (step_scan(state, caller)) {
        trust = FrameTrust::kScan;
      } else {
        stack.stop_reason = "no CFI, frame pointer or return address on the stack found";
        break;
      }
      normalise_pc(caller);
      if (caller.pc == 0) break;  // the outermost frame's return address
      // A return address outside any code means the step read the wrong slot
      // (a frame pointer that is not the CFA, a prologue misread): the
      // scan may still find the caller.
      if (trust != FrameTrust::kScan && !is_code(caller.pc)) {
        if (!step_scan(state, caller)) {
          stack.stop_reason = "the caller's address " + hex(caller.pc) + " is not code";
          break;
        }
        trust = FrameTrust::kScan;
        normalise_pc(caller);
      }
      auto old_sp = state.get(arch_.sp), new_sp = caller.get(arch_.sp);
      if (old_sp && new_sp && *new_sp < *old_sp && state.pc_is_exact == caller.pc_is_exact) {
        stack.stop_reason = "the stack pointer went backwards";
        break;
      }
      if (old_sp && new_sp && *new_sp == *old_sp && caller.pc == state.pc) {
        stack.stop_reason = "unwinding made no progress";
        break;
      }
      stack.frames.push_back({.pc = caller.pc, .trust = trust});
      state = std::move(caller);
    }
    return stack;
  }

 private:
  std::optional<uint64_t> dwarf_register(const RegisterState& state, unsigned dwarf_number) const {
    if (dwarf_number >= arch_.dwarf_to_register.size()) return std::nullopt;
    int index = arch_.dwarf_to_register[dwarf_number];
    if (index < 0) return dwarf_number == 0 && arch_.arch >= Arch::kRiscv32 ? std::optional<uint64_t>(0) : std::nullopt;
    if (index == arch_.pc) return state.pc;
    return state.get(index);
  }

  void normalise_pc(RegisterState& caller) const {
    caller.pc &= arch_.address_mask();
    if (arch_.arch == Arch::kArm) {
      // Bit 0 of an ARM return address is the state of the code it returns to.
      if (!caller.pc_is_exact) caller.thumb = caller.pc & 1;
      caller.pc = return_target(arch_.arch, caller.pc);
    }
  }

  // A function where stacks begin: the program's entry, a thread's start.
  bool is_entry_function(const ProcessModule& module, uint64_t pc) const {
    static constexpr std::string_view kEntries[] = {"_start", "__start", "clone", "__clone", "clone3",
                                                    "__clone3", "start_thread", "thread_start"};
    for (const SymbolLocation& location : module.file->symbolize(module.file_address(pc), false))
      if (std::find(std::begin(kEntries), std::end(kEntries), location.function) != std::end(kEntries)) return true;
    return false;
  }

  bool is_code(uint64_t address) const {
    const ProcessModule* module = space_.module_at(address);
    if (module && module->file) {
      uint64_t file_address = module->file_address(address);
      for (const LoadSegment& load : module->file->image().loads)
        if (load.executable && file_address >= load.vaddr && file_address < load.vaddr + load.memsz) return true;
      return false;
    }
    const MemoryRegion* region = snapshot_.region_at(address);
    return region && region->executable;
  }

  // One step with DWARF CFI. Returns false without a reason when no CFI
  // covers the pc; with a reason in *stop when the CFI marks the end.
  bool step_cfi(const RegisterState& state, RegisterState& caller, std::string* stop) {
    const ProcessModule* module = space_.module_at(state.pc);
    if (!module || !module->file) return false;
    uint64_t lookup = module->file_address(state.pc_is_exact ? state.pc : state.pc - 1);
    bool ok = false;
    module->file->with_cfi([&](Dwarf_CFI* cfi, uint64_t bias) {
      Dwarf_Frame* frame = nullptr;
      if (dwarf_cfi_addrframe(cfi, lookup - bias, &frame) != 0) return false;
      ok = apply_frame(frame, state, caller, stop);
      std::free(frame);
      return ok || !stop->empty();
    });
    return ok;
  }

  bool apply_frame(Dwarf_Frame* frame, const RegisterState& state, RegisterState& caller, std::string* stop) {
    unwind_detail::ExpressionContext context;
    context.read_register = [&](unsigned n) { return dwarf_register(state, n); };
    context.memory = &memory_;
    context.address_size = arch_.word_size;

    Dwarf_Op* ops = nullptr;
    size_t nops = 0;
    if (dwarf_frame_cfa(frame, &ops, &nops) != 0) return false;
    auto cfa = unwind_detail::evaluate({ops, nops}, context, nullptr);
    if (!cfa) return false;
    context.cfa = cfa;

    caller.values.assign(state.values.size(), 0);
    caller.known.assign(state.values.size(), false);
    std::optional<uint64_t> return_address;
    for (size_t d = 0; d < arch_.dwarf_to_register.size(); ++d) {
      Dwarf_Op ops_mem[3];
      Dwarf_Op* reg_ops = nullptr;
      size_t reg_nops = 0;
      if (dwarf_frame_register(frame, static_cast<int>(d), ops_mem, &reg_ops, &reg_nops) != 0) continue;
      std::optional<uint64_t> value;
      if (reg_nops == 0) {
        if (reg_ops == ops_mem) continue;          // undefined
        value = dwarf_register(state, d);  // same value
      } else {
        bool is_location = false;
        value = unwind_detail::evaluate({reg_ops, reg_nops}, context, &is_location);
        if (value && is_location) value = memory_.read_uint(*value, arch_.word_size);
      }
      if (!value) {
        if (static_cast<int>(d) == arch_.return_address_column) {
          // An undefined return address marks the outermost frame.
          if (reg_nops == 0 && reg_ops == ops_mem) *stop = "outermost frame";
        }
        continue;
      }
      if (static_cast<int>(d) == arch_.return_address_column) return_address = value;
      int index = arch_.dwarf_to_register[d];
      if (index >= 0 && index != arch_.pc) caller.set(index, *value);
    }
    Dwarf_Op undefined_mem[3];
    Dwarf_Op* ra_ops = nullptr;
    size_t ra_nops = 0;
    if (!return_address && dwarf_frame_register(frame, arch_.return_address_column, undefined_mem, &ra_ops, &ra_nops) == 0 &&
        ra_nops == 0 && ra_ops == undefined_mem) {
      *stop = "outermost frame";
      return false;
    }
    if (!return_address) return false;
    // The caller's stack pointer is the CFA unless a rule says otherwise.
    if (!caller.get(arch_.sp)) caller.set(arch_.sp, *cfa);
    caller.pc = *return_address;
    Dwarf_Addr start, end;
    bool signal_frame = false;
    dwarf_frame_info(frame, &start, &end, &signal_frame);
    caller.pc_is_exact = signal_frame;
    return true;
  }

  // One step with the ARM EHABI index table (.ARM.exidx), for ARM code
  // without DWARF CFI: the cross glibc has only these tables. Returns false
  // with a reason in *stop when the table marks the function outermost.
  // *no_entry: the module has no entry for the pc (no table, or the pc is
  // before its first function), so other strategies may guess.
  bool step_exidx(const RegisterState& state, RegisterState& caller, std::string* stop, bool* no_entry) {
    if (arch_.arch != Arch::kArm) return false;
    const ProcessModule* module = space_.module_at(state.pc);
    if (!module || !module->file) return false;
    auto [it, added] = exidx_.try_emplace(module->file.get());
    if (added) it->second = unwind_detail::ExidxTable::from_elf(module->file->bytes());
    *no_entry = !it->second;
    if (!it->second) return false;
    uint64_t lookup = module->file_address(state.pc_is_exact ? state.pc : state.pc - 1);
    std::vector<uint8_t> opcodes;
    unwind_detail::ExidxStatus status = it->second->opcodes_for(static_cast<uint32_t>(lookup), opcodes);
    *no_entry = status == unwind_detail::ExidxStatus::kNoEntry;
    if (status == unwind_detail::ExidxStatus::kCantUnwind) {
      // The linker also fills gaps between functions built without tables
      // (glibc's __libc_message) with CANTUNWIND: only a process's or a
      // thread's entry really is outermost; elsewhere the scan may go on.
      if (is_entry_function(*module, state.pc)) *stop = "outermost frame";
      else *no_entry = true;
      return false;
    }
    if (status != unwind_detail::ExidxStatus::kOk) return false;

    unwind_detail::ArmRegisters regs;
    for (int n = 0; n < 16; ++n) {
      auto value = n == arch_.pc ? std::optional<uint64_t>(state.pc) : state.get(n);
      regs.known[n] = value.has_value();
      if (value) regs.r[n] = static_cast<uint32_t>(*value);
    }
    auto read = [&](uint32_t address) -> std::optional<uint32_t> {
      auto value = memory_.read_uint(address, 4);
      if (!value) return std::nullopt;
      return static_cast<uint32_t>(*value);
    };
    bool pc_popped = false;
    if (unwind_detail::execute_exidx_opcodes(opcodes, regs, read, &pc_popped) != unwind_detail::ExidxStatus::kOk)
      return false;
    const int return_register = pc_popped ? 15 : 14;
    if (!regs.known[return_register]) return false;
    caller = state;
    for (int n = 0; n < 16; ++n)
      if (regs.known[n] && n != arch_.pc) caller.set(n, regs.r[n]);
    caller.pc = regs.r[return_register];
    caller.pc_is_exact = false;
    return true;
  }

  // Code with no unwind tables (no CFI, no EHABI entry), on ARM (Thumb) and
  // RISC-V: read the prologue of the function the symbol table puts the pc
  // in, from its entry up to the pc.
  bool step_prologue(const RegisterState& state, RegisterState& caller, bool innermost) {
    constexpr uint64_t kMaxFunctionOffset = 4096, kMaxPrologueBytes = 256;
    const bool riscv = arch_.arch == Arch::kRiscv32 || arch_.arch == Arch::kRiscv64;
    if (!riscv && !(arch_.arch == Arch::kArm && state.thumb)) return false;
    const ProcessModule* module = space_.module_at(state.pc);
    auto sp = state.get(arch_.sp);
    if (!module || !module->file || !sp) return false;
    uint64_t lookup = state.pc_is_exact ? state.pc : state.pc - 1;
    auto locations = module->file->symbolize(module->file_address(lookup), false);
    if (locations.empty() || locations.back().function.empty() ||
        locations.back().function_offset > kMaxFunctionOffset)
      return false;
    // Thumb symbols have bit 0 set, and offsets count from that.
    uint64_t entry = (lookup - locations.back().function_offset) & ~uint64_t{1};
    uint64_t pc_offset = state.pc - entry;
    std::vector<uint8_t> code(std::min(pc_offset, kMaxPrologueBytes) & ~uint64_t{1});
    if (!memory_.read(entry, std::as_writable_bytes(std::span(code)))) return false;
    auto prologue = riscv ? unwind_detail::analyze_riscv_prologue(code, static_cast<uint32_t>(pc_offset), arch_.is_64bit)
                          : unwind_detail::analyze_thumb_prologue(code, static_cast<uint32_t>(pc_offset));
    if (!prologue) return false;
    // Register n of the prologue is index n in both register tables
    // (RISC-V's index 0 is pc, and x0 is never saved).
    const uint64_t entry_sp = *sp + prologue->frame_size;
    caller = state;
    for (size_t n = 1; n < prologue->saved.size() && n < state.values.size(); ++n) {
      if (!prologue->saved[n] || static_cast<int>(n) == arch_.sp) continue;
      auto value = memory_.read_uint(entry_sp - *prologue->saved[n], arch_.word_size);
      if (!value) return false;
      caller.set(static_cast<int>(n), *value);
    }
    // Without a saved return address the function is a leaf: only the
    // innermost frame can be in one.
    const bool pc_saved = !riscv && prologue->saved[15];
    if (!prologue->saved[arch_.lr] && !pc_saved && !innermost) return false;
    auto return_address = pc_saved ? caller.get(15) : caller.get(arch_.lr);
    if (!return_address) return false;
    caller.pc = *return_address;
    caller.set(arch_.sp, entry_sp);
    caller.pc_is_exact = false;
    return true;
  }

  // Frame pointer / link register. On x86 a frame is [fp] = caller's fp,
  // [fp + word] = return address; on AArch64 the frame record is the same
  // shape at x29; RISC-V keeps ra at fp - word and the caller's fp at
  // fp - 2 words. For frame 0 at a pc outside any code (a call through a
  // wild pointer), the return address is still in lr or at [sp].
  bool step_frame_pointer(const RegisterState& state, RegisterState& caller, bool innermost) {
    const unsigned word = arch_.word_size;
    caller = state;
    caller.pc_is_exact = false;
    if (innermost && !is_code(state.pc)) {
      if (arch_.lr >= 0) {
        auto lr = state.get(arch_.lr);
        if (!lr || !is_code(*lr)) return false;
        caller.pc = *lr;
        return true;
      }
      auto sp = state.get(arch_.sp);
      if (!sp) return false;
      auto ret = memory_.read_uint(*sp, word);
      if (!ret || !is_code(*ret)) return false;
      caller.pc = *ret;
      caller.set(arch_.sp, *sp + word);
      return true;
    }
    auto fp = state.get(arch_.fp);
    auto sp = state.get(arch_.sp);
    if (!fp || !sp || *fp == 0 || *fp % word != 0 || *fp < *sp) return false;
    uint64_t ret_slot, fp_slot, new_sp;
    if (arch_.arch == Arch::kRiscv32 || arch_.arch == Arch::kRiscv64) {
      ret_slot = *fp - word, fp_slot = *fp - 2 * word, new_sp = *fp;
    } else if (arch_.arch == Arch::kArm) {
      // No reliable ARM layout: GCC's Thumb r7 points below the locals, not at
      // a frame record, and ARM-state r11 records differ between compilers.
      // CFI, EHABI and the prologue carry ARM instead.
      return false;
    } else {
      ret_slot = *fp + word, fp_slot = *fp, new_sp = *fp + 2 * word;
      // The frame record at fp is that of the nearest caller that keeps a
      // frame pointer; functions without one (libc's raise and abort, when
      // libc's file is not here) leave fp alone. Its return address is the
      // record owner's caller: the owner itself would be skipped. Its
      // return address lies between sp and fp, and it is the one whose CFI
      // puts the CFA just above the record.
      if (owner_of_frame_record(state, *sp, *fp, caller)) return true;
    }
    auto ret = memory_.read_uint(ret_slot, word);
    auto next_fp = memory_.read_uint(fp_slot, word);
    if (!ret || !next_fp || !is_code(*ret)) return false;
    caller.pc = *ret;
    caller.set(arch_.fp, *next_fp);
    caller.set(arch_.sp, new_sp);
    return true;
  }

  // x86: a return address in [sp, fp) after a call, into code whose CFI
  // computes its CFA from the frame pointer, as fp + 2 words (the pushed fp
  // and the return address): the owner of the record. The CFI is evaluated
  // with sp unknown, so that a stale return address of an earlier callee of
  // the same caller (same depth, its CFA sp-based) can't pass. On success
  // `caller` is the owner's frame, with fp unchanged.
  bool owner_of_frame_record(const RegisterState& state, uint64_t sp, uint64_t fp, RegisterState& caller) {
    const unsigned word = arch_.word_size;
    if (fp - sp > limits_.max_scan_bytes) return false;
    for (uint64_t slot = sp; slot + word <= fp; slot += word) {
      auto value = memory_.read_uint(slot, word);
      if (!value || !is_code(*value) || !after_call(*value)) continue;
      RegisterState trial = state;
      trial.pc = *value;
      trial.pc_is_exact = false;
      trial.known[arch_.sp] = false;
      RegisterState above;
      std::string stop;
      if (!step_cfi(trial, above, &stop) || above.get(arch_.sp) != fp + 2 * word) continue;
      trial.set(arch_.sp, slot + word);
      caller = std::move(trial);
      return true;
    }
    return false;
  }

  // Does the instruction before the return address look like a call?
  bool after_call(uint64_t return_address) const {
    std::array<std::byte, 8> before{};
    uint64_t target = return_target(arch_.arch, return_address);
    if (target < before.size() || !memory_.read(target - before.size(), before)) return false;
    return follows_call(arch_.arch, return_address, before);
  }

  bool step_scan(const RegisterState& state, RegisterState& caller) {
    auto sp = state.get(arch_.sp);
    if (!sp) return false;
    const unsigned word = arch_.word_size;
    // Skip the slot a previous scan used, so each scan finds a new frame.
    for (uint64_t offset = 0; offset < limits_.max_scan_bytes; offset += word) {
      uint64_t slot = *sp + offset;
      auto value = memory_.read_uint(slot, word);
      if (!value) return false;
      if (return_target(arch_.arch, *value) == state.pc && offset == 0) continue;
      if (!is_code(*value) || !after_call(*value)) continue;
      caller = state;
      caller.pc = *value;
      caller.pc_is_exact = false;
      caller.set(arch_.sp, slot + word);
      return true;
    }
    return false;
  }

  const ArchInfo& arch_;
  const ProcessSnapshot& snapshot_;
  const AddressSpace& space_;
  const Memory& memory_;
  const UnwindLimits& limits_;
  // Each ARM module's index table, read on first use (null: it has none).
  std::unordered_map<const ModuleFile*, std::optional<unwind_detail::ExidxTable>> exidx_;
};

}  // namespace

ThreadStack unwind_thread(const ThreadSnapshot& thread, const ProcessSnapshot& snapshot, const AddressSpace& space,
                          const UnwindLimits& limits) {
  return ThreadUnwinder(snapshot, space, limits).unwind(thread);
}

}  // namespace triage

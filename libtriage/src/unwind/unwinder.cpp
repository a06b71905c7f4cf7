#include "triage/unwind/unwinder.h"

#include <elfutils/libdw.h>

#include <array>
#include <cstdlib>

#include "dwarf_expression.h"

namespace triage {
namespace {

// Register values in prstatus order, with which of them are known.
struct RegisterState {
  Registers values;
  std::vector<bool> known;
  uint64_t pc = 0;
  bool pc_is_exact = true;  // false for return addresses: look up pc - 1

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
    stack.frames.push_back({.pc = state.pc, .trust = FrameTrust::kContext});

    while (true) {
      if (stack.frames.size() >= limits_.max_frames) {
        stack.truncated = true;
        break;
      }
      RegisterState caller;
      FrameTrust trust;
      std::string why_stopped;
      if (step_cfi(state, caller, &why_stopped)) {
        trust = FrameTrust::kCfi;
      } else if (!why_stopped.empty()) {
        break;  // the CFI says this is the outermost frame
      } else if (step_frame_pointer(state, caller, stack.frames.size() == 1)) {
        trust = FrameTrust::kFramePointer;
      } else if (step_scan(state, caller)) {
        trust = FrameTrust::kScan;
      } else {
        stack.stop_reason = "no CFI, frame pointer or return address on the stack found";
        break;
      }
      caller.pc &= arch_.address_mask();
      if (caller.pc == 0) break;  // the outermost frame's return address
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
      return false;  // no single ARM frame layout: leave it to CFI and the scan
    } else {
      ret_slot = *fp + word, fp_slot = *fp, new_sp = *fp + 2 * word;
    }
    auto ret = memory_.read_uint(ret_slot, word);
    auto next_fp = memory_.read_uint(fp_slot, word);
    if (!ret || !next_fp || !is_code(*ret)) return false;
    caller.pc = *ret;
    caller.set(arch_.fp, *next_fp);
    caller.set(arch_.sp, new_sp);
    return true;
  }

  // Does the instruction before `address` look like a call? A cheap check
  // that keeps the scan from taking every code pointer for a return address.
  bool follows_call(uint64_t address) const {
    std::array<std::byte, 8> before{};
    if (address < before.size() || !memory_.read(address - before.size(), before)) return false;
    auto at = [&](size_t back) { return std::to_integer<uint8_t>(before[before.size() - back]); };
    switch (arch_.arch) {
      case Arch::kX86:
      case Arch::kX86_64:
        if (at(5) == 0xe8) return true;  // call rel32
        for (size_t length = 2; length <= 7; ++length)  // call r/m: ff /2
          if (at(length) == 0xff && ((at(length - 1) >> 3) & 7) == 2) return true;
        return false;
      case Arch::kAarch64: {
        uint32_t insn = static_cast<uint32_t>(at(4) | at(3) << 8 | at(2) << 16 | at(1) << 24);
        return (insn & 0xfc000000) == 0x94000000 || (insn & 0xfffffc1f) == 0xd63f0000;  // bl, blr
      }
      default:
        return true;  // no cheap check: accept any code address
    }
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
      if (*value == state.pc && offset == 0) continue;
      if (!is_code(*value) || !follows_call(*value)) continue;
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
};

}  // namespace

ThreadStack unwind_thread(const ThreadSnapshot& thread, const ProcessSnapshot& snapshot, const AddressSpace& space,
                          const UnwindLimits& limits) {
  return ThreadUnwinder(snapshot, space, limits).unwind(thread);
}

}  // namespace triage

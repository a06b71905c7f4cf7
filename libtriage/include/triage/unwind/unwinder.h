// Unwinding a thread's stack from its registers and the process's memory.
// Strategies are tried in a fixed order for every frame: DWARF CFI (libdw),
// on ARM the EHABI index table (.ARM.exidx), then, for code with neither
// (ARM Thumb, RISC-V), the function's prologue, then the frame pointer /
// link register, then a bounded scan of the stack for a return address
// that follows a call. Each frame records which one found it.
#pragma once

#include <cstddef>

#include "triage/core/process_snapshot.h"
#include "triage/symbols/address_space.h"
#include "triage/unwind/frame.h"

namespace triage {

struct UnwindLimits {
  size_t max_frames = 2000;        // as CASR asks of gdb
  size_t max_scan_bytes = 8192;    // how far up the stack one scan looks
};

// Frames with pc and trust only; AddressSpace::symbolize() fills in the rest.
ThreadStack unwind_thread(const ThreadSnapshot& thread, const ProcessSnapshot& snapshot,
                          const AddressSpace& space, const UnwindLimits& limits = {});

}  // namespace triage

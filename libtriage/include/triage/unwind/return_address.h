// What the unwinder needs to know about return addresses on each
// architecture, apart from the register tables in arch.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "triage/arch/arch.h"

namespace triage {

// The address of the instruction a return address designates. On ARM, bit 0
// of a return address into Thumb code is set (it selects the state to return
// in) and is not part of the address: gdb shows 0x4005b0 for lr = 0x4005b1,
// and symbolization looks up the call at address - 1.
uint64_t return_target(Arch arch, uint64_t return_address);

// Does the code just before `return_address` end with a call? `before`
// holds the 8 bytes in memory before return_target(arch, return_address).
// A cheap check that keeps a stack scan from taking every code pointer for a
// return address. On ARM, bit 0 of `return_address` says the caller is Thumb
// code (a return address into ARM code is even and word aligned).
bool follows_call(Arch arch, uint64_t return_address, std::span<const std::byte, 8> before);

}  // namespace triage

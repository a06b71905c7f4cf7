// The message the C library left before aborting: glibc keeps it in
// __abort_msg ("free(): double free detected in tcache 2", "*** stack
// smashing detected ***: terminated", a failed assert's text). It names the
// failure even when the library has no debug symbols to name its functions.
#pragma once

#include <string>

#include "triage/symbols/address_space.h"

namespace triage {

// Empty when no module defines __abort_msg or it was never set.
std::string read_abort_message(const AddressSpace& space, unsigned word_size);

}  // namespace triage

// The message the C library left before aborting: glibc keeps it in
// __abort_msg ("free(): double free detected in tcache 2", "*** stack
// smashing detected ***: terminated", a failed assert's text). It names the
// failure even when the library has no debug symbols to name its functions.
//
// Where no module file gives __abort_msg's address (a core from another
// machine whose libc is not here, or a libc of another build), the message
// is looked for in the core's anonymous memory instead: glibc's
// __libc_message puts it in a page-aligned anonymous mapping of its own that
// starts with the mapping's size (struct abort_msg_s).
#pragma once

#include <optional>
#include <string>

#include "triage/core/process_snapshot.h"
#include "triage/symbols/address_space.h"

namespace triage {

// The message through the __abort_msg symbol of a module whose file matches
// the core: empty when it was never set; nothing when no such module defines
// the symbol.
std::optional<std::string> read_abort_message(const AddressSpace& space, unsigned word_size);

// The message found by scanning the readable, writable anonymous regions of
// the core for glibc's abort_msg_s; nothing when none, or several that
// differ, are found.
std::optional<std::string> find_abort_message_in_memory(const ProcessSnapshot& snapshot,
                                                        const AddressSpace& space);

}  // namespace triage

// The modules of a core that has no NT_FILE note (qemu-user's own cores):
// the executable placed by AT_ENTRY, the libraries by the dynamic loader's
// list (r_debug, found through the executable's DT_DEBUG entry), each turned
// into the file mappings NT_FILE would have listed, so that the rest of the
// analysis works as it does on a kernel core.
#pragma once

#include <string>
#include <vector>

#include "triage/core/process_snapshot.h"
#include "triage/symbols/module_cache.h"

namespace triage {

// `executable` is the -e path (else the core's AT_EXECFN is tried). What
// could not be found is added to `warnings`; the result may be empty.
std::vector<FileMapping> mappings_from_loader(const ProcessSnapshot& snapshot, ModuleCache& cache,
                                              const std::string& executable, std::vector<std::string>& warnings);

}  // namespace triage

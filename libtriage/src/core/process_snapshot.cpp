#include "triage/core/process_snapshot.h"

namespace triage {

std::optional<uint64_t> ProcessSnapshot::auxv_value(uint64_t type) const {
  for (const auto& [key, value] : auxv)
    if (key == type) return value;
  return std::nullopt;
}

const MemoryRegion* ProcessSnapshot::region_at(uint64_t address) const {
  for (const MemoryRegion& region : regions)
    if (address >= region.start && address < region.end) return &region;
  return nullptr;
}

const FileMapping* ProcessSnapshot::file_mapping_at(uint64_t address) const {
  for (const FileMapping& mapping : file_mappings)
    if (address >= mapping.start && address < mapping.end) return &mapping;
  return nullptr;
}

}  // namespace triage

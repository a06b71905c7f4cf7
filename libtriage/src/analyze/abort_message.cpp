#include "triage/analyze/abort_message.h"

#include <algorithm>

namespace triage {
namespace {

constexpr uint64_t kMaxMessage = 4096;
// glibc rounds the buffer up to its page size; 4 KiB divides every page size.
constexpr uint64_t kPageSize = 4096;
// The buffer holds one message: a size above this is not an abort_msg_s.
constexpr uint64_t kMaxBuffer = 1024 * 1024;
// Pages of anonymous memory looked at, at most (4 GiB): the scan reads four
// bytes a page, and a process that aborts rarely has more.
constexpr uint64_t kMaxPagesScanned = uint64_t{1} << 20;

void trim_end(std::string& text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
}

// glibc's __libc_message sizes the buffer as the header, the text and its
// NUL rounded up to the page size (4, 16 or 64 KiB).
bool is_buffer_size_for(uint64_t size, uint64_t text_length) {
  for (uint64_t page : {uint64_t{4096}, uint64_t{16384}, uint64_t{65536}})
    if (size == (4 + text_length + 1 + page - 1) / page * page) return true;
  return false;
}

bool is_message_text(const std::string& text) {
  if (text.empty()) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u >= 0x20 && u < 0x7f) || c == '\n' || c == '\t';
  });
}

}  // namespace

std::optional<std::string> read_abort_message(const AddressSpace& space, unsigned word_size) {
  for (const ProcessModule& module : space.modules()) {
    // A file of another build has the symbol somewhere else.
    if (!module.file || module.mismatch) continue;
    auto symbol = module.file->symbol_address("__abort_msg");
    if (!symbol) continue;
    // struct abort_msg_s *__abort_msg; struct abort_msg_s { unsigned int size; char msg[]; }
    auto pointer = space.memory().read_uint(*symbol + static_cast<uint64_t>(module.bias), word_size);
    if (!pointer || *pointer == 0) return std::string();
    auto size = space.memory().read_uint(*pointer, 4);
    if (!size) return std::string();
    auto text = space.memory().read_c_string(*pointer + 4, std::min<uint64_t>(*size, kMaxMessage));
    if (!text) return std::string();
    trim_end(*text);
    return *text;
  }
  return std::nullopt;
}

std::optional<std::string> find_abort_message_in_memory(const ProcessSnapshot& snapshot,
                                                        const AddressSpace& space) {
  const Memory& memory = space.memory();
  std::optional<std::string> found;
  uint64_t scanned = 0;
  for (const MemoryRegion& region : snapshot.regions) {
    if (!region.readable || !region.writable || !region.contents_present) continue;
    if (space.file_mapping_at(region.start) != nullptr) continue;  // file-backed: not mmap(MAP_ANON)
    // The kernel merges adjacent anonymous mappings: the buffer may start
    // at any page of the region.
    for (uint64_t page = region.start; page + 8 <= region.end; page += kPageSize) {
      if (++scanned > kMaxPagesScanned) return found;
      const auto size = memory.read_uint(page, 4);
      if (!size || *size == 0 || *size % kPageSize != 0 || *size > kMaxBuffer ||
          *size > region.end - page)
        continue;
      auto text = memory.read_c_string(page + 4, std::min<uint64_t>(*size - 4, kMaxMessage));
      if (!text || !is_message_text(*text) || !is_buffer_size_for(*size, text->size())) continue;
      trim_end(*text);
      if (text->empty()) continue;
      if (found && *found != *text) return std::nullopt;  // two different messages: neither is sure
      found = std::move(*text);
    }
  }
  return found;
}

}  // namespace triage

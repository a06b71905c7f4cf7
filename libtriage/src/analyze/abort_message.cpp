#include "triage/analyze/abort_message.h"

#include <algorithm>

namespace triage {

std::string read_abort_message(const AddressSpace& space, unsigned word_size) {
  constexpr uint64_t kMaxMessage = 4096;
  for (const ProcessModule& module : space.modules()) {
    if (!module.file) continue;
    auto symbol = module.file->symbol_address("__abort_msg");
    if (!symbol) continue;
    // struct abort_msg_s *__abort_msg; struct abort_msg_s { unsigned int size; char msg[]; }
    auto pointer = space.memory().read_uint(*symbol + static_cast<uint64_t>(module.bias), word_size);
    if (!pointer || *pointer == 0) return {};
    auto size = space.memory().read_uint(*pointer, 4);
    if (!size) return {};
    auto text = space.memory().read_c_string(*pointer + 4, std::min<uint64_t>(*size, kMaxMessage));
    if (!text) return {};
    while (!text->empty() && (text->back() == '\n' || text->back() == ' ')) text->pop_back();
    return *text;
  }
  return {};
}

}  // namespace triage

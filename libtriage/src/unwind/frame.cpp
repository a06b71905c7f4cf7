#include "triage/unwind/frame.h"

#include <array>

namespace triage {

const char* to_string(FrameTrust trust) {
  switch (trust) {
    case FrameTrust::kContext: return "context";
    case FrameTrust::kCfi: return "cfi";
    case FrameTrust::kExidx: return "exidx";
    case FrameTrust::kPrologue: return "prologue";
    case FrameTrust::kFramePointer: return "fp";
    case FrameTrust::kScan: return "scan";
  }
  return "unknown";
}

namespace {

void trim_right(std::string_view& text) {
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
}

// Removes what a demangler writes after the parameter list: cv and ref
// qualifiers, noexcept, and GCC's " [clone .cold]" style suffixes.
void drop_trailing_qualifiers(std::string_view& name) {
  static constexpr std::array<std::string_view, 6> kQualifiers = {
      " const", " volatile", " &&", " &", " noexcept", " restrict"};
  bool changed = true;
  while (changed) {
    changed = false;
    trim_right(name);
    if (!name.empty() && name.back() == ']') {
      const size_t clone = name.rfind(" [clone ");
      if (clone != std::string_view::npos) {
        name = name.substr(0, clone);
        changed = true;
        continue;
      }
    }
    for (std::string_view qualifier : kQualifiers) {
      if (name.size() > qualifier.size() && name.ends_with(qualifier)) {
        name.remove_suffix(qualifier.size());
        changed = true;
        break;
      }
    }
  }
}

}  // namespace

std::string function_without_parameters(std::string_view function) {
  std::string_view name = function;
  drop_trailing_qualifiers(name);
  if (name.empty() || name.back() != ')') return std::string(name);
  // Walk back to the parenthesis that opens the last group: the parameters.
  int depth = 0;
  for (size_t i = name.size(); i-- > 0;) {
    if (name[i] == ')') {
      ++depth;
    } else if (name[i] == '(') {
      if (--depth == 0) {
        if (i == 0) return std::string(name);  // the whole name is one group
        std::string_view base = name.substr(0, i);
        trim_right(base);
        return std::string(base);
      }
    }
  }
  return std::string(name);  // unbalanced: leave it as written
}

}  // namespace triage

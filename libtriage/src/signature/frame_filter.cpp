// Frame filters: three lists of regular expressions, compiled once when a
// rules file is loaded. A frame is skipped when its function (without
// parameters), its source file or its module matches one of them.
#include "triage/signature/frame_filter.h"

#include <cinttypes>
#include <cstdio>
#include <utility>

namespace triage {
namespace {

// Compiles the patterns of `key` (when present) into `out`; on error returns
// why, naming the origin and the pattern.
std::string compile_list(const nlohmann::json& rules, const char* key, const std::string& origin,
                         std::vector<Pattern>& out) {
  auto list = rules.find(key);
  if (list == rules.end()) return {};
  if (!list->is_array()) {
    return origin + ": \"" + key + "\" must be an array of regular expressions";
  }
  for (size_t i = 0; i < list->size(); ++i) {
    const nlohmann::json& pattern = (*list)[i];
    const std::string where = origin + ": " + key + "[" + std::to_string(i) + "]";
    if (!pattern.is_string() || pattern.get_ref<const std::string&>().empty()) {
      return where + " must be a non-empty string, got " + pattern.dump();
    }
    const std::string& text = pattern.get_ref<const std::string&>();
    std::string why;
    auto compiled = Pattern::compile(text, &why);
    if (!compiled) return where + ": invalid regular expression \"" + text + "\": " + why;
    out.push_back(std::move(*compiled));
  }
  return {};
}

bool any_match(const std::vector<Pattern>& patterns, const std::string& text) {
  if (text.empty()) return false;
  for (const Pattern& pattern : patterns) {
    if (pattern.search(text)) return true;
  }
  return false;
}

}  // namespace

Result<bool> FrameFilter::add_json(const nlohmann::json& rules, const std::string& origin) {
  if (!rules.is_object()) {
    return make_error(ErrorKind::kRules, origin + ": a rules file must be a JSON object");
  }
  std::vector<Pattern> functions;
  std::vector<Pattern> files;
  std::vector<Pattern> modules;
  for (auto [key, out] : {std::pair{"functions", &functions}, std::pair{"files", &files},
                          std::pair{"modules", &modules}}) {
    if (std::string problem = compile_list(rules, key, origin, *out); !problem.empty()) {
      return make_error(ErrorKind::kRules, problem);
    }
  }
  // Nothing is taken from a file until all of it compiled.
  auto append = [&](std::vector<Pattern>& to, std::vector<std::string>& origins, std::vector<Pattern>& from) {
    for (Pattern& p : from) {
      to.push_back(std::move(p));
      origins.push_back(origin);
    }
  };
  append(functions_, function_origins_, functions);
  append(files_, file_origins_, files);
  append(modules_, module_origins_, modules);
  return true;
}

FrameFilter::Match FrameFilter::first_match(const std::string& function, const std::string& file,
                                            const std::string& module) const {
  struct List {
    const char* name;
    const std::vector<Pattern>& patterns;
    const std::vector<std::string>& origins;
    const std::string& text;
  };
  for (const List& list : {List{"functions", functions_, function_origins_, function},
                           List{"files", files_, file_origins_, file},
                           List{"modules", modules_, module_origins_, module}}) {
    if (list.text.empty()) continue;
    for (size_t k = 0; k < list.patterns.size(); ++k) {
      if (list.patterns[k].search(list.text)) return {list.name, list.patterns[k].expression(), list.origins[k]};
    }
  }
  return {};
}

bool FrameFilter::skips(const Frame& frame) const {
  return skips(function_without_parameters(frame.function), frame.file, frame.module);
}

bool FrameFilter::skips(const std::string& function, const std::string& file,
                        const std::string& module) const {
  return any_match(functions_, function) || any_match(files_, file) || any_match(modules_, module);
}

const Frame* first_kept_frame(const std::vector<Frame>& frames, const FrameFilter& filter) {
  for (const Frame& frame : frames) {
    // A wild pc (a jump through a corrupted pointer) is in no module and has
    // no symbol: it says nothing about where the bug is, its caller does.
    bool wild = frame.module.empty() && frame.function.empty() && frame.file.empty();
    if (!wild && !filter.skips(frame)) return &frame;
  }
  return nullptr;
}

std::string crash_line_of(const Frame& frame) {
  if (!frame.file.empty() && frame.line > 0) {
    std::string line = frame.file + ":" + std::to_string(frame.line);
    if (frame.column > 0) line += ":" + std::to_string(frame.column);
    return line;
  }
  char buffer[32];
  if (!frame.module.empty()) {
    std::snprintf(buffer, sizeof buffer, "+0x%" PRIx64, frame.module_offset);
    return frame.module + buffer;
  }
  std::snprintf(buffer, sizeof buffer, "0x%" PRIx64, frame.pc);
  return buffer;
}

}  // namespace triage

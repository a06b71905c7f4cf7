// From a report to its CrashStack: take the crashing thread's frames from
// whichever form the report has, give frames without a module offset one
// from ProcMaps, key, filter, drop wild frames, collapse recursion.
#include "triage/signature/crash_stack.h"

#include <algorithm>
#include <charconv>
#include <cinttypes>
#include <cstdio>
#include <functional>
#include <optional>
#include <set>
#include <unordered_map>

#include "triage/report/frame_lines.h"

namespace triage {
namespace {

struct Mapping {
  uint64_t start = 0;
  uint64_t end = 0;
  std::string path;
};

std::optional<uint64_t> parse_number(std::string_view text) {
  uint64_t value = 0;
  int base = 10;
  if (text.starts_with("0x")) {
    text.remove_prefix(2);
    base = 16;
  }
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// ProcMaps lines, ours ("start end size offset path") and CASR's ("start end
// size offset perms path"). Lines that are not mappings are skipped.
std::vector<Mapping> parse_maps(const std::vector<std::string>& lines) {
  std::vector<Mapping> maps;
  for (const std::string& line : lines) {
    std::string_view rest = line;
    std::string_view words[5];
    size_t count = 0;
    while (count < 5) {
      size_t begin = rest.find_first_not_of(" \t");
      if (begin == std::string_view::npos) break;
      rest.remove_prefix(begin);
      size_t end = rest.find_first_of(" \t");
      words[count++] = rest.substr(0, end);
      rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
    }
    if (count < 4) continue;
    auto start = parse_number(words[0]);
    auto end = parse_number(words[1]);
    if (!start || !end || *end <= *start) continue;
    std::string_view path;
    bool has_perms = count == 5 && words[4].size() == 4 &&
                     words[4].find_first_not_of("rwxsp-") == std::string_view::npos;
    if (count == 5 && !has_perms) {
      path = std::string_view(words[4].data(), line.data() + line.size() - words[4].data());
    } else if (has_perms) {
      size_t begin = rest.find_first_not_of(" \t");
      if (begin != std::string_view::npos) path = rest.substr(begin);
    }
    if (path.empty()) continue;
    maps.push_back({*start, *end, std::string(path)});
  }
  return maps;
}

// Frames of gdb lines have a pc but no module offset; ProcMaps gives one
// (the offset from the module's lowest mapping, as our own reports count it).
void add_module_offsets(std::vector<report::Frame>& frames, std::vector<bool>& has_offset,
                        const std::vector<std::string>& proc_maps) {
  std::vector<Mapping> maps;
  bool parsed = false;
  for (size_t i = 0; i < frames.size(); ++i) {
    report::Frame& frame = frames[i];
    if (has_offset[i] || frame.address == 0) continue;
    if (!parsed) {
      maps = parse_maps(proc_maps);
      parsed = true;
    }
    auto hit = std::find_if(maps.begin(), maps.end(), [&](const Mapping& m) {
      return frame.address >= m.start && frame.address < m.end &&
             (frame.module.empty() || frame.module == m.path);
    });
    if (hit == maps.end()) continue;
    uint64_t base = hit->start;
    for (const Mapping& m : maps) {
      if (m.path == hit->path) base = std::min(base, m.start);
    }
    frame.module = hit->path;
    frame.module_offset = frame.address - base;
    has_offset[i] = true;
  }
}

std::string basename_of(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string module_key(const report::Frame& frame, bool has_offset) {
  std::string key = basename_of(frame.module);
  if (key.empty()) key = frame.module;  // a folder ("from /lib/"): no file name to take
  if (has_offset) {
    char buffer[24];
    std::snprintf(buffer, sizeof buffer, "+0x%" PRIx64, frame.module_offset);
    key += buffer;
  }
  return key;
}

struct KeyedFrame {
  std::string key;     // with the line: what dedup compares
  std::string caller;  // the function alone: what similarity compares
};

// The crashing thread's frames, and whether each has a module offset.
std::vector<report::Frame> crashing_frames(const report::Report& report, std::vector<bool>& has_offset) {
  std::vector<report::Frame> frames;
  if (!report.threads.empty()) {
    auto crashed = std::find_if(report.threads.begin(), report.threads.end(),
                                [](const report::Thread& t) { return t.crashed; });
    frames = crashed != report.threads.end() ? crashed->frames : report.threads.front().frames;
    has_offset.assign(frames.size(), true);
    for (size_t i = 0; i < frames.size(); ++i) has_offset[i] = !frames[i].module.empty();
    return frames;
  }
  frames = report::first_stack_of(report.stacktrace);
  if (frames.empty()) {
    if (auto asan = report.other.find("AsanReport"); asan != report.other.end() && asan->is_array()) {
      std::vector<std::string> lines;
      for (const auto& line : *asan) {
        if (line.is_string()) lines.push_back(line.get<std::string>());
      }
      frames = report::first_stack_of(lines);
    }
  }
  has_offset.assign(frames.size(), false);
  for (size_t i = 0; i < frames.size(); ++i) {
    // A sanitizer's "(module+0xoffset)" gives one; gdb's "from module" does not.
    has_offset[i] = !frames[i].module.empty() && frames[i].module_offset != 0;
  }
  add_module_offsets(frames, has_offset, report.proc_maps);
  return frames;
}

}  // namespace

std::vector<bool> collapse_recursion(std::vector<std::string>& frames) {
  constexpr size_t kMaxPeriod = 16;
  std::vector<std::string> kept;
  std::vector<size_t> hashes;
  std::vector<bool> repeated;
  kept.reserve(frames.size());
  for (std::string& frame : frames) {
    hashes.push_back(std::hash<std::string>{}(frame));
    kept.push_back(std::move(frame));
    repeated.push_back(false);
    // Whenever the newest frames repeat the run just before them, drop them;
    // a run that just collapsed may complete a longer one, so look again.
    for (bool changed = true; changed;) {
      changed = false;
      const size_t n = kept.size();
      for (size_t period = 1; period <= kMaxPeriod && 2 * period <= n; ++period) {
        bool same = true;
        for (size_t k = 0; k < period && same; ++k) {
          size_t a = n - period + k;
          size_t b = n - 2 * period + k;
          same = hashes[a] == hashes[b] && kept[a] == kept[b];
        }
        if (!same) continue;
        kept.resize(n - period);
        hashes.resize(n - period);
        repeated.resize(n - period);
        for (size_t k = n - 2 * period; k < n - period; ++k) repeated[k] = true;
        changed = true;
        break;
      }
    }
  }
  frames = std::move(kept);
  return repeated;
}

std::string CrashStack::signature() const {
  std::string text = class_name;
  for (const std::string& frame : frames) {
    text += '\n';
    text += frame;
  }
  return text;
}

CrashStack crash_stack_of(const report::Report& report, const ClassTable& classes,
                          const FrameFilter& filter, StackTrace* trace) {
  CrashStack stack;
  stack.type = report.severity.type;
  stack.class_name = report.severity.short_description;
  stack.family = classes.family_of(stack.class_name);
  stack.crash_line = report.crash_line;

  std::vector<bool> has_offset;
  std::vector<report::Frame> frames = crashing_frames(report, has_offset);
  std::vector<KeyedFrame> kept;
  std::vector<KeyedFrame> unfiltered;
  std::unordered_map<std::string, bool> skipped;
  for (size_t i = 0; i < frames.size(); ++i) {
    const report::Frame& frame = frames[i];
    std::string function = function_without_parameters(frame.function);
    FrameFate* fate = nullptr;
    if (trace) {
      fate = &trace->frames.emplace_back();
      fate->function = function;
      fate->file = frame.file;
      fate->line = frame.line;
      fate->module = frame.module;
      fate->fate = FrameFate::Fate::kWild;
    }
    if (function.empty() && frame.module.empty() && frame.file.empty()) continue;  // a wild pc
    KeyedFrame keyed;
    if (!function.empty()) {
      keyed.caller = function;
      keyed.key = function;
      if (!frame.file.empty() && frame.line > 0) {
        keyed.key += " " + basename_of(frame.file) + ":" + std::to_string(frame.line);
      } else if (!frame.module.empty()) {
        keyed.key += " " + module_key(frame, has_offset[i]);
      }
    } else if (!frame.module.empty()) {
      keyed.key = keyed.caller = module_key(frame, has_offset[i]);
    } else {
      keyed.key = keyed.caller = basename_of(frame.file) + ":" + std::to_string(frame.line);
    }
    // A recursion repeats one frame many times: test each distinct one once.
    std::string names = function + '\n' + frame.file + '\n' + frame.module;
    auto [known, is_new] = skipped.try_emplace(std::move(names), false);
    if (is_new) known->second = filter.skips(function, frame.file, frame.module);
    if (fate) {
      fate->key = keyed.key;
      fate->fate = known->second ? FrameFate::Fate::kFiltered : FrameFate::Fate::kKept;
      if (known->second) fate->filter = filter.first_match(function, frame.file, frame.module);
    }
    if (known->second) {
      unfiltered.push_back(std::move(keyed));
    } else {
      kept.push_back(std::move(keyed));
    }
  }
  // A crash with every frame in a runtime still needs a signature: use them all.
  if (kept.empty()) {
    if (trace) trace->all_runtime = !unfiltered.empty();
    kept = std::move(unfiltered);
  }
  if (trace) trace->kept = kept.size();

  // Collapse on the line-level keys; a key's function-level key goes with it.
  std::vector<std::string> collapsed;
  std::unordered_map<std::string, std::string> caller_of;
  for (KeyedFrame& frame : kept) {
    collapsed.push_back(frame.key);
    caller_of.emplace(std::move(frame.key), std::move(frame.caller));
  }
  std::vector<bool> repeated = collapse_recursion(collapsed);
  std::vector<std::string> callers;
  for (const std::string& key : collapsed) callers.push_back(caller_of[key]);

  size_t site_begin = 0;
  size_t site_end = collapsed.empty() ? 0 : 1;
  if (stack.family == "StackOverflow") {
    // The stack ran out somewhere in a recursion: the recursion is the bug,
    // the frames above it are wherever the last call happened to fault.
    auto first = std::find(repeated.begin(), repeated.end(), true);
    if (first != repeated.end()) {
      site_begin = first - repeated.begin();
      site_end = site_begin;
      while (site_end < repeated.size() && repeated[site_end]) ++site_end;
    }
  }
  if (trace) {
    trace->collapsed = collapsed.size();
    trace->above_site = site_begin;
  }
  std::set<std::string> site(collapsed.begin() + site_begin, collapsed.begin() + site_end);
  for (const std::string& key : site) {
    if (!stack.crash_site.empty()) stack.crash_site += " | ";
    stack.crash_site += key;
  }
  size_t end = std::min(collapsed.size(), site_begin + kMaxSignatureFrames);
  stack.frames.assign(collapsed.begin() + site_begin, collapsed.begin() + end);
  stack.callers.assign(callers.begin() + std::min(site_end, end), callers.begin() + end);
  return stack;
}

}  // namespace triage

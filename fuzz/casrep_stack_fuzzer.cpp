// libFuzzer harness for .casrep reports as triage-dedup and triage-cluster
// read them: they come from other machines and from CASR. The input is
// written to a memfd and read with read_crash_stack() through its path, as
// the tools read every report (the structural scan of util/json_scan, the
// keys decoded by report/stack_reader, our Threads or CASR's gdb Stacktrace
// and ProcMaps or its AsanReport, through to signature/crash_stack).
//
//   casrep_stack_fuzzer CORPUS_DIR [SEED_DIR...] -max_total_time=600
//
// Properties: no exception escapes (the tools read reports in parallel
// threads and catch nothing); an Error carries a message; reading is
// deterministic; every stack key is non-empty. And the quick reader agrees
// with the full one: a report parse_report accepts, the stack reader
// accepts too, and gives the same crash stack when its crashing thread has
// no more frames than the stack reader reads (and no object names a member
// twice).
#include <cstdint>
#include <exception>
#include <string>
#include <set>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "fuzz_support.h"
#include "triage/cluster/report_set.h"
#include "triage/report/report.h"
#include "triage/signature/crash_stack.h"

namespace {

using triage_fuzz::broken;

// Frames the cluster tools read of a report (report_set.cpp's kFramesRead).
constexpr size_t kFramesRead = 128;

void check_keys(const triage::CrashStack& stack) {
  for (const std::string& key : stack.frames) {
    if (key.empty()) broken("an empty frame key");
  }
  for (const std::string& caller : stack.callers) {
    if (caller.empty()) broken("an empty caller");
  }
  if (stack.frames.size() > triage::kMaxSignatureFrames) broken("more frames than a signature keeps");
  if (stack.frames.empty() != stack.crash_site.empty()) broken("frames without a crash site, or a site without frames");
}

bool same_stack(const triage::CrashStack& a, const triage::CrashStack& b) {
  return a.type == b.type && a.class_name == b.class_name && a.family == b.family &&
         a.crash_line == b.crash_line && a.frames == b.frames && a.crash_site == b.crash_site &&
         a.callers == b.callers;
}

// Whether some object in the JSON text names a member twice. RFC 8259 leaves
// such objects to the reader: parse_report keeps the last value, the stack
// reader may stop before it, and neither is wrong.
bool has_duplicate_names(std::string_view text) {
  // names[d]: the names of the object opened at depth d, which its members'
  // names come at depth d + 1.
  std::vector<std::set<std::string>> names;
  bool duplicate = false;
  try {
    nlohmann::json::parse(text.begin(), text.end(),
                          [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
                            using Event = nlohmann::json::parse_event_t;
                            if (event == Event::object_start) {
                              names.resize(static_cast<size_t>(depth));
                              names.emplace_back();
                            } else if (event == Event::key && depth > 0 && names.size() >= static_cast<size_t>(depth) &&
                                       !names[depth - 1].insert(parsed.get<std::string>()).second) {
                              duplicate = true;
                            }
                            return false;  // keep nothing: only the names matter
                          });
  } catch (const nlohmann::json::exception&) {
  }
  return duplicate;
}

size_t crashing_thread_frames(const triage::report::Report& report) {
  for (const auto& thread : report.threads) {
    if (thread.crashed) return thread.frames.size();
  }
  return report.threads.empty() ? 0 : report.threads.front().frames.size();
}

void test_one(const triage_fuzz::MemoryFile& file, std::string_view text) {
  const triage::Rules& rules = triage_fuzz::rules();
  auto stack = triage::read_crash_stack(file.path(), rules.classes, rules.frame_filter);
  auto again = triage::read_crash_stack(file.path(), rules.classes, rules.frame_filter);
  if (stack.ok() != again.ok()) broken("read_crash_stack differs on the same report");
  if (!stack) {
    if (stack.error().message.empty()) broken("an Error without a message");
    if (stack.error().message != again.error().message) broken("read_crash_stack differs on the same report");
  } else {
    if (!same_stack(*stack, *again)) broken("read_crash_stack differs on the same report");
    check_keys(*stack);
  }

  auto full = triage::report::parse_report(text);
  if (!full) return;
  const triage::CrashStack expected = triage::crash_stack_of(*full, rules.classes, rules.frame_filter);
  if (expected.frames.empty() && expected.class_name.empty()) return;  // refused by read_crash_stack too
  if (!stack) broken("parse_report reads a report the cluster tools refuse: " + stack.error().message);
  if (crashing_thread_frames(*full) <= kFramesRead && !same_stack(expected, *stack) &&
      !has_duplicate_names(text)) {
    broken("the cluster tools' reader gives another crash stack than parse_report");
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  triage_fuzz::rules();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static triage_fuzz::MemoryFile* file = new triage_fuzz::MemoryFile("casrep_stack_fuzzer");
  file->write(data, size);
  try {
    test_one(*file, std::string_view(reinterpret_cast<const char*>(data), size));
  } catch (const std::exception& e) {
    broken(std::string("an exception escaped: ") + e.what());
  }
  return 0;
}

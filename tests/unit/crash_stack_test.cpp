// Crash stacks: what dedup and clustering compare. Keys must not depend on
// load addresses, runtime frames and wild pcs must not count, recursion must
// fold, and CASR's own report forms must give the same keys as ours.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "triage/analyze/rules.h"
#include "triage/report/stack_reader.h"
#include "triage/signature/crash_stack.h"

using triage::collapse_recursion;
using triage::crash_stack_of;
using triage::CrashStack;
namespace report = triage::report;

namespace {

const triage::Rules& rules() {
  static const triage::Rules loaded = [] {
    auto result = triage::load_rules(TRIAGE_SOURCE_RULES_DIR, {});
    REQUIRE(result);
    return std::move(*result);
  }();
  return loaded;
}

CrashStack stack_of(const report::Report& r) { return crash_stack_of(r, rules().classes, rules().frame_filter); }

report::Frame frame(const std::string& function, const std::string& file, int line, const std::string& module,
                    uint64_t address, uint64_t offset) {
  report::Frame f;
  f.function = function;
  f.file = file;
  f.line = line;
  f.module = module;
  f.address = address;
  f.module_offset = offset;
  return f;
}

// A report of our own form: SIGSEGV in parse_item <- handle <- main, under libc.
report::Report ours(uint64_t load_base, const std::string& class_name = "SourceAvNearNull") {
  report::Report r;
  r.severity = {"NOT_EXPLOITABLE", class_name, "", ""};
  r.crash_line = "/src/p.c:12:5";
  report::Thread thread;
  thread.crashed = true;
  thread.frames = {
      frame("__memcpy_avx_unaligned_erms", "", 0, "/usr/lib/x86_64-linux-gnu/libc.so.6", 0x7f0000001000, 0x1000),
      frame("parse_item(char const*)", "/src/p.c", 12, "/src/prog", load_base + 0x1234, 0x1234),
      frame("handle", "/src/h.c", 40, "/src/prog", load_base + 0x1300, 0x1300),
      frame("main", "/src/main.c", 7, "/src/prog", load_base + 0x1400, 0x1400),
      frame("__libc_start_main", "", 0, "/usr/lib/x86_64-linux-gnu/libc.so.6", 0x7f0000002000, 0x2000),
  };
  r.threads.push_back(thread);
  return r;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("crash stack: keys are demangled names without parameters, file:line, no addresses",
          "[signature][crash-stack]") {
  CrashStack a = stack_of(ours(0x555555554000));
  CrashStack b = stack_of(ours(0x5600aa000000));  // another ASLR base
  REQUIRE(a.frames == std::vector<std::string>{"parse_item p.c:12", "handle h.c:40", "main main.c:7"});
  CHECK(a.signature() == b.signature());
  CHECK(a.crash_site == "parse_item p.c:12");
  CHECK(a.callers == std::vector<std::string>{"handle", "main"});
  CHECK(a.family == "SourceAv");
  // The class is part of the signature; the family is what clusters share.
  CrashStack c = stack_of(ours(0x555555554000, "SourceAv"));
  CHECK(c.signature() != a.signature());
  CHECK(c.family == a.family);
}

TEST_CASE("crash stack: wild pcs are dropped, stripped frames keep module+offset", "[signature][crash-stack]") {
  report::Report r = ours(0x555555554000, "SegFaultOnPc");
  auto& frames = r.threads[0].frames;
  frames.insert(frames.begin(), frame("", "", 0, "", 0x414141414141, 0));  // the wild pc
  frames[3] = frame("", "", 0, "/src/prog", 0x555555555300, 0x1300);  // no symbol
  CrashStack stack = stack_of(r);
  CHECK(stack.frames == std::vector<std::string>{"parse_item p.c:12", "prog+0x1300", "main main.c:7"});
  CHECK(stack.family == "ControlFlowAv");
  frames[0].address = 0x10;  // another wild address: same signature
  CHECK(stack_of(r).signature() == stack.signature());
}

TEST_CASE("crash stack: recursion folds, whatever its depth", "[signature][crash-stack]") {
  std::vector<std::string> frames = {"a", "b", "b", "b", "c"};
  std::vector<bool> repeated = collapse_recursion(frames);
  CHECK(frames == std::vector<std::string>{"a", "b", "c"});
  CHECK(repeated == std::vector<bool>{false, true, false});

  frames = {"f", "g", "f", "g", "f", "g", "h"};
  collapse_recursion(frames);
  CHECK(frames == std::vector<std::string>{"f", "g", "h"});
  frames = {"x", "f", "g", "h", "f", "g", "h", "f", "main"};  // a 3-cycle cut mid-way
  collapse_recursion(frames);
  CHECK(frames == std::vector<std::string>{"x", "f", "g", "h", "f", "main"});

  auto at_depth = [](int depth) {
    report::Report r = ours(0x555555554000);
    auto& f = r.threads[0].frames;
    for (int i = 0; i < depth; ++i) f.insert(f.begin() + 2, frame("walk", "/src/w.c", 30, "/src/prog", 0, 0x1250));
    return stack_of(r);
  };
  CHECK(at_depth(1).signature() == at_depth(1000).signature());
  CHECK(at_depth(0).signature() != at_depth(1).signature());
}

TEST_CASE("crash stack: a stack overflow's site is its recursion, not the line that faulted",
          "[signature][crash-stack]") {
  auto overflow = [](int fault_line, int depth) {
    report::Report r;
    r.severity = {"NOT_EXPLOITABLE", "StackOverflow", "", ""};
    report::Thread thread;
    thread.crashed = true;
    thread.frames.push_back(frame("descend", "/src/g.c", fault_line, "/src/prog", 0, 0x100 + fault_line));
    for (int i = 0; i < depth; ++i) thread.frames.push_back(frame("descend", "/src/g.c", 60, "/src/prog", 0, 0x200));
    thread.truncated = true;
    r.threads.push_back(thread);
    return stack_of(r);
  };
  CrashStack a = overflow(52, 1999);
  CrashStack b = overflow(66, 1999);
  CHECK(a.crash_site == "descend g.c:60");
  CHECK(a.crash_site == b.crash_site);
  CHECK(a.signature() == b.signature());
}

TEST_CASE("crash stack: CASR's gdb Stacktrace gives the same keys as our Threads", "[signature][crash-stack]") {
  auto casr = report::parse_report(read_file(TRIAGE_TEST_DATA_DIR "/report/casr_sample.casrep"));
  REQUIRE(casr);
  CrashStack stack = stack_of(*casr);
  CHECK(stack.class_name == "heap-buffer-overflow(write)");
  CHECK(stack.type == "EXPLOITABLE");
  // __pthread_kill_implementation, raise and abort are runtime frames.
  CHECK(stack.frames ==
        std::vector<std::string>{"parse_attribute attr.c:58", "parse_element parser.c:131", "main main.c:7"});

  report::Report from_threads;
  from_threads.severity = casr->severity;
  report::Thread thread;
  thread.crashed = true;
  thread.frames = {frame("parse_attribute", "/elsewhere/attr.c", 58, "/x/xmlparse", 1, 0x3a3e),
                   frame("parse_element(Context*)", "/elsewhere/parser.c", 131, "/x/xmlparse", 1, 0x3c10),
                   frame("main", "/elsewhere/main.c", 7, "/x/xmlparse", 1, 0x11a9)};
  from_threads.threads.push_back(thread);
  CHECK(stack_of(from_threads).signature() == stack.signature());
}

TEST_CASE("crash stack: an AsanReport-only report, and gdb frames placed by ProcMaps", "[signature][crash-stack]") {
  auto casr = report::parse_report(read_file(TRIAGE_TEST_DATA_DIR "/report/casr_sample.casrep"));
  REQUIRE(casr);
  report::Report asan_only = *casr;
  asan_only.stacktrace.clear();
  CrashStack stack = stack_of(asan_only);
  CHECK(stack.frames ==
        std::vector<std::string>{"parse_attribute attr.c:58", "parse_element parser.c:131", "main main.c:7"});

  // No symbols: gdb says "?? ()" and ProcMaps says which module at which offset.
  report::Report stripped = *casr;
  stripped.stacktrace = {"#0  0x0000555555557a3e in ?? ()", "#1  0x0000555555557c10 in ?? ()",
                         "#2  0x00007ffff7c29d90 in ?? () from /usr/lib/x86_64-linux-gnu/libc.so.6"};
  stack = stack_of(stripped);
  CHECK(stack.frames == std::vector<std::string>{"xmlparse+0x3a3e", "xmlparse+0x3c10"});
}

TEST_CASE("crash stack: a crash whose every frame is in a runtime still has a signature", "[signature][crash-stack]") {
  report::Report r;
  r.severity = {"NOT_EXPLOITABLE", "AbortSignal", "", ""};
  report::Thread thread;
  thread.crashed = true;
  thread.frames = {frame("abort", "", 0, "/usr/lib/x86_64-linux-gnu/libc.so.6", 0, 0x26000),
                   frame("__libc_start_main", "", 0, "/usr/lib/x86_64-linux-gnu/libc.so.6", 0, 0x29d90)};
  r.threads.push_back(thread);
  CrashStack stack = stack_of(r);
  CHECK(stack.frames == std::vector<std::string>{"abort libc.so.6+0x26000", "__libc_start_main libc.so.6+0x29d90"});
}

TEST_CASE("stack reader: reads the same crash stack as a full parse, and refuses broken reports",
          "[signature][crash-stack]") {
  report::Report r = ours(0x555555554000);
  report::Thread idle;
  idle.tid = 2;
  idle.frames = {frame("poll", "", 0, "/usr/lib/x86_64-linux-gnu/libc.so.6", 0, 0x100)};
  r.threads.insert(r.threads.begin(), idle);  // the crashed thread is not first
  r.registers = {{"rip", 1}};
  r.disassembly = {"==> 0x1: mov eax, 1"};
  r.crash_line = "/src/p.c:12:5";
  const std::string text = report::to_json_text(r);
  auto partial = report::parse_report_stack(text, 128);
  REQUIRE(partial);
  CHECK(stack_of(*partial).signature() == stack_of(r).signature());
  CHECK(partial->crash_line == r.crash_line);
  CHECK(partial->threads.size() == 1);

  // Only the first max_frames frames of the crashed thread are read.
  auto two = report::parse_report_stack(text, 2);
  REQUIRE(two);
  CHECK(two->threads[0].frames.size() == 2);

  // CASR's form: no Threads, the stack in Stacktrace.
  const std::string casr_text = read_file(TRIAGE_TEST_DATA_DIR "/report/casr_sample.casrep");
  auto casr = report::parse_report_stack(casr_text, 128);
  REQUIRE(casr);
  CHECK(stack_of(*casr).signature() == stack_of(*report::parse_report(casr_text)).signature());

  for (std::string broken : {text.substr(0, text.size() / 2), std::string("[1, 2]"), std::string("{\"Threads\": 3}"),
                             std::string("{\"CrashLine\": \"a\", \"Threads\": [{\"Crashed\": true, \"Frames\": [1, }]}"),
                             std::string("{\"CrashSeverity\": {\"Type\": 5}}"), std::string(2000, '['), std::string()}) {
    INFO(broken.substr(0, 80));
    CHECK_FALSE(report::parse_report_stack(broken, 128));
  }
}

TEST_CASE("stack reader: a report that begins with a UTF-8 byte order mark reads as parse_report reads it",
          "[signature][crash-stack]") {
  // parse_report (nlohmann::json) skips the mark; the cluster tools refused
  // such a report as "not a JSON object" (casrep_stack_fuzzer's differential check).
  const std::string text = "\xEF\xBB\xBF" + report::to_json_text(ours(0x555555554000));
  auto full = report::parse_report(text);
  REQUIRE(full);
  auto quick = report::parse_report_stack(text, 128);
  REQUIRE(quick);
  CHECK(stack_of(*quick).signature() == stack_of(*full).signature());
}

TEST_CASE("crash stack: a module named by a folder keeps a key of its own", "[signature][crash-stack]") {
  // A cut-off gdb line says "from /lib/": its key was empty, so such frames of
  // different folders were one, and a signature held an empty frame.
  report::Report casr;
  casr.severity = {"NOT_EXPLOITABLE", "SourceAv", "", ""};
  casr.stacktrace = {"#0  0x0000000000001234 in ?? () from /lib/", "#1  0x0000000000005678 in ?? () from /usr/"};
  CrashStack stack = stack_of(casr);
  CHECK(stack.frames == std::vector<std::string>{"/lib/", "/usr/"});
  CHECK(stack.crash_site == "/lib/");
}

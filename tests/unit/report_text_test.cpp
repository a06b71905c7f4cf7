// The text report: checked for what it says, not for its exact layout.
#include <string>

#include <catch2/catch.hpp>

#include "triage/report/report.h"

using namespace triage::report;

namespace {

Frame make_frame(uint64_t address, std::string function, std::string file, int line,
                 std::string module = "/tmp/prog") {
  Frame f;
  f.address = address;
  f.function = std::move(function);
  f.file = std::move(file);
  f.line = line;
  f.module = std::move(module);
  f.module_offset = address & 0xffff;
  f.found_by = "cfi";
  return f;
}

Report crash_report(size_t frame_count) {
  Report r;
  r.severity = {"EXPLOITABLE", "DestAv", "Fault writing to memory",
                "The faulting instruction stores to the bad address. A write through a corrupted "
                "pointer can often be turned into a write of chosen data to a chosen place, so "
                "this crash deserves attention first."};
  r.signal = Signal{11, "SIGSEGV", 1, "SEGV_MAPERR", 0x41414141, false};
  r.crash_line = "/src/parser.c:58:17";
  r.source = {"    57      char *name = malloc(n + 1);", "--->58      name[n + 1] = 0;"};
  r.executable_path = "/tmp/prog";
  r.pid = 777;
  Thread crashed;
  crashed.tid = 777;
  crashed.crashed = true;
  for (size_t i = 0; i < frame_count; ++i) {
    crashed.frames.push_back(make_frame(0x555555555000 + i * 16, "recurse_" + std::to_string(i),
                                        "/src/parser.c", static_cast<int>(100 + i)));
  }
  crashed.frames[0].function = "parse_attribute(char const*)";
  crashed.frames[1].inlined = true;
  crashed.frames[1].function = "copy_name";
  crashed.frames[2].found_by = "scan";
  crashed.frames[3].found_by = "fp";
  Frame libc = make_frame(0x7ffff7c29d90, "", "", 0, "/lib/x86_64-linux-gnu/libc.so.6");
  crashed.frames[4] = libc;
  Thread other;
  other.tid = 778;
  for (int i = 0; i < 9; ++i) {
    other.frames.push_back(make_frame(0x555555556000 + i, "worker_" + std::to_string(i),
                                      "/src/worker.c", 10 + i));
  }
  r.threads = {crashed, other};
  r.registers = {{"rax", 0x41414141}, {"rbx", 0}, {"rcx", 0x7fffffffe0f0}, {"rip", 0x555555555000},
                 {"rsp", 0x7fffffffe000}};
  r.disassembly = {"==> 0x555555555000 <parse_attribute+20>:\tmov    BYTE PTR [rax],0x0"};
  r.modules = {Module{"/lib/x86_64-linux-gnu/libc.so.6", 0x7ffff7c00000, 0x7ffff7e00000, "aaaa",
                      "/usr/lib/x86_64-linux-gnu/libc.so.6", "bbbb", true},
               Module{"/tmp/prog", 0x555555554000, 0x555555559000, "cccc", "/tmp/prog", "cccc",
                      false}};
  r.warnings = {"frame 2 was found by scanning the stack and may be spurious"};
  return r;
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("text report leads with severity, class, signal and crash line", "[report]") {
  const std::string text = to_text(crash_report(8));
  INFO(text);
  const std::string first_line = text.substr(0, text.find('\n'));
  CHECK(has(first_line, "EXPLOITABLE"));
  CHECK(has(first_line, "DestAv"));
  CHECK(has(first_line, "SIGSEGV"));
  CHECK(has(first_line, "SEGV_MAPERR"));
  CHECK(has(first_line, "0x41414141"));
  CHECK(has(text, "Fault writing to memory"));
  CHECK(has(text, "chosen data"));  // the explanation
  CHECK(has(text, "/src/parser.c:58:17"));
  CHECK(has(text, "--->58      name[n + 1] = 0;"));
  CHECK(has(text, "/tmp/prog"));
  // The explanation is wrapped: no line is much wider than a terminal.
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    if (has(line, "chosen") || has(line, "stores to")) CHECK(line.size() <= 80);
    start = end + 1;
  }
}

TEST_CASE("text report lists the crashing stack with markers", "[report]") {
  const std::string text = to_text(crash_report(8));
  INFO(text);
  CHECK(has(text, "parse_attribute"));
  CHECK_FALSE(has(text, "parse_attribute(char const*)"));  // parameters dropped
  CHECK(has(text, "/src/parser.c:100"));
  CHECK(has(text, "copy_name"));
  CHECK(has(text, "[inlined]"));
  CHECK(has(text, "stack scan"));
  CHECK(has(text, "frame pointer"));
  CHECK(has(text, "libc.so.6+0x9d90"));
  CHECK(has(text, "recurse_7"));
  CHECK_FALSE(has(text, "more frames\n  #"));
}

TEST_CASE("text report summarises frames past max_frames", "[report]") {
  TextOptions options;
  options.max_frames = 6;
  const std::string text = to_text(crash_report(20), options);
  INFO(text);
  CHECK(has(text, "recurse_5"));
  CHECK_FALSE(has(text, "recurse_6"));
  CHECK(has(text, "... 14 more frames"));
}

TEST_CASE("text report shows other threads briefly", "[report]") {
  const std::string text = to_text(crash_report(8));
  INFO(text);
  CHECK(has(text, "778"));
  CHECK(has(text, "worker_0"));
  CHECK(has(text, "worker_4"));
  CHECK_FALSE(has(text, "worker_5"));
  CHECK(has(text, "... 4 more frames"));

  TextOptions options;
  options.all_threads = false;
  CHECK_FALSE(has(to_text(crash_report(8), options), "worker_0"));
}

TEST_CASE("text report shows registers, disassembly, mismatched modules and notes", "[report]") {
  const std::string text = to_text(crash_report(8));
  INFO(text);
  CHECK(has(text, "Registers"));
  CHECK(has(text, "rax"));
  CHECK(has(text, "0x0000000041414141"));
  CHECK(has(text, "0x00007fffffffe0f0"));
  // Registers share lines (columns), so there are fewer lines than registers.
  const size_t rax_line = text.find("rax");
  CHECK(text.find("rbx") < text.find('\n', rax_line));
  CHECK(has(text, "Disassembly"));
  CHECK(has(text, "BYTE PTR [rax]"));
  CHECK(has(text, "aaaa"));
  CHECK(has(text, "bbbb"));
  CHECK_FALSE(has(text, "cccc"));  // a matching module is not listed
  CHECK(has(text, "Notes"));
  CHECK(has(text, "may be spurious"));
}

TEST_CASE("text report colors only when asked", "[report]") {
  CHECK_FALSE(has(to_text(crash_report(8)), "\x1b["));
  TextOptions options;
  options.color = true;
  const std::string colored = to_text(crash_report(8), options);
  CHECK(has(colored, "\x1b[1;31mEXPLOITABLE"));
  CHECK(has(colored, "\x1b[0m"));
}

TEST_CASE("text report of a CASR report uses its gdb stack lines", "[report]") {
  Report r;
  r.severity = {"NOT_EXPLOITABLE", "SourceAvNearNull", "Read near null", ""};
  r.stacktrace = {"#0  0x00005555555551a9 in main () at /tmp/test.c:7",
                  "#1  0x00007ffff7c29d90 in __libc_start_call_main () from /lib/libc.so.6",
                  "#2  0x00007ffff7c29e40 in __libc_start_main_impl () from /lib/libc.so.6"};
  r.crash_line = "/tmp/test.c:7";
  TextOptions options;
  options.max_frames = 2;
  const std::string text = to_text(r, options);
  INFO(text);
  CHECK(has(text, "SourceAvNearNull"));
  CHECK(has(text, "in main () at /tmp/test.c:7"));
  CHECK_FALSE(has(text, "__libc_start_main_impl"));
  CHECK(has(text, "... 1 more frames"));

  // An empty report still gives a readable text, not a crash.
  CHECK_FALSE(to_text(Report{}).empty());
}

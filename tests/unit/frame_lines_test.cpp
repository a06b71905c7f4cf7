// Frame lines read back: gdb's `bt` lines (CASR's gdb-based reports) and
// sanitizer lines (casr-san's, and AsanReport), as real tools print them.
#include <catch2/catch.hpp>

#include "triage/report/frame_lines.h"

using triage::report::first_stack_of;
using triage::report::Frame;
using triage::report::parse_frame_line;

TEST_CASE("frame lines: gdb's bt forms", "[report][frame-lines]") {
  auto frame = parse_frame_line("#4  0x0000555555557a3e in parse_attribute (p=0x602000000010 \"a=(\") at /src/attr.c:58");
  REQUIRE(frame);
  CHECK(frame->address == 0x555555557a3e);
  CHECK(frame->function == "parse_attribute");
  CHECK(frame->file == "/src/attr.c");
  CHECK(frame->line == 58);
  CHECK(frame->column == 0);

  frame = parse_frame_line("#0  __pthread_kill_implementation (threadid=<optimized out>, signo=6) at ./nptl/pthread_kill.c:44");
  REQUIRE(frame);
  CHECK(frame->address == 0);
  CHECK(frame->function == "__pthread_kill_implementation");
  CHECK(frame->line == 44);

  frame = parse_frame_line("#1  0x00007ffff7c2a472 in ?? () from /lib/x86_64-linux-gnu/libc.so.6");
  REQUIRE(frame);
  CHECK(frame->function.empty());
  CHECK(frame->module == "/lib/x86_64-linux-gnu/libc.so.6");

  frame = parse_frame_line("#12 0x0000555555555189 in ns::Table<int, (anonymous namespace)::Rec>::find (this=0x0, key=@0x7ffe: 3) at t.cpp:9:3");
  REQUIRE(frame);
  CHECK(frame->function == "ns::Table<int, (anonymous namespace)::Rec>::find");
  CHECK(frame->line == 9);
  CHECK(frame->column == 3);

  frame = parse_frame_line("#2  0x0000414141414141 in ?? ()");
  REQUIRE(frame);
  CHECK(frame->function.empty());
  CHECK(frame->module.empty());
  CHECK(frame->address == 0x414141414141);
}

TEST_CASE("frame lines: gdb's arguments of operators cut off (found by frame_lines_fuzzer)", "[report][frame-lines]") {
  // The brackets of operator<< and operator-> open no template: the
  // arguments still end at " (", and a bracket in them is not counted.
  auto frame = parse_frame_line("#3  0x0000555555555189 in operator<< (os=..., s=0x55555555a2a0 \"(\") at out.cc:9");
  REQUIRE(frame);
  CHECK(frame->function == "operator<<");
  CHECK(frame->file == "out.cc");

  frame = parse_frame_line("#4  0x0000555555555200 in Ptr<Node>::operator-> (this=0x0) at ptr.h:3");
  REQUIRE(frame);
  CHECK(frame->function == "Ptr<Node>::operator->");

  frame = parse_frame_line("#5  0x0000555555555300 in std::less<int>::operator() (this=0x1, a=@0x2: 1) at less.h:4");
  REQUIRE(frame);
  CHECK(frame->function == "std::less<int>::operator()");

  frame = parse_frame_line("#6  0x0000555555555400 in my_operator<2> (x=1) at t.cc:5");
  REQUIRE(frame);
  CHECK(frame->function == "my_operator<2>");
}

TEST_CASE("frame lines: sanitizer forms", "[report][frame-lines]") {
  auto frame = parse_frame_line("    #0 0x4f8b1e in parse(char const*, unsigned long) /src/parse.cc:12:5");
  REQUIRE(frame);
  CHECK(frame->function == "parse(char const*, unsigned long)");
  CHECK(frame->file == "/src/parse.cc");
  CHECK(frame->line == 12);
  CHECK(frame->column == 5);

  frame = parse_frame_line("    #1 0x7f3a12 in __libc_start_main (/lib/x86_64-linux-gnu/libc.so.6+0x29d90)");
  REQUIRE(frame);
  CHECK(frame->function == "__libc_start_main");
  CHECK(frame->module == "/lib/x86_64-linux-gnu/libc.so.6");
  CHECK(frame->module_offset == 0x29d90);

  frame = parse_frame_line("    #2 0x55d1e0 (/src/prog+0x1e0)");
  REQUIRE(frame);
  CHECK(frame->function.empty());
  CHECK(frame->module == "/src/prog");
  CHECK(frame->module_offset == 0x1e0);

  frame = parse_frame_line("    #1 0x55faaa6c03ab  (/b/target-asan+0xdf3ab) (BuildId: 440a490ec3f0956a6dd5a7928fc26d3cbc972e57)");
  REQUIRE(frame);
  CHECK(frame->function.empty());
  CHECK(frame->module == "/b/target-asan");
  CHECK(frame->module_offset == 0xdf3ab);
  frame = parse_frame_line("    #2 0x7f in main /src/m.c:3:1 (BuildId: 93ac61ec)");
  REQUIRE(frame);
  CHECK(frame->function == "main");
  CHECK(frame->line == 3);

  frame = parse_frame_line("    #0 0x414141414141  (<unknown module>)");
  REQUIRE(frame);
  CHECK(frame->address == 0x414141414141);
  CHECK(frame->function.empty());
  CHECK(frame->module.empty());

  CHECK_FALSE(parse_frame_line(""));
  CHECK_FALSE(parse_frame_line("==1==ERROR: AddressSanitizer: SEGV on unknown address"));
  CHECK_FALSE(parse_frame_line("#x 0x1 in f"));
  CHECK_FALSE(parse_frame_line("#1  <signal handler called>"));
}

TEST_CASE("frame lines: the first stack of a sanitizer report", "[report][frame-lines]") {
  std::vector<std::string> asan = {
      "==48211==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x602000000013",
      "WRITE of size 1 at 0x602000000013 thread T0",
      "    #0 0x555555557a3d in parse_attribute /home/fuzz/src/attr.c:58:17",
      "    #1 0x555555557c0f in parse_element /home/fuzz/src/parser.c:131:9",
      "    #2 0x5555555551a8 in main /home/fuzz/src/main.c:7:3",
      "",
      "allocated by thread T0 here:",
      "    #0 0x7ffff7eb89cf in __interceptor_malloc asan_malloc_linux.cpp:69",
      "    #1 0x555555557998 in parse_attribute /home/fuzz/src/attr.c:51:21",
  };
  std::vector<Frame> frames = first_stack_of(asan);
  REQUIRE(frames.size() == 3);
  CHECK(frames[0].function == "parse_attribute");
  CHECK(frames[2].function == "main");

  // gdb lines with a signal frame in the middle: the stack goes on.
  std::vector<std::string> gdb = {"#0  handler (s=11) at h.c:3", "#1  <signal handler called>",
                                  "#2  0x0000000000401136 in crash () at c.c:5"};
  frames = first_stack_of(gdb);
  REQUIRE(frames.size() == 2);
  CHECK(frames[1].function == "crash");
}

// Frame filters with the shipped rules/frame_filters.json: runtime frames
// are skipped, the program's own frames kept; and the crash line of a frame.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "triage/analyze/rules.h"
#include "triage/signature/frame_filter.h"

using triage::ErrorKind;
using triage::Frame;
using triage::FrameFilter;

namespace {

const FrameFilter& shipped_filter() {
  static const triage::Rules rules = [] {
    auto loaded = triage::load_rules(TRIAGE_SOURCE_RULES_DIR, {});
    if (!loaded.ok()) FAIL(loaded.error().message);
    return std::move(loaded).value();
  }();
  return rules.frame_filter;
}

Frame frame(std::string function, std::string file = "", std::string module = "", int line = 0) {
  Frame f;
  f.function = std::move(function);
  f.file = std::move(file);
  f.module = std::move(module);
  f.line = line;
  return f;
}

constexpr const char* kLibc = "/lib/x86_64-linux-gnu/libc.so.6";
constexpr const char* kProg = "/tmp/x";

}  // namespace

TEST_CASE("glibc frames are skipped", "[rules]") {
  const FrameFilter& filter = shipped_filter();
  CHECK(filter.skips(frame("__GI_raise", "../sysdeps/unix/sysv/linux/raise.c", kLibc, 26)));
  CHECK(filter.skips(frame("__pthread_kill_implementation", "./nptl/pthread_kill.c", kLibc, 44)));
  CHECK(filter.skips(frame("__GI_abort", "./stdlib/abort.c", kLibc, 79)));
  CHECK(filter.skips(frame("raise")));
  CHECK(filter.skips(frame("abort")));
  CHECK(filter.skips(frame("__assert_fail")));
  CHECK(filter.skips(frame("__libc_start_call_main")));
  CHECK(filter.skips(frame("malloc_printerr")));
  CHECK(filter.skips(frame("_int_free")));
  CHECK(filter.skips(frame("__stack_chk_fail")));
  CHECK(filter.skips(frame("__fortify_fail")));
  CHECK(filter.skips(frame("__chk_fail")));
  CHECK(filter.skips(frame("__memcpy_chk")));
  CHECK(filter.skips(frame("__memcpy_avx_unaligned_erms")));
  CHECK(filter.skips(frame("__strlen_evex")));
  CHECK(filter.skips(frame("memcpy")));
  // No symbol at all, but inside libc or the loader: skipped by module.
  CHECK(filter.skips(frame("", "", kLibc)));
  CHECK(filter.skips(frame("", "", "/lib64/ld-linux-x86-64.so.2")));
  CHECK(filter.skips(frame("", "", "[vdso]")));
}

TEST_CASE("C++ runtime frames are skipped by function, file or module", "[rules]") {
  const FrameFilter& filter = shipped_filter();
  CHECK(filter.skips(frame("std::vector<int, std::allocator<int> >::at(unsigned long)",
                           "/src/p.cpp", kProg)));
  CHECK(filter.skips(frame("std::vector<int>::at")));
  CHECK(filter.skips(frame("std::__throw_out_of_range_fmt(char const*, ...)")));
  CHECK(filter.skips(frame("__cxa_throw")));
  CHECK(filter.skips(frame("__gnu_cxx::__verbose_terminate_handler()")));
  CHECK(filter.skips(frame("__cxxabiv1::__terminate(void (*)())")));
  CHECK(filter.skips(frame("_Unwind_RaiseException")));
  CHECK(filter.skips(frame("operator new(unsigned long)")));
  CHECK(filter.skips(frame("", "/usr/include/c++/12/bits/stl_vector.h", kProg, 1123)));
  CHECK(filter.skips(frame("", "", "/usr/lib/x86_64-linux-gnu/libstdc++.so.6")));
  CHECK(filter.skips(frame("", "", "/lib/x86_64-linux-gnu/libgcc_s.so.1")));
  CHECK(filter.skips(frame("", "", "/usr/lib/llvm-14/lib/libc++.so.1")));
}

TEST_CASE("sanitizer and fuzzer runtimes are skipped, the fuzz target is not", "[rules]") {
  const FrameFilter& filter = shipped_filter();
  CHECK(filter.skips(frame("__asan::ReportGenericError(unsigned long, unsigned long)")));
  CHECK(filter.skips(frame("__asan_report_store1")));
  CHECK(filter.skips(frame("__ubsan_handle_divrem_overflow")));
  CHECK(filter.skips(frame("__msan_warning_noreturn")));
  CHECK(filter.skips(frame("__sanitizer::Die()")));
  CHECK(filter.skips(frame("__interceptor_malloc")));
  CHECK(filter.skips(frame("", "/build/llvm/compiler-rt/lib/asan/asan_report.cpp", kProg, 1)));
  CHECK(filter.skips(frame("", "", "/usr/lib/x86_64-linux-gnu/libasan.so.8")));
  CHECK(filter.skips(frame("fuzzer::Fuzzer::ExecuteCallback(unsigned char const*, unsigned long)")));
  CHECK(filter.skips(frame("__afl_manual_init")));
  CHECK_FALSE(filter.skips(frame("LLVMFuzzerTestOneInput", "/src/fuzz.cc", "/out/fuzz", 12)));
  CHECK_FALSE(filter.skips(frame("rust_fuzzer_test_input")));
}

TEST_CASE("Rust std and Go runtime frames are skipped", "[rules]") {
  const FrameFilter& filter = shipped_filter();
  CHECK(filter.skips(frame("core::panicking::panic_fmt")));
  CHECK(filter.skips(frame("std::panicking::begin_panic_handler::{{closure}}")));
  CHECK(filter.skips(frame("alloc::raw_vec::capacity_overflow")));
  CHECK(filter.skips(frame("<core::slice::Iter<T> as core::iter::Iterator>::next")));
  CHECK(filter.skips(frame("rust_panic")));
  CHECK(filter.skips(frame("__rust_start_panic")));
  CHECK(filter.skips(frame("", "/rustc/90b35a6239c3d8bdabc530a6a0816f7ff89a0aaf/library/core/src/panicking.rs", "", 72)));
  CHECK(filter.skips(frame("runtime.sigpanic")));
  CHECK(filter.skips(frame("runtime.throw", "/usr/lib/go-1.19/src/runtime/panic.go", "", 1047)));
  CHECK_FALSE(filter.skips(frame("main.main", "/src/app/main.go", "/src/app/app", 9)));
  CHECK_FALSE(filter.skips(frame("mycrate::parse::h0123456789abcdef")));
}

TEST_CASE("the program's own frames are kept", "[rules]") {
  const FrameFilter& filter = shipped_filter();
  CHECK_FALSE(filter.skips(frame("main", "/tmp/x.c", kProg, 7)));
  CHECK_FALSE(filter.skips(frame("parser::parse(char const*)", "/src/parser.cpp", kProg, 40)));
  CHECK_FALSE(filter.skips(frame("parser::parse")));
  CHECK_FALSE(filter.skips(frame("my_strlen_helper", "/src/util.c", kProg, 3)));
  CHECK_FALSE(filter.skips(frame("", "", kProg)));  // no symbols, but our module
  CHECK_FALSE(filter.skips(frame("", "", "")));     // nothing known: kept
  CHECK_FALSE(filter.skips(frame("", "", "/opt/app/lib/libparser.so")));
}

TEST_CASE("first_kept_frame walks past the abort machinery", "[rules]") {
  const FrameFilter& filter = shipped_filter();
  const std::vector<Frame> frames = {
      frame("__pthread_kill_implementation", "./nptl/pthread_kill.c", kLibc, 44),
      frame("__GI_raise", "../sysdeps/unix/sysv/linux/raise.c", kLibc, 26),
      frame("__GI_abort", "./stdlib/abort.c", kLibc, 79),
      frame("__assert_fail_base", "./assert/assert.c", kLibc, 92),
      frame("__assert_fail", "./assert/assert.c", kLibc, 101),
      frame("std::vector<int, std::allocator<int> >::operator[](unsigned long)",
            "/usr/include/c++/12/bits/stl_vector.h", kProg, 1123),
      frame("parser::parse(char const*)", "/src/parser.cpp", kProg, 40),
      frame("main", "/src/main.cpp", kProg, 9),
  };
  const Frame* kept = triage::first_kept_frame(frames, filter);
  REQUIRE(kept != nullptr);
  CHECK(kept->function == "parser::parse(char const*)");

  const std::vector<Frame> all_runtime = {frame("abort", "", kLibc), frame("raise", "", kLibc)};
  CHECK(triage::first_kept_frame(all_runtime, filter) == nullptr);
  CHECK(triage::first_kept_frame({}, filter) == nullptr);
}

TEST_CASE("first_kept_frame passes over a wild pc to the frame that jumped there", "[rules]") {
  const FrameFilter& filter = shipped_filter();
  Frame wild;
  wild.pc = 0x414141414000;
  const std::vector<Frame> frames = {wild, frame("fire", "/src/fire.c", kProg, 28), frame("main", "/src/main.c", kProg, 3)};
  const Frame* kept = triage::first_kept_frame(frames, filter);
  REQUIRE(kept != nullptr);
  CHECK(kept->function == "fire");
  CHECK(triage::first_kept_frame({wild}, filter) == nullptr);
}

TEST_CASE("crash_line_of prefers source, then module+offset, then the address", "[rules]") {
  Frame f;
  f.pc = 0x401136;
  CHECK(triage::crash_line_of(f) == "0x401136");
  f.module = "/tmp/prog";
  f.module_offset = 0x1136;
  CHECK(triage::crash_line_of(f) == "/tmp/prog+0x1136");
  f.file = "/tmp/prog.c";
  CHECK(triage::crash_line_of(f) == "/tmp/prog+0x1136");  // a file without a line is not enough
  f.line = 7;
  CHECK(triage::crash_line_of(f) == "/tmp/prog.c:7");
  f.column = 5;
  CHECK(triage::crash_line_of(f) == "/tmp/prog.c:7:5");
}

TEST_CASE("filter lists are checked when loaded", "[rules]") {
  FrameFilter filter;
  auto bad = filter.add_json(nlohmann::json{{"functions", {"^ok$", "^broken(group"}}}, "mine.json");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().kind == ErrorKind::kRules);
  CHECK_THAT(bad.error().message, Catch::Contains("mine.json") && Catch::Contains("^broken(group") &&
                                      Catch::Contains("functions[1]"));
  // Nothing of a bad file is taken.
  CHECK_FALSE(filter.skips(frame("ok")));

  auto not_list = filter.add_json(nlohmann::json{{"modules", "libc"}}, "mine.json");
  REQUIRE_FALSE(not_list.ok());
  CHECK_THAT(not_list.error().message, Catch::Contains("modules"));

  auto not_string = filter.add_json(nlohmann::json{{"files", {1}}}, "mine.json");
  REQUIRE_FALSE(not_string.ok());
  CHECK_THAT(not_string.error().message, Catch::Contains("files[0]"));

  REQUIRE(filter.add_json(nlohmann::json{{"functions", {"^ok$"}}}, "mine.json").ok());
  CHECK(filter.skips(frame("ok")));
  CHECK(filter.skips(frame("ok(int)")));  // matched without its parameters
  CHECK_FALSE(filter.skips(frame("not_ok")));
}

TEST_CASE("function_without_parameters drops the parameter list", "[rules]") {
  using triage::function_without_parameters;
  CHECK(function_without_parameters("main") == "main");
  CHECK(function_without_parameters("parser::parse(char const*)") == "parser::parse");
  CHECK(function_without_parameters("std::vector<int>::at(unsigned long) const") ==
        "std::vector<int>::at");
  CHECK(function_without_parameters("Foo::operator()(int) const &") == "Foo::operator()");
  CHECK(function_without_parameters("(anonymous namespace)::helper(int)") ==
        "(anonymous namespace)::helper");
  CHECK(function_without_parameters("main::{lambda(int)#1}::operator()(int) const") ==
        "main::{lambda(int)#1}::operator()");
  CHECK(function_without_parameters("foo(int) [clone .cold]") == "foo");
  CHECK(function_without_parameters("runtime.(*mheap).alloc") == "runtime.(*mheap).alloc");
  CHECK(function_without_parameters("") == "");
}

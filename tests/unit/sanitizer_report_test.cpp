// Sanitizer reports found in stderr: every sample in tests/data/sanitizer/
// (real output of clang 14's sanitizers and libFuzzer, made by
// make-samples.sh) gives the right tool, .casrep key, class, first frame and
// report lines; every class it gives is in the shipped class table; and
// stderr without a report, or with a cut or wrapped one, is handled.
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "triage/analyze/rules.h"
#include "triage/classify/sanitizer_report.h"

using triage::find_sanitizer_report;
using triage::SanitizerReport;

namespace {

const std::string kSamples = std::string(TRIAGE_TEST_DATA_DIR) + "/sanitizer/";

std::string sample(const std::string& name) {
  std::ifstream in(kSamples + name + ".stderr", std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

struct Expected {
  const char* sample;
  const char* tool;
  const char* key;
  const char* class_name;
  bool signal_only;
  // The first frame: a module's file name (unsymbolized) or a part of the
  // function's name (symbolized).
  const char* first_frame;
  // The start of the first line after "==PID==" (or the whole start for UBSan's
  // runtime errors), and the start of the last line.
  const char* first_line;
  const char* last_line;
};

constexpr const char* kAsanKey = "AsanReport";
constexpr const char* kUbsanKey = "UbsanReport";
constexpr const char* kMsanKey = "MsanReport";
constexpr const char* kAsan = "AddressSanitizer";
constexpr const char* kUbsan = "UndefinedBehaviorSanitizer";
constexpr const char* kMsan = "MemorySanitizer";
constexpr const char* kLibFuzzer = "libFuzzer";

const std::vector<Expected>& expectations() {
  static const std::vector<Expected> all = {
      // AddressSanitizer: memory errors, with the access where classes have (read)/(write).
      {"asan-heap-buffer-overflow-read", kAsan, kAsanKey, "heap-buffer-overflow(read)", false, "asan_bugs",
       "ERROR: AddressSanitizer: heap-buffer-overflow on address", "SUMMARY: AddressSanitizer: heap-buffer-overflow"},
      {"asan-heap-buffer-overflow-write", kAsan, kAsanKey, "heap-buffer-overflow(write)", false, "asan_bugs",
       "ERROR: AddressSanitizer: heap-buffer-overflow on address", "SUMMARY: AddressSanitizer: heap-buffer-overflow"},
      {"asan-heap-buffer-overflow-memcpy", kAsan, kAsanKey, "heap-buffer-overflow(read)", false, "asan_bugs",
       "ERROR: AddressSanitizer: heap-buffer-overflow", "SUMMARY: AddressSanitizer: heap-buffer-overflow"},
      {"asan-heap-buffer-overflow-write-symbolized", kAsan, kAsanKey, "heap-buffer-overflow(write)", false,
       "heap_write", "ERROR: AddressSanitizer: heap-buffer-overflow", "SUMMARY: AddressSanitizer: heap-buffer-overflow"},
      {"asan-stack-buffer-overflow-read", kAsan, kAsanKey, "stack-buffer-overflow(read)", false, "asan_bugs",
       "ERROR: AddressSanitizer: stack-buffer-overflow", "SUMMARY: AddressSanitizer: stack-buffer-overflow"},
      {"asan-stack-buffer-overflow-write", kAsan, kAsanKey, "stack-buffer-overflow(write)", false, "asan_bugs",
       "ERROR: AddressSanitizer: stack-buffer-overflow", "SUMMARY: AddressSanitizer: stack-buffer-overflow"},
      {"asan-stack-buffer-underflow", kAsan, kAsanKey, "stack-buffer-underflow(write)", false, "asan_bugs",
       "ERROR: AddressSanitizer: stack-buffer-underflow", "SUMMARY: AddressSanitizer: stack-buffer-underflow"},
      {"asan-dynamic-stack-buffer-overflow", kAsan, kAsanKey, "stack-buffer-overflow(write)", false, "asan_bugs",
       "ERROR: AddressSanitizer: dynamic-stack-buffer-overflow",
       "SUMMARY: AddressSanitizer: dynamic-stack-buffer-overflow"},
      {"asan-global-buffer-overflow-read", kAsan, kAsanKey, "global-buffer-overflow(read)", false, "asan_bugs",
       "ERROR: AddressSanitizer: global-buffer-overflow", "SUMMARY: AddressSanitizer: global-buffer-overflow"},
      {"asan-global-buffer-overflow-write", kAsan, kAsanKey, "global-buffer-overflow(write)", false, "asan_bugs",
       "ERROR: AddressSanitizer: global-buffer-overflow", "SUMMARY: AddressSanitizer: global-buffer-overflow"},
      {"asan-heap-use-after-free-read", kAsan, kAsanKey, "heap-use-after-free(read)", false, "asan_bugs",
       "ERROR: AddressSanitizer: heap-use-after-free", "SUMMARY: AddressSanitizer: heap-use-after-free"},
      {"asan-heap-use-after-free-read-symbolized", kAsan, kAsanKey, "heap-use-after-free(read)", false,
       "use_after_free_read", "ERROR: AddressSanitizer: heap-use-after-free",
       "SUMMARY: AddressSanitizer: heap-use-after-free"},
      {"asan-heap-use-after-free-write", kAsan, kAsanKey, "heap-use-after-free(write)", false, "asan_bugs",
       "ERROR: AddressSanitizer: heap-use-after-free", "SUMMARY: AddressSanitizer: heap-use-after-free"},
      {"asan-stack-use-after-return", kAsan, kAsanKey, "stack-use-after-return(read)", false, "asan_bugs",
       "ERROR: AddressSanitizer: stack-use-after-return", "SUMMARY: AddressSanitizer: stack-use-after-return"},
      {"asan-stack-use-after-scope", kAsan, kAsanKey, "stack-use-after-scope(write)", false, "asan_bugs",
       "ERROR: AddressSanitizer: stack-use-after-scope", "SUMMARY: AddressSanitizer: stack-use-after-scope"},
      {"asan-container-overflow", kAsan, kAsanKey, "container-overflow(read)", false, "asan_bugs",
       "ERROR: AddressSanitizer: container-overflow", "SUMMARY: AddressSanitizer: container-overflow"},
      {"asan-use-after-poison", kAsan, kAsanKey, "use-after-poison", false, "asan_bugs",
       "ERROR: AddressSanitizer: use-after-poison", "SUMMARY: AddressSanitizer: use-after-poison"},
      // AddressSanitizer: the allocator's and the interceptors' checks.
      {"asan-double-free", kAsan, kAsanKey, "double-free", false, "asan_bugs",
       "ERROR: AddressSanitizer: attempting double-free on", "SUMMARY: AddressSanitizer: double-free"},
      {"asan-double-free-symbolized", kAsan, kAsanKey, "double-free", false, "__interceptor_free",
       "ERROR: AddressSanitizer: attempting double-free on", "SUMMARY: AddressSanitizer: double-free"},
      {"asan-bad-free", kAsan, kAsanKey, "bad-free", false, "asan_bugs",
       "ERROR: AddressSanitizer: attempting free on address which was not malloc()-ed",
       "SUMMARY: AddressSanitizer: bad-free"},
      {"asan-alloc-dealloc-mismatch", kAsan, kAsanKey, "alloc-dealloc-mismatch", false, "asan_bugs",
       "ERROR: AddressSanitizer: alloc-dealloc-mismatch", "SUMMARY: AddressSanitizer: alloc-dealloc-mismatch"},
      {"asan-new-delete-type-mismatch", kAsan, kAsanKey, "new-delete-type-mismatch", false, "asan_bugs",
       "ERROR: AddressSanitizer: new-delete-type-mismatch", "SUMMARY: AddressSanitizer: new-delete-type-mismatch"},
      {"asan-calloc-overflow", kAsan, kAsanKey, "calloc-overflow", false, "asan_bugs",
       "ERROR: AddressSanitizer: calloc parameters overflow", "SUMMARY: AddressSanitizer: calloc-overflow"},
      {"asan-allocation-size-too-big", kAsan, kAsanKey, "allocation-size-too-big", false, "asan_bugs",
       "ERROR: AddressSanitizer: requested allocation size", "SUMMARY: AddressSanitizer: allocation-size-too-big"},
      {"asan-out-of-memory", kAsan, kAsanKey, "out-of-memory", false, "asan_bugs",
       "ERROR: AddressSanitizer: allocator is out of memory", "SUMMARY: AddressSanitizer: out-of-memory"},
      {"asan-negative-size-param", kAsan, kAsanKey, "negative-size-param", false, "asan_bugs",
       "ERROR: AddressSanitizer: negative-size-param: (size=-1)", "SUMMARY: AddressSanitizer: negative-size-param"},
      {"asan-memcpy-param-overlap", kAsan, kAsanKey, "param-overlap", false, "asan_bugs",
       "ERROR: AddressSanitizer: memcpy-param-overlap", "SUMMARY: AddressSanitizer: memcpy-param-overlap"},
      {"asan-bad-malloc_usable_size", kAsan, kAsanKey, "bad-malloc_usable_size", false, "asan_bugs",
       "ERROR: AddressSanitizer: attempting to call malloc_usable_size()",
       "SUMMARY: AddressSanitizer: bad-malloc_usable_size"},
      // AddressSanitizer relaying signals.
      {"asan-segv-read-null", kAsan, kAsanKey, "SourceAvNearNull", true, "asan_bugs",
       "ERROR: AddressSanitizer: SEGV on unknown address 0x000000000010", "SUMMARY: AddressSanitizer: SEGV"},
      {"asan-segv-read-null-symbolized", kAsan, kAsanKey, "SourceAvNearNull", true, "segv",
       "ERROR: AddressSanitizer: SEGV on unknown address 0x000000000010", "SUMMARY: AddressSanitizer: SEGV"},
      {"asan-segv-write-null", kAsan, kAsanKey, "DestAvNearNull", true, "asan_bugs",
       "ERROR: AddressSanitizer: SEGV on unknown address 0x000000000008", "SUMMARY: AddressSanitizer: SEGV"},
      {"asan-segv-read", kAsan, kAsanKey, "SourceAv", true, "asan_bugs",
       "ERROR: AddressSanitizer: SEGV on unknown address 0x000012345678", "SUMMARY: AddressSanitizer: SEGV"},
      {"asan-segv-write", kAsan, kAsanKey, "DestAv", true, "asan_bugs",
       "ERROR: AddressSanitizer: SEGV on unknown address 0x000012345678", "SUMMARY: AddressSanitizer: SEGV"},
      // A write through 0x4141414141414141: a general protection fault, which
      // ASan calls a READ; with no address and no direction it is unattributed.
      {"asan-segv-wild", kAsan, kAsanKey, "AccessViolation", true, "asan_bugs",
       "ERROR: AddressSanitizer: SEGV on unknown address (pc", "SUMMARY: AddressSanitizer: SEGV"},
      // A call through a null function pointer: the fault address is the pc.
      {"asan-segv-pc", kAsan, kAsanKey, "SegFaultOnPcNearNull", true, "",
       "ERROR: AddressSanitizer: SEGV on unknown address 0x000000000000 (pc 0x000000000000",
       "SUMMARY: AddressSanitizer: SEGV (<unknown module>)"},
      {"asan-stack-overflow", kAsan, kAsanKey, "StackOverflow", true, "asan_bugs",
       "ERROR: AddressSanitizer: stack-overflow on address", "SUMMARY: AddressSanitizer: stack-overflow"},
      {"asan-fpe", kAsan, kAsanKey, "FPE", true, "asan_bugs", "ERROR: AddressSanitizer: FPE on unknown address",
       "SUMMARY: AddressSanitizer: FPE"},
      {"asan-ill", kAsan, kAsanKey, "BadInstruction", true, "asan_bugs",
       "ERROR: AddressSanitizer: ILL on unknown address", "SUMMARY: AddressSanitizer: ILL"},
      {"asan-abrt", kAsan, kAsanKey, "AbortSignal", true, "libc.so.6",
       "ERROR: AddressSanitizer: ABRT on unknown address", "SUMMARY: AddressSanitizer: ABRT"},
      // LeakSanitizer: the first stack is where the first leaked block was allocated.
      {"asan-leak", "LeakSanitizer", kAsanKey, "memory-leaks", false, "asan_bugs",
       "ERROR: LeakSanitizer: detected memory leaks", "SUMMARY: AddressSanitizer: 7 byte(s) leaked"},
      {"asan-leak-exit", "LeakSanitizer", kAsanKey, "memory-leaks", false, "asan_bugs",
       "ERROR: LeakSanitizer: detected memory leaks", "SUMMARY: AddressSanitizer: 7 byte(s) leaked"},
      {"asan-leak-symbolized", "LeakSanitizer", kAsanKey, "memory-leaks", false, "malloc",
       "ERROR: LeakSanitizer: detected memory leaks", "SUMMARY: AddressSanitizer: 7 byte(s) leaked"},
      // UndefinedBehaviorSanitizer: the check named by the message (the
      // SUMMARY line says only "undefined-behavior").
      {"ubsan-signed-integer-overflow", kUbsan, kUbsanKey, "signed-integer-overflow", false, "ubsan_bugs",
       "src/ubsan_bugs.cpp:57:20: runtime error: signed integer overflow",
       "SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior src/ubsan_bugs.cpp:57:20"},
      {"ubsan-unsigned-integer-overflow", kUbsan, kUbsanKey, "unsigned-integer-overflow", false, "ubsan_bugs",
       "src/ubsan_bugs.cpp:", "SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior"},
      {"ubsan-negation-overflow", kUbsan, kUbsanKey, "signed-integer-overflow", false, "ubsan_bugs",
       "src/ubsan_bugs.cpp:", "SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior"},
      {"ubsan-division-overflow", kUbsan, kUbsanKey, "signed-integer-overflow", false, "ubsan_bugs",
       "src/ubsan_bugs.cpp:", "SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior"},
      {"ubsan-integer-divide-by-zero", kUbsan, kUbsanKey, "integer-divide-by-zero", false, "ubsan_bugs",
       "src/ubsan_bugs.cpp:", "SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior"},
      {"ubsan-null-pointer-use", kUbsan, kUbsanKey, "null-pointer-use", false, "ubsan_bugs", "src/ubsan_bugs.cpp:",
       "SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior"},
      {"ubsan-misaligned-pointer-use", kUbsan, kUbsanKey, "misaligned-pointer-use", false, "ubsan_bugs",
       "src/ubsan_bugs.cpp:", "SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior"},
      {"ubsan-out-of-bounds-index", kUbsan, kUbsanKey, "out-of-bounds-index", false, "ubsan_bugs",
       "src/ubsan_bugs.cpp:", "SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior"},
      {"ubsan-invalid-shift-exponent", kUbsan, kUbsanKey, "invalid-shift-exponent", false, "ubsan_bugs",
       "src/ubsan_bugs.cpp:", "SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior"},
      {"ubsan-invalid-shift-base", kUbsan, kUbsanKey, "invalid-shift-base", false, "ubsan_bugs",
       "src/ubsan_bugs.cpp:", "SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior"},
      {"ubsan-invalid-bool-load", kUbsan, kUbsanKey, "invalid-bool-load", false, "ubsan_bugs",
       "src/ubsan_bugs.cpp:", "SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior"},
      {"ubsan-invalid-enum-load", kUbsan, kUbsanKey, "invalid-enum-load", false, "ubsan_bugs",
       "src/ubsan_bugs.cpp:", "SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior"},
      {"ubsan-unreachable", kUbsan, kUbsanKey, "unreachable-call", false, "ubsan_bugs", "src/ubsan_bugs.cpp:",
       "SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior"},
      {"ubsan-missing-return", kUbsan, kUbsanKey, "missing-return", false, "ubsan_bugs", "src/ubsan_bugs.cpp:",
       "SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior"},
      {"ubsan-vla-bound", kUbsan, kUbsanKey, "non-positive-vla-index", false, "ubsan_bugs", "src/ubsan_bugs.cpp:",
       "SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior"},
      {"ubsan-float-cast-overflow", kUbsan, kUbsanKey, "float-cast-overflow", false, "ubsan_bugs",
       "src/ubsan_bugs.cpp:", "SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior"},
      {"ubsan-pointer-overflow", kUbsan, kUbsanKey, "nullptr-with-nonzero-offset", false, "ubsan_bugs",
       "src/ubsan_bugs.cpp:", "SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior"},
      {"ubsan-invalid-null-argument", kUbsan, kUbsanKey, "invalid-null-argument", false, "ubsan_bugs",
       "src/ubsan_bugs.cpp:", "SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior"},
      {"ubsan-invalid-null-return", kUbsan, kUbsanKey, "invalid-null-return", false, "ubsan_bugs",
       "src/ubsan_bugs.cpp:", "SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior"},
      {"ubsan-implicit-sign-change", kUbsan, kUbsanKey, "implicit-integer-sign-change", false, "ubsan_bugs",
       "src/ubsan_bugs.cpp:", "SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior"},
      {"ubsan-implicit-signed-truncation", kUbsan, kUbsanKey, "implicit-signed-integer-truncation", false,
       "ubsan_bugs", "src/ubsan_bugs.cpp:", "SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior"},
      {"ubsan-implicit-unsigned-truncation", kUbsan, kUbsanKey, "implicit-unsigned-integer-truncation", false,
       "ubsan_bugs", "src/ubsan_bugs.cpp:", "SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior"},
      {"ubsan-implicit-truncation-sign-change", kUbsan, kUbsanKey, "implicit-signed-integer-truncation", false,
       "ubsan_bugs", "src/ubsan_bugs.cpp:", "SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior"},
      {"ubsan-dynamic-type-mismatch", kUbsan, kUbsanKey, "dynamic-type-mismatch", false, "ubsan_bugs",
       "src/ubsan_bugs.cpp:", "SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior"},
      {"ubsan-function-type-mismatch", kUbsan, kUbsanKey, "function-type-mismatch", false, "ubsan_bugs",
       "src/ubsan_bugs.cpp:", "SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior"},
      {"ubsan-invalid-builtin-use", kUbsan, kUbsanKey, "invalid-builtin-use", false, "ubsan_bugs",
       "src/ubsan_bugs.cpp:", "SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior"},
      {"ubsan-alignment-assumption", kUbsan, kUbsanKey, "alignment-assumption", false, "ubsan_bugs",
       "src/ubsan_bugs.cpp:", "SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior"},
      // report_error_type=1 names the check in the SUMMARY line, which wins.
      {"ubsan-signed-integer-overflow-error-type", kUbsan, kUbsanKey, "signed-integer-overflow", false,
       "ubsan_bugs", "src/ubsan_bugs.cpp:57:20: runtime error:",
       "SUMMARY: UndefinedBehaviorSanitizer: signed-integer-overflow"},
      {"ubsan-implicit-truncation-sign-change-error-type", kUbsan, kUbsanKey, "implicit-signed-integer-truncation",
       false, "ubsan_bugs", "src/ubsan_bugs.cpp:",
       "SUMMARY: UndefinedBehaviorSanitizer: implicit-signed-integer-truncation"},
      {"ubsan-signed-integer-overflow-symbolized", kUbsan, kUbsanKey, "signed-integer-overflow", false,
       "(anonymous namespace)::run", "src/ubsan_bugs.cpp:57:20: runtime error:",
       "SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior"},
      // UBSan in an ASan build.
      {"asan-ubsan-signed-integer-overflow", kUbsan, kUbsanKey, "signed-integer-overflow", false,
       "asan_ubsan_bugs", "src/ubsan_bugs.cpp:57:20: runtime error:",
       "SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior"},
      // UBSan's runtime relaying a SEGV.
      {"ubsan-segv", kUbsan, kUbsanKey, "DestAv", true, "ubsan_bugs",
       "ERROR: UndefinedBehaviorSanitizer: SEGV on unknown address 0x000012345678",
       "SUMMARY: UndefinedBehaviorSanitizer: SEGV"},
      // MemorySanitizer.
      {"msan-branch", kMsan, kMsanKey, "use-of-uninitialized-value", false, "msan_uninit",
       "WARNING: MemorySanitizer: use-of-uninitialized-value",
       "SUMMARY: MemorySanitizer: use-of-uninitialized-value"},
      {"msan-strlen", kMsan, kMsanKey, "use-of-uninitialized-value", false, "msan_uninit",
       "WARNING: MemorySanitizer: use-of-uninitialized-value",
       "SUMMARY: MemorySanitizer: use-of-uninitialized-value"},
      {"msan-branch-origins-symbolized", kMsan, kMsanKey, "use-of-uninitialized-value", false, "check_value",
       "WARNING: MemorySanitizer: use-of-uninitialized-value",
       "SUMMARY: MemorySanitizer: use-of-uninitialized-value ./src/msan_uninit.c:11:7 in check_value"},
      {"msan-segv", kMsan, kMsanKey, "DestAvNearNull", true, "msan_uninit",
       "ERROR: MemorySanitizer: SEGV on unknown address 0x000000000010", "SUMMARY: MemorySanitizer: SEGV"},
      // libFuzzer's own reports.
      {"libfuzzer-deadly-signal", kLibFuzzer, kAsanKey, "AbortSignal", true, "fuzz_plain",
       " ERROR: libFuzzer: deadly signal", "SUMMARY: libFuzzer: deadly signal"},
      {"libfuzzer-deadly-signal-symbolized", kLibFuzzer, kAsanKey, "AbortSignal", true,
       "__sanitizer_print_stack_trace", " ERROR: libFuzzer: deadly signal", "SUMMARY: libFuzzer: deadly signal"},
      {"libfuzzer-fuzz-target-exited", kLibFuzzer, kAsanKey, "fuzz target exited", false, "fuzz_plain",
       " ERROR: libFuzzer: fuzz target exited", "SUMMARY: libFuzzer: fuzz target exited"},
      {"libfuzzer-timeout", kLibFuzzer, kAsanKey, "timeout", false, "fuzz_plain",
       " ERROR: libFuzzer: timeout after ", "SUMMARY: libFuzzer: timeout"},
      {"libfuzzer-overwrites-const-input", kLibFuzzer, kAsanKey, "overwrites-const-input", false, "fuzz_plain",
       " ERROR: libFuzzer: fuzz target overwrites its const input", "SUMMARY: libFuzzer: overwrites-const-input"},
      {"libfuzzer-malloc-limit", kLibFuzzer, kAsanKey, "out-of-memory", false, "fuzz_asan",
       " ERROR: libFuzzer: out-of-memory (malloc(104857600))", "SUMMARY: libFuzzer: out-of-memory"},
      {"libfuzzer-rss-limit", kLibFuzzer, kAsanKey, "out-of-memory", false, "fuzz_asan",
       " ERROR: libFuzzer: out-of-memory (used: ", "SUMMARY: libFuzzer: out-of-memory"},
      {"libfuzzer-asan-timeout", kLibFuzzer, kAsanKey, "timeout", false, "fuzz_asan",
       " ERROR: libFuzzer: timeout after ", "SUMMARY: libFuzzer: timeout"},
      // A sanitizer's report inside libFuzzer's output.
      {"libfuzzer-asan-heap-buffer-overflow", kAsan, kAsanKey, "heap-buffer-overflow(write)", false, "fuzz_asan",
       "ERROR: AddressSanitizer: heap-buffer-overflow", "SUMMARY: AddressSanitizer: heap-buffer-overflow"},
      {"libfuzzer-asan-segv", kAsan, kAsanKey, "DestAvNearNull", true, "fuzz_asan",
       "ERROR: AddressSanitizer: SEGV on unknown address 0x000000000008", "SUMMARY: AddressSanitizer: SEGV"},
      // A target built with -fsanitize=fuzzer alone has UBSan's runtime, which
      // reports the SEGV first; libFuzzer's "deadly signal" follows (UBSan's
      // abort), and is not the report.
      {"libfuzzer-plain-segv", kUbsan, kUbsanKey, "DestAvNearNull", true, "fuzz_plain",
       "ERROR: UndefinedBehaviorSanitizer: SEGV on unknown address 0x000000000008",
       "SUMMARY: UndefinedBehaviorSanitizer: SEGV"},
  };
  return all;
}

bool starts_with(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }

// The "#0" line that starts the first stack, read here independently.
std::string first_frame_line(const SanitizerReport& report) {
  for (const std::string& line : report.lines) {
    if (std::regex_search(line, std::regex("^\\s*#0 0x"))) return line;
  }
  return "";
}

}  // namespace

TEST_CASE("sanitizer reports: every sample", "[sanitizer]") {
  for (const Expected& expected : expectations()) {
    INFO("sample " << expected.sample);
    auto report = find_sanitizer_report(sample(expected.sample));
    REQUIRE(report);
    CHECK(report->tool == expected.tool);
    CHECK(report->report_key == expected.key);
    CHECK(report->class_name == expected.class_name);
    CHECK(report->signal_only == expected.signal_only);

    // First and last lines: "==PID==" then the headline, or UBSan's location.
    REQUIRE_FALSE(report->lines.empty());
    const std::string& first = report->lines.front();
    if (starts_with(expected.first_line, "src/")) {
      CHECK(starts_with(first, expected.first_line));
      CHECK(first.find(": runtime error: ") != std::string::npos);
    } else {
      std::smatch pid;
      REQUIRE(std::regex_search(first, pid, std::regex("^==[0-9]+==")));
      CHECK(starts_with(first.substr(pid.length()), expected.first_line));
    }
    CHECK(starts_with(report->lines.back(), expected.last_line));
    CHECK(report->summary == report->lines.back().substr(9));
    for (const std::string& line : report->lines) {
      CHECK(line.find("about to run") == std::string::npos);  // the program's own line
      CHECK(line.find("Shadow byte") == std::string::npos);   // after the SUMMARY
      CHECK(line.find("ABORTING") == std::string::npos);
      CHECK((line.empty() || (line.back() != ' ' && line.back() != '\r')));
    }

    // The first frame, as its "#0" line says.
    REQUIRE_FALSE(report->frames.empty());
    const auto& frame = report->frames.front();
    const std::string frame_line = first_frame_line(*report);
    REQUIRE_FALSE(frame_line.empty());
    std::smatch parts;
    REQUIRE(std::regex_search(frame_line, parts, std::regex("#0 0x([0-9a-f]+)")));
    CHECK(frame.address == std::stoull(parts[1].str(), nullptr, 16));
    if (std::regex_search(frame_line, parts, std::regex("\\(([^()]+)\\+0x([0-9a-f]+)\\)"))) {
      CHECK(frame.module == parts[1].str());
      CHECK(frame.module_offset == std::stoull(parts[2].str(), nullptr, 16));
    }
    const std::string wanted = expected.first_frame;
    if (wanted.empty()) {
      CHECK(frame.module.empty());
      CHECK(frame.function.empty());
    } else if (frame_line.find(" in ") == std::string::npos) {
      CHECK(frame.module.size() > wanted.size());
      CHECK(frame.module.substr(frame.module.size() - wanted.size() - 1) == "/" + wanted);
      CHECK(frame.function.empty());
    } else {
      CHECK(frame.function.find(wanted) != std::string::npos);
    }
  }
}

TEST_CASE("sanitizer reports: what the first frame holds", "[sanitizer]") {
  auto report = find_sanitizer_report(sample("asan-heap-buffer-overflow-write-symbolized"));
  REQUIRE(report);
  REQUIRE(report->frames.size() == 5);  // the access's stack, not the allocation's
  CHECK(report->frames[0].function == "(anonymous namespace)::heap_write()");
  CHECK(report->frames[0].file == "./src/asan_bugs.cpp");
  CHECK(report->frames[0].line == 28);
  CHECK(report->frames[0].column == 16);
  CHECK(report->frames[1].function == "main");
  CHECK(report->frames[4].function == "_start");
  CHECK(report->frames[4].module == "/tmp/triage-sanitizer-samples/asan_bugs");

  report = find_sanitizer_report(sample("asan-heap-buffer-overflow-write"));
  REQUIRE(report);
  REQUIRE(report->frames.size() == 5);
  CHECK(report->frames[0].module == "/tmp/triage-sanitizer-samples/asan_bugs");
  CHECK(report->frames[2].module == "/lib/x86_64-linux-gnu/libc.so.6");
  CHECK(report->message.rfind("heap-buffer-overflow on address 0x", 0) == 0);

  // The stack overflow's stack: every frame, the recursion included.
  report = find_sanitizer_report(sample("asan-stack-overflow"));
  REQUIRE(report);
  CHECK(report->frames.size() == 34);
}

TEST_CASE("sanitizer reports: UBSan without a stack", "[sanitizer]") {
  // The runtime's defaults print the error and the SUMMARY and go on.
  auto report = find_sanitizer_report(sample("ubsan-signed-integer-overflow-default"));
  REQUIRE(report);
  CHECK(report->class_name == "signed-integer-overflow");
  CHECK(report->message == "signed integer overflow: 2147483647 + 1 cannot be represented in type 'int'");
  REQUIRE(report->lines.size() == 2);
  CHECK(report->summary == "UndefinedBehaviorSanitizer: undefined-behavior src/ubsan_bugs.cpp:57:20 in");
  // Its one frame is the error's source location.
  REQUIRE(report->frames.size() == 1);
  CHECK(report->frames[0].file == "src/ubsan_bugs.cpp");
  CHECK(report->frames[0].line == 57);
  CHECK(report->frames[0].column == 20);
  CHECK(report->frames[0].address == 0);

  report = find_sanitizer_report(sample("ubsan-invalid-shift-exponent-default"));
  REQUIRE(report);
  CHECK(report->class_name == "invalid-shift-exponent");

  // The null load is reported, then the SEGV it warned of: the first report counts.
  report = find_sanitizer_report(sample("ubsan-null-pointer-use-default"));
  REQUIRE(report);
  CHECK(report->class_name == "null-pointer-use");
  CHECK(report->lines.size() == 2);
  CHECK_FALSE(report->signal_only);

  // Without a SUMMARY line: the error line, its notes and its stack.
  std::string text = sample("ubsan-misaligned-pointer-use");
  text = text.substr(0, text.find("SUMMARY:"));
  text += "ubsan_bugs: the program goes on\n";
  report = find_sanitizer_report(text);
  REQUIRE(report);
  CHECK(report->class_name == "misaligned-pointer-use");
  CHECK(report->summary.empty());
  CHECK(report->lines.size() == 9);  // the error, 3 lines of notes, 5 frames
  CHECK(report->frames.size() == 5);
  CHECK(report->lines.back().find("#4 ") != std::string::npos);

  text = "prog: starting\nsrc/a.c:3:9: runtime error: division by zero\nprog: still here\n";
  report = find_sanitizer_report(text);
  REQUIRE(report);
  CHECK(report->class_name == "integer-divide-by-zero");
  REQUIRE(report->lines.size() == 1);
  REQUIRE(report->frames.size() == 1);
  CHECK(report->frames[0].file == "src/a.c");
  CHECK(report->frames[0].line == 3);
}

TEST_CASE("sanitizer reports: UBSan check names from messages", "[sanitizer]") {
  // Messages of checks the samples do not build; a report with no stack.
  auto check = [](const std::string& message) {
    auto report = find_sanitizer_report("x.c:1:2: runtime error: " + message + "\n");
    REQUIRE(report);
    return report->class_name;
  };
  CHECK(check("store to null pointer of type 'int'") == "null-pointer-use");
  CHECK(check("member access within null pointer of type 'struct S'") == "null-pointer-use");
  CHECK(check("store to misaligned address 0x01 for type 'int', which requires 4 byte alignment") ==
        "misaligned-pointer-use");
  CHECK(check("left shift of 1 by 31 places cannot be represented in type 'int'") == "invalid-shift-base");
  CHECK(check("shift exponent -1 is negative") == "invalid-shift-exponent");
  CHECK(check("negation of 4294967295 cannot be represented in type 'unsigned int'") ==
        "unsigned-integer-overflow");
  CHECK(check("applying zero offset to null pointer") == "nullptr-with-offset");
  CHECK(check("applying non-zero offset to non-null pointer 0xffffffffffffffff produced null pointer") ==
        "nullptr-after-nonzero-offset");
  CHECK(check("pointer index expression with base 0x000000000001 overflowed to 0xffffffffffffffff") ==
        "pointer-overflow");
  CHECK(check("addition of unsigned offset to 0x7ffd overflowed to 0x7ff0") == "pointer-overflow");
  CHECK(check("load of value 5, which is not a valid value for type '_Bool'") == "invalid-bool-load");
  CHECK(check("member call on address 0x602 which does not point to an object of type 'B'") ==
        "dynamic-type-mismatch");
  CHECK(check("load of address 0x7ffd with insufficient space for an object of type 'int'") ==
        "insufficient-object-size");
  CHECK(check("control flow integrity check for type 'A' failed during cast to unrelated type") ==
        "cfi-bad-type");
  CHECK(check("implicit conversion from type 'int' of value 70000 (32-bit, signed) to type 'short' changed "
              "the value to 4464 (16-bit, signed)") == "implicit-signed-integer-truncation");
  CHECK(check("something new") == "undefined-behavior");
}

TEST_CASE("sanitizer reports: no report", "[sanitizer]") {
  CHECK_FALSE(find_sanitizer_report(""));
  CHECK_FALSE(find_sanitizer_report("\n\n\n"));
  CHECK_FALSE(find_sanitizer_report("hello\nworld\n"));
  constexpr char kBinary[] = "\0\xff\xfe==\x01==ERROR\n";
  CHECK_FALSE(find_sanitizer_report(std::string(kBinary, sizeof kBinary - 1)));
  CHECK_FALSE(find_sanitizer_report("=================================================================\n"));
  CHECK_FALSE(find_sanitizer_report("====ERROR: AddressSanitizer: heap-buffer-overflow\n"));  // no pid
  CHECK_FALSE(find_sanitizer_report("==12==ERROR: AddressSanitizer heap-buffer-overflow\n"));
  CHECK_FALSE(find_sanitizer_report("==12==ERROR: ThreadSanitizer: data race\n"));
  CHECK_FALSE(find_sanitizer_report("runtime error: at the start of a line\n"));
  // A sanitizer's warning about itself is no report.
  CHECK_FALSE(find_sanitizer_report("==12==WARNING: AddressSanitizer failed to allocate 0x100 bytes\n"));
  CHECK_FALSE(find_sanitizer_report("==12==WARNING: AddressSanitizer: failed to intercept 'memcpy'\n"));
  // A trap instead of a runtime (-fsanitize-trap), and SIGILL ASan leaves alone.
  CHECK_FALSE(find_sanitizer_report(sample("ubsan-trap")));
  CHECK_FALSE(find_sanitizer_report(sample("asan-ill-unhandled")));
}

TEST_CASE("sanitizer reports: cut short", "[sanitizer]") {
  const std::string text = sample("asan-heap-buffer-overflow-write");
  const size_t headline = text.find("==ERROR");
  const size_t access = text.find("WRITE of size");
  const size_t second_frame = text.find("    #1 ");
  REQUIRE(headline != std::string::npos);
  REQUIRE(access != std::string::npos);
  REQUIRE(second_frame != std::string::npos);

  // In the first stack: the access is known, the frames so far read.
  auto report = find_sanitizer_report(text.substr(0, second_frame));
  REQUIRE(report);
  CHECK(report->class_name == "heap-buffer-overflow(write)");
  CHECK(report->summary.empty());
  CHECK(report->frames.size() == 1);
  CHECK(report->lines.size() == 3);  // headline, access, #0
  // A frame line cut short is still a frame, of a wrong address.
  report = find_sanitizer_report(text.substr(0, second_frame + 12));
  REQUIRE(report);
  CHECK(report->frames.size() == 2);

  // Only the headline, without its newline: the bug type, no access.
  report = find_sanitizer_report(text.substr(0, access - 1));
  REQUIRE(report);
  CHECK(report->class_name == "heap-buffer-overflow");
  CHECK(report->lines.size() == 1);
  CHECK(report->frames.empty());

  // Cut inside the headline: still the bug type.
  report = find_sanitizer_report(text.substr(0, text.find(" on address", headline) + 5));
  REQUIRE(report);
  CHECK(report->class_name == "heap-buffer-overflow");

  // Without its SUMMARY, the report ends where the sanitizer stops ("ABORTING").
  std::string no_summary = text;
  no_summary.erase(no_summary.find("SUMMARY:"), no_summary.find('\n', no_summary.find("SUMMARY:")) + 1 -
                                                     no_summary.find("SUMMARY:"));
  no_summary += "the program's last words\n";
  report = find_sanitizer_report(no_summary);
  REQUIRE(report);
  CHECK(report->summary.empty());
  CHECK(starts_with(report->lines.back(), "  Right alloca redzone:"));

  // The allocator's errors named in words, without a SUMMARY.
  auto headline_class = [](const std::string& headline_text) {
    auto cut = find_sanitizer_report("==7==ERROR: AddressSanitizer: " + headline_text);
    REQUIRE(cut);
    return cut->class_name;
  };
  CHECK(headline_class("attempting double-free on 0x602000000010 in thread T0:") == "double-free");
  CHECK(headline_class("attempting free on address which was not malloc()-ed: 0x6") == "bad-free");
  CHECK(headline_class("requested allocation size 0x4000000000000 (0x4000000001000 after adjustments") ==
        "allocation-size-too-big");
  CHECK(headline_class("allocator is out of memory trying to allocate 0xff00000000 bytes") == "out-of-memory");
  CHECK(headline_class("calloc parameters overflow: count * size") == "calloc-overflow");
  CHECK(headline_class("memcpy-param-overlap: memory ranges") == "param-overlap");
  CHECK(headline_class("strcpy-param-overlap: memory ranges") == "param-overlap");
  CHECK(headline_class("SEGV on unknown address 0x000000000010 (pc 0x55") == "AccessViolation");
  CHECK(headline_class("stack-overflow on address 0x7ffd") == "StackOverflow");
}

TEST_CASE("sanitizer reports: around other output", "[sanitizer]") {
  const std::string text = sample("asan-double-free");
  const auto alone = find_sanitizer_report(text);
  REQUIRE(alone);

  // Program output before, after, and on the report's first line (no newline).
  std::string noisy = "starting\n==3==WARNING: AddressSanitizer failed to allocate 0x10 bytes\nhalf a line";
  noisy += text.substr(text.find("==", text.find("=====\n") + 6));
  noisy += "goodbye\n==9==ERROR: AddressSanitizer: heap-use-after-free on address 0x1\n";
  auto report = find_sanitizer_report(noisy);
  REQUIRE(report);
  CHECK(report->lines == alone->lines);
  CHECK(report->class_name == "double-free");
  CHECK(report->frames.size() == alone->frames.size());

  // Windows line ends.
  std::string crlf;
  for (char c : text) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  report = find_sanitizer_report(crlf);
  REQUIRE(report);
  CHECK(report->lines == alone->lines);
  CHECK(report->frames.size() == alone->frames.size());

  // Two reports: the first one (UBSan's, with recovery on, then ASan's).
  const std::string both = sample("ubsan-signed-integer-overflow-default") + text;
  report = find_sanitizer_report(both);
  REQUIRE(report);
  CHECK(report->tool == "UndefinedBehaviorSanitizer");
  CHECK(report->lines.size() == 2);

  // A report that begins and is interrupted by another one.
  const std::string interrupted =
      "==5==ERROR: AddressSanitizer: heap-use-after-free on address 0x6\nREAD of size 4 at 0x6 thread T0\n" +
      text.substr(text.find("==", text.find("=====\n") + 6));
  report = find_sanitizer_report(interrupted);
  REQUIRE(report);
  CHECK(report->class_name == "heap-use-after-free(read)");
  CHECK(report->lines.size() == 2);
}

TEST_CASE("sanitizer reports: every class is in the shipped table", "[sanitizer]") {
  auto rules = triage::load_rules(TRIAGE_SOURCE_RULES_DIR, {});
  REQUIRE(rules.ok());
  for (const Expected& expected : expectations()) {
    INFO("class " << expected.class_name);
    CHECK(rules->classes.find(expected.class_name) != nullptr);
  }
  for (const char* name : {"nullptr-with-offset", "nullptr-after-nonzero-offset", "pointer-overflow",
                           "insufficient-object-size", "cfi-bad-type", "invalid-objc-cast",
                           "implicit-unsigned-integer-truncation", "undefined-behavior",
                           "implicit-signed-integer-truncation-or-sign-change", "float-divide-by-zero"}) {
    INFO("class " << name);
    CHECK(rules->classes.find(name) != nullptr);
  }
}

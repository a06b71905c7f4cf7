// Sanitizer reports in a process's stderr. This module finds the first report
// of AddressSanitizer, LeakSanitizer, UndefinedBehaviorSanitizer,
// MemorySanitizer or libFuzzer in the text, keeps its lines for the .casrep
// key CASR stores them under (AsanReport, UbsanReport, MsanReport), reads its
// first stack, and names its crash class as CASR does (rules/classes.json).
// Text in, data out: it runs nothing and reads no files.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "triage/report/report.h"

namespace triage {

struct SanitizerReport {
  // "AddressSanitizer", "LeakSanitizer", "UndefinedBehaviorSanitizer",
  // "MemorySanitizer" or "libFuzzer": the tool named by the report's first line.
  std::string tool;
  // The .casrep key for `lines`: "AsanReport" (ASan, LSan, libFuzzer),
  // "UbsanReport" or "MsanReport".
  std::string report_key;
  // The report as printed (trailing blanks and carriage returns removed), from
  // its first line ("==PID==ERROR: ...", "==PID==WARNING: MemorySanitizer: ...",
  // "==PID== ERROR: libFuzzer: ..." or "file:line:col: runtime error: ...") to
  // its SUMMARY line, or as far as the text goes when there is none.
  std::vector<std::string> lines;
  // What the first line says after "ERROR: <tool>: " or "runtime error: ",
  // e.g. "heap-buffer-overflow on address 0x6020... at pc ...", "signed
  // integer overflow: 2147483647 + 1 cannot be represented in type 'int'".
  std::string message;
  // The crash class, named as CASR names it: the sanitizer's bug type with
  // "(read)"/"(write)" where the report gives the access and the class has
  // those variants ("heap-buffer-overflow(write)"), "param-overlap",
  // "memory-leaks", "out-of-memory", "timeout", "fuzz target exited",
  // UBSan's check name ("signed-integer-overflow", from the SUMMARY line when
  // report_error_type=1 put it there, else from the message),
  // "use-of-uninitialized-value"; a deadly signal as one of our core classes
  // (SEGV/BUS: SourceAv, DestAv, their NearNull forms by the "on unknown
  // address" and the "zero page" hint, SegFaultOnPc[NearNull] when the address
  // is the pc, AccessViolation when the access is unknown; stack-overflow:
  // StackOverflow; FPE; ILL: BadInstruction; ABRT and libFuzzer's "deadly
  // signal": AbortSignal). A bug type nobody foresaw is passed on as the
  // sanitizer names it, so it may be missing from the class table: look it up
  // and fall back to the core's class.
  std::string class_name;
  // The report only relays a signal (SEGV, BUS, FPE, ILL, ABRT,
  // stack-overflow, libFuzzer's deadly signal): the sanitizer checked nothing
  // of its own, and a core of the same crash tells as much or more (ASan
  // takes a write through a non-canonical pointer for a READ, for instance).
  bool signal_only = false;
  // The SUMMARY line's text after "SUMMARY: ", e.g. "AddressSanitizer:
  // heap-buffer-overflow (/src/prog+0x1e0) in parse"; empty when the report
  // has none (a truncated stderr, print_summary=0).
  std::string summary;
  // The first stack (where the error happened; for leaks, where the first
  // leaked block was allocated), as report::first_stack_of reads it:
  // module+offset when unsymbolized, function/file/line when symbolized. A
  // UBSan report printed without a stack gets one frame holding the source
  // location of its first line.
  std::vector<report::Frame> frames;
};

// The first sanitizer report in a process's stderr (sanitizers stop after one
// unless told to go on), or nullopt when there is none. Other output around it
// (the program's own, libFuzzer's INFO lines) is skipped.
std::optional<SanitizerReport> find_sanitizer_report(std::string_view stderr_text);

}  // namespace triage

// Frames written as text: the lines of a report's Stacktrace (gdb's `bt`
// form, as CASR's gdb-based tools write it, or a sanitizer's form, as
// casr-san writes it) and the stack of an AsanReport. Reports without our own
// Threads key have their stack only in these lines.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "triage/report/report.h"

namespace triage::report {

// One frame line, either form:
//   "#3  0x00007ffff7c2a472 in __GI_abort () at ./stdlib/abort.c:79"
//   "#0  main (argc=2) at main.c:7"            (gdb leaves out frame 0's pc)
//   "#1  0x00007ffff7c2a472 in ?? () from /lib/x86_64-linux-gnu/libc.so.6"
//   "    #0 0x4f8b1e in parse(char const*) /src/parse.c:12:5"
//   "    #1 0x7f3a12 in __libc_start_main (/lib/x86_64-linux-gnu/libc.so.6+0x29d90)"
//   "    #2 0x55d1e0 (/src/prog+0x1e0)"
// Fills address, function (as written, "??" dropped), file, line, column,
// module and module_offset (when the line gives "module+0xoffset").
// Anything else (a blank line, a sanitizer's headline) is nullopt.
std::optional<Frame> parse_frame_line(std::string_view line);

// The frames of the first stack in `lines`: frame lines from the first "#0"
// until the numbering starts again or the stack ends (a sanitizer report
// holds several stacks; the first is where the error happened).
std::vector<Frame> first_stack_of(const std::vector<std::string>& lines);

}  // namespace triage::report

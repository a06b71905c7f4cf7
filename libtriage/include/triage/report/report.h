// The Report: the hub every tool reads and writes. A pure data model with its
// two forms: CASR-compatible .casrep JSON (read and written) and a text report
// for people. It depends on nothing but itself and nlohmann::json.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "triage/error.h"

namespace triage::report {

struct Severity {
  std::string type;               // EXPLOITABLE, PROBABLY_EXPLOITABLE, NOT_EXPLOITABLE
  std::string short_description;  // the class name (or an exception type)
  std::string description;
  std::string explanation;
};

struct Frame {
  uint64_t address = 0;
  std::string module;
  uint64_t module_offset = 0;
  std::string function;
  uint64_t function_offset = 0;
  std::string file;
  int line = 0;
  int column = 0;
  bool inlined = false;
  std::string found_by;  // "context", "cfi", "fp", "scan"
  bool module_mismatch = false;
};

struct Thread {
  int tid = 0;
  bool crashed = false;
  std::vector<Frame> frames;
  bool truncated = false;
};

struct Signal {
  int number = 0;
  std::string name;       // "SIGSEGV"
  int code = 0;
  std::string code_name;  // "SEGV_MAPERR", "SI_KERNEL", ...
  std::optional<uint64_t> fault_address;
  bool fault_address_derived = false;  // computed from the instruction, not read from siginfo
};

struct Module {
  std::string path;           // as the core names it
  uint64_t start = 0;
  uint64_t end = 0;
  std::string build_id;       // hex, from the core's memory; empty if unknown
  std::string file_path;      // the file used for symbols, empty if none was found
  std::string file_build_id;  // hex, of that file
  bool mismatch = false;      // build-ids differ: symbols from it are suspect
};

struct Report {
  // Keys CASR has.
  Severity severity;
  std::vector<std::string> stacktrace;  // gdb `bt` lines of the crashing thread
  std::string crash_line;
  std::vector<std::pair<std::string, uint64_t>> registers;  // in the architecture's order
  std::vector<std::string> disassembly;
  std::vector<std::string> proc_maps;
  std::string proc_cmdline;
  std::string executable_path;
  std::vector<std::string> source;
  std::string date;          // RFC 3339
  std::string architecture;
  int pid = 0;
  // Our own keys.
  std::vector<Thread> threads;  // every thread; the crashing one first
  std::optional<Signal> signal;
  std::vector<Module> modules;
  std::string abort_message;  // what the C library said before aborting ("free(): double free ...")
  std::vector<std::string> warnings;
  std::string core_path;
  std::string tool_version;
  // Keys this model does not know (AsanReport, ...), kept so a report read
  // and written again loses nothing.
  nlohmann::ordered_json other = nlohmann::ordered_json::object();
};

// The .casrep JSON form. Reading accepts CASR's own reports too: missing
// keys take their defaults, unknown keys go to Report::other, a known key of
// the wrong JSON type is an Error (kMalformed) that names it.
nlohmann::ordered_json to_json(const Report& report);
// The .casrep file's text. Strings from a core (paths, command lines) need
// not be UTF-8: invalid bytes become U+FFFD instead of failing the report.
std::string to_json_text(const Report& report);
Result<Report> from_json(const nlohmann::json& json);
// The same, keeping the order of Registers and of unknown keys (a
// nlohmann::json sorts object keys, so the overload above cannot).
Result<Report> from_json(const nlohmann::ordered_json& json);
// Parses the text of a .casrep file; text that is not JSON is kMalformed.
Result<Report> parse_report(std::string_view text);

// One line of Stacktrace in gdb's `bt` form, as CASR parses it (the number
// left-aligned in two columns and a space, as gdb does):
// "#0  0x00005555555551a9 in main () at /tmp/test.c:7".
std::string gdb_frame_line(size_t index, const Frame& frame);

struct TextOptions {
  bool color = false;
  size_t max_frames = 64;  // of the crashing thread; the rest is summarised
  bool all_threads = true;
};
// The report a person reads at a terminal.
std::string to_text(const Report& report, const TextOptions& options = {});

}  // namespace triage::report

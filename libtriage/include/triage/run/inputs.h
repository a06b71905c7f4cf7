// Finding a campaign's crash inputs in what fuzzers leave behind: AFL++
// output folders (one instance or many; crashes/ and hangs/, and the target
// command line from fuzzer_stats), libFuzzer artifacts (crash-*, leak-*,
// oom-*, timeout-*, slow-unit-*), honggfuzz's *.fuzz files, and plain
// folders and files.
#pragma once

#include <string>
#include <vector>

#include "triage/error.h"

namespace triage {

struct CrashInput {
  std::string path;    // as found, for people and summary.json
  std::string source;  // "afl++", "libfuzzer", "honggfuzz" or "file"
  // What the fuzzer said it was: "crash", "hang" (AFL++ hangs/), "timeout",
  // "oom", "leak", "slow" (libFuzzer's prefixes), or "" when unknown.
  std::string fuzzer_verdict;
};

struct CampaignInputs {
  std::vector<CrashInput> inputs;  // sorted by path, each once
  // The target's command line from an AFL++ fuzzer_stats (the part after
  // "--"), with the folder it is relative to; empty if none was found.
  std::vector<std::string> fuzzer_command;
  std::string fuzzer_command_dir;
  std::vector<std::string> notes;  // what was skipped, and why
};

// Every input under `paths`. A path that does not exist or can't be listed
// is an Error naming it; finding nothing is not (the caller says so).
Result<CampaignInputs> find_inputs(const std::vector<std::string>& paths);

// "command_line : afl-fuzz -i in -o out -- ./prog @@" -> {"./prog", "@@"}:
// the words after "--", split as a shell would on plain spaces and quotes.
std::vector<std::string> command_after_double_dash(const std::string& command_line);

}  // namespace triage

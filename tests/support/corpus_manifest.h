// The crash corpus as corpus-samples/crashes/manifest.json describes it:
// each program's arch, arguments, expected signal, class, type, crash
// function, source file and crashing thread, and the line marked
// `// CRASH-LINE` in its source. Shared by the tests that run the corpus.
#pragma once

#include <string>
#include <vector>

namespace triage_test {

struct CorpusProgram {
  std::string name;
  std::string arch;
  std::vector<std::string> args;
  int signal = 0;
  std::string expected_class;
  std::string expected_type;
  std::string crash_function;
  std::string source;
  std::string crashing_thread;  // "main" or "other"
  bool deep_stack = false;
  bool inlined = false;
};

// Every program of the manifest, read once; throws if it can't be read.
const std::vector<CorpusProgram>& corpus_programs();

// The 1-based line of the `// CRASH-LINE` comment in the program's source;
// 0 if there is none, -1 if there are several (a broken corpus).
int crash_line_of(const CorpusProgram& program);

}  // namespace triage_test

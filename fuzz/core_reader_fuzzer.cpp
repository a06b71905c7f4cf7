// libFuzzer harness for the core reader and everything after it: the input
// is written to a memfd and read with load_elf_core() through its
// /proc/self/fd path (the same mmap path the tools use); a core that loads is
// then analysed in full (modules, unwinder, symbols, disassembly, classifier)
// and its report rendered as JSON and text.
//
//   core_reader_fuzzer CORPUS_DIR [SEED_DIR...] -max_total_time=600
//   core_reader_fuzzer crash-<sha1>          (reproduce one input)
//
// An Error must carry a message and a snapshot must be usable; anything else
// (crash, sanitizer report, hang, exception) is a finding.
#include <cstdint>
#include <memory>
#include <string>

#include "fuzz_support.h"
#include "triage/analyze/core_analyzer.h"
#include "triage/core/elf_core.h"
#include "triage/report/report.h"

namespace {

// The analyzer keeps a module cache across inputs, as one batch does across
// cores. Inputs can name any number of modules (vDSO images are keyed by a
// build-id the input chooses), so the analyzer starts afresh once its cache
// holds this many modules, to keep memory bounded.
constexpr size_t kMaxCachedModules = 64;

struct Harness {
  triage_fuzz::MemoryFile file{"core_reader_fuzzer"};
  std::unique_ptr<triage::CoreAnalyzer> analyzer;

  Harness() { reset_analyzer(); }

  void reset_analyzer() {
    analyzer.reset();
    analyzer = std::make_unique<triage::CoreAnalyzer>(triage_fuzz::rules(), triage::AnalysisOptions{});
  }
};

Harness& harness() {
  static Harness* instance = new Harness();  // never destroyed: libFuzzer exits without unwinding
  return *instance;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  harness();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Harness& h = harness();
  h.file.write(data, size);
  const std::string& path = h.file.path();

  // A few bytes of zstd may expand to gigabytes: keep each run quick.
  triage::CoreLimits limits;
  limits.max_expanded_bytes = 64ull << 20;
  auto snapshot = triage::load_elf_core(path, limits);
  if (!snapshot) {
    if (snapshot.error().message.empty()) triage_fuzz::broken("an Error without a message");
    return 0;
  }
  if (snapshot->threads.empty()) triage_fuzz::broken("a snapshot without threads");
  if (!snapshot->arch || !snapshot->memory) triage_fuzz::broken("a snapshot without arch or memory");
  for (const auto& thread : snapshot->threads)
    if (thread.registers.size() != snapshot->arch->register_names.size())
      triage_fuzz::broken("a thread whose register count is not its arch's");

  triage::report::Report report = h.analyzer->analyze(*snapshot, path);
  // Rendered as the tools render it (to_json_text replaces bytes that are
  // not UTF-8: command lines and paths in a core are bytes).
  std::string json = triage::report::to_json_text(report);
  std::string text = triage::report::to_text(report);
  if (json.empty() || text.empty()) triage_fuzz::broken("an empty rendering");

  if (h.analyzer->module_cache().loaded_count() > kMaxCachedModules) h.reset_analyzer();
  return 0;
}

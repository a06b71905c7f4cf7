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
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "triage/analyze/core_analyzer.h"
#include "triage/analyze/rules.h"
#include "triage/core/elf_core.h"
#include "triage/report/report.h"

namespace {

// The analyzer keeps a module cache across inputs, as one batch does across
// cores. Inputs can name any number of modules (vDSO images are keyed by a
// build-id the input chooses), so the analyzer starts afresh once its cache
// holds this many modules, to keep memory bounded.
constexpr size_t kMaxCachedModules = 64;

struct Harness {
  int fd = -1;
  std::string path;
  std::unique_ptr<triage::Rules> rules;
  std::unique_ptr<triage::CoreAnalyzer> analyzer;

  Harness() {
    fd = memfd_create("core_reader_fuzzer", MFD_CLOEXEC);
    if (fd < 0) die("memfd_create");
    path = "/proc/self/fd/" + std::to_string(fd);
    auto loaded = triage::load_rules(triage::default_rules_dir(), {});
    if (!loaded) {
      std::fprintf(stderr, "core_reader_fuzzer: rules: %s\n", loaded.error().message.c_str());
      std::abort();
    }
    rules = std::make_unique<triage::Rules>(std::move(*loaded));
    reset_analyzer();
  }

  void reset_analyzer() {
    analyzer.reset();
    analyzer = std::make_unique<triage::CoreAnalyzer>(*rules, triage::AnalysisOptions{});
  }

  static void die(const char* what) {
    std::fprintf(stderr, "core_reader_fuzzer: %s: %s\n", what, std::strerror(errno));
    std::abort();
  }

  void write_input(const uint8_t* data, size_t size) {
    if (ftruncate(fd, 0) != 0) die("ftruncate");
    size_t done = 0;
    while (done < size) {
      ssize_t n = pwrite(fd, data + done, size - done, static_cast<off_t>(done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) die("pwrite");
      done += static_cast<size_t>(n);
    }
  }
};

Harness& harness() {
  static Harness* instance = new Harness();  // never destroyed: libFuzzer exits without unwinding
  return *instance;
}

// A finding that is not a crash by itself.
[[noreturn]] void invariant(const char* what) {
  std::fprintf(stderr, "core_reader_fuzzer: invariant broken: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  harness();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Harness& h = harness();
  h.write_input(data, size);

  // A few bytes of zstd may expand to gigabytes: keep each run quick.
  triage::CoreLimits limits;
  limits.max_expanded_bytes = 64ull << 20;
  auto snapshot = triage::load_elf_core(h.path, limits);
  if (!snapshot) {
    if (snapshot.error().message.empty()) invariant("an Error without a message");
    return 0;
  }
  if (snapshot->threads.empty()) invariant("a snapshot without threads");
  if (!snapshot->arch || !snapshot->memory) invariant("a snapshot without arch or memory");
  for (const auto& thread : snapshot->threads)
    if (thread.registers.size() != snapshot->arch->register_names.size())
      invariant("a thread whose register count is not its arch's");

  triage::report::Report report = h.analyzer->analyze(*snapshot, h.path);
  // Rendered as the tools render it (to_json_text replaces bytes that are
  // not UTF-8: command lines and paths in a core are bytes).
  std::string json = triage::report::to_json_text(report);
  std::string text = triage::report::to_text(report);
  if (json.empty() || text.empty()) invariant("an empty rendering");

  if (h.analyzer->module_cache().loaded_count() > kMaxCachedModules) h.reset_analyzer();
  return 0;
}

#include "triage/analyze/batch.h"

#include <elf.h>

#include <fstream>

#include <tbb/parallel_for_each.h>
#include <tbb/task_arena.h>

namespace triage {

void analyze_in_parallel(const CoreAnalyzer& analyzer, const std::vector<std::string>& core_paths, size_t jobs,
                         const std::function<void(const std::string&, Result<report::Report>&)>& done) {
  tbb::task_arena arena(jobs > 0 ? static_cast<int>(jobs) : tbb::task_arena::automatic);
  arena.execute([&] {
    tbb::parallel_for_each(core_paths.begin(), core_paths.end(), [&](const std::string& path) {
      Result<report::Report> result = analyzer.analyze_file(path);
      done(path, result);
    });
  });
}

bool looks_like_core(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  unsigned char header[18] = {};
  if (!in.read(reinterpret_cast<char*>(header), sizeof header)) return false;
  if (std::memcmp(header, ELFMAG, SELFMAG) != 0) return false;
  uint16_t type = header[EI_DATA] == ELFDATA2MSB ? (header[16] << 8 | header[17]) : (header[17] << 8 | header[16]);
  return type == ET_CORE;
}

}  // namespace triage

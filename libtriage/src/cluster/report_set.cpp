// Finding, reading and folding reports. Files are read and parsed in
// parallel in chunks; folding into the set is sequential and in path order,
// so the result does not depend on the number of threads.
#include "triage/cluster/report_set.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>

#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include "triage/report/stack_reader.h"
#include "triage/util/progress.h"

namespace fs = std::filesystem;

namespace triage {
namespace {

// A report is a few KiB to a few MiB (a 2000-frame stack); anything far
// larger is not one, and reading it whole would only cost memory.
constexpr uintmax_t kMaxReportBytes = 256u << 20;

// Frames of the crashing thread read: plenty for a signature (64 frames
// after collapsing recursion), and a 2000-frame recursion reads as quickly
// as a short stack.
constexpr size_t kFramesRead = 128;

bool is_under(const fs::path& path, const fs::path& folder) {
  if (folder.empty()) return false;
  auto [end, unused] = std::mismatch(folder.begin(), folder.end(), path.begin(), path.end());
  return end == folder.end();
}

}  // namespace

size_t ReportSet::add(CrashStack stack, std::string path) {
  ++report_count_;
  const size_t index = find_or_insert(std::move(stack), path);
  crashes_[index].members.push_back(std::move(path));
  return index;
}

size_t ReportSet::add_representative(CrashStack stack, std::string path) {
  return find_or_insert(std::move(stack), std::move(path));
}

size_t ReportSet::find_or_insert(CrashStack stack, std::string path) {
  rules_.apply_depth(stack);
  std::string signature = stack.signature();
  if (auto found = by_signature_.find(signature); found != by_signature_.end()) return found->second;
  UniqueCrash crash;
  for (const std::string& caller : stack.callers) crash.callers.push_back(intern(caller));
  Grouping group = rules_.group_of(stack);
  crash.site = intern(group.key);
  crash.one_bug = group.merged_by != nullptr;
  crash.stack = std::move(stack);
  crash.report = std::move(path);
  crashes_.push_back(std::move(crash));
  by_signature_.emplace(std::move(signature), crashes_.size() - 1);
  return crashes_.size() - 1;
}

void ReportSet::add_error(std::string path, std::string reason) {
  ++report_count_;
  errors_.push_back({std::move(path), std::move(reason)});
}

void ReportSet::finish() {
  for (UniqueCrash& crash : crashes_) {
    std::sort(crash.members.begin(), crash.members.end());
    // A representative from an earlier output stays; otherwise the first member.
    if (!crash.members.empty() && std::find(crash.members.begin(), crash.members.end(),
                                            crash.report) != crash.members.end()) {
      crash.report = crash.members.front();
    }
  }
  std::sort(errors_.begin(), errors_.end(),
            [](const UnreadableReport& a, const UnreadableReport& b) { return a.path < b.path; });
}

void ReportSet::represent_by_members() {
  for (UniqueCrash& crash : crashes_) {
    if (!crash.members.empty()) crash.report = crash.members.front();
  }
}

uint32_t ReportSet::intern(const std::string& key) {
  auto [it, inserted] = keys_.emplace(key, static_cast<uint32_t>(keys_.size()));
  return it->second;
}

Result<std::vector<std::string>> find_reports(const std::vector<std::string>& folders,
                                              const std::string& exclude) {
  std::vector<std::string> paths;
  std::error_code error;
  fs::path excluded = exclude.empty() ? fs::path() : fs::weakly_canonical(exclude, error);
  for (const std::string& folder : folders) {
    if (!fs::exists(folder, error)) {
      return make_error(ErrorKind::kNotFound, folder + ": no such folder");
    }
    if (fs::is_regular_file(folder, error)) {  // a single report named directly
      paths.push_back(folder);
      continue;
    }
    if (!fs::is_directory(folder, error)) {
      return make_error(ErrorKind::kInvalidArgument, folder + ": not a folder or a report file");
    }
    fs::recursive_directory_iterator it(folder, fs::directory_options::none, error);
    if (error) return make_error(ErrorKind::kIo, "cannot list " + folder + ": " + error.message());
    for (; it != fs::recursive_directory_iterator(); it.increment(error)) {
      if (error) return make_error(ErrorKind::kIo, "cannot list " + folder + ": " + error.message());
      const fs::path& path = it->path();
      if (!excluded.empty() && it->is_directory(error) &&
          is_under(fs::weakly_canonical(path, error), excluded)) {
        it.disable_recursion_pending();
        continue;
      }
      if (path.extension() == ".casrep" && it->is_regular_file(error)) paths.push_back(path.string());
    }
    if (error) return make_error(ErrorKind::kIo, "cannot list " + folder + ": " + error.message());
  }
  std::sort(paths.begin(), paths.end());
  paths.erase(std::unique(paths.begin(), paths.end()), paths.end());
  return paths;
}

Result<CrashStack> read_crash_stack(const std::string& path, const ClassTable& classes,
                                    const FrameFilter& filter, StackTrace* trace) {
  std::error_code error;
  uintmax_t size = fs::file_size(path, error);
  if (error) return make_error(ErrorKind::kIo, "cannot read: " + error.message());
  if (size > kMaxReportBytes) {
    return make_error(ErrorKind::kMalformed, "is " + std::to_string(size >> 20) +
                                                 " MiB, too large for a report");
  }
  std::ifstream in(path, std::ios::binary);
  std::string text(size, '\0');
  if (!in || !in.read(text.data(), static_cast<std::streamsize>(size))) {
    return make_error(ErrorKind::kIo, "cannot read: " + std::string(std::strerror(errno)));
  }
  auto report = report::parse_report_stack(text, kFramesRead);
  if (!report) return report.error();
  CrashStack stack = crash_stack_of(*report, classes, filter, trace);
  if (stack.frames.empty() && stack.class_name.empty()) {
    return make_error(ErrorKind::kMalformed,
                      "has no stack (Threads, Stacktrace or AsanReport) and no CrashSeverity");
  }
  return stack;
}

void read_reports(const std::vector<std::string>& paths, const ClassTable& classes,
                  const FrameFilter& filter, size_t jobs, Progress* progress, ReportSet& set) {
  constexpr size_t kChunk = 1024;
  tbb::task_arena arena(jobs == 0 ? tbb::task_arena::automatic : static_cast<int>(jobs));
  std::vector<std::optional<Result<CrashStack>>> chunk(kChunk);
  for (size_t begin = 0; begin < paths.size(); begin += kChunk) {
    const size_t end = std::min(paths.size(), begin + kChunk);
    arena.execute([&] {
      tbb::parallel_for(begin, end, [&](size_t i) {
        chunk[i - begin].emplace(read_crash_stack(paths[i], classes, filter));
        if (progress) progress->step();
      });
    });
    for (size_t i = begin; i < end; ++i) {
      Result<CrashStack>& stack = *chunk[i - begin];
      if (stack) {
        set.add(std::move(*stack), paths[i]);
      } else {
        set.add_error(paths[i], stack.error().message);
      }
      chunk[i - begin].reset();
    }
  }
  set.finish();
}

Result<bool> collect_reports(const std::vector<std::string>& folders, const std::string& exclude,
                             const ClassTable& classes, const FrameFilter& filter, size_t jobs,
                             ReportSet& set) {
  auto paths = find_reports(folders, exclude);
  if (!paths) return paths.error();
  if (paths->empty()) {
    std::string where;
    for (const std::string& folder : folders) where += (where.empty() ? "" : ", ") + folder;
    return make_error(ErrorKind::kNotFound, "no .casrep reports under " + where);
  }
  Progress progress(paths->size(), "reading reports");
  read_reports(*paths, classes, filter, jobs, &progress, set);
  progress.finish();
  return true;
}

}  // namespace triage

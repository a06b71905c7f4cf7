// A set of crash reports read for deduplication and clustering: every
// .casrep under some folders, read in parallel, folded by signature as they
// come, so memory grows with the number of distinct crashes (plus one path
// per report), not with the reports' size. Reports that can't be read are
// kept aside with the reason; they never stop the rest.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "triage/classify/class_table.h"
#include "triage/cluster/user_rules.h"
#include "triage/error.h"
#include "triage/signature/crash_stack.h"
#include "triage/signature/frame_filter.h"

namespace triage {

class Progress;

// Reports with one signature.
struct UniqueCrash {
  CrashStack stack;
  std::vector<uint32_t> callers;  // stack.callers, interned
  uint32_t site = 0;              // family + crash site (or the user rules' group), interned: what a cluster never mixes
  bool one_bug = false;           // a user merge rule made its group one bug: similarity is not asked
  std::string report;             // the representative: the first of members in byte order
  std::vector<std::string> members;  // every report with this signature, sorted
};

struct UnreadableReport {
  std::string path;
  std::string reason;
};

class ReportSet {
 public:
  ReportSet() = default;
  // The user rules' depth and grouping apply to every stack added.
  explicit ReportSet(ClusterRules rules) : rules_(std::move(rules)) {}

  // Adds one report's stack; returns the index of its UniqueCrash.
  size_t add(CrashStack stack, std::string path);
  // Adds a crash without members: a report of an earlier output (--join),
  // whose own members are carried over by the caller.
  size_t add_representative(CrashStack stack, std::string path);
  void add_error(std::string path, std::string reason);
  // Sorts every member list and picks representatives; call once all is added.
  void finish();
  // Makes every crash with members represented by its first member, also
  // those that came from an earlier output (a baseline, whose own reports
  // are not to be copied again).
  void represent_by_members();

  const std::vector<UniqueCrash>& crashes() const { return crashes_; }
  const std::vector<UnreadableReport>& errors() const { return errors_; }
  size_t report_count() const { return report_count_; }

 private:
  // The crash with this stack's signature, made (with `path` as its
  // representative) if there is none yet.
  size_t find_or_insert(CrashStack stack, std::string path);
  uint32_t intern(const std::string& key);

  ClusterRules rules_;
  std::vector<UniqueCrash> crashes_;
  std::vector<UnreadableReport> errors_;
  std::unordered_map<std::string, size_t> by_signature_;
  std::unordered_map<std::string, uint32_t> keys_;
  size_t report_count_ = 0;
};

// Every regular file named *.casrep under `folders` (recursively, symlinks
// to folders not followed), sorted; files under `exclude` (the output folder)
// are left out. A folder that does not exist or can't be listed is an Error.
Result<std::vector<std::string>> find_reports(const std::vector<std::string>& folders,
                                              const std::string& exclude);

// Reads one report file and computes its CrashStack (and, given `trace`,
// what became of each frame).
Result<CrashStack> read_crash_stack(const std::string& path, const ClassTable& classes,
                                    const FrameFilter& filter, StackTrace* trace = nullptr);

// Reads `paths` with up to `jobs` threads (0: all cores) into `set` (which
// may already hold an earlier output's crashes), then finishes it.
void read_reports(const std::vector<std::string>& paths, const ClassTable& classes,
                  const FrameFilter& filter, size_t jobs, Progress* progress, ReportSet& set);

// What the tools do: find_reports, then read_reports with a progress line
// on a terminal. No report under `folders` at all is kNotFound.
Result<bool> collect_reports(const std::vector<std::string>& folders, const std::string& exclude,
                             const ClassTable& classes, const FrameFilter& filter, size_t jobs,
                             ReportSet& set);

}  // namespace triage

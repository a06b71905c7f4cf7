// A one-line progress display for long runs, shown only on a terminal:
// done/total, rate, time left, and counts the caller names.
#pragma once

#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>

namespace triage {

class Progress {
 public:
  // Draws on `out` only when it is a terminal (and TERM is not "dumb").
  Progress(size_t total, std::string what, FILE* out = stderr);
  ~Progress();

  // One item finished; `counts` is shown after the rate, e.g. "3 failed".
  void step(const std::string& counts = {});
  void finish();

 private:
  void draw(bool final);

  size_t total_;
  size_t done_ = 0;
  std::string what_;
  std::string counts_;
  FILE* out_;
  bool enabled_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  std::mutex mutex_;
};

}  // namespace triage

#include "triage/util/progress.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace triage {

Progress::Progress(size_t total, std::string what, FILE* out)
    : total_(total), what_(std::move(what)), out_(out), start_(std::chrono::steady_clock::now()) {
  const char* term = std::getenv("TERM");
  enabled_ = isatty(fileno(out_)) && !(term && std::strcmp(term, "dumb") == 0);
  last_draw_ = start_;
}

Progress::~Progress() { finish(); }

void Progress::step(const std::string& counts) {
  std::lock_guard lock(mutex_);
  ++done_;
  if (!counts.empty()) counts_ = counts;
  auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ > std::chrono::milliseconds(100) || done_ == total_) {
    last_draw_ = now;
    draw(false);
  }
}

void Progress::finish() {
  std::lock_guard lock(mutex_);
  if (finished_) return;
  finished_ = true;
  draw(true);
}

void Progress::draw(bool final) {
  if (!enabled_) return;
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double rate = seconds > 0 ? done_ / seconds : 0;
  double left = rate > 0 ? (total_ - done_) / rate : 0;
  std::fprintf(out_, "\r\033[K%s %zu/%zu  %.1f/s  %s%.0fs left%s%s", what_.c_str(), done_, total_, rate,
               final ? "" : "", final ? 0.0 : left, counts_.empty() ? "" : "  ", counts_.c_str());
  if (final) std::fputc('\n', out_);
  std::fflush(out_);
}

}  // namespace triage

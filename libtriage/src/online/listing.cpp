#include "triage/online/listing.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>

#include "triage/analyze/signal_names.h"

namespace triage::online {
namespace {

std::string utc(int64_t seconds) {
  time_t t = static_cast<time_t>(seconds);
  tm parts{};
  gmtime_r(&t, &parts);
  char text[32];
  strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &parts);
  return text;
}

std::string size_text(uint64_t bytes) {
  char text[32];
  if (bytes < (1u << 20)) std::snprintf(text, sizeof text, "%.0fK", static_cast<double>(bytes) / 1024);
  else std::snprintf(text, sizeof text, "%.1fM", static_cast<double>(bytes) / (1 << 20));
  return text;
}

// `text` in a column of `width` characters and a space: a long one keeps
// its end (an executable's name, not its folders).
std::string cell(std::string text, size_t width) {
  if (text.size() > width) text = "..." + text.substr(text.size() - (width - 3));
  text.resize(width, ' ');
  return text + ' ';
}

}  // namespace

std::vector<ListedCrash> list_crashes(const Spool& spool, const ListFilter& filter) {
  std::vector<ListedCrash> crashes;
  for (const auto& name : spool.crash_names()) {
    int fd = openat(spool.fd(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) continue;
    CrashDir dir(spool.fd(), name, fd);  // read without the lock: a journal is replaced by rename, never rewritten
    auto meta = dir.read_meta();
    if (!meta) continue;
    if (!filter.executable.empty() && meta->executable.find(filter.executable) == std::string::npos) continue;
    if (filter.since && meta->time < *filter.since) continue;
    if (filter.until && meta->time >= *filter.until) continue;
    crashes.push_back({name, std::move(*meta)});
  }
  return crashes;
}

std::string format_crash_table(const std::vector<ListedCrash>& crashes) {
  std::string out = cell("TIME (UTC)", 20) + cell("PID", 8) + cell("SIGNAL", 8) + cell("STATE", 10) +
                    cell("SIZE", 8) + cell("CLASS", 24) + cell("EXECUTABLE", 32) + "CRASH LINE\n";
  for (const auto& [name, meta] : crashes) {
    std::string signal = signal_name(meta.signal);
    std::string crash_class = meta.crash_class;
    if (meta.state == CrashState::kFailed) crash_class = "-";
    std::string line = meta.crash_line.empty() ? (meta.state == CrashState::kFailed ? meta.error : "-") : meta.crash_line;
    out += cell(utc(meta.time), 20) + cell(std::to_string(meta.pid), 8) + cell(signal, 8) +
           cell(to_string(meta.state), 10) + cell(size_text(meta.stored_bytes) + (meta.truncated ? "!" : ""), 8) +
           cell(crash_class.empty() ? "-" : crash_class, 24) + cell(meta.executable, 32) + line + "\n";
  }
  return out;
}

Result<int64_t> parse_time(const std::string& text, int64_t now) {
  auto bad = [&] {
    return make_error(ErrorKind::kInvalidArgument,
                      "'" + text + "' is not a time (seconds since the epoch, 2026-11-23[T10:00[:00]] in UTC, or an "
                                   "age such as 30m, 2h, 7d)");
  };
  if (text.empty()) return bad();
  char* end = nullptr;
  long long number = std::strtoll(text.c_str(), &end, 10);
  if (end && *end == '\0' && text.find_first_not_of("0123456789") == std::string::npos) return number;
  if (end && end != text.c_str() && end[1] == '\0' && number >= 0) {
    switch (*end) {
      case 's': return now - number;
      case 'm': return now - number * 60;
      case 'h': return now - number * 3600;
      case 'd': return now - number * 86400;
      default: break;
    }
  }
  tm parts{};
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2d%n", &year, &month, &day, &consumed) == 3 &&
      static_cast<size_t>(consumed) == text.size()) {
  } else if (std::sscanf(text.c_str(), "%4d-%2d-%2d%*1[T ]%2d:%2d%n", &year, &month, &day, &hour, &minute,
                         &consumed) == 5 &&
             static_cast<size_t>(consumed) == text.size()) {
  } else if (std::sscanf(text.c_str(), "%4d-%2d-%2d%*1[T ]%2d:%2d:%2d%n", &year, &month, &day, &hour, &minute,
                         &second, &consumed) == 6 &&
             static_cast<size_t>(consumed) == text.size()) {
  } else {
    return bad();
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return bad();
  parts.tm_year = year - 1900;
  parts.tm_mon = month - 1;
  parts.tm_mday = day;
  parts.tm_hour = hour;
  parts.tm_min = minute;
  parts.tm_sec = second;
  return static_cast<int64_t>(timegm(&parts));
}

}  // namespace triage::online

// What the spool holds, for people: one line per stored crash (time, pid,
// executable, signal, class, crash line, journal state, size), filtered by
// executable and time. Reads the journals only; never a core.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "triage/error.h"
#include "triage/online/spool.h"

namespace triage::online {

struct ListFilter {
  std::string executable;        // part of the executable's path ("" = any)
  std::optional<int64_t> since;  // %t at or after (seconds since the epoch)
  std::optional<int64_t> until;  // %t before
};

struct ListedCrash {
  std::string name;
  CrashMeta meta;
};

std::vector<ListedCrash> list_crashes(const Spool& spool, const ListFilter& filter);

// The table --list prints (a header, then one line per crash, oldest first).
std::string format_crash_table(const std::vector<ListedCrash>& crashes);

// A time for --since/--until: seconds since the epoch, an ISO date
// "2026-11-23" or time "2026-11-23T10:00[:00]" (UTC), or an age "30m",
// "2h", "7d" counted back from `now`.
Result<int64_t> parse_time(const std::string& text, int64_t now);

}  // namespace triage::online

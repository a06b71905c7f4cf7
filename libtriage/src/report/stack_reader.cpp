// The keys a crash stack needs are found with the structural scanner and
// parsed one by one; from_json then builds the Report from them, so the
// checks and conversions are those of a full read.
#include "triage/report/stack_reader.h"

#include <nlohmann/json.hpp>

#include "triage/util/json_scan.h"

using nlohmann::ordered_json;

namespace triage::report {

Result<Report> parse_report_stack(std::string_view text, size_t max_frames) {
  // A UTF-8 byte order mark (an editor's), which parse_report skips too.
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  ordered_json wanted = ordered_json::object();
  std::string_view stacktrace, proc_maps, asan_report;
  // The crashed thread, else the first: its scalars and its first frames.
  struct ThreadRead {
    ordered_json thread = ordered_json::object();
    bool crashed = false;
  };
  std::optional<ThreadRead> chosen;
  std::string problem;
  bool enough = false;  // the crashed thread is read and nothing after it is needed

  auto read_frames = [&](std::string_view rest, ordered_json& frames) -> std::optional<size_t> {
    size_t length = 0;
    JsonScan scan = json_for_each_element(rest, [&](std::string_view frame) -> std::optional<size_t> {
      if (frames.size() >= max_frames) return std::nullopt;
      auto frame_length = json_value_length(frame);
      if (!frame_length) return size_t{0};
      frames.push_back(ordered_json::parse(frame.substr(0, *frame_length)));
      return *frame_length;
    }, &length);
    if (scan == JsonScan::kMalformed) {
      problem = "bad .casrep report: Threads[].Frames is not an array of frames";
      return size_t{0};
    }
    if (scan == JsonScan::kStopped) return std::nullopt;  // max_frames read
    return length;
  };
  // One element of Threads. Only the chosen thread's frames are parsed. In
  // our own reports the crashed thread comes first, with Crashed before
  // Frames: its first max_frames frames are read in place and the scan stops
  // there, without even finding where the rest of the report ends.
  auto read_thread = [&](std::string_view rest, bool stop_after_crashed) -> std::optional<size_t> {
    ThreadRead candidate;
    std::string_view frames_text;
    size_t length = 0;
    JsonScan scan = json_for_each_member(rest, [&](std::string_view key, std::string_view value) -> std::optional<size_t> {
      if (key == "Frames" && candidate.crashed && stop_after_crashed) {
        ordered_json frames = ordered_json::array();
        auto consumed = read_frames(value, frames);
        if (consumed == size_t{0}) return consumed;  // malformed
        candidate.thread["Frames"] = std::move(frames);
        enough = true;
        return std::nullopt;
      }
      auto value_length = json_value_length(value);
      if (!value_length) return size_t{0};
      if (key == "Frames") {
        frames_text = value.substr(0, *value_length);
      } else if (key == "Tid" || key == "Crashed" || key == "Truncated") {
        candidate.thread[std::string(key)] = ordered_json::parse(value.substr(0, *value_length));
        if (key == "Crashed") candidate.crashed = candidate.thread["Crashed"] == true;
      }
      return *value_length;
    }, &length);
    if (scan == JsonScan::kMalformed) {
      if (problem.empty()) problem = "bad .casrep report: a thread in Threads is not an object";
      return size_t{0};
    }
    if (!enough && !frames_text.empty() && (candidate.crashed || !chosen)) {
      ordered_json frames = ordered_json::array();
      if (read_frames(frames_text, frames) == size_t{0}) return size_t{0};
      candidate.thread["Frames"] = std::move(frames);
    }
    if (!chosen || candidate.crashed) chosen = std::move(candidate);
    if (enough || (chosen->crashed && stop_after_crashed)) {
      enough = true;
      return std::nullopt;
    }
    return length;
  };

  try {
    JsonScan scan = json_for_each_member(text, [&](std::string_view key, std::string_view rest) -> std::optional<size_t> {
      if (key == "Threads") {
        // Our reports put CrashSeverity and CrashLine before Threads.
        const bool stop_after_crashed = wanted.contains("CrashSeverity") && wanted.contains("CrashLine");
        size_t length = 0;
        JsonScan threads = json_for_each_element(
            rest, [&](std::string_view thread) { return read_thread(thread, stop_after_crashed); }, &length);
        if (threads == JsonScan::kMalformed) {
          if (problem.empty()) problem = "bad .casrep report: Threads is not an array of threads";
          return size_t{0};
        }
        if (threads == JsonScan::kStopped) return std::nullopt;
        return length;
      }
      auto length = json_value_length(rest);
      if (!length) return size_t{0};
      std::string_view value = rest.substr(0, *length);
      if (key == "CrashSeverity" || key == "CrashLine") {
        wanted[std::string(key)] = ordered_json::parse(value);
      } else if (key == "Stacktrace") {
        stacktrace = value;
      } else if (key == "ProcMaps") {
        proc_maps = value;
      } else if (key == "AsanReport") {
        asan_report = value;
      }
      return *length;
    });
    if (scan == JsonScan::kMalformed) {
      return make_error(ErrorKind::kMalformed,
                        !problem.empty() ? problem
                                         : "a .casrep report must be a JSON object (this one is not, is cut short "
                                           "or nests too deeply)");
    }
    if (chosen) {
      if (!chosen->thread.contains("Frames")) chosen->thread["Frames"] = ordered_json::array();
      wanted["Threads"] = ordered_json::array({std::move(chosen->thread)});
    } else {
      if (!stacktrace.empty()) wanted["Stacktrace"] = ordered_json::parse(stacktrace);
      if (!proc_maps.empty()) wanted["ProcMaps"] = ordered_json::parse(proc_maps);
      if (!asan_report.empty()) wanted["AsanReport"] = ordered_json::parse(asan_report);
    }
  } catch (const nlohmann::json::exception& e) {
    return make_error(ErrorKind::kMalformed, std::string("a .casrep report must be JSON: ") + e.what());
  }
  return from_json(wanted);
}

}  // namespace triage::report

// The .casrep JSON form of a Report: written with CASR's keys first, then
// ours, then whatever unknown keys the report was read with. Reading never
// throws: every known key is type-checked and a mismatch becomes an Error
// that names the key's path.
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <limits>
#include <string>
#include <utility>

#include "triage/report/report.h"
#include "triage/unwind/frame.h"

namespace triage::report {

using nlohmann::ordered_json;

namespace {

// Every key this model reads and writes at the top level; anything else
// goes to Report::other.
constexpr const char* kKnownKeys[] = {
    "Date",        "Architecture", "ExecutablePath", "ProcCmdline", "ProcMaps",
    "CrashSeverity", "Stacktrace", "Registers",      "Disassembly", "Source",
    "CrashLine",   "Pid",          "Threads",        "Signal",      "Modules",
    "Warnings",    "CorePath",     "TriageVersion", "AbortMessage",
};

bool is_known_key(const std::string& key) {
  for (const char* known : kKnownKeys) {
    if (key == known) return true;
  }
  return false;
}

ordered_json strings_json(const std::vector<std::string>& strings) {
  ordered_json array = ordered_json::array();
  for (const std::string& s : strings) array.push_back(s);
  return array;
}

ordered_json frame_json(const Frame& frame) {
  ordered_json j = ordered_json::object();
  j["Address"] = frame.address;
  j["Module"] = frame.module;
  j["ModuleOffset"] = frame.module_offset;
  j["Function"] = frame.function;
  j["FunctionOffset"] = frame.function_offset;
  j["File"] = frame.file;
  j["Line"] = frame.line;
  j["Column"] = frame.column;
  j["Inlined"] = frame.inlined;
  j["FoundBy"] = frame.found_by;
  j["ModuleMismatch"] = frame.module_mismatch;
  return j;
}

ordered_json thread_json(const Thread& thread) {
  ordered_json j = ordered_json::object();
  j["Tid"] = thread.tid;
  j["Crashed"] = thread.crashed;
  j["Truncated"] = thread.truncated;
  ordered_json frames = ordered_json::array();
  for (const Frame& frame : thread.frames) frames.push_back(frame_json(frame));
  j["Frames"] = std::move(frames);
  return j;
}

ordered_json signal_json(const Signal& signal) {
  ordered_json j = ordered_json::object();
  j["Number"] = signal.number;
  j["Name"] = signal.name;
  j["Code"] = signal.code;
  j["CodeName"] = signal.code_name;
  if (signal.fault_address) {
    j["FaultAddress"] = *signal.fault_address;
  } else {
    j["FaultAddress"] = nullptr;
  }
  j["FaultAddressDerived"] = signal.fault_address_derived;
  return j;
}

ordered_json module_json(const Module& module) {
  ordered_json j = ordered_json::object();
  j["Path"] = module.path;
  j["Start"] = module.start;
  j["End"] = module.end;
  j["BuildId"] = module.build_id;
  j["FilePath"] = module.file_path;
  j["FileBuildId"] = module.file_build_id;
  j["Mismatch"] = module.mismatch;
  return j;
}

const char* type_name(const ordered_json& value) {
  switch (value.type()) {
    case ordered_json::value_t::null: return "null";
    case ordered_json::value_t::object: return "an object";
    case ordered_json::value_t::array: return "an array";
    case ordered_json::value_t::string: return "a string";
    case ordered_json::value_t::boolean: return "a boolean";
    case ordered_json::value_t::number_integer: return "a negative integer";
    case ordered_json::value_t::number_unsigned: return "an unsigned integer";
    case ordered_json::value_t::number_float: return "a floating-point number";
    case ordered_json::value_t::binary: return "binary data";
    case ordered_json::value_t::discarded: return "nothing";
  }
  return "an unknown value";
}

// Reads typed fields out of one JSON object. The first mismatch is kept in
// `error` (with the key's full path) and every later read does nothing, so a
// caller reads all fields and checks once.
class ObjectReader {
 public:
  ObjectReader(const ordered_json& object, std::string path, std::string& error)
      : object_(object), path_(std::move(path)), error_(error) {}

  std::string path_of(const char* key) const {
    return path_.empty() ? std::string(key) : path_ + "." + key;
  }

  // The value of `key`, or null when it is missing or JSON null (both mean
  // "use the default").
  const ordered_json* get(const char* key) const {
    if (!error_.empty()) return nullptr;
    auto it = object_.find(key);
    if (it == object_.end() || it->is_null()) return nullptr;
    return &*it;
  }

  void string(const char* key, std::string& out) {
    if (const ordered_json* v = get(key)) {
      if (v->is_string()) {
        out = v->get_ref<const std::string&>();
      } else {
        fail(key, "a string", *v);
      }
    }
  }

  void u64(const char* key, uint64_t& out) {
    if (const ordered_json* v = get(key)) read_u64(*v, path_of(key), out);
  }

  void integer(const char* key, int& out) {
    if (const ordered_json* v = get(key)) read_int(*v, path_of(key), out);
  }

  void boolean(const char* key, bool& out) {
    if (const ordered_json* v = get(key)) {
      if (v->is_boolean()) {
        out = v->get<bool>();
      } else {
        fail(key, "true or false", *v);
      }
    }
  }

  void strings(const char* key, std::vector<std::string>& out) {
    const ordered_json* v = array(key);
    if (v == nullptr) return;
    out.clear();
    out.reserve(v->size());
    size_t index = 0;
    for (const ordered_json& item : *v) {
      if (!item.is_string()) {
        fail_path(path_of(key) + "[" + std::to_string(index) + "]", "a string", item);
        return;
      }
      out.push_back(item.get_ref<const std::string&>());
      ++index;
    }
  }

  const ordered_json* array(const char* key) {
    const ordered_json* v = get(key);
    if (v != nullptr && !v->is_array()) {
      fail(key, "an array", *v);
      return nullptr;
    }
    return v;
  }

  const ordered_json* object(const char* key) {
    const ordered_json* v = get(key);
    if (v != nullptr && !v->is_object()) {
      fail(key, "an object", *v);
      return nullptr;
    }
    return v;
  }

  void read_u64(const ordered_json& v, const std::string& path, uint64_t& out) {
    if (v.is_number_unsigned()) {
      out = v.get<uint64_t>();
    } else if (v.is_number_integer() && v.get<int64_t>() >= 0) {
      out = static_cast<uint64_t>(v.get<int64_t>());
    } else {
      fail_path(path, "an unsigned integer", v);
    }
  }

  void read_int(const ordered_json& v, const std::string& path, int& out) {
    if (v.is_number_unsigned()) {
      const uint64_t n = v.get<uint64_t>();
      if (n <= static_cast<uint64_t>(std::numeric_limits<int>::max())) {
        out = static_cast<int>(n);
        return;
      }
    } else if (v.is_number_integer()) {
      const int64_t n = v.get<int64_t>();
      if (n >= std::numeric_limits<int>::min() && n <= std::numeric_limits<int>::max()) {
        out = static_cast<int>(n);
        return;
      }
    }
    if (v.is_number_integer()) {
      error_ = "key \"" + path + "\": integer " + v.dump() + " is out of range";
      return;
    }
    fail_path(path, "an integer", v);
  }

  void fail(const char* key, const char* expected, const ordered_json& got) {
    fail_path(path_of(key), expected, got);
  }

  void fail_path(const std::string& path, const char* expected, const ordered_json& got) {
    if (error_.empty()) {
      error_ = "key \"" + path + "\": expected " + expected + ", got " + type_name(got);
    }
  }

  bool failed() const { return !error_.empty(); }

 private:
  const ordered_json& object_;
  std::string path_;
  std::string& error_;
};

std::string indexed(const std::string& path, size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

// Runs `read_one` over every element of the array at `key`, each of which
// must be an object.
template <class T, class ReadOne>
void read_objects(ObjectReader& reader, const char* key, std::vector<T>& out,
                  std::string& error, ReadOne read_one) {
  const ordered_json* array = reader.array(key);
  if (array == nullptr) return;
  out.clear();
  out.reserve(array->size());
  const std::string path = reader.path_of(key);
  for (size_t i = 0; i < array->size() && error.empty(); ++i) {
    const ordered_json& item = (*array)[i];
    if (!item.is_object()) {
      reader.fail_path(indexed(path, i), "an object", item);
      return;
    }
    ObjectReader item_reader(item, indexed(path, i), error);
    T value;
    read_one(item_reader, value);
    out.push_back(std::move(value));
  }
}

void read_frame(ObjectReader& r, Frame& frame) {
  r.u64("Address", frame.address);
  r.string("Module", frame.module);
  r.u64("ModuleOffset", frame.module_offset);
  r.string("Function", frame.function);
  r.u64("FunctionOffset", frame.function_offset);
  r.string("File", frame.file);
  r.integer("Line", frame.line);
  r.integer("Column", frame.column);
  r.boolean("Inlined", frame.inlined);
  r.string("FoundBy", frame.found_by);
  r.boolean("ModuleMismatch", frame.module_mismatch);
}

// Copying and printing a JSON value recurses once per level, so text nested
// deeper than any real report is refused before it is parsed.
constexpr size_t kMaxNesting = 256;

size_t nesting_depth(std::string_view text) {
  size_t depth = 0;
  size_t deepest = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

std::string hex_digits(uint64_t value, int width) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%0*" PRIx64, width, value);
  return buffer;
}

}  // namespace

nlohmann::ordered_json to_json(const Report& report) {
  ordered_json j = ordered_json::object();
  // CASR's keys.
  j["Date"] = report.date;
  j["Architecture"] = report.architecture;
  j["ExecutablePath"] = report.executable_path;
  j["ProcCmdline"] = report.proc_cmdline;
  j["ProcMaps"] = strings_json(report.proc_maps);
  ordered_json severity = ordered_json::object();
  severity["Type"] = report.severity.type;
  severity["ShortDescription"] = report.severity.short_description;
  severity["Description"] = report.severity.description;
  severity["Explanation"] = report.severity.explanation;
  j["CrashSeverity"] = std::move(severity);
  j["Stacktrace"] = strings_json(report.stacktrace);
  ordered_json registers = ordered_json::object();
  for (const auto& [name, value] : report.registers) registers[name] = value;
  j["Registers"] = std::move(registers);
  j["Disassembly"] = strings_json(report.disassembly);
  j["Source"] = strings_json(report.source);
  j["CrashLine"] = report.crash_line;
  j["Pid"] = report.pid;
  // Ours.
  ordered_json threads = ordered_json::array();
  for (const Thread& thread : report.threads) threads.push_back(thread_json(thread));
  j["Threads"] = std::move(threads);
  if (report.signal) j["Signal"] = signal_json(*report.signal);
  if (!report.abort_message.empty()) j["AbortMessage"] = report.abort_message;
  ordered_json modules = ordered_json::array();
  for (const Module& module : report.modules) modules.push_back(module_json(module));
  j["Modules"] = std::move(modules);
  j["Warnings"] = strings_json(report.warnings);
  j["CorePath"] = report.core_path;
  j["TriageVersion"] = report.tool_version;
  // Keys we read but do not model; a known key there never overrides ours.
  if (report.other.is_object()) {
    for (const auto& item : report.other.items()) {
      if (!j.contains(item.key()) && !is_known_key(item.key())) j[item.key()] = item.value();
    }
  }
  return j;
}

Result<Report> from_json(const nlohmann::ordered_json& json) {
  if (!json.is_object()) {
    return make_error(ErrorKind::kMalformed,
                      std::string("a .casrep report must be a JSON object, got ") +
                          type_name(json));
  }
  Report report;
  std::string error;
  try {
    ObjectReader r(json, "", error);
    r.string("Date", report.date);
    r.string("Architecture", report.architecture);
    r.string("ExecutablePath", report.executable_path);
    r.string("ProcCmdline", report.proc_cmdline);
    r.strings("ProcMaps", report.proc_maps);
    if (const ordered_json* severity = r.object("CrashSeverity")) {
      ObjectReader s(*severity, "CrashSeverity", error);
      s.string("Type", report.severity.type);
      s.string("ShortDescription", report.severity.short_description);
      s.string("Description", report.severity.description);
      s.string("Explanation", report.severity.explanation);
    }
    r.strings("Stacktrace", report.stacktrace);
    if (const ordered_json* registers = r.object("Registers")) {
      for (const auto& item : registers->items()) {
        uint64_t value = 0;
        r.read_u64(item.value(), "Registers." + item.key(), value);
        if (r.failed()) break;
        report.registers.emplace_back(item.key(), value);
      }
    }
    r.strings("Disassembly", report.disassembly);
    r.strings("Source", report.source);
    r.string("CrashLine", report.crash_line);
    r.integer("Pid", report.pid);

    read_objects(r, "Threads", report.threads, error, [&](ObjectReader& t, Thread& thread) {
      t.integer("Tid", thread.tid);
      t.boolean("Crashed", thread.crashed);
      t.boolean("Truncated", thread.truncated);
      read_objects(t, "Frames", thread.frames, error, read_frame);
    });
    if (const ordered_json* signal = r.object("Signal")) {
      ObjectReader s(*signal, "Signal", error);
      Signal value;
      s.integer("Number", value.number);
      s.string("Name", value.name);
      s.integer("Code", value.code);
      s.string("CodeName", value.code_name);
      if (const ordered_json* fault = s.get("FaultAddress")) {
        uint64_t address = 0;
        s.read_u64(*fault, "Signal.FaultAddress", address);
        value.fault_address = address;
      }
      s.boolean("FaultAddressDerived", value.fault_address_derived);
      report.signal = std::move(value);
    }
    read_objects(r, "Modules", report.modules, error, [](ObjectReader& m, Module& module) {
      m.string("Path", module.path);
      m.u64("Start", module.start);
      m.u64("End", module.end);
      m.string("BuildId", module.build_id);
      m.string("FilePath", module.file_path);
      m.string("FileBuildId", module.file_build_id);
      m.boolean("Mismatch", module.mismatch);
    });
    r.string("AbortMessage", report.abort_message);
    r.strings("Warnings", report.warnings);
    r.string("CorePath", report.core_path);
    r.string("TriageVersion", report.tool_version);
    if (!error.empty()) return make_error(ErrorKind::kMalformed, "bad .casrep report: " + error);

    for (const auto& item : json.items()) {
      if (!is_known_key(item.key())) report.other[item.key()] = item.value();
    }
  } catch (const nlohmann::json::exception& e) {
    // Not expected: every access above is type-checked first.
    return make_error(ErrorKind::kMalformed, std::string("bad .casrep report: ") + e.what());
  }
  return report;
}

Result<Report> from_json(const nlohmann::json& json) {
  return from_json(nlohmann::ordered_json(json));
}

Result<Report> parse_report(std::string_view text) {
  if (const size_t depth = nesting_depth(text); depth > kMaxNesting) {
    return make_error(ErrorKind::kMalformed,
                      "a .casrep report nests " + std::to_string(depth) +
                          " levels deep; more than " + std::to_string(kMaxNesting) +
                          " is refused");
  }
  ordered_json json;
  try {
    json = ordered_json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::exception& e) {
    return make_error(ErrorKind::kMalformed,
                      std::string("a .casrep report must be JSON: ") + e.what());
  }
  return from_json(json);
}

std::string gdb_frame_line(size_t index, const Frame& frame) {
  // gdb left-aligns the frame number in two columns, then one space:
  // "#0  0x...", "#12 0x...".
  std::string line = "#" + std::to_string(index);
  line += index < 10 ? "  0x" : " 0x";
  line += hex_digits(frame.address, frame.address > 0xffffffffu ? 16 : 8);
  line += " in ";
  const std::string function = function_without_parameters(frame.function);
  line += function.empty() ? "??" : function;
  line += " ()";
  if (!frame.file.empty() && frame.line > 0) {
    line += " at " + frame.file + ":" + std::to_string(frame.line);
    if (frame.column > 0) line += ":" + std::to_string(frame.column);
  } else if (!frame.module.empty()) {
    line += " from " + frame.module;
  }
  return line;
}

std::string to_json_text(const Report& report) {
  return to_json(report).dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace triage::report

// The .casrep JSON form: exact round trips, CASR's own reports, and every
// kind of bad input giving an Error that names the key.
#include <fstream>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include "triage/report/report.h"

using triage::ErrorKind;
using namespace triage::report;

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Report full_report() {
  Report r;
  r.severity = {"EXPLOITABLE", "DestAv", "Fault writing to memory", "A write went bad."};
  r.date = "2024-03-14T02:17:45+00:00";
  r.architecture = "x86_64";
  r.executable_path = "/tmp/prog";
  r.proc_cmdline = "/tmp/prog input";
  r.proc_maps = {"      0x555555554000     0x555555555000     0x1000        0x0  r--p   /tmp/prog"};
  r.pid = 4242;
  r.crash_line = "/tmp/prog.c:7:5";
  r.source = {"    6  int *p = 0;", "--->7  *p = 1;"};
  r.disassembly = {"==> 0x5555555551a9 <main+16>:\tmov    DWORD PTR [rax],0x1"};
  r.registers = {{"rip", 0x5555555551a9}, {"rsp", 0x7fffffffe0f0}, {"rax", 0},
                 {"eflags", 0x10246}, {"r8", 0xffffffffffffffffULL}};
  Frame f0;
  f0.address = 0x5555555551a9;
  f0.module = "/tmp/prog";
  f0.module_offset = 0x11a9;
  f0.function = "main";
  f0.function_offset = 0x10;
  f0.file = "/tmp/prog.c";
  f0.line = 7;
  f0.column = 5;
  f0.found_by = "context";
  Frame f1;
  f1.address = 0x7ffff7c29d90;
  f1.module = "/lib/x86_64-linux-gnu/libc.so.6";
  f1.module_offset = 0x29d90;
  f1.function = "__libc_start_call_main";
  f1.found_by = "cfi";
  f1.inlined = true;
  f1.module_mismatch = true;
  r.threads = {Thread{4242, true, {f0, f1}, true}, Thread{4243, false, {f1}, false}};
  r.signal = Signal{11, "SIGSEGV", 1, "SEGV_MAPERR", 0x0, true};
  r.modules = {Module{"/tmp/prog", 0x555555554000, 0x555555559000, "abcd", "/tmp/prog", "abcd",
                      false},
               Module{"/lib/x86_64-linux-gnu/libc.so.6", 0x7ffff7c00000, 0x7ffff7e00000, "1111",
                      "/usr/lib/x86_64-linux-gnu/libc.so.6", "2222", true}};
  r.warnings = {"frame 3 was found by stack scan"};
  r.core_path = "/tmp/core.4242";
  r.tool_version = "0.1.0";
  r.other["AsanReport"] = {"==1==ERROR: AddressSanitizer: SEGV"};
  r.other["ZzzCustom"] = {{"b", 1}, {"a", 2}};
  return r;
}

triage::Result<Report> parse(const std::string& text) { return parse_report(text); }

void require_malformed(const std::string& text, const std::string& names) {
  auto result = parse(text);
  INFO(text);
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().kind == ErrorKind::kMalformed);
  INFO(result.error().message);
  CHECK(result.error().message.find(names) != std::string::npos);
}

}  // namespace

TEST_CASE("casrep keys are written in CASR's order, then ours, then unknown keys", "[report]") {
  const auto json = to_json(full_report());
  std::vector<std::string> keys;
  for (const auto& item : json.items()) keys.push_back(item.key());
  const std::vector<std::string> expected = {
      "Date",       "Architecture", "ExecutablePath", "ProcCmdline", "ProcMaps",
      "CrashSeverity", "Stacktrace", "Registers",    "Disassembly",    "Source",
      "CrashLine",  "Pid",          "Threads",        "Signal",      "Modules",
      "Warnings",   "CorePath",     "TriageVersion",  "AsanReport",  "ZzzCustom"};
  CHECK(keys == expected);

  // Registers keep the model's order and are unsigned numbers.
  std::vector<std::string> registers;
  for (const auto& item : json["Registers"].items()) {
    registers.push_back(item.key());
    CHECK(item.value().is_number_unsigned());
  }
  CHECK(registers == std::vector<std::string>{"rip", "rsp", "rax", "eflags", "r8"});
  CHECK(json["Registers"]["r8"].get<uint64_t>() == 0xffffffffffffffffULL);
  CHECK(json["Threads"][0]["Frames"][0]["Address"].is_number_unsigned());
  CHECK(json["Signal"]["FaultAddress"].get<uint64_t>() == 0);
  CHECK(json["CrashSeverity"]["ShortDescription"] == "DestAv");
}

TEST_CASE("a report round-trips exactly through .casrep text", "[report]") {
  const Report original = full_report();
  const std::string text = to_json(original).dump(2);
  auto back = parse(text);
  REQUIRE(back.ok());
  CHECK(to_json(*back).dump(2) == text);

  const Report& r = *back;
  CHECK(r.severity.short_description == "DestAv");
  CHECK(r.registers == original.registers);
  REQUIRE(r.threads.size() == 2);
  CHECK(r.threads[0].truncated);
  CHECK(r.threads[0].frames[1].inlined);
  CHECK(r.threads[0].frames[1].module_mismatch);
  CHECK(r.threads[0].frames[0].column == 5);
  REQUIRE(r.signal.has_value());
  CHECK(r.signal->fault_address == std::optional<uint64_t>(0));
  CHECK(r.signal->fault_address_derived);
  CHECK(r.modules[1].mismatch);
  CHECK(r.modules[1].file_build_id == "2222");
  CHECK(r.pid == 4242);
  CHECK(r.other.contains("AsanReport"));
}

TEST_CASE("round trip keeps an absent signal and a null fault address", "[report]") {
  Report r;
  auto json = to_json(r);
  CHECK_FALSE(json.contains("Signal"));
  auto back = from_json(json);
  REQUIRE(back.ok());
  CHECK_FALSE(back->signal.has_value());

  r.signal = Signal{6, "SIGABRT", -6, "SI_TKILL", std::nullopt, false};
  json = to_json(r);
  CHECK(json["Signal"]["FaultAddress"].is_null());
  CHECK(json["Signal"]["Code"] == -6);
  back = from_json(json);
  REQUIRE(back.ok());
  REQUIRE(back->signal.has_value());
  CHECK_FALSE(back->signal->fault_address.has_value());
  CHECK(back->signal->code == -6);
}

TEST_CASE("reading through nlohmann::json keeps every value", "[report]") {
  const Report original = full_report();
  const nlohmann::json plain = nlohmann::json::parse(to_json(original).dump());
  auto back = from_json(plain);
  REQUIRE(back.ok());
  // nlohmann::json sorts keys, so only the set of registers survives, not
  // their order.
  CHECK(back->registers.size() == original.registers.size());
  CHECK(back->threads.size() == 2);
  CHECK(back->crash_line == original.crash_line);
}

TEST_CASE("a CASR report is read, with its unknown keys kept", "[report]") {
  const std::string text = read_text(std::string(TRIAGE_TEST_DATA_DIR) + "/report/casr_sample.casrep");
  auto result = parse(text);
  REQUIRE(result.ok());
  const Report& r = *result;
  CHECK(r.severity.type == "EXPLOITABLE");
  CHECK(r.severity.short_description == "heap-buffer-overflow(write)");
  CHECK(r.architecture == "amd64");
  CHECK(r.executable_path == "/home/fuzz/targets/xmlparse");
  REQUIRE(r.stacktrace.size() == 7);
  CHECK(r.stacktrace[6] ==
        "#6  0x00005555555551a9 in main (argc=2, argv=0x7fffffffe1f8) at "
        "/home/fuzz/src/xmlparse/main.c:7");
  REQUIRE(r.registers.size() == 22);
  CHECK(r.registers.front().first == "rax");  // file order is kept
  CHECK(r.registers[16] == std::pair<std::string, uint64_t>{"rip", 140737350923388ULL});
  CHECK(r.crash_line == "/home/fuzz/src/xmlparse/attr.c:58:17");
  CHECK(r.source.size() == 5);
  CHECK(r.proc_maps.size() == 6);
  CHECK(r.threads.empty());  // CASR has no Threads: defaults
  CHECK_FALSE(r.signal.has_value());
  CHECK(r.pid == 0);

  for (const char* key : {"AsanReport", "Uname", "OS", "OSRelease", "ProcEnviron", "ProcFiles",
                          "Package", "PythonReport", "GoReport", "Stdin", "ProcStatus",
                          "NetworkConnections"}) {
    INFO(key);
    CHECK(r.other.contains(key));
  }
  REQUIRE(r.other["AsanReport"].is_array());
  CHECK(r.other["AsanReport"][1] == "WRITE of size 1 at 0x602000000013 thread T0");

  // Written again: nothing lost, and the result reads back to the same report.
  const auto again = to_json(r);
  const auto original = nlohmann::ordered_json::parse(text);
  for (const auto& item : original.items()) {
    INFO(item.key());
    REQUIRE(again.contains(item.key()));
    CHECK(again[item.key()] == item.value());
  }
  auto second = from_json(again);
  REQUIRE(second.ok());
  CHECK(to_json(*second) == again);
}

TEST_CASE("missing keys take their defaults", "[report]") {
  auto result = parse("{}");
  REQUIRE(result.ok());
  CHECK(result->stacktrace.empty());
  CHECK(result->severity.type.empty());
  CHECK(result->other.empty());

  result = parse(R"({"CrashSeverity": {"Type": "NOT_EXPLOITABLE"}, "Threads": [{"Tid": 7}],
                     "Registers": null, "Signal": {"Number": 11}})");
  REQUIRE(result.ok());
  CHECK(result->severity.type == "NOT_EXPLOITABLE");
  REQUIRE(result->threads.size() == 1);
  CHECK(result->threads[0].tid == 7);
  CHECK(result->threads[0].frames.empty());
  REQUIRE(result->signal.has_value());
  CHECK(result->signal->number == 11);
  CHECK_FALSE(result->signal->fault_address.has_value());
}

TEST_CASE("a report that is not a JSON object is an error", "[report]") {
  require_malformed("[1, 2, 3]", "JSON object");
  require_malformed("\"Stacktrace\"", "JSON object");
  require_malformed("42", "JSON object");
  require_malformed("null", "JSON object");
  require_malformed("", "must be JSON");
  require_malformed("{\"Date\": ", "must be JSON");
  require_malformed("\x7f" "ELF\x02\x01\x01", "must be JSON");

  auto direct = from_json(nlohmann::json::array());
  REQUIRE_FALSE(direct.ok());
  CHECK(direct.error().kind == ErrorKind::kMalformed);
}

TEST_CASE("a known key of the wrong type is an error naming the key", "[report]") {
  require_malformed(R"({"Stacktrace": "#0 main"})", "\"Stacktrace\"");
  require_malformed(R"({"Stacktrace": ["#0 main", 3]})", "Stacktrace[1]");
  require_malformed(R"({"ProcMaps": {"a": 1}})", "ProcMaps");
  require_malformed(R"({"Date": 20240314})", "\"Date\"");
  require_malformed(R"({"CrashSeverity": "EXPLOITABLE"})", "CrashSeverity");
  require_malformed(R"({"CrashSeverity": {"Type": 1}})", "CrashSeverity.Type");
  require_malformed(R"({"Registers": ["rip", 1]})", "Registers");
  require_malformed(R"({"Registers": {"rax": 0, "rip": "0x401000"}})", "Registers.rip");
  require_malformed(R"({"Registers": {"rsp": -8}})", "Registers.rsp");
  require_malformed(R"({"Registers": {"rsp": 1.5}})", "Registers.rsp");
  require_malformed(R"({"Pid": "4242"})", "\"Pid\"");
  require_malformed(R"({"Pid": 12.5})", "\"Pid\"");
  require_malformed(R"({"Pid": 99999999999})", "\"Pid\"");
  require_malformed(R"({"Threads": {"Tid": 1}})", "Threads");
  require_malformed(R"({"Threads": [1]})", "Threads[0]");
  require_malformed(R"({"Threads": [{"Tid": 1, "Frames": [{}, {"Line": "7"}]}]})",
                    "Threads[0].Frames[1].Line");
  require_malformed(R"({"Threads": [{"Crashed": "yes"}]})", "Threads[0].Crashed");
  require_malformed(R"({"Threads": [{"Frames": [{"Address": -1}]}]})",
                    "Threads[0].Frames[0].Address");
  require_malformed(R"({"Signal": 11})", "Signal");
  require_malformed(R"({"Signal": {"FaultAddress": "0x10"}})", "Signal.FaultAddress");
  require_malformed(R"({"Modules": [{"Start": "0"}]})", "Modules[0].Start");
  require_malformed(R"({"Warnings": [null]})", "Warnings[0]");
  require_malformed(R"({"CorePath": []})", "CorePath");
  require_malformed(R"({"TriageVersion": true})", "TriageVersion");
}

TEST_CASE("hostile sizes: huge strings are fine, absurd nesting is refused", "[report]") {
  const std::string huge(8 * 1024 * 1024, 'A');
  nlohmann::ordered_json json = {{"CrashLine", huge}, {"Unknown", huge}};
  auto result = parse(json.dump());
  REQUIRE(result.ok());
  CHECK(result->crash_line.size() == huge.size());
  CHECK(result->other["Unknown"].get_ref<const std::string&>().size() == huge.size());

  const std::string deep = "{\"X\": " + std::string(100000, '[') + std::string(100000, ']') + "}";
  require_malformed(deep, "deep");
  // Brackets inside strings do not count.
  auto in_string = parse("{\"X\": \"" + std::string(100000, '[') + "\"}");
  CHECK(in_string.ok());
}

TEST_CASE("gdb_frame_line writes gdb's bt form", "[report]") {
  Frame f;
  f.address = 0x5555555551a9;
  f.function = "main";
  f.file = "/tmp/test.c";
  f.line = 7;
  CHECK(gdb_frame_line(0, f) == "#0  0x00005555555551a9 in main () at /tmp/test.c:7");
  f.column = 5;
  CHECK(gdb_frame_line(0, f) == "#0  0x00005555555551a9 in main () at /tmp/test.c:7:5");

  Frame lib;
  lib.address = 0x7ffff7c3ffb2;
  lib.module = "/lib/x86_64-linux-gnu/libc.so.6";
  lib.module_offset = 0x3ffb2;
  CHECK(gdb_frame_line(2, lib) ==
        "#2  0x00007ffff7c3ffb2 in ?? () from /lib/x86_64-linux-gnu/libc.so.6");
  lib.function = "__GI_raise";
  CHECK(gdb_frame_line(12, lib) ==
        "#12 0x00007ffff7c3ffb2 in __GI_raise () from /lib/x86_64-linux-gnu/libc.so.6");

  Frame cxx;
  cxx.address = 0x401136;
  cxx.function = "parser::Parser::parse(std::vector<int, std::allocator<int> > const&) const";
  cxx.file = "/src/parser.cpp";
  cxx.line = 42;
  CHECK(gdb_frame_line(1, cxx) == "#1  0x00401136 in parser::Parser::parse () at /src/parser.cpp:42");

  Frame bare;
  bare.address = 0xdeadbeef;
  CHECK(gdb_frame_line(3, bare) == "#3  0xdeadbeef in ?? ()");
  bare.file = "/tmp/x.c";  // a file without a line is not a location
  CHECK(gdb_frame_line(3, bare) == "#3  0xdeadbeef in ?? ()");
}

TEST_CASE("a report with bytes that are not UTF-8 is written with replacement characters", "[report]") {
  triage::report::Report report;
  report.proc_cmdline = "./prog \xff\xfe arg";
  report.executable_path = "/tmp/\xc3";
  std::string text = triage::report::to_json_text(report);
  auto json = nlohmann::json::parse(text);
  CHECK(json["ProcCmdline"] == "./prog \xEF\xBF\xBD\xEF\xBF\xBD arg");
  CHECK(json["ExecutablePath"] == "/tmp/\xEF\xBF\xBD");
}

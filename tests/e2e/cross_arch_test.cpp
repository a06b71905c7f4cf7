// End-to-end tests of triage-core on cores of other architectures: the
// committed fixtures of corpus-samples/cross (AArch64, 32-bit ARM in Thumb-2,
// RISC-V 64 and 32, i386; gdb's gcore through qemu-user's gdb stub, and qemu-user's
// own cores without NT_SIGINFO and NT_FILE). Each report must give the class,
// signal, fault address, crash line and first frames that manifest.json says,
// with the architecture's registers, disassembly, maps and command line.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/process.h"
#include "support/test_files.h"
#include "triage/symbols/module_cache.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using triage_test::describe_status;
using triage_test::exit_code;
using triage_test::run_process;

const fs::path kCross = fs::path(TRIAGE_CORPUS_DIR) / "cross";

const json& manifest() {
  static const json parsed = [] {
    std::ifstream in(kCross / "manifest.json");
    return json::parse(in);
  }();
  return parsed;
}

// Whether the cross libc and loader on this machine are the ones the cores
// were made with. Frames inside them (raise, abort, __libc_start_main) and
// unwinding through them depend on it; another version gets a warning, and
// only the checks that don't depend on the libraries.
bool libraries_match(const std::string& arch, std::string* why) {
  static std::map<std::string, std::string> problems;
  auto found = problems.find(arch);
  if (found == problems.end()) {
    std::string problem;
    triage::ModuleCache cache;
    for (const json& library : manifest()["architectures"][arch]["libraries"]) {
      const std::string path = library["path"];
      std::string reason;
      auto file = cache.get(path, &reason);
      if (!file)
        problem += path + ": " + reason + " (install " + library["package"].get<std::string>() + "); ";
      else if (file->build_id() != library["build_id"].get<std::string>())
        problem += path + " is not version " + library["version"].get<std::string>() + " of " +
                   library["package"].get<std::string>() + "; ";
    }
    found = problems.emplace(arch, problem).first;
  }
  *why = found->second;
  return why->empty();
}

// "/src/crashes/dest-av.c:16:22" -> "dest-av.c:16".
std::string file_and_line(const std::string& crash_line) {
  static const std::regex pattern(R"((?:.*/)?([^/:]+):(\d+)(?::\d+)?)");
  std::smatch match;
  if (!std::regex_match(crash_line, match, pattern)) return crash_line;
  return match[1].str() + ":" + match[2].str();
}

struct Analysis {
  triage_test::ProcessResult process;
  json report;
};

Analysis analyze(const json& fixture, triage_test::TempDir& scratch, const std::string& format = "json") {
  const fs::path core = scratch.path() / (fixture["name"].get<std::string>() + ".core");
  if (!fs::exists(core)) {
    auto unpacked = run_process({"zstd", "-dqf", (kCross / fixture["core"].get<std::string>()).string(), "-o",
                                 core.string()});
    INFO("zstd: " << describe_status(unpacked) << " " << unpacked.err);
    REQUIRE(exit_code(unpacked) == 0);
  }
  const std::string arch = fixture["arch"];
  Analysis analysis;
  std::vector<std::string> argv = {TRIAGE_CORE_TOOL, "-f", core.string(), "-e",
                                   (kCross / fixture["binary"].get<std::string>()).string(), "--stdout", "--format",
                                   format};
  // The RV32 programs are static: no libraries, no sysroot.
  const std::string sysroot = manifest()["architectures"][arch].value("sysroot", "");
  if (!sysroot.empty()) argv.insert(argv.end(), {"--sysroot", sysroot});
  analysis.process = run_process(argv);
  INFO(analysis.process.err);
  REQUIRE(exit_code(analysis.process) == 0);
  if (format == "json") analysis.report = json::parse(analysis.process.out);
  return analysis;
}

// Register names each architecture's report must show.
const std::map<std::string, std::vector<std::string>> kRegisters = {
    {"aarch64", {"x0", "x29", "x30", "sp", "pc", "pstate"}},
    {"arm", {"r0", "fp", "sp", "lr", "pc", "cpsr"}},
    {"riscv64", {"pc", "ra", "sp", "s0", "a0", "t6"}},
    {"riscv32", {"pc", "ra", "sp", "s0", "a0", "t6"}},
    {"i386", {"eax", "ebp", "esp", "eip", "eflags"}},
};

}  // namespace

TEST_CASE("cross: every fixture core gives its class, signal, crash line and frames", "[e2e][cross]") {
  triage_test::TempDir scratch("triage-cross");
  size_t checked = 0;
  for (const json& fixture : manifest()["fixtures"]) {
    const std::string name = fixture["name"], arch = fixture["arch"], kind = fixture["kind"];
    INFO("fixture " << name);
    Analysis analysis = analyze(fixture, scratch);
    const json& report = analysis.report;
    INFO("stack: " << report["Stacktrace"].dump(1) << "\nwarnings: " << report["Warnings"].dump(1));

    CHECK(report["Architecture"] == arch);
    CHECK(report["CrashSeverity"]["ShortDescription"] == fixture["class"]);
    CHECK(report["CrashSeverity"]["Type"] == fixture["type"]);
    CHECK(report["Signal"]["Name"] == fixture["signal"]);
    // A known gap (the manifest's triage_gap says why): the frames
    // triage-core gets right are triage_frames, and the crash line may be
    // off when they end before it.
    const bool gap = fixture.contains("triage_gap");
    if (gap) WARN(name << ": known gap: " << fixture["triage_gap"].get<std::string>());
    const json& expected_frames = gap ? fixture["triage_frames"] : fixture["frames"];
    bool crash_line_reached = false;
    for (const json& function : expected_frames)
      crash_line_reached = crash_line_reached || function == fixture["crash_function"];
    if (!gap || crash_line_reached)
      CHECK(file_and_line(report["CrashLine"]) == fixture["crash_line"].get<std::string>());

    // Kernel-like cores carry the fault address; in qemu's own cores it is
    // derived from the faulting instruction (or is the pc) and said to be.
    if (fixture.contains("fault_address")) {
      const uint64_t expected = std::stoull(fixture["fault_address"].get<std::string>(), nullptr, 16);
      REQUIRE(report["Signal"].contains("FaultAddress"));
      CHECK(report["Signal"]["FaultAddress"].get<uint64_t>() == expected);
      CHECK(report["Signal"]["FaultAddressDerived"] == (kind == "qemu"));
    }
    if (fixture.contains("si_code") && kind == "gcore") CHECK(report["Signal"]["Code"] == fixture["si_code"]);
    if (kind == "qemu") {
      bool said = false;
      for (const json& warning : report["Warnings"])
        said = said || warning.get<std::string>().find("link_map") != std::string::npos;
      CHECK(said);
    }

    // The crashing thread's first frames, innermost first; null: no symbol.
    std::string why;
    if (libraries_match(arch, &why)) {
      // Compared as text ("raise abort ?? main") so a failure shows both.
      const json& frames = report["Threads"].at(0)["Frames"];
      std::string got, want;
      for (size_t i = 0; i < expected_frames.size(); ++i) {
        const json& expected = expected_frames[i];
        want += (expected.is_null() ? std::string("??") : expected.get<std::string>()) + " ";
        std::string function = i < frames.size() ? frames[i].value("Function", "") : "(none)";
        got += (function.empty() ? std::string("??") : function) + " ";
      }
      CHECK(got == want);
    } else {
      WARN(name << ": frames not checked: " << why);
    }

    // As complete as an x86-64 report.
    for (const std::string& reg : kRegisters.at(arch)) CHECK(report["Registers"].contains(reg));
    REQUIRE(!report["Disassembly"].empty());
    // Code is readable at pc unless pc is wild, or in qemu's vDSO, which
    // qemu's own cores leave out and no file holds.
    const json& innermost = report["Threads"].at(0)["Frames"].at(0);
    if (fixture["class"] != "SegFaultOnPc" && !innermost.value("Module", "").empty()) {
      bool at_pc = false;
      for (const json& line : report["Disassembly"])
        at_pc = at_pc || (line.get<std::string>().rfind("==> ", 0) == 0 &&
                          line.get<std::string>().find("cannot read") == std::string::npos);
      CHECK(at_pc);
    }
    // The executable's text and data, and the libraries' where it has any.
    const bool is_static = manifest()["architectures"][arch]["libraries"].empty();
    CHECK(report["ProcMaps"].size() >= (is_static ? 2u : 6u));
    CHECK(!report["ProcCmdline"].get<std::string>().empty());
    CHECK(!report["Threads"].empty());
    ++checked;
  }
  CHECK(checked == 82);
}

TEST_CASE("cross: the text report names the architecture's registers and instructions", "[e2e][cross]") {
  triage_test::TempDir scratch("triage-cross-text");
  std::map<std::string, std::string> instruction = {
      {"aarch64", "strb w1, [x0]"}, {"riscv64", "sb"}, {"riscv32", "sb"}, {"arm", "strb"}, {"i386", "mov byte ptr [edx], al"}};
  for (const json& fixture : manifest()["fixtures"]) {
    if (fixture["program"] != "dest-av" || fixture["kind"] != "gcore") continue;
    const std::string arch = fixture["arch"];
    INFO("fixture " << fixture["name"].get<std::string>());
    Analysis analysis = analyze(fixture, scratch, "text");
    const std::string& text = analysis.process.out;
    CHECK(text.find("DestAv") != std::string::npos);
    CHECK(text.find("Crash line:") != std::string::npos);
    CHECK(text.find(", " + arch + ",") != std::string::npos);
    CHECK(text.find(instruction.at(arch)) != std::string::npos);
    CHECK(text.find("  " + kRegisters.at(arch).front() + " ") != std::string::npos);
  }
}

TEST_CASE("cross: a qemu core's library that is not the one the process loaded is flagged", "[e2e][cross]") {
  // qemu-user's cores carry no build-ids; a file of the same architecture but
  // another build (here the loader copied in under libc's name) must be
  // caught by where the process's loader found its dynamic section.
  triage_test::TempDir scratch("triage-cross-sysroot");
  const fs::path sysroot = scratch.path() / "sysroot";
  fs::create_directories(sysroot / "lib");
  fs::copy_file("/usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1", sysroot / "lib" / "ld-linux-aarch64.so.1");
  fs::copy_file("/usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1", sysroot / "lib" / "libc.so.6");
  const fs::path core = scratch.path() / "dest-av.core";
  REQUIRE(exit_code(run_process({"zstd", "-dqf", (kCross / "aarch64/dest-av.qemu.core.zst").string(), "-o",
                                 core.string()})) == 0);
  auto result = run_process({TRIAGE_CORE_TOOL, "-f", core.string(), "-e", (kCross / "aarch64/dest-av").string(),
                             "--sysroot", sysroot.string(), "--stdout"});
  INFO(result.err);
  REQUIRE(exit_code(result) == 0);
  const json report = json::parse(result.out);
  std::string warnings;
  for (const json& warning : report["Warnings"]) warnings += warning.get<std::string>() + "\n";
  INFO(warnings);
  CHECK(warnings.find("libc.so.6 is not the file the process loaded as /lib/libc.so.6") != std::string::npos);
  CHECK(warnings.find("ld-linux-aarch64.so.1 is not the file") == std::string::npos);
  // The executable's own frames are still right.
  CHECK(report["CrashSeverity"]["ShortDescription"] == "DestAv");
  CHECK(file_and_line(report["CrashLine"]) == "dest-av.c:16");
}

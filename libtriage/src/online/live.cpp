// The core goes to an unlinked file in a private mkdtemp folder, removed
// before returning. Open files are read from /proc/PID/fd after the capture
// (the process runs on; a file opened meanwhile may show up).
#include "triage/online/live.h"

#include <signal.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <filesystem>

#include "triage/core/elf_core.h"
#include "triage/run/ptrace_capture.h"

namespace triage::online {
namespace {

std::string hex(uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof text, "0x%" PRIx64, value);
  return text;
}

// 32 bytes each side of every register that points into dumped memory.
nlohmann::ordered_json memory_around_registers(const ProcessSnapshot& snapshot) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  if (!snapshot.arch || !snapshot.memory) return out;
  for (const auto& thread : snapshot.threads) {
    for (size_t i = 0; i < thread.registers.size() && i < snapshot.arch->register_names.size(); ++i) {
      const uint64_t value = thread.registers[i];
      const MemoryRegion* region = snapshot.region_at(value);
      if (!region || !region->readable || !region->contents_present) continue;
      const uint64_t start = std::max(region->start, value >= 32 ? value - 32 : 0);
      std::byte bytes[64];
      const size_t n = snapshot.memory->read_up_to(start, std::span(bytes, std::min<uint64_t>(64, region->end - start)));
      if (n == 0) continue;
      std::string text;
      for (size_t k = 0; k < n; ++k) {
        char b[4];
        std::snprintf(b, sizeof b, "%02x", static_cast<unsigned>(bytes[k]));
        text += (k ? " " : "") + std::string(b);
      }
      out.push_back({{"Thread", thread.tid},
                     {"Register", std::string(snapshot.arch->register_names[i])},
                     {"Value", hex(value)},
                     {"From", hex(start)},
                     {"Bytes", text}});
    }
  }
  return out;
}

nlohmann::ordered_json open_files(pid_t pid) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  std::error_code ec;
  std::vector<std::pair<int, std::string>> files;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
    std::error_code link_ec;
    auto target = std::filesystem::read_symlink(entry.path(), link_ec);
    files.emplace_back(std::atoi(entry.path().filename().c_str()), link_ec ? "?" : target.string());
  }
  std::sort(files.begin(), files.end());
  for (const auto& [fd, target] : files) out.push_back({{"Fd", fd}, {"Target", target}});
  return out;
}

}  // namespace

Result<report::Report> report_live_process(pid_t pid, const CoreAnalyzer& analyzer) {
  if (pid <= 0 || kill(pid, 0) != 0)
    return make_error(ErrorKind::kNotFound, "no process " + std::to_string(pid));
  if (pid == getpid()) return make_error(ErrorKind::kInvalidArgument, "triage-core can't capture itself");
  std::string folder = (std::filesystem::temp_directory_path() / "triage-live-XXXXXX").string();
  if (!mkdtemp(folder.data())) return make_error(ErrorKind::kIo, "cannot make a temporary folder");
  const std::string core = folder + "/core";
  TraceOutcome captured = capture_live_process(pid, core);
  auto cleanup = [&] {
    std::error_code ec;
    std::filesystem::remove_all(folder, ec);
  };
  if (!captured.core_path) {
    cleanup();
    return make_error(ErrorKind::kIo, "no core of process " + std::to_string(pid) + ": " + captured.problem);
  }
  auto snapshot = load_elf_core(core);
  if (!snapshot) {
    cleanup();
    return snapshot.error();
  }
  report::Report report = analyzer.analyze(*snapshot, core);
  report.core_path.clear();  // the temporary core is gone
  // Not a crash: no signal, and no class the classifier would guess from none.
  report.signal.reset();
  report.severity = {"NOT_EXPLOITABLE", "LiveProcess", "A running process",
                     "A snapshot of a process that was running and goes on running; not a crash."};
  std::erase_if(report.warnings, [](const std::string& w) {
    return w.starts_with("no NT_SIGINFO note") || w.starts_with("no signal is recorded");
  });
  report.warnings.insert(report.warnings.begin(), "a live process: every thread was stopped for the capture, then let go");
  for (const auto& note : captured.notes) report.warnings.push_back("capture: " + note);
  report.other["OpenFiles"] = open_files(pid);
  report.other["MemoryAroundRegisters"] = memory_around_registers(*snapshot);
  cleanup();
  return report;
}

}  // namespace triage::online

// triage-core: ELF core dumps -> .casrep reports. Parses options, calls
// libtriage, prints, exits. See docs/triage-core.md.
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>

#include <boost/program_options.hpp>

#include "command_line.h"

#include "triage/analyze/batch.h"
#include "triage/analyze/core_analyzer.h"
#include "triage/online/handler.h"
#include "triage/online/install.h"
#include "triage/online/listing.h"
#include "triage/online/live.h"
#include "triage/util/progress.h"

namespace fs = std::filesystem;
namespace po = boost::program_options;
using namespace triage;

namespace {

// Exit codes (documented in --help and docs/triage-core.md).
constexpr int kExitOk = 0;
constexpr int kExitAnalysisFailed = 1;  // a core could not be analysed (bad input)
constexpr int kExitUsage = 2;           // bad options
constexpr int kExitRules = 3;           // the rules did not load
constexpr int kExitOutput = 4;          // a report could not be written

constexpr const char* kUsage = R"(triage-core: analyse ELF core dumps into CASR-compatible .casrep reports

Usage:
  triage-core -f CORE [-e EXE] (-o FILE.casrep | --stdout) [--format json|text]
  triage-core -i DIR [-e EXE] -o OUTDIR [-j N] [--format json|text]
  triage-core -m online -P %P -p %p -u %u -g %g -s %s -c %c -d %d -t %t [-F %F] -- %E
      (the kernel's core_pattern handler: see docs/online.md)
  triage-core --resume [--spool DIR]     analyse the stored crashes not analysed yet
  triage-core --list [--exe TEXT] [--since TIME] [--until TIME] [--spool DIR]
  triage-core --pid PID (-o FILE.casrep | --stdout) [--format json|text]
  triage-core --install|--uninstall [--apply] [--spool DIR]

Exit codes:
  0  every core was analysed and every report written
  1  a core could not be analysed (not a core, malformed, cut short in its
     headers or notes); the others in a batch are still written. A core cut
     short in its memory is analysed, with a warning
  2  bad options
  3  the rules (classes, frame filters) did not load
  4  a report could not be written

Options)";

struct OnlineOptions {
  std::string mode = "offline";
  online::KernelArgs kernel;
  std::vector<std::string> executable_words;  // %E, after --
  online::HandlerConfig handler;
  uint64_t max_total_mib = 2048, min_free_mib = 1024, analysis_memory_mib = 4096;
  unsigned analysis_cpu_seconds = 60, analysis_timeout = 120;
  bool resume = false, no_compress = false, foreground = false, stop_before_analysis = false;
  bool list = false, install = false, uninstall = false, apply = false;
  std::string exe_filter, since, until, proc_sys = "/proc/sys";
  pid_t live_pid = 0;
};

struct Options {
  std::string core, input_dir, executable, output, format = "json", rules_dir, color = "auto";
  std::vector<std::string> rules, debug_dirs;
  std::string sysroot;
  bool to_stdout = false;
  bool system_sources = false;
  size_t jobs = 0;
  size_t max_frames = 2000;
};

std::string render(const report::Report& report, const std::string& format, bool color) {
  if (format == "text") return report::to_text(report, {.color = color});
  return report::to_json_text(report);
}

bool write_file(const fs::path& path, const std::string& text, std::string* why) {
  fs::path temporary = path;
  temporary += ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) {
      *why = "cannot write " + temporary.string() + ": " + std::strerror(errno);
      return false;
    }
  }
  std::error_code error;
  fs::rename(temporary, path, error);
  if (error) *why = "cannot write " + path.string() + ": " + error.message();
  return !error;
}

int write_report(const Result<report::Report>& result, const Options& options) {
  if (!result) {
    std::cerr << "triage-core: " << result.error().message << "\n";
    return kExitAnalysisFailed;
  }
  bool color = options.color == "always" || (options.color == "auto" && options.to_stdout && isatty(STDOUT_FILENO));
  std::string text = render(*result, options.format, color);
  if (options.to_stdout) {
    std::cout << text << std::flush;
    return std::cout ? kExitOk : kExitOutput;
  }
  std::string why;
  if (!write_file(options.output, text, &why)) {
    std::cerr << "triage-core: " << why << "\n";
    return kExitOutput;
  }
  return kExitOk;
}

int analyse_one(const CoreAnalyzer& analyzer, const Options& options) {
  return write_report(analyzer.analyze_file(options.core), options);
}

int analyse_live(const CoreAnalyzer& analyzer, const Options& options, pid_t pid) {
  return write_report(online::report_live_process(pid, analyzer), options);
}

int analyse_folder(const CoreAnalyzer& analyzer, const Options& options) {
  std::error_code error;
  if (!fs::is_directory(options.input_dir, error)) {
    std::cerr << "triage-core: " << options.input_dir << ": not a directory\n";
    return kExitAnalysisFailed;
  }
  std::vector<std::string> cores;
  size_t skipped = 0;
  for (const auto& entry : fs::directory_iterator(options.input_dir, error)) {
    if (!entry.is_regular_file()) continue;
    if (looks_like_core(entry.path().string())) cores.push_back(entry.path().string());
    else ++skipped;
  }
  if (error) {
    std::cerr << "triage-core: cannot list " << options.input_dir << ": " << error.message() << "\n";
    return kExitAnalysisFailed;
  }
  std::sort(cores.begin(), cores.end());
  if (cores.empty()) {
    std::cerr << "triage-core: no ELF core dumps in " << options.input_dir << " (" << skipped
              << " other files)\n";
    return kExitAnalysisFailed;
  }
  fs::create_directories(options.output, error);
  if (error) {
    std::cerr << "triage-core: cannot create " << options.output << ": " << error.message() << "\n";
    return kExitOutput;
  }

  Progress progress(cores.size(), "analysing cores");
  std::atomic<size_t> failed = 0, unwritten = 0;
  std::mutex errors_mutex;
  analyze_in_parallel(analyzer, cores, options.jobs, [&](const std::string& path, Result<report::Report>& result) {
    fs::path out = fs::path(options.output) / (fs::path(path).filename().string() + ".casrep");
    std::string why;
    bool ok = result.ok();
    if (!ok) {
      ++failed;
      why = result.error().message;
    } else if (!write_file(out, render(*result, "json", false), &why) ||
               (options.format == "text" &&
                !write_file(fs::path(out).replace_extension(".txt"), render(*result, "text", false), &why))) {
      ++unwritten;
      ok = false;
    }
    if (!ok) {
      std::lock_guard lock(errors_mutex);
      std::cerr << "\r\033[Ktriage-core: " << why << "\n";
    }
    progress.step(failed + unwritten ? std::to_string(failed + unwritten) + " failed" : "");
  });
  progress.finish();
  std::cerr << "triage-core: " << cores.size() - failed - unwritten << " of " << cores.size()
            << " cores analysed into " << options.output;
  if (skipped) std::cerr << " (" << skipped << " files that are not cores skipped)";
  std::cerr << "\n";
  if (unwritten) return kExitOutput;
  return failed ? kExitAnalysisFailed : kExitOk;
}

void apply_online_settings(OnlineOptions& online) {
  auto& config = online.handler;
  config.quota.max_total_bytes = online.max_total_mib << 20;
  config.quota.min_free_bytes = online.min_free_mib << 20;
  config.compress = !online.no_compress;
  config.analysis_config.limits.address_space_bytes = online.analysis_memory_mib << 20;
  config.analysis_config.limits.cpu_seconds = online.analysis_cpu_seconds;
  config.analysis_config.limits.wall = std::chrono::seconds(online.analysis_timeout);
  config.analysis_config.stop_before_analysis = online.stop_before_analysis;
  if (online.foreground) config.analysis = online::AnalysisMode::kForeground;
}

// The core_pattern handler: no stderr from here on, everything is logged.
int handle_crash(OnlineOptions& online, int core_fd) {
  std::string executable;
  for (const auto& word : online.executable_words) executable += (executable.empty() ? "" : " ") + word;
  std::replace(executable.begin(), executable.end(), '!', '/');  // %E writes '/' as '!'
  online.kernel.executable = executable;
  return online::run_handler(online.kernel, core_fd, online.handler);
}

int resume(const OnlineOptions& online, const std::string& rules_dir) {
  auto spool = online::Spool::open(online::spool_folder(online.handler.spool), false);
  if (!spool) {
    std::cerr << "triage-core: " << spool.error().message << "\n";
    return kExitAnalysisFailed;
  }
  auto rules = load_rules(rules_dir.empty() ? default_rules_dir() : rules_dir, {});
  if (!rules) {
    std::cerr << "triage-core: " << rules.error().message << "\n";
    return kExitRules;
  }
  auto summary = online::resume_crashes(*spool, *rules, online.handler.analysis_config);
  std::cout << "triage-core: " << summary.analysed.size() << " analysed, " << summary.failed.size() << " failed, "
            << summary.busy.size() << " in use by another triage-core\n";
  for (const auto& name : summary.failed) std::cout << "  failed: " << name << "\n";
  return summary.failed.empty() ? kExitOk : kExitAnalysisFailed;
}

int list(const OnlineOptions& online) {
  auto spool = online::Spool::open(online::spool_folder(online.handler.spool), false);
  if (!spool) {
    std::cerr << "triage-core: " << spool.error().message << "\n";
    return kExitAnalysisFailed;
  }
  online::ListFilter filter;
  filter.executable = online.exe_filter;
  const int64_t now = time(nullptr);
  for (auto [text, bound] : {std::pair{&online.since, &filter.since}, std::pair{&online.until, &filter.until}}) {
    if (text->empty()) continue;
    auto parsed = online::parse_time(*text, now);
    if (!parsed) {
      std::cerr << "triage-core: " << parsed.error().message << "\n";
      return kExitUsage;
    }
    *bound = *parsed;
  }
  std::cout << online::format_crash_table(online::list_crashes(*spool, filter)) << std::flush;
  return kExitOk;
}

int install(const OnlineOptions& online) {
  online::InstallOptions install;
  std::error_code error;
  install.executable = fs::canonical("/proc/self/exe", error).string();
  install.spool = online.handler.spool;
  install.proc_sys = online.proc_sys;
  install.apply = online.apply;
  auto done = online.install ? online::install_handler(install) : online::uninstall_handler(install);
  if (!done) {
    std::cerr << "triage-core: " << done.error().message << "\n";
    return done.error().kind == ErrorKind::kInvalidArgument ? kExitUsage : kExitOutput;
  }
  std::cout << *done << std::flush;
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  // In online mode the kernel gives us the core on stdin and nothing on
  // stdout/stderr: move stdin away and silence 0-2 before anything else.
  const bool online_mode = [&] {
    for (int i = 1; i < argc; ++i) {
      if (std::strcmp(argv[i], "--") == 0) break;
      if (std::strcmp(argv[i], "--mode=online") == 0 || std::strcmp(argv[i], "-monline") == 0) return true;
      if ((std::strcmp(argv[i], "-m") == 0 || std::strcmp(argv[i], "--mode") == 0) && i + 1 < argc &&
          std::strcmp(argv[i + 1], "online") == 0)
        return true;
    }
    return false;
  }();
  const int core_fd = online_mode ? online::take_core_input() : -1;

  Options options;
  OnlineOptions online;
  po::options_description description(kUsage);
  triage_tools::add_common_options(description);
  description.add_options()
      ("file,f", po::value(&options.core), "the core dump to analyse")
      ("input,i", po::value(&options.input_dir), "a folder of core dumps to analyse in parallel")
      ("executable,e", po::value(&options.executable),
       "the crashed program, if not at the path the core names")
      ("output,o", po::value(&options.output), "the report file (-f) or the folder of reports (-i)")
      ("stdout", po::bool_switch(&options.to_stdout), "print the report instead of writing a file (-f)")
      ("format", po::value(&options.format), "json (a .casrep, default) or text (for people; with -i, "
                                             "a .txt beside each .casrep)")
      ("color", po::value(&options.color), "auto, always or never: colour in the text report")
      ("jobs,j", po::value(&options.jobs), "analyses at once with -i (default: one per CPU)")
      ("sysroot", po::value(&options.sysroot), "look for the libraries the core names under this folder")
      ("debug-dir", po::value(&options.debug_dirs), "a folder of separate debug files (repeatable)")
      ("rules", po::value(&options.rules), "a rules file of your own: classes, frame filters (repeatable)")
      ("rules-dir", po::value(&options.rules_dir), "the folder of built-in rules (default: installed ones)")
      ("max-frames", po::value(&options.max_frames), "frames unwound for the crashing thread at most (default 2000; other threads 256)")
      ("system-sources", po::bool_switch(&options.system_sources),
       "source lines for runtime libraries (libc, libstdc++, ...) too; slower");
  po::options_description online_options("Online mode (docs/online.md)");
  online_options.add_options()
      ("mode,m", po::value(&online.mode), "offline (default) or online: the kernel's core_pattern handler")
      (",P", po::value(&online.kernel.pid), "%P: the pid in the initial namespace")
      (",p", po::value(&online.kernel.pid_in_namespace), "%p: the pid in its own namespace")
      (",u", po::value(&online.kernel.uid), "%u: the real uid")
      (",g", po::value(&online.kernel.gid), "%g: the real gid")
      (",s", po::value(&online.kernel.signal), "%s: the signal")
      (",c", po::value(&online.kernel.core_limit), "%c: the process's RLIMIT_CORE")
      (",d", po::value(&online.kernel.dump_mode), "%d: the dump mode (1 user, 2 privileged)")
      (",t", po::value(&online.kernel.time), "%t: the time of the dump")
      (",F", po::value(&online.kernel.pidfd), "%F: a pidfd of the process (kernels that have it)")
      ("spool", po::value(&online.handler.spool), "where crashes are stored (default /var/crash)")
      ("resume", po::bool_switch(&online.resume), "analyse every stored crash not analysed yet")
      ("list", po::bool_switch(&online.list), "show the stored crashes")
      ("exe", po::value(&online.exe_filter), "with --list: only crashes of executables whose path holds this")
      ("since", po::value(&online.since), "with --list: crashes at or after TIME (epoch seconds, 2026-11-23[T10:00], or an age: 30m, 2h, 7d)")
      ("until", po::value(&online.until), "with --list: crashes before TIME")
      ("pid", po::value(&online.live_pid), "report on a live process, which goes on running (stacks, registers, open files, memory)")
      ("install", po::bool_switch(&online.install), "show (with --apply: set) kernel.core_pattern for online mode")
      ("uninstall", po::bool_switch(&online.uninstall), "show (with --apply: restore) the settings --install replaced")
      ("apply", po::bool_switch(&online.apply), "with --install/--uninstall: write the settings (as root)")
      ("max-core-size", po::value(&online.handler.max_core_bytes), "bytes of a core kept at most (default 2 GiB)")
      ("max-spool-size", po::value(&online.max_total_mib), "MiB stored in all at most, oldest removed first (default 2048)")
      ("max-per-user", po::value(&online.handler.quota.max_crashes_per_user), "crashes kept per user (default 32)")
      ("max-crashes", po::value(&online.handler.quota.max_crashes), "crashes kept in all (default 512)")
      ("min-free", po::value(&online.min_free_mib), "MiB left free on the spool's file system (default 1024)")
      ("no-compress", po::bool_switch(&online.no_compress), "store cores plain (sparse) instead of zstd")
      ("analysis-timeout", po::value(&online.analysis_timeout), "seconds an analysis may take (default 120)")
      ("analysis-memory", po::value(&online.analysis_memory_mib), "MiB of address space for an analysis, besides the core (default 4096)");
  description.add(online_options);
  po::options_description hidden;
  hidden.add_options()
      ("executable-words", po::value(&online.executable_words), "%E, after --")
      ("foreground", po::bool_switch(&online.foreground), "analyse before exiting (tests)")
      ("test-stop-before-analysis", po::bool_switch(&online.stop_before_analysis), "tests only")
      ("proc-sys", po::value(&online.proc_sys), "the /proc/sys that --install writes (tests)");
  po::positional_options_description positional;
  positional.add("executable-words", -1);

  po::variables_map vm;
  if (online_mode) {
    // A bad command line can only be logged.
    std::ostringstream ignored;
    auto* saved = std::cerr.rdbuf(ignored.rdbuf());
    auto done = triage_tools::parse_command_line(argc, argv, "triage-core", description, vm, &hidden, &positional);
    std::cerr.rdbuf(saved);
    if (done) {
      // The options were not stored: find --spool by hand for the log.
      std::string spool = online.handler.spool;
      for (int i = 1; i + 1 < argc && std::strcmp(argv[i], "--") != 0; ++i)
        if (std::strcmp(argv[i], "--spool") == 0) spool = argv[i + 1];
      std::string message = ignored.str();
      while (!message.empty() && message.back() == '\n') message.pop_back();
      online::log_handler_failure(spool, message);
      return kExitUsage;
    }
    apply_online_settings(online);
    return handle_crash(online, core_fd);
  }
  if (auto done = triage_tools::parse_command_line(argc, argv, "triage-core", description, vm, &hidden, &positional))
    return *done;
  if (online.mode != "offline") {
    std::cerr << "triage-core: -m is offline or online (see triage-core --help)\n";
    return kExitUsage;
  }
  auto usage_error = [](const std::string& message) {
    std::cerr << "triage-core: " << message << " (see triage-core --help)\n";
    return kExitUsage;
  };
  apply_online_settings(online);
  if (!online.executable_words.empty()) return usage_error("unexpected words: " + online.executable_words.front());
  if (online.resume + online.list + online.install + online.uninstall + (online.live_pid != 0) > 1)
    return usage_error("give one of --resume, --list, --install, --uninstall, --pid");
  if (online.apply && !online.install && !online.uninstall) return usage_error("--apply goes with --install or --uninstall");
  if (online.resume) return resume(online, options.rules_dir);
  if (online.list) return list(online);
  if (online.install || online.uninstall) return install(online);
  const bool live = online.live_pid != 0;
  if (live && !(options.core.empty() && options.input_dir.empty()))
    return usage_error("--pid takes no -f or -i");
  if (live && options.output.empty() != options.to_stdout) return usage_error("with --pid, give one of -o FILE or --stdout");
  if (!live && options.core.empty() == options.input_dir.empty()) return usage_error("give one of -f CORE or -i DIR");
  if (!options.core.empty() && options.output.empty() != options.to_stdout)
    return usage_error("with -f, give one of -o FILE or --stdout");
  if (!options.input_dir.empty() && (options.output.empty() || options.to_stdout))
    return usage_error("with -i, give -o OUTDIR (reports are written there, one per core)");
  if (options.format != "json" && options.format != "text") return usage_error("--format is json or text");
  if (options.color != "auto" && options.color != "always" && options.color != "never")
    return usage_error("--color is auto, always or never");
  if (options.max_frames == 0) return usage_error("--max-frames must be at least 1");
  if (!options.executable.empty() && access(options.executable.c_str(), R_OK) != 0)
    return usage_error("-e " + options.executable + ": " + std::strerror(errno));

  auto rules = load_rules(options.rules_dir.empty() ? default_rules_dir() : options.rules_dir, options.rules);
  if (!rules) {
    std::cerr << "triage-core: " << rules.error().message << "\n";
    return kExitRules;
  }
  AnalysisOptions analysis;
  analysis.executable = options.executable;
  analysis.search = {options.sysroot, options.debug_dirs};
  analysis.unwind.max_frames = options.max_frames;
  analysis.system_sources = options.system_sources;
  CoreAnalyzer analyzer(*rules, analysis);
  if (live) return analyse_live(analyzer, options, online.live_pid);
  return options.core.empty() ? analyse_folder(analyzer, options) : analyse_one(analyzer, options);
}

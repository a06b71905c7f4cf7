#!/usr/bin/env python3
"""triage-run against the peers' method (gdb running each input), on the sample campaign, in one run.

The sample fuzz campaign (corpus-samples/fuzz-target/inputs, an AFL++ output folder:
60 crash inputs in default/crashes, 2 hangs in default/hangs) is triaged two ways:

  ours      triage-run -i INPUTS -o OUT -j JOBS -t T -- TARGET @@
  gdb       what casr-gdb and crashwalk do: for every input,
              timeout -s KILL T gdb -batch -nx -q -ex run -ex 'bt 2000' -ex 'p/x $_siginfo'
                -ex 'info proc mappings' -ex 'i r' -ex 'x/64bx $pc' -ex 'x/16i $pc'
                --args TARGET INPUT
            JOBS at a time (the same parallelism as -j), gdb's stdout captured (what a
            peer parses). The command set is bench_core.py's GDB_COMMANDS, run after `run`.

Two measurements, each side by side in every repeat (ours, then gdb):
  crashes   the 60 crash inputs alone (-i .../default/crashes), T = --crash-timeout
            (10 s, triage-run's default, so that no gdb run is cut short): the analysis work.
  campaign  the whole campaign with its 2 hangs, T = --hang-timeout (1 s) for both: both
            sides wait T for each hang, JOBS hangs at a time.

End-to-end wall time (median of --repeat) and peak RSS of one process (os.wait4, which
covers the process and the children it reaped: triage-run and its targets; timeout, gdb
and its inferior). Ratio = gdb time / ours.

Where triage-run's time goes, measured in the same repeats on the crash inputs: the target
run on every input JOBS at a time without a core (RLIMIT_CORE 0) and with the kernel's
core (the floor of any core-based tool), and `triage-core -i CORES -j JOBS` on those cores
(analysis and reports alone). With --profile, one more triage-run on the crash inputs runs
under `perf record -g`, and its CPU samples are split by what they were doing.

Checks: both found a crash for every crash input (ours: the status in summary.json
`inputs`; gdb: "Program received signal" or "Program terminated with signal" in its
stdout), every hang timed out on both sides, and triage-run's clusters against the 11
true bugs of corpus-samples/fuzz-target/expected-bugs.tsv.

Usage: bench/bench_run.py [--build build] [--jobs 2] [--repeat 3] [--profile]
                          [--crash-timeout 10] [--hang-timeout 1] [--work /tmp/triage-bench/run]
Prints a table and writes bench/results/run.md. Needs kernel.core_pattern to be a plain
file name (`core`), as the tests do.
"""
import argparse
import atexit
import collections
import concurrent.futures
import csv
import datetime
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from bench_core import GDB_COMMANDS  # noqa: E402  (the same command set as the core benchmark)

CAMPAIGN = "corpus-samples/fuzz-target/inputs"
CRASHES = CAMPAIGN + "/default/crashes"
HANGS = CAMPAIGN + "/default/hangs"
EXPECTED = "corpus-samples/fuzz-target/expected-bugs.tsv"
GDB_CRASHED = (b"Program received signal", b"Program terminated with signal")
OURS = "triage-run, end to end"
BARE_RUNS = "the runs, no core"
CORE_RUNS = "the runs with the kernel's cores"
CORE_ANALYSIS = "triage-core -i on those cores"


def wait_rusage(proc):
    """Waits for proc; returns (exit code, peak RSS in KiB, CPU seconds), each of it and its reaped children."""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_maxrss, usage.ru_utime + usage.ru_stime


def timed(argv, what):
    """Runs argv; returns (wall s, peak RSS KiB, CPU s)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = proc.stderr.read()
    status, rss, cpu = wait_rusage(proc)
    seconds = time.perf_counter() - start
    if status != 0:
        sys.exit(f"bench: {what} {' '.join(argv)} failed with status {status}:\n{err.decode(errors='replace')}")
    return seconds, rss, cpu


def ours_argv(tool, inputs, out, jobs, timeout, target):
    return [tool, "-i", inputs, "-o", out, "-j", str(jobs), "-t", str(timeout), "--", target, "@@"]


def run_ours(tool, inputs, out, jobs, timeout, target):
    shutil.rmtree(out, ignore_errors=True)
    seconds, rss, cpu = timed(ours_argv(tool, inputs, out, jobs, timeout, target), "triage-run")
    with open(os.path.join(out, "summary.json")) as f:
        summary = json.load(f)
    return seconds, rss, cpu, summary


def gdb_argv(target, path, timeout):
    argv = ["timeout", "-s", "KILL", str(timeout), "gdb", "-batch", "-nx", "-q", "-ex", "run"]
    for command in GDB_COMMANDS:
        argv += ["-ex", command]
    return argv + ["--args", target, path]


def run_gdb_one(target, path, timeout):
    start = time.perf_counter()
    proc = subprocess.Popen(gdb_argv(target, path, timeout), cwd=ROOT, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = proc.stdout.read()
    proc.stdout.close()
    status, rss, _ = wait_rusage(proc)
    return path, time.perf_counter() - start, rss, status, out


def run_gdb(target, paths, jobs, timeout):
    """Every input under gdb, JOBS at a time; returns (wall s, peak RSS KiB, {path: (s, status, out)})."""
    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        results = list(pool.map(lambda p: run_gdb_one(target, p, timeout), paths))
    seconds = time.perf_counter() - start
    return seconds, max(r[2] for r in results), {r[0]: (r[1], r[3], r[4]) for r in results}


def scratch_base():
    """Where triage-run makes its runs' folders and cores (campaign.cpp, scratch_base)."""
    if os.environ.get("TMPDIR"):
        return os.environ["TMPDIR"]
    try:
        space = os.statvfs("/dev/shm")
        if os.access("/dev/shm", os.W_OK) and space.f_bavail * space.f_frsize >= 4 << 30:
            return "/dev/shm"
    except OSError:
        pass
    return "/tmp"


def run_bare(target, paths, jobs, work, cores):
    """The target on every input, JOBS at a time, each in its own folder, stdout and stderr
    discarded; with cores, the kernel's core is moved to WORK/cores/N.core.
    Returns (wall s, the targets' CPU s: their own and the kernel's on their behalf)."""
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(os.path.join(work, "cores"))
    soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
    resource.setrlimit(resource.RLIMIT_CORE, (hard if cores else 0, hard))  # inherited by the targets

    def one(index):
        folder = os.path.join(work, str(index))
        os.mkdir(folder)
        proc = subprocess.Popen([target, os.path.join(ROOT, paths[index])], cwd=folder, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        status, _, cpu = wait_rusage(proc)
        if cores:
            os.rename(os.path.join(folder, "core"), os.path.join(work, "cores", f"{index}.core"))
        os.rmdir(folder)
        return status, cpu

    try:
        start = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
            results = list(pool.map(one, range(len(paths))))
        seconds = time.perf_counter() - start
    finally:
        resource.setrlimit(resource.RLIMIT_CORE, (soft, hard))
    if any(status >= 0 for status, _ in results):
        sys.exit("bench: the target did not crash on every crash input")
    return seconds, sum(cpu for _, cpu in results)


def files(folder):
    return sorted(os.path.join(folder, name) for name in os.listdir(os.path.join(ROOT, folder))
                  if not name.startswith("."))


def check_ours(summary, crash_paths, hang_paths):
    status = {os.path.normpath(i["input"]): i["status"] for i in summary["inputs"]}
    missed = [p for p in crash_paths if status.get(os.path.normpath(p)) != "crash"]
    hangs_missed = [p for p in hang_paths if status.get(os.path.normpath(p)) != "timeout"]
    return missed, hangs_missed


def check_gdb(results, crash_paths, hang_paths):
    missed = [p for p in crash_paths if not any(s in results[p][2] for s in GDB_CRASHED)]
    # Killed at T: timeout -s KILL kills its whole process group, itself included (-9).
    killed = lambda p: results[p][1] in (-9, 137, 124)  # noqa: E731
    hangs_missed = [p for p in hang_paths if not killed(p)]
    cut = [p for p in crash_paths if killed(p)]  # crash inputs whose gdb run T cut short
    return missed, hangs_missed, cut


def clusters_vs_bugs(summary):
    truth = {}
    with open(os.path.join(ROOT, EXPECTED)) as f:
        for row in csv.DictReader(f, delimiter="\t"):
            truth[row["input"]] = row["bug"]
    bugs_of = collections.defaultdict(set)      # cluster -> bugs
    clusters_of = collections.defaultdict(set)  # bug -> clusters
    for entry in summary["inputs"]:
        name = os.path.basename(entry["input"])
        if name in truth and entry.get("cluster") is not None:
            bugs_of[entry["cluster"]].add(truth[name])
            clusters_of[truth[name]].add(entry["cluster"])
    unclustered = sorted(set(truth) - {os.path.basename(e["input"]) for e in summary["inputs"]
                                       if e.get("cluster") is not None})
    mixed = {c: sorted(b) for c, b in bugs_of.items() if len(b) > 1}
    split = {b: sorted(c) for b, c in clusters_of.items() if len(c) > 1}
    return len(set(truth.values())), len(summary["clusters"]), mixed, split, unclustered


# What a CPU sample was doing, from its call chain (kernel chains are whole; user chains,
# without frame pointers, often stop at the leaf, so user samples also go by their module).
PROFILE_RULES = [
    ("target: the kernel writes its core", lambda c, ch, dso: "vfs_coredump" in ch),
    ("target: exec, ld.so, its own code, exit", lambda c, ch, dso: c == "target"),
    ("triage-run starting a run: fork / vfork", lambda c, ch, dso: any(
        k in ch for k in ("copy_process", "_Fork", "kernel_clone"))),
    ("triage-run starting a run: exec in the child", lambda c, ch, dso: "execve" in ch),
    ("file system: making files and folders", lambda c, ch, dso: any(
        k in ch for k in ("__ext4_new_inode", "shmem_get_inode", "do_mkdirat"))),
    ("file system: removing files and folders", lambda c, ch, dso: any(
        k in ch for k in ("do_unlinkat", "do_rmdir", "evict"))),
    ("kernel, other (page faults, reads, waits)", lambda c, ch, dso: dso == "[kernel.kallsyms]"),
    ("triage-run's own code (analysis, JSON, clustering)", lambda c, ch, dso: "triage-run" in dso),
    ("libdw / libelf (symbols, CFI, lines)", lambda c, ch, dso: "libdw" in dso or "libelf" in dso),
    ("libc (malloc, memcpy, regex, ...)", lambda c, ch, dso: "libc.so" in dso),
    ("ld.so (triage-run's start)", lambda c, ch, dso: "ld-linux" in dso),
    ("other libraries (libstdc++, Capstone, TBB, ...)", lambda c, ch, dso: True),
]


def profile(tool, target, jobs, timeout, work):
    """One triage-run on the crash inputs under perf record -g; returns (table lines, seconds) or an error."""
    if not shutil.which("perf"):
        return ["perf is not installed: no profile."], None
    data = os.path.join(work, "perf.data")
    out = os.path.join(work, "ours-profile")
    shutil.rmtree(out, ignore_errors=True)
    record = subprocess.run(["perf", "record", "-F", "2999", "-g", "-o", data, "--"]
                            + ours_argv(tool, CRASHES, out, jobs, timeout, target), cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if record.returncode != 0:
        return [f"perf record failed: {record.stderr.strip()[-300:]}"], None
    script = subprocess.run(["perf", "script", "-i", data, "-F", "comm,tid,time,ip,sym,dso"], capture_output=True,
                            text=True, errors="replace")
    counts, first, last = collections.Counter(), None, None
    for block in script.stdout.split("\n\n"):
        lines = [line for line in block.strip().split("\n") if line.strip()]
        if len(lines) < 2:
            continue
        head = lines[0].split()
        comm, stamp = head[0], float(head[-1].rstrip(":"))
        first = stamp if first is None else min(first, stamp)
        last = stamp if last is None else max(last, stamp)
        chain = "\n".join(lines[1:])
        dso = lines[1].rsplit("(", 1)[-1].rstrip(")")
        for name, rule in PROFILE_RULES:
            if rule(comm, chain, dso):
                counts[name] += 1
                break
    total = sum(counts.values())
    if not total:
        return ["perf recorded no samples."], None
    table = ["| where | CPU samples | share | CPU ms (at 2999 Hz) |", "|---|---|---|---|"]
    for name, _ in PROFILE_RULES:
        if counts[name]:
            table.append(f"| {name} | {counts[name]} | {100 * counts[name] / total:.0f}% | "
                         f"{counts[name] / 2999 * 1000:.0f} |")
    table.append(f"| total | {total} | 100% | {total / 2999 * 1000:.0f} |")
    return table, last - first


def machine():
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip() or "unknown"
    dirty = subprocess.run(["git", "-C", ROOT, "diff", "--quiet", "HEAD", "--"], capture_output=True).returncode
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    gdb = subprocess.run(["gdb", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    return (f"{os.cpu_count()} CPUs ({model}), {date}; commit {commit}"
            f"{' with uncommitted changes' if dirty else ''}; {gdb}")


def hang_verdict(ours, gdb, floor):
    """What the campaign ratio says about the issue's "at least 20 times faster end to end"."""
    if gdb / ours >= 20:
        return "The issue's \"at least 20 times faster end to end\" is met on the whole campaign. "
    verdict = ("So the issue's \"at least 20 times faster end to end\" is **not met** on the whole campaign "
               "with its hangs: ")
    if gdb / floor < 20:
        return verdict + ("it cannot be on this campaign at this T whatever our speed, since the timeout "
                          "both sides wait alone is more than a twentieth of gdb's time. ")
    return verdict + (f"it would take triage-run finishing within {gdb / 20 - floor:.2f} s beyond the wait "
                      f"(it takes {ours - floor:.2f} s), i.e. the timeout both sides wait is nearly all of the "
                      "budget; the cause is that wait, not our code. ")


def build_type(build):
    try:
        with open(os.path.join(build, "CMakeCache.txt")) as f:
            for line in f:
                if line.startswith("CMAKE_BUILD_TYPE:"):
                    return line.split("=", 1)[1].strip() or "no build type"
    except OSError:
        pass
    return "build type unknown"


def loadavg():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--crash-timeout", type=float, default=10)
    parser.add_argument("--hang-timeout", type=float, default=1)
    parser.add_argument("--profile", action="store_true", help="also profile one triage-run with perf")
    parser.add_argument("--work", default="/tmp/triage-bench/run")
    args = parser.parse_args()
    build = os.path.abspath(args.build)
    tool = os.path.join(build, "tools/triage-run/triage-run")
    core_tool = os.path.join(build, "tools/triage-core/triage-core")
    target = os.path.join(build, "corpus-samples/fuzz-target/target")
    for path in (tool, core_tool, target):
        if not os.access(path, os.X_OK):
            sys.exit(f"bench: {path} not found: build first (nice ninja -C build triage-run triage-core target)")
    for program in ("gdb", "timeout"):
        if not shutil.which(program):
            sys.exit(f"bench: {program} not found: it is the baseline (apt-get install gdb coreutils)")
    with open("/proc/sys/kernel/core_pattern") as f:
        if f.read().strip() != "core":
            sys.exit("bench: kernel.core_pattern must be `core` (sysctl -w kernel.core_pattern=core)")
    os.makedirs(args.work, exist_ok=True)
    # Copies of the tools, so that a rebuild during the run can't swap or break them midway
    # (their rules are found in the source tree, as for the build's own binaries).
    built = datetime.datetime.fromtimestamp(os.path.getmtime(tool), datetime.timezone.utc).strftime("%H:%M UTC")
    os.makedirs(os.path.join(args.work, "bin"), exist_ok=True)
    tool, core_tool = (shutil.copy2(path, os.path.join(args.work, "bin", os.path.basename(path)))
                       for path in (tool, core_tool))
    bare_base = tempfile.mkdtemp(prefix="bench-run.", dir=scratch_base())
    atexit.register(shutil.rmtree, bare_base, True)
    crash_paths, hang_paths = files(CRASHES), files(HANGS)
    fmt = lambda t: f"{t:g}"  # noqa: E731
    tc, th = fmt(args.crash_timeout), fmt(args.hang_timeout)

    measures = [("crashes", CRASHES, crash_paths, [], tc),
                ("campaign", CAMPAIGN, crash_paths + hang_paths, hang_paths, th)]
    rows, checks, load, gdb_slowest = {}, [], [loadavg()], {}
    parts = collections.defaultdict(list)  # the breakdown of our time, on the crash inputs
    for name, inputs, paths, hangs, timeout in measures:
        ours_t, gdb_t, ours_rss, gdb_rss = [], [], 0, 0
        for rep in range(args.repeat):
            seconds, rss, cpu, summary = run_ours(tool, inputs, os.path.join(args.work, f"ours-{name}"), args.jobs,
                                             timeout, target)
            ours_t.append(seconds)
            ours_rss = max(ours_rss, rss)
            gseconds, grss, results = run_gdb(target, paths, args.jobs, timeout)
            gdb_t.append(gseconds)
            gdb_rss = max(gdb_rss, grss)
            crashes = [p for p in paths if p not in hangs]
            ours_missed, ours_hangs = check_ours(summary, crashes, hangs)
            gdb_missed, gdb_hangs, gdb_cut = check_gdb(results, crashes, hangs)
            checks.append((name, rep + 1, len(crashes), ours_missed, gdb_missed, len(hangs), ours_hangs, gdb_hangs,
                           gdb_cut))
            slow = max(crashes, key=lambda p: results[p][0])
            gdb_slowest[name] = max(gdb_slowest.get(name, (0, "")), (results[slow][0], os.path.basename(slow)))
            line = f"{name} #{rep + 1}: triage-run {seconds:.2f} s, gdb {gseconds:.2f} s ({gseconds / seconds:.1f}x)"
            if name == "crashes":
                parts[OURS].append((seconds, cpu))
                bare = os.path.join(bare_base, "bare")
                parts[BARE_RUNS].append(run_bare(target, crash_paths, args.jobs, bare, cores=False))
                parts[CORE_RUNS].append(run_bare(target, crash_paths, args.jobs, bare, cores=True))
                reports = os.path.join(args.work, "core-reports")
                shutil.rmtree(reports, ignore_errors=True)
                wall, _, core_cpu = timed(
                    [core_tool, "-i", os.path.join(bare, "cores"), "-e", target, "-o", reports, "-j", str(args.jobs)],
                    "triage-core")
                parts[CORE_ANALYSIS].append((wall, core_cpu))
                shutil.rmtree(bare, ignore_errors=True)
                line += "; " + ", ".join(f"{k} {v[-1][0]:.2f} s, CPU {v[-1][1]:.2f} s" for k, v in parts.items()
                                         if k != OURS)
            print(line, flush=True)
            last_summary = summary
        rows[name] = (statistics.median(ours_t), ours_rss, statistics.median(gdb_t), gdb_rss, ours_t, gdb_t)
        load.append(loadavg())
    true_bugs, clusters, mixed, split, unclustered = clusters_vs_bugs(last_summary)

    ours_a, _, gdb_a, _, _, _ = rows["crashes"]
    ours_b, _, gdb_b, _, _, _ = rows["campaign"]
    floor = args.hang_timeout * -(-len(hang_paths) // args.jobs)  # T x ceil(hangs / jobs)
    lines = [
        "# triage-run vs gdb running each input (casr-gdb / crashwalk), the sample campaign", "",
        f"Machine: {machine()}. Medians of {args.repeat} runs, ours and gdb alternating in each; "
        f"load average {' / '.join(load)} (before, then after each measure; the machine is shared). "
        "Ratio = gdb time / triage-run time. MiB: the peak RSS of one process with the children it "
        f"reaped (gdb: timeout + gdb + the target, {args.jobs} such at once; triage-run is one process). "
        f"triage-run as built at {built}, {build_type(build)}.", "",
        "Commands (from the repository root; `TARGET` = `build/corpus-samples/fuzz-target/target`), "
        "made by `python3 bench/bench_run.py" + (" --profile" if args.profile else "") + "`:", "",
        f"    triage-run -i INPUTS -o OUT -j {args.jobs} -t T -- TARGET @@",
        f"    # and, for each input, {args.jobs} at a time:",
        "    timeout -s KILL T gdb -batch -nx -q -ex run " + " ".join(f"-ex '{c}'" for c in GDB_COMMANDS)
        + " --args TARGET INPUT   # stdout captured", "",
        f"- **crashes**: INPUTS = `{CRASHES}` ({len(crash_paths)} inputs), T = {tc} s "
        "(triage-run's default);",
        f"- **campaign**: INPUTS = `{CAMPAIGN}` ({len(crash_paths)} crashes + {len(hang_paths)} hangs), "
        f"T = {th} s for both sides.", "",
        "| measure | inputs | T s | triage-run s | MiB | gdb s | MiB | ratio |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, _, paths, _, timeout in measures:
        ours, orss, theirs, grss, _, _ = rows[name]
        lines.append(f"| {name} | {len(paths)} | {timeout} | {ours:.2f} | {orss / 1024:.0f} | {theirs:.2f} | "
                     f"{grss / 1024:.0f} | **{theirs / ours:.1f}x** |")
    lines += ["", "Every run (s): " + "; ".join(
        f"{name}: triage-run {', '.join(f'{t:.2f}' for t in rows[name][4])}, gdb "
        f"{', '.join(f'{t:.2f}' for t in rows[name][5])}" for name, *_ in measures) + ".",
        "Slowest single gdb run on a crash input: " + "; ".join(
            f"{name} {s:.2f} s ({n})" for name, (s, n) in gdb_slowest.items()) + ".", ""]
    lines += [
        "## The hangs", "",
        f"Both sides wait T = {th} s for each hang, {args.jobs} at a time, so {floor:g} s of each campaign "
        "time is the same wait on both sides, and no analysis speed shortens it. "
        f"Above that floor, triage-run takes {ours_b - floor:.2f} s and gdb {gdb_b - floor:.2f} s "
        f"({(gdb_b - floor) / max(ours_b - floor, 1e-9):.1f}x). End to end, the campaign ratio is "
        f"{gdb_b / ours_b:.1f}x, and it could not exceed {gdb_b / floor:.1f}x even if triage-run took no time "
        "beyond the wait. "
        + hang_verdict(ours_b, gdb_b, floor)
        + f"On the crash inputs, the analysis work, the ratio is {gdb_a / ours_a:.1f}x"
        + (" (the 20x target is met there)." if gdb_a / ours_a >= 20 else " (below the 20x target)."), ""]
    lines += ["## Checks", "",
              "| measure | run | crash inputs | triage-run found a crash | gdb found a crash | "
              "gdb cut short at T on a crash | hangs | triage-run timed out | gdb killed at T |",
              "|---|---|---|---|---|---|---|---|---|"]
    for name, rep, n, om, gm, nh, oh, gh, gc in checks:
        lines.append(f"| {name} | {rep} | {n} | {n - len(om)} | {n - len(gm)} | {len(gc)} | {nh} | "
                     f"{nh - len(oh)} | {nh - len(gh)} |")
    problems = [f"{name} #{rep}: {who} missed {', '.join(os.path.basename(p) for p in missed)}"
                for name, rep, _, om, gm, _, oh, gh, _ in checks
                for who, missed in (("triage-run", om), ("gdb", gm), ("triage-run (hang)", oh), ("gdb (hang)", gh))
                if missed]
    lines += [""] + ([f"- {p}" for p in problems] or ["Every crash input was found crashing by both, in every run; "
                                                       "every hang was killed at T by both."])
    cut = sorted({os.path.basename(p) for c in checks for p in c[8]})
    if cut:
        lines += ["", f"At T = {th} s, gdb was killed before it finished its commands on {len(cut)} crash input(s) "
                  f"({', '.join(cut)}): it printed the signal, so the check counts them as found, but a peer would "
                  "get no complete report for them (deep recursions: `bt 2000` on a stack overflow). This "
                  "shortens gdb's campaign time, in its favour; triage-run analysed them in full."]
    lines += ["", f"Clusters: triage-run found **{clusters}** clusters for the **{true_bugs}** true bugs of "
              f"`{EXPECTED}`; "
              + ("each cluster holds one bug's inputs and each bug is in one cluster."
                 if not mixed and not split and not unclustered else
                 f"clusters mixing bugs: {mixed or 'none'}; bugs split: {split or 'none'}; "
                 f"crash inputs in no cluster: {unclustered or 'none'}."), ""]

    wall = {k: statistics.median(w for w, _ in v) for k, v in parts.items()}
    cpu = {k: statistics.median(c for _, c in v) for k, v in parts.items()}
    lines += [
        "## Where triage-run's time goes (crash inputs)", "",
        f"Measured in the same repeats, {args.jobs} at a time: the target alone on every crash input, each "
        f"in its own folder under `{scratch_base()}` like triage-run's runs, with the core size limit 0, then with "
        "the kernel writing each core there (the floor of any tool that reads cores; their removal not "
        f"counted); and `triage-core -i CORES -e TARGET -o OUT -j {args.jobs}` on those cores (analysis and "
        "reports alone, the cores in memory). CPU = user + system time of the process and its children "
        "(wait4); a target's CPU includes the kernel writing its core. The bare runs' wall time includes "
        "this script's own spawning of the targets (Python). Medians.", "",
        "| part | wall s | CPU s |", "|---|---|---|"]
    for k in (OURS, BARE_RUNS, CORE_RUNS, CORE_ANALYSIS):
        lines.append(f"| {k} | {wall[k]:.2f} | {cpu[k]:.2f} |")
    own = cpu[OURS] - cpu[CORE_RUNS]
    lines += [f"| triage-run's own CPU (end to end minus the targets with cores) | | {own:.2f} |", "",
              f"Of triage-run's {cpu[OURS]:.2f} CPU s, the targets take {cpu[BARE_RUNS]:.2f} s to run and the "
              f"kernel {cpu[CORE_RUNS] - cpu[BARE_RUNS]:.2f} s to write their cores; triage-run itself (starting "
              f"the runs, analysis, reports, clustering, output) {own:.2f} s, against {cpu[CORE_ANALYSIS]:.2f} s "
              f"for triage-core's analysis and reports of the same cores. Its runs and analyses overlap in a "
              f"pipeline on {args.jobs} CPUs: {wall[OURS]:.2f} s of wall time for {cpu[OURS]:.2f} CPU s.", ""]
    if args.profile:
        table, span = profile(tool, target, args.jobs, args.crash_timeout, args.work)
        lines += ["### CPU profile", "",
                  "One more triage-run on the crash inputs under `perf record -F 2999 -g` (every process: "
                  "triage-run, its forked children, the targets and the kernel on their behalf), samples split "
                  "by their call chain:", ""] + table
        if span:
            lines += ["", f"(Under perf, the run spanned {span:.2f} s.)"]
        lines.append("")
    report = "\n".join(lines)
    print(report)
    os.makedirs(os.path.join(ROOT, "bench/results"), exist_ok=True)
    with open(os.path.join(ROOT, "bench/results/run.md"), "w") as f:
        f.write(report)


if __name__ == "__main__":
    main()

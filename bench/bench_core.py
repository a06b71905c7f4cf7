#!/usr/bin/env python3
"""triage-core against gdb running CASR's command set, on the same cores, in one run.

Two measurements:
  single  every core of the crash corpus (corpus-samples/crashes), one process per
          core, each run --repeat times; median wall time and peak memory per core.
  batch   a few hundred cores of the sample fuzz target (some deep recursions):
          `triage-core -i DIR -j JOBS` once, against one gdb per core with JOBS at a
          time (what casr-core / casr-gdb do); time per core.

gdb runs what CASR asks of it for a core: bt 2000, p/x $_siginfo, info proc
mappings, i r, x/64bx $pc, x/16i $pc.  Both tools get the executable.

Usage: bench/bench_core.py [--build build] [--repeat 5] [--batch 300] [--jobs 2]
Prints a table and writes bench/results/core.md.
"""
import argparse
import concurrent.futures
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GDB_COMMANDS = ["bt 2000", "p/x $_siginfo", "info proc mappings", "i r", "x/64bx $pc", "x/16i $pc"]


def run(argv):
    """Runs argv; returns (seconds, peak RSS in KiB, exit status)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - start, usage.ru_maxrss, status


def gdb_argv(exe, core):
    argv = ["gdb", "-batch", "-nx", "-q"]
    for command in GDB_COMMANDS:
        argv += ["-ex", command]
    return argv + [exe, core]


def median_run(argv, repeat):
    times, peak = [], 0
    for _ in range(repeat):
        seconds, rss, status = run(argv)
        if status != 0 and argv[0] != "gdb":
            sys.exit(f"bench: {' '.join(argv)} failed with status {status}")
        times.append(seconds)
        peak = max(peak, rss)
    return statistics.median(times), peak


def make_cores(build, work, batch):
    cores = os.path.join(work, "cores")
    if not os.path.exists(os.path.join(cores, ".complete")):
        subprocess.run(["bash", os.path.join(ROOT, "corpus-samples/make-cores.sh"), build, cores], check=True,
                       stdout=subprocess.DEVNULL)
    batch_dir = os.path.join(work, f"batch-{batch}")
    if not os.path.isdir(batch_dir) or len(os.listdir(batch_dir)) < batch:
        shutil.rmtree(batch_dir, ignore_errors=True)
        subprocess.run(["bash", os.path.join(ROOT, "corpus-samples/fuzz-target/make-batch-cores.sh"), build,
                        batch_dir, str(batch)], check=True, stdout=subprocess.DEVNULL)
    return cores, batch_dir


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--work", default="/tmp/triage-bench")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--batch", type=int, default=300)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    build = os.path.abspath(args.build)
    tool = os.path.join(build, "tools/triage-core/triage-core")
    if not os.access(tool, os.X_OK):
        sys.exit(f"bench: {tool} not found: build first (scripts/build.sh)")
    if not shutil.which("gdb"):
        sys.exit("bench: gdb not found: it is the baseline (apt-get install gdb)")
    os.makedirs(args.work, exist_ok=True)
    cores_dir, batch_dir = make_cores(build, args.work, args.batch)

    manifest = json.load(open(os.path.join(ROOT, "corpus-samples/crashes/manifest.json")))["programs"]
    lines = ["# triage-core vs gdb (CASR's command set)", "",
             f"Machine: {os.cpu_count()} CPUs. Medians of {args.repeat} runs. "
             "Ratio = gdb time / triage-core time.", "",
             "## One core at a time", "",
             "| core | size KiB | triage-core ms | MiB | gdb ms | MiB | ratio |", "|---|---|---|---|---|---|---|"]
    ratios = []
    for program in manifest:
        core = os.path.join(cores_dir, program["name"] + ".core")
        exe = os.path.join(build, "corpus-samples/crashes", program["name"])
        if not os.path.exists(core):
            continue
        ours, our_rss = median_run([tool, "-f", core, "-e", exe, "--stdout"], args.repeat)
        theirs, their_rss = median_run(gdb_argv(exe, core), args.repeat)
        ratios.append(theirs / ours)
        lines.append(f"| {program['name']} | {os.path.getsize(core) // 1024} | {ours * 1000:.1f} | "
                     f"{our_rss / 1024:.0f} | {theirs * 1000:.0f} | {their_rss / 1024:.0f} | {theirs / ours:.1f}x |")
        print(lines[-1], flush=True)
    geo = statistics.geometric_mean(ratios)
    lines += ["", f"Geometric mean ratio: **{geo:.1f}x**, lowest {min(ratios):.1f}x, over {len(ratios)} cores.", ""]

    batch = sorted(os.path.join(batch_dir, f) for f in os.listdir(batch_dir) if f.endswith(".core"))
    exe = os.path.join(build, "corpus-samples/fuzz-target/target")
    out = os.path.join(args.work, "batch-reports")
    shutil.rmtree(out, ignore_errors=True)
    ours, our_rss, status = run([tool, "-i", batch_dir, "-e", exe, "-o", out, "-j", str(args.jobs)])
    if status != 0:
        sys.exit(f"bench: triage-core -i {batch_dir} failed with status {status}")
    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        gdb_peak = max(rss for _, rss, _ in pool.map(lambda core: run(gdb_argv(exe, core)), batch))
    theirs = time.perf_counter() - start
    lines += ["## A batch of one fuzz target's cores", "",
              f"{len(batch)} cores, {args.jobs} at a time.", "",
              "| tool | total s | ms per core | peak MiB |", "|---|---|---|---|",
              f"| triage-core -i -j {args.jobs} | {ours:.2f} | {ours / len(batch) * 1000:.1f} | {our_rss / 1024:.0f} |",
              f"| gdb, one per core | {theirs:.2f} | {theirs / len(batch) * 1000:.1f} | {gdb_peak / 1024:.0f} |", "",
              f"Per-core ratio: **{theirs / ours:.1f}x**.", ""]
    report = "\n".join(lines)
    print("\n".join(lines[-9:]))
    os.makedirs(os.path.join(ROOT, "bench/results"), exist_ok=True)
    with open(os.path.join(ROOT, "bench/results/core.md"), "w") as f:
        f.write(report)


if __name__ == "__main__":
    main()

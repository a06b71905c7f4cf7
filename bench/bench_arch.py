#!/usr/bin/env python3
"""triage-core per architecture, next to x86-64 and next to gdb-multiarch, in one run.

The same five programs (dest-av, source-av-near-null, segfault-on-pc, abort-signal,
bad-instruction) crashed on each architecture: x86-64 from the crash corpus (kernel
cores, made by corpus-samples/make-cores.sh), the others from the committed fixtures of
corpus-samples/cross (gdb's gcore through qemu-user, and qemu-user's own cores). For
each core: the median wall time of `triage-core -f CORE -e EXE [--sysroot S] --stdout`
over --repeat runs, and of gdb-multiarch running CASR's command set on the same core
(bt 2000, p/x $_siginfo, info proc mappings, i r, x/64bx $pc, x/16i $pc) with the same
executable and sysroot.

Reported per architecture and kind: triage-core's time against x86-64's (the issue asks
that no architecture be more than 3 times slower) and gdb's time against ours.

Usage: bench/bench_arch.py [--build build] [--repeat 5]
Prints a table and writes bench/results/arch.md.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CROSS = os.path.join(ROOT, "corpus-samples/cross")
PROGRAMS = ["dest-av", "source-av-near-null", "segfault-on-pc", "abort-signal", "bad-instruction"]
GDB_COMMANDS = ["bt 2000", "p/x $_siginfo", "info proc mappings", "i r", "x/64bx $pc", "x/16i $pc"]


def run(argv):
    start = time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start, proc.returncode


def median(argv, repeat, must_succeed):
    times = []
    for _ in range(repeat):
        seconds, status = run(argv)
        if must_succeed and status != 0:
            sys.exit(f"bench: {' '.join(argv)} failed with status {status}")
        times.append(seconds)
    return statistics.median(times)


def gdb_argv(gdb, exe, core, sysroot):
    argv = [gdb, "-batch", "-nx", "-q"]
    if sysroot:
        argv += ["-ex", f"set sysroot {sysroot}"]
    argv += ["-ex", f"file {exe}", "-ex", f"core-file {core}"]
    for command in GDB_COMMANDS:
        argv += ["-ex", command]
    return argv


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--work", default="/tmp/triage-bench-arch")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    build = os.path.abspath(args.build)
    tool = os.path.join(build, "tools/triage-core/triage-core")
    if not os.access(tool, os.X_OK):
        sys.exit(f"bench: {tool} not found: build first (scripts/build.sh)")
    gdb = shutil.which("gdb-multiarch")
    if not gdb:
        print("bench: gdb-multiarch not found (apt-get install gdb-multiarch): gdb columns left out", flush=True)
    os.makedirs(args.work, exist_ok=True)

    # Cores: (arch, kind, program, core, exe, sysroot).
    cores = []
    x86_cores = os.path.join(args.work, "x86_64")
    if not os.path.exists(os.path.join(x86_cores, ".complete")):
        subprocess.run(["bash", os.path.join(ROOT, "corpus-samples/make-cores.sh"), build, x86_cores], check=True,
                       stdout=subprocess.DEVNULL)
    for program in PROGRAMS:
        cores.append(("x86_64", "kernel", program, os.path.join(x86_cores, program + ".core"),
                      os.path.join(build, "corpus-samples/crashes", program), ""))
    manifest = json.load(open(os.path.join(CROSS, "manifest.json")))
    for fixture in manifest["fixtures"]:
        if fixture["program"] not in PROGRAMS:
            continue
        core = os.path.join(args.work, fixture["name"] + ".core")
        if not os.path.exists(core):
            subprocess.run(["zstd", "-dqf", os.path.join(CROSS, fixture["core"]), "-o", core], check=True)
        sysroot = manifest["architectures"][fixture["arch"]].get("sysroot") or ""
        cores.append((fixture["arch"], fixture["kind"], fixture["program"], core,
                      os.path.join(CROSS, fixture["binary"]), sysroot))

    rows = {}  # (arch, kind) -> [(ours, theirs)]
    for arch, kind, program, core, exe, sysroot in cores:
        argv = [tool, "-f", core, "-e", exe, "--stdout"] + (["--sysroot", sysroot] if sysroot else [])
        ours = median(argv, args.repeat, True)
        theirs = median(gdb_argv(gdb, exe, core, sysroot), args.repeat, False) if gdb else None
        rows.setdefault((arch, kind), []).append((ours, theirs))
        print(f"{arch:8} {kind:7} {program:20} triage-core {ours * 1000:7.1f} ms"
              + (f"   gdb-multiarch {theirs * 1000:7.0f} ms" if theirs else ""), flush=True)

    x86 = statistics.mean(o for o, _ in rows[("x86_64", "kernel")])
    lines = ["# triage-core per architecture", "",
             f"Machine: {os.cpu_count()} CPUs. Each core: median of {args.repeat} runs; per row, the mean over "
             f"the {len(PROGRAMS)} programs ({', '.join(PROGRAMS)}).",
             "x86-64 cores are the kernel's; the others are corpus-samples/cross's fixtures (gcore: gdb's "
             "gcore through qemu-user; qemu: qemu-user's own core, no NT_FILE or NT_SIGINFO).", "",
             "| arch | kind | cores | triage-core ms | vs x86-64 | gdb-multiarch ms | gdb / triage-core |",
             "|---|---|---|---|---|---|---|"]
    worst = 0.0
    for (arch, kind), values in rows.items():
        ours = statistics.mean(o for o, _ in values)
        theirs = [t for _, t in values if t is not None]
        slower = ours / x86
        worst = max(worst, slower)
        gdb_cells = (f"{statistics.mean(theirs) * 1000:.0f} | {statistics.mean(theirs) / ours:.1f}x" if theirs
                     else "- | -")
        lines.append(f"| {arch} | {kind} | {len(values)} | {ours * 1000:.1f} | {slower:.2f}x | {gdb_cells} |")
    lines += ["", f"Slowest architecture against x86-64: **{worst:.2f}x** (the limit is 3x).", ""]
    report = "\n".join(lines)
    print(report)
    os.makedirs(os.path.join(ROOT, "bench/results"), exist_ok=True)
    with open(os.path.join(ROOT, "bench/results/arch.md"), "w") as f:
        f.write(report)
    if worst > 3:
        sys.exit(1)


if __name__ == "__main__":
    main()

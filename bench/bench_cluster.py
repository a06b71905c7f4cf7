#!/usr/bin/env python3
"""triage-dedup and triage-cluster against CASR's method, on the same report sets, in one run.

For each size (default 1,000, 10,000 and 100,000 reports) a realistic campaign's reports
are made by bench/gen_reports.py from real reports of the sample fuzz target (B bugs,
Zipf-distributed, ASLR, recursion depths, other callers, 5% CASR-form and 1% casr-san
reports; see its docstring), each size its own set, cached in WORK/set-N-bB-sS. Then:

  ours      triage-dedup -i SET -o OUT -j JOBS, and triage-cluster -i SET -o OUT -j JOBS
            (each from the raw set: triage-cluster deduplicates itself)
  baseline  what casr-cluster -d then -c does, reimplemented in Python in bench/peers.py
            (CASR is Rust; it is not installed here): each report's stack parsed from Stacktrace as
            CASR parses it (gdb lines, or ASan lines when AsanReport is set), filtered
            with CASR's C/C++ frame filters and its removal of repeated intervals, dedup
            by the whole stack (frames equal by file:line:column, else module+offset,
            else address), then hierarchical clustering with complete linkage of every
            pair of unique stacks, distance 1 - similarity (CASR's PDM-style measure,
            a = 0.04, r = 0.13), clusters cut below distance 0.3. Reports are parsed
            JOBS at a time, like casr-cluster -j. It runs where its distance matrix
            fits (--baseline-max unique stacks); beyond, the bench prints what it would
            need.

Each tool runs as a child process; wall time and its own peak RSS (os.wait4) are
measured. Quality is measured against the generator's truth.tsv: clusters vs true
bugs, purity (share of clusters whose members all belong to one bug) and bugs split
over several clusters.

Usage: bench/bench_cluster.py [--build build] [--sizes 1000,10000,100000] [--jobs 2]
                              [--bugs 200] [--seed 1] [--work /tmp/triage-bench/cluster]
Prints a table and writes bench/results/cluster.md. Needs python3-scipy for the
baseline (apt-get install python3-scipy); if this interpreter lacks it, the baseline
runs under /usr/bin/python3.
"""
import argparse
import csv
import datetime
import hashlib
import json
import multiprocessing
import os
import platform
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HERE = os.path.join(ROOT, "bench")
sys.path.insert(0, HERE)
from peers import CASR_THRESHOLD, casr_stack, similarity_matrix  # noqa: E402  (shared with bench_realworld.py)

# ----------------------------------------------------------------------------------------------
# The baseline: CASR's deduplication and clustering (bench/peers.py), over every pair at once.
# ----------------------------------------------------------------------------------------------


def casr_baseline(set_dir, jobs, max_unique, result_path):
    """Child process: the CASR method on SET_DIR; writes its result as JSON."""
    import numpy as np
    from scipy.cluster.hierarchy import fcluster, linkage
    t0 = time.perf_counter()
    files = []
    for root, _, names in os.walk(set_dir):
        files += [os.path.join(root, n) for n in names if n.endswith(".casrep")]
    files.sort()
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        stacks = pool.map(casr_stack, files, chunksize=256)
    t1 = time.perf_counter()
    frame_ids, unique, of_report = {}, {}, []
    for s in stacks:
        if s is None:
            of_report.append(-1)
            continue
        ids = tuple(frame_ids.setdefault(k, len(frame_ids)) for k in s)
        of_report.append(unique.setdefault(ids, len(unique)))
    u = len(unique)
    t2 = time.perf_counter()
    result = {"reports": len(files), "bad": of_report.count(-1), "unique": u,
              "matrix_bytes": u * (u - 1) // 2 * 8, "parse_s": t1 - t0, "dedup_s": t2 - t1}
    if u > max_unique:
        result["skipped"] = True
    else:
        stacks_u = [None] * u
        for s, k in unique.items():
            stacks_u[k] = s
        if u >= 2:
            cond = similarity_matrix(stacks_u, np)
            t3 = time.perf_counter()
            tree = linkage(cond, method="complete")
            flat = fcluster(tree, t=np.nextafter(CASR_THRESHOLD, 0), criterion="distance")
            t4 = time.perf_counter()
            result.update(matrix_s=t3 - t2, linkage_s=t4 - t3)
        else:
            flat = [1] * u
        result["clusters"] = len(set(int(c) for c in flat))
        result["members"] = {os.path.relpath(f, set_dir): int(flat[k]) for f, k in zip(files, of_report) if k >= 0}
    result["total_s"] = time.perf_counter() - t0
    with open(result_path, "w") as f:
        json.dump(result, f)


# ----------------------------------------------------------------------------------------------
# The bench.
# ----------------------------------------------------------------------------------------------

def loadavg():
    try:
        return float(open("/proc/loadavg").read().split()[0])
    except (OSError, ValueError):
        return float("nan")


def median_run(argv, repeat, log=None, before=None):
    """run() repeat times (before() ahead of each); the median time, the peak RSS, the last status."""
    results = []
    for _ in range(repeat):
        if before:
            before()
        results.append(run(argv, log))
    seconds = sorted(r[0] for r in results)[len(results) // 2]
    return seconds, max(r[1] for r in results), results[-1][2]


def run(argv, log=None):
    """Runs argv; returns (seconds, peak RSS in KiB of the child, exit status)."""
    start = time.perf_counter()
    out = open(log, "w") if log else subprocess.DEVNULL
    proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
    _, status, usage = os.wait4(proc.pid, 0)
    if log:
        out.close()
    return time.perf_counter() - start, usage.ru_maxrss, os.waitstatus_to_exitcode(status)


def scipy_python():
    for python in (sys.executable, "/usr/bin/python3"):
        if os.access(python, os.X_OK) and subprocess.run([python, "-c", "import scipy, numpy"],
                                                         capture_output=True).returncode == 0:
            return python
    return None


def file_digest(*paths):
    h = hashlib.sha256()
    for p in paths:
        with open(p, "rb") as f:
            h.update(f.read())
    return h.hexdigest()[:16]


def make_seeds(build, work, count):
    """Real reports of the sample fuzz target, one core per crash input; bugs.tsv names their bugs."""
    target = os.path.join(build, "corpus-samples/fuzz-target/target")
    inputs = os.path.join(ROOT, "corpus-samples/fuzz-target/inputs/default/crashes")
    n_inputs = len([f for f in os.listdir(inputs) if f.startswith("id:")])
    count = count or n_inputs
    st = os.stat(target)
    stamp = f"{st.st_size} {st.st_mtime_ns} {n_inputs} {count}"
    seeds = os.path.join(work, "seeds")
    reports = os.path.join(seeds, "reports")
    stamp_file = os.path.join(seeds, "stamp")
    if os.path.exists(stamp_file) and open(stamp_file).read() == stamp:
        return reports
    shutil.rmtree(seeds, ignore_errors=True)
    cores = os.path.join(seeds, "cores")
    subprocess.run(["bash", os.path.join(ROOT, "corpus-samples/fuzz-target/make-batch-cores.sh"), build, cores,
                    str(count)], check=True, stdout=subprocess.DEVNULL)
    status = subprocess.run([os.path.join(build, "tools/triage-core/triage-core"), "-i", cores, "-e", target,
                             "-o", reports, "-j", "2"], stdout=subprocess.DEVNULL).returncode
    if status != 0:
        sys.exit(f"bench: triage-core on the seed cores failed with status {status}")
    expected = os.path.join(ROOT, "corpus-samples/fuzz-target/expected-bugs.tsv")
    index = os.path.join(cores, "index.tsv")
    if os.path.exists(expected) and os.path.exists(index):
        bug_of_input = {row["input"]: row["bug"] for row in csv.DictReader(open(expected), delimiter="\t")}
        with open(os.path.join(reports, "bugs.tsv"), "w") as f:
            f.write("report\tbug\n")
            for row in csv.DictReader(open(index), delimiter="\t"):
                if row["input"] in bug_of_input:
                    f.write(f"{row['n']}.core.casrep\t{bug_of_input[row['input']]}\n")
    shutil.rmtree(cores)
    with open(stamp_file, "w") as f:
        f.write(stamp)
    return reports


def make_set(seeds, work, size, args):
    gen = os.path.join(HERE, "gen_reports.py")
    out = os.path.join(work, f"set-{size}-b{args.bugs}-s{args.seed}")
    stamp = f"{file_digest(gen)} {open(os.path.join(os.path.dirname(seeds), 'stamp')).read()}"
    stamp_file = os.path.join(out, "stamp")
    if os.path.exists(os.path.join(out, "truth.tsv")) and os.path.exists(stamp_file) and \
            open(stamp_file).read() == stamp:
        return out, None
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    subprocess.run([sys.executable, gen, seeds, out, str(size), "--bugs", str(args.bugs), "--seed", str(args.seed),
                    "-j", str(args.jobs)], check=True)
    with open(stamp_file, "w") as f:
        f.write(stamp)
    seconds = time.perf_counter() - start
    os.sync()  # no write-back of the new set while the tools run
    return out, seconds


def quality(groups, truth):
    """(clusters, pure share, bugs split over >1 cluster, bugs seen) of {cluster: [report]}."""
    pure = 0
    clusters_of_bug = {}
    for cid, members in groups.items():
        bugs = {truth[m] for m in members if m in truth}
        pure += len(bugs) <= 1
        for b in bugs:
            clusters_of_bug.setdefault(b, set()).add(cid)
    split = sum(1 for c in clusters_of_bug.values() if len(c) > 1)
    return len(groups), pure / max(1, len(groups)), split, len(clusters_of_bug)


def du(path):
    total = 0
    for root, _, names in os.walk(path):
        for n in names:
            total += os.path.getsize(os.path.join(root, n))
    return total


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def fmt_bytes(n):
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 else f"{n / 2**20:.1f} MiB"


def fmt_s(seconds):
    return f"{seconds:.2f}" if seconds < 10 else f"{seconds:.1f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each tool per size (the median is shown)")
    parser.add_argument("--bugs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seed-cores", type=int, default=0, help="seed cores to make (default: one per crash input)")
    parser.add_argument("--work", default="/tmp/triage-bench/cluster")
    parser.add_argument("--baseline-max", type=int, default=10000, help="most unique stacks the baseline clusters")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--casr-baseline", metavar="SET_DIR", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.casr_baseline:
        casr_baseline(args.casr_baseline, args.jobs, args.baseline_max, args.result)
        return

    build = os.path.abspath(args.build)
    dedup_tool = os.path.join(build, "tools/triage-dedup/triage-dedup")
    cluster_tool = os.path.join(build, "tools/triage-cluster/triage-cluster")
    for tool in (dedup_tool, cluster_tool, os.path.join(build, "tools/triage-core/triage-core")):
        if not os.access(tool, os.X_OK):
            sys.exit(f"bench: {tool} not found: build first (scripts/build.sh)")
    python = None if args.no_baseline else scipy_python()
    if not args.no_baseline and not python:
        sys.exit("bench: the baseline needs scipy: apt-get install python3-scipy (or --no-baseline)")
    work = os.path.abspath(args.work)
    os.makedirs(work, exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    seeds = make_seeds(build, work, args.seed_cores)
    n_seeds = len([f for f in os.listdir(seeds) if f.endswith(".casrep")])

    rows = []
    for size in sizes:
        set_dir, gen_s = make_set(seeds, work, size, args)
        truth, form_of, forms = {}, {}, {}
        for row in csv.DictReader(open(os.path.join(set_dir, "truth.tsv")), delimiter="\t"):
            truth[row["report"]] = row["bug"]
            form_of[row["report"]] = row["form"]
            forms[row["form"]] = forms.get(row["form"], 0) + 1
        set_bytes = du(set_dir)
        if gen_s is not None:
            print(f"bench: generated {size} reports ({set_bytes / 2**20:.0f} MiB) in {gen_s:.1f} s", flush=True)
        # Read once so that every tool starts with the set in the page cache.
        for root, _, names in os.walk(set_dir):
            for n in names:
                with open(os.path.join(root, n), "rb") as f:
                    while f.read(1 << 20):
                        pass

        def rel(member):
            path = member if os.path.isabs(member) else os.path.abspath(member)
            return os.path.relpath(path, set_dir)
        load = [loadavg()]
        out = os.path.join(work, f"out-dedup-{size}")
        d_s, d_kib, d_status = median_run([dedup_tool, "-i", set_dir, "-o", out, "-j", str(args.jobs)], args.repeat,
                                          log=os.path.join(work, f"dedup-{size}.log"),
                                          before=lambda: shutil.rmtree(out, ignore_errors=True))
        dedup = json.load(open(os.path.join(out, "dedup.json"))) if os.path.exists(
            os.path.join(out, "dedup.json")) else {}
        # A signature folds reports of one bug only?
        by_kept = {}
        for member, kept in (dedup.get("mapping") or {}).items():
            by_kept.setdefault(kept, []).append(rel(member))
        d_groups, d_pure, _, _ = quality(by_kept, truth)

        out2 = os.path.join(work, f"out-cluster-{size}")
        c_s, c_kib, c_status = median_run([cluster_tool, "-i", set_dir, "-o", out2, "-j", str(args.jobs)],
                                          args.repeat, log=os.path.join(work, f"cluster-{size}.log"),
                                          before=lambda: shutil.rmtree(out2, ignore_errors=True))
        out = out2
        summary = json.load(open(os.path.join(out, "summary.json"))) if os.path.exists(
            os.path.join(out, "summary.json")) else {}
        groups = {c["id"]: [rel(m) for m in c.get("members", [])] for c in summary.get("clusters", [])}
        clustered = sum(len(m) for m in groups.values())
        n_cl, purity, split, bugs = quality(groups, truth)
        impure = []
        for c in summary.get("clusters", []):
            members = groups[c["id"]]
            bugs_in = {truth.get(m) for m in members}
            if len(bugs_in) > 1:
                kinds = {}
                for m in members:
                    kinds[form_of.get(m, "?")] = kinds.get(form_of.get(m, "?"), 0) + 1
                impure.append((c["id"], c.get("class", ""), c.get("crash_line", ""), len(bugs_in), kinds))
        row = {"size": size, "bugs": len(set(truth.values())), "forms": forms, "set_mib": set_bytes / 2**20,
               "dedup_s": d_s, "dedup_mib": d_kib / 1024, "dedup_status": d_status,
               "dedup_unique": dedup.get("unique"), "dedup_pure": d_pure, "dedup_groups": d_groups,
               "cluster_s": c_s, "cluster_mib": c_kib / 1024, "cluster_status": c_status,
               "unique": summary.get("unique"), "clusters": n_cl, "purity": purity, "split": split,
               "clustered": clustered, "unreadable": summary.get("unreadable"), "impure": impure}
        print(f"bench: {size}: triage-dedup {d_s:.2f} s {d_kib / 1024:.0f} MiB (status {d_status}), "
              f"triage-cluster {c_s:.2f} s {c_kib / 1024:.0f} MiB (status {c_status}), {n_cl} clusters "
              f"for {row['bugs']} bugs, purity {purity:.3f}", flush=True)

        if python:
            result_path = os.path.join(work, f"casr-{size}.json")
            b_s, b_kib, b_status = median_run([python, os.path.abspath(__file__), "--casr-baseline", set_dir,
                                               "--jobs", str(args.jobs), "--baseline-max", str(args.baseline_max),
                                               "--result", result_path], args.repeat,
                                              log=os.path.join(work, f"casr-{size}.log"))
            if b_status != 0:
                sys.exit(f"bench: the baseline failed with status {b_status}: see {work}/casr-{size}.log")
            base = json.load(open(result_path))
            row.update(base_s=b_s, base_mib=b_kib / 1024, base_unique=base["unique"], base_bad=base["bad"],
                       base_matrix=base["matrix_bytes"], base_phases=base)
            if base.get("skipped"):
                row["base_skipped"] = True
                print(f"bench: {size}: baseline skipped: {base['unique']} unique stacks need "
                      f"{fmt_bytes(base['matrix_bytes'])} of distance matrix", flush=True)
            else:
                bgroups = {}
                for member, cid in base["members"].items():
                    bgroups.setdefault(cid, []).append(member)
                row["base_clusters"], row["base_purity"], row["base_split"], _ = quality(bgroups, truth)
                print(f"bench: {size}: CASR method {b_s:.2f} s {b_kib / 1024:.0f} MiB, {base['unique']} unique "
                      f"stacks, {row['base_clusters']} clusters, purity {row['base_purity']:.3f}", flush=True)
        load.append(loadavg())
        row["load"] = load
        rows.append(row)

    write_results(rows, args, n_seeds)


def write_results(rows, args, n_seeds):
    now = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    try:
        commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
    except OSError:
        commit, dirty = "?", ""
    head = ["| reports | true bugs | ours s | ours peak MiB | clusters | purity | CASR method s | MiB "
            "| CASR clusters | CASR purity | ratio |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    lines = []
    for r in rows:
        if "base_s" in r and not r.get("base_skipped"):
            base = (f"{fmt_s(r['base_s'])} | {r['base_mib']:.0f} | {r['base_clusters']} | {r['base_purity']:.3f} | "
                    f"{r['base_s'] / r['cluster_s']:.1f}x")
        elif r.get("base_skipped"):
            base = (f"skipped: {r['base_unique']} unique stacks need {fmt_bytes(r['base_matrix'])} "
                    f"of distance matrix | | | | ")
        else:
            base = "not run | | | |"
        lines.append(f"| {r['size']:,} | {r['bugs']} | {fmt_s(r['cluster_s'])} | {r['cluster_mib']:.0f} | "
                     f"{r['clusters']} | {r['purity']:.3f} | {base} |")
    print("\n" + "\n".join(head + lines))

    md = ["# triage-cluster and triage-dedup vs CASR's method", "",
          f"Machine: {os.cpu_count()} CPUs ({cpu_model()}), {now}; commit {commit}"
          f"{' with uncommitted changes' if dirty else ''}. Every tool with `-j {args.jobs}`, the set in the "
          f"page cache; median of {args.repeat} run(s). The machine is shared: see the load averages below.", "",
          f"Sets made by `bench/gen_reports.py` from {n_seeds} real reports of the sample fuzz target: "
          f"{args.bugs} bugs (Zipf), seed {args.seed}; each size is its own set. "
          "*Ours* is `triage-cluster -i SET -o OUT` from the raw set (it deduplicates itself); "
          "*CASR method* is a Python reimplementation of `casr-cluster -d` then `-c` (parse, filter, "
          "dedup by the whole stack, complete linkage over all pairs of unique stacks, cut at 0.3), "
          "see bench/bench_cluster.py. Ratio = CASR method time / ours. Purity = share of clusters whose "
          "reports all belong to one bug.", "", *head, *lines, "",
          "## Details", "",
          "| reports | set MiB | forms | triage-dedup s | MiB | unique | dedup groups pure | triage-cluster unique "
          "| clustered reports | bugs split | status dedup/cluster | load avg before/after |",
          "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        forms = ", ".join(f"{k} {v}" for k, v in sorted(r["forms"].items()))
        md.append(f"| {r['size']:,} | {r['set_mib']:.0f} | {forms} | {fmt_s(r['dedup_s'])} | {r['dedup_mib']:.0f} | "
                  f"{r['dedup_unique']} | {r['dedup_pure']:.3f} | {r['unique']} | {r['clustered']} | "
                  f"{r['split']} of {r['bugs']} | {r['dedup_status']}/{r['cluster_status']} | "
                  f"{r['load'][0]:.1f}/{r['load'][1]:.1f} |")
    if any("base_s" in r for r in rows):
        md += ["", "CASR method, by phase (seconds):", "",
               "| reports | unique stacks | reports without a stack | parse+filter | dedup | distance matrix "
               "| linkage | matrix MiB | bugs split |", "|---|---|---|---|---|---|---|---|---|"]
        for r in rows:
            if "base_s" not in r:
                continue
            p = r["base_phases"]
            md.append(f"| {r['size']:,} | {r['base_unique']} | {r['base_bad']} | {p['parse_s']:.2f} | "
                      f"{p['dedup_s']:.2f} | {p.get('matrix_s', float('nan')):.2f} | "
                      f"{p.get('linkage_s', float('nan')):.2f} | {r['base_matrix'] / 2**20:.1f} | "
                      f"{r.get('base_split', '-')} |")
    based = [r for r in rows if "base_s" in r]
    if based:
        r = based[-1]
        share = r["base_phases"]["parse_s"] / max(r["base_phases"]["total_s"], 1e-9)
        md += ["", f"At {r['size']:,} reports, {share:.0%} of the CASR method's time is reading the JSON and "
               "parsing and filtering the stacks in Python: the ratio mostly compares our C++ with Python, not "
               "with CASR's Rust. The part that grows with the square of the unique stacks is the distance "
               "matrix and the linkage. Reports without a stack are casr-san reports whose stack is only in "
               "AsanReport (CASR reads Stacktrace only: they go to its clerr folder)."]
    if any(r["impure"] for r in rows):
        md += ["", "Our clusters holding several bugs (largest set first; forms of their reports):", ""]
        for r in sorted(rows, key=lambda r: -r["size"])[:1]:
            for cid, cls, line, nb, kinds in sorted(r["impure"], key=lambda x: -x[3])[:10]:
                md.append(f"- {r['size']:,} reports: cl{cid} ({cls}, {line}): {nb} bugs; "
                          + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    target = [r for r in rows if r["size"] >= 100000]
    if target:
        r = target[-1]
        ok = r["cluster_s"] < 60 and r["cluster_mib"] < 2048
        md += ["", f"Target (100,000 reports deduplicated and clustered in under 60 s on 2 cores, under 2 GiB): "
               f"triage-cluster {fmt_s(r['cluster_s'])} s, {r['cluster_mib']:.0f} MiB: "
               f"**{'met' if ok else 'missed'}**."]
    md.append("")
    os.makedirs(os.path.join(ROOT, "bench/results"), exist_ok=True)
    with open(os.path.join(ROOT, "bench/results/cluster.md"), "w") as f:
        f.write("\n".join(md))


if __name__ == "__main__":
    main()

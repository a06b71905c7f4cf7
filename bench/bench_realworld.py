#!/usr/bin/env python3
"""Our clusters against the ground truth of real campaigns, next to the peers' methods on the same reports.

Programs. The sample campaign (corpus-samples/fuzz-target: 60 crash inputs of 11 known
bugs, expected-bugs.tsv) comes first, as program "fuzz-target" (built by the project:
BUILD/corpus-samples/fuzz-target/target and target-asan). Then each real program under
corpus-samples/realworld/PROGRAM/ that has a ground-truth.tsv (input, bug, the fix that
establishes it): `scripts/realworld.sh build PROGRAM WORK/builds/PROGRAM` builds its pinned
Debian source plain (-g -O1) and with ASan (kept in WORK; realworld.sh rebuilds what is
stale); exit 77 (the pinned version can't be had) skips the program, saying so. --programs
takes names or paths of program folders (a path outside this checkout is built by its own
checkout's realworld.sh).

For each program and build (plain, asan):
  triage-run -i INPUTS -o OUT -j JOBS -t 10 --all-reports -- BINARY ARGS @@
--all-reports keeps every crash input's own report (OUT/reports/, `own_report` in
summary.json), so the peers' methods see exactly the crashes, and the reports, we do.
An input that did not crash on that build (no-crash, timeout, oom, error), or that the
truth does not name, is left out of every method and of the truth; the table says how many.

Methods (each gives every scored input a group; bench/peers.py has the details):
  ours          the cluster triage-run gives the input (summary.json `inputs[].cluster`).
  CASR          casr-cluster -d then -c: the stack parsed from the report's Stacktrace as
                CASR parses it (gdb lines; ASan lines when AsanReport is set), CASR's C/C++
                function and file ignore lists, frames keyed by file:line:column (else
                module+offset, else address), recursion folded; dedup by the whole stack;
                complete linkage over all pairs of unique stacks, distance 1 - similarity
                (ReBucket-like PDM measure, a = 0.04, r = 0.13), cut below 0.3. A report with
                no usable stack (CASR's clerr/) is a group of its own.
  CASR --unique-crashline   the same clusters; in each, a report whose CrashLine an earlier
                report (by name) of the cluster has is not written out. The grouping, hence
                every partition metric, is CASR's; it shows in "reports shown" and
                "bugs hidden".
  ClusterFuzz   exact (crash type, crash state): the type from the sanitizer's report as
                ClusterFuzz's stack parser reads it (e.g. "Heap-buffer-overflow\\nWRITE {*}",
                "Null-dereference READ"), else the signal as gdb reports it ("SIGSEGV"), or
                ASSERT with a glibc assertion's text; the state is the top 3 frames that pass
                its ignore list (STACK_FRAME_IGNORE_REGEXES, C/C++ entries, plus the
                libc/libstdc++ module list of symbolized stacks), each cut to its function
                name, addresses and numbers normalised; a stack overflow by its frame cycle.
  exploitable major         gdb exploitable's major hash: md5 chained over the first 5
                frames that are not blacklisted (abort, raise, malloc, free, __GI_abort, ...,
                or in libc/libm), each written "#POS NAME at PC in MAPPING", frames up to
                __libc_start_main. PC as MAPPING+offset: exploitable runs under gdb with ASLR
                off, where that is the same partition as the raw PC.
  exploitable major.minor   the major and the minor hash (md5 over every frame, blacklisted
                ones marked "(BL)").

Metrics, over the N scored inputs (P: the method's groups, B: the true bugs):
  clusters, true bugs, clusters per bug (|P| / |B|), mixed (clusters holding inputs of more
  than one bug), split (bugs whose inputs are in more than one cluster), purity
  (sum over clusters of its largest bug's count, / N), inverse purity (sum over bugs of
  their largest cluster's count, / N), ARI (the Adjusted Rand Index of Hubert and Arabie:
  (sum_ij C(n_ij,2) - E) / (((sum_i C(a_i,2) + sum_j C(b_j,2)) / 2) - E),
  E = sum_i C(a_i,2) * sum_j C(b_j,2) / C(N,2); 1 when both partitions are identical),
  reports shown (what a user is handed: ours one report per distinct crash, CASR one per
  unique stack, with --unique-crashline one per crash line per cluster, the others one per
  group), bugs hidden (true bugs none of whose inputs has its own report among those shown).

The project's goals, checked per program and build: no cluster of ours mixes two bugs, at
most 1.25 clusters per bug, and an ARI above every peer method's (or 1, the truth itself,
which a peer can only match).

Usage: bench/bench_realworld.py [--build build] [--programs fuzz-target,nasm,DIR] [--work DIR]
                                [--jobs 2] [--timeout 10] [--self-test]
Prints the tables and writes bench/results/realworld.md (--results: elsewhere). --self-test checks the metrics on hand-made
partitions and the peers' code on small cases, and exits.
"""
import argparse
import collections
import csv
import datetime
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import peers  # noqa: E402  (the peers' methods, shared with bench_cluster.py)

BUILDS = ("plain", "asan")
GOAL_CLUSTERS_PER_BUG = 1.25
METHODS = ("ours", "CASR", "CASR --unique-crashline", "ClusterFuzz", "exploitable major",
           "exploitable major.minor")

# ----------------------------------------------------------------------------------------------
# Metrics
# ----------------------------------------------------------------------------------------------


def comb2(n):
    return n * (n - 1) // 2


def adjusted_rand_index(pred, truth):
    """ARI of two labelings of the same items (dicts item -> label)."""
    items = list(truth)
    n = len(items)
    if n < 2:
        return 1.0
    cells = collections.Counter((pred[i], truth[i]) for i in items)
    rows = collections.Counter(pred[i] for i in items)
    cols = collections.Counter(truth[i] for i in items)
    index = sum(comb2(v) for v in cells.values())
    sum_rows = sum(comb2(v) for v in rows.values())
    sum_cols = sum(comb2(v) for v in cols.values())
    expected = sum_rows * sum_cols / comb2(n)
    maximum = (sum_rows + sum_cols) / 2
    if maximum == expected:          # both partitions all singletons, or both one group
        return 1.0 if index == expected else 0.0
    return (index - expected) / (maximum - expected)


def score(pred, truth):
    """The metrics of the docstring for pred (item -> group) against truth (item -> bug)."""
    items = list(truth)
    n = len(items)
    bugs_of = collections.defaultdict(collections.Counter)
    groups_of = collections.defaultdict(collections.Counter)
    for i in items:
        bugs_of[pred[i]][truth[i]] += 1
        groups_of[truth[i]][pred[i]] += 1
    clusters, bugs = len(bugs_of), len(groups_of)
    return {
        "inputs": n, "clusters": clusters, "bugs": bugs,
        "per_bug": clusters / bugs if bugs else float("nan"),
        "mixed": sum(1 for c in bugs_of.values() if len(c) > 1),
        "split": sum(1 for c in groups_of.values() if len(c) > 1),
        "purity": sum(max(c.values()) for c in bugs_of.values()) / n if n else float("nan"),
        "inverse_purity": sum(max(c.values()) for c in groups_of.values()) / n if n else float("nan"),
        "ari": adjusted_rand_index(pred, truth),
    }


def goals(rows):
    """The project's goals for our row (the first) against the peers' rows."""
    ours = rows[0]
    peer_best = max(r["ari"] for r in rows[1:])
    return {"no cluster mixes bugs": ours["mixed"] == 0,
            f"at most {GOAL_CLUSTERS_PER_BUG} clusters per bug": ours["per_bug"] <= GOAL_CLUSTERS_PER_BUG,
            # A partition equal to the truth can't be beaten, only matched.
            "ARI above every peer method": ours["ari"] > peer_best or ours["ari"] >= 1.0 - 1e-12}


def hidden_bugs(shown, truth):
    """True bugs none of whose inputs is among the shown ones."""
    seen = {truth[i] for i in shown if i in truth}
    return len(set(truth.values()) - seen)


def first_of_groups(pred):
    """One input per group, the first by name: what a method that keeps one testcase per
    signature hands over."""
    first = {}
    for item in sorted(pred):
        first.setdefault(pred[item], item)
    return set(first.values())


def self_test():
    """Hand-made cases; returns the number of failures."""
    failures = []

    def check(what, got, want, tol=1e-9):
        ok = abs(got - want) <= tol if isinstance(want, float) else got == want
        if not ok:
            failures.append(f"{what}: got {got!r}, want {want!r}")

    truth = {"a": 1, "b": 1, "c": 2, "d": 2, "e": 3, "f": 3}
    same = {"a": "x", "b": "x", "c": "y", "d": "y", "e": "z", "f": "z"}
    s = score(same, truth)
    check("identical: ARI", s["ari"], 1.0)
    check("identical: purity", s["purity"], 1.0)
    check("identical: mixed/split", (s["mixed"], s["split"]), (0, 0))
    check("identical: clusters per bug", s["per_bug"], 1.0)
    one = {k: 0 for k in truth}
    s = score(one, truth)
    check("one cluster: ARI", s["ari"], 0.0)
    check("one cluster: purity", s["purity"], 2 / 6)
    check("one cluster: inverse purity", s["inverse_purity"], 1.0)
    check("one cluster: mixed", s["mixed"], 1)
    singletons = {k: k for k in truth}
    s = score(singletons, truth)
    check("singletons: ARI", s["ari"], 0.0)
    check("singletons: purity", s["purity"], 1.0)
    check("singletons: inverse purity", s["inverse_purity"], 3 / 6)
    check("singletons: split", s["split"], 3)
    check("singletons: clusters per bug", s["per_bug"], 2.0)
    # Worked by hand: pred {a,b,c}{d,e,f}; n_ij = 2,1 / 1,2 over bugs {1:a,b}{2:c,d}{3:e,f}:
    # cells a,b->(p,1)=2; c->(p,2)=1; d->(q,2)=1; e,f->(q,3)=2: index = 1 + 1 = 2;
    # rows 3,3 -> 3 + 3 = 6; cols 2,2,2 -> 3; E = 6*3/15 = 1.2; max = 4.5; ARI = 0.8/3.3.
    half = {"a": "p", "b": "p", "c": "p", "d": "q", "e": "q", "f": "q"}
    s = score(half, truth)
    check("halves: ARI", s["ari"], 0.8 / 3.3)
    check("halves: purity", s["purity"], 4 / 6)
    check("halves: mixed, split", (s["mixed"], s["split"]), (2, 1))
    check("halves: inverse purity", s["inverse_purity"], 5 / 6)
    # Scikit-learn's documented example: [0,0,1,1] vs [0,0,1,2] -> 0.5714...; labels need not match.
    check("ARI example", adjusted_rand_index({1: 0, 2: 0, 3: 1, 4: 2}, {1: 0, 2: 0, 3: 1, 4: 1}), 4 / 7)
    check("ARI symmetric", adjusted_rand_index({1: 0, 2: 0, 3: 1, 4: 1}, {1: 0, 2: 0, 3: 1, 4: 2}), 4 / 7)
    check("hidden bugs", hidden_bugs({"a", "c"}, truth), 1)
    check("goals: a perfect peer ties a perfect us", list(goals([score(same, truth), score(same, truth)]).values()),
          [True, True, True])
    check("goals: ours mixed, split, worse", list(goals([score(half, truth), score(singletons, truth),
                                                         score(same, truth)]).values()), [False, True, False])
    check("goals: 1.5 clusters per bug", list(goals([{"mixed": 0, "per_bug": 1.5, "ari": 0.9},
                                                     {"ari": 0.8}]).values()), [True, False, True])
    check("first of groups", sorted(first_of_groups(half)), ["a", "d"])

    # The peers' code on small cases.
    check("CASR similarity of equal stacks", peers.casr_similarity((1, 2, 3), (1, 2, 3)), 1.0)
    check("CASR similarity of disjoint stacks", peers.casr_similarity((1, 2), (3, 4)), 0.0)
    labels = peers.complete_linkage(lambda i, j: [[0, .1, .5], [.1, 0, .2], [.5, .2, 0]][i][j], 3, 0.3)
    check("complete linkage: a, b together (0.1); c out (max 0.5)", labels, [1, 1, 2])
    labels, _ = peers.casr_cluster([(1, 2, 3, 4), (1, 2, 3, 4), (9, 8), None])
    check("CASR: duplicates share a cluster, no stack is none", (labels[0] == labels[1], labels[3]), (True, None))
    keep = peers.casr_unique_crashline(["r1", "r2", "r3", "r4"], [1, 1, 2, None], ["f.c:1", "f.c:1", "f.c:1", ""])
    check("--unique-crashline keeps the first per cluster", keep, [True, False, True, False])
    gdb = ["#0  0x0000000000001000 in __pthread_kill_implementation () from /usr/lib/libc.so.6",
           "#1  0x0000000000001010 in raise () from /usr/lib/libc.so.6",
           "#2  0x0000000000001020 in abort () from /usr/lib/libc.so.6",
           "#3  0x0000000000402000 in free_list () at /src/list.c:10:3",
           "#4  0x0000000000402100 in parse_item () at /src/parse.c:20:5",
           "#5  0x0000000000402200 in parse () at /src/parse.c:30:1",
           "#6  0x0000000000402300 in run () at /src/main.c:40:1",
           "#7  0x0000000000402400 in main () at /src/main.c:50:1",
           "#8  0x0000000000001200 in __libc_start_main_impl () from /usr/lib/libc.so.6"]
    maps = ["    0x400000     0x500000   0x100000        0x0 /usr/bin/prog",
            "    0x1000       0x2000     0x1000          0x0 /usr/lib/libc.so.6"]
    report = {"Stacktrace": gdb, "ProcMaps": maps, "Signal": {"Name": "SIGABRT"},
              "Stderr": ["prog: /src/list.c:10: free_list: Assertion `n > 0' failed."]}
    kind, state = peers.clusterfuzz_signature(report)
    # free_list is hidden by ClusterFuzz's ^free prefix; the assertion heads the state.
    check("ClusterFuzz: an assertion", (kind, state), ("ASSERT", "n > 0\nparse_item\nparse\n"))
    asan = dict(report, Stderr=[], AsanReport=[
        "==1==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x602000000011 at pc 0x1 bp 0x2 sp 0x3",
        "READ of size 4 at 0x602000000011 thread T0"])
    check("ClusterFuzz: an ASan type", peers.clusterfuzz_signature(asan),
          ("Heap-buffer-overflow\nREAD 4", "parse_item\nparse\nrun\n"))
    segv = dict(report, Stderr=[], AsanReport=[
        "==1==ERROR: AddressSanitizer: SEGV on unknown address 0x000000000010 (pc 0x1 bp 0x2 sp 0x3 T0)",
        "==1==The signal is caused by a WRITE memory access."])
    check("ClusterFuzz: a null write", peers.clusterfuzz_crash_type(segv)[0], "Null-dereference WRITE")
    check("ClusterFuzz: plain signal", peers.clusterfuzz_crash_type(dict(report, Stderr=[]))[0], "SIGABRT")
    major, minor = peers.exploitable_hashes(report)
    moved = dict(report, Stacktrace=[line.replace(" 0x0000000000402", " 0x0000000001402") for line in gdb],
                 ProcMaps=[maps[0].replace("0x400000     0x500000", "0x1400000     0x1500000"), maps[1]])
    check("exploitable: module-relative PCs make ASLR moot", peers.exploitable_hashes(moved), (major, minor))
    deeper = dict(report, Stacktrace=gdb[:8] + ["#8  0x0000000000402480 in helper () at /src/main.c:45:1",
                                                "#9" + gdb[8][2:]])
    other_major, other_minor = peers.exploitable_hashes(deeper)
    check("exploitable: a frame below the top 5 changes the minor hash only",
          (other_major == major, other_minor == minor), (True, False))
    try:
        import numpy
        stacks = [(1, 2, 3), (1, 2, 4, 5), (7, 1, 2), (6,)]
        cond = peers.similarity_matrix(stacks, numpy)
        k = 0
        for i in range(len(stacks)):
            for j in range(i + 1, len(stacks)):
                check(f"numpy and plain similarity agree on {i},{j}", float(cond[k]),
                      1.0 - peers.casr_similarity(stacks[i], stacks[j]), 1e-9)
                k += 1
    except ImportError:
        print("self-test: numpy not here; the vectorised similarity (bench_cluster.py) is not compared")
    for f in failures:
        print("self-test: FAILED", f)
    print(f"self-test: {'all checks passed' if not failures else f'{len(failures)} failed'}")
    return len(failures)


# ----------------------------------------------------------------------------------------------
# Programs
# ----------------------------------------------------------------------------------------------


class Program:
    def __init__(self, name, inputs, truth, commands, version, notes):
        self.name = name              # fuzz-target, nasm, ...
        self.inputs = inputs          # the folder given to triage-run -i
        self.truth = truth            # realpath of an input -> bug
        self.commands = commands      # build -> argv with @@, or a reason it is skipped
        self.version = version
        self.notes = notes


def sample_campaign(build):
    folder = os.path.join(ROOT, "corpus-samples/fuzz-target")
    inputs = os.path.join(folder, "inputs/default/crashes")
    truth = {}
    with open(os.path.join(folder, "expected-bugs.tsv")) as f:
        for row in csv.DictReader(f, delimiter="\t"):
            truth[os.path.realpath(os.path.join(inputs, row["input"]))] = row["bug"]
    commands = {}
    for kind, name in (("plain", "target"), ("asan", "target-asan")):
        binary = os.path.join(build, "corpus-samples/fuzz-target", name)
        commands[kind] = [binary, "@@"] if os.access(binary, os.X_OK) else f"{binary} is not built"
    return Program("fuzz-target", inputs, truth, commands, "this checkout",
                   ["The project's sample fuzz target (corpus-samples/fuzz-target/target.c; plain: cc -O1 -g, asan: "
                    "clang -fsanitize=address -O1 -g), its AFL++ crash inputs (inputs/default/crashes) and "
                    "expected-bugs.tsv"])


def read_conf(path):
    """program.conf's shell assignments (package, version, binary, command)."""
    script = ('set -e; . "$1"; printf "%s\\0" "${package-}" "${version-}" "${binary-}" "${command-}"')
    out = subprocess.run(["bash", "-c", script, "conf", path], capture_output=True, check=True).stdout
    package, version, binary, command = out.decode().split("\0")[:4]
    return {"package": package, "version": version, "binary": binary, "command": command}


def realworld_program(spec, work):
    """A program of corpus-samples/realworld (a name there, or a path), built; or a reason to skip it."""
    folder = os.path.abspath(spec if os.sep in spec else os.path.join(ROOT, "corpus-samples/realworld", spec))
    name = os.path.basename(folder)
    if not os.path.isfile(os.path.join(folder, "program.conf")):
        return None, f"{name}: no program.conf in {folder}"
    truth_file = os.path.join(folder, "ground-truth.tsv")
    if not os.path.isfile(truth_file):
        return None, f"{name}: no ground-truth.tsv yet"
    conf = read_conf(os.path.join(folder, "program.conf"))
    truth = {}
    with open(truth_file) as f:
        for row in csv.DictReader(f, delimiter="\t"):
            truth[os.path.realpath(os.path.join(folder, row["input"]))] = row["bug"]
    # Built by the realworld.sh of the checkout the program folder belongs to.
    script = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(folder))), "scripts/realworld.sh")
    out = os.path.join(work, "builds", name)
    binaries = {kind: os.path.join(out, kind, conf["binary"]) for kind in BUILDS}
    if os.path.isfile(script):
        # realworld.sh rebuilds only what is older than the program's build.sh and program.conf.
        print(f"bench: {name} {conf['version']}: scripts/realworld.sh build (plain and ASan) into {out}", flush=True)
        with open(os.path.join(work, f"build-{name}.log"), "w") as log:
            status = subprocess.run(["nice", "-n", "10", "bash", script, "build", name, out], stdout=log,
                                    stderr=subprocess.STDOUT).returncode
        if status == 77:
            return None, f"{name}: skipped: the pinned version {conf['version']} can't be had here (realworld.sh exit 77)"
        if status != 0:
            return None, f"{name}: the build failed (status {status}): see {work}/build-{name}.log"
    elif not all(os.access(b, os.X_OK) for b in binaries.values()):
        return None, f"{name}: {script} not found to build it"
    words = shlex.split(conf["command"])
    commands = {kind: [binaries[kind]] + words[1:] for kind in BUILDS}
    notes = [f"Debian source package {conf['package']} {conf['version']}, built by scripts/realworld.sh "
             f"(plain -g -O1, and ASan); run as `{conf['command']}`; truth from ground-truth.tsv"]
    return Program(name, os.path.join(folder, "inputs"), truth, commands, conf["version"], notes), None


# ----------------------------------------------------------------------------------------------
# Triage and the methods
# ----------------------------------------------------------------------------------------------


def triage(triage_run, program, build, work, jobs, timeout):
    """Runs triage-run; returns its summary.json and output folder."""
    out = os.path.join(work, "runs", program.name, build)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    argv = [triage_run, "-i", program.inputs, "-o", out, "-j", str(jobs), "-t", str(timeout), "--all-reports",
            "--"] + program.commands[build]
    with open(out + ".log", "w") as log:
        status = subprocess.run(argv, stdout=log, stderr=subprocess.STDOUT).returncode
    summary_path = os.path.join(out, "summary.json")
    if status not in (0, 1) or not os.path.isfile(summary_path):
        sys.exit(f"bench: triage-run failed with status {status}: see {out}.log")
    with open(summary_path) as f:
        return json.load(f), out, status


def groupings(summary, out, truth):
    """For each method, input -> group over the scored inputs; and what each hands a user."""
    scored, left_out = {}, collections.Counter()
    reports = {}
    for entry in summary["inputs"]:
        path = os.path.realpath(entry["input"])
        if path not in truth:
            left_out["not in the truth"] += 1
            continue
        if entry["status"] != "crash":
            left_out[entry["status"]] += 1
            continue
        if not entry.get("own_report"):
            sys.exit("bench: summary.json has no own_report: this triage-run lacks --all-reports (rebuild)")
        scored[path] = truth[path]
        with open(os.path.join(out, entry["own_report"])) as f:
            reports[path] = (json.load(f), entry)
    items = sorted(scored)
    groups = {m: {} for m in METHODS}
    shown = {}
    # Ours: the cluster, and the distinct crashes' reports (named after their input).
    ours_shown = set()
    for path in items:
        entry = reports[path][1]
        groups["ours"][path] = entry["cluster"]
        if os.path.basename(entry["report"]) == os.path.basename(path) + ".casrep":
            ours_shown.add(path)
    shown["ours"] = ours_shown
    # CASR, its clerr/ reports alone each.
    stacks = [peers.casr_stack_of(reports[p][0]) for p in items]
    labels, unique_of = peers.casr_cluster(stacks)
    no_stack = 0
    for path, label in zip(items, labels):
        if label is None:
            no_stack += 1
            label = ("clerr", path)
        groups["CASR"][path] = label
        groups["CASR --unique-crashline"][path] = label
    # -d keeps the first report (by name) of each stack; --unique-crashline then one per crash line.
    first_of_stack = {}
    for path, u in zip(items, unique_of):
        if u is not None:
            first_of_stack.setdefault(u, path)
    kept = set(first_of_stack.values())
    shown["CASR"] = kept | {p for p, u in zip(items, unique_of) if u is None}
    names = [os.path.basename(p) for p in items]
    keep = peers.casr_unique_crashline([n if p in kept else "" for n, p in zip(names, items)],
                                       [lab if p in kept else None for lab, p in zip(labels, items)],
                                       [reports[p][0].get("CrashLine") or "" for p in items])
    shown["CASR --unique-crashline"] = {p for p, k in zip(items, keep) if k}
    for path in items:
        report = reports[path][0]
        groups["ClusterFuzz"][path] = peers.clusterfuzz_signature(report)
        major, minor = peers.exploitable_hashes(report)
        groups["exploitable major"][path] = major
        groups["exploitable major.minor"][path] = (major, minor)
    for method in ("ClusterFuzz", "exploitable major", "exploitable major.minor"):
        shown[method] = first_of_groups(groups[method])
    return scored, groups, shown, left_out, {"casr_no_stack": no_stack, "casr_unique": len(first_of_stack)}


def measure(program, build, triage_run, work, jobs, timeout):
    summary, out, status = triage(triage_run, program, build, work, jobs, timeout)
    truth, groups, shown, left_out, extra = groupings(summary, out, program.truth)
    rows = []
    for method in METHODS:
        s = score(groups[method], truth)
        s.update(method=method, shown=len(shown[method]), hidden=hidden_bugs(shown[method], truth))
        rows.append(s)
    return {"program": program.name, "build": build, "rows": rows, "left_out": dict(left_out), "goals": goals(rows),
            "inputs_total": len(summary["inputs"]), "status": status, "extra": extra,
            "truth_bugs": len(set(program.truth.values())), "truth_inputs": len(program.truth)}


# ----------------------------------------------------------------------------------------------
# Output
# ----------------------------------------------------------------------------------------------

HEAD = ["| method | clusters | true bugs | clusters per bug | mixed clusters | split bugs | purity "
        "| inverse purity | ARI | reports shown | bugs hidden |",
        "|---|---|---|---|---|---|---|---|---|---|---|"]


def table(result):
    lines = list(HEAD)
    for r in result["rows"]:
        name = f"**{r['method']}**" if r["method"] == "ours" else r["method"]
        lines.append(f"| {name} | {r['clusters']} | {r['bugs']} | {r['per_bug']:.2f} | {r['mixed']} | {r['split']} | "
                     f"{r['purity']:.3f} | {r['inverse_purity']:.3f} | {r['ari']:.3f} | {r['shown']} | "
                     f"{r['hidden']} |")
    return lines


def describe(result):
    left = ", ".join(f"{n} {k}" for k, n in sorted(result["left_out"].items())) or "none"
    scored = result["rows"][0]["inputs"]
    goals = "; ".join(f"{g}: **{'yes' if ok else 'NO'}**" for g, ok in result["goals"].items())
    return [f"{scored} of {result['inputs_total']} inputs scored (left out: {left}); "
            f"CASR: {result['extra']['casr_unique']} unique stacks, {result['extra']['casr_no_stack']} reports "
            f"without a stack.", "", f"Goals: {goals}."]


def first_line(argv):
    try:
        out = subprocess.run(argv, capture_output=True, text=True).stdout
    except OSError:
        return None
    return out.splitlines()[0].strip() if out.strip() else None


def versions(triage_run):
    parts = [first_line([triage_run, "--version"]) or "triage-run ?", f"Linux {platform.release()}",
             f"Python {platform.python_version()}"]
    parts += [v for v in (first_line(["cc", "--version"]), first_line(["clang", "--version"])) if v]
    return ", ".join(parts)


def machine():
    model = platform.processor() or "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip() or "?"
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    date = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    return f"{os.cpu_count()} CPUs ({model}), {date}; commit {commit}{' with uncommitted changes' if dirty else ''}"


def write_results(path, results, programs, skipped, args, triage_run):
    md = ["# Our clusters against ground truth, next to the peers' methods on the same reports", "",
          f"Machine: {machine()}. Versions: {versions(triage_run)}. Made by `python3 bench/bench_realworld.py "
          f"--jobs {args.jobs}` (`triage-run -j {args.jobs} -t {args.timeout} --all-reports`).", "",
          "Every method groups the same crashes from the same reports: triage-run's own report of each crash "
          "input. *Ours* is triage-run's clusters; the peers' methods are reimplemented in "
          "[bench/peers.py](../peers.py) (see Methods below). Inputs that did not crash on a build are left out "
          "of both the methods and the truth.", "",
          "Goals: no cluster of ours mixes two bugs; at most 1.25 clusters per bug; an ARI above every peer "
          "method's (or 1, the truth itself, which a peer can only match), on both builds.", ""]
    summary = ["| program | build | inputs scored | true bugs | our clusters | our ARI | best peer ARI "
               "| no cluster mixes bugs | at most 1.25 clusters per bug | ARI above every peer |",
               "|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        ours = r["rows"][0]
        best = max(r["rows"][1:], key=lambda x: x["ari"])
        met = " | ".join(f"{'yes' if ok else '**NO**'}" for ok in r["goals"].values())
        summary.append(f"| {r['program']} | {r['build']} | {ours['inputs']} | {ours['bugs']} | {ours['clusters']} | "
                       f"{ours['ari']:.3f} | {best['ari']:.3f} ({best['method']}) | {met} |")
    md += summary + [""]
    for s in skipped:
        md.append(f"- not measured: {s}")
    if skipped:
        md.append("")
    for program in programs:
        md += [f"## {program.name}", "", f"{'; '.join(program.notes)}. Truth: {len(program.truth)} inputs, "
               f"{len(set(program.truth.values()))} bugs.", ""]
        for r in results:
            if r["program"] != program.name:
                continue
            md += [f"### {program.name}, {r['build']} build", "", *table(r), "", *describe(r), ""]
        for build in BUILDS:
            if isinstance(program.commands.get(build), str):
                md += [f"- {build} build not measured: {program.commands[build]}", ""]
    md += ["## Methods", "", "Metrics (N scored inputs): *clusters per bug* = clusters / true bugs; *mixed "
           "clusters* hold inputs of more than one bug; *split bugs* have inputs in more than one cluster; "
           "*purity* = sum over clusters of its largest bug's count / N; *inverse purity* = sum over bugs of "
           "their largest cluster's count / N; *ARI* = Adjusted Rand Index (1: the partition is the truth; "
           "about 0: no better than chance); *reports shown* = what a user is handed (ours: one report per "
           "distinct crash; CASR: one per unique stack after `-d`, and with `--unique-crashline` one per "
           "crash line per cluster; ClusterFuzz and exploitable: one testcase per group); *bugs hidden* = "
           "true bugs none of whose inputs' reports is shown.", "",
           "- **ours**: `triage-run`'s cluster of each input (`summary.json`).",
           "- **CASR** (`casr-cluster -d`, then `-c`): the stack parsed from the report's `Stacktrace` as CASR "
           "parses it (gdb lines; ASan lines when `AsanReport` is set), CASR's C/C++ function and file/module "
           "ignore lists, everything above `LLVMFuzzerTestOneInput` cut, repeated intervals (recursion) folded, "
           "frames keyed by file:line:column, else module+offset, else address; dedup by the whole stack; "
           "complete linkage over all pairs of unique stacks with distance 1 - similarity (CASR's ReBucket-like "
           "measure, a = 0.04, r = 0.13), clusters cut below distance 0.3. A report without a usable stack "
           "(CASR's `clerr/`) counts as a cluster of its own.",
           "- **CASR --unique-crashline**: the same clusters; inside each, a report whose `CrashLine` an "
           "earlier report of the cluster (by file name) has is not written out. The partition is CASR's; "
           "the difference is in *reports shown* and *bugs hidden*.",
           "- **ClusterFuzz**: testcases grouped by exact (crash type, crash state). Crash type from the "
           "sanitizer report as ClusterFuzz's stack parser reads it (`Heap-buffer-overflow\\nREAD 4`, "
           "`Null-dereference WRITE`, `Stack-overflow`, sizes over 16 as `{*}`, UBSan's runtime errors by "
           "its table), else the signal as gdb reports it (`SIGSEGV`), or `ASSERT` when glibc printed an "
           "assertion (its text then heads the state). Crash state: the first 3 frames that pass its "
           "`STACK_FRAME_IGNORE_REGEXES` (the C/C++ entries; they include prefixes such as `free`, `new`, "
           "`delete`, `main`, `abort`, so a program's own `free_list` is skipped too) and, the stack being "
           "symbolized, its libc/libstdc++ module list; each frame cut to its function name; addresses and "
           "numbers normalised, lines capped at 80 characters; a stack overflow by its repeated frame cycle.",
           "- **exploitable major / major.minor** (gdb `exploitable`, jfoote/exploitable): frames from the "
           "innermost up to `__libc_start_main`; the major hash chains md5 over the first 5 frames not "
           "blacklisted (`abort`, `raise`, `malloc`, `free`, `__GI_abort`, `__GI_raise`, `malloc_printerr`, "
           "`__libc_message`, `_int_malloc`, `_int_free`, `__kernel_vsyscall`, or a frame in libc/libm), the "
           "minor hash over every frame (blacklisted ones marked `(BL)`); a frame's text is `#POS NAME at PC "
           "in MAPPING`, as exploitable writes it. exploitable runs the target under gdb, where ASLR is off "
           "and a code address is fixed; our runs have ASLR on, so PC is written as the mapping's file plus "
           "offset, which splits and joins exactly as the fixed address would.", "",
           "triage-run runs an ASan build with ASan's signal handlers off (the kernel writes the core), so a "
           "crash by signal has no ASan report there: ClusterFuzz's type is then the signal, as on the plain "
           "build, and its stack-overflow cycle rule (for the type Stack-overflow) does not apply. A stack "
           "overflow stops at a point that depends on where ASLR put the stack, so a method that hashes exact "
           "frames (exploitable) can gain or lose a group from one run to the next.", ""]
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(md))
    return summary


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--programs", help="comma-separated names or folders (default: fuzz-target and every "
                                           "corpus-samples/realworld program with a ground-truth.tsv)")
    parser.add_argument("--work", default="/tmp/triage-bench/realworld")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=10)
    parser.add_argument("--results", default=os.path.join(ROOT, "bench/results/realworld.md"))
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args()
    if args.self_test:
        sys.exit(1 if self_test() else 0)
    build = os.path.abspath(args.build)
    triage_run = os.path.join(build, "tools/triage-run/triage-run")
    if not os.access(triage_run, os.X_OK):
        sys.exit(f"bench: {triage_run} not found: build first (scripts/build.sh)")
    if args.jobs < 1 or not args.timeout > 0:
        sys.exit("bench: --jobs and --timeout must be positive")
    work = os.path.abspath(args.work)
    os.makedirs(work, exist_ok=True)
    if args.programs:
        specs = [s for s in args.programs.split(",") if s]
    else:
        base = os.path.join(ROOT, "corpus-samples/realworld")
        specs = ["fuzz-target"] + sorted(n for n in (os.listdir(base) if os.path.isdir(base) else [])
                                         if os.path.isfile(os.path.join(base, n, "ground-truth.tsv")))
    programs, skipped = [], []
    if specs == ["fuzz-target"] and not args.programs:
        skipped.append("corpus-samples/realworld: no program with a ground-truth.tsv in this checkout yet")
    for spec in specs:
        if spec == "fuzz-target":
            programs.append(sample_campaign(build))
            continue
        program, why = realworld_program(spec, work)
        if program:
            programs.append(program)
        else:
            skipped.append(why)
            print(f"bench: {why}", flush=True)
    results = []
    for program in programs:
        for kind in BUILDS:
            if isinstance(program.commands[kind], str):
                print(f"bench: {program.name} {kind}: not measured: {program.commands[kind]}", flush=True)
                continue
            result = measure(program, kind, triage_run, work, args.jobs, args.timeout)
            results.append(result)
            print(f"\n{program.name}, {kind} build", flush=True)
            print("\n".join(table(result) + [""] + describe(result)), flush=True)
    if not results:
        sys.exit("bench: nothing measured")
    summary = write_results(args.results, results, programs, skipped, args, triage_run)
    print("\n" + "\n".join(summary))
    print(f"\nbench: wrote {os.path.relpath(args.results, os.getcwd())}")


if __name__ == "__main__":
    main()

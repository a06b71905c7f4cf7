#!/usr/bin/env python3
"""Checks a real-world campaign's ground truth: each fix, applied alone, makes
exactly the inputs the truth gives that bug stop crashing, and no other.

    scripts/realworld.sh verify PROGRAM OUT      (OUT as for `realworld.sh build`)

A run "crashes" when the ASan build dies of a signal or reports an error
(every bug of the campaign shows there; some only there). For each fix the
ASan build tree OUT/src-asan is patched, rebuilt, every input run, and the
patch reversed. Prints one line per fix and exits 1 on any disagreement.
"""
import csv
import os
import shlex
import subprocess
import sys
import shutil
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def conf(program_dir):
    """program.conf's assignments (shell syntax, values possibly quoted)."""
    values = {}
    with open(os.path.join(program_dir, "program.conf")) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                values[key] = shlex.split(value)[0] if value else ""
    return values


def truth(program_dir):
    with open(os.path.join(program_dir, "ground-truth.tsv")) as f:
        return list(csv.DictReader(f, delimiter="\t"))


def crashes(binary, command, input_path, workdir):
    argv = shlex.split(command)
    argv[0] = binary
    argv = [os.path.abspath(input_path) if a == "@@" else a for a in argv]
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:symbolize=0:allocator_may_return_null=1")
    try:
        p = subprocess.run(argv, cwd=workdir, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, env=env, timeout=20)
    except subprocess.TimeoutExpired:
        return False
    return p.returncode < 0 or b"ERROR: AddressSanitizer" in p.stderr


def rebuild(tree, program_dir, c, bindir):
    """Runs make again in TREE (build.sh rebuild, with the flavour's compiler
    and flags as realworld.sh recorded them) and copies what the campaign runs
    into BINDIR: the binary finds its libraries next to it."""
    env = dict(os.environ)
    with open(os.path.join(tree, ".triage-build-env")) as f:
        env.update(line.rstrip("\n").split("=", 1) for line in f if "=" in line)
    subprocess.run(["bash", os.path.join(program_dir, "build.sh"), "rebuild"], cwd=tree, env=env, check=True,
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for artifact in (c.get("artifacts") or c["binary"]).split():
        shutil.copy2(os.path.join(tree, artifact), bindir)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    program, out = sys.argv[1], sys.argv[2]
    program_dir = os.path.join(ROOT, "corpus-samples", "realworld", program)
    c = conf(program_dir)
    rows = truth(program_dir)
    tree = os.path.join(out, "src-asan")
    inputs = {r["input"]: os.path.join(program_dir, r["input"]) for r in rows}
    bug_of = {r["input"]: r["bug"] for r in rows}
    fix_of = {r["input"]: r["fix"] for r in rows}
    fixes = sorted(set(fix_of.values()))
    failures = 0
    with tempfile.TemporaryDirectory() as work:
        bindir = os.path.join(work, "bin")
        os.mkdir(bindir)
        binary = os.path.join(bindir, c["binary"])
        rebuild(tree, program_dir, c, bindir)
        base = {i: crashes(binary, c["command"], p, work) for i, p in inputs.items()}
        not_crashing = sorted(i for i, crashed in base.items() if not crashed)
        if not_crashing:
            failures += 1
            print(f"unpatched: {len(not_crashing)} inputs do not crash: {' '.join(not_crashing)}")
        for fix in fixes:
            patch = os.path.join(program_dir, fix)
            subprocess.run(["patch", "-s", "-p1", "-i", patch], cwd=tree, check=True)
            try:
                rebuild(tree, program_dir, c, bindir)
                stopped = {i for i, p in inputs.items() if base[i] and not crashes(binary, c["command"], p, work)}
            finally:
                subprocess.run(["patch", "-s", "-R", "-p1", "-i", patch], cwd=tree, check=True)
            expected = {i for i in inputs if fix_of[i] == fix and base[i]}
            ok = stopped == expected
            failures += not ok
            print(f"{fix}: stops {len(stopped)} inputs, the truth says {len(expected)}: {'ok' if ok else 'DIFFERS'}")
            for i in sorted(stopped - expected):
                print(f"  also stopped: {i} ({bug_of[i]})")
            for i in sorted(expected - stopped):
                print(f"  still crashes: {i}")
        rebuild(tree, program_dir, c, bindir)
    print(f"{len(fixes)} fixes, {len(inputs)} inputs: {'the ground truth holds' if not failures else f'{failures} disagreements'}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()

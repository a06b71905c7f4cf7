#!/usr/bin/env python3
"""Makes a realistic fuzzing campaign's worth of .casrep reports from a few real ones.

Usage: bench/gen_reports.py SEED_DIR OUT_DIR N [--bugs B] [--seed S] [--zipf 1.0] [-j JOBS]

SEED_DIR holds real reports of one program (triage-core's output for its cores), e.g.
    bash corpus-samples/fuzz-target/make-batch-cores.sh build /tmp/seedcores 40
    build/tools/triage-core/triage-core -i /tmp/seedcores -o /tmp/seedreports -j 2
If SEED_DIR/bugs.tsv exists (lines "REPORT<TAB>BUG", a header line allowed), it names
the bug of each seed report; otherwise a seed's bug is the function of its crash line.

OUT_DIR gets N reports in OUT_DIR/fuzzerNN/crash-NNNNNN.casrep (8 fuzzer folders) and
OUT_DIR/truth.tsv: "report<TAB>bug<TAB>base<TAB>form", report relative to OUT_DIR, bug
an integer id, base the seed bug it was derived from, form ours/casr/asan. truth.tsv
is written last: its presence means the set is complete.

What varies, as in a real campaign:
  bugs      B distinct bugs (default 200): the seeds' own bugs, and bugs derived
            from them by renaming the crash frame's function and the other functions
            of that seed bug's own (not main, nor a function that several seed bugs go
            through, such as a parser's dispatcher: those stay, called from other
            lines), moving them to other lines and another source file, and moving the
            code (every program address of the bug shifts by one amount); CrashLine
            and Source follow. Reports pick a bug with a Zipf law (rank r
            has weight 1/r^zipf) over a random ranking; bugs whose every report is a
            2000-frame stack overflow (1 MiB reports) take the last ranks.
  per bug   the seed bug's variants (crash sites, classes and stack shapes seen in
            its seed reports, weighted by how often they were seen); for about half
            the bugs, 1-2 other call paths to the crash (the bug's own caller replaced
            by another function, or a helper inserted below a shared caller; the call
            site further out moves), taken by 25% of that bug's reports.
  per input ASLR (program, libraries, stack and heap move independently; every
            address moves with its region: Stacktrace, Frames[].Address, Registers,
            Disassembly, ProcMaps, Modules, Signal.FaultAddress, Warnings), pid and
            tid, date, core path, command line, fault address of the seed picked,
            recursion depth (60% 1-10, 30% 11-100, 8.5% 101-1000, 1.5% deeper, which
            truncates the stack at the frame limit as triage-core does).
  form      ~5% in CASR's own form (casr-core/casr-gdb keys, gdb `bt` lines with
            arguments and no columns, no Threads/Modules/Signal), ~1% in casr-san's
            form (ASan stack lines, AsanReport; half of those with the stack only in
            AsanReport and an empty Stacktrace). The rest exactly like the seeds
            (same keys, order and layout as triage-core writes).

Deterministic for a given --seed (and seed reports), whatever -j.
"""
import argparse
import bisect
import datetime
import json
import multiprocessing
import os
import random
import re
import sys
import time

FUZZERS = 8
HEAP_SPAN = 1 << 30
LIB_MARGIN = 1 << 24
STACK_MARGIN = 1 << 24
PID_SPAN = 1000

CONST, PROG, HEAP, LIB, STACK, PID = range(6)

VERBS = ["parse", "read", "decode", "load", "copy", "scan", "emit", "walk", "merge", "split", "fill", "draw",
         "pack", "unpack", "apply", "resolve", "flush", "grow", "store", "check", "lookup", "hash", "render",
         "expand", "build", "release", "init", "update", "insert", "remove", "blend", "clip", "convert",
         "normalize", "index", "skip", "seek", "trim", "measure", "layout"]
NOUNS = ["header", "chunk", "attr", "name", "table", "entry", "block", "frame", "palette", "glyph", "layer",
         "sprite", "node", "list", "buffer", "token", "string", "range", "tile", "group", "event", "field",
         "record", "stream", "image", "row", "cell", "text", "tag", "anchor", "font", "path", "curve", "mesh",
         "atlas", "cursor", "window", "region", "span", "slot"]
FILES = ["scene.c", "chunk.c", "text.c", "render.c", "palette.c", "grid.c", "events.c", "util.c", "io.c",
         "sprite.c", "font.c", "layout.c", "image.c", "decode.c", "group.c"]
OPS = ["havoc", "splice", "flip1", "flip2", "arith8", "arith16", "int8", "int16", "quick", "ext_AO"]
TRUNC_WARNING = "the crashing thread's stack has more than %d frames; only the innermost are shown"
CASR_KEYS = ["Date", "Uname", "OS", "OSRelease", "Architecture", "ExecutablePath", "ProcEnviron", "ProcCmdline",
             "Stdin", "ProcStatus", "ProcMaps", "ProcFiles", "NetworkConnections", "CrashSeverity", "Stacktrace",
             "Registers", "Disassembly", "Package", "PackageVersion", "PackageArchitecture", "PackageDescription",
             "AsanReport", "PythonReport", "GoReport", "CrashLine", "Source"]
UNAME = "Linux fuzz-01 6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01) x86_64 GNU/Linux"
ASAN_SIGNALS = {"SIGSEGV": "SEGV", "SIGBUS": "BUS", "SIGFPE": "FPE", "SIGABRT": "ABRT", "SIGILL": "ILL",
                "SIGTRAP": "TRAP"}
HEX = re.compile(r"0x[0-9a-fA-F]+")
# Placeholders inside the text json.dumps makes of a template: \x01N\x01 stands for a whole JSON
# value (the quotes go too), \x02N\x02 for a number inside a string.
SLOT = re.compile(r'"\\u0001(\d+)\\u0001"|\\u0002(\d+)\\u0002')


def jstr(text):
    return json.dumps(text, ensure_ascii=False)


def pct(text):
    return text.replace("%", "%%")


class Regions:
    """Where a seed's addresses are: program, its heap, libraries, stack; and its pid."""

    def __init__(self, report):
        modules = report.get("Modules") or []
        exe = report.get("ExecutablePath", "")
        prog = next((m for m in modules if m["Path"] == exe), modules[0] if modules else None)
        self.prog = (prog["Start"], prog["End"]) if prog else (1, 0)
        self.prog_path = prog["Path"] if prog else exe
        libs = [m for m in modules if m is not prog and m["Start"]]
        self.lib = ((min(m["Start"] for m in libs) - LIB_MARGIN, max(m["End"] for m in libs) + LIB_MARGIN)
                    if libs else (1, 0))
        self.lib_start = min(m["Start"] for m in libs) if libs else 0
        regs = report.get("Registers") or {}
        sp = regs.get("rsp", regs.get("sp", regs.get("esp", 0)))
        self.sp = sp
        self.stack = (sp - STACK_MARGIN, sp + STACK_MARGIN) if sp else (1, 0)
        self.pid = report.get("Pid", 0) or -PID_SPAN * 2
        self.bits64 = any(m["End"] > 1 << 32 for m in modules)

    def classify(self, value, shift):
        """(region, value + shift if it is in the program) for an address or number."""
        if self.pid <= value < self.pid + PID_SPAN:
            return PID, value
        if self.prog[0] <= value < self.prog[1]:
            return PROG, value + shift
        if self.prog[1] <= value < self.prog[1] + HEAP_SPAN:
            return HEAP, value
        if self.lib[0] <= value < self.lib[1]:
            return LIB, value
        if self.stack[0] <= value < self.stack[1]:
            return STACK, value
        return CONST, value


class Compiler:
    """Turns a template object with slots into a %-format string and its slot list."""

    def __init__(self):
        self.slots = []

    def value(self, region, old):
        """A number: the slot renders old + delta[region]."""
        self.slots.append((region, old))
        return "\x01%d\x01" % (len(self.slots) - 1)

    def special(self, name):
        """A JSON value given per report (already encoded)."""
        self.slots.append((None, name))
        return "\x01%d\x01" % (len(self.slots) - 1)

    def hexes(self, text, regions, shift, ends=()):
        """A string whose 0x numbers move with their regions; tokens numbered in ends are
        exclusive end addresses, which move with the region just below them."""
        count = [-1]

        def repl(match):
            token = match.group(0)
            count[0] += 1
            value = int(token, 16)
            if count[0] in ends:
                region, old = regions.classify(value - 1, shift)
                old += 1
            else:
                region, old = regions.classify(value, shift)
            if region == CONST:
                return token
            width = len(token) - 2 if token[2] == "0" and len(token) > 3 else 0
            self.slots.append((region, old, width))
            return "0x\x02%d\x02" % (len(self.slots) - 1)
        return HEX.sub(repl, text)

    def finish(self, obj):
        """(format, slots): format % tuple(values of slots) is the report's text."""
        text = pct(json.dumps(obj, indent=2, ensure_ascii=False))
        order = []

        def place(match):
            whole = match.group(1) is not None
            slot = self.slots[int(match.group(1) if whole else match.group(2))]
            order.append(slot[:2])
            if whole:
                return "%s" if slot[0] is None else "%d"
            return "%%0%dx" % slot[2] if slot[2] else "%x"
        # One pass, so that the slots are in the order they appear in the text.
        return SLOT.sub(place, text), order


def list_indent(fmt_text, key):
    """Spaces before the key `"key": %s` in a compiled template."""
    match = re.search(r'\n( *)"%s": %%s' % re.escape(key), fmt_text)
    return len(match.group(1)) if match else 2


class Frame:
    """One frame of a bug's stack, with its JSON and stack-line formats."""
    __slots__ = ("d", "region", "old", "json_fmt", "bt_fmt")

    def __init__(self, d, regions):
        self.d = d
        if d["Module"] and d["Module"] == regions.prog_path:
            self.region, self.old = PROG, regions.prog[0] + d["ModuleOffset"]
        elif d["Module"] and regions.lib[0] <= d["Address"] < regions.lib[1]:
            self.region, self.old = LIB, d["Address"]
        else:
            self.region, self.old = regions.classify(d["Address"], 0)
        self.json_fmt = self.bt_fmt = None

    def compile_json(self, indent):
        shadow = dict(self.d)
        shadow["Address"] = "\x01A\x01"
        text = pct(json.dumps(shadow, indent=2, ensure_ascii=False))
        text = text.replace('"\\u0001A\\u0001"', "%d")
        pad = " " * indent
        self.json_fmt = "\n".join(pad + line for line in text.split("\n"))

    def where(self):
        d = self.d
        if d["File"]:
            pos = d["File"]
            if d["Line"]:
                pos += ":%d" % d["Line"]
                if d["Column"]:
                    pos += ":%d" % d["Column"]
            return " at " + pos
        if d["Module"]:
            return " from " + d["Module"]
        return ""

    def compile_bt(self, indent):
        """triage-core's line: #N  0xADDR in FUNC () at FILE:LINE:COL."""
        rest = " in %s ()%s" % (self.d["Function"] or "??", self.where())
        self.bt_fmt = " " * indent + '"#%-2d %s' + pct(jstr(rest)[1:])


def gdb_hex(addr):
    """An address as gdb's backtrace writes it: 16 digits, 8 when it fits in 32 bits."""
    return "0x%016x" % addr if addr > 0xFFFFFFFF else "0x%08x" % addr


def gdb_args(name, prog_data):
    """Plausible gdb argument lists (values move with their regions)."""
    if name == "main":
        return [("argc", None, 2), ("argv", STACK, 0x1a8)]
    h = sum(map(ord, name))
    kinds = [[("s", HEAP, 0x2a0)], [("s", HEAP, 0x2a0), ("p", PROG, prog_data), ("len", None, 7)],
             [("n", HEAP, 0x320 + (h % 7) * 0x20)], [("p", PROG, prog_data), ("len", None, 17)],
             [("s", HEAP, 0x2a0), ("depth", None, 3)]]
    return kinds[h % len(kinds)]


class Template:
    """One seed report prepared for rendering: its runs of frames and its other parts."""

    def __init__(self, name, report, bug_name):
        self.name = name
        self.report = report
        self.bug_name = bug_name
        self.regions = Regions(report)
        thread = report["Threads"][0]
        frames = thread["Frames"]
        self.truncated = bool(thread.get("Truncated"))
        self.nframes = len(frames)
        # Runs of identical consecutive frames (recursion).
        runs = []
        for f in frames:
            key = tuple(f.values())
            if runs and runs[-1][0] == key:
                runs[-1][2] += 1
            else:
                runs.append([key, f, 1])
        self.runs = [(f, n) for _, f, n in runs]
        crash_line = report.get("CrashLine", "")
        self.crash = 0
        for i, f in enumerate(frames):
            if f["File"] and crash_line in ("%s:%d:%d" % (f["File"], f["Line"], f["Column"]),
                                            "%s:%d" % (f["File"], f["Line"])):
                self.crash = i
                break
        # Index of the crash frame's run.
        count = 0
        self.crash_run = 0
        for r, (_, n) in enumerate(self.runs):
            if count + n > self.crash:
                self.crash_run = r
                break
            count += n
        sd = report.get("CrashSeverity", {}).get("ShortDescription", "")
        sig = (report.get("Signal") or {}).get("CodeName", "")
        self.shape_key = (tuple(tuple(f.values())[1:] for f, _ in self.runs), sd, sig, self.truncated)
        self.collapsed = tuple(tuple((k, v) for k, v in f.items() if k not in ("Address",)) for f, _ in self.runs)
        self.rec_run = next((r for r, (_, n) in enumerate(self.runs) if n > 1), None)


class Shape:
    def __init__(self, templates):
        self.templates = templates
        self.weight = len(templates)
        self.truncated = templates[0].truncated
        recs = [t.rec_run for t in templates if t.rec_run is not None]
        self.rec_run = min(recs) if recs else None


def seed_bug_names(seed_dir, names):
    path = os.path.join(seed_dir, "bugs.tsv")
    if not os.path.exists(path):
        return {}
    out = {}
    for line in open(path):
        parts = line.rstrip("\n").split("\t")
        if len(parts) >= 2 and parts[0] != "report":
            out[os.path.basename(parts[0])] = parts[1]
    return out


def natural(name):
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name)]


def load_seeds(seed_dir):
    files = []
    for root, _, names in os.walk(seed_dir):
        files += [os.path.join(root, n) for n in names if n.endswith(".casrep")]
    files.sort(key=lambda p: natural(os.path.relpath(p, seed_dir)))
    if not files:
        sys.exit(f"gen_reports: no .casrep files in {seed_dir}")
    named = seed_bug_names(seed_dir, files)
    templates = []
    for path in files:
        name = os.path.basename(path)
        report = json.load(open(path))
        threads = report.get("Threads") or []
        if not threads or not threads[0].get("Frames"):
            print(f"gen_reports: {name}: no Threads[0].Frames, not a seed", file=sys.stderr)
            continue
        if len(threads[0]["Frames"]) != len(report.get("Stacktrace", [])):
            print(f"gen_reports: {name}: Stacktrace and Frames differ in length, not a seed", file=sys.stderr)
            continue
        t = Template(name, report, None)
        crash = threads[0]["Frames"][t.crash]
        t.bug_name = named.get(name) or named.get(name.replace(".casrep", "")) or crash["Function"] or \
            report.get("CrashLine", "?")
        templates.append(t)
    return templates


class Bug:
    """A bug: a seed bug's shapes, renamed and moved for derived bugs."""

    def __init__(self, ident, base, shapes, rng, pool, file_pool, derived, shared):
        self.id = ident
        templates = [t for s in shapes for t in s.templates]
        # A crash function is the bug's own even when other seed bugs crash in it too.
        crash_funcs = {t.report["Threads"][0]["Frames"][t.crash]["Function"] for t in templates}
        self.shared = shared - crash_funcs | {"main"}
        shared = self.shared
        self.base = base
        self.shapes = shapes
        self.derived = derived
        self.heavy = all(s.truncated for s in shapes)
        self.cum = []
        total = 0
        for s in shapes:
            total += s.weight
            self.cum.append(total)
        self.total = total
        templates = [t for s in shapes for t in s.templates]
        prog_funcs = sorted({f["Function"] for t in templates for f, _ in t.runs
                             if f["File"] and f["Module"] == t.regions.prog_path and f["Function"]})
        self.names = {}
        self.lines = {}
        self.files = {}
        self.shift = 0
        # The program's code pages, as far as the seeds' source frames show them.
        offs = [f["ModuleOffset"] for t in templates for f, _ in t.runs
                if f["File"] and f["Module"] == t.regions.prog_path]
        lo, hi = (min(offs) & ~0xfff, (max(offs) | 0xfff) + 1) if offs else (0x1000, 0x2000)
        if derived:
            for fn in prog_funcs:
                self.names[fn] = fn if fn in shared else pool.pop()
            new_file = rng.choice(file_pool)
            sites = sorted({(f["File"], f["Line"], f["Column"]) for t in templates for f, _ in t.runs
                            if f["File"] and f["Module"] == t.regions.prog_path})
            for fl, line, col in sites:
                self.lines[(fl, line, col)] = (rng.randint(20, 4000), rng.randint(2, 40) if col else 0)
            for t in templates:
                for f, _ in t.runs:
                    if f["File"] and f["Function"] not in shared and f["Module"] == t.regions.prog_path:
                        self.files[f["File"]] = os.path.join(os.path.dirname(f["File"]), new_file)
            # Move the program's code, keeping every source frame inside those pages.
            if offs:
                self.shift = rng.randrange((lo - min(offs)) // 16, (hi - max(offs)) // 16) * 16
        # Other call paths to the crash.
        self.alts = []
        if rng.random() < 0.5:
            for _ in range(rng.randint(1, 2)):
                self.alts.append({"name": pool.pop(), "line": rng.randint(20, 4000), "col": rng.randint(2, 40),
                                  "off": rng.randrange(lo, hi, 2), "main_line": rng.randint(20, 4000),
                                  "main_off": rng.randrange(lo, hi, 2), "file": rng.choice(file_pool)})
        self.frames_cache = {}
        self.report_cache = {}

    # --- the bug's version of a seed's frames ---
    def map_frame(self, f, prog_path):
        f = dict(f)
        if f["Module"] == prog_path and f["File"]:
            key = (f["File"], f["Line"], f["Column"])
            if key in self.lines:
                f["Line"], f["Column"] = self.lines[key]
            if f["Function"] not in self.shared:
                f["File"] = self.files.get(f["File"], f["File"])
            f["Function"] = self.names.get(f["Function"], f["Function"])
            f["ModuleOffset"] += self.shift
            f["Address"] += self.shift
        return f

    def frames(self, t, variant):
        """[(Frame, count)] for template t and call path variant (0: the seed's)."""
        key = (t.name, variant)
        cached = self.frames_cache.get(key)
        if cached is not None:
            return cached
        prog = t.regions.prog_path
        runs = [[self.map_frame(f, prog), n] for f, n in t.runs]
        if variant:
            runs = self.other_caller(runs, t, self.alts[variant - 1]) or runs
        frames = []
        memo = {}
        for f, n in runs:
            k = tuple(f.values())
            if k not in memo:
                memo[k] = Frame(f, t.regions)
            frames.append((memo[k], n))
        self.frames_cache[key] = frames
        return frames

    def other_caller(self, runs, t, alt):
        """The same crash reached through another call path; None if the stack has no caller.

        A caller of the bug's own is replaced by another function; below a shared one (main, a
        dispatcher every bug goes through) a helper function is inserted. Either way the call
        site one frame further out moves to another line and address."""
        prog = t.regions.prog_path
        crash = runs[t.crash_run][0]
        c = next((i for i in range(t.crash_run + 1, len(runs)) if runs[i][0]["Function"] != crash["Function"]), None)
        if c is None or runs[c][0]["Module"] != prog or not runs[c][0]["File"]:
            return None
        runs = [[dict(f), n] for f, n in runs]

        def group(i):
            """The frames sharing frame i's address: inlined ones and the one they are inlined in."""
            a = i
            while a > 0 and runs[a - 1][0]["Inlined"] and runs[a - 1][1] == 1:
                a -= 1
            b = i
            while runs[b][0]["Inlined"] and runs[b][1] == 1 and b + 1 < len(runs):
                b += 1
            return a, b

        def move(i, off):
            a, b = group(i)
            if a == 0:
                return  # the crashing instruction stays where it is
            for j in range(a, b + 1):
                f = runs[j][0]
                f["Address"] += off - f["ModuleOffset"]
                f["ModuleOffset"] = off
        caller = runs[c][0]
        fname = os.path.join(os.path.dirname(caller["File"]), alt["file"])
        col = alt["col"] if caller["Column"] else 0
        if caller["Function"] in self.shared:
            helper = dict(caller)
            helper.update(Function=alt["name"], File=fname, Line=alt["line"], Column=col, Inlined=False,
                          FunctionOffset=(alt["off"] * 7) % 0x180 + 8)
            caller["Line"] = alt["main_line"]
            runs.insert(c, [helper, 1])
            if not runs[c - 1][0]["Inlined"]:
                move(c, alt["off"])
            move(c + 1, alt["main_off"])
        else:
            caller.update(Function=alt["name"], File=fname, Line=alt["line"], Column=col)
            move(c, alt["off"])
            nxt = group(c)[1] + 1
            if nxt < len(runs) and runs[nxt][0]["File"] and runs[nxt][0]["Module"] == prog:
                runs[nxt][0]["Line"] = alt["main_line"]
                move(nxt, alt["main_off"])
        return runs

    # --- the bug's version of a seed's other parts ---
    def crash_line(self, t, column=True):
        """The bug's CrashLine for template t (without the column for gdb's form)."""
        line = t.report.get("CrashLine", "")
        orig = t.report["Threads"][0]["Frames"][t.crash]
        if not orig["File"] or not line.startswith("%s:%d" % (orig["File"], orig["Line"])):
            return line
        f = self.map_frame(orig, t.regions.prog_path)
        text = "%s:%d" % (f["File"], f["Line"])
        if column and line.count(":") > text.count(":") and f["Column"]:
            text += ":%d" % f["Column"]
        return text

    def source(self, t):
        src = list(t.report.get("Source", []))
        if not self.derived or not src:
            return src
        orig = t.report["Threads"][0]["Frames"][t.crash]
        new = self.map_frame(orig, t.regions.prog_path)
        delta = new["Line"] - orig["Line"]
        names = {k: v for k, v in self.names.items() if k != v}
        rx = re.compile(r"\b(%s)\b" % "|".join(map(re.escape, names))) if names else None
        out = []
        for line in src:
            head, rest = line[:4], line[4:]
            number = rest[:6].strip()
            if number.isdigit():
                rest = "%-6d" % (int(number) + delta) + rest[6:]
            if rx:
                rest = rx.sub(lambda m: names[m.group(1)], rest)
            out.append(head + rest)
        return out


def build_bugs(templates, nbugs, rng):
    by_bug = {}
    for t in templates:
        by_bug.setdefault(t.bug_name, []).append(t)
    bases = []
    for name, ts in by_bug.items():
        groups = {}
        for t in ts:
            groups.setdefault(t.shape_key, []).append(t)
        shapes = [Shape(g) for g in groups.values()]
        # Truncated shapes that a recursive shape's deep draws already make.
        keep = []
        for s in shapes:
            cover = None
            if s.truncated:
                head = s.templates[0].collapsed
                for o in shapes:
                    if not o.truncated and o.rec_run is not None and \
                            o.templates[0].collapsed[:len(head)] == head and o.rec_run < len(head):
                        cover = o
                        break
            if cover:
                cover.weight += s.weight
            else:
                keep.append(s)
        bases.append((name, keep))
    heavy = [b for b in bases if all(s.truncated for s in b[1])]
    light = [b for b in bases if b not in heavy]
    # How many bugs each seed bug gives: stack overflows few (1 MiB reports), the rest evenly.
    counts = {name: 1 for name, _ in bases}
    n_heavy = max(len(heavy), round(nbugs / 50)) if heavy else 0
    extra_heavy = max(0, min(n_heavy, nbugs - len(bases)) - len(heavy))
    for i in range(extra_heavy):
        counts[heavy[i % len(heavy)][0]] += 1
    rest = nbugs - len(bases) - extra_heavy
    for i in range(max(0, rest)):
        counts[(light or heavy)[i % len(light or heavy)][0]] += 1
    # Functions of several seed bugs (main, dispatchers) stay shared by the derived bugs.
    seen_in = {}
    for name, shapes in bases:
        for fn in {f["Function"] for s in shapes for t in s.templates for f, _ in t.runs
                   if f["File"] and f["Module"] == t.regions.prog_path}:
            seen_in[fn] = seen_in.get(fn, 0) + 1
    shared = {fn for fn, n in seen_in.items() if n > 1} | {"main"}
    real = {f["Function"] for name, shapes in bases for s in shapes for t in s.templates for f, _ in t.runs}
    pool = ["%s_%s" % (v, n) for v in VERBS for n in NOUNS if "%s_%s" % (v, n) not in real]
    rng.shuffle(pool)
    bugs = []
    order = [(name, shapes, 0) for name, shapes in bases]
    for name, shapes in bases:
        order += [(name, shapes, k) for k in range(1, counts[name])]
    for name, shapes, k in order[:nbugs] if nbugs >= len(bases) else order[:nbugs]:
        if not pool:
            pool = ["%s_%s_%d" % (v, n, len(bugs)) for v in VERBS for n in NOUNS]
        bugs.append(Bug(len(bugs), name, shapes, rng, pool, FILES, derived=k > 0, shared=shared))
    return bugs


class Renderer:
    def __init__(self, bugs, args):
        self.bugs = bugs
        self.args = args
        self.limit = 2000
        for b in bugs:
            for s in b.shapes:
                for t in s.templates:
                    if t.truncated:
                        self.limit = t.nframes

    # --- compiled report templates ---
    def compiled(self, bug, t, form, truncated):
        key = (t.name, form, truncated)
        got = bug.report_cache.get(key)
        if got is None:
            got = bug.report_cache[key] = getattr(self, "compile_" + form)(bug, t, truncated)
        return got

    def common(self, bug, t, c):
        r = t.report
        rg = t.regions
        regs = {k: c.value(*rg.classify(v, bug.shift)) for k, v in (r.get("Registers") or {}).items()}
        return regs

    def compile_ours(self, bug, t, truncated):
        r = t.report
        rg = t.regions
        c = Compiler()
        out = {}
        for key, value in r.items():
            if key == "Date":
                out[key] = c.special("date")
            elif key == "ProcCmdline":
                out[key] = c.special("cmdline")
            elif key == "ProcMaps":
                out[key] = [c.hexes(line, rg, 0, ends=(1,)) for line in value]
            elif key == "Stacktrace":
                out[key] = c.special("stack")
            elif key == "Registers":
                out[key] = self.common(bug, t, c)
            elif key == "Disassembly":
                out[key] = [c.hexes(line, rg, bug.shift) for line in value]
            elif key == "Source":
                out[key] = bug.source(t)
            elif key == "CrashLine":
                out[key] = bug.crash_line(t)
            elif key == "Pid":
                out[key] = c.value(PID, value)
            elif key == "Threads":
                threads = []
                for n, th in enumerate(value):
                    th2 = {}
                    for k2, v2 in th.items():
                        if k2 == "Tid":
                            th2[k2] = c.value(*rg.classify(v2, 0))
                        elif k2 == "Truncated" and n == 0:
                            th2[k2] = truncated
                        elif k2 == "Frames" and n == 0:
                            th2[k2] = c.special("frames")
                        elif k2 == "Frames":
                            th2[k2] = [dict(f, Address=c.value(*rg.classify(f["Address"], 0))) for f in v2]
                        else:
                            th2[k2] = v2
                    threads.append(th2)
                out[key] = threads
            elif key == "Signal":
                sig = dict(value)
                if sig.get("FaultAddress") is not None:
                    sig["FaultAddress"] = c.value(*rg.classify(sig["FaultAddress"], bug.shift))
                out[key] = sig
            elif key == "Modules":
                out[key] = [dict(m, Start=c.value(*rg.classify(m["Start"], 0)),
                                 End=c.value(rg.classify(m["End"] - 1, 0)[0], m["End"])) for m in value]
            elif key == "Warnings":
                warnings = [w for w in value if not w.startswith("the crashing thread's stack has more than")]
                warnings = [c.hexes(w, rg, bug.shift) for w in warnings]
                if truncated:
                    warnings.append(TRUNC_WARNING % self.limit)
                out[key] = warnings
            elif key == "CorePath":
                out[key] = c.special("core")
            else:
                out[key] = value
        fmt, slots = c.finish(out)
        return fmt, slots, list_indent(fmt, "Stacktrace"), list_indent(fmt, "Frames")

    def compile_casr(self, bug, t, truncated):
        r = t.report
        rg = t.regions
        c = Compiler()
        out = {}
        for key in CASR_KEYS:
            if key == "Date":
                out[key] = c.special("casr_date")
            elif key == "Uname":
                out[key] = UNAME
            elif key == "OS":
                out[key] = "Debian"
            elif key == "OSRelease":
                out[key] = "12"
            elif key == "Architecture":
                out[key] = {"x86_64": "amd64", "aarch64": "arm64", "arm": "armhf", "i386": "i386"}.get(
                    r.get("Architecture", ""), r.get("Architecture", ""))
            elif key == "ExecutablePath":
                out[key] = r.get("ExecutablePath", "")
            elif key == "ProcCmdline":
                out[key] = c.special("cmdline_full")
            elif key == "ProcMaps":
                lines = []
                for line in r.get("ProcMaps", []):
                    parts = line.split()
                    if len(parts) < 5:
                        continue
                    vals = [int(p, 16) if p.startswith("0x") else int(p, 16) for p in parts[:4]]
                    text = "  %18s %18s %10s %10s %s" % (hex(vals[0]), hex(vals[1]), hex(vals[2]), hex(vals[3]),
                                                          " ".join(parts[4:]))
                    lines.append(c.hexes(text, rg, 0, ends=(1,)))
                out[key] = lines
            elif key == "CrashSeverity":
                out[key] = r.get("CrashSeverity", {})
            elif key == "Stacktrace":
                out[key] = c.special("stack")
            elif key == "Registers":
                out[key] = self.common(bug, t, c)
            elif key == "Disassembly":
                lines = []
                for line in r.get("Disassembly", []):
                    m = re.match(r"(==> |    )(0x[0-9a-f]+): ?(.*)$", line)
                    if m:
                        line = ("=> " if m.group(1) == "==> " else "   ") + m.group(2) + " :\t" + m.group(3)
                    lines.append(c.hexes(line, rg, bug.shift))
                out[key] = lines
            elif key == "CrashLine":
                out[key] = bug.crash_line(t, column=False)
            elif key == "Source":
                out[key] = bug.source(t)
            elif key in ("ProcEnviron", "ProcStatus", "ProcFiles", "NetworkConnections", "AsanReport",
                         "PythonReport", "GoReport"):
                out[key] = []
            else:
                out[key] = ""
        fmt, slots = c.finish(out)
        return fmt, slots, list_indent(fmt, "Stacktrace"), 0

    def compile_asan(self, bug, t, truncated):
        r = t.report
        c = Compiler()
        out = {}
        for key in CASR_KEYS:
            if key == "Date":
                out[key] = c.special("casr_date")
            elif key == "Uname":
                out[key] = UNAME
            elif key == "OS":
                out[key] = "Debian"
            elif key == "OSRelease":
                out[key] = "12"
            elif key == "Architecture":
                out[key] = {"x86_64": "amd64"}.get(r.get("Architecture", ""), r.get("Architecture", ""))
            elif key == "ExecutablePath":
                out[key] = r.get("ExecutablePath", "")
            elif key == "ProcCmdline":
                out[key] = c.special("cmdline_full")
            elif key == "CrashSeverity":
                out[key] = r.get("CrashSeverity", {})
            elif key == "Stacktrace":
                out[key] = c.special("stack")
            elif key == "Registers":
                out[key] = {}
            elif key == "AsanReport":
                out[key] = c.special("asan")
            elif key == "CrashLine":
                out[key] = bug.crash_line(t)
            elif key == "Source":
                out[key] = bug.source(t)
            elif key in ("ProcEnviron", "ProcStatus", "ProcMaps", "ProcFiles", "NetworkConnections", "Disassembly",
                         "PythonReport", "GoReport"):
                out[key] = []
            else:
                out[key] = ""
        fmt, slots = c.finish(out)
        return fmt, slots, list_indent(fmt, "Stacktrace"), list_indent(fmt, "AsanReport")

    # --- one report ---
    def render(self, i):
        a = self.args
        rng = random.Random(a.seed * 1_000_003 + i)
        bug = self.bugs[self.bug_of[i]]
        u = rng.random()
        form = "asan" if u < a.asan_share else "casr" if u < a.asan_share + a.casr_share else "ours"
        x = rng.random() * bug.total
        shape = bug.shapes[bisect.bisect_right(bug.cum, x) if x < bug.total else -1]
        t = shape.templates[rng.randrange(len(shape.templates))]
        variant = 0
        if bug.alts and rng.random() < 0.25:
            variant = rng.randint(1, len(bug.alts))
        runs = bug.frames(t, variant)
        counts = [n for _, n in runs]
        rec = shape.rec_run if not t.truncated else None
        if rec is not None and rec < len(counts):
            v = rng.random()
            counts[rec] = (rng.randint(1, 10) if v < 0.60 else rng.randint(11, 100) if v < 0.90 else
                           rng.randint(101, 1000) if v < 0.985 else rng.randint(1001, 20000))
        total = sum(counts)
        truncated = t.truncated or total > self.limit
        if form == "asan" and (truncated or total > 250):
            form = "casr"
        rg = t.regions
        # ASLR and the process: new bases in the windows Linux x86-64 uses (PIE programs at
        # 0x55..-0x56.., libraries below the stack at 0x7f.., the stack at 0x7ffc..-0x7ffe..).
        d = [0] * 6
        if rg.bits64:
            d[PROG] = 0x555555554000 + (rng.randrange(1 << 28) << 12) - rg.prog[0]
            d[LIB] = 0x7f0000000000 + (rng.randrange(0xef00000000 >> 12) << 12) - rg.lib_start
            d[STACK] = 0x7ffc00000000 + (rng.randrange(0x2ff000000 >> 12) << 12) - (rg.sp & ~0xfff)
        else:
            d[PROG] = rng.randrange(-0x100, 0x100) << 12
            d[LIB] = rng.randrange(-0x100, 0x100) << 12
            d[STACK] = rng.randrange(-0x100, 0x100) << 12
        d[HEAP] = d[PROG] + (rng.randrange(0x2000) << 12)
        pid = rng.randrange(1000, 4_000_000)
        d[PID] = pid - rg.pid
        fuzzer = i % FUZZERS
        n = i // FUZZERS
        when = EPOCH + datetime.timedelta(seconds=i * 20 + rng.randrange(20), microseconds=rng.randrange(10 ** 6))
        sig = (t.report.get("Signal") or {}).get("Number", 11)
        cmd = "%s /srv/fuzz/out/fuzzer%02d/crashes/id:%06d,sig:%02d,src:%06d,op:%s,rep:%d" % (
            t.report.get("ExecutablePath", ""), fuzzer, n, sig, rng.randrange(n + 1), rng.choice(OPS),
            1 << rng.randrange(8))
        fmt, slots, st_indent, fr_indent = self.compiled(bug, t, form, truncated)
        sp = {}
        # Frames, innermost first, cut at the frame limit.
        seq = []
        for (fr, _), cnt in zip(runs, counts):
            seq.append((fr, cnt))
        if form == "ours":
            sp["date"] = jstr(when.replace(microsecond=0).isoformat())
            sp["cmdline"] = jstr(cmd.encode()[:80].decode(errors="ignore"))
            sp["core"] = jstr("/srv/fuzz/cores/fuzzer%02d/core.%d" % (fuzzer, pid))
            sp["stack"], sp["frames"] = self.ours_stack(seq, d, st_indent, fr_indent)
        else:
            sp["casr_date"] = jstr(when.isoformat())
            sp["cmdline_full"] = jstr(cmd)
            if form == "casr":
                sp["stack"] = self.casr_stack(seq, d, st_indent, rg)
            else:
                lines = self.asan_lines(seq, d, bug, t, pid, rng)
                stack = [ln for ln in lines if ln.startswith("    #")]
                only_report = rng.random() < a.asan_report_only
                sp["stack"] = "[]" if only_report else self.json_list(stack, st_indent)
                sp["asan"] = self.json_list(lines, fr_indent)
        args = [sp[o] if reg is None else o + d[reg] for reg, o in slots]
        text = fmt % tuple(args)
        if form == "ours":
            text += "\n"
        rel = "fuzzer%02d/crash-%06d.casrep" % (fuzzer, i)
        return rel, text, bug, form

    @staticmethod
    def json_list(items, indent):
        if not items:
            return "[]"
        pad = " " * (indent + 2)
        return "[\n" + ",\n".join(pad + jstr(s) for s in items) + "\n" + " " * indent + "]"

    def limited(self, seq):
        left = self.limit
        for fr, cnt in seq:
            if left <= 0:
                return
            cnt = min(cnt, left)
            left -= cnt
            yield fr, cnt

    def ours_stack(self, seq, d, st_indent, fr_indent):
        st, frs = [], []
        n = 0
        for fr, cnt in self.limited(seq):
            if fr.json_fmt is None:
                fr.compile_json(fr_indent + 2)
                fr.compile_bt(st_indent + 2)
            addr = fr.old + d[fr.region]
            ftext = fr.json_fmt % addr
            frs.extend([ftext] * cnt)
            bt = fr.bt_fmt
            hexaddr = gdb_hex(addr)
            for k in range(n, n + cnt):
                st.append(bt % (k, hexaddr))
            n += cnt
        if not st:
            return "[]", "[]"
        return ("[\n" + ",\n".join(st) + "\n" + " " * st_indent + "]",
                "[\n" + ",\n".join(frs) + "\n" + " " * fr_indent + "]")

    def casr_stack(self, seq, d, indent, rg):
        lines = []
        pad = " " * (indent + 2)
        n = 0
        prev_inlined = False
        prog_data = (rg.prog[1] - rg.prog[0]) // 2
        for fr, cnt in self.limited(seq):
            f = fr.d
            addr = fr.old + d[fr.region]
            if f["File"]:
                args = []
                for name, reg, val in gdb_args(f["Function"], prog_data):
                    if reg is None:
                        args.append("%s=%d" % (name, val))
                    elif reg == STACK:
                        args.append("%s=0x%x" % (name, rg.sp + val + d[STACK]))
                    elif reg == HEAP:
                        args.append("%s=0x%x" % (name, rg.prog[1] + val + d[HEAP]))
                    else:
                        args.append("%s=0x%x <input+8>" % (name, rg.prog[0] + val + d[PROG]))
                where = " (%s) at %s:%d" % (", ".join(args), f["File"], f["Line"])
            elif f["Module"]:
                where = " () from %s" % f["Module"]
            else:
                where = " ()"
            name = f["Function"] or "??"
            for _ in range(cnt):
                if prev_inlined and f["File"]:
                    lines.append(pad + jstr("#%-2d %s%s" % (n, name, where)))
                else:
                    lines.append(pad + jstr("#%-2d %s in %s%s" % (n, gdb_hex(addr), name, where)))
                prev_inlined = f["Inlined"]
                n += 1
        if not lines:
            return "[]"
        return "[\n" + ",\n".join(lines) + "\n" + " " * indent + "]"

    def asan_lines(self, seq, d, bug, t, pid, rng):
        r = t.report
        rg = t.regions
        regs = r.get("Registers") or {}
        sig = r.get("Signal") or {}
        kind = ASAN_SIGNALS.get(sig.get("Name", ""), "SEGV")
        frames = []
        for fr, cnt in self.limited(seq):
            frames += [fr] * cnt
        pc = frames[0].old + d[frames[0].region] if frames else 0

        def moved(v, shift=bug.shift):
            reg, old = rg.classify(v, shift)
            return old + d[reg]
        fault = sig.get("FaultAddress")
        if kind == "ABRT":
            fault = (1000 << 32) | pid
        elif fault is None:
            fault = pc
        else:
            fault = moved(fault)
        bp, spv = moved(regs.get("rbp", 0)), moved(regs.get("rsp", 0))
        lines = ["=================================================================",
                 "==%d==ERROR: AddressSanitizer: %s on unknown address 0x%012x (pc 0x%012x bp 0x%012x sp 0x%012x T0)"
                 % (pid, kind, fault, pc, bp, spv)]
        sd = r.get("CrashSeverity", {}).get("ShortDescription", "")
        if kind == "SEGV":
            access = "WRITE" if sd.startswith("Dest") else "READ" if sd.startswith("Source") else "UNKNOWN"
            lines.append("==%d==The signal is caused by a %s memory access." % (pid, access))
            if fault < 0x1000:
                lines.append("==%d==Hint: address points to the zero page." % pid)
        for n, fr in enumerate(frames):
            f = fr.d
            addr = fr.old + d[fr.region]
            if f["File"]:
                pos = f["File"] + (":%d" % f["Line"] if f["Line"] else "") + (":%d" % f["Column"] if f["Column"] else "")
                lines.append("    #%d 0x%x in %s %s" % (n, addr, f["Function"] or "??", pos))
            elif f["Module"]:
                fn = (" in " + f["Function"]) if f["Function"] else " "
                lines.append("    #%d 0x%x%s (%s+0x%x)" % (n, addr, fn, f["Module"], f["ModuleOffset"]))
            else:
                lines.append("    #%d 0x%x  (<unknown module>)" % (n, addr))
        crash = bug.crash_line(t)
        crash_fn = next((fr.d["Function"] for fr in frames if fr.d["File"] and crash.startswith(fr.d["File"])), "")
        lines += ["", "AddressSanitizer can not provide additional info.",
                  "SUMMARY: AddressSanitizer: %s %s in %s" % (kind, crash, crash_fn), "==%d==ABORTING" % pid]
        return lines


EPOCH = datetime.datetime(2024, 3, 1, tzinfo=datetime.timezone.utc)
STATE = {}


def work(chunk):
    renderer = STATE["renderer"]
    out_dir = STATE["out"]
    rows = []
    for i in chunk:
        rel, text, bug, form = renderer.render(i)
        with open(os.path.join(out_dir, rel), "w") as f:
            f.write(text)
        rows.append((i, "%s\t%d\t%s\t%s\n" % (rel, bug.id, bug.base, form)))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("seed_dir")
    parser.add_argument("out_dir")
    parser.add_argument("n", type=int)
    parser.add_argument("--bugs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--zipf", type=float, default=1.0, help="Zipf exponent of the bugs' frequencies")
    parser.add_argument("--casr-share", type=float, default=0.05)
    parser.add_argument("--asan-share", type=float, default=0.01)
    parser.add_argument("--asan-report-only", type=float, default=0.5,
                        help="share of casr-san reports with an empty Stacktrace (stack in AsanReport only)")
    parser.add_argument("-j", "--jobs", type=int, default=1)
    args = parser.parse_args()
    start = time.perf_counter()
    templates = load_seeds(args.seed_dir)
    if not templates:
        sys.exit("gen_reports: no usable seed reports")
    rng = random.Random(args.seed)
    bugs = build_bugs(templates, args.bugs, rng)
    # Zipf ranks: a random ranking, bugs made only of 1 MiB stack overflows last.
    ranked = [b for b in bugs if not b.heavy]
    rng.shuffle(ranked)
    heavy = [b for b in bugs if b.heavy]
    rng.shuffle(heavy)
    ranked += heavy
    weights = [1.0 / (r + 1) ** args.zipf for r in range(len(ranked))]
    cum = []
    total = 0.0
    for w in weights:
        total += w
        cum.append(total)
    draw = random.Random(args.seed + 7919)
    bug_of = [ranked[bisect.bisect_right(cum, draw.random() * total)].id for _ in range(args.n)]
    renderer = Renderer(bugs, args)
    renderer.bug_of = bug_of
    os.makedirs(args.out_dir, exist_ok=True)
    truth = os.path.join(args.out_dir, "truth.tsv")
    if os.path.exists(truth):
        os.unlink(truth)
    for k in range(FUZZERS):
        os.makedirs(os.path.join(args.out_dir, "fuzzer%02d" % k), exist_ok=True)
    STATE["renderer"] = renderer
    STATE["out"] = args.out_dir
    chunks = [range(s, min(s + 2000, args.n)) for s in range(0, args.n, 2000)]
    rows = []
    if args.jobs > 1:
        with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
            for part in pool.imap_unordered(work, chunks):
                rows += part
    else:
        for chunk in chunks:
            rows += work(chunk)
    rows.sort()
    with open(truth + ".tmp", "w") as f:
        f.write("report\tbug\tbase\tform\n")
        f.writelines(row for _, row in rows)
    os.replace(truth + ".tmp", truth)
    seen = len({row.split("\t")[1] for _, row in rows})
    print(f"gen_reports: {args.n} reports of {seen} bugs (of {len(bugs)}, from {len({t.bug_name for t in templates})} "
          f"seed bugs in {len(templates)} seed reports) in {args.out_dir}, {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()

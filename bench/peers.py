"""The peers' ways of grouping crashes, reimplemented from their documentation and source
(read, not copied), for the benches that score them next to ours on the same reports.

Every function takes a triage report (a .casrep: the crashing thread's stack as gdb lines
in Stacktrace, ProcMaps, CrashLine, Signal, and AsanReport / UbsanReport / MsanReport /
Stderr when the run printed them) and returns what the peer groups by.

CASR (ispras/casr: casr-cluster -d, -c, --unique-crashline)
    casr_stack_of(): the stack CASR parses from Stacktrace (gdb lines; ASan lines when the
    report has an AsanReport), its C/C++ frame filters (function and file/module ignore
    lists), the part above LLVMFuzzerTestOneInput cut, repeated intervals (recursion)
    folded; frames keyed by file:line:column, else module+offset, else address.
    casr_cluster(): -d (dedup by the whole stack) then -c: complete linkage over every
    pair of unique stacks, distance 1 - similarity, similarity the PDM-like measure of
    ReBucket with a = 0.04, r = 0.13; clusters are the merges below distance 0.3.
    casr_unique_crashline(): --unique-crashline: in each cluster, a report whose CrashLine
    an earlier report of that cluster (by file name) already has is dropped.
ClusterFuzz (google/clusterfuzz: stacktraces/__init__.py, constants.py)
    clusterfuzz_signature(): (crash type, crash state). The type from the sanitizer's
    report as ClusterFuzz's stack parser reads it, else the signal as from gdb's "Program
    received signal"; a glibc assertion makes it ASSERT. The state is the first 3 frames
    that pass its ignore list (STACK_FRAME_IGNORE_REGEXES and, the stack being symbolized,
    the libc/libstdc++ module list), each cut to its function name; addresses and long
    numbers normalised, lines capped at 80 characters; stack overflows by their cycle.
gdb exploitable (jfoote/exploitable: lib/gdb_wrapper/x86.py Backtrace)
    exploitable_hashes(): (major, minor). Frames from the innermost, up to the one whose
    name holds "libc_start_main"; blacklisted frames (abort, raise, malloc, free, ... or
    in libc/libm) are skipped by the major hash, which chains md5 over the first 5 others;
    the minor hash chains md5 over every frame. A frame's text is "#POS NAME at PC in
    MAPPING" as exploitable prints it; PC is written as MAPPING+offset, since exploitable
    runs the target under gdb with ASLR off, where the PC of a module offset is fixed.
"""
import hashlib
import json
import math
import os
import re

# ----------------------------------------------------------------------------------------------
# CASR
# ----------------------------------------------------------------------------------------------

CASR_A, CASR_R, CASR_THRESHOLD = 0.04, 0.13, 0.3

# CASR's C/C++ ignore lists, the entries that can match a C program's stack on glibc
# (function names as CASR parses them from gdb lines, i.e. with "()" or the arguments,
# so anchored names such as ^raise$ never match there; the module then does).
CASR_FUNCTIONS = re.compile("|".join([
    r"^abort$", r"^exit$", r"^pthread_kill$", r"^raise$", r"^tgkill$", r"^__chk_fail$", r"^__fortify_fail$",
    r"^(|__)mem(cmp|cpy|move|set)", r"^(|__)str(cmp|cpy|dup|len|ncpy)", r"^__GI_", r"^__asan", r"^_asan_",
    r"^asan_", r"^__assert_", r"^__interceptor_", r"^__libc_", r"^__lsan", r"^__msan", r"^__pthread_kill",
    r"^__run_exit_handlers", r"^__sanitizer", r"^_sanitizer_", r"^__ubsan", r"^_start", r"^abort", r"^calloc",
    r"^free", r"^malloc", r"^realloc", r"^gsignal", r"^operator", r"^new", r"^delete", r"^fuzzer::",
    r"^std::__terminate", r".*assert", r".*libpthread", r".*logger", r".*ASAN_OnSIGSEGV"]))
CASR_FILES = re.compile("|".join([
    r".*/usr/include/c\+\+/", r".*\-gnu/c\+\+/", r".*\-gnu/bits/", r".*/clang/", r".*/gcc/", r".*sysdeps/",
    r".*/glibc\-", r".*/libc\+\+", r".*/libc/", r".*/sanitizer_common/", r".*libc\+\+/",
    r".*/compiler\-rt/lib/", r".*\+Unknown", r".*<unknown module>", r"^<unknown>$", r"^\[vdso\]$",
    r"^linux-vdso.so.*$", r"^linux-gate.so.*$", r".*libc\.so", r".*libc\+\+\.so", r".*libstdc\+\+\.so",
    r".*libc-.*\.so", r".*libpthread\.so", r".*libasan\.so", r".*libubsan\.so"]))
GDB_LINE = [re.compile(p) for p in (
    r"^ *#[0-9]+ *(?:0x([0-9a-f]+) +in)? *(.+) +at +(.+):(\d+):(\d+)",
    r"^ *#[0-9]+ *(?:0x([0-9a-f]+) +in)? *(.+) +at +(.+):(\d+)",
    r"^ *#[0-9]+ *(?:0x([0-9a-f]+) +in)? *(.+) +at +(.+)",
    r"^ *#[0-9]+ *(?:0x([0-9a-f]+) +in)? *(.+) +from +(.+)",
    r"^ *#[0-9]+ *(?:0x([0-9a-f]+) +in)? *(.+)")]
ASAN_HEAD = re.compile(r"^ *#[0-9]+ +0x([0-9a-f]+) *")
ASAN_MODULE_FN = re.compile(r"\(([^(]+)\+0x([0-9a-f]+)\)")
ASAN_MODULE = re.compile(r"\((.+)\+0x([0-9a-f]+)\)")


def parse_gdb(line):
    """(address, function, module, offset, file, line, column) of a gdb `bt` line."""
    line = line.strip()
    for n, rx in enumerate(GDB_LINE):
        m = rx.match(line)
        if not m:
            continue
        addr = int(m.group(1), 16) if m.group(1) else 0
        fn = m.group(2).strip()
        if n == 0:
            return addr, fn, "", 0, m.group(3).strip(), int(m.group(4)), int(m.group(5))
        if n == 1:
            return addr, fn, "", 0, m.group(3).strip(), int(m.group(4)), 0
        if n == 2:
            return addr, fn, "", 0, m.group(3).strip(), 0, 0
        if n == 3:
            return addr, fn, m.group(3).strip(), 0, "", 0, 0
        return addr, fn, "", 0, "", 0, 0
    raise ValueError("unparsable stack line: " + line)


def parse_asan(line):
    """The same for an ASan stack line (#N 0xADDR in FUNC FILE:LINE:COL / (MODULE+0xOFF))."""
    m = ASAN_HEAD.match(line)
    if not m:
        raise ValueError("unparsable ASan stack line: " + line)
    addr = int(m.group(1), 16)
    loc = line[m.end():].strip()
    has_fn = loc.startswith("in ")
    module, offset, fn, file, ln, col = "", 0, "", "", 0, 0
    mm = (ASAN_MODULE_FN if has_fn else ASAN_MODULE).search(loc)
    if mm:
        module, offset = mm.group(1).strip(), int(mm.group(2), 16)
        loc = loc[:mm.start()].strip()
    if has_fn:
        loc = loc[3:].strip()
        paren = loc.rfind(")")
        i = paren if paren >= 0 else max(loc.find(" "), 0)
        space = loc.find(" ", i)
        if space < 0:
            return addr, loc, module, offset, "", 0, 0
        fn, loc = loc[:space], loc[space:].strip()
    if loc:
        parts = loc.rsplit(":", 2)
        file = parts[0].strip()
        if len(parts) > 1:
            ln = int(parts[1])
        if len(parts) > 2:
            col = int(parts[2])
    return addr, fn, module, offset, file, ln, col


def proc_maps(lines):
    maps = []
    for line in lines:
        parts = line.split()
        if len(parts) >= 5 and parts[0].startswith("0x"):
            try:
                maps.append((int(parts[0], 16), int(parts[1], 16), int(parts[3], 16), parts[-1]))
            except ValueError:
                pass
    return maps


def repeated_intervals(keys):
    """Keep-mask that drops all but the last copy of every immediately repeated block."""
    n = len(keys)
    keep = [True] * n
    for p in range(1, n // 2 + 1):
        start = None
        for k in range(n - p + 1):
            same = k < n - p and keys[k] == keys[k + p]
            if same and start is None:
                start = k
            elif not same and start is not None:
                if k - start >= p:
                    for x in range(start, k - (k - start) % p):
                        keep[x] = False
                start = None
    return keep


def casr_stack(path):
    """The stack CASR deduplicates and clusters a report file by: a tuple of frame keys, or None."""
    try:
        with open(path, "rb") as f:
            report = json.loads(f.read())
    except (ValueError, OSError):
        return None
    return casr_stack_of(report)


def casr_stack_of(report):
    """casr_stack() of a report already read."""
    try:
        lines = report.get("Stacktrace") or []
        parse = parse_asan if report.get("AsanReport") else parse_gdb
        entries = [parse(line) for line in lines if line.strip()]
    except (ValueError, AttributeError, TypeError):
        return None
    maps = proc_maps(report.get("ProcMaps") or []) if parse is parse_gdb else []
    frames = []
    for addr, fn, module, offset, file, ln, col in entries:
        if maps and addr:
            for lo, hi, off, name in maps:
                if lo <= addr < hi:
                    offset = addr - lo + off
                    module = name or module
                    break
        frames.append((addr, fn, module, offset, file, ln, col))
    for i, fr in enumerate(frames):
        if "LLVMFuzzerTestOneInput" in fr[1]:
            frames = frames[:i + 1]
            break
    frames = [fr for fr in frames if not (fr[1] and CASR_FUNCTIONS.match(fr[1])) and
              not (fr[2] and CASR_FILES.match(fr[2])) and not (fr[4] and CASR_FILES.match(fr[4]))]
    keys = [("d", fr[4], fr[5], fr[6]) if fr[4] else ("m", fr[2], fr[3]) if fr[2] and fr[3] else ("a", fr[0])
            for fr in frames]
    while True:
        keep = repeated_intervals(keys)
        if all(keep):
            break
        keys = [k for k, ok in zip(keys, keep) if ok]
    return tuple(keys) if keys else None


def similarity_matrix(stacks, np):
    """Condensed distance matrix 1 - similarity over all pairs, stacks as int sequences."""
    u = len(stacks)
    cond = np.zeros(u * (u - 1) // 2)
    by_len = {}
    for i, s in enumerate(stacks):
        by_len.setdefault(len(s), []).append(i)
    lens = sorted(by_len)
    arrays = {n: np.array([stacks[i] for i in by_len[n]], dtype=np.int64).reshape(len(by_len[n]), n) for n in lens}
    index = {n: np.array(by_len[n], dtype=np.int64) for n in lens}
    for ai, la in enumerate(lens):
        for lb in lens[ai:]:
            a_all, b = arrays[la], arrays[lb]
            ia_all, ib = index[la], index[lb]
            norm = sum(math.exp(-CASR_A * k) for k in range(1, min(la, lb) + 1))
            rows = max(1, (1 << 20) // len(ib))
            for r0 in range(0, len(ia_all), rows):
                a, ia = a_all[r0:r0 + rows], ia_all[r0:r0 + rows]
                zero = np.zeros((len(ia), len(ib)))
                prev = [zero] * (lb + 1)
                for x in range(1, la + 1):
                    cur = [zero]
                    ax = a[:, x - 1][:, None]
                    for y in range(1, lb + 1):
                        cost = math.exp(-(min(x, y) * CASR_A + abs(x - y) * CASR_R))
                        v = np.maximum(cur[y - 1], prev[y])
                        np.maximum(v, prev[y - 1] + (ax == b[:, y - 1][None, :]) * cost, out=v)
                        cur.append(v)
                    prev = cur
                dist = 1.0 - prev[lb] / norm
                i = np.broadcast_to(ia[:, None], dist.shape)
                j = np.broadcast_to(ib[None, :], dist.shape)
                pick = i < j if la == lb else np.ones(dist.shape, dtype=bool)
                lo, hi = np.minimum(i, j)[pick], np.maximum(i, j)[pick]
                cond[lo * u - lo * (lo + 1) // 2 + (hi - lo - 1)] = dist[pick]
    return np.clip(cond, 0.0, None)


def casr_similarity(a, b):
    """CASR's similarity of two stacks (sequences of frame keys), in plain Python."""
    la, lb = len(a), len(b)
    if not la or not lb:
        return 0.0
    prev = [0.0] * (lb + 1)
    for x in range(1, la + 1):
        cur = [0.0] * (lb + 1)
        ax = a[x - 1]
        for y in range(1, lb + 1):
            gain = math.exp(-(min(x, y) * CASR_A + abs(x - y) * CASR_R)) if ax == b[y - 1] else 0.0
            cur[y] = max(cur[y - 1], prev[y], prev[y - 1] + gain)
        prev = cur
    norm = sum(math.exp(-CASR_A * k) for k in range(1, min(la, lb) + 1))
    return prev[lb] / norm


def complete_linkage(distance, n, threshold):
    """Flat clusters of complete linkage: the closest pair of clusters merges while its
    distance (the largest between their members) is below threshold. distance(i, j) for
    i < j. Returns a cluster number per item. Plain Python, for a few hundred items."""
    members = {i: [i] for i in range(n)}
    d = {}
    for i in range(n):
        for j in range(i + 1, n):
            d[(i, j)] = distance(i, j)
    while len(members) > 1:
        best = min(d.items(), key=lambda kv: (kv[1], kv[0]), default=None)
        if best is None or best[1] >= threshold:
            break
        (i, j), _ = best
        members[i] += members.pop(j)
        for k in members:
            if k == i:
                continue
            dik = d.pop((min(i, k), max(i, k)))
            djk = d.pop((min(j, k), max(j, k)))
            d[(min(i, k), max(i, k))] = max(dik, djk)
        d.pop((i, j))
    label = [0] * n
    for number, (_, items) in enumerate(sorted(members.items()), 1):
        for item in items:
            label[item] = number
    return label


def casr_cluster(stacks):
    """casr-cluster -d then -c on reports whose stacks are given (None: no stack, CASR's
    clerr/). Returns (cluster number or None per report, the index of the unique stack per
    report or None). A report dropped by -d gets the cluster of the stack it duplicates."""
    unique, of_report = {}, []
    for s in stacks:
        of_report.append(None if s is None else unique.setdefault(s, len(unique)))
    order = sorted(unique, key=unique.get)
    labels = complete_linkage(lambda i, j: 1.0 - casr_similarity(order[i], order[j]), len(order),
                              CASR_THRESHOLD) if len(order) > 1 else [1] * len(order)
    return [None if u is None else labels[u] for u in of_report], of_report


def casr_unique_crashline(names, labels, crashlines):
    """--unique-crashline: which reports casr-cluster keeps. Reports are taken in file name
    order; one is dropped when an earlier report of its cluster has the same non-empty
    CrashLine. Reports without a cluster are not kept."""
    seen, keep = set(), [False] * len(names)
    for i in sorted(range(len(names)), key=lambda i: names[i]):
        if labels[i] is None:
            continue
        line = crashlines[i] or ""
        if line and (labels[i], line) in seen:
            continue
        seen.add((labels[i], line))
        keep[i] = True
    return keep


# ----------------------------------------------------------------------------------------------
# ClusterFuzz: crash type and crash state
# ----------------------------------------------------------------------------------------------

CF_STATE_FRAMES = 3
CF_LINE_CAP = 80
CF_NULL_BOUNDARY = 4096       # an UNKNOWN crash below this address is a null dereference
CF_MAX_CYCLE, CF_CYCLE_REPEATS = 10, 3

# Its ignore list, the entries that can apply to a C/C++ program on Linux (Chrome, Windows,
# Android, V8, Rust, Go, Python and Java entries left out). Each is matched at the start of
# the frame's text: "FUNCTION FILE:LINE:COLUMN", "FUNCTION (MODULE+0xOFFSET)" or
# "MODULE+0xOFFSET". Note that prefixes such as free, new, delete, main, abort and scanf
# also hide the program's own functions that start so (free_list, main_loop, new_token).
_CF_EXACT = ["abort", "exit", "pthread_create", "pthread_kill", "raise", "tgkill", "__chk_fail",
             "__fortify_fail", "<unknown>", r"\[vdso\]"]
_CF_PREFIX = [
    "(|__)aeabi_", "(|__)memcmp", "(|__)memcpy", "(|__)memmove", "(|__)memset", "(|__)strcmp",
    "(|__)strcpy", "(|__)strdup", "(|__)strlen", "(|__)strncpy", "<null>", r"Abort\(", "ExitCallback",
    "LLVMFuzzerTestOneInput", "MSanAtExitWrapper", "New", "SignalAction", "SignalHandler",
    "TestOneProtoInput", "_L_unlock_", "__GI_", "__asan::", "__asan_", "__assert_", "__cxa_atexit",
    "__cxa_rethrow", "__cxa_throw", "__dump_stack", "__hwasan::", "__hwasan_", "__interceptor_",
    "__libc_", "__lsan::", "__lsan_", "__msan::", "__msan_", "__pthread_kill", "__run_exit_handlers",
    "__sanitizer::", "__sanitizer_", "__tsan::", "__tsan_", "__ubsan::", "__ubsan_", "_asan_",
    "_hwasan_", "_lsan_", "_msan_", "_sanitizer_", "_start", "_tsan_", "_ubsan_", "abort", "asan_",
    r"asan\.module_ctor", r"asan\.module_dtor", "calloc", "check_memory_region", "common_exit",
    "delete", "demangling_terminate_handler", "dump_backtrace", "dump_stack",
    "exit_or_terminate_process", r"fpehandler\(", "free", "fuzzer::", "g_log", "generic_cpp_",
    "gsignal", "main", "malloc", "new", "object_err", "operator", "print_trailer", "realloc", "scanf",
    "show_stack", "std::__terminate", r"libgcc_s\.so", "linux-gate.so", "print_address_description",
    "_etext", "__scrt_common_main_seh", "CrashTrampolineAsm", "<libclang_rt.asan.so>"]
_CF_CONTAINS = [
    "ASAN_OnSIGSEGV", "DebugBreak", "ForceCrashOnSigAbort", "StackDumpSignalHandler", "_asan_rtl_",
    "allocator_shim", "asan_Heap", "asan_check_access", "assert", "libpthread", "logger",
    r"ieee754\-", r"\+Unknown", "<unknown module>", "Inline Function @", "fuzztest::internal::",
    # file paths
    "/gcc/", r"/glibc\-", "/jemalloc/", r"/libc\+\+", "/libc/", r"/llvm\-build/", "/crosstool/",
    "/sanitizer_common/", "/tcmalloc/", r"libc\+\+/", r"/memorycmp\.c", " /rust/", " /rustc/"]
CF_IGNORE = re.compile("(" + "|".join([f"^{x}$" for x in _CF_EXACT] + [f"^{x}" for x in _CF_PREFIX] +
                                       [f".*{x}" for x in _CF_CONTAINS]) + ")")
# ... and, the stack being symbolized, frames in these modules.
CF_IGNORE_IF_SYMBOLIZED = re.compile(r"(.*libc\.so|.*libc\+\+\.so|.*libc\+\+_shared\.so|.*libstdc\+\+\.so"
                                     r"|.*libc-.*\.so)")

_CF_SAN_SEGV = re.compile(r".*([a-zA-Z]+Sanitizer).*(SEGV|access-violation) on unknown address ([xX0-9a-fA-F]+)")
_CF_SAN_ADDR = re.compile(r".*(ERROR: [a-zA-Z]+Sanitizer)[: ]*(.*) on (unknown address |address |)([xX0-9a-fA-F]+)")
_CF_ASAN_GENERIC = re.compile(r".*ERROR: (HWAddressSanitizer|AddressSanitizer)[: ]*[ ]*([^(:;]+)")
_CF_DOUBLE_FREE = re.compile(r".*(AddressSanitizer).*double-free on (unknown address |address |)([xX0-9a-fA-F]+)")
_CF_INVALID_FREE = re.compile(r".*AddressSanitizer: attempting free on address which was not malloc\(\)-ed")
_CF_SAN_FPE = re.compile(r".*[a-zA-Z]+Sanitizer: FPE ")
_CF_SEGV_KIND = re.compile(r".*The signal is caused by a ([A-Z]+) memory access.")
_CF_ACCESS = re.compile(r"[ ]*([^ ]*|Atomic [^ ]*) of size ([^ ]*) at ([^ ]*)")
_CF_MSAN_TSAN = re.compile(r".*(ThreadSanitizer|MemorySanitizer):\s+(?!ABRT)(?!ILL)([^(:]+)")
_CF_DIRECT_LEAK = re.compile(r"Direct leak of ")
_CF_UBSAN = re.compile(r"(.*): runtime error: (.*)")
_CF_ASSERT_GLIBC = re.compile(r".*:\s*assertion [`'\"]?(.*?)[`'\"]? failed\.?$", re.IGNORECASE)
# UBSan's runtime errors, the specific ones first.
_CF_UBSAN_TYPES = [(re.compile(p), t) for p, t in [
    (r".*division by zero.*", "Divide-by-zero"),
    (r".*outside the range of representable values.*", "Float-cast-overflow"),
    (r".*implicit conversion from type.*", "Implicit-conversion"),
    (r".*out of bounds for type.*", "Index-out-of-bounds"),
    (r".*not a valid value for type '(bool|BOOL)'.*", "Invalid-bool-value"),
    (r".*, which is not a valid argument.*", "Invalid-builtin-use"),
    (r".*misaligned address.*", "Misaligned-address"),
    (r".*reached the end of a value-returning function.*", "No-return-value"),
    (r".*null pointer passed as .*, which is declared to never be null.*", "Invalid-null-argument"),
    (r".*load of null pointer.*", "Null-dereference READ"),
    (r".*(binding to|access within|call on) null pointer.*", "Null-dereference"),
    (r".*store to null pointer.*", "Null-dereference WRITE"),
    (r".*address .* with insufficient space for an object of type.*", "Object-size"),
    (r".*((addition|subtraction) of unsigned offset |pointer index expression with base |applying "
     r"non-zero offset [0-9]+ to null pointer|applying zero offset to null pointer).*", "Pointer-overflow"),
    (r".*null pointer returned from function declared to never return null.*", "Invalid-null-return"),
    (r".*shift.*", "Undefined-shift"),
    (r".*execution reached an unreachable program point.*", "Unreachable code"),
    (r".*unsigned integer overflow.*", "Unsigned-integer-overflow"),
    (r".*variable length array bound evaluates to non-positive value.*", "Non-positive-vla-bound-value"),
    (r".*not a valid value for type.*", "Invalid-enum-value"),
    (r".*(integer overflow|(negation|division) of.*cannot be represented in type).*", "Integer-overflow")]]


def _cf_fix_sanitizer_type(kind):
    kind = kind.lower().replace("_", "-").capitalize()
    return kind.replace("Int-divide-by-zero", "Divide-by-zero")


def clusterfuzz_crash_type(report):
    """The crash type ClusterFuzz's stack parser gives this crash, and an assertion's text
    (its crash state then starts with it) or None."""
    kind, address = "", ""
    sanitizer = report.get("AsanReport") or report.get("MsanReport") or []
    for line in sanitizer:
        if "SUMMARY:" in line or "WARNING: AddressSanitizer" in line:
            continue
        m = _CF_MSAN_TSAN.match(line)
        if m and " suppressions" not in line and " warnings" not in line:
            kind, address = m.group(2).strip().capitalize(), ""
        if not kind and _CF_DIRECT_LEAK.match(line):
            kind = "Direct-leak"
        m = _CF_SAN_SEGV.match(line)
        if m:
            kind, address = "UNKNOWN", m.group(3)
            continue
        if _CF_INVALID_FREE.match(line):
            kind = "Invalid-free"
            continue
        m = _CF_DOUBLE_FREE.match(line)
        if m:
            kind, address = "Heap-double-free", m.group(3)
            continue
        if _CF_SAN_FPE.match(line):
            kind = "Floating-point-exception"
            continue
        m = _CF_SAN_ADDR.match(line)
        if m:
            kind, address = _cf_fix_sanitizer_type(m.group(2).strip()), m.group(4)
        if kind == "Unknown-crash":
            kind = "UNKNOWN"
        m = _CF_SEGV_KIND.match(line)
        if m and kind == "UNKNOWN" and m.group(1) != "UNKNOWN":
            kind += " " + m.group(1)
        m = _CF_ACCESS.match(line)
        if m and kind and not kind.startswith("UNKNOWN"):
            kind += f"\n{m.group(1).upper()} {m.group(2)}"
        if not kind:
            m = _CF_ASAN_GENERIC.match(line)
            if m:
                kind = _cf_fix_sanitizer_type(m.group(2).strip())
    for line in report.get("UbsanReport") or []:
        m = _CF_UBSAN.match(line)
        if m and not kind:
            kind = "UNKNOWN"
            for rx, name in _CF_UBSAN_TYPES:
                if rx.match(m.group(2)):
                    kind = name
                    break
    assertion = None
    if not sanitizer:
        for line in report.get("Stderr") or []:
            m = _CF_ASSERT_GLIBC.match(line)
            if m:
                assertion = m.group(1)
        if assertion is not None:
            kind = "ASSERT"
    if not kind:
        # No sanitizer: what gdb says, "Program received signal SIGSEGV, ...".
        kind = ((report.get("Signal") or {}).get("Name") or "UNKNOWN").upper()
    # An access of more than 16 bytes is written {*}.
    m = re.match("([^0-9]+)([0-9]+)", kind, re.DOTALL)
    if m:
        size = int(m.group(2))
        kind = kind[:len(m.group(1))] + ("{*}" if size > 16 else str(size)) + kind[m.end():]
    if address and kind.startswith("UNKNOWN"):
        try:
            if int(address, 16) < CF_NULL_BOUNDARY:
                kind = kind.replace("UNKNOWN", "Null-dereference")
        except ValueError:
            pass
    return kind, assertion


def _cf_frame_text(fn, module, offset, file, line, col):
    """A frame as a symbolized sanitizer stack line has it, after "#N 0xADDR in "."""
    name = fn.strip()
    if name.endswith(")") and " (" in name:
        name = name[:name.rindex(" (")]          # gdb's "func (args)"
    if name in ("", "??"):
        return f"{module}+{offset:#x}" if module else "<unknown module>"
    if name.startswith("LLVMFuzzerTestOneInput") and file:
        name = name.replace("LLVMFuzzerTestOneInput", os.path.basename(file), 1)
    if file:
        return f"{name} {file}:{line}:{col}" if line and col else f"{name} {file}:{line}" if line else f"{name} {file}"
    return f"{name} ({module}+{offset:#x})" if module else name


def _cf_function_of(frame):
    """ClusterFuzz's frame filter: the function name alone."""
    for ns in ("non-virtual thunk to ", "(anonymous namespace)::", "`anonymous namespace'::"):
        frame = frame.replace(ns, "")
    frame = frame.split("!")[-1]
    m = re.match(r"(.*?)[\(\[].*", frame)
    if m and m.group(1):
        return m.group(1).strip()
    return frame.strip().split(" ")[0]


def _cf_normalise(state):
    """Addresses and long numbers out of the crash state, as ClusterFuzz does."""
    state = re.sub(r"\+0x[0-9a-fA-F]+\n", "\n", state)
    state = re.sub(r"0x[a-fA-F0-9]{4,}[U]*", "ADDRESS", state)
    state = re.sub(r"(?<![:0-9.])(?:[0-9.]{4,}|(?<=[@#])[0-9]+)(?![A-Za-z0-9.])", "NUMBER", state)
    return "".join(line[:CF_LINE_CAP] + "\n" for line in state.splitlines())


def _cf_cycle(frames):
    """A stack overflow's state: the first cycle repeated 3 times, if any."""
    n = len(frames)
    for start in range(n):
        for length in range(1, CF_MAX_CYCLE + 1):
            if start + CF_CYCLE_REPEATS * length >= n:   # its parser wants a frame after the cycles
                continue
            parts = [frames[start + k * length:start + (k + 1) * length] for k in range(CF_CYCLE_REPEATS)]
            if all(p == parts[0] for p in parts):
                return parts[0][:CF_STATE_FRAMES]
    return None


def clusterfuzz_signature(report):
    """(crash type, crash state) as ClusterFuzz computes them; testcases group when both are equal."""
    kind, assertion = clusterfuzz_crash_type(report)
    maps = proc_maps(report.get("ProcMaps") or [])
    frames = []
    for text in report.get("Stacktrace") or []:
        if not text.strip():
            continue
        try:
            addr, fn, module, offset, file, ln, col = parse_gdb(text)
        except ValueError:
            continue
        for lo, hi, off, name in maps:
            if addr and lo <= addr < hi:
                module, offset = name or module, addr - lo + off
                break
        frame = _cf_frame_text(fn, module, offset, file, ln, col).replace("\\", "/")
        if len(frame) < 3 or CF_IGNORE.match(frame) or CF_IGNORE_IF_SYMBOLIZED.match(frame):
            continue
        frames.append(_cf_function_of(frame))
    state_frames = [assertion] + frames[:CF_STATE_FRAMES - 1] if assertion is not None else frames[:CF_STATE_FRAMES]
    if kind == "Stack-overflow":
        state_frames = _cf_cycle(frames) or state_frames
    state = "".join(f + "\n" for f in state_frames)
    state = "".join(c for c in state if c.isprintable() or c == "\n")
    state = _cf_normalise(state) if state.strip() else "NULL"
    return kind, state


# ----------------------------------------------------------------------------------------------
# gdb exploitable: the major and minor stack hashes
# ----------------------------------------------------------------------------------------------

EXPLOITABLE_MAJOR_DEPTH = 5
# Frames not at fault: these functions, and any frame in libc or libm.
EXPLOITABLE_BLACKLIST = {"__kernel_vsyscall", "abort", "raise", "malloc", "free", "*__GI_abort",
                         "*__GI_raise", "malloc_printerr", "__libc_message", "_int_malloc", "_int_free"}
EXPLOITABLE_BLACKLIST_MAPS = re.compile(r".*/libc(\.|-).*|.*/libm(\.|-).*")


def _mapping_of(maps, addr):
    """The smallest mapping holding addr, as exploitable's findByAddr picks it."""
    best = None
    for lo, hi, off, name in maps:
        if lo <= addr < hi and (best is None or hi - lo < best[1] - best[0]):
            best = (lo, hi, off, name)
    return best


def exploitable_hashes(report):
    """(major, minor) hashes of the crash's stack, each 32 hex digits."""
    maps = proc_maps(report.get("ProcMaps") or [])
    # Where each module starts (its lowest mapping), to write PCs as module offsets.
    base = {}
    for lo, _, off, name in maps:
        if name and (name not in base or lo - off < base[name]):
            base[name] = lo - off
    major, minor, counted = "", "", 0
    position = 0
    for text in report.get("Stacktrace") or []:
        if not text.strip():
            continue
        try:
            addr, fn, _, _, _, _, _ = parse_gdb(text)
        except ValueError:
            continue
        name = fn.strip()
        if name.endswith(")") and " (" in name:
            name = name[:name.rindex(" (")]
        name = None if name in ("", "??") else name
        if name and "libc_start_main" in name:
            break
        region = _mapping_of(maps, addr)
        region_name = region[3] if region else None
        blacklisted = name in EXPLOITABLE_BLACKLIST or bool(
            region_name is not None and EXPLOITABLE_BLACKLIST_MAPS.match(region_name))
        pc = f"{region_name}+{addr - base[region_name]:#x}" if region_name in base else f"{addr:#x}"
        text = f"#{position:3d} {name} at {pc} in {region_name if region else '?'}"
        if not blacklisted:
            if counted < EXPLOITABLE_MAJOR_DEPTH:
                major = hashlib.md5((major + text).encode()).hexdigest()
            counted += 1
        else:
            text += " (BL)"
        minor = hashlib.md5((minor + text).encode()).hexdigest()
        position += 1
    return major or "0" * 32, minor

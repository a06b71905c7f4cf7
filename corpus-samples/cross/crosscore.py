#!/usr/bin/env python3
"""Helpers for make-cross-cores.sh (standard library only).

  crosscore.py trim CORE
      Trims a core written by gdb's `gcore` to what the Linux kernel keeps of
      read-only file-backed mappings: of a mapping that begins with an ELF
      header (file offset 0), its first page; of any other read-only
      file-backed mapping, nothing, except the RELRO part of a module's data
      segment (a read-only mapping of the same file directly followed by a
      writable one), which the loader has written to and the kernel keeps
      whole. gdb dumps such mappings whole when they
      start with an ELF header (libc's text: 1-1.7 MB per core) and, with the
      coredump_filter make-cross-cores.sh sets, the other private file
      mappings too. Only p_filesz of those PT_LOAD segments is lowered and the
      dropped bytes are zeroed in place: offsets, p_memsz, the notes and every
      other segment are left as gdb wrote them. File-backed means listed in
      the core's NT_FILE note; writable means PF_W in the segment's flags.

  crosscore.py fix-riscv-prstatus CORE REGISTERS
      gdb 13's gcore writes a riscv64 NT_PRSTATUS in the host's (x86-64)
      layout: 336 bytes, with pr_reg cut to its 216 bytes (pc, x1..x26), so
      that gdb itself can't read the core back ("Section `.reg/N' in core file
      too small"). This rewrites it in the riscv64 kernel's layout (376 bytes:
      the same 112-byte header, pc and x1..x31, pr_fpvalid) from REGISTERS,
      the `info registers general` gdb printed live before `gcore`, after
      checking that the 27 registers the note kept agree with it. A riscv32
      core gets the same: gdb writes the host's 32-bit (i386) layout, 144
      bytes, pr_reg cut to 68 bytes (pc, x1..x16); the riscv32 kernel's is
      204 bytes (the 72-byte header, pc and x1..x31, pr_fpvalid), and the 17
      registers kept are checked. The
      rewritten notes are appended at the end of the file and PT_NOTE (and
      the note section's header) point there; the old notes are zeroed.

  crosscore.py bias CORE EXE
      Prints the load bias of EXE in CORE (AT_ENTRY - e_entry), in hex.

  crosscore.py gdbinfo TRANSCRIPT
      Prints, as JSON, what a gdb transcript written by make-cross-cores.sh
      says: the signal, si_code and fault address ($_siginfo) and the frames
      of `bt` (function or null for ??, file:line, module).

  crosscore.py manifest SPEC OUT_DIR
      Writes OUT_DIR/manifest.json from the fixture table SPEC (tab-separated,
      written by make-cross-cores.sh) and the files in OUT_DIR, and checks
      every fixture's gdb transcript against the expected class's signal,
      crash line and first frames. Exit status 1 when one disagrees.

  crosscore.py buildid ELF
      Prints the GNU build-id of an ELF file (hex), or nothing.
"""
import hashlib
import json
import os
import re
import struct
import sys

PT_LOAD = 1
PT_NOTE = 4
PF_W = 2
NT_FILE = 0x46494C45
NT_GNU_BUILD_ID = 3


class Elf:
    def __init__(self, data):
        if data[:4] != b"\x7fELF":
            raise ValueError("not an ELF file")
        self.data = data
        self.is64 = data[4] == 2
        if data[5] != 1:
            raise ValueError("big-endian ELF is not handled")
        if self.is64:
            (self.e_type, self.e_machine, _, _, self.e_phoff, self.e_shoff, _, _, self.e_phentsize,
             self.e_phnum, self.e_shentsize, self.e_shnum, self.e_shstrndx) = struct.unpack_from(
                 "<HHIQQQIHHHHHH", data, 16)
        else:
            (self.e_type, self.e_machine, _, _, self.e_phoff, self.e_shoff, _, _, self.e_phentsize,
             self.e_phnum, self.e_shentsize, self.e_shnum, self.e_shstrndx) = struct.unpack_from(
                 "<HHIIIIIHHHHHH", data, 16)

    def phdrs(self):
        out = []
        for i in range(self.e_phnum):
            off = self.e_phoff + i * self.e_phentsize
            if self.is64:
                p_type, p_flags, p_offset, p_vaddr, _, p_filesz, p_memsz, _ = struct.unpack_from(
                    "<IIQQQQQQ", self.data, off)
            else:
                p_type, p_offset, p_vaddr, _, p_filesz, p_memsz, p_flags, _ = struct.unpack_from(
                    "<IIIIIIII", self.data, off)
            out.append({"index": i, "at": off, "type": p_type, "flags": p_flags, "offset": p_offset,
                        "vaddr": p_vaddr, "filesz": p_filesz, "memsz": p_memsz})
        return out

    def set_filesz(self, ph, filesz):
        if self.is64:
            struct.pack_into("<Q", self.data, ph["at"] + 32, filesz)
        else:
            struct.pack_into("<I", self.data, ph["at"] + 16, filesz)

    def notes(self, offset, size):
        align = 4
        end = offset + size
        pos = offset
        while pos + 12 <= end:
            namesz, descsz, ntype = struct.unpack_from("<III", self.data, pos)
            pos += 12
            name = bytes(self.data[pos:pos + namesz]).rstrip(b"\0")
            pos += (namesz + align - 1) & ~(align - 1)
            desc = bytes(self.data[pos:pos + descsz])
            pos += (descsz + align - 1) & ~(align - 1)
            yield name, ntype, desc

    def all_notes(self):
        for ph in self.phdrs():
            if ph["type"] == PT_NOTE:
                yield from self.notes(ph["offset"], ph["filesz"])
        if not any(ph["type"] == PT_NOTE for ph in self.phdrs()) and self.e_shoff:
            for i in range(self.e_shnum):
                off = self.e_shoff + i * self.e_shentsize
                if self.is64:
                    _, sh_type, _, _, sh_offset, sh_size = struct.unpack_from("<IIQQQQ", self.data, off)
                else:
                    _, sh_type, _, _, sh_offset, sh_size = struct.unpack_from("<IIIIII", self.data, off)
                if sh_type == 7:  # SHT_NOTE
                    yield from self.notes(sh_offset, sh_size)

    def nt_file(self):
        """The NT_FILE mappings: (start, end, file offset in bytes, path)."""
        word = "Q" if self.is64 else "I"
        ws = 8 if self.is64 else 4
        for name, ntype, desc in self.all_notes():
            if name == b"CORE" and ntype == NT_FILE:
                count, page_size = struct.unpack_from("<" + word * 2, desc, 0)
                pos = 2 * ws
                entries = []
                for _ in range(count):
                    start, end, pgoff = struct.unpack_from("<" + word * 3, desc, pos)
                    entries.append([start, end, pgoff * page_size])
                    pos += 3 * ws
                names = desc[pos:].split(b"\0")
                return [(s, e, o, names[i].decode(errors="replace")) for i, (s, e, o) in enumerate(entries)]
        return []


def trim(path):
    with open(path, "rb") as f:
        data = bytearray(f.read())
    elf = Elf(data)
    if elf.e_type != 4:
        raise SystemExit(f"{path}: not a core file")
    files = elf.nt_file()
    if not files:
        raise SystemExit(f"{path}: no NT_FILE note: nothing tells which mappings are file-backed")
    page = 4096
    dropped = 0
    for ph in elf.phdrs():
        if ph["type"] != PT_LOAD or ph["filesz"] == 0 or ph["flags"] & PF_W:
            continue
        start = ph["vaddr"]
        mapping = next((m for m in files if m[0] <= start < m[1]), None)
        if mapping is None:
            continue
        keep = 0
        if mapping[2] == 0 and start == mapping[0] and data[ph["offset"]:ph["offset"] + 4] == b"\x7fELF":
            keep = min(page, ph["filesz"])
        elif any(m[3] == mapping[3] and m[0] == mapping[1] for m in files) and any(
                p["type"] == PT_LOAD and p["vaddr"] == mapping[1] and p["flags"] & PF_W for p in elf.phdrs()):
            # The RELRO part of a module's data segment: the loader wrote it
            # (relocations, DT_DEBUG) before mprotect, so the kernel dumps it.
            keep = ph["filesz"]
        if keep < ph["filesz"]:
            data[ph["offset"] + keep:ph["offset"] + ph["filesz"]] = bytes(ph["filesz"] - keep)
            dropped += ph["filesz"] - keep
            elf.set_filesz(ph, keep)
    with open(path, "wb") as f:
        f.write(data)
    print(f"{os.path.basename(path)}: {dropped} bytes of read-only file-backed mappings dropped")


EM_RISCV = 243
RISCV_GDB_NAMES = ["pc", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "fp", "s1", "a0", "a1", "a2", "a3",
                   "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10",
                   "s11", "t3", "t4", "t5", "t6"]


# The riscv64 and riscv32 kernels' NT_PRSTATUS: the header (112 / 72 bytes),
# pr_reg = pc, x1..x31 (32 words), pr_fpvalid (4 bytes, padded to 8 on
# riscv64); and what gdb 13 on an x86-64 host writes instead: the header and
# its own host layout's pr_reg, cut to the first 27 (x86-64) / 17 (i386)
# words, so of the right header but too small.
RISCV_PRSTATUS = {  # is64: (word format, header size, kernel size, gdb 13 size, registers gdb keeps)
    True: ("Q", 112, 376, 336, 27),
    False: ("I", 72, 204, 144, 17),
}


def fix_riscv_prstatus(path, regs_path):
    with open(path, "rb") as f:
        data = bytearray(f.read())
    elf = Elf(data)
    if elf.e_machine != EM_RISCV:
        raise SystemExit(f"{path}: not a RISC-V core")
    word, header, size, gdb_size, kept_count = RISCV_PRSTATUS[elf.is64]
    layout = "riscv64" if elf.is64 else "riscv32"
    live = {}
    for line in open(regs_path, encoding="utf-8", errors="replace"):
        m = re.match(r"^(\w+)\s+(0x[0-9a-f]+)", line)
        if m:
            live[m.group(1)] = int(m.group(2), 16)
    missing = [r for r in RISCV_GDB_NAMES if r not in live]
    if missing:
        raise SystemExit(f"{regs_path}: no value for {missing}")
    regs = [live[r] for r in RISCV_GDB_NAMES]
    note_ph = next(ph for ph in elf.phdrs() if ph["type"] == PT_NOTE)
    notes = list(elf.notes(note_ph["offset"], note_ph["filesz"]))
    fixed = 0
    out_notes = []
    for name, ntype, desc in notes:
        if name == b"CORE" and ntype == 1 and len(desc) != size:
            if len(desc) != gdb_size:
                raise SystemExit(f"{path}: NT_PRSTATUS of {len(desc)} bytes, expected {gdb_size} (gdb 13) or {size}")
            kept = struct.unpack_from(f"<{kept_count}{word}", desc, header)
            if list(kept) != regs[:kept_count]:
                raise SystemExit(f"{path}: NT_PRSTATUS registers disagree with {regs_path}")
            desc = desc[:header] + struct.pack(f"<32{word}", *regs) + struct.pack("<i", 1)
            desc += bytes(size - len(desc))
            fixed += 1
        out_notes.append((name, ntype, desc))
    if not fixed:
        print(f"{os.path.basename(path)}: NT_PRSTATUS already in the {layout} layout")
        return
    blob = bytearray()
    for name, ntype, desc in out_notes:
        n = name + b"\0"
        blob += struct.pack("<III", len(n), len(desc), ntype)
        blob += n + bytes(-len(n) % 4)
        blob += desc + bytes(-len(desc) % 4)
    data[note_ph["offset"]:note_ph["offset"] + note_ph["filesz"]] = bytes(note_ph["filesz"])
    data += bytes(-len(data) % 8)
    new_offset = len(data)
    data += blob
    if elf.is64:
        struct.pack_into("<QQ", data, note_ph["at"] + 8, new_offset, 0)  # p_offset, p_vaddr
        struct.pack_into("<Q", data, note_ph["at"] + 32, len(blob))       # p_filesz
    else:
        struct.pack_into("<II", data, note_ph["at"] + 4, new_offset, 0)   # p_offset, p_vaddr
        struct.pack_into("<I", data, note_ph["at"] + 16, len(blob))       # p_filesz
    # The section header gdb writes for the notes ("note0"), if any.
    sh_at = 24 if elf.is64 else 16  # sh_offset, then sh_size
    sh_fmt = "<QQ" if elf.is64 else "<II"
    for i in range(elf.e_shnum):
        off = elf.e_shoff + i * elf.e_shentsize
        sh_type, = struct.unpack_from("<I", data, off + 4)
        sh_offset, sh_size = struct.unpack_from(sh_fmt, data, off + sh_at)
        if sh_type == 7 and sh_offset == note_ph["offset"]:
            struct.pack_into(sh_fmt, data, off + sh_at, new_offset, len(blob))
    with open(path, "wb") as f:
        f.write(data)
    print(f"{os.path.basename(path)}: NT_PRSTATUS rewritten in the {layout} layout")


def load_bias(core_path, exe_path):
    with open(core_path, "rb") as f:
        core = Elf(bytearray(f.read()))
    with open(exe_path, "rb") as f:
        exe_data = bytearray(f.read())
    exe = Elf(exe_data)
    e_entry = struct.unpack_from("<Q" if exe.is64 else "<I", exe_data, 24)[0]
    word = "<QQ" if core.is64 else "<II"
    size = struct.calcsize(word)
    for name, ntype, desc in core.all_notes():
        if name == b"CORE" and ntype == 6:  # NT_AUXV
            for pos in range(0, len(desc) - size + 1, size):
                key, value = struct.unpack_from(word, desc, pos)
                if key == 9:  # AT_ENTRY
                    return value - e_entry
    raise SystemExit(f"{core_path}: no AT_ENTRY in NT_AUXV")


def buildid(path):
    with open(path, "rb") as f:
        elf = Elf(bytearray(f.read()))
    for name, ntype, desc in elf.all_notes():
        if name == b"GNU" and ntype == NT_GNU_BUILD_ID:
            return desc.hex()
    return None


FRAME_RE = re.compile(
    r"^#(\d+)\s+(?:(0x[0-9a-f]+) in )?(\S+) \((.*?)\)(?: at (\S+):(\d+))?(?: from (\S+))?\s*$")


def gdbinfo(path):
    """Parses a transcript: sections start with '=== <command>' lines."""
    text = open(path, encoding="utf-8", errors="replace").read()
    sections = {}
    current = None
    for line in text.splitlines():
        if line.startswith("=== "):
            current = line[4:].strip()
            sections[current] = []
        elif current is not None:
            sections[current].append(line)
    info = {"signal": None, "si_code": None, "fault_address": None, "frames": []}
    for line in sections.get("signal", []):
        m = re.search(r"Program terminated with signal (SIG\w+)", line)
        if m:
            info["signal"] = m.group(1)
    for line in sections.get("siginfo", []):
        m = re.search(r"si_code = (-?\d+)", line)
        if m:
            info["si_code"] = int(m.group(1))
        m = re.search(r"si_addr = (0x[0-9a-f]+)", line)
        if m:
            info["fault_address"] = m.group(1)
    frames = []
    joined = []
    for line in sections.get("bt", []):
        # gdb wraps long frames; a continuation line starts with spaces.
        if line.startswith("#") or not joined:
            joined.append(line)
        else:
            joined[-1] += " " + line.strip()
    for line in joined:
        m = FRAME_RE.match(line)
        if not m:
            continue
        function = None if m.group(3) == "??" else m.group(3)
        frame = {"function": function}
        if m.group(5):
            frame["line"] = f"{os.path.basename(m.group(5))}:{m.group(6)}"
        if m.group(7):
            frame["module"] = os.path.basename(m.group(7))
        frames.append(frame)
    info["frames"] = frames
    return info


def crash_line(source):
    with open(source, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if "// CRASH-LINE" in line:
                return f"{os.path.basename(source)}:{n}"
    raise SystemExit(f"{source}: no // CRASH-LINE marker")


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


def scopes(exp, arch, kind):
    """Most specific first: this kind on this arch, this arch, this kind, the program."""
    on_arch = exp.get("arch", {}).get(arch, {})
    return [on_arch.get(kind, {}), on_arch, exp.get(kind, {}), exp]


def pick(exp, arch, kind, key):
    for scope in scopes(exp, arch, kind):
        if key in scope:
            return scope[key]
    return None


def pick_all(exp, arch, kind, key):
    """Every scope's value, the program's first (for notes)."""
    return [scope.get(key) for scope in reversed(scopes(exp, arch, kind))]


def manifest(spec_path, out_dir):
    """SPEC lines (tab-separated):
         arch <arch> <triplet> <qemu> <compiler version> <qemu version> <gdb version> [<sysroot>]
         lib <arch> <path in sysroot> <package> <version>
         fixture <arch> <program> <kind> <source (relative to corpus-samples)> <args, space-separated or ->
    """
    corpus = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    expectations = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "expected.json")))
    arches = {}
    fixtures = []
    problems = []
    for raw in open(spec_path, encoding="utf-8"):
        row = raw.rstrip("\n").split("\t")
        if row[0] == "arch":
            _, arch, triplet, qemu, compiler, qemu_version, gdb = row[:7]
            # The sysroot column: "" for the freestanding static riscv32 programs.
            sysroot = row[7] if len(row) > 7 else f"/usr/{triplet}"
            arches[arch] = {"triplet": triplet, "sysroot": sysroot, "qemu": qemu,
                            "compiler": compiler, "qemu_version": qemu_version, "gdb": gdb, "libraries": []}
        elif row[0] == "lib":
            _, arch, path, package, version = row
            arches[arch]["libraries"].append({
                "path": path, "build_id": buildid(path), "package": package, "version": version})
        elif row[0] == "fixture":
            _, arch, program, kind, source, args = row
            exp = expectations["programs"][program]
            binary = f"{arch}/{program}"
            core = f"{arch}/{program}.{kind}.core.zst"
            transcript = f"{arch}/{program}.{kind}.gdb.txt"
            entry = {
                "name": f"{program}-{arch}-{kind}",
                "arch": arch,
                "kind": kind,
                "program": program,
                "source": source,
                "args": [] if args == "-" else args.split(" "),
                "binary": binary,
                "binary_build_id": buildid(os.path.join(out_dir, binary)),
                "core": core,
                "core_sha256": None,
                "core_size": None,
                "gdb_transcript": transcript,
                "signal": pick(exp, arch, kind, "signal"),
                "class": pick(exp, arch, kind, "class"),
                "type": pick(exp, arch, kind, "type"),
                "crash_line": crash_line(os.path.join(corpus, source)),
                "crash_function": pick(exp, arch, kind, "crash_function"),
                "frames": pick(exp, arch, kind, "frames"),
            }
            for key in ("si_code", "fault_address", "triage_frames", "triage_gap"):
                value = pick(exp, arch, kind, key)
                if value is not None:
                    entry[key] = value
            entry["notes"] = " ".join(n for n in pick_all(exp, arch, kind, "notes") if n)
            core_path = os.path.join(out_dir, core)
            if not os.path.exists(core_path):
                problems.append(f"{entry['name']}: {core} is missing")
                continue
            entry["core_sha256"] = sha256(core_path)
            entry["core_size"] = os.path.getsize(core_path)
            # What gdb says on the same core must agree with the expectation.
            got = gdbinfo(os.path.join(out_dir, transcript))
            entry["gdb"] = got
            if got["signal"] != entry["signal"]:
                problems.append(f"{entry['name']}: gdb says {got['signal']}, expected {entry['signal']}")
            want = pick(exp, arch, kind, "gdb_frames") or entry["frames"]
            if want != entry["frames"]:
                entry["gdb_frames"] = want
            names = [f.get("function") for f in got["frames"]]
            if names[:len(want)] != want:
                problems.append(f"{entry['name']}: gdb's first frames are {names}, expected {want}")
            lines = [f.get("line") for f in got["frames"]]
            if entry["crash_line"] not in lines and len(want) >= len(entry["frames"]):
                problems.append(f"{entry['name']}: gdb's frames {lines} do not include {entry['crash_line']}")
            if "si_code" in entry and got["si_code"] is not None and got["si_code"] != entry["si_code"]:
                problems.append(f"{entry['name']}: gdb's si_code {got['si_code']}, expected {entry['si_code']}")
            fixtures.append(entry)
    out = {
        "comment": expectations["comment"],
        "architectures": arches,
        "fixtures": fixtures,
    }
    with open(os.path.join(out_dir, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, indent=2)
        f.write("\n")
    for p in problems:
        print(f"manifest: {p}", file=sys.stderr)
    print(f"manifest: {len(fixtures)} fixtures in {os.path.join(out_dir, 'manifest.json')}")
    return 1 if problems else 0


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    cmd = sys.argv[1]
    if cmd == "trim":
        trim(sys.argv[2])
    elif cmd == "gdbinfo":
        print(json.dumps(gdbinfo(sys.argv[2]), indent=2))
    elif cmd == "fix-riscv-prstatus" and len(sys.argv) == 4:
        fix_riscv_prstatus(sys.argv[2], sys.argv[3])
    elif cmd == "bias" and len(sys.argv) == 4:
        print(hex(load_bias(sys.argv[2], sys.argv[3])))
    elif cmd == "buildid":
        print(buildid(sys.argv[2]) or "")
    elif cmd == "manifest" and len(sys.argv) == 4:
        return manifest(sys.argv[2], sys.argv[3])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

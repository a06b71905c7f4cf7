#!/usr/bin/env python3
"""Writes a small x86-64 ELF core whose THREADS threads each have a valid
frame-pointer chain of 2100 frames (all on one shared 64 KiB stack page run).

    make-deep-threads-core.py THREADS OUT

Every thread unwinds to max_frames (2000) frames and every frame is in the
report, so the work and the report grow with THREADS * 2000 while the core
grows by only 356 bytes per thread. Measured with triage-core (RelWithDebInfo,
before any cap on frames per core): 100 threads (100 KiB core) 1.5 s, 400 MB
RSS, 63 MB report; 1000 threads (412 KiB core) 16 s, 3.9 GB RSS, 632 MB
report. The reader accepts up to 65536 threads (a 23 MiB core).
"""
import struct
import sys

threads, out = int(sys.argv[1]), sys.argv[2]
BASE, SIZE = 0x400000, 0x10000
ENTRY, CHAIN = BASE + 0x100, BASE + 0x1000


def note(note_type, desc):
    pad = b'\0' * ((4 - len(desc) % 4) % 4)
    return struct.pack('<III', 5, len(desc), note_type) + b'CORE\0\0\0\0' + desc + pad


def prstatus(tid):
    d = bytearray(336)  # struct elf_prstatus, registers at 112
    struct.pack_into('<i', d, 0, 11)
    struct.pack_into('<h', d, 12, 11)
    struct.pack_into('<i', d, 32, tid)
    struct.pack_into('<Q', d, 112 + 4 * 8, CHAIN)          # rbp: the chain's first frame
    struct.pack_into('<Q', d, 112 + 16 * 8, ENTRY)         # rip
    struct.pack_into('<Q', d, 112 + 19 * 8, CHAIN - 0x10)  # rsp
    return bytes(d)


notes = b''.join(note(1, prstatus(1000 + i)) for i in range(threads))
siginfo = bytearray(128)
struct.pack_into('<iii', siginfo, 0, 11, 0, 1)
notes += note(0x53494749, bytes(siginfo))  # NT_SIGINFO
notes_offset = 64 + 2 * 56
load_offset = (notes_offset + len(notes) + 4095) & ~4095
ehdr = struct.pack('<16sHHIQQQIHHHHHH', b'\x7fELF\x02\x01\x01' + b'\0' * 9,
                   4, 62, 1, 0, 64, 0, 0, 64, 56, 2, 0, 0, 0)  # ET_CORE, EM_X86_64
note_phdr = struct.pack('<IIQQQQQQ', 4, 0, notes_offset, 0, 0, len(notes), 0, 4)
load_phdr = struct.pack('<IIQQQQQQ', 1, 7, load_offset, BASE, 0, SIZE, SIZE, 4096)  # RWX
memory = bytearray(SIZE)
memory[0x100:0x108] = b'\x8b\x00\x5d\xc3\x90\x90\x90\x90'
for k in range(2100):  # [fp] = next fp, [fp + 8] = a return address in code
    fp = CHAIN + 16 * k
    struct.pack_into('<QQ', memory, fp - BASE, fp + 16, ENTRY + 4)
image = bytearray(load_offset + SIZE)
image[0:64] = ehdr
image[64:120] = note_phdr
image[120:176] = load_phdr
image[notes_offset:notes_offset + len(notes)] = notes
image[load_offset:] = memory
with open(out, 'wb') as f:
    f.write(image)

#!/usr/bin/env bash
# Regenerates inputs/: the crash inputs, hangs and queue entries of the
# sample fuzz target, laid out like an AFL++ output folder
# (inputs/default/{crashes,hangs,queue}, fuzzer_stats), and next to it
# expected-bugs.tsv, the ground truth for the crash inputs:
#   input  bug  class
# one line per file in crashes/: its name, a short stable bug id and the
# crash class family triage-core reports for it (without the NearNull or
# Tainted suffix some inputs of a bug get). The inputs are committed; run this
# only after changing the file format in target.c.
#
# Usage: make-inputs.sh [OUT_DIR]   (default: the inputs/ folder next to it;
#        expected-bugs.tsv goes into OUT_DIR's parent folder)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=${1:-$here/inputs}
out=$root/default
expected=$(dirname "$root")/expected-bugs.tsv
rm -rf "$out"
mkdir -p "$out/crashes" "$out/hangs" "$out/queue"
printf 'input\tbug\tclass\n' > "$expected"

# Byte-string helpers: every function prints raw bytes to stdout.
u8()  { printf "\\x$(printf '%02x' "$1")"; }
u16() { u8 $(($1 & 255)); u8 $(($1 >> 8 & 255)); }
u64() { local v=$1 i; for i in 0 1 2 3 4 5 6 7; do u8 $((v >> (8 * i) & 255)); done; }
chunk() { # chunk TYPE PAYLOAD_FILE
  local len
  len=$(stat -c %s "$2")
  printf '%s' "$1"; u16 "$len"; cat "$2"
}
repeat() { local i; for ((i = 0; i < $2; i++)); do printf '%s' "$1"; done; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
p=$tmp/payload
in=$tmp/input

crash_id=0
hang_id=0
queue_id=0
bug=
class=
# expect BUG CLASS: the bug id and crash class of the crashes saved next.
expect() { bug=$1; class=$2; }
# Each case writes its chunks to $in, then save_crash/save_hang/save_queue
# store them, after the magic, under an AFL++-style name; save_crash also
# adds the input's line to expected-bugs.tsv.
save_crash() { # save_crash SIG SRC OP REP
  local name
  name=$(printf 'id:%06d,sig:%02d,src:%s,op:%s,rep:%d' "$crash_id" "$1" "$2" "$3" "$4")
  { printf 'TSC1'; cat "$in"; } > "$out/crashes/$name"
  printf '%s\t%s\t%s\n' "$name" "$bug" "$class" >> "$expected"
  crash_id=$((crash_id + 1))
}
save_hang() { # save_hang SRC OP REP
  local name
  name=$(printf 'id:%06d,src:%s,op:%s,rep:%d' "$hang_id" "$1" "$2" "$3")
  { printf 'TSC1'; cat "$in"; } > "$out/hangs/$name"
  hang_id=$((hang_id + 1))
}
save_queue() { # save_queue DESCRIPTION
  local name
  name=$(printf 'id:%06d,%s' "$queue_id" "$1")
  { printf 'TSC1'; cat "$in"; } > "$out/queue/$name"
  queue_id=$((queue_id + 1))
}

# --- queue: inputs that parse without crashing -------------------------------
printf 'sunset' > $p; chunk T $p > $in; save_queue 'time:0,execs:0,orig:title.tsc'
{ printf 'sunset' > $p; chunk T $p; printf 'loaded\n' > $p; chunk L $p
  { u8 2; u8 255; u8 128; u8 0; u8 10; u8 20; u8 30; } > $p; chunk P $p
  u8 1 > $p; chunk M $p; } > $in; save_queue 'time:0,execs:0,orig:scene.tsc'
{ printf '[a [b c] d]' > $p; chunk G $p; u16 12 > $p; u16 4 >> $p; chunk R $p; } > $in
save_queue 'src:000001,time:1510,execs:20331,op:havoc,rep:4,+cov'
{ u8 1 > $p; chunk E $p; u8 3 > $p; chunk E $p; } > $in; save_queue 'src:000001,time:2044,execs:27630,op:arith8,pos:7,+cov'
{ u16 0 > $p; chunk D $p; printf 'x' > $p; chunk U $p; } > $in; save_queue 'src:000002,time:4975,execs:66120,op:int16,pos:5,+cov'
{ { u8 0; u8 4; u8 0; u8 10; } > $p; chunk S $p; { u8 1; u8 2; u8 1; u8 253; } > $p; chunk S $p; } > $in
save_queue 'src:000001,time:6120,execs:81377,op:havoc,rep:8,+cov'
{ { u8 0; printf 'hello'; } > $p; chunk X $p; { u16 10; u16 20; u8 0; printf 'OK'; } > $p; chunk B $p
  { u8 3; u8 0; printf 'tip'; } > $p; chunk H $p; u8 0 > $p; chunk W $p; } > $in
save_queue 'src:000005,time:7302,execs:97018,op:splice,rep:4,+cov'

# --- crashes -----------------------------------------------------------------
# Bug 1: 'M' before any 'P': load through the NULL palette (SIGSEGV).
expect null-palette SourceAv
u8 0 > $p; chunk M $p > $in; save_crash 11 000001 havoc 2
{ printf 'night' > $p; chunk T $p; u8 7 > $p; chunk M $p; } > $in; save_crash 11 000001 havoc 4
{ printf 'boot\n' > $p; chunk L $p; u8 200 > $p; chunk M $p; } > $in; save_crash 11 000000 flip1 1
{ u8 1 > $p; chunk E $p; u8 15 > $p; chunk M $p; } > $in; save_crash 11 000003 havoc 8
{ printf 'abc' > $p; chunk U $p; u8 3 > $p; chunk M $p; } > $in; save_crash 11 000004 splice 2
{ u8 9 > $p; chunk M $p; u16 3 > $p; chunk D $p; } > $in; save_crash 11 000004 havoc 16

# Bug 2: an overlong title overwrites the log that follows it on the heap;
# bytes 32..39 become the log's write cursor, 40..47 its end. The next 'L'
# writes through the cursor (SIGSEGV).
expect title-overflow DestAv
title_overflow() { # title_overflow CURSOR END
  { printf 'AAAAAAAAAAAAAAAAAAAAAAAA'; u64 0x51; u64 "$1"; u64 "$2"; } > $p; chunk T $p
  printf 'log line\n' > $p; chunk L $p
}
title_overflow 0x414141410000 0x414141420000 > $in; save_crash 11 000000 havoc 8
title_overflow 0x000000001000 0x000000002000 > $in; save_crash 11 000000 havoc 16
title_overflow 0x7ff000000000 0x7ff000001000 > $in; save_crash 11 000001 splice 4
title_overflow 0x4141414141414141 0x4242424242424242 > $in; save_crash 11 000001 havoc 32
{ printf 'x' > $p; chunk U $p; title_overflow 0x10 0x20; } > $in; save_crash 11 000004 havoc 2
{ { repeat 'T' 32; u64 0x500000000000; u64 0x500000001000; } > $p; chunk T $p
  printf 'A' > $p; chunk L $p; } > $in; save_crash 11 000002 havoc 4

# Bug 3: an event id past the 4 handlers calls an address taken from the
# user data (SIGSEGV at the new pc; at the call, CallAv, when the address is
# not canonical).
expect wild-event-handler SegFaultOnPc
event_call() { # event_call ADDRESS ID
  { repeat 'u' $(( ($2 - 4) * 8 )); u64 "$1"; } > $p; chunk U $p
  u8 "$2" > $p; chunk E $p
}
event_call 0x414141414141 4 > $in; save_crash 11 000003 havoc 2
event_call 0x414141414141 7 > $in; save_crash 11 000003 havoc 4
event_call 0x000000000010 5 > $in; save_crash 11 000003 arith8 1
event_call 0x7fff00000000 11 > $in; save_crash 11 000004 havoc 8
expect wild-event-handler CallAv
event_call 0x4141414141414141 6 > $in; save_crash 11 000004 havoc 16
expect wild-event-handler SegFaultOnPc
{ u8 4 > $p; chunk E $p; } > $in; save_crash 11 000003 int8 1
expect wild-event-handler CallAv
{ u8 0 > $p; chunk E $p; u8 2 > $p; chunk E $p; event_call 0x1337133713370 9; } > $in; save_crash 11 000003 splice 2

# Bug 4: unbounded recursion on nested '[' (stack overflow, SIGSEGV).
expect group-recursion StackOverflow
repeat '[' 4000 > $p; chunk G $p > $in; save_crash 11 000002 havoc 128
{ repeat '[a ' 3000 > $p; chunk G $p; } > $in; save_crash 11 000002 havoc 64
{ printf 'deep' > $p; chunk T $p; repeat '[' 6000 > $p; chunk G $p; } > $in; save_crash 11 000002 splice 32
{ repeat '[[ ]' 2600 > $p; chunk G $p; } > $in; save_crash 11 000002 havoc 128

# Bug 5: a deep walk that reads the node after the last one (NULL).
expect chain-walk SourceAv
for depth in 1 10 100 1000 20000 50000; do
  u16 $depth > $p; chunk D $p > $in; save_crash 11 000004 int16 1
done

# Bug 6: a grid with 0 columns (SIGFPE).
expect grid-zero-columns FPE
{ u16 12 > $p; u16 0 >> $p; chunk R $p; } > $in; save_crash 8 000002 int16 1
{ u16 0 > $p; u16 0 >> $p; chunk R $p; } > $in; save_crash 8 000002 havoc 2
{ u16 65535 > $p; u16 0 >> $p; chunk R $p; } > $in; save_crash 8 000002 int16 1
{ printf 'grid' > $p; chunk T $p; u16 7 > $p; u16 0 >> $p; chunk R $p; } > $in; save_crash 8 000002 havoc 4
{ printf '[a]' > $p; chunk G $p; u16 100 > $p; u16 0 >> $p; chunk R $p; } > $in; save_crash 8 000002 splice 2

# Bug 7: a palette with more than 16 colours fails a check (SIGABRT).
expect palette-check AbortSignal
for count in 17 32 100 255; do
  { u8 $count; repeat 'rgb' 17; } > $p; chunk P $p > $in; save_crash 6 000001 havoc $((count % 7 + 1))
done
{ printf 'paint' > $p; chunk T $p; { u8 40; repeat 'xyz' 40; } > $p; chunk P $p; } > $in; save_crash 6 000001 splice 8

# Bugs 8-10, three bugs of add_sprite. sprite LAYER FRAMES ANCHOR X prints an
# 'S' chunk.
sprite() { { u8 "$1"; u8 "$2"; u8 "$3"; u8 "$4"; } > $p; chunk S $p; }

# Bug 8: a sprite with 0 frames (SIGFPE).
expect sprite-zero-frames FPE
sprite 0 0 0 0 > $in; save_crash 8 000005 havoc 2
sprite 1 0 0 5 > $in; save_crash 8 000005 arith8 1
{ sprite 0 4 0 1; sprite 1 0 1 2; } > $in; save_crash 8 000005 havoc 4
{ printf 'anim' > $p; chunk T $p; sprite 0 0 0 200; } > $in; save_crash 8 000005 splice 2
sprite 4 0 0 0 > $in; save_crash 8 000005 havoc 8

# Bug 9: a sprite on layer 2 or 3, which don't exist: the store into the
# NULL layer writes near address 0 (SIGSEGV).
expect sprite-null-layer DestAv
sprite 2 4 0 0 > $in; save_crash 11 000005 flip1 1
sprite 3 1 0 0 > $in; save_crash 11 000005 havoc 2
{ sprite 0 4 0 0; sprite 2 4 0 0; } > $in; save_crash 11 000005 havoc 4
sprite 6 10 0 9 > $in; save_crash 11 000005 arith8 1
{ printf 'sprites\n' > $p; chunk L $p; sprite 255 2 0 0; } > $in; save_crash 11 000005 splice 4

# Bug 10: an anchor number past the sprites made so far reads through a NULL
# sprite (SIGSEGV).
expect sprite-null-anchor SourceAv
sprite 0 4 1 0 > $in; save_crash 11 000005 havoc 2
sprite 1 4 3 0 > $in; save_crash 11 000005 arith8 1
{ sprite 0 4 0 0; sprite 0 4 2 0; } > $in; save_crash 11 000005 havoc 4
sprite 1 2 200 7 > $in; save_crash 11 000005 havoc 8
{ printf 'x' > $p; chunk U $p; sprite 0 4 0 0; sprite 1 4 1 0; sprite 0 4 5 0; } > $in; save_crash 11 000005 splice 2

# Bug 11: text in a font other than 0 reads the NULL font's metrics in
# text_width (SIGSEGV), from each of its three callers: 'X' (draw_text),
# 'B' (draw_button) and 'H' (draw_hint).
expect font-null SourceAv
{ { u8 1; printf 'hello'; } > $p; chunk X $p; } > $in; save_crash 11 000006 havoc 2
{ { u8 6; printf 'x'; } > $p; chunk X $p; } > $in; save_crash 11 000006 arith8 1
{ { u16 10; u16 20; u8 2; printf 'OK'; } > $p; chunk B $p; } > $in; save_crash 11 000006 havoc 4
{ { u8 0; printf 'ok'; } > $p; chunk X $p; { u16 0; u16 0; u8 1; printf 'Cancel'; } > $p; chunk B $p; } > $in
save_crash 11 000006 splice 2
{ { u8 5; u8 1; printf 'tip'; } > $p; chunk H $p; } > $in; save_crash 11 000006 havoc 2
{ printf 'help' > $p; chunk T $p; { u8 0; u8 7; } > $p; chunk H $p; } > $in; save_crash 11 000006 havoc 8

# --- hangs -------------------------------------------------------------------
# Bug 12: waiting for frames that are never drawn.
u8 1 > $p; chunk W $p > $in; save_hang 000006 arith8 1
{ printf 'wait' > $p; chunk T $p; sprite 0 4 0 0; u8 200 > $p; chunk W $p; } > $in; save_hang 000006 havoc 4

cat > "$out/fuzzer_stats" <<STATS
start_time        : 1718006400
last_update       : 1718020800
run_time          : 14400
fuzzer_pid        : 41237
cycles_done       : 11
cycles_wo_finds   : 2
time_wo_finds     : 1732
execs_done        : 9164308
execs_per_sec     : 636.41
execs_ps_last_min : 612.88
corpus_count      : $queue_id
corpus_favored    : 3
corpus_found      : $((queue_id - 2))
corpus_imported   : 0
corpus_variable   : 0
max_depth         : 3
cur_item          : 1
pending_favs      : 0
pending_total     : 0
stability         : 100.00%
bitmap_cvg        : 0.38%
saved_crashes     : $crash_id
saved_hangs       : $hang_id
last_find         : 1718019068
last_crash        : 1718020511
last_hang         : 1718017333
execs_since_crash : 183022
exec_timeout      : 20
slowest_exec_ms   : 0
peak_rss_mb       : 8
cpu_affinity      : 0
edges_found       : 251
total_edges       : 65536
var_byte_count    : 0
havoc_expansion   : 0
auto_dict_entries : 0
testcache_size    : 612
testcache_count   : $queue_id
testcache_evict   : 0
afl_banner        : target
afl_version       : ++4.04c
target_mode       : default
command_line      : afl-fuzz -i seeds -o inputs -- ./target @@
STATS
echo "make-inputs.sh: $crash_id crashes, $hang_id hangs, $queue_id queue entries in $out; ground truth in $expected"

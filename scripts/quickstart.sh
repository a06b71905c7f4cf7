#!/usr/bin/env bash
# The main job on the bundled samples: install what is needed, build, then
# triage the sample fuzz campaign (corpus-samples/fuzz-target: an AFL++
# output folder with crashes and hangs) with triage-run, and print what it
# found; then make a core for every sample crash program (one per crash
# class), analyse them with triage-core, and print one text report.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
build=$PWD/build
out=${OUT_DIR:-$PWD/out/quickstart}
rm -rf "$out" && mkdir -p "$out"

campaign=corpus-samples/fuzz-target
echo
echo "== triage-run on the sample fuzz campaign ($campaign/inputs)"
status=0
build/tools/triage-run/triage-run -i "$campaign/inputs" -o "$out/campaign" -t 2 -- \
  "$build/corpus-samples/fuzz-target/target" @@ || status=$?
echo
echo "The campaign has $(cut -f2 "$campaign"/expected-bugs.tsv | tail -n +2 | sort -u | wc -l) known bugs" \
  "($campaign/expected-bugs.tsv). Reports and reproducers: $out/campaign/clN/; summary: $out/campaign/summary.json"
[ "$status" -eq 0 ] || { echo "triage-run exited with $status" >&2; exit "$status"; }

echo
echo "== One core per crash class, analysed by triage-core"
bash corpus-samples/make-cores.sh "$build" "$out/cores"
build/tools/triage-core/triage-core -i "$out/cores" -o "$out/reports" --format text
for report in "$out"/reports/*.casrep; do
  python3 - "$report" <<'PY'
import json, sys, os
r = json.load(open(sys.argv[1]))
s = r["CrashSeverity"]
print(f'{os.path.basename(sys.argv[1]):40s} {s["Type"]:21s} {s["ShortDescription"]:22s} {r["CrashLine"]}')
PY
done
first="$out/reports/heap-error.core.txt"
[ -f "$first" ] || first=$(ls "$out"/reports/*.txt | head -n 1)
echo
echo "== The text report of $(basename "$first" .txt), as a person reads it"
cat "$first"
echo
echo "Reports (.casrep JSON and .txt) are in $out/reports"

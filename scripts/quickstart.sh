#!/usr/bin/env bash
# The main job on the bundled samples: install what is needed, build, make
# a core for every sample crash program in corpus-samples/, analyse them all
# in parallel with triage-core, and print what was found; then run every
# crash input of the sample fuzz campaign for a core, analyse those, and
# cluster the reports into bugs with triage-cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
build=$PWD/build
out=${OUT_DIR:-$PWD/out/quickstart}
rm -rf "$out" && mkdir -p "$out"
bash corpus-samples/make-cores.sh "$build" "$out/cores"
build/tools/triage-core/triage-core -i "$out/cores" -o "$out/reports" --format text
echo
echo "== One line per core: severity, class, crash line"
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

echo
echo "== The sample fuzz campaign: one core per crash input, analysed, then clustered into bugs"
campaign=corpus-samples/fuzz-target
inputs=$(ls "$campaign"/inputs/default/crashes | wc -l)
bash "$campaign"/make-batch-cores.sh "$build" "$out/campaign-cores" "$inputs"
build/tools/triage-core/triage-core -i "$out/campaign-cores" -o "$out/campaign-reports"
build/tools/triage-cluster/triage-cluster -i "$out/campaign-reports" -o "$out/campaign-clusters" --estimate
echo
echo "The campaign has $(cut -f2 "$campaign"/expected-bugs.tsv | tail -n +2 | sort -u | wc -l) known bugs" \
  "($campaign/expected-bugs.tsv); clusters are in $out/campaign-clusters"

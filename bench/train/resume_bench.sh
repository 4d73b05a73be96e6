#!/usr/bin/env bash
# Time to the first step after a mid-epoch resume, at 10% and at 90% of an epoch, against a fresh
# start of the same run (the baseline: no checkpoint, nothing to skip), alternating, median of
# REPEATS; plus the periodic checkpoint's write time. An instant resume makes 10% = 90%: the loader
# starts at the resumed batch without decoding the batches before it.
#   bash bench/train/resume_bench.sh [N_IMAGES=8192] [REPEATS=3]
# Needs build/fastimg and ../shared/data/imagenet-sample.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-8192}
REPEATS=${2:-3}
FASTIMG=${FASTIMG:-build/fastimg}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

python3 scripts/device/make_imagefolder.py ../shared/data/imagenet-sample "$WORK/folder" "$N" 10 >/dev/null
"$FASTIMG" write --from-imagefolder "$WORK/folder" --out "$WORK/train.beton" --max-res 160 --jpeg-fraction 1 \
  --workers 2 >/dev/null 2>&1
BATCHES=$((N / 64))
AT10=$((BATCHES / 10))
AT90=$((BATCHES * 9 / 10))
common=(--set data.train="$WORK/train.beton" --set model.arch=resnet_mini --set data.batch_size=64
        --set train.epochs=1 --set train.min_res=64 --set train.max_res=64 --set train.log_every=1
        --set schedule.lr_peak_epoch=0.5 --set output.progress=false)

# One run that leaves checkpoints at 10% and 90% of the epoch (stopped right after the second).
"$FASTIMG" train "${common[@]}" --set output.run_dir="$WORK/source" --set output.keep_checkpoints=1000 \
  --set output.checkpoint_every_steps="$AT10" --set train.max_steps_per_epoch=$((AT90 + 1)) >/dev/null 2>&1
src10=$(ls "$WORK"/source/checkpoints/*-b$(printf %09d "$AT10").pt)
src90=$(ls "$WORK"/source/checkpoints/*-b$(printf %09d $((AT90 / AT10 * AT10))).pt)
grep '"type":"checkpoint"' "$WORK/source/metrics.jsonl" | python3 -c '
import json, statistics, sys
w = [json.loads(l)["write_seconds"] for l in sys.stdin]
print(f"checkpoint write (resnet_mini): median {statistics.median(w):.3f} s over {len(w)}")'

# Seconds from the run's start to its first step; one step each (the epoch is capped just past
# the resume point, so every variant runs exactly one step).
first_step() {  # name checkpoint start_batch
  local dir="$WORK/run-$1"
  rm -rf "$dir"
  mkdir -p "$dir"
  local cap=$(($3 + 1)) set_resume=()
  if [ -n "$2" ]; then cp "$2" "$dir/last.pt"; set_resume=(--set output.resume=true); fi
  local t0=$(date +%s.%N)
  "$FASTIMG" train "${common[@]}" --set output.run_dir="$dir" --set train.max_steps_per_epoch=$cap "${set_resume[@]}" \
    >/dev/null 2>&1
  local t1=$(date +%s.%N)
  python3 -c "import json,sys; r=[json.loads(l) for l in open('$dir/metrics.jsonl') if '\"train\"' in l][0]; \
print(f'$1 {r[\"time\"]:.3f} {float(sys.argv[2])-float(sys.argv[1]):.3f}')" "$t0" "$t1"
}
for i in $(seq 1 "$REPEATS"); do
  first_step fresh "" 0
  first_step at10 "$src10" "$AT10"
  first_step at90 "$src90" "$AT90"
done | python3 -c '
import collections, statistics, sys
runs = collections.defaultdict(list)
for line in sys.stdin:
    name, first, wall = line.split()
    runs[name].append((float(first), float(wall)))
base = statistics.median(f for f, _ in runs["fresh"])
print("%6s %18s %21s %9s" % ("start", "to first step (s)", "whole invocation (s)", "vs fresh"))
for name in ("fresh", "at10", "at90"):
    f = statistics.median(x for x, _ in runs[name]); w = statistics.median(y for _, y in runs[name])
    print(f"{name:>6} {f:18.3f} {w:21.3f} {f / base:9.2f}x")'

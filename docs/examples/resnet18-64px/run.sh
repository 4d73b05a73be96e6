#!/usr/bin/env bash
# Trains docs/examples/resnet18-64px/config.toml for seeds 0 and 1 on the CPU, then plots top-1
# against step and against wall time (mean of the two seeds, ±2σ band) next to this script.
#   bash docs/examples/resnet18-64px/run.sh [path/to/fastimg]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../../.."
fastimg=${1:-./build/fastimg}
"$fastimg" demo --dir runs/example-data --data-only --train-per-class 320 --val-per-class 50
runs=()
for seed in 0 1; do
  run=runs/example-resnet18-64px-seed$seed
  rm -rf "$run"
  "$fastimg" train --config "$here/config.toml" --set train.seed=$seed --set output.run_dir="$run"
  runs+=("$run")
done
"$fastimg" plot "${runs[@]}" --x step --y top1 --out "$here/top1_vs_step.svg" --title "ResNet-18, 64 px, CPU: top-1 vs step (2 seeds)"
"$fastimg" plot "${runs[@]}" --x time --y top1 --out "$here/top1_vs_time.svg" --title "ResNet-18, 64 px, CPU: top-1 vs wall time (2 seeds)"
for run in "${runs[@]}"; do cp "$run/summary.json" "$here/summary-$(basename "$run").json"; done

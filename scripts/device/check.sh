#!/usr/bin/env bash
# The one-call GPU device check. On the GPU machine (one H200; python3 + torch 2.11+cu130, CUDA 13 +
# nvcc, CMake, ninja; no network, no Debian -dev packages), within BUDGET_S seconds, each step under
# its own limit (the numbers at the bottom, cut to what is left of BUDGET_S):
#   unpack_configure  unpack deps/ and configure the CUDA build (lib.sh)
#   build       fastimg, the gpu-labelled tests and train_step_bench (ninja -j$(nproc))
#   gpu_tests   ctest -L gpu
#   data        a .beton written by `fastimg write` from the sample JPEGs (an ImageFolder of symlinks)
#   train_*     30-step `fastimg train` runs: data.decode {cpu,gpu} x train.cuda_graphs {false,true}
#               (ResNet-18, 160 px, batch 64, bf16, channels-last, train.device = cuda)
#   nccl        the same run as a world-size-1 torchrun-style rank (RANK, WORLD_SIZE, ... set): NCCL
#   bench       bench/gpu/compare.py, ResNet-50 and -18, 160 px, batch 256 (synthetic data)
#   e2e         fastimg train from the .beton: ResNet-50, 160 px, batch 256, 50 steps
# then appends one table to bench/RESULTS.md and writes it (check-table.md) and every log to $OUT.
# A failing step is recorded as FAIL and the next one runs; the exit status is 1 if any failed.
# From a session (deps/ is git-ignored, so carry it; the RESULTS.md edit stays on that machine, so
# append $OUT/check-table.md to bench/RESULTS.md here afterwards):
#   run(command="bash scripts/device/check.sh", carry=["deps"], timeout_s=600)
#
#   bash scripts/device/check.sh --dry-run [--prepare] [--no-deps-ok]
# runs here, without a GPU or network (what ctest's DeviceCheck.DryRun runs): bash -n of the device
# scripts; deps/ present with its .debs, nvJPEG header, stubs and JPEGs and under 64 MiB (--prepare
# runs fetch_debs.sh when not; --no-deps-ok reports a missing deps/ without failing, as in CI);
# compare.py's flags; prints every command; and, given a built fastimg (FASTIMG, default
# build/fastimg when it exists), checks every `fastimg train` line with --print-config (all keys and
# values are validated when the config loads, the device only at train start, so the device lines
# are checked as they are) and the `fastimg write` flags on 8 images. It also records the commit in
# deps/COMMIT for the machine, which has no .git: run it just before the device call.
#
# Environment: BUDGET_S (480: the whole check; each step's limit is cut to what is left), DEPS
# (/opt/deps), BUILD (/tmp/fastimg-build-cuda), WORK (/tmp/fastimg-check: .beton and run folders),
# OUT (logs; default $WORK/logs, for the dry run $TMPDIR/fastimg-check-dry), STEPS (30), E2E_STEPS
# (50), MAX_RES (500: the writer's --max-res), BENCH_ITERS (20), E2E_DECODE (auto), E2E_GRAPHS
# (true), EXTRA_SET (space-separated key=value added to every train run), COMMIT (overrides git and
# deps/COMMIT), FASTIMG (the dry run's binary).
set -uo pipefail  # no -e: a failing step is recorded and the check goes on
# Paths given relative to the caller's directory, before the cd.
for var in FASTIMG OUT WORK; do [ -n "${!var:-}" ] && printf -v "$var" '%s' "$(realpath -m "${!var}")"; done
cd "$(dirname "$0")/../.." || exit 2
SRC=$PWD
source scripts/device/lib.sh

DRY=0 PREPARE=0 NO_DEPS_OK=0
for arg in "$@"; do
  case $arg in
    --dry-run) DRY=1 ;;
    --prepare) PREPARE=1 ;;
    --no-deps-ok) NO_DEPS_OK=1 ;;
    -h | --help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "check.sh: unknown argument '$arg' (--dry-run, --prepare, --no-deps-ok, --help)" >&2; exit 2 ;;
  esac
done

BUDGET_S=${BUDGET_S:-480}
DEPS=${DEPS:-/opt/deps}
BUILD=${BUILD:-/tmp/fastimg-build-cuda}
WORK=${WORK:-/tmp/fastimg-check}
# The dry run writes only its logs (and 8-image .beton) to OUT; the commands it prints keep WORK's paths.
if [ $DRY = 1 ]; then LOG=${OUT:-${TMPDIR:-/tmp}/fastimg-check-dry}; else LOG=${OUT:-$WORK/logs}; fi
STEPS=${STEPS:-30}
E2E_STEPS=${E2E_STEPS:-50}
MAX_RES=${MAX_RES:-500}
BENCH_ITERS=${BENCH_ITERS:-20}
E2E_DECODE=${E2E_DECODE:-auto}
E2E_GRAPHS=${E2E_GRAPHS:-true}
JOBS=$(nproc)
RES=160 TRAIN_BATCH=64 BENCH_BATCH=256 CLASSES=8
# One epoch holds the longest run, so no epoch boundary (checkpoint save) falls inside a measurement.
SAMPLES=$(( STEPS * TRAIN_BATCH > E2E_STEPS * BENCH_BATCH ? STEPS * TRAIN_BATCH : E2E_STEPS * BENCH_BATCH ))
BETON=$WORK/data/train.beton
FASTIMG_BIN=$BUILD/fastimg  # what the device runs
WRITE_FLAGS=(--max-res "$MAX_RES" --jpeg-fraction 1 --jpeg-quality 90 --workers 0)
read -ra EXTRA <<<"${EXTRA_SET:-}"

START=$(date +%s)
DEADLINE=$((START + BUDGET_S - 10))  # 10 s kept for the report
FAILED=0
ROWS=()
COMPARE_JSON=$LOG/bench.json
mkdir -p "$LOG"
[ $DRY = 1 ] || mkdir -p "$WORK"
export SRC DEPS BUILD LOG  # for lib.sh in the configure step's child shell

# ---------------------------------------------------------------------------------------------
# Helpers

# Shell-quotes only the words that need it, for commands to read (and paste).
quote() {
  local w out=()
  for w in "$@"; do
    if [[ $w =~ ^[A-Za-z0-9_./=:,+@%-]+$ ]]; then out+=("$w"); else out+=("$(printf '%q' "$w")"); fi
  done
  echo "${out[*]}"
}

# The sample JPEGs: ../shared where the checkout has it, else the copy fetch_debs.sh put in deps/.
image_dir() {
  local d
  for d in ../shared/data/imagenet-sample deps/shared/data/imagenet-sample; do
    if ls "$d"/*.JPEG >/dev/null 2>&1; then echo "$d"; return 0; fi
  done
  return 1
}

# row CHECK CONFIGURATION RESULT [IMAGES/S] [RATIO] [NOTES] [SECONDS]: one line of the table.
row() {
  local cells=("$1" "$2" "$3" "${4:-}" "${5:-}" "${6:-}" "${7:-}") line="|" c
  for c in "${cells[@]}"; do line+=" ${c//|/\\|} |"; done
  ROWS+=("$line")
  case $3 in FAIL*) FAILED=1 ;; SKIP*) [ $DRY = 1 ] || FAILED=1 ;; esac
  echo "   $3  $1  $2${4:+  $4 img/s}${5:+  ratio $5}${6:+  ($6)}"
}

# run_cmd CMD...: runs CMD within what is left of the current step's time, appending its output to
# the step's log; in the dry run prints it instead. 124 = timed out.
run_cmd() {
  if [ $DRY = 1 ]; then echo "   \$ $(quote "$@")"; return 0; fi
  local left=$((STEP_END - $(date +%s)))
  if [ $left -le 0 ]; then echo "no time left for: $(quote "$@")" >> "$STEP_LOG"; return 124; fi
  echo "+ $(quote "$@")" >> "$STEP_LOG"
  timeout --kill-after=10 "$left" "$@" >> "$STEP_LOG" 2>&1
}

# Why a command failed, for the notes column.
why() {
  case $1 in
    124 | 137) echo "timed out (step limit), see $(basename "$STEP_LOG")" ;;
    *) echo "exit $1, see $(basename "$STEP_LOG")" ;;
  esac
}

# run_step NAME LIMIT FUNCTION [ARGS...]: one step under its time limit (cut to what is left of
# BUDGET_S); a step that fails without recording a row gets a FAIL row.
run_step() {
  local name=$1 limit=$2 rows_before=${#ROWS[@]} t0 rc
  shift 2
  t0=$(date +%s)
  STEP_LOG=$LOG/$name.log
  if [ $DRY = 0 ]; then
    [ $((DEADLINE - t0)) -lt "$limit" ] && limit=$((DEADLINE - t0))
    if [ "$limit" -lt 5 ]; then
      echo "== $name: skipped, $BUDGET_S s budget spent"
      row "$name" "" "SKIP" "" "" "no time left in BUDGET_S=$BUDGET_S"
      return
    fi
    : > "$STEP_LOG"
  fi
  STEP_END=$((t0 + limit))
  echo "== $name$([ $DRY = 1 ] || echo " (limit $limit s)")"
  "$@"
  rc=$?
  STEP_SECONDS=$(($(date +%s) - t0))
  if [ $rc -ne 0 ] && [ ${#ROWS[@]} -eq "$rows_before" ]; then row "$name" "" "FAIL" "" "" "$(why $rc)" "$STEP_SECONDS"; fi
  [ $rc -ne 0 ] && FAILED=1
  [ $DRY = 1 ] || echo "== $name: $([ $rc = 0 ] && echo "done" || echo "FAILED ($rc)") in $STEP_SECONDS s (elapsed $(($(date +%s) - START)) of $BUDGET_S s)"
}

# train_args NAME ARCH BATCH STEPS DECODE GRAPHS: the `fastimg train` arguments of one run, in TRAIN_ARGS.
train_args() {
  local name=$1 arch=$2 batch=$3 steps=$4 decode=$5 graphs=$6 kv
  TRAIN_ARGS=(train)
  # constant lr: the default triangular schedule peaks at epoch 2, past this one-epoch run.
  for kv in data.train="$BETON" model.arch="$arch" data.batch_size="$batch" \
    train.epochs=1 train.max_steps_per_epoch="$steps" train.min_res=$RES train.max_res=$RES \
    train.precision=bf16 train.channels_last=true train.device=cuda \
    data.decode="$decode" train.cuda_graphs="$graphs" schedule.name=constant train.log_every=10 \
    output.run_dir="$WORK/runs/$name" output.progress=false ${EXTRA[@]+"${EXTRA[@]}"}; do
    TRAIN_ARGS+=(--set "$kv")
  done
}

# Images/s between the first and the last metrics line (so after the first log step: cuDNN's
# autotuning and the graph capture fall before it); the run's own average when there is one line.
steady_images_per_s() {
  python3 - "$1" "$2" <<'PY'
import json, os, sys
run_dir, batch = sys.argv[1], int(sys.argv[2])
lines = [json.loads(l) for l in open(os.path.join(run_dir, "metrics.jsonl")) if l.strip()]
train = [l for l in lines if l.get("type") == "train"]
if len(train) >= 2 and train[-1]["time"] > train[0]["time"]:
    print(f'{(train[-1]["global_step"] - train[0]["global_step"]) * batch / (train[-1]["time"] - train[0]["time"]):.0f}')
else:
    print(f'{json.load(open(os.path.join(run_dir, "summary.json")))["train_images_per_s"]:.0f}')
PY
}

# train_run NAME BATCH DECODE GRAPHS [VAR=value ...]: runs `fastimg train` with TRAIN_ARGS (and the
# environment VAR=value); the dry run checks the line with --print-config instead. The caller
# records the row from TRAIN_RESULT, TRAIN_IPS, TRAIN_NOTES and TRAIN_SECONDS; 0 when PASS.
train_run() {
  local name=$1 batch=$2 decode=$3 graphs=$4 rc start line
  shift 4
  TRAIN_RESULT=PASS TRAIN_IPS="" TRAIN_NOTES="" TRAIN_SECONDS=""
  if [ $DRY = 1 ]; then
    echo "   \$ $(quote ${1+env} "$@" "$FASTIMG_BIN" "${TRAIN_ARGS[@]}")"
    if [ -z "$FASTIMG" ]; then TRAIN_RESULT=NOTE TRAIN_NOTES="not validated (no fastimg)"; return 0; fi
    if "$FASTIMG" "${TRAIN_ARGS[@]}" --print-config > "$LOG/$name.print-config.toml" 2>&1; then
      TRAIN_NOTES="config valid (--print-config)"
      return 0
    fi
    TRAIN_RESULT=FAIL TRAIN_NOTES=$(tail -1 "$LOG/$name.print-config.toml" | cut -c1-160)
    return 1
  fi
  [ -x "$FASTIMG_BIN" ] || { TRAIN_RESULT=FAIL TRAIN_NOTES="$FASTIMG_BIN not built"; return 1; }
  [ -f "$BETON" ] || { TRAIN_RESULT=FAIL TRAIN_NOTES="no $BETON (data step)"; return 1; }
  rm -rf "$WORK/runs/$name"
  start=$(date +%s)
  run_cmd env "$@" "$FASTIMG_BIN" "${TRAIN_ARGS[@]}"
  rc=$?
  TRAIN_SECONDS=$(($(date +%s) - start))
  mkdir -p "$LOG/runs/$name"
  cp "$WORK/runs/$name"/{metrics.jsonl,summary.json,config.toml} "$LOG/runs/$name/" 2>/dev/null
  if [ $rc -ne 0 ]; then
    TRAIN_RESULT=FAIL TRAIN_NOTES="$(why $rc): $(grep -v '^+ ' "$STEP_LOG" | tail -1 | cut -c1-200)"
    return 1
  fi
  TRAIN_IPS=$(steady_images_per_s "$WORK/runs/$name" "$batch")
  # The start line says what the run really used: a setting that did not take effect is a failure.
  line=$(grep -m1 '^fastimg train: device' "$STEP_LOG")
  TRAIN_NOTES="$(grep -o 'decode [^|]*' <<<"$line" | head -1 | sed 's/ *$//'); $(grep -o 'CUDA graphs [^|]*' <<<"$line" | sed 's/ *$//'); $(grep -o 'world size [0-9]*' <<<"$line")"
  if [ -z "$line" ]; then TRAIN_RESULT=FAIL TRAIN_NOTES="no start line in the log"
  elif ! grep -q 'device cuda' <<<"$line"; then TRAIN_RESULT=FAIL TRAIN_NOTES="not on the GPU: $line"
  elif [ "$decode" = gpu ] && ! grep -qiE 'decode [^|]*(gpu|nvjpeg|device)' <<<"$line"; then TRAIN_RESULT=FAIL TRAIN_NOTES="data.decode=gpu not in effect: $TRAIN_NOTES"
  elif [ "$decode" = cpu ] && ! grep -qiE 'decode cpu' <<<"$line"; then TRAIN_RESULT=FAIL TRAIN_NOTES="data.decode=cpu not in effect: $TRAIN_NOTES"
  elif [ "$graphs" = true ] && ! grep -qiE 'CUDA graphs (on|true|yes)' <<<"$line"; then TRAIN_RESULT=FAIL TRAIN_NOTES="train.cuda_graphs=true not in effect: $TRAIN_NOTES"
  elif [ "$graphs" = false ] && ! grep -qiE 'CUDA graphs (off|false|no)' <<<"$line"; then TRAIN_RESULT=FAIL TRAIN_NOTES="train.cuda_graphs=false not in effect: $TRAIN_NOTES"
  fi
  [ $TRAIN_RESULT = PASS ]
}

# ---------------------------------------------------------------------------------------------
# Dry-run checks (here, no GPU)

dry_syntax() {
  local f bad=0
  for f in scripts/device/*.sh; do
    bash -n "$f" 2> "$LOG/syntax.log" || { row "bash -n" "$f" FAIL "" "" "$(head -1 "$LOG/syntax.log")"; bad=1; }
  done
  [ $bad = 1 ] || row "bash -n" "scripts/device/*.sh" PASS
}

dry_deps() {
  local problems
  problems=$(device_deps_problems)
  if [ -n "$problems" ] && [ $PREPARE = 1 ]; then
    echo "   deps/ not ready ($problems): running scripts/device/fetch_debs.sh"
    bash scripts/device/fetch_debs.sh > "$LOG/fetch_debs.log" 2>&1 || echo "   fetch_debs.sh failed, see $LOG/fetch_debs.log"
    problems=$(device_deps_problems)
  fi
  # The limit holds for deps/ and the working tree together (git's files, untracked ones included).
  local tree=0 total
  tree=$(git ls-files -co --exclude-standard -z 2>/dev/null | du -cb --files0-from=- 2>/dev/null | tail -1 | cut -f1)
  if [ -z "$problems" ] && [ $((${tree:-0} + $(du -sb deps | cut -f1))) -gt $DEVICE_MAX_CARRY_BYTES ]; then
    problems="deps/ and the working tree ($tree bytes) are over the $DEVICE_MAX_CARRY_BYTES bytes a run can carry"
  fi
  if [ -z "$problems" ]; then
    total=$((${tree:-0} + $(du -sb deps | cut -f1)))
    row "deps/" "ready to carry" PASS "" "" "$total bytes with the working tree, of $DEVICE_MAX_CARRY_BYTES; $(ls deps/debs/*.deb | wc -l) .debs; $(ls deps/shared/data/imagenet-sample/*.JPEG | wc -l) JPEGs"
    # The machine gets no .git: the report reads the commit from here.
    local commit
    if commit=$(git rev-parse --short HEAD 2>/dev/null); then
      [ -z "$(git status --porcelain --untracked-files=no 2>/dev/null)" ] || commit+="+uncommitted"
      echo "$commit" > deps/COMMIT
    fi
  elif [ $NO_DEPS_OK = 1 ]; then
    row "deps/" "not ready" NOTE "" "" "${problems//$'\n'/; } (not required: --no-deps-ok)"
  else
    row "deps/" "not ready" FAIL "" "" "${problems//$'\n'/; }$([ $PREPARE = 1 ] || echo '; --prepare runs fetch_debs.sh')"
  fi
}

dry_bench_flags() {
  local help flag missing=()
  help=$(python3 bench/gpu/compare.py --help 2>&1) || { row "compare.py" "--help" FAIL "" "" "$(tail -1 <<<"$help")"; return; }
  for flag in --exe --models --batches --resolutions --warmup --iters --json; do
    grep -q -- "$flag" <<<"$help" || missing+=("$flag")
  done
  if [ ${#missing[@]} = 0 ]; then row "compare.py" "flags used by the bench step" PASS
  else row "compare.py" "flags used by the bench step" FAIL "" "" "missing ${missing[*]}"; fi
}

# The writer's flags, for real, on 8 images (a second at most).
dry_write() {
  local images tmp
  [ -n "$FASTIMG" ] || return 0
  if ! images=$(image_dir); then row "fastimg write" "flags" NOTE "" "" "no sample JPEGs here: not checked"; return 0; fi
  tmp=$(mktemp -d "$LOG/write.XXXXXX")
  python3 scripts/device/make_imagefolder.py "$images" "$tmp/folder" 8 2 > /dev/null
  if "$FASTIMG" write --from-imagefolder "$tmp/folder" --out "$tmp/x.beton" "${WRITE_FLAGS[@]}" > "$LOG/write-check.log" 2>&1; then
    row "fastimg write" "$(quote "${WRITE_FLAGS[@]}") on 8 images" PASS "" "" "$(grep -m1 '^wrote' "$LOG/write-check.log" | cut -d: -f2- | cut -c2-)"
  else
    row "fastimg write" "$(quote "${WRITE_FLAGS[@]}")" FAIL "" "" "$(tail -1 "$LOG/write-check.log")"
  fi
  rm -rf "$tmp"
}

# ---------------------------------------------------------------------------------------------
# Steps

step_configure() {
  if [ $DRY = 1 ]; then
    echo "   \$ bash -c 'source scripts/device/lib.sh && device_unpack_deps && device_configure'"
    echo "     (dpkg -x deps/debs/*.deb into $DEPS, stubs, then cmake -S . -B $BUILD -G Ninja -DFASTIMG_CUDA=ON ...)"
    return 0
  fi
  local start rc
  start=$(date +%s)
  run_cmd bash -c 'source scripts/device/lib.sh && device_unpack_deps && device_configure'
  rc=$?
  if [ $rc = 0 ]; then row "unpack, configure" "CUDA, ninja, $BUILD" PASS "" "" "" $(($(date +%s) - start)); return 0; fi
  row "unpack, configure" "CUDA, ninja, $BUILD" FAIL "" "" "$(why $rc)" $(($(date +%s) - start))
  return 1
}

step_build() {
  local targets rc start
  mapfile -t targets < <(device_gpu_test_targets)
  targets=(fastimg "${targets[@]}" train_step_bench)
  [ $DRY = 1 ] && echo "   (-j is nproc on the machine that runs it; the gpu tests are those labelled gpu in tests/*/CMakeLists.txt)"
  start=$(date +%s)
  # -k 0: a test that does not compile must not keep fastimg from being built.
  run_cmd ninja -C "$BUILD" -k 0 -j"$JOBS" "${targets[@]}"
  rc=$?
  [ $DRY = 1 ] && return 0
  if [ $rc = 0 ]; then row build "${targets[*]}" PASS "" "" "" $(($(date +%s) - start)); return 0; fi
  local error
  error=$(grep -m1 -A3 '^FAILED' "$STEP_LOG" | grep -m1 'error' | cut -c1-200)
  row build "${targets[*]}" FAIL "" "" "$(why $rc)${error:+: $error}" $(($(date +%s) - start))
  return 1
}

# One row per ctest test. A gpu test that skips on the GPU machine did not test the GPU: a failure.
step_gpu_tests() {
  local rc line re='Test +#[0-9]+: ([^ ]+) \.* *(\*\*\*)?([A-Za-z][A-Za-z: ]*[A-Za-z]) +([0-9.]+) sec' n=0
  run_cmd ctest --test-dir "$BUILD" -L gpu --output-on-failure
  rc=$?
  [ $DRY = 1 ] && return 0
  while IFS= read -r line; do
    [[ $line =~ $re ]] || continue
    n=$((n + 1))
    case ${BASH_REMATCH[3]} in
      Passed) row "gpu test" "${BASH_REMATCH[1]}" PASS "" "" "" "${BASH_REMATCH[4]}" ;;
      Skipped) row "gpu test" "${BASH_REMATCH[1]}" SKIP "" "" "skipped on the GPU machine, see gpu_tests.log" "${BASH_REMATCH[4]}" ;;
      *) row "gpu test" "${BASH_REMATCH[1]}" FAIL "" "" "${BASH_REMATCH[3]}, see gpu_tests.log" "${BASH_REMATCH[4]}" ;;
    esac
  done < "$STEP_LOG"
  [ $n -gt 0 ] || { row "gpu tests" "ctest -L gpu" FAIL "" "" "no gpu test ran ($(why $rc))"; return 1; }
  return $rc
}

step_data() {
  local images rc start
  start=$(date +%s)
  if ! images=$(image_dir); then
    [ $DRY = 1 ] || { row data "" FAIL "" "" "no sample JPEGs in ../shared or deps/shared"; return 1; }
    images=deps/shared/data/imagenet-sample  # the dry run's deps/ row already says it is missing
  fi
  if [ $DRY = 0 ]; then rm -rf "$WORK/imagefolder" "$WORK/data" "$WORK/runs" && mkdir -p "$WORK/data"; fi
  run_cmd python3 scripts/device/make_imagefolder.py "$images" "$WORK/imagefolder" "$SAMPLES" "$CLASSES" &&
    run_cmd "$FASTIMG_BIN" write --from-imagefolder "$WORK/imagefolder" --out "$BETON" "${WRITE_FLAGS[@]}"
  rc=$?
  [ $DRY = 1 ] && return 0
  local what
  what="$SAMPLES images ($(ls "$images"/*.JPEG | wc -l) JPEGs repeated), $CLASSES classes, max-res $MAX_RES"
  if [ $rc = 0 ]; then
    row data "$what" PASS "" "" "$(grep -m1 '^wrote' "$STEP_LOG" | cut -d: -f2- | cut -c2-)" $(($(date +%s) - start))
    return 0
  fi
  row data "$what" FAIL "" "" "$(why $rc)" $(($(date +%s) - start))
  return 1
}

step_train() {
  local decode=$1 graphs=$2 name="train_decode-${1}_graphs-${2}" rc
  train_args "$name" resnet18 $TRAIN_BATCH "$STEPS" "$decode" "$graphs"
  train_run "$name" $TRAIN_BATCH "$decode" "$graphs"
  rc=$?
  row "$name" "resnet18 ${RES}px b$TRAIN_BATCH bf16 NHWC, $STEPS steps, data.decode=$decode train.cuda_graphs=$graphs" \
    "$TRAIN_RESULT" "$TRAIN_IPS" "" "$TRAIN_NOTES" "$TRAIN_SECONDS"
  return $rc
}

# torchrun's variables for one rank: the launcher path of src/dist/env.cc; a CUDA run's process
# group is NCCL (src/train/run_setup.cc). NCCL_DEBUG=INFO: its version line shows the communicator.
step_nccl() {
  local port=$((29500 + $$ % 1000)) rc nccl
  train_args nccl resnet18 $TRAIN_BATCH "$STEPS" cpu false
  train_run nccl $TRAIN_BATCH cpu false RANK=0 WORLD_SIZE=1 LOCAL_RANK=0 LOCAL_WORLD_SIZE=1 \
    MASTER_ADDR=127.0.0.1 MASTER_PORT=$port NCCL_DEBUG=INFO
  rc=$?
  if [ $DRY = 0 ] && [ $rc = 0 ]; then
    nccl=$(grep -om1 'NCCL version [0-9.+a-z]*' "$STEP_LOG")
    TRAIN_NOTES="${nccl:-no NCCL version line}; $TRAIN_NOTES"
  fi
  row nccl "torchrun env (RANK=0 WORLD_SIZE=1 LOCAL_RANK=0 MASTER_ADDR/PORT), resnet18 ${RES}px b$TRAIN_BATCH, $STEPS steps" \
    "$TRAIN_RESULT" "$TRAIN_IPS" "" "$TRAIN_NOTES" "$TRAIN_SECONDS"
  return $rc
}

# compare.py: (a) PyTorch eager vs fastimg eager and CUDA graph (b), synthetic data on the GPU.
# Its --json line lands in the step's log; bench.json keeps it for the e2e ratio.
step_bench() {
  local rc model pt eager graph what start
  start=$(date +%s)
  if [ $DRY = 0 ] && [ ! -x "$BUILD/bench/gpu/train_step_bench" ]; then
    row bench "" FAIL "" "" "train_step_bench not built"
    return 1
  fi
  run_cmd python3 bench/gpu/compare.py --exe "$BUILD/bench/gpu/train_step_bench" --models resnet50,resnet18 \
    --batches $BENCH_BATCH --resolutions $RES --warmup 5 --iters "$BENCH_ITERS" --json
  rc=$?
  [ $DRY = 1 ] && return 0
  grep '^{"rows"' "$STEP_LOG" | tail -1 > "$COMPARE_JSON"
  if [ $rc != 0 ] || [ ! -s "$COMPARE_JSON" ]; then row bench "compare.py" FAIL "" "" "$(why $rc)" $(($(date +%s) - start)); return 1; fi
  while IFS=$'\t' read -r model pt eager graph; do
    what="$model ${RES}px b$BENCH_BATCH bf16 NHWC, synthetic data"
    row "bench (a)" "$what: PyTorch eager" PASS "$pt" "1.00"
    row "bench" "$what: fastimg eager" PASS "$eager" "$(awk -v a="$eager" -v b="$pt" 'BEGIN { printf "%.2f", a / b }')" "vs (a)"
    row "bench (b)" "$what: fastimg CUDA graph" "$([ "$graph" != 0 ] && echo PASS || echo FAIL)" "$graph" \
      "$(awk -v a="$graph" -v b="$pt" 'BEGIN { printf "%.2f", a / b }')" "vs (a); target >= 1.00" $(($(date +%s) - start))
  done < <(python3 -c '
import json, sys
for r in json.load(open(sys.argv[1]))["rows"]:
    print(r["model"], "%.0f" % r["pytorch_eager"], "%.0f" % (r["fastimg_eager"] or 0), "%.0f" % (r["fastimg_graph"] or 0), sep="\t")
' "$COMPARE_JSON")
}

# fastimg end to end from the .beton, against its own step on synthetic data (compare.py's row).
step_e2e() {
  local rc column=fastimg_eager synthetic="" ratio=""
  [ "$E2E_GRAPHS" = true ] && column=fastimg_graph
  train_args e2e resnet50 $BENCH_BATCH "$E2E_STEPS" "$E2E_DECODE" "$E2E_GRAPHS"
  train_run e2e $BENCH_BATCH "$E2E_DECODE" "$E2E_GRAPHS"
  rc=$?
  if [ -n "$TRAIN_IPS" ] && [ -s "$COMPARE_JSON" ]; then
    synthetic=$(python3 -c '
import json, sys
print(next((f"{r[sys.argv[2]] or 0:.0f}" for r in json.load(open(sys.argv[1]))["rows"] if r["model"] == "resnet50"), ""))' \
      "$COMPARE_JSON" "$column")
  fi
  if [ -n "$synthetic" ] && [ "$synthetic" != 0 ]; then
    ratio=$(awk -v a="$TRAIN_IPS" -v b="$synthetic" 'BEGIN { printf "%.2f", a / b }')
    TRAIN_NOTES="vs ${column/_/ } on synthetic data ($synthetic img/s); $TRAIN_NOTES"
  fi
  row "e2e (c)" "resnet50 ${RES}px b$BENCH_BATCH bf16 NHWC from the .beton, $E2E_STEPS steps, data.decode=$E2E_DECODE train.cuda_graphs=$E2E_GRAPHS" \
    "$TRAIN_RESULT" "$TRAIN_IPS" "$ratio" "$TRAIN_NOTES" "$TRAIN_SECONDS"
  return $rc
}

# ---------------------------------------------------------------------------------------------
# Report

commit_id() {
  local c
  if [ -n "${COMMIT:-}" ]; then echo "$COMMIT"; return; fi
  if c=$(git -C "$SRC" rev-parse --short HEAD 2>/dev/null); then
    [ -z "$(git -C "$SRC" status --porcelain --untracked-files=no 2>/dev/null)" ] || c+="+uncommitted"
    echo "$c"; return
  fi
  if [ -f deps/COMMIT ]; then echo "$(cat deps/COMMIT) (deps/COMMIT, from the dry run)"; return; fi
  echo unknown
}

report() {
  local table=$LOG/check-table.md device passed=0 total=${#ROWS[@]} r
  for r in "${ROWS[@]}"; do [[ $r == *"| PASS |"* ]] && passed=$((passed + 1)); done
  device=$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | head -1)
  {
    echo
    if [ $DRY = 1 ]; then
      echo "## Device check, dry run: $(date -u '+%Y-%m-%d %H:%M UTC'), $(hostname), commit $(commit_id)"
      echo
      echo "\`bash scripts/device/check.sh $*\`: $passed of $total rows PASS (NOTE: not checked here)."
    else
      echo "## Device check: $(date -u '+%Y-%m-%d %H:%M UTC'), ${device:-no nvidia-smi}, commit $(commit_id)"
      echo
      echo "\`bash scripts/device/check.sh\` (BUDGET_S=$BUDGET_S${EXTRA_SET:+, EXTRA_SET=$EXTRA_SET}; $JOBS cores): $passed of $total rows PASS," \
        "$(($(date +%s) - START)) s. images/s of a train run: from its first metrics line (step 10) to its last;" \
        "ratio: bench rows vs (a) PyTorch eager, e2e (c) vs fastimg's own step on synthetic data."
    fi
    echo
    echo "| check | configuration | result | images/s | ratio | notes | s |"
    echo "|---|---|---|---|---|---|---|"
    printf '%s\n' "${ROWS[@]}"
  } > "$table"
  cat "$table"
  if [ $DRY = 0 ]; then
    cat "$table" >> bench/RESULTS.md
    cp bench/RESULTS.md "$LOG/RESULTS.md"
    echo "table appended to bench/RESULTS.md; table and logs in $LOG"
  fi
}

# ---------------------------------------------------------------------------------------------

if [ $DRY = 1 ]; then
  FASTIMG=${FASTIMG:-}
  if [ -z "$FASTIMG" ] && [ -x build/fastimg ]; then FASTIMG=build/fastimg; fi
  echo "== dry run: checks here, then the commands the device would run (logs in $LOG)"
  dry_syntax
  dry_deps
  dry_bench_flags
  if [ -z "$FASTIMG" ]; then row "fastimg" "train lines" NOTE "" "" "no build/fastimg and no FASTIMG: train lines not validated"
  elif [ ! -x "$FASTIMG" ]; then row "fastimg" "$FASTIMG" FAIL "" "" "FASTIMG is not an executable"; FASTIMG=""
  fi
  dry_write
fi

run_step unpack_configure 120 step_configure
run_step build 300 step_build
run_step gpu_tests 90 step_gpu_tests
run_step data 60 step_data
for decode in cpu gpu; do
  for graphs in false true; do run_step "train_decode-${decode}_graphs-${graphs}" 60 step_train $decode $graphs; done
done
run_step nccl 60 step_nccl
run_step bench 150 step_bench
run_step e2e 90 step_e2e

report "$@"
if [ $FAILED = 0 ]; then echo "check.sh: all passed"; else echo "check.sh: FAILED (see the table)"; fi
exit $FAILED

#!/bin/bash
# The release path on one GPU, stage by stage (issue #18 items 1, 2, 4; plan: docs/gpu.md,
# "The release path in one lease"): train -> merge + AWQ -> vllm_config.yaml -> vLLM serve ->
# evaluate (vllm and openai engines, 386 golden prompts, guardrail, latency suite) -> gate ->
# registry, a second candidate gated against the first (paired test + same-run latency A/B),
# the serving-config comparison on the 70B-AWQ dummy shape, and the report
# ($OUT/gpu_release_path.{json,md}, benchmarks/gpu/release_path_report.py).
#
#   STAGES="install train package register eval_vllm serve eval_openai gate promote second report"
#   bash benchmarks/gpu/release_path.sh
#
# Variables (defaults for the GPU):
#   STAGES      which stages, in this order (each one's wall time and status go to stages.tsv)
#   RECIPE      candidate recipe (benchmarks/gpu/release_path.yaml)
#   SECOND      the second candidate's recipe (benchmarks/gpu/release_path_w8.yaml)
#   SERVER      vllm | fake   (fake: benchmarks/gpu/fake_server.py, the CPU rehearsal)
#   EVAL_SETS   space-separated eval sets (default: the shipped golden sets, 386 examples)
#   POLICY      gates/release.toml;  REG: registry folder ($OUT/registry)
#   LATENCY_REQUESTS (8), REPETITIONS (3): the latency suite and the A/B
#   CONFIGS     serving configurations compared in stage `compare` (names in compare_args)
# Stages survive a later call on the same warm machine: state is under $WORK (/tmp/release).
set -uo pipefail
STAGES=${STAGES:-install train package register eval_vllm serve eval_openai gate promote second report}
RECIPE=${RECIPE:-benchmarks/gpu/release_path.yaml}
SECOND=${SECOND:-benchmarks/gpu/release_path_w8.yaml}
SERVER=${SERVER:-vllm}
POLICY=${POLICY:-gates/release.toml}
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
WORK=${WORK:-/tmp/release}; mkdir -p "$WORK"
REG=${REG:-$OUT/registry}
PORT=${PORT:-8000}; PORT2=${PORT2:-8001}  # the candidate's server, the second candidate's
LATENCY_REQUESTS=${LATENCY_REQUESTS:-8}
REPETITIONS=${REPETITIONS:-3}
CONFIGS=${CONFIGS:-default marlin chunk2048 noprefix graphs4}
PY=${PY:-python3}
# No TOKENIZERS_PARALLELISM here: harness.io.redact takes the value of any *TOKEN* variable for a
# secret and would mask every "false" in results.json (reported; train/package set it alone).
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 VLLM_NO_USAGE_STATS=1 VLLM_USE_FLASHINFER_SAMPLER=0
[ -d /tmp/site ] && export PYTHONPATH=/tmp/site:$PWD || export PYTHONPATH=$PWD
EVAL_ARGS=()
for e in ${EVAL_SETS:-}; do EVAL_ARGS+=(--eval-set "$e"); done

stage() {  # stage NAME command...: run, time, record "name seconds status" in stages.tsv
  local name=$1; shift
  local t0=$SECONDS
  echo "== $name: $*" | tee -a "$OUT/release_path.log"
  "$@" >> "$OUT/release_path.log" 2>&1; local rc=$?
  printf '%s\t%s\t%s\n' "$name" "$((SECONDS - t0))" "$rc" >> "$OUT/stages.tsv"
  echo "   $name: exit $rc" | tee -a "$OUT/release_path.log"
  return 0  # later stages decide from the files what they can still do
}

candidate_field() {  # candidate_field SUMMARY.json KEY
  $PY -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"
}

install() {  # wheels carried this call (vLLM part b, sqlgate's needs, locust) into /tmp/site
  for d in .gpu-bundle/b/whl .gpu-bundle/c/whl .whl; do
    [ -d "$d" ] || continue
    $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
      --target /tmp/site "$d"/*.whl 2>&1 | grep -v WARNING | tail -3
  done
  [ -f .gpu-bundle/b/fa3.so.xz ] && xz -dc .gpu-bundle/b/fa3.so.xz \
    > /tmp/site/vllm/vllm_flash_attn/_vllm_fa3_C.abi3.so
  [ -d .gpu-bundle/b/models ] && cp -r .gpu-bundle/b/models /tmp/
  return 0
}

serve() {  # serve MODEL_DIR NAME PORT [CONFIG_YAML] [extra vllm args...]: start, wait for /health
  local model=$1 name=$2 port=$3 config=${4:-}; shift 4 || shift $#
  if curl -sf "localhost:$port/health" > /dev/null; then
    echo "port $port already serves something: not ours, refusing to measure it"; return 5
  fi
  if [ "$SERVER" = fake ]; then
    setsid $PY benchmarks/gpu/fake_server.py --port "$port" "${EVAL_ARGS[@]}" \
      > "$OUT/server-$name.log" 2>&1 &
  else
    # shellcheck disable=SC2086  # SERVE_ENV: NAME=value words for one configuration
    setsid env ${SERVE_ENV:-} $PY -m vllm.entrypoints.cli.main serve "$model" --served-model-name "$name" \
      --port "$port" ${config:+--config "$config"} "$@" > "$OUT/server-$name.log" 2>&1 &
  fi
  echo $! > "$WORK/server-$port.pid"
  for _ in $(seq 1 300); do
    curl -sf "localhost:$port/health" > /dev/null && return 0
    kill -0 "$(cat "$WORK/server-$port.pid")" 2> /dev/null || break
    sleep 1
  done
  tail -30 "$OUT/server-$name.log"; return 4
}

stop_server() {  # stop_server PORT: the server this script started on that port
  local pidfile=$WORK/server-$1.pid
  [ -f "$pidfile" ] && kill -- -"$(cat "$pidfile")" 2> /dev/null; rm -f "$pidfile"; sleep 3
}

evaluate() {  # evaluate ID ENGINE OUTDIR [more suite flags]: `nox -s evaluate` without nox
  local id=$1 engine=$2 out=$3; shift 3
  $PY -m pytest suites -q -p no:cacheprovider --candidate "$id" --engine "$engine" \
    --sqlgate-out "$out" --junitxml="$out/junit.xml" "${EVAL_ARGS[@]}" "$@"
}

gate() {  # gate ID RESULTS [BASELINE]: the verdict recorded in the registry (scorecard too)
  local base=()
  [ -n "${3:-}" ] && base=(--baseline "$3")
  $PY -m harness gate --results "$2" --policy "$POLICY" --registry "$REG" --candidate "$1" \
    --out "$(dirname "$2")/verdict.json" --html "$(dirname "$2")/scorecard.html" "${base[@]}"
}

register() {  # register SUMMARY.json: the candidate's manifest into the registry
  local id; id=$(candidate_field "$1" id)
  mkdir -p "$REG/candidates/$id"
  cp "$(candidate_field "$1" dir)/manifest.json" "$REG/candidates/$id/manifest.json"
}

compare_args() {  # the vLLM flags of one serving configuration (stage `compare`)
  case $1 in
    default) echo "" ;;
    marlin) echo "" ;;  # SERVE_ENV below
    chunk2048) echo "--max-num-batched-tokens 2048" ;;
    noprefix) echo "--no-enable-prefix-caching" ;;
    graphs4) echo "--cuda-graph-sizes 1 2 4" ;;
  esac
}

ID=""; QUANT=""; CDIR=""
load_candidate() {
  [ -f "$WORK/candidate.json" ] || return 0
  ID=$(candidate_field "$WORK/candidate.json" id)
  CDIR=$(candidate_field "$WORK/candidate.json" dir)
  QUANT=$(candidate_field "$WORK/candidate.json" quantized)
}
load_candidate
echo "GPU: $(nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2> /dev/null | head -1 || echo none); stages: $STAGES; server: $SERVER" | tee -a "$OUT/release_path.log"

for s in $STAGES; do
  case $s in
    install) stage install install ;;
    train) stage train env TOKENIZERS_PARALLELISM=false $PY -m pipeline.train --recipe "$RECIPE" ;;
    package)
      stage package $PY -m pipeline.candidate --recipe "$RECIPE" --summary "$WORK/candidate.json"
      load_candidate
      cp "$WORK/candidate.json" "$OUT/candidate.json" 2> /dev/null
      # the memory plan with the GPU's probed capacity, for the record (the server uses the
      # vllm_config.yaml the package step wrote)
      [ -n "$QUANT" ] && stage memory_plan $PY -m harness vllm-config "$QUANT" \
        --out "$OUT/plan-$ID" --gpu auto ;;
    register) stage register register "$WORK/candidate.json" ;;
    eval_vllm)  # the offline engine, before any server holds the GPU
      stage eval_vllm evaluate "$ID" vllm "$OUT/eval-vllm" --model "$QUANT" ;;
    serve)  # both candidates share the GPU in stage `second`: each takes SERVE_UTIL of it
      stage serve serve "$QUANT" "$ID" "$PORT" "$CDIR/vllm_config.yaml" \
        --gpu-memory-utilization "${SERVE_UTIL:-0.40}" ;;
    eval_openai)  # production's client: 4 in flight, guardrail with one retry, latency suite
      stage eval_openai evaluate "$ID" openai "$OUT/eval-openai" --model "$ID" \
        --base-url "http://localhost:$PORT" --concurrency 4 --guardrail \
        --latency-requests "$LATENCY_REQUESTS" ;;
    gate) stage gate gate "$ID" "$OUT/eval-openai/results.json" ;;
    promote) stage promote $PY -m harness promote "$ID" --registry "$REG" --policy "$POLICY" ;;
    second)  # another quantization of the same model, gated against the first
      stage second_package $PY -m pipeline.candidate --recipe "$SECOND" \
        --summary "$WORK/second.json"
      stage second_register register "$WORK/second.json"
      ID2=$(candidate_field "$WORK/second.json" id)
      stage second_serve serve "$(candidate_field "$WORK/second.json" quantized)" "$ID2" "$PORT2" \
        "$(candidate_field "$WORK/second.json" dir)/vllm_config.yaml" \
        --gpu-memory-utilization "${SERVE_UTIL:-0.40}"
      stage second_eval evaluate "$ID2" openai "$OUT/eval-second" --model "$ID2" \
        --base-url "http://localhost:$PORT2" --concurrency 4 --guardrail \
        --latency-requests "$LATENCY_REQUESTS"
      stage latency_ab $PY benchmarks/gpu/latency_ab.py --candidate-url "http://localhost:$PORT2" \
        --candidate-model "$ID2" --baseline-url "http://localhost:$PORT" --baseline-model "$ID" \
        --baseline-candidate "$ID" --repetitions "$REPETITIONS" \
        --requests-per-user "$LATENCY_REQUESTS" --results "$OUT/eval-second/results.json" \
        --out "$OUT/latency_ab.json"
      stage second_gate gate "$ID2" "$OUT/eval-second/results.json" \
        "$OUT/eval-openai/results.json"
      stop_server "$PORT2" ;;
    compare)  # serving configurations on the 70B-AWQ dummy shape, same prompts, one by one
      stop_server "$PORT"
      for c in $CONFIGS; do
        SERVE_ENV=""; [ "$c" = marlin ] && SERVE_ENV="VLLM_DISABLED_KERNELS=MacheteLinearKernel"
        # shellcheck disable=SC2046  # the configuration's flags, word by word
        stage "compare_serve_$c" serve /tmp/models/llama70b-awq m "$PORT" "" --load-format dummy \
          --max-model-len 8192 --max-num-seqs 4 --gpu-memory-utilization 0.90 \
          $(compare_args "$c")
        stage "compare_load_$c" $PY benchmarks/gpu/latency_ab.py --candidate-url \
          "http://localhost:$PORT" --candidate-model m --no-baseline --repetitions 2 \
          --requests-per-user 4 --max-tokens 120 --out "$OUT/compare-$c.json"
        stop_server "$PORT"
      done
      SERVE_ENV="" ;;
    report) stage report $PY benchmarks/gpu/release_path_report.py "$OUT" ;;
    *) echo "unknown stage $s"; exit 2 ;;
  esac
done
[ "$SERVER" = fake ] && stop_server "$PORT" && stop_server "$PORT2"
exit 0

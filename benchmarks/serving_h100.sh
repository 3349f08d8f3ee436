#!/bin/bash
# GPU cross-check on one machine, each call within 30 s of the last (docs/gpu.md):
#   1. bash .gpu-bundle/a/unpack.sh                      carry .gpu-bundle/a
#   2. bash benchmarks/serving_h100.sh bench             carry .gpu-bundle/b: serve a Llama-3.1-70B
#      shaped AWQ model (dummy weights) under vLLM 0.25, `vllm bench serve` at concurrency 4, 1, 8
#   3. bash benchmarks/serving_h100.sh sqlgate           carry .gpu-bundle/c (locust wheels): the
#      same load from harness.serving.load_generator against the same server, serving_h100.{json,md} into $OUT
# (b and c together exceed the 64 MiB a call may carry.)
set -u
MODE=${1:-bench}  # PAIRS / CONCS / REQS narrow the sweep (e.g. PAIRS=4:12 CONCS=4 REQS=2)
MODEL=llama70b-awq; IN=4000; OUTLEN=512; B=.gpu-bundle/b; C=.gpu-bundle/c
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
test -d /tmp/site/vllm || { echo "/tmp/site/vllm missing: run unpack.sh first"; exit 9; }
export PYTHONUNBUFFERED=1 VLLM_NO_USAGE_STATS=1 HF_HUB_OFFLINE=1 VLLM_USE_FLASHINFER_SAMPLER=0
if [ "$MODE" = sqlgate ]; then
  cp /tmp/bench-c*.json "$OUT"/ 2>/dev/null
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/load "$C"/whl/*.whl 2>&1 | grep -v WARNING | tail -3
  curl -sf localhost:8000/health || { echo "server not running: run the bench step first"; exit 4; }
  # 1 warm-up + N measured requests per user: 12, 3 and 16 requests, as vllm bench sent.
  PYTHONPATH=/tmp/load:. python3 benchmarks/serving_crosscheck.py --base-url http://localhost:8000 --model m \
    --tokenizer /tmp/models/$MODEL --config /tmp/models/$MODEL/config.json --bench-dir "$OUT" --out "$OUT" \
    --concurrency ${CONCS:-4,1,8} --requests ${REQS:-2,2,1} --input-len $IN --output-len $OUTLEN
  exit $?
fi
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site "$B"/whl/*.whl 2>&1 | grep -v WARNING | tail -3
xz -dc "$B/fa3.so.xz" > /tmp/site/vllm/vllm_flash_attn/_vllm_fa3_C.abi3.so
cp -r "$B/models" /tmp/
t0=$(date +%s)
# Prefix caching off: every prompt is new anyway, and the cross-check must measure prefill.
PYTHONPATH=/tmp/site setsid python3 -m vllm.entrypoints.cli.main serve /tmp/models/$MODEL --served-model-name m \
  --load-format dummy --max-model-len 8192 --max-num-seqs 4 --gpu-memory-utilization 0.90 \
  --no-enable-prefix-caching --port 8000 > "$OUT/server.log" 2>&1 &
echo $! > /tmp/vllm-server.pid
for i in $(seq 1 240); do curl -sf localhost:8000/health >/dev/null && break; kill -0 "$(cat /tmp/vllm-server.pid)" 2>/dev/null || break; sleep 2; done
curl -sf localhost:8000/health || { tail -40 "$OUT/server.log"; exit 4; }
echo "server ready after $(( $(date +%s) - t0 )) s"
for pair in ${PAIRS:-4:12 1:3 8:16}; do  # concurrency:prompts
  CONC=${pair%%:*}; N=${pair##*:}
  PYTHONPATH=/tmp/site python3 -m vllm.entrypoints.cli.main bench serve --backend vllm --model m \
    --tokenizer /tmp/models/$MODEL --base-url http://localhost:8000 --dataset-name random \
    --random-input-len $IN --random-output-len $OUTLEN --num-prompts $N --max-concurrency $CONC \
    --ignore-eos --percentile-metrics ttft,tpot,itl,e2el --metric-percentiles 50,95,99 --seed $CONC \
    --save-result --result-dir "$OUT" --result-filename "bench-c$CONC.json" 2>&1 | sed -n '/Serving Benchmark Result/,/^=====/p'
done
cp "$OUT"/bench-c*.json /tmp/   # the sqlgate step reads them
grep -E "Model loading took|KV cache size|Maximum concurrency|LinearKernel|Using .* backend" "$OUT/server.log" | cut -c1-220

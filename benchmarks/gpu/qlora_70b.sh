#!/bin/bash
# Issue #16 on one H200 (device kind nvidia-h200; bitsandbytes travels unpacked in .site,
# benchmarks/gpu/sync_carry.sh, docs/gpu.md): the environment, the 2-layer smoke of the exact code path
# (gpu_70b_qlora_2layer.yaml), then, unless SMOKE_ONLY=1 or the smoke failed, the 80-layer
# Llama-3.1-70B shape (gpu_70b_qlora.yaml), each through benchmarks/pipeline_gpu.sh (plain
# Trainer, adapter checked). $OUT/smoke/ and $OUT/ receive <recipe id>.{json,md,log} and
# the run manifest. Timeouts keep the whole inside one 600-s device call (the 80-layer run
# gets what the smoke left of 580 s).
set -uo pipefail
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT/smoke"
export PYTHONUNBUFFERED=1
if [ -d .site ]; then mkdir -p /tmp/site && cp -r .site/. /tmp/site/; fi  # pipeline_gpu.sh adds it
nvidia-smi --query-gpu=name,memory.total,memory.used,driver_version --format=csv,noheader
PYTHONPATH=/tmp/site python3 -c "import torch, transformers, peft, accelerate, bitsandbytes as b
print('torch', torch.__version__, 'cuda', torch.version.cuda, 'transformers',
      transformers.__version__, 'peft', peft.__version__, 'accelerate', accelerate.__version__,
      'bitsandbytes', b.__version__)"
free -g | head -2; df -h /tmp | tail -1
OUT=$OUT/smoke RECIPE=pipeline/configs/gpu_70b_qlora_2layer.yaml STEPS=baseline \
  timeout "${SMOKE_TIMEOUT:-200}" bash benchmarks/pipeline_gpu.sh || { echo "smoke failed"; exit 1; }
[ "${SMOKE_ONLY:-0}" = 1 ] && exit 0
OUT=$OUT RECIPE=pipeline/configs/gpu_70b_qlora.yaml STEPS=baseline \
  timeout "${FULL_TIMEOUT:-$((580 - SECONDS))}" bash benchmarks/pipeline_gpu.sh

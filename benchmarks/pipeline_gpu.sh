#!/bin/bash
# The production training chain on one GPU (docs/gpu.md; issues #6 and #9).
#   device run, carry [.whl]:  bash benchmarks/pipeline_gpu.sh
# RECIPE (default pipeline/configs/gpu_1b_random.yaml: a Llama-3.2-1B-shaped base with random
# BF16 weights) and STEPS, any of:
#   baseline  LoRA SFT through `python -m pipeline.train` without DeepSpeed (plain Trainer);
#             when it is the only step, the adapter it saves and the adapter of its last
#             checkpoint are checked too
#   zero3     the same through `accelerate launch` + DeepSpeed ZeRO-3 (pipeline/configs/
#             zero3.yaml), then a check that the adapter gathered on save is whole
#   package   merge, AWQ W4A16 with llm-compressor, validation, candidate
# NPROC (default 1): GPUs for the zero3 step.
# .whl holds the wheels the GPU image lacks (docs/gpu.md lists them). $OUT receives
# <recipe id>.json / .md (benchmarks/pipeline_gpu.py report) and <recipe id>.log.
set -uo pipefail
RECIPE=${RECIPE:-pipeline/configs/gpu_1b_random.yaml}
STEPS=${STEPS:-baseline zero3 package}
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false HF_HUB_OFFLINE=1
if [ -d .whl ] && [ ! -d /tmp/site/llmcompressor ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl 2>&1 | grep -v WARNING | tail -3
fi
[ -d /tmp/site ] && export PYTHONPATH=/tmp/site:$PWD
read -r ID WORK CAND <<< "$(python3 -c "from pipeline.recipe import load_recipe
r = load_recipe('$RECIPE'); print(r.id, r.work_dir, r.candidate_dir)")"
LOG=$OUT/$ID.log
GPU=$(nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | head -1)
echo "$GPU; recipe $RECIPE; steps $STEPS" | tee "$LOG"
args=(--recipe "$RECIPE" --gpu "$GPU" --out "$OUT"
      --command "NPROC=${NPROC:-1} RECIPE=$RECIPE STEPS=\"$STEPS\" bash benchmarks/pipeline_gpu.sh")
for step in $STEPS; do
  SECONDS=0
  case $step in
    baseline)
      python3 -m pipeline.train --recipe "$RECIPE" --deepspeed "" \
        --output_dir "$WORK/train_baseline" 2>&1 | tee -a "$LOG"
      rc=${PIPESTATUS[0]}
      cp "$WORK/run_manifest.json" "$WORK/run_manifest_baseline.json"
      args+=(--baseline-manifest "$WORK/run_manifest_baseline.json")
      if [ "$rc" = 0 ] && [ "$STEPS" = baseline ]; then  # the only adapter this run leaves
        python3 benchmarks/pipeline_gpu.py check-adapter "$WORK/adapters/sft" \
          > "$WORK/adapter_check_baseline.json"; rc=$((rc | $?))
        cat "$WORK/adapter_check_baseline.json" >> "$LOG"
        args+=(--adapter-check "$WORK/adapter_check_baseline.json")
        ckpt=$(ls -d "$WORK/train_baseline"/checkpoint-* 2>/dev/null | sort -V | tail -1)
        if [ -n "$ckpt" ]; then  # the Trainer's last checkpoint, reloaded from disk
          du -sh "$ckpt" | tee -a "$LOG"
          python3 benchmarks/pipeline_gpu.py check-adapter "$ckpt" \
            > "$WORK/adapter_check_checkpoint.json"; rc=$((rc | $?))
          args+=(--adapter-check "$WORK/adapter_check_checkpoint.json")
        fi
      fi ;;
    zero3)
      accelerate launch --config_file pipeline/configs/zero3.yaml --num_processes "${NPROC:-1}" \
        -m pipeline.train --recipe "$RECIPE" 2>&1 | tee -a "$LOG"
      rc=${PIPESTATUS[0]}
      args+=(--manifest "$WORK/run_manifest.json")
      for adapter in dapt sft; do  # dapt: only with a recipe `dapt` section
        [ -d "$WORK/adapters/$adapter" ] || continue
        python3 benchmarks/pipeline_gpu.py check-adapter "$WORK/adapters/$adapter" \
          > "$WORK/adapter_check_$adapter.json"; rc=$((rc | $?))
        cat "$WORK/adapter_check_$adapter.json" >> "$LOG"
        args+=(--adapter-check "$WORK/adapter_check_$adapter.json")
      done ;;
    package)
      python3 -m pipeline.candidate --recipe "$RECIPE" 2>&1 | tee -a "$LOG"
      rc=${PIPESTATUS[0]}
      args+=(--pipeline "$CAND/pipeline.json") ;;
    *) echo "unknown step $step"; exit 2 ;;
  esac
  args+=(--wall "$step=$SECONDS")
  echo "step $step: exit $rc after $SECONDS s" | tee -a "$LOG"
  [ "$rc" = 0 ] || break
done
python3 benchmarks/pipeline_gpu.py report "${args[@]}" 2>&1 | tee -a "$LOG"
cp "$WORK/run_manifest.json" "$OUT/$ID.run_manifest.json" 2>/dev/null
exit "$rc"

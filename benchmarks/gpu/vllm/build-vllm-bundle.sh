#!/bin/bash
# Build, on the CPU machine, the two carry folders that put vLLM 0.25.0 on the GPU machine.
# usage: bash benchmarks/gpu/vllm/build-vllm-bundle.sh [DEST=.gpu-bundle]    (run from the repo root; ~3 min)
# Then add "/$DEST/" to .git/info/exclude and make two device calls, the second within 30 s:
#   run(command="bash $DEST/a/unpack.sh", carry=["$DEST/a"])
#   run(command="bash $DEST/b/serve-bench.sh llama70b-awq", carry=["$DEST/b"])
set -euo pipefail
DEST=${1:-.gpu-bundle}; HERE=$(cd "$(dirname "$0")" && pwd); WORK=$(mktemp -d)
python3 -m venv "$WORK/venv" && "$WORK/venv/bin/pip" install -q packaging tokenizers
PY="$WORK/venv/bin/python"
"$PY" -m pip download -q vllm==0.25.0 --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 -d "$WORK/whl"
mkdir -p "$WORK/un" "$DEST/a" "$DEST/b/whl" && (cd "$WORK/un" && unzip -q "$WORK"/whl/vllm-*.whl)
V="$WORK/un/vllm"
# Dense-Llama serving needs neither FA2, MoE, FlashMLA, QuTLASS, DeepGEMM, SM100 FMHA nor the Rust frontend.
strip --strip-unneeded -o "$WORK/c.so" "$V/_C_stable_libtorch.abi3.so"
strip --strip-unneeded -o "$WORK/fa3.so" "$V/vllm_flash_attn/_vllm_fa3_C.abi3.so"
rm -rf "$V"/_C_stable_libtorch.abi3.so "$V"/vllm_flash_attn/*.so "$V"/_moe_C* "$V"/_flashmla* "$V"/_qutlass* \
       "$V/vllm-rs" "$V/third_party/deep_gemm" "$V/third_party/fmha_sm100"
xz -9e -T0 -c "$WORK/c.so" > "$DEST/a/c.so.xz"
xz -9e -T0 -c "$WORK/fa3.so" > "$DEST/b/fa3.so.xz"
tar cf - -C "$WORK/un" vllm vllm-0.25.0.dist-info | xz -9 -T0 > "$DEST/a/vllm-py.tar.xz"
# vllm 0.25 pins apache-tvm-ffi 0.1.9 for flashinfer (skipped), but its xgrammar needs >= 0.1.11.
"$PY" "$HERE/resolve_wheels.py" "$DEST/b/whl" vllm==0.25.0 openai='openai<3' anthropic='anthropic<1' mcp='mcp<2' \
  fastapi='fastapi<0.137,>=0.133' apache-tvm-ffi='apache-tvm-ffi>=0.1.11'
rm -f "$DEST"/b/whl/vllm-*.whl
"$PY" "$HERE/make_dummy_models.py" "$DEST/b/models"
cp "$HERE/unpack.sh" "$DEST/a/" && cp "$HERE/serve-bench.sh" "$DEST/b/"
rm -rf "$WORK"
du -sh "$DEST"/a "$DEST"/b   # each must stay under 64 MiB together with the working tree

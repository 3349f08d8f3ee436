#!/bin/bash
# The device tool sends the session's main checkout, not a helper's worktree (device
# README, Notes): copy this worktree's files (tracked and untracked-not-ignored) and the
# wheels the GPU image lacks (<main>/.gpu-carry/whl: bitsandbytes, pydantic and sqlglot for
# the harness; docs/gpu.md), unpacked, bitsandbytes with only its CUDA 13 and CPU libraries
# (8.9 MB of the wheel's 43 MB), into an ignored folder of that checkout, to name in
# `carry`; the command then runs in it:
#   bash benchmarks/gpu/sync_carry.sh /path/to/main/checkout   ->  <main>/.gpu-carry/tree
#   run(command="cd .gpu-carry/tree && bash benchmarks/gpu/qlora_70b.sh", carry=[".gpu-carry/tree"])
set -euo pipefail
MAIN=${1:?main checkout}; DEST=$MAIN/.gpu-carry/tree
EXCLUDE="$(git -C "$MAIN" rev-parse --path-format=absolute --git-common-dir)/info/exclude"
grep -qx '/.gpu-carry/' "$EXCLUDE" 2>/dev/null || echo '/.gpu-carry/' >> "$EXCLUDE"
rm -rf "$DEST"; mkdir -p "$DEST/.site"
git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -xf - -C "$DEST"
for wheel in "$MAIN"/.gpu-carry/whl/*.whl; do unzip -q -o "$wheel" -d "$DEST/.site"; done
rm -f "$DEST"/.site/bitsandbytes/libbitsandbytes_{cuda1[12]*,rocm*,xpu*}.so
du -sh "$DEST"

#!/usr/bin/env bash
# The project's GPU check: paper-size throughput (fp32 and bf16, against the card's own matmul rates) and 300 SpecBridge
# training steps at paper size on random data (fp32 and bf16 autocast), each written as JSON into OUT_DIR.
# Run from the repository root on a machine with CUDA:   bash benchmarks/gpu_check.sh [OUT_DIR]   (default runs/gpu_check)
# Python: $PYTHON, else .venv/bin/python, else python3; it needs the project's requirements (torch with CUDA).
set -euo pipefail
OUT="${1:-${OUT:-runs/gpu_check}}"; mkdir -p "$OUT"
PY="${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
"$PY" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 'gpu_check: torch sees no CUDA device')"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > "$OUT/nvidia_smi.csv" 2>/dev/null || true
"$PY" benchmarks/throughput.py --device cuda --sizes paper --precisions fp32,bf16 --batch-sizes 32,128,256 \
    --json "$OUT/throughput_gpu.json" | tee "$OUT/throughput_gpu.txt"
for amp in fp32 bf16; do
    "$PY" benchmarks/train_steps.py --size paper --device cuda --steps 300 --amp "$amp" --json "$OUT/train_steps_$amp.json" \
        | tee "$OUT/train_steps_$amp.txt"
done
echo "gpu_check: results in $OUT"

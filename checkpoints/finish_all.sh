#!/usr/bin/env bash
# After train_all.sh: evaluate every checkpoint (metrics go into its card) and add its explorer
# bundle and sample grid PNG.   bash checkpoints/finish_all.sh [DATA_ROOT] [ID ...]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="${1:-../shared/data}"
shift || true
IDS=("$@")
[ ${#IDS[@]} -eq 0 ] && IDS=($(ls checkpoints/*.safetensors | xargs -n1 basename | sed 's/.safetensors$//'))

for id in "${IDS[@]}"; do
  path="checkpoints/$id.safetensors"
  eval_args=(--iw-samples 100)
  bundle_args=(--n-samples 2000)
  case "$id" in
    mnist_conv_vae) eval_args=(--iw-samples 1000 --n-test 2000) ;;   # Burda et al.'s k; a 2000-image subset on CPU
    mnist_conv_ae|mnist_oneclass_ae) bundle_args+=(--ood-dataset fashion_mnist) ;;
    olivetti_conv_vae) bundle_args+=(--train-map 360) ;;   # all 400 faces on the latent map, 360 of them training images
  esac
  echo "== $id"
  python -m aelib eval "$path" --data-root "$ROOT" "${eval_args[@]}" --save --json | tail -1
  python -m aelib bundle "$path" --data-root "$ROOT" "${bundle_args[@]}" --grid "checkpoints/$id.png"
done
python -m aelib checkpoints

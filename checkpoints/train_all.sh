#!/usr/bin/env bash
# Rebuild every shipped checkpoint from the raw datasets (see ../shared/data/README.md for the layout).
#   bash checkpoints/train_all.sh [DATA_ROOT]        (default: ../shared/data)
# Each run writes its checkpoint every epoch and resumes with --resume, so re-running this script
# after an interruption continues where it stopped; finished checkpoints are left as they are.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="${1:-../shared/data}"
T="${THREADS:-2}"
train() { python -m aelib train --data-root "$ROOT" --threads "$T" --no-progress --resume "$@"; }

# MNIST (binarised dynamically where the model is a likelihood model, the standard NLL protocol)
train --model vae      --dataset mnist --latent-dim 2  --hidden 512,256 --epochs 30 --binarize --out checkpoints/mnist_vae2d.safetensors
train --model conv_vae --dataset mnist --latent-dim 16 --set fc_hidden=256 --epochs 30 --binarize --kl-warmup 5 --out checkpoints/mnist_conv_vae.safetensors
# then 25 more epochs at a lower learning rate (a fresh Adam state: the finished file keeps no optimizer state)
train --model conv_vae --dataset mnist --epochs 55 --lr 3e-4 --binarize --kl-warmup 5 --out checkpoints/mnist_conv_vae.safetensors
train --model conv_ae  --dataset mnist --latent-dim 32 --set fc_hidden=128 --epochs 12 --out checkpoints/mnist_conv_ae.safetensors
train --model conv_ae  --dataset mnist --latent-dim 32 --set fc_hidden=128 --epochs 12 --denoise gaussian:0.5 --out checkpoints/mnist_denoising_conv_ae.safetensors
train --model sparse_ae --dataset mnist --latent-dim 64 --hidden 256 --set sparsity=l1 --set sparsity_weight=0.01 --epochs 15 --out checkpoints/mnist_sparse_ae.safetensors
train --model ae       --dataset mnist --latent-dim 16 --hidden 256,128 --epochs 15 --out checkpoints/mnist_ae.safetensors
train --model cvae     --dataset mnist --latent-dim 8  --set fc_hidden=128 --epochs 15 --binarize --kl-warmup 3 --out checkpoints/mnist_cvae.safetensors
# one-class anomaly detector: sees only zeros in training
train --model conv_ae  --dataset mnist --latent-dim 16 --set fc_hidden=128 --keep-classes 0 --epochs 25 --out checkpoints/mnist_oneclass_ae.safetensors

# Fashion-MNIST
train --model conv_vae --dataset fashion_mnist --latent-dim 16 --set fc_hidden=128 --epochs 15 --kl-warmup 3 --out checkpoints/fashion_conv_vae.safetensors
train --model conv_ae  --dataset fashion_mnist --latent-dim 32 --set fc_hidden=128 --epochs 12 --denoise gaussian:0.5 --out checkpoints/fashion_denoising_conv_ae.safetensors

# Faces: Frey with a Gaussian decoder as in Kingma & Welling (2014), figure 4; Olivetti is tiny, so augment
train --model vae      --dataset frey --latent-dim 2  --hidden 200 --likelihood gaussian --epochs 300 --batch-size 64 --out checkpoints/frey_vae2d.safetensors
train --model vae      --dataset frey --latent-dim 10 --hidden 200 --likelihood gaussian --epochs 300 --batch-size 64 --out checkpoints/frey_vae.safetensors
train --model conv_vae --dataset olivetti --latent-dim 32 --channels 32,64,64,64 --set fc_hidden=256 --epochs 400 --batch-size 32 --augment --kl-warmup 50 --out checkpoints/olivetti_conv_vae.safetensors

# Time series and tables: trained on normal rows only (class 1 of ECG5000; inliers of ODDS), so that
# a large reconstruction error flags an anomaly. Real-valued data: Gaussian likelihood, identity output.
REAL=(--likelihood gaussian --set output=identity)
train --model conv1d_ae --dataset ecg5000 --latent-dim 8 "${REAL[@]}" --set sigma=0.5 --keep-classes 1 --epochs 60 --batch-size 32 --out checkpoints/ecg5000_conv1d_ae.safetensors
train --model lstm_ae   --dataset ecg5000 --latent-dim 8 "${REAL[@]}" --set sigma=0.5 --keep-classes 1 --epochs 40 --batch-size 32 --out checkpoints/ecg5000_lstm_ae.safetensors
for subset in cardio satellite shuttle arrhythmia; do
  train --model ae --dataset "odds_$subset" --latent-dim 4 --hidden 32 "${REAL[@]}" --set sigma=1.0 --keep-classes 0 --epochs 40 --batch-size 64 --out "checkpoints/odds_${subset}_ae.safetensors"
done

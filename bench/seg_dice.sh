#!/usr/bin/env bash
# seg_dice.sh: trains amdrn's segmentation engine on the train split of a synthetic cohort and
# reports Dice, HD95 and NSD per class on the held-out test split (the figure of docs/segmentation.md).
#
#   bench/seg_dice.sh WORKDIR [--cases 100] [--seed 1] [--preset full] [--budget full]
#                     [--fold 0] [--threads 2] [--epochs N] [--iters N] [--stop-after N]
#                     [--resume] [--bf16] [--train-bf16] [--prepare-only]
#                     [--target-spacing MM] [--engine onednn|libtorch]
#                     [--normalization auto|ct|zscore]
#                     [--amdrn build/amdrn]
#
# Steps (each skipped when its output exists, so a killed run continues with --resume):
#   1. amdrn synth          WORKDIR/cohort (nnU-Net raw layout + splits.json)
#   2. raw train dataset    WORKDIR/raw_train: links to the `train` cases only; the `test` cases
#                           go to WORKDIR/test/{images,labels} and are never seen in training
#   3. amdrn seg plan       --budget (CPU-aware compute budget), --normalization -> WORKDIR/pre; --target-spacing MM
#                           trains at a coarser isotropic grid (like nnU-Net's 3d_lowres) while
#                           prediction and evaluation stay on the images' own grid
#   4. amdrn seg preprocess
#   5. amdrn seg train      --fold (5-fold split of the train cases; fold 0 by default);
#                           --train-bf16 trains in mixed precision (seg train --bf16);
#                           --prepare-only stops before this step
#   6. amdrn seg predict    the test images (fp32, and bf16 with --bf16)
#   7. amdrn seg evaluate   WORKDIR/eval_fp32/summary.json (and eval_bf16)
set -euo pipefail

work=${1:?usage: seg_dice.sh WORKDIR [options]}
shift
cases=100 seed=1 preset=full budget=full fold=0 threads=2 epochs=0 iters=0 stop_after=0
resume="" bf16=0 train_bf16=0 prepare_only=0 amdrn=build/amdrn
target_spacing= engine= normalization=
while (($#)); do
  case "$1" in
    --cases) cases=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --preset) preset=$2; shift 2 ;;
    --budget) budget=$2; shift 2 ;;
    --fold) fold=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --epochs) epochs=$2; shift 2 ;;
    --iters) iters=$2; shift 2 ;;
    --stop-after) stop_after=$2; shift 2 ;;
    --resume) resume=--resume; shift ;;
    --bf16) bf16=1; shift ;;
    --train-bf16) train_bf16=1; shift ;;
    --prepare-only) prepare_only=1; shift ;;
    --target-spacing) target_spacing=$2; shift 2 ;;
    --amdrn) amdrn=$2; shift 2 ;;
    --engine) engine=$2; shift 2 ;;
    --normalization) normalization=$2; shift 2 ;;
    *) echo "seg_dice.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
amdrn=$(realpath "$amdrn")
mkdir -p "$work"
cd "$work"
stamp() { date -u +%H:%M:%S; }

if [[ ! -f cohort/splits.json ]]; then
  echo "[$(stamp)] synth: $cases cases, seed $seed, preset $preset"
  "$amdrn" synth --out cohort --cases "$cases" --seed "$seed" --preset "$preset" --threads "$threads"
fi

if [[ ! -f raw_train/dataset.json ]]; then
  echo "[$(stamp)] splitting: train cases -> raw_train, test cases -> test/"
  rm -rf raw_train test
  mkdir -p raw_train/imagesTr raw_train/labelsTr test/images test/labels
  # splits.json is {"train": [...], "test": [...], "external": [...]}; read it without jq.
  python3 - <<'EOF'
import json, os
splits = json.load(open("cohort/splits.json"))
ds = json.load(open("cohort/dataset.json"))
ending = ds.get("file_ending", ".nii.gz")
for case in splits["train"]:
    os.symlink(os.path.abspath(f"cohort/imagesTr/{case}_0000{ending}"), f"raw_train/imagesTr/{case}_0000{ending}")
    os.symlink(os.path.abspath(f"cohort/labelsTr/{case}{ending}"), f"raw_train/labelsTr/{case}{ending}")
for case in splits["test"]:
    os.symlink(os.path.abspath(f"cohort/imagesTr/{case}_0000{ending}"), f"test/images/{case}_0000{ending}")
    os.symlink(os.path.abspath(f"cohort/labelsTr/{case}{ending}"), f"test/labels/{case}{ending}")
ds["numTraining"] = len(splits["train"])
with open("raw_train/dataset.json.tmp", "w") as f:
    json.dump(ds, f, indent=2)
os.replace("raw_train/dataset.json.tmp", "raw_train/dataset.json")
print(f"train {len(splits['train'])} test {len(splits['test'])}")
EOF
fi

if [[ ! -f pre/nnUNetPlans.json ]]; then
  echo "[$(stamp)] plan: budget $budget"
  plan_args=(-i raw_train -o pre --budget "$budget" -t "$threads")
  [[ -n "$normalization" ]] && plan_args+=(--normalization "$normalization")
  [[ -n "$target_spacing" ]] && plan_args+=(--target-spacing "$target_spacing" "$target_spacing" "$target_spacing")
  "$amdrn" seg plan "${plan_args[@]}"
fi
if [[ ! -f pre/.preprocessed ]]; then
  echo "[$(stamp)] preprocess"
  "$amdrn" seg preprocess -i raw_train -o pre -t "$threads"
  touch pre/.preprocessed
fi

if ((prepare_only)); then
  echo "[$(stamp)] prepared (cohort, split, plan, preprocessed data)"
  exit 0
fi

if [[ ! -f model/fold_$fold/checkpoint_final.pt ]]; then
  echo "[$(stamp)] train fold $fold"
  args=(--preprocessed pre --out model --fold "$fold" --threads "$threads")
  ((train_bf16)) && args+=(--bf16)
  ((epochs > 0)) && args+=(--epochs "$epochs")
  ((iters > 0)) && args+=(--iters-per-epoch "$iters")
  ((stop_after > 0)) && args+=(--stop-after "$stop_after")
  [[ -n "$resume" ]] && args+=("$resume")
  "$amdrn" seg train "${args[@]}"
  if [[ ! -f model/fold_$fold/checkpoint_final.pt ]]; then
    echo "[$(stamp)] training stopped before the final epoch; rerun with --resume"
    exit 0
  fi
fi

precisions=(fp32)
((bf16)) && precisions+=(bf16)
for p in "${precisions[@]}"; do
  flag=()
  [[ $p == bf16 ]] && flag=(--bf16)
  [[ -n $engine ]] && flag+=(--engine "$engine")
  echo "[$(stamp)] predict test cases ($p)"
  "$amdrn" seg predict --model model --folds "$fold" --input test/images --out "pred_$p" \
    --threads "$threads" "${flag[@]}"
  echo "[$(stamp)] evaluate ($p)"
  "$amdrn" seg evaluate -r test/labels -p "pred_$p" --dataset-json cohort/dataset.json \
    -o "eval_$p/summary.json" --csv "eval_$p/summary.csv" -t "$threads"
done
echo "[$(stamp)] done"

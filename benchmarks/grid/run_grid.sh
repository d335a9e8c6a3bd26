#!/usr/bin/env bash
# The measured grid of reports/grid/README.md: one CPU run after another (each capped at
# TIME_LIMIT seconds of training, 1 thread), c = 256, GloVe 6B 50d, Flickr8k standard split.
# Usage: benchmarks/grid/run_grid.sh [NAME...]   (default: every run below, in order)
set -u
cd "$(dirname "$0")/../.."
OUT=${OUT:-runs/grid}
TIME_LIMIT=${TIME_LIMIT:-480}
COMMON=(--no-progress --set "out_dir=\"$OUT\"" --set model.grounded_dim=256 --set train.threads=1
        --set "train.time_limit_s=$TIME_LIMIT" --set data.limit_dev=1000 --set train.eval_each_epoch=true)
declare -A RUNS=(
  [fw_bw_b_frozen]="ablation_fw_bw_b"
  [all_r]="ablation_all_r"
  [c_glove]="c_glove"
  [no_image]="vge_no_image"
  [fw_frozen]="ablation_fw"
  [fw_bw_frozen]="ablation_fw_bw"
  [all_r_bias]="ablation_all_r --set model.output_bias=true"
  [all_r_alpha1]="ablation_all_r --set model.reg_alpha=1.0"
  [fw_bw_b_frozen_bias]="ablation_fw_bw_b --set model.output_bias=true"
  [all_r_orth]="ablation_all_r --set model.m_orthogonal=true"
)
ORDER=(fw_bw_b_frozen all_r c_glove no_image fw_bw_b_frozen_bias all_r_bias all_r_orth all_r_alpha1
       fw_frozen fw_bw_frozen)
[ $# -gt 0 ] && ORDER=("$@")
mkdir -p "$OUT"
for name in "${ORDER[@]}"; do
  [ -f "$OUT/$name/summary.json" ] && { echo "skip $name (done)"; continue; }
  resume=(); [ -f "$OUT/$name/last.pt" ] && resume=(--resume)
  echo "=== $name $(date -u +%H:%M:%S)"
  # shellcheck disable=SC2086
  set -- ${RUNS[$name]}                      # config file, then the run's own --set (after COMMON)
  config=$1; shift
  .venv/bin/vgbench -v train "$config" --set "name=\"$name\"" "${COMMON[@]}" "$@" "${resume[@]}" \
      > "$OUT/$name.log" 2>&1
  echo "=== $name done rc=$? $(date -u +%H:%M:%S)"
done

#!/usr/bin/env bash
# Search quality, side by side in one run: mlscale's samplers (in-process, SweepQualityBench:
# gp, tpe, random) and Optuna's default TPESampler and GPSampler (bench/sweep_quality/optuna_tpe.py,
# in the bench-only virtualenv bench/.venv-optuna, made on first use from PyPI: optuna, and torch
# and scipy for GPSampler, about 5.6 GB) on Branin, Hartmann-6, Rosenbrock-4, Ackley-5 and a mixed
# space; then the table (bench/sweep_quality/compare.py).
# Optuna's GPSampler takes about 35 s per 100-trial sweep here, so it runs OPTUNA_GP_SEEDS seeds
# (default 5) with max_parallel 1 only; OPTUNA_GP_SEEDS=0 skips it.
# Usage: bench/sweep_quality.sh [SEEDS]   (default 20; MVNW_FLAGS=-o to build offline)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seeds="${1:-20}"
gp_seeds="${OPTUNA_GP_SEEDS:-5}"
if [[ ! -x bench/.venv-optuna/bin/python ]]; then
  python3 -m venv bench/.venv-optuna
  bench/.venv-optuna/bin/pip install -q optuna
fi
if [[ "$gp_seeds" != 0 ]] && ! bench/.venv-optuna/bin/python -c "import torch, scipy" 2>/dev/null; then
  bench/.venv-optuna/bin/pip install -q torch scipy
fi
./mvnw -B -q ${MVNW_FLAGS:-} test -Pbench -Dtest=SweepQualityBench -Dbench.seeds="$seeds" \
  -Dsurefire.failIfNoSpecifiedTests=false
OMP_NUM_THREADS=1 bench/.venv-optuna/bin/python bench/sweep_quality/optuna_tpe.py "$seeds" tpe
if [[ "$gp_seeds" != 0 ]]; then
  OMP_NUM_THREADS=1 bench/.venv-optuna/bin/python bench/sweep_quality/optuna_tpe.py "$gp_seeds" gp 1
fi
python3 bench/sweep_quality/compare.py | tee bench/results/sweep_quality.md

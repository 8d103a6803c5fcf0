#!/usr/bin/env bash
# Search quality, side by side in one run: mlscale's samplers (in-process, SweepQualityBench) and
# Optuna's default TPESampler (bench/sweep_quality/optuna_tpe.py, in the bench-only virtualenv
# bench/.venv-optuna, made on first use from PyPI) on Branin, Hartmann-6, Rosenbrock-4, Ackley-5
# and a mixed space; then the table (bench/sweep_quality/compare.py).
# Usage: bench/sweep_quality.sh [SEEDS]   (default 20; MVNW_FLAGS=-o to build offline)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seeds="${1:-20}"
if [[ ! -x bench/.venv-optuna/bin/python ]]; then
  python3 -m venv bench/.venv-optuna
  bench/.venv-optuna/bin/pip install -q optuna
fi
./mvnw -B -q ${MVNW_FLAGS:-} test -Pbench -Dtest=SweepQualityBench -Dbench.seeds="$seeds" \
  -Dsurefire.failIfNoSpecifiedTests=false
bench/.venv-optuna/bin/python bench/sweep_quality/optuna_tpe.py "$seeds"
python3 bench/sweep_quality/compare.py | tee bench/results/sweep_quality.md

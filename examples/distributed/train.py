"""Data-parallel gradient boosting with LightGBM: each worker holds one shard of the rows and the
workers build every tree together, exchanging histograms over TCP (tree_learner=data).

Where the peers are comes from mlscale's generic worker environment, the same on this machine and
on Kubernetes: MLSCALE_WORKER_HOSTS (host:port of every worker, by rank), MLSCALE_WORKER_INDEX and
MLSCALE_WORKER_PORT (this worker's rank and port)."""
import argparse
import hashlib
import os
import time

import lightgbm as lgb
import numpy as np

from mlscale import output_dir, report

p = argparse.ArgumentParser()
p.add_argument("--rounds", type=int, default=60)
p.add_argument("--rows", type=int, default=40000)
p.add_argument("--round-pause", type=float, default=0.0)
a = p.parse_args()

rank = int(os.environ.get("MLSCALE_WORKER_INDEX", "0"))
hosts = os.environ.get("MLSCALE_WORKER_HOSTS", "")
world = int(os.environ.get("MLSCALE_WORKERS", "1"))

# The same synthetic data set on every worker (a fixed seed), each keeping its own shard of rows.
rng = np.random.default_rng(7)
X = rng.normal(size=(a.rows, 20))
w = rng.normal(size=20)
y = ((X @ w + 0.5 * np.sin(3 * X[:, 0]) + rng.normal(scale=0.5, size=a.rows)) > 0).astype(float)
n_valid = a.rows // 5
X_valid, y_valid = X[:n_valid], y[:n_valid]
X_train, y_train = X[n_valid:][rank::world], y[n_valid:][rank::world]

params = {
    "objective": "binary",
    "metric": "binary_logloss",
    "learning_rate": 0.1,
    "num_leaves": 31,
    "num_threads": 1,
    "deterministic": True,
    "seed": 7,
    "verbose": -1,
}
if world > 1:
    params.update(
        tree_learner="data",
        pre_partition=True,
        num_machines=world,
        machines=hosts,
        local_listen_port=int(os.environ["MLSCALE_WORKER_PORT"]),
        time_out=2,  # minutes to wait for the peers' sockets
    )

print("worker %d of %d: %d training rows; peers %s" % (rank, world, len(y_train), hosts or "-"),
      flush=True)
start = time.time()
train = lgb.Dataset(X_train, y_train, params={"verbose": -1})
valid = lgb.Dataset(X_valid, y_valid, reference=train)
rendezvous = None
last_loss = None


def each_round(env):
    global rendezvous, last_loss
    if rendezvous is None:
        rendezvous = time.time() - start  # the first round needed every peer
        print("rendezvous after %.3f s" % rendezvous, flush=True)
    loss = last_loss = env.evaluation_result_list[0][2]
    step = env.iteration + 1
    if step % 10 == 0 or step == a.rounds:
        print("round %d loss %.6f" % (step, loss), flush=True)
        report(step=step, loss=loss)
    if a.round_pause:
        time.sleep(a.round_pause)


booster = lgb.train(params, train, num_boost_round=a.rounds, valid_sets=[valid],
                    callbacks=[each_round])
model = booster.model_to_string()
digest = hashlib.sha256(model.split("parameters:")[0].encode()).hexdigest()[:16]
loss = last_loss
elapsed = time.time() - start
print("final loss %.6f model %s train_seconds %.3f rendezvous_seconds %.3f"
      % (loss, digest, elapsed, rendezvous or 0.0), flush=True)
if rank == 0:
    report(loss=loss, train_seconds=elapsed, rendezvous_seconds=rendezvous or 0.0)
    with open(os.path.join(output_dir(), "model.txt"), "w") as f:
        f.write(model)

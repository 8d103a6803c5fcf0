"""Trains a small neural network on scikit-learn's bundled digits data (no download).

Arguments mirror the workshop's train.py (epochs, activation, dropout-like regularisation):
    python train.py --epochs 20 --activation relu --alpha 0.0001
Reports validation accuracy and loss after each epoch, saves the model to $MLSCALE_OUTPUT_DIR.
"""

import argparse
import json
import os
import pickle
import warnings

from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from mlscale import output_dir, params, report


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--activation", default="relu", choices=["relu", "tanh", "logistic"])
    parser.add_argument("--alpha", type=float, default=1e-4)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--data-from-workspace",
        help="read the data from this CSV in $MLSCALE_WORKSPACE (64 pixel columns, then the label)",
    )
    parser.add_argument(
        "--waste-mb", type=int, default=0, help="hold this much memory, like a leaky job (step 3)"
    )
    args = parser.parse_args()
    wasted = [bytearray(b"x") * (1024 * 1024) for _ in range(args.waste_mb)]
    extra = params()
    lr = float(extra.get("learning_rate", 0.001))

    if args.data_from_workspace:
        import numpy as np

        path = os.path.join(os.environ["MLSCALE_WORKSPACE"], args.data_from_workspace)
        data = np.loadtxt(path, delimiter=",")
        x, y = data[:, :-1], data[:, -1].astype(int)
        print("read %d rows from %s" % (len(y), path))
    else:
        x, y = load_digits(return_X_y=True)
    x_train, x_val, y_train, y_val = train_test_split(
        x, y, test_size=0.25, random_state=args.seed, stratify=y
    )
    scaler = StandardScaler().fit(x_train)
    x_train, x_val = scaler.transform(x_train), scaler.transform(x_val)
    model = MLPClassifier(
        hidden_layer_sizes=(args.hidden,),
        activation=args.activation,
        alpha=args.alpha,
        learning_rate_init=lr,
        random_state=args.seed,
    )
    print(
        "training on %d digits, validating on %d (epochs=%d activation=%s alpha=%g lr=%g)"
        % (len(x_train), len(x_val), args.epochs, args.activation, args.alpha, lr)
    )
    classes = sorted(set(y))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for epoch in range(1, args.epochs + 1):
            model.partial_fit(x_train, y_train, classes=classes)
            report(step=epoch, accuracy=model.score(x_val, y_val), loss=model.loss_)

    out = output_dir()
    with open(os.path.join(out, "model.pkl"), "wb") as f:
        pickle.dump({"scaler": scaler, "model": model}, f)
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump({"epochs": args.epochs, "activation": args.activation, "alpha": args.alpha}, f)
    print("saved model to %s" % out)
    workspace = os.environ.get("MLSCALE_WORKSPACE")
    if workspace:  # in a pipeline: also leave a copy for later tasks (e.g. the upload to S3)
        shared = os.path.join(workspace, "models", os.environ.get("MLSCALE_RUN_ID", "model"))
        os.makedirs(shared, exist_ok=True)
        with open(os.path.join(shared, "model.pkl"), "wb") as f:
            pickle.dump({"scaler": scaler, "model": model}, f)
    del wasted


if __name__ == "__main__":
    main()

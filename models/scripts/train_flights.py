"""Trains the bundled `flights-delay` model on the training matrix that `features:materialize` wrote.

The flights come from the `vega-datasets` npm package (a devDependency; flights-20k.json: date, delay,
distance, origin, destination, January to March 2001). Features are computed by the service's feature
code (service/src/features), never here: Python only fits the classifier on the matrix and exports it.

    python models/scripts/train_flights.py split --flights node_modules/vega-datasets/data/flights-20k.json \
        --events events.json --predict-input predict-input.json
    npm run features:fit -- --model flights-delay --data events.json
    npm run features:materialize -- --model flights-delay --data predict-input.json --out matrix.json
    python models/scripts/train_flights.py train --matrix matrix.json

`split` keeps the last HELD_OUT flights (every flight at or after the cut-off time) as the held-out
sample, committed in testdata/heldout.json. The events are the flights before the cut-off; the
predict input adds the held-out flights without their delay (rows to score, not events), so their
matrix rows see every event and nothing of their own outcome.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score

from build_models import MODELS, SEED, config, finalize, save_model, session, single_thread_session, sklearn_to_onnx, tensor, write_json

NAME = "flights-delay"
HELD_OUT = 200
TRAIN_FRACTION = 0.8


def split(flights_path: Path, events_path: Path, predict_path: Path) -> None:
    flights = json.loads(flights_path.read_text())
    # "YYYY/MM/DD HH:mm" sorts as text; sorted() is stable, so equal times keep the file's order.
    flights = sorted(flights, key=lambda f: f["date"])
    cutoff = flights[-HELD_OUT]["date"]
    events = [f for f in flights if f["date"] < cutoff]
    held_out = [f for f in flights if f["date"] >= cutoff]
    records = [{k: v for k, v in f.items() if k != "delay"} for f in held_out]
    events_path.write_text(json.dumps(events))
    predict_path.write_text(json.dumps(events + records))
    write_json(
        MODELS / NAME / "testdata" / "heldout.json",
        {
            "source": "vega-datasets flights-20k.json",
            "cutoff": cutoff,
            "records": records,
            "labels": [int(f["delay"] > 15) for f in held_out],
        },
        compact_rows=False,
    )
    print(f"{len(events)} events before {cutoff}, {len(held_out)} held-out flights")


def train(matrix_path: Path) -> None:
    matrix = json.loads(matrix_path.read_text())
    [layout] = matrix["tensors"]
    labeled = [i for i, y in enumerate(matrix["labels"]) if y is not None]
    # Rows are in time order; train on the earlier 80%, measure on the later 20%.
    labeled.sort(key=lambda i: matrix["times"][i])
    x = np.array([matrix["rows"][i][0] for i in labeled], dtype=np.float32)
    y = np.array([matrix["labels"][i] for i in labeled], dtype=np.int64)
    n_train = int(len(labeled) * TRAIN_FRACTION)
    x_train, y_train, x_test, y_test = x[:n_train], y[:n_train], x[n_train:], y[n_train:]

    # Logistic regression beat gradient-boosted trees (150 x depth 3: AUC 0.643) on this split; the
    # features are already scaled and one-hot encoded by the spec.
    model = LogisticRegression(C=0.1, max_iter=2000, random_state=SEED)
    model.fit(x_train, y_train)
    n_features = x.shape[1]
    onx = finalize(
        sklearn_to_onnx(model, n_features, 2),
        "flights-delay: P(departure delay > 15 min) from features/flights-delay features.json",
    )
    path = save_model(onx, MODELS, NAME, 1)

    probabilities = session(path).run(["probabilities"], {"input": x_test})[0][:, 1]
    predicted = (probabilities >= 0.5).astype(np.int64)
    majority = int(np.bincount(y_train).argmax())
    metrics = {
        "split": f"time-ordered: first {n_train} labeled rows train, last {len(y_test)} test",
        "rows": {"train": n_train, "test": int(len(y_test))},
        "positive_rate_test": float(y_test.mean()),
        "auc": round(float(roc_auc_score(y_test, probabilities)), 5),
        "accuracy": round(float(accuracy_score(y_test, predicted)), 5),
        "baseline_majority_class": majority,
        "baseline_accuracy": round(float((y_test == majority).mean()), 5),
        "columns": n_features,
    }
    write_json(MODELS / NAME / "testdata" / "metrics.json", metrics)
    write_json(
        MODELS / NAME / "config.json",
        config(
            NAME,
            "Whether a flight departs more than 15 minutes late (vega-datasets flights, 2001). Logistic regression on "
            "the features of features.json: distance, hour, weekday, airports, and per-airport point-in-time delays.",
            64,
            input=[tensor("input", "FP32", [n_features])],
            output=[tensor("label", "INT64", []), tensor("probabilities", "FP32", [2])],
            dynamic_batching={"max_queue_delay_microseconds": 200, "max_queue_size": 2048},
            session=single_thread_session(),
            warmup={"batch_sizes": [1, 64], "iterations": 1},
            cache={"enabled": True, "ttl_seconds": 300},
        ),
    )
    print(json.dumps(metrics, indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("split")
    s.add_argument("--flights", type=Path, required=True)
    s.add_argument("--events", type=Path, required=True)
    s.add_argument("--predict-input", type=Path, required=True)
    t = sub.add_parser("train")
    t.add_argument("--matrix", type=Path, required=True)
    args = parser.parse_args()
    if args.command == "split":
        split(args.flights, args.events, args.predict_input)
    else:
        train(args.matrix)


if __name__ == "__main__":
    main()

"""Builds the bundled model repository (models/) and the fault-test fixtures (test/fixtures/models/).

Everything is seeded, so a rebuild gives the same models and the same recorded accuracies; only the
measured timings in the profiles change from run to run. Run from anywhere:

    pip install -r models/scripts/requirements.txt && python models/scripts/build_models.py

The .onnx files are committed: neither the service nor its tests need Python.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from skl2onnx import to_onnx
from skl2onnx.common.data_types import FloatTensorType, Int64TensorType
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "models"
FIXTURES = ROOT / "test" / "fixtures" / "models"

# onnxruntime-node in the service may be older than the Python onnxruntime used here, so pin the
# opsets and IR version to ones every onnxruntime >= 1.14 runs.
OPSET = 17
ML_OPSET = 3
IR_VERSION = 8
TARGET_OPSET = {"": OPSET, "ai.onnx.ml": ML_OPSET}

SEED = 42
BATCH = "batch"


# ---------------------------------------------------------------- helpers


def finalize(model: onnx.ModelProto, doc: str) -> onnx.ModelProto:
    """Pins the IR version, names dynamic leading dimensions and checks the graph."""
    model.ir_version = IR_VERSION
    model.producer_name = "ml-platform/models/scripts/build_models.py"
    model.doc_string = doc
    # skl2onnx collects opsets in a set; sort them so rebuilds are byte-for-byte identical.
    opsets = sorted(((o.domain, o.version) for o in model.opset_import))
    del model.opset_import[:]
    model.opset_import.extend(helper.make_opsetid(domain, version) for domain, version in opsets)
    for value in list(model.graph.input) + list(model.graph.output):
        dims = value.type.tensor_type.shape.dim
        if dims and not dims[0].HasField("dim_value"):
            dims[0].dim_param = BATCH
    onnx.checker.check_model(model, full_check=True)
    return model


def save_model(model: onnx.ModelProto, repo: Path, name: str, version: int) -> Path:
    path = repo / name / str(version) / "model.onnx"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(model.SerializeToString())
    return path


PRINT_WIDTH = 110  # the repository's prettier printWidth


def to_json(value: object, indent: int = 0, prefix: int = 0) -> str:
    """JSON laid out the way prettier lays it out, so the written files pass `prettier --check`:
    objects expanded, arrays of scalars on one line when they fit."""
    pad = " " * (indent + 2)
    if isinstance(value, dict) and value:
        items = [f"{pad}{json.dumps(k)}: {to_json(v, indent + 2, len(pad) + len(json.dumps(k)) + 2)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    if isinstance(value, list) and value:
        inline = "[" + ", ".join(json.dumps(v) for v in value) + "]"
        scalars = all(not isinstance(v, (dict, list)) for v in value)
        if scalars and prefix + len(inline) + 1 <= PRINT_WIDTH:
            return inline
        return "[\n" + ",\n".join(pad + to_json(v, indent + 2, len(pad)) for v in value) + "\n" + " " * indent + "]"
    return json.dumps(value)


def write_json(path: Path, data: object, compact_rows: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if compact_rows:
        # One row per line keeps the held-out splits reviewable in a diff (prettier skips models/**/*.json).
        text = json.dumps(data, separators=(",", ":"))
        text = text.replace("],[", "],\n[")
    else:
        text = to_json(data)
    path.write_text(text + "\n")


def session(path: Path, threads: int = 1) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def sklearn_to_onnx(estimator, n_features: int, n_classes: int, rows: int | None = None) -> onnx.ModelProto:
    """skl2onnx with plain tensors out (no ZipMap), named `label` and `probabilities`."""
    return to_onnx(
        estimator,
        initial_types=[("input", FloatTensorType([rows, n_features]))],
        final_types=[
            ("label", Int64TensorType([rows])),
            ("probabilities", FloatTensorType([rows, n_classes])),
        ],
        options={id(estimator): {"zipmap": False}},
        target_opset=TARGET_OPSET,
    )


def onnx_accuracy(path: Path, feeds_name: str, inputs: np.ndarray, labels: np.ndarray) -> dict:
    sess = session(path)
    predicted = sess.run(["label"], {feeds_name: inputs})[0]
    correct = int((predicted == labels).sum())
    return {"accuracy": correct / len(labels), "correct": correct}


def time_runs(path: Path, feeds: dict, iterations: int) -> float:
    """Median wall time in ms of one run, with intra_op_num_threads=1."""
    sess = session(path)
    for _ in range(3):
        sess.run(None, feeds)
    samples = []
    for _ in range(iterations):
        start = time.perf_counter()
        sess.run(None, feeds)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def config(name: str, description: str, max_batch_size: int, **rest) -> dict:
    return {"name": name, "description": description, "max_batch_size": max_batch_size, **rest}


def single_thread_session(**extra) -> dict:
    return {"intra_op_num_threads": 1, "inter_op_num_threads": 1, "graph_optimization_level": "all", **extra}


# Dynamic batching of the batched classifiers: a short wait, since one run costs little.
CLASSIFIER_BATCHING = {"max_queue_delay_microseconds": 500, "preferred_batch_size": [16, 32, 64], "max_queue_size": 2048}


def tensor(name: str, datatype: str, dims: list[int]) -> dict:
    return {"name": name, "datatype": datatype, "dims": dims}


# ---------------------------------------------------------------- bundled models


def reference_profile(x_train: np.ndarray, input_name: str, feature_names, bins: int = 10) -> dict:
    """Per-feature decile bins of the training data, for PSI drift scoring (service/src/drift/psi.ts).

    A value x falls in bin searchsorted(edges, x, side="right"), the same rule as the service's binIndex.
    """
    features = []
    for j, name in enumerate(feature_names):
        column = x_train[:, j].astype(np.float32).astype(np.float64)
        edges = np.unique(np.quantile(column, np.linspace(0, 1, bins + 1)[1:-1]).astype(np.float32)).astype(float)
        counts = np.bincount(np.searchsorted(edges, column, side="right"), minlength=len(edges) + 1)
        features.append(
            {"name": str(name), "edges": edges.tolist(), "expected": (counts / counts.sum()).round(6).tolist()}
        )
    return {"input": input_name, "features": features}


def build_breast_cancer() -> None:
    data = load_breast_cancer()
    x_train, x_test, y_train, y_test = train_test_split(
        data.data, data.target, test_size=0.25, stratify=data.target, random_state=SEED
    )
    x_test32 = x_test.astype(np.float32)
    n_features, n_classes = x_train.shape[1], len(data.target_names)

    versions = {
        1: ("StandardScaler + LogisticRegression", make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))),
        2: (
            "RandomForestClassifier(50 trees, max_depth 6)",
            RandomForestClassifier(n_estimators=50, max_depth=6, random_state=SEED),
        ),
    }
    metrics: dict = {}
    for version, (kind, estimator) in versions.items():
        estimator.fit(x_train, y_train)
        model = finalize(
            sklearn_to_onnx(estimator, n_features, n_classes),
            f"breast-cancer v{version}: {kind} on sklearn load_breast_cancer (0=malignant, 1=benign)",
        )
        path = save_model(model, MODELS, "breast-cancer", version)
        metrics[str(version)] = {"model": kind, **onnx_accuracy(path, "input", x_test32, y_test)}
    metrics["n"] = len(y_test)

    write_json(
        MODELS / "breast-cancer" / "testdata" / "test.json",
        {"inputs": x_test.tolist(), "labels": y_test.tolist()},
        compact_rows=True,
    )
    write_json(MODELS / "breast-cancer" / "testdata" / "metrics.json", metrics)
    write_json(
        MODELS / "breast-cancer" / "reference-profile.json",
        reference_profile(x_train, "input", data.feature_names),
    )

    signature_in = [tensor("input", "FP32", [n_features])]
    # Class names by index, for the classification extension (sklearn: 0 = malignant, 1 = benign).
    signature_out = [
        tensor("label", "INT64", []),
        {**tensor("probabilities", "FP32", [n_classes]), "label_filename": "labels.txt"},
    ]
    for name in ("breast-cancer", "breast-cancer-lite"):
        (MODELS / name).mkdir(parents=True, exist_ok=True)
        (MODELS / name / "labels.txt").write_text("".join(f"{label}\n" for label in data.target_names))
    write_json(
        MODELS / "breast-cancer" / "config.json",
        config(
            "breast-cancer",
            "Breast-cancer (Wisconsin diagnostic) classifier trained on scikit-learn's bundled dataset. "
            "Input: 30 FP32 features per row. Outputs: label (0=malignant, 1=benign) and class "
            "probabilities. v1 StandardScaler+LogisticRegression, v2 RandomForest.",
            64,
            input=signature_in,
            output=signature_out,
            version_policy={"latest": {"num_versions": 2}},
            dynamic_batching=CLASSIFIER_BATCHING,
            session=single_thread_session(),
            warmup={"batch_sizes": [1, 64], "iterations": 2},
            cache={"enabled": True, "ttl_seconds": 300},
            fallback={"model": "breast-cancer-lite", "use_cache": True},
            circuit_breaker={
                "error_threshold_percentage": 50,
                "volume_threshold": 10,
                "reset_timeout_ms": 5000,
                "rolling_count_timeout_ms": 10000,
            },
            sla={"p99_latency_ms": 50},
            traffic={"stable": "1", "canary": {"version": "2", "weight_pct": 10}},
            drift={"reference_profile": "reference-profile.json", "window_rows": 500, "psi_threshold": 0.25},
        ),
    )

    # The fallback: a depth-2 tree is three comparisons per row, trained on the same split.
    tree = DecisionTreeClassifier(max_depth=2, random_state=SEED).fit(x_train, y_train)
    model = finalize(
        sklearn_to_onnx(tree, n_features, n_classes),
        "breast-cancer-lite v1: DecisionTreeClassifier(max_depth 2), fallback for breast-cancer",
    )
    path = save_model(model, MODELS, "breast-cancer-lite", 1)
    write_json(
        MODELS / "breast-cancer-lite" / "testdata" / "metrics.json",
        {
            "1": {"model": "DecisionTreeClassifier(max_depth 2)", **onnx_accuracy(path, "input", x_test32, y_test)},
            "n": len(y_test),
            "test_split": "../../breast-cancer/testdata/test.json",
        },
    )
    write_json(
        MODELS / "breast-cancer-lite" / "config.json",
        config(
            "breast-cancer-lite",
            "Cheap fallback for breast-cancer with the same signature: a depth-2 decision tree trained on "
            "the same split of scikit-learn's breast-cancer dataset. Less accurate, never slow.",
            64,
            input=signature_in,
            output=signature_out,
            dynamic_batching={"max_queue_delay_microseconds": 200, "max_queue_size": 2048},
            session=single_thread_session(),
            warmup={"batch_sizes": [1, 64], "iterations": 1},
            cache={"enabled": True, "ttl_seconds": 300},
        ),
    )


HEAVY_IN, HEAVY_HIDDEN, HEAVY_LAYERS, HEAVY_OUT = 256, 2048, 2, 16


def dense_relu_chain(rng: np.random.Generator, widths: list[int], prefix: str, inp: str):
    """Gemm(+ReLU between layers) nodes and He-initialised weights for the given layer widths.

    The weights are stored as FP16 and cast to FP32 in the graph: that halves the file, and
    onnxruntime's constant folding (any optimisation level but `disabled`) runs the casts once at load.
    """
    nodes, inits = [], []
    current = inp
    for i, (fan_in, fan_out) in enumerate(zip(widths, widths[1:])):
        w = (rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)).astype(np.float16)
        b = (rng.standard_normal(fan_out) * 0.01).astype(np.float32)
        inits += [numpy_helper.from_array(w, f"{prefix}{i}_w16"), numpy_helper.from_array(b, f"{prefix}{i}_b")]
        nodes.append(helper.make_node("Cast", [f"{prefix}{i}_w16"], [f"{prefix}{i}_w"], to=TensorProto.FLOAT))
        out = f"{prefix}{i}_out"
        nodes.append(helper.make_node("Gemm", [current, f"{prefix}{i}_w", f"{prefix}{i}_b"], [out]))
        current = out
        if i < len(widths) - 2:
            nodes.append(helper.make_node("Relu", [current], [f"{prefix}{i}_relu"]))
            current = f"{prefix}{i}_relu"
    return nodes, inits, current


def build_heavy_mlp() -> dict:
    rng = np.random.default_rng(SEED)
    widths = [HEAVY_IN] + [HEAVY_HIDDEN] * (HEAVY_LAYERS + 1) + [HEAVY_OUT]
    nodes, inits, last = dense_relu_chain(rng, widths, "fc", "input")
    nodes.append(helper.make_node("Identity", [last], ["output"]))
    graph = helper.make_graph(
        nodes,
        "heavy_mlp",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [BATCH, HEAVY_IN])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [BATCH, HEAVY_OUT])],
        inits,
    )
    params = sum(int(np.prod(t.dims)) for t in inits)
    model = finalize(
        helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)]),
        f"heavy-mlp: {len(widths) - 1} dense layers {widths}, {params} SYNTHETIC seeded random weights",
    )
    helper.set_model_props(model, {"synthetic_weights": "true", "seed": str(SEED)})
    path = save_model(model, MODELS, "heavy-mlp", 1)

    profile = {"parameters": params, "threads": 1, "batches": {}}
    x = np.random.default_rng(SEED + 1).standard_normal((64, HEAVY_IN)).astype(np.float32)
    for batch in (1, 8, 32, 64):
        ms = time_runs(path, {"input": x[:batch]}, iterations=400 if batch == 1 else 100)
        profile["batches"][str(batch)] = {"run_ms": round(ms, 4), "per_row_ms": round(ms / batch, 4)}
    write_json(MODELS / "heavy-mlp" / "testdata" / "profile.json", profile)

    write_json(
        MODELS / "heavy-mlp" / "config.json",
        config(
            "heavy-mlp",
            f"Compute-heavy MLP for batching work: {len(widths) - 1} dense layers {widths} with ReLU. "
            "The weights are SYNTHETIC (seeded random, He initialisation); the outputs mean nothing. "
            "Weights are stored as FP16 and cast to FP32 by constant folding at load, so keep graph "
            "optimisation on. About 1 ms per row at batch 1 on one thread (the weights do not fit in "
            "cache), several times less per row when batched.",
            64,
            input=[tensor("input", "FP32", [HEAVY_IN])],
            output=[tensor("output", "FP32", [HEAVY_OUT])],
            dynamic_batching={
                "max_queue_delay_microseconds": 2000,
                "preferred_batch_size": [16, 32, 64],
                "max_queue_size": 4096,
            },
            session=single_thread_session(),
            warmup={"batch_sizes": [1, 16, 32, 64], "iterations": 2},
            cache={"enabled": False, "ttl_seconds": 300},
            sla={"p99_latency_ms": 50},
        ),
    )
    return profile


def build_digits() -> None:
    """No batch dimension and a UINT8 input: the graph casts and reshapes before the classifier."""
    data = load_digits()
    pixels = data.data.astype(np.uint8)  # 8x8 images with intensities 0..16
    x_train, x_test, y_train, y_test = train_test_split(
        pixels, data.target, test_size=0.25, stratify=data.target, random_state=SEED
    )
    n_features, n_classes = pixels.shape[1], len(data.target_names)
    estimator = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(
        x_train.astype(np.float32), y_train
    )
    clf = sklearn_to_onnx(estimator, n_features, n_classes, rows=1)

    # Rename the classifier's input and feed it from a UINT8 [64] vector.
    graph = clf.graph
    for node in graph.node:
        node.input[:] = ["features" if i == "input" else i for i in node.input]
    del graph.input[:]
    graph.input.append(helper.make_tensor_value_info("pixels", TensorProto.UINT8, [n_features]))
    graph.initializer.append(numpy_helper.from_array(np.array([1, n_features], dtype=np.int64), "features_shape"))
    preprocess = [
        helper.make_node("Cast", ["pixels"], ["pixels_f"], to=TensorProto.FLOAT),
        helper.make_node("Reshape", ["pixels_f", "features_shape"], ["features"]),
    ]
    for i, node in enumerate(preprocess):
        graph.node.insert(i, node)
    del graph.output[:]
    graph.output.extend(
        [
            helper.make_tensor_value_info("label", TensorProto.INT64, [1]),
            helper.make_tensor_value_info("scores", TensorProto.FLOAT, [1, n_classes]),
        ]
    )
    # skl2onnx names the probability tensor `probabilities`; expose it as `scores`.
    for node in graph.node:
        node.output[:] = ["scores" if o == "probabilities" else o for o in node.output]
    model = finalize(clf, "digits v1: StandardScaler + LogisticRegression on sklearn load_digits (8x8, 0..16)")
    path = save_model(model, MODELS, "digits", 1)

    sess = session(path)
    predicted = np.array([sess.run(["label"], {"pixels": row})[0][0] for row in x_test])
    correct = int((predicted == y_test).sum())
    write_json(
        MODELS / "digits" / "testdata" / "test.json",
        {"inputs": x_test.tolist(), "labels": y_test.tolist()},
        compact_rows=True,
    )
    write_json(
        MODELS / "digits" / "testdata" / "metrics.json",
        {"1": {"model": "StandardScaler + LogisticRegression", "accuracy": correct / len(y_test), "correct": correct}, "n": len(y_test)},
    )
    write_json(
        MODELS / "digits" / "config.json",
        config(
            "digits",
            "Handwritten-digit classifier trained on scikit-learn's bundled digits dataset. No batch "
            "dimension: one UINT8 image of 64 pixels (8x8, values 0..16) per request. Outputs: label "
            "(INT64 [1]) and class probabilities (scores, FP32 [1,10]).",
            0,
            input=[tensor("pixels", "UINT8", [n_features])],
            output=[tensor("label", "INT64", [1]), tensor("scores", "FP32", [1, n_classes])],
            session=single_thread_session(),
            warmup={"batch_sizes": [1], "iterations": 2},
            cache={"enabled": True, "ttl_seconds": 300},
        ),
    )


DIGITS_MLP_HIDDEN = (1024, 1024)
CALIBRATION_ROWS = 128


def build_digits_mlp() -> None:
    """A MatMul-heavy classifier on real data, for model optimisation (models/optimize).

    Same images and split as `digits`, but batched FP32 rows and an MLP 64 -> 1024 -> 1024 -> 10 whose
    three matrix products (1.1 M weights) dominate its run time. `testdata/calibration.json` holds
    training rows (never held-out ones) for static INT8 calibration.
    """
    data = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(
        data.data.astype(np.float32), data.target, test_size=0.25, stratify=data.target, random_state=SEED
    )
    n_features, n_classes = x_train.shape[1], len(data.target_names)
    mlp = MLPClassifier(hidden_layer_sizes=DIGITS_MLP_HIDDEN, max_iter=200, random_state=SEED)
    estimator = make_pipeline(StandardScaler(), mlp).fit(x_train, y_train)
    kind = f"StandardScaler + MLPClassifier{DIGITS_MLP_HIDDEN} (ReLU)"
    model = finalize(
        sklearn_to_onnx(estimator, n_features, n_classes),
        f"digits-mlp v1: {kind} on sklearn load_digits (8x8, 0..16), FP32",
    )
    path = save_model(model, MODELS, "digits-mlp", 1)

    rows = np.random.default_rng(SEED).choice(len(x_train), CALIBRATION_ROWS, replace=False)
    write_json(
        MODELS / "digits-mlp" / "testdata" / "test.json",
        {"inputs": x_test.astype(int).tolist(), "labels": y_test.tolist()},
        compact_rows=True,
    )
    write_json(
        MODELS / "digits-mlp" / "testdata" / "calibration.json",
        {"inputs": x_train[np.sort(rows)].astype(int).tolist()},
        compact_rows=True,
    )
    write_json(
        MODELS / "digits-mlp" / "testdata" / "metrics.json",
        {"1": {"model": kind, **onnx_accuracy(path, "input", x_test, y_test)}, "n": len(y_test)},
    )
    write_json(
        MODELS / "digits-mlp" / "config.json",
        config(
            "digits-mlp",
            "Handwritten-digit classifier on scikit-learn's bundled digits dataset: an MLP "
            f"{[n_features, *DIGITS_MLP_HIDDEN, n_classes]} with ReLU, MatMul-heavy on purpose (model "
            "optimisation). Input: 64 FP32 pixels (8x8, 0..16) per row. Outputs: label and class "
            "probabilities.",
            64,
            input=[tensor("input", "FP32", [n_features])],
            output=[tensor("label", "INT64", []), tensor("probabilities", "FP32", [n_classes])],
            dynamic_batching=CLASSIFIER_BATCHING,
            session=single_thread_session(),
            warmup={"batch_sizes": [1, 32], "iterations": 1},
            cache={"enabled": False, "ttl_seconds": 300},
            optimization={"max_metric_drop": 0.005, "min_agreement": 0.99, "canary_weight_pct": 10},
        ),
    )


# ---------------------------------------------------------------- fault-test fixtures

FLAKY_TABLE = np.arange(10, dtype=np.float32) / 10  # table[i] = i / 10


def flaky_graph(name: str, always_in_range: bool) -> onnx.ModelProto:
    nodes = []
    index = "index"
    if always_in_range:
        # Integer Mod takes the divisor's sign, so every index lands in 0..9.
        nodes.append(helper.make_node("Mod", ["index", "table_size"], ["index_in_range"], fmod=0))
        index = "index_in_range"
    nodes.append(helper.make_node("Gather", ["table", index], ["gathered"], axis=0))
    nodes.append(helper.make_node("Identity", ["gathered"], ["value"]))
    graph = helper.make_graph(
        nodes,
        name.replace("-", "_"),
        [helper.make_tensor_value_info("index", TensorProto.INT64, [BATCH, 1])],
        [helper.make_tensor_value_info("value", TensorProto.FLOAT, [BATCH, 1])],
        [numpy_helper.from_array(FLAKY_TABLE, "table")],
    )
    if always_in_range:
        graph.initializer.append(numpy_helper.from_array(np.array(len(FLAKY_TABLE), dtype=np.int64), "table_size"))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])


def build_flaky() -> dict:
    flaky = finalize(
        flaky_graph("flaky", always_in_range=False),
        "flaky: value = table[index] over a 10-entry table; onnxruntime fails the run for index outside [-10, 9]",
    )
    flaky_path = save_model(flaky, FIXTURES, "flaky", 1)
    fallback = finalize(
        flaky_graph("flaky-fallback", always_in_range=True),
        "flaky-fallback: value = table[index mod 10]; same signature as flaky, never fails",
    )
    fallback_path = save_model(fallback, FIXTURES, "flaky-fallback", 1)

    # Prove the failure mode rather than assume it.
    sess, fb = session(flaky_path), session(fallback_path)
    failing, working = [], []
    for i in range(-12, 13):
        feed = {"index": np.array([[i]], dtype=np.int64)}
        try:
            value = sess.run(None, feed)[0]
            working.append(i)
            assert np.allclose(value, fb.run(None, feed)[0]), f"flaky and flaky-fallback disagree at {i}"
        except Exception:  # onnxruntime raises a plain RuntimeException (INVALID_ARGUMENT)
            failing.append(i)
    assert working == list(range(-10, 10)), working
    fb.run(None, {"index": np.array([[10], [-11], [12345]], dtype=np.int64)})
    try:
        sess.run(None, {"index": np.array([[1], [10]], dtype=np.int64)})
        raise AssertionError("flaky should fail a batch holding one bad index")
    except Exception as err:  # noqa: BLE001
        if isinstance(err, AssertionError):
            raise
        message = str(err)

    common = dict(
        input=[tensor("index", "INT64", [1])],
        output=[tensor("value", "FP32", [1])],
        dynamic_batching={"max_queue_delay_microseconds": 1000, "preferred_batch_size": [8], "max_queue_size": 64},
        session=single_thread_session(),
    )
    write_json(
        FIXTURES / "flaky" / "config.json",
        config(
            "flaky",
            "Fault fixture: value = table[index] for a 10-entry table (table[i] = i/10). Runs fail for "
            "index >= 10 or index < -10 (onnxruntime Gather bounds check); -10..-1 wrap around.",
            8,
            **common,
            fallback={"model": "flaky-fallback", "use_cache": False},
            circuit_breaker={
                "error_threshold_percentage": 50,
                "volume_threshold": 4,
                "reset_timeout_ms": 500,
                "rolling_count_timeout_ms": 5000,
            },
        ),
    )
    write_json(
        FIXTURES / "flaky-fallback" / "config.json",
        config(
            "flaky-fallback",
            "Fault fixture: the fallback for flaky. Same signature; value = table[index mod 10], so it "
            "agrees with flaky on -10..9 and never fails.",
            8,
            **common,
        ),
    )
    return {"failing_probe": failing, "working": [working[0], working[-1]], "error": message}


FLAKY_SLOW_WIDTH, FLAKY_SLOW_STEPS = 256, 24


def build_flaky_slow() -> dict:
    """flaky-fallback's answers, slower: a canary version that is only slower than its stable one.

    The index also feeds a chain of 256x256 matmuls whose result is multiplied by zero and added to
    the looked-up value, so the answer stays table[index mod 10] while every run pays the chain.
    """
    rng = np.random.default_rng(SEED + 4)
    w = (rng.standard_normal((FLAKY_SLOW_WIDTH, FLAKY_SLOW_WIDTH)) / np.sqrt(FLAKY_SLOW_WIDTH)).astype(np.float32)
    nodes = [
        helper.make_node("Mod", ["index", "table_size"], ["index_in_range"], fmod=0),
        helper.make_node("Gather", ["table", "index_in_range"], ["gathered"], axis=0),
        helper.make_node("Cast", ["index"], ["index_f"], to=TensorProto.FLOAT),
        helper.make_node("MatMul", ["index_f", "ones_row"], ["m0"]),  # [B, 256]
        # [B, 256] -> [B, 256, 256], so that each step is a real 256x256 matmul per row.
        helper.make_node("Unsqueeze", ["m0", "axis_last"], ["column"]),
        helper.make_node("MatMul", ["column", "ones_row"], ["c0"]),
    ]
    for i in range(FLAKY_SLOW_STEPS):
        nodes.append(helper.make_node("MatMul", [f"c{i}", "w"], [f"p{i}"]))
        nodes.append(helper.make_node("Tanh", [f"p{i}"], [f"c{i + 1}"]))
    nodes += [
        helper.make_node("ReduceMean", [f"c{FLAKY_SLOW_STEPS}"], ["pooled"], axes=[1, 2], keepdims=0),
        helper.make_node("Unsqueeze", ["pooled", "axis_one"], ["pooled_col"]),
        helper.make_node("Mul", ["pooled_col", "zero"], ["nothing"]),
        helper.make_node("Add", ["gathered", "nothing"], ["value"]),
    ]
    graph = helper.make_graph(
        nodes,
        "flaky_slow",
        [helper.make_tensor_value_info("index", TensorProto.INT64, [BATCH, 1])],
        [helper.make_tensor_value_info("value", TensorProto.FLOAT, [BATCH, 1])],
        [
            numpy_helper.from_array(FLAKY_TABLE, "table"),
            numpy_helper.from_array(np.array(len(FLAKY_TABLE), dtype=np.int64), "table_size"),
            numpy_helper.from_array(np.ones((1, FLAKY_SLOW_WIDTH), dtype=np.float32), "ones_row"),
            numpy_helper.from_array(np.array([2], dtype=np.int64), "axis_last"),
            numpy_helper.from_array(np.array([1], dtype=np.int64), "axis_one"),
            numpy_helper.from_array(np.array(0, dtype=np.float32), "zero"),
            numpy_helper.from_array(w, "w"),
        ],
    )
    model = finalize(
        helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)]),
        "flaky-slow: value = table[index mod 10] like flaky-fallback, after "
        f"{FLAKY_SLOW_STEPS} chained {FLAKY_SLOW_WIDTH}x{FLAKY_SLOW_WIDTH} matmuls per row",
    )
    path = save_model(model, FIXTURES, "flaky-slow", 1)
    sess, fb = session(path), session(FIXTURES / "flaky-fallback" / "1" / "model.onnx")
    probe = {"index": np.arange(-12, 13, dtype=np.int64).reshape(-1, 1)}
    assert np.allclose(sess.run(None, probe)[0], fb.run(None, probe)[0]), "flaky-slow and flaky-fallback disagree"
    timings = {str(b): round(time_runs(path, {"index": probe["index"][:b]}, iterations=15), 2) for b in (1, 8)}
    write_json(
        FIXTURES / "flaky-slow" / "config.json",
        config(
            "flaky-slow",
            "Fault fixture for canary latency: flaky-fallback's answers (value = table[index mod 10]) after "
            f"{FLAKY_SLOW_STEPS} chained {FLAKY_SLOW_WIDTH}x{FLAKY_SLOW_WIDTH} matmuls per row; one row takes "
            "about 20 ms on one thread.",
            8,
            input=[tensor("index", "INT64", [1])],
            output=[tensor("value", "FP32", [1])],
            dynamic_batching={"max_queue_delay_microseconds": 1000, "preferred_batch_size": [8], "max_queue_size": 64},
            session=single_thread_session(),
        ),
    )
    return {"run_ms_by_batch": timings}


SLOW_WIDTH, SLOW_STEPS, SLOW_OUT = 512, 24, 8


def build_slow() -> dict:
    """Each row becomes a 512x512 matrix pushed through a chain of matmuls with one shared weight."""
    rng = np.random.default_rng(SEED + 2)
    w = (rng.standard_normal((SLOW_WIDTH, SLOW_WIDTH)) / np.sqrt(SLOW_WIDTH)).astype(np.float32)
    w_out = (rng.standard_normal((SLOW_WIDTH, SLOW_OUT)) / np.sqrt(SLOW_WIDTH)).astype(np.float32)
    nodes = [
        helper.make_node("Unsqueeze", ["input", "axis_last"], ["column"]),
        helper.make_node("MatMul", ["column", "ones_row"], ["m0"]),  # [B, 512, 512] outer product
    ]
    for i in range(SLOW_STEPS):
        nodes.append(helper.make_node("MatMul", [f"m{i}", "w"], [f"p{i}"]))
        nodes.append(helper.make_node("Tanh", [f"p{i}"], [f"m{i + 1}"]))
    nodes.append(helper.make_node("ReduceMean", [f"m{SLOW_STEPS}"], ["pooled"], axes=[2], keepdims=0))
    nodes.append(helper.make_node("MatMul", ["pooled", "w_out"], ["output"]))
    graph = helper.make_graph(
        nodes,
        "slow",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [BATCH, SLOW_WIDTH])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [BATCH, SLOW_OUT])],
        [
            numpy_helper.from_array(np.array([2], dtype=np.int64), "axis_last"),
            numpy_helper.from_array(np.ones((1, SLOW_WIDTH), dtype=np.float32), "ones_row"),
            numpy_helper.from_array(w, "w"),
            numpy_helper.from_array(w_out, "w_out"),
        ],
    )
    model = finalize(
        helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)]),
        f"slow: {SLOW_STEPS} chained {SLOW_WIDTH}x{SLOW_WIDTH} matmuls per row, synthetic weights",
    )
    path = save_model(model, FIXTURES, "slow", 1)
    x = np.random.default_rng(SEED + 3).standard_normal((4, SLOW_WIDTH)).astype(np.float32)
    timings = {str(b): round(time_runs(path, {"input": x[:b]}, iterations=15), 2) for b in (1, 4)}
    write_json(
        FIXTURES / "slow" / "config.json",
        config(
            "slow",
            f"Fault fixture for deadlines: {SLOW_STEPS} chained {SLOW_WIDTH}x{SLOW_WIDTH} matmuls per row "
            "(synthetic weights); one row takes tens of milliseconds on one thread.",
            4,
            input=[tensor("input", "FP32", [SLOW_WIDTH])],
            output=[tensor("output", "FP32", [SLOW_OUT])],
            dynamic_batching={"max_queue_delay_microseconds": 1000, "max_queue_size": 16},
            session=single_thread_session(),
            warmup={"batch_sizes": [1], "iterations": 1},
        ),
    )
    return {"run_ms_by_batch": timings}


def build_broken() -> None:
    # Deterministic bytes that are not a protobuf onnxruntime can parse.
    garbage = b"this is not an ONNX model\n" + np.random.default_rng(SEED).integers(0, 256, 2048, dtype=np.uint8).tobytes()
    path = FIXTURES / "corrupt" / "1" / "model.onnx"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(garbage)
    try:
        ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        raise AssertionError("corrupt/1/model.onnx must not load")
    except Exception as err:  # noqa: BLE001
        if isinstance(err, AssertionError):
            raise
    write_json(
        FIXTURES / "corrupt" / "config.json",
        config(
            "corrupt",
            "Fault fixture: a valid config whose model.onnx is garbage bytes; its load must fail clearly.",
            8,
        ),
    )

    # A valid model (FP32 [-1,4] -> FP32 [-1,4], doubled) whose config claims an INT32 input.
    graph = helper.make_graph(
        [helper.make_node("Add", ["input", "input"], ["output"])],
        "incompatible",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [BATCH, 4])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [BATCH, 4])],
    )
    model = finalize(
        helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)]),
        "incompatible: output = 2 * input, FP32 [batch, 4]; its config contradicts this on purpose",
    )
    save_model(model, FIXTURES, "incompatible", 1)
    write_json(
        FIXTURES / "incompatible" / "config.json",
        config(
            "incompatible",
            "Fault fixture: the ONNX model takes input FP32 [batch, 4], but this config narrows it to "
            "INT32, which contradicts the model; the loader must reject the version.",
            8,
            input=[tensor("input", "INT32", [4])],
            output=[tensor("output", "FP32", [4])],
        ),
    )


def build_int8_fragile() -> dict:
    """Two classes whose weight columns differ by about 1/1000 of the largest weight: INT8 weights
    (step = largest / 127) cannot tell them apart, so quantising flips about half the labels. The
    largest weight multiplies a feature that is always 0, so FP32 predictions do not depend on it.
    Held-out labels are the FP32 model's own predictions (accuracy 1 by construction)."""
    rng = np.random.default_rng(SEED + 4)
    w0 = rng.standard_normal(8).astype(np.float32)
    w = np.stack([w0, w0 + 0.002 * rng.standard_normal(8).astype(np.float32)], axis=1)
    w[7] = [50.0, 50.0]
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["input", "w"], ["scores"]),
            helper.make_node("ArgMax", ["scores"], ["label"], axis=1, keepdims=0),
        ],
        "int8_fragile",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [BATCH, 8])],
        [
            helper.make_tensor_value_info("label", TensorProto.INT64, [BATCH]),
            helper.make_tensor_value_info("scores", TensorProto.FLOAT, [BATCH, 2]),
        ],
        [numpy_helper.from_array(w, "w")],
    )
    model = finalize(
        helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)]),
        "int8-fragile: 2 near-tied classes whose weights INT8 cannot separate (synthetic)",
    )
    path = save_model(model, FIXTURES, "int8-fragile", 1)
    x = rng.uniform(0, 1, (200, 8)).astype(np.float32)
    x[:, 7] = 0
    labels = session(path).run(["label"], {"input": x})[0]
    write_json(
        FIXTURES / "int8-fragile" / "testdata" / "test.json",
        {"inputs": x.tolist(), "labels": labels.tolist()},
        compact_rows=True,
    )
    write_json(
        FIXTURES / "int8-fragile" / "config.json",
        config(
            "int8-fragile",
            "Fault fixture for model optimisation: a synthetic 2-class linear model whose classes INT8 "
            "cannot tell apart, so quantisation fails the accuracy gate.",
            64,
            input=[tensor("input", "FP32", [8])],
            output=[tensor("label", "INT64", []), tensor("scores", "FP32", [2])],
            session=single_thread_session(),
            optimization={"max_metric_drop": 0.005, "min_agreement": 0.99},
        ),
    )
    return {"class_1_share": float(labels.mean())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["bundled", "fixtures"], help="build just one of the two repositories")
    args = parser.parse_args()
    np.random.seed(SEED)
    ort.set_default_logger_severity(4)  # the flaky and corrupt probes log expected errors
    if args.only != "fixtures":
        build_breast_cancer()
        build_digits()
        build_digits_mlp()
        heavy = build_heavy_mlp()
        print("breast-cancer metrics:", (MODELS / "breast-cancer/testdata/metrics.json").read_text())
        print("breast-cancer-lite metrics:", (MODELS / "breast-cancer-lite/testdata/metrics.json").read_text())
        print("digits metrics:", (MODELS / "digits/testdata/metrics.json").read_text())
        print("digits-mlp metrics:", (MODELS / "digits-mlp/testdata/metrics.json").read_text())
        print("heavy-mlp profile (1 thread):", json.dumps(heavy, indent=2))
    if args.only != "bundled":
        print("flaky:", json.dumps(build_flaky(), indent=2))
        print("slow:", json.dumps(build_slow(), indent=2))
        print("flaky-slow:", json.dumps(build_flaky_slow(), indent=2))
        build_broken()
        print("corrupt + incompatible: written")
        print("int8-fragile:", json.dumps(build_int8_fragile()))


if __name__ == "__main__":
    main()

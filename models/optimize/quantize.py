"""INT8 quantisation with onnxruntime's own quantiser, for `npm run model:optimize` (models/optimize/cli.ts).

    quantize.py --mode dynamic|static --input model.onnx --output int8.onnx [--per-channel]
                [--calibration rows.json]

dynamic: quantize_dynamic, INT8 weights, activations quantised at run time.
static:  quantize_static in QDQ format, UINT8 activations and INT8 weights, calibrated (MinMax) on the
         rows of --calibration: {"input": name, "batched": bool, "rows": number[][]}.
Prints one JSON line: the quantised operators it produced. Exits 3 when the quantiser quantised nothing
and 4 when it raised, with the reason on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter

import numpy as np
import onnx
import onnxruntime as ort
from onnxruntime.quantization import (
    CalibrationDataReader,
    QuantFormat,
    QuantType,
    quantize_dynamic,
    quantize_static,
)

# Operators that hold INT8 arithmetic or its (de)quantisation after either quantiser ran.
QUANTISED_OPS = {
    "MatMulInteger",
    "ConvInteger",
    "DynamicQuantizeMatMul",
    "QLinearMatMul",
    "QLinearConv",
    "QGemm",
    "DequantizeLinear",
    "DynamicQuantizeLSTM",
    "QAttention",
}

CALIBRATION_BATCH = 16


class RowsReader(CalibrationDataReader):
    """Feeds the calibration rows to the one input, in batches (or one by one without a batch dimension)."""

    def __init__(self, model_path: str, calibration: dict) -> None:
        session = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
        meta = next(i for i in session.get_inputs() if i.name == calibration["input"])
        dtype = {"tensor(float)": np.float32, "tensor(uint8)": np.uint8, "tensor(int64)": np.int64}.get(meta.type)
        if dtype is None:
            raise ValueError(f"calibration feeds {meta.type} input '{meta.name}', which static mode does not support")
        rows = np.asarray(calibration["rows"], dtype=dtype)
        step = CALIBRATION_BATCH if calibration["batched"] else 1
        chunks = [rows[i : i + step] for i in range(0, len(rows), step)]
        self.feeds = iter([{meta.name: c if calibration["batched"] else c[0]} for c in chunks])

    def get_next(self):
        return next(self.feeds, None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["dynamic", "static"], required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--per-channel", action="store_true")
    parser.add_argument("--calibration")
    args = parser.parse_args()
    try:
        if args.mode == "dynamic":
            quantize_dynamic(args.input, args.output, weight_type=QuantType.QInt8, per_channel=args.per_channel)
        else:
            with open(args.calibration) as f:
                calibration = json.load(f)
            quantize_static(
                args.input,
                args.output,
                RowsReader(args.input, calibration),
                quant_format=QuantFormat.QDQ,
                activation_type=QuantType.QUInt8,
                weight_type=QuantType.QInt8,
                per_channel=args.per_channel,
            )
    except Exception as err:  # noqa: BLE001 - any quantiser failure is reported the same way
        print(f"onnxruntime.quantization {args.mode} failed: {type(err).__name__}: {err}", file=sys.stderr)
        return 4
    ops = Counter(n.op_type for n in onnx.load(args.output).graph.node if n.op_type in QUANTISED_OPS)
    if not ops:
        print(
            f"onnxruntime.quantization {args.mode} quantised no operator: the model has no MatMul, Gemm or "
            "Conv with constant weights for INT8 to replace",
            file=sys.stderr,
        )
        return 3
    print(json.dumps({"quantised_ops": dict(sorted(ops.items())), "onnxruntime": ort.__version__}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

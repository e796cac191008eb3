"""The FastAPI + onnxruntime peer of `npm run bench:peers` (service/bench/peers.ts).

What a team would write instead of this service: an `async def` FastAPI route, orjson in and out,
one onnxruntime session per model with one intra-op thread, run under uvicorn with 2 workers
(uvloop, httptools). It answers the Open Inference Protocol's JSON form for the bundled models:
POST /v2/models/{model}[/versions/{version}]/infer. Benchmark only: never in the serving path.

    PEER_MODELS=models PEER_SERVE=breast-cancer/1,heavy-mlp/1 \
        python -m uvicorn app:app --app-dir service/bench/peer --workers 2 ...
"""

import os

import numpy as np
import onnxruntime as ort
import orjson
from fastapi import FastAPI, Request
from fastapi.responses import Response

DATATYPES = {np.dtype(np.float32): "FP32", np.dtype(np.int64): "INT64", np.dtype(np.float64): "FP64"}
NUMPY = {"FP32": np.float32, "FP64": np.float64, "INT64": np.int64, "INT32": np.int32}


def load_sessions() -> dict:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sessions = {}
    for entry in os.environ["PEER_SERVE"].split(","):
        model, version = entry.split("/")
        path = os.path.join(os.environ["PEER_MODELS"], model, version, "model.onnx")
        session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        sessions[model] = (session, [o.name for o in session.get_outputs()])
    return sessions


SESSIONS = load_sessions()
app = FastAPI()


def error(status: int, message: str) -> Response:
    return Response(orjson.dumps({"error": message}), status_code=status, media_type="application/json")


async def infer(model: str, request: Request) -> Response:
    if model not in SESSIONS:
        return error(404, f"unknown model '{model}'")
    session, outputs = SESSIONS[model]
    try:
        body = orjson.loads(await request.body())
        feeds = {
            t["name"]: np.asarray(t["data"], dtype=NUMPY[t["datatype"]]).reshape(t["shape"])
            for t in body["inputs"]
        }
    except (KeyError, TypeError, ValueError) as e:
        return error(400, f"bad request: {e}")
    results = session.run(outputs, feeds)
    answer = {
        "model_name": model,
        "outputs": [
            {"name": name, "datatype": DATATYPES[r.dtype], "shape": list(r.shape), "data": r.ravel()}
            for name, r in zip(outputs, results)
        ],
    }
    return Response(orjson.dumps(answer, option=orjson.OPT_SERIALIZE_NUMPY), media_type="application/json")


app.add_api_route("/v2/models/{model}/infer", infer, methods=["POST"])
app.add_api_route("/v2/models/{model}/versions/{version}/infer", infer, methods=["POST"])

"""The LitServe peer of `npm run bench:peers` (service/bench/peers.ts).

What a team would write to serve an ONNX file on LitServe: one `LitAPI` per model, each running an
onnxruntime session with one intra-op thread, with LitServe's batching (`max_batch_size` requests,
`batch_timeout`) and its inference worker processes. Each API answers the same URL and the same
Open Inference Protocol JSON body as the service, so the bench sends both the same bytes.
Benchmark only: never in the serving path.

    PEER_SPEC='[{"model": ..., "version": ..., "path": ..., "max_batch_size": ..., "batch_timeout": ...}]' \
        PEER_PORT=8000 PEER_WORKERS=2 PEER_API_SERVERS=2 python service/bench/peer/litserve/server.py
"""

import json
import os

import litserve as ls
import numpy as np
import onnxruntime as ort

NUMPY = {"FP32": np.float32, "FP64": np.float64, "INT64": np.int64, "INT32": np.int32}
DATATYPES = {"float32": "FP32", "float64": "FP64", "int64": "INT64", "int32": "INT32"}


class OnnxApi(ls.LitAPI):
    def __init__(self, model: str, version: str, path: str, max_batch_size: int, batch_timeout: float):
        super().__init__(
            max_batch_size=max_batch_size,
            batch_timeout=batch_timeout,
            api_path=f"/v2/models/{model}/versions/{version}/infer",
        )
        self.model = model
        self.path = path

    def setup(self, device):
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(self.path, options, providers=["CPUExecutionProvider"])
        self.outputs = [o.name for o in self.session.get_outputs()]

    def decode_request(self, request):
        return {
            t["name"]: np.asarray(t["data"], dtype=NUMPY[t["datatype"]]).reshape(t["shape"])
            for t in request["inputs"]
        }

    def batch(self, inputs):
        # LitServe's default stacks the requests on a new axis; a request here holds any number of
        # rows, so the batch is their rows end to end, and each request's row count splits it again.
        rows = [len(next(iter(feeds.values()))) for feeds in inputs]
        return {name: np.concatenate([feeds[name] for feeds in inputs]) for name in inputs[0]}, rows

    def predict(self, x):
        feeds, rows = x
        results = self.session.run(self.outputs, feeds)
        ends = np.cumsum(rows)[:-1]
        return list(zip(*(np.split(r, ends) for r in results)))

    def encode_response(self, output):
        return {
            "model_name": self.model,
            "outputs": [
                {"name": name, "datatype": DATATYPES[r.dtype.name], "shape": list(r.shape), "data": r.ravel().tolist()}
                for name, r in zip(self.outputs, output)
            ],
        }


if __name__ == "__main__":
    apis = [OnnxApi(**spec) for spec in json.loads(os.environ["PEER_SPEC"])]
    server = ls.LitServer(
        apis,
        accelerator="cpu",
        devices=1,
        workers_per_device=int(os.environ["PEER_WORKERS"]),
        # ZeroMQ between the API servers and the workers rather than multiprocessing queues:
        # LitServe's own speed option, which gave it more rows/s with 32-row requests here.
        fast_queue=True,
    )
    server.run(
        host="127.0.0.1",
        port=int(os.environ["PEER_PORT"]),
        num_api_servers=int(os.environ["PEER_API_SERVERS"]),
        generate_client_file=False,
        log_level="warning",
        access_log=False,
    )

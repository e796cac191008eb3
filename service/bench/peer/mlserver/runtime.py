"""The MLServer peer's inference runtime for `npm run bench:peers` (service/bench/peers.ts).

What a team would write to serve an ONNX file on MLServer: an `mlserver.MLModel` whose `predict`
runs one onnxruntime session with one intra-op thread. MLServer does the rest: the Open Inference
Protocol REST endpoint, adaptive batching (`max_batch_size`, `max_batch_time` in each model's
model-settings.json, which the bench writes) and its parallel inference workers. Benchmark only:
never in the serving path.

Outputs keep the shapes onnxruntime gives them: MLServer's NumpyCodec would turn a `[N]` label
into `[N, 1]`, which is not what the model (or the service) returns.
"""

import onnxruntime as ort
from mlserver import MLModel
from mlserver.codecs import NumpyCodec
from mlserver.types import InferenceRequest, InferenceResponse, ResponseOutput

DATATYPES = {"float32": "FP32", "float64": "FP64", "int64": "INT64", "int32": "INT32"}


class OnnxRuntime(MLModel):
    async def load(self) -> bool:
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = ort.InferenceSession(
            self.settings.parameters.uri, options, providers=["CPUExecutionProvider"]
        )
        self._outputs = [o.name for o in self._session.get_outputs()]
        return True

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        feeds = {i.name: NumpyCodec.decode_input(i) for i in payload.inputs}
        results = self._session.run(self._outputs, feeds)
        return InferenceResponse(
            model_name=self.name,
            model_version=self.version,
            outputs=[
                ResponseOutput(
                    name=name, datatype=DATATYPES[r.dtype.name], shape=list(r.shape), data=r.ravel().tolist()
                )
                for name, r in zip(self._outputs, results)
            ],
        )

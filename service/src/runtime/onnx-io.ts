import type * as ort from 'onnxruntime-node';
import { datatypeFromOrt } from '../core/datatypes';
import type { OnnxIo, OnnxValueSpec } from '../repository/signature';

/** The inputs and outputs an onnxruntime session declares, in protocol terms. */
export function onnxIo(session: ort.InferenceSession): OnnxIo {
  return { inputs: session.inputMetadata.map(valueSpec), outputs: session.outputMetadata.map(valueSpec) };
}

function valueSpec(meta: ort.InferenceSession.ValueMetadata): OnnxValueSpec {
  if (!meta.isTensor) return { name: meta.name, typeName: 'non-tensor (sequence or map)', shape: [] };
  return {
    name: meta.name,
    datatype: datatypeFromOrt(meta.type),
    typeName: meta.type,
    // Symbolic dimensions ("N", "batch") and unknown ones are dynamic.
    shape: meta.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1)),
  };
}

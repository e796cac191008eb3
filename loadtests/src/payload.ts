/**
 * Builds Open Inference Protocol infer requests from a model's metadata, so any model in the
 * repository can be load-tested without a hand-written payload. No Node APIs and no schema library:
 * k6 bundles this too, so it takes only the contract's plain names.
 */
import { DATATYPES, type Datatype } from '@ml-platform/contract/names';

export interface TensorMetadata {
  name: string;
  datatype: Datatype;
  shape: number[];
}

export interface ModelMetadata {
  name: string;
  versions?: string[];
  platform?: string;
  inputs: TensorMetadata[];
  outputs?: TensorMetadata[];
}

export interface InferInput {
  name: string;
  shape: number[];
  datatype: Datatype;
  data: Array<number | boolean | string>;
}

export interface InferRequest {
  inputs: InferInput[];
}

export class MetadataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MetadataError';
  }
}

/** Integer ranges are kept inside the type and within float-exact JSON numbers (INT64/UINT64 too). */
const INT_RANGES: Partial<Record<Datatype, [number, number]>> = {
  UINT8: [0, 255],
  UINT16: [0, 1000],
  UINT32: [0, 1000],
  UINT64: [0, 1000],
  INT8: [-128, 127],
  INT16: [-1000, 1000],
  INT32: [-1000, 1000],
  INT64: [-1000, 1000],
};

function fail(path: string, expected: string, got: unknown): never {
  throw new MetadataError(`model metadata ${path}: expected ${expected}, got ${JSON.stringify(got)}`);
}

/** Checks the parts of OIP model metadata a payload needs; errors name the field and what was expected. */
export function parseModelMetadata(raw: unknown): ModelMetadata {
  if (raw === null || typeof raw !== 'object') fail('', 'an object', raw);
  const m = raw as Record<string, unknown>;
  if (typeof m.name !== 'string' || m.name.length === 0) fail('name', 'a non-empty string', m.name);
  if (!Array.isArray(m.inputs) || m.inputs.length === 0) fail('inputs', 'a non-empty array', m.inputs);
  const inputs = m.inputs.map((t, i) => parseTensor(t, `inputs[${i}]`));
  return { ...(m as object), name: m.name, inputs } as ModelMetadata;
}

function parseTensor(raw: unknown, path: string): TensorMetadata {
  if (raw === null || typeof raw !== 'object') fail(path, 'an object', raw);
  const t = raw as Record<string, unknown>;
  if (typeof t.name !== 'string' || t.name.length === 0) fail(`${path}.name`, 'a non-empty string', t.name);
  if (!(DATATYPES as readonly unknown[]).includes(t.datatype)) {
    fail(`${path}.datatype`, `one of ${DATATYPES.join(', ')}`, t.datatype);
  }
  if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isInteger(d) && d >= -1)) {
    fail(`${path}.shape`, 'an array of integers >= -1 (-1 = variable)', t.shape);
  }
  return { name: t.name, datatype: t.datatype as Datatype, shape: t.shape as number[] };
}

/** Variable dimensions (-1) become `batchSize` for the first (batch) dimension and 1 elsewhere. */
export function resolveShape(shape: readonly number[], batchSize = 1): number[] {
  return shape.map((d, i) => (d === -1 ? (i === 0 ? batchSize : 1) : d));
}

/** One element of `datatype` from a uniform random number in [0, 1). */
function randomValue(datatype: Datatype, u: number): number | boolean | string {
  const range = INT_RANGES[datatype];
  if (range) return range[0] + Math.floor(u * (range[1] - range[0] + 1));
  switch (datatype) {
    case 'BOOL':
      return u >= 0.5;
    case 'BYTES':
      return `load-${Math.floor(u * 1e9).toString(36)}`;
    default:
      // FP16/FP32/FP64: a standardised feature range; FP16 keeps few digits so it is exact in half precision.
      return datatype === 'FP16' ? Math.round((u * 4 - 2) * 256) / 256 : u * 4 - 2;
  }
}

export interface PayloadOptions {
  /** Value for a variable leading (batch) dimension; default 1. */
  batchSize?: number;
  /** Uniform [0, 1) source; k6 and the runner pass Math.random, tests a seeded generator. */
  random?: () => number;
}

export function buildInferRequest(metadata: ModelMetadata, options: PayloadOptions = {}): InferRequest {
  const random = options.random ?? Math.random;
  const batchSize = options.batchSize ?? 1;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batchSize must be an integer >= 1, got ${batchSize}`);
  }
  return {
    inputs: metadata.inputs.map((input) => {
      const shape = resolveShape(input.shape, batchSize);
      const count = shape.reduce((n, d) => n * d, 1);
      const data = new Array<number | boolean | string>(count);
      for (let i = 0; i < count; i++) data[i] = randomValue(input.datatype, random());
      return { name: input.name, shape, datatype: input.datatype, data };
    }),
  };
}

/** Checks shared by k6 and the local runner: what a successful OIP inference response looks like. */
export const INFER_CHECKS: Record<string, (status: number, body: string) => boolean> = {
  'status is 200': (status) => status === 200,
  'response has outputs': (_status, body) => {
    try {
      const parsed = JSON.parse(body) as { outputs?: Array<{ data?: unknown }> };
      return (
        Array.isArray(parsed.outputs) &&
        parsed.outputs.length > 0 &&
        parsed.outputs.every((o) => Array.isArray(o.data))
      );
    } catch {
      return false;
    }
  },
};

export function inferPath(model: string, version?: string): string {
  const m = encodeURIComponent(model);
  return version ? `/v2/models/${m}/versions/${encodeURIComponent(version)}/infer` : `/v2/models/${m}/infer`;
}

export function metadataPath(model: string): string {
  return `/v2/models/${encodeURIComponent(model)}`;
}

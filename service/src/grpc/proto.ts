import path from 'node:path';
import * as protoLoader from '@grpc/proto-loader';

/** service/proto: the wire contract, read at start-up (no generated code to keep in step). */
export const PROTO_DIR = path.resolve(__dirname, '..', '..', 'proto');

/**
 * proto-loader's object form: field names as on the wire (snake_case, like every OIP client's
 * JSON), int64 as decimal strings (no precision lost above 2^53), bytes as Buffers, enums by name,
 * a oneof's chosen field named in `parameter_choice`.
 */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: false,
  oneofs: true,
  includeDirs: [PROTO_DIR],
};

export function loadProtos(): protoLoader.PackageDefinition {
  return protoLoader.loadSync(['inference.proto', 'health.proto'], LOADER_OPTIONS);
}

/** A map<string, InferParameter> entry as proto-loader hands it over (and accepts it back). */
export interface InferParameterMessage {
  parameter_choice?: 'bool_param' | 'int64_param' | 'string_param' | 'double_param' | 'uint64_param';
  bool_param?: boolean;
  int64_param?: string | number;
  string_param?: string;
  double_param?: number;
  uint64_param?: string | number;
}

export interface TensorContentsMessage {
  bool_contents?: boolean[];
  int_contents?: number[];
  int64_contents?: (string | number)[];
  uint_contents?: number[];
  uint64_contents?: (string | number)[];
  fp32_contents?: number[];
  fp64_contents?: number[];
  bytes_contents?: Buffer[];
}

export interface InferInputTensorMessage {
  name?: string;
  datatype?: string;
  shape?: (string | number)[];
  parameters?: Record<string, InferParameterMessage>;
  contents?: TensorContentsMessage;
}

export interface ModelInferRequestMessage {
  model_name?: string;
  model_version?: string;
  id?: string;
  parameters?: Record<string, InferParameterMessage>;
  inputs?: InferInputTensorMessage[];
  outputs?: { name?: string; parameters?: Record<string, InferParameterMessage> }[];
  raw_input_contents?: Buffer[];
}

export interface InferOutputTensorMessage {
  name: string;
  datatype: string;
  shape: number[];
  contents?: TensorContentsMessage;
}

export interface ModelInferResponseMessage {
  model_name: string;
  model_version: string;
  id?: string;
  outputs: InferOutputTensorMessage[];
  raw_output_contents?: Buffer[];
}

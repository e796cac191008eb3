import { DATATYPE_INFO } from '../core/datatypes';
import { badRequest } from '../core/errors';
import type { Datatype, TensorData } from '../core/tensor';
import { tensorDataFromJson } from '../protocol/json-tensor';
import { GRPC_CONTENTS_FIELD as CONTENTS_FIELD } from '@ml-platform/contract/names';
import type { TensorContentsMessage } from './proto';

const FIELD = CONTENTS_FIELD as Record<Datatype, keyof TensorContentsMessage | undefined>;

/** True when `datatype` can be answered in typed contents (every datatype but FP16). */
export function hasContentsField(datatype: Datatype): boolean {
  return FIELD[datatype] !== undefined;
}

/**
 * Typed `contents` -> storage. The wire type already bounds INT64/UINT64 and BOOL; narrower
 * integers (INT8 in an int32 field) are range-checked like REST's JSON data.
 */
export function tensorDataFromContents(
  name: string,
  datatype: Datatype,
  elements: number,
  contents: TensorContentsMessage,
): TensorData {
  const field = FIELD[datatype];
  if (!field)
    throw badRequest(`input '${name}': ${datatype} has no contents field; send it in raw_input_contents`);
  const values = (contents[field] ?? []) as unknown[];
  if (values.length !== elements) {
    throw badRequest(
      `input '${name}': shape needs ${elements} elements, contents.${field} has ${values.length}`,
    );
  }
  switch (DATATYPE_INFO[datatype].kind) {
    case 'bigint': {
      const Ctor = DATATYPE_INFO[datatype].array as BigInt64ArrayConstructor;
      const out = new Ctor(elements);
      for (let i = 0; i < elements; i++) out[i] = BigInt(values[i] as string);
      return out;
    }
    case 'bytes':
      return values as Buffer[];
    default:
      return tensorDataFromJson(name, datatype, values);
  }
}

/** Storage -> typed `contents` (not for FP16: see hasContentsField). */
export function tensorDataToContents(datatype: Datatype, data: TensorData): TensorContentsMessage {
  const field = FIELD[datatype]!;
  switch (DATATYPE_INFO[datatype].kind) {
    case 'bigint':
      return { [field]: Array.from(data as BigInt64Array, String) };
    case 'bool':
      return { [field]: Array.from(data as Uint8Array, (v) => v !== 0) };
    case 'bytes':
      return { [field]: data as Buffer[] };
    default:
      return { [field]: Array.from(data as Float32Array) };
  }
}

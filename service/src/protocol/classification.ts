import { DATATYPE_INFO, elementCount } from '../core/datatypes';
import { badRequest } from '../core/errors';
import type { OutputClasses } from '../core/engine';
import type { Tensor } from '../core/tensor';
import { tensorDataToJson } from './json-tensor';
/**
 * Triton's classification extension: an output requested with `"classification": k` is answered
 * with its k highest-scoring classes instead of its raw values, as BYTES `"score:index[:label]"`,
 * best first (ties: lower index first). A batched model is classified row by row, shape [rows, k];
 * otherwise the whole tensor is one row, shape [k]. k larger than the class count is cut to it.
 */
export function classify(t: Tensor, k: number, classes: OutputClasses): Tensor {
  const kind = DATATYPE_INFO[t.datatype].kind;
  if (kind === 'bytes') {
    throw badRequest(`output '${t.name}': classification needs a numeric output, this one is BYTES`);
  }
  const scores = tensorDataToJson(t.datatype, t.data) as (number | boolean)[];
  const rows = classes.batched ? (t.shape[0] ?? 1) : 1;
  const perRow = rows === 0 ? 0 : elementCount(t.shape) / rows;
  const top = Math.min(k, perRow);
  const format = kind === 'float' || kind === 'half' ? (v: number) => v.toFixed(6) : String;
  const data: Buffer[] = [];
  const order = Array.from({ length: perRow }, (_, i) => i);
  for (let r = 0; r < rows; r++) {
    const row = scores.slice(r * perRow, (r + 1) * perRow).map(Number);
    order.sort((a, b) => row[b] - row[a] || a - b);
    for (let j = 0; j < top; j++) {
      const index = order[j];
      const label = classes.labels?.[index];
      data.push(Buffer.from(`${format(row[index])}:${index}${label === undefined ? '' : `:${label}`}`));
    }
  }
  return { name: t.name, datatype: 'BYTES', shape: classes.batched ? [rows, top] : [top], data };
}

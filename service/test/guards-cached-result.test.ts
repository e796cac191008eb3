import type { InferResult } from '../src/core/engine';
import {
  decodePrediction,
  encodePrediction,
  entryLayout,
  MalformedCacheEntryError,
  SharedLayouts,
} from '../src/guards/cache-codec';
import { CachedResult, MemoryEntry, memoryEntry } from '../src/guards/cached-result';
import { decodeInferRequest } from '../src/protocol/infer-request';
import { encodeInferResponse, jsonOutputsText } from '../src/protocol/infer-response';

const result: InferResult = {
  modelName: 'bc',
  modelVersion: '2',
  outputs: [
    { name: 'label', datatype: 'INT64', shape: [2], data: BigInt64Array.from([1n, 0n]) },
    { name: 'probabilities', datatype: 'FP32', shape: [2, 2], data: Float32Array.from([0.25, 0.75, 1, 0.1]) },
    { name: 'tag', datatype: 'BYTES', shape: [1], data: [Buffer.from('größe ✓')] },
  ],
};
const hitOf = (r: InferResult) =>
  new CachedResult(r.modelName, r.modelVersion, memoryEntry(r, encodePrediction(r), new SharedLayouts()));
const request = (body: Record<string, unknown>) =>
  decodeInferRequest(
    Buffer.from(
      JSON.stringify({ inputs: [{ name: 'a', datatype: 'FP32', shape: [1], data: [1] }], ...body }),
    ),
  );

describe('the memory tier entry', () => {
  it('keeps the outputs as the JSON text an answer carries', () => {
    const entry = memoryEntry(result, encodePrediction(result), new SharedLayouts());
    expect(entry.outputsJson).toBe(jsonOutputsText(result.outputs));
    expect(JSON.parse(`[${entry.outputsJson}]`)).toEqual([
      { name: 'label', datatype: 'INT64', shape: [2], data: [1, 0] },
      { name: 'probabilities', datatype: 'FP32', shape: [2, 2], data: [0.25, 0.75, 1, Math.fround(0.1)] },
      { name: 'tag', datatype: 'BYTES', shape: [1], data: ['größe ✓'] },
    ]);
  });

  it('counts a byte a character of text, two when the text needs two-byte characters', () => {
    const encoded = encodePrediction(result);
    const entry = memoryEntry(result, encoded, new SharedLayouts());
    expect(entry.codec).toBe(encoded.toString('latin1'));
    expect(entry.layout).toEqual(entryLayout(encoded));
    const withText = (text: string) => new MemoryEntry(entry.codec, entry.layout, text).bytes;
    expect(withText('ab') - withText('')).toBe(2);
    expect(withText('ü') - withText('')).toBe(1);
    // '✓' is past latin1: V8 keeps the whole text at two bytes a character.
    expect(withText('✓b') - withText('')).toBe(4);
    expect(withText('')).toBe(encoded.length);
  });

  it('shares one layout between entries whose headers are the same, and starts over when full', () => {
    const layouts = new SharedLayouts(2);
    const other = (value: number): InferResult => ({
      ...result,
      outputs: [{ name: 'y', datatype: 'FP32', shape: [1], data: Float32Array.of(value) }],
    });
    const first = layouts.of(encodePrediction(other(1)));
    expect(layouts.of(encodePrediction(other(2)))).toBe(first);
    expect(first).toEqual(entryLayout(encodePrediction(other(3))));
    const another = layouts.of(encodePrediction({ ...other(1), modelVersion: '3' }));
    expect(another).not.toBe(first);
    expect(another.header.v).toBe('3');
    // A third header fills the table of two: it starts over, so the first is parsed anew.
    layouts.of(encodePrediction(result));
    const again = layouts.of(encodePrediction(other(4)));
    expect(again).not.toBe(first);
    expect(again).toEqual(first);
    expect(() => layouts.of(Buffer.from('MLPC not an entry'))).toThrow(MalformedCacheEntryError);
  });

  it('gives each decoded output its own shape array', () => {
    const encoded = encodePrediction(result);
    const layouts = new SharedLayouts();
    const a = new CachedResult('bc', '2', memoryEntry(result, encoded, layouts));
    const b = new CachedResult('bc', '2', memoryEntry(result, encoded, layouts));
    a.outputs[1].shape[0] = 7;
    expect(b.outputs[1].shape).toEqual([2, 2]);
  });
});

describe('a memory-tier hit (CachedResult)', () => {
  it('decodes its outputs into fresh arrays on first read, the same ones after', () => {
    const hit = hitOf(result);
    expect(hit.outputs).toEqual(decodePrediction(encodePrediction(result)).outputs);
    expect(hit.outputs).toBe(hit.outputs);
    (hit.outputs[1].data as Float32Array)[0] = 9;
    expect((hitOf(result).outputs[1].data as Float32Array)[0]).toBe(0.25);
  });

  it('loses the text when its outputs are replaced, and a spread copy never carries it', () => {
    const hit = hitOf(result);
    expect(hit.outputsJson).toBe(jsonOutputsText(result.outputs));
    const subset: InferResult = { ...hit, outputs: hit.outputs.slice(1) };
    expect(subset.outputsJson).toBeUndefined();
    expect(subset.modelName).toBe('bc');
    hit.outputs = hit.outputs.slice(0, 1);
    expect(hit.outputsJson).toBeUndefined();
  });

  it('answers every request form with the bytes the decoded outputs give', () => {
    const forms = [
      {},
      { id: 'r-1' },
      { id: 'größe-✓' },
      { parameters: { binary_data_output: true } },
      { outputs: [{ name: 'probabilities' }] },
      { outputs: [{ name: 'probabilities', parameters: { binary_data: true } }, { name: 'label' }] },
    ];
    for (const form of forms) {
      const req = request(form);
      const fromHit = encodeInferResponse(req, hitOf(result));
      const fromOutputs = encodeInferResponse(req, decodePrediction(encodePrediction(result)));
      expect([form, fromHit.contentType, Buffer.from(fromHit.body)]).toEqual([
        form,
        fromOutputs.contentType,
        Buffer.from(fromOutputs.body),
      ]);
      expect(fromHit.length).toBe(fromOutputs.length);
    }
  });

  it('answers a plain JSON request from the text, without decoding', () => {
    // An entry whose codec bytes cannot decode: only an answer that never decodes them succeeds.
    const hit = new CachedResult(
      'bc',
      '2',
      new MemoryEntry('not an entry', entryLayout(encodePrediction(result)), jsonOutputsText(result.outputs)),
    );
    const text = encodeInferResponse(request({ id: 'x' }), hit).body as string;
    expect(text).toBe(
      `{"model_name":"bc","model_version":"2","id":"x","outputs":[${jsonOutputsText(result.outputs)}]}`,
    );
    expect(() => encodeInferResponse(request({ parameters: { binary_data_output: true } }), hit)).toThrow(
      MalformedCacheEntryError,
    );
  });
});

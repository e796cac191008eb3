import { ServiceError } from '../src/core/errors';
import { fitSpec, quantileEdges, topVocabulary } from '../src/features/fit';
import { materialize, resolveEntity } from '../src/features/point-in-time';
import { parseTimestamp, validateRecord, validateRecords } from '../src/features/records';
import { FeatureSpecError, parseFeatureSpec } from '../src/features/spec';
import { bucketIndex, compileSpec, fnv1a } from '../src/features/transforms';

/** A small spec in the shape of the flights one: a time, a number, a category, one entity feature. */
function rawSpec(over: Record<string, unknown> = {}) {
  return {
    model_version: '1',
    time_field: 'time',
    fields: [
      { name: 'time', type: 'timestamp', required: true },
      { name: 'amount', type: 'number', required: true },
      { name: 'user', type: 'string', required: true },
      { name: 'flag', type: 'boolean', default: false },
      { name: 'spent', type: 'number' },
    ],
    entities: [
      {
        name: 'user_mean',
        key: 'user:{user}',
        aggregate: { op: 'mean', of: 'spent', window: 2 },
        max_age_seconds: 3600,
        default: -1,
      },
    ],
    features: [
      { name: 'amount_std', transform: { type: 'standardize', input: 'amount' } },
      { name: 'user_onehot', transform: { type: 'onehot', input: 'user', max_vocabulary: 2 } },
      { name: 'user_hash', transform: { type: 'hash', input: 'user', buckets: 4 } },
      { name: 'hour', transform: { type: 'datepart', input: 'time', part: 'hour' } },
      { name: 'mean', transform: { type: 'identity', input: 'user_mean' } },
      { name: 'ratio', transform: { type: 'arithmetic', op: 'div', left: 'amount', right: 'user_mean' } },
      { name: 'flag_num', transform: { type: 'identity', input: 'flag' } },
    ],
    inputs: [
      {
        name: 'input',
        datatype: 'FP32',
        features: ['amount_std', 'user_onehot', 'user_hash', 'hour', 'mean', 'ratio', 'flag_num'],
      },
    ],
    label: { field: 'spent', gt: 10 },
    ...over,
  };
}

const T0 = Date.UTC(2024, 0, 1, 12);
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

function badRequestMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ServiceError);
    expect((e as ServiceError).status).toBe(400);
    return (e as Error).message;
  }
  throw new Error('expected a 400');
}

describe('feature spec schema', () => {
  it('accepts the spec and applies defaults', () => {
    const spec = parseFeatureSpec(rawSpec());
    expect(spec.limits).toEqual({ max_records: 256, max_record_bytes: 4096 });
    expect(spec.fields.find((f) => f.name === 'spent')?.required).toBe(false);
  });

  it('names the key, the value found and what is allowed', () => {
    const bad = rawSpec();
    (bad.fields[1] as { type: string }).type = 'float';
    expect(() => parseFeatureSpec(bad)).toThrow(FeatureSpecError);
    expect(() => parseFeatureSpec(bad)).toThrow(
      /fields\.1\.type: .*"number".*"string".*"timestamp".*"boolean".* \(got "float"\)/,
    );
  });

  it('rejects references to unknown names, listing the ones allowed', () => {
    const bad = rawSpec();
    bad.features[0] = { name: 'x', transform: { type: 'standardize', input: 'nope' } };
    expect(() => parseFeatureSpec(bad)).toThrow(
      /features\.0\.transform: 'nope' is not a field.*allowed: time, amount/,
    );
  });

  it('rejects an entity key placeholder that is not a required string field', () => {
    const bad = rawSpec();
    bad.entities[0].key = 'user:{amount}';
    expect(() => parseFeatureSpec(bad)).toThrow(/entities\.0\.key: placeholder \{amount\} .*allowed: user/);
  });

  it('rejects a mapping to an undeclared feature and a time field that is not a timestamp', () => {
    expect(() => parseFeatureSpec(rawSpec({ time_field: 'amount' }))).toThrow(
      /time_field: 'amount' must name/,
    );
    const bad = rawSpec();
    bad.inputs[0].features.push('ghost');
    expect(() => parseFeatureSpec(bad)).toThrow(/inputs\.0\.features\.7: 'ghost' is not a declared feature/);
  });

  it('refuses to compile an unfitted spec', () => {
    expect(() => compileSpec(parseFeatureSpec(rawSpec()))).toThrow(/'amount_std': standardize is not fitted/);
  });
});

describe('records', () => {
  const spec = parseFeatureSpec(rawSpec());

  it('parses timestamps as UTC, with or without a zone, and refuses impossible dates', () => {
    expect(parseTimestamp('2001/01/14 21:55')).toBe(Date.UTC(2001, 0, 14, 21, 55));
    expect(parseTimestamp('2001-01-14T21:55:00.5Z')).toBe(Date.UTC(2001, 0, 14, 21, 55, 0, 500));
    expect(parseTimestamp('2001-01-14T21:55:00+01:00')).toBe(Date.UTC(2001, 0, 14, 20, 55));
    expect(parseTimestamp(12345)).toBe(12345);
    for (const bad of ['2001-02-30', '2001-13-01', 'yesterday', '', NaN, true, null]) {
      expect(parseTimestamp(bad)).toBeUndefined();
    }
  });

  it('gives 400s naming the record index and the field', () => {
    const ok = { time: at(0), amount: 5, user: 'a' };
    expect(badRequestMessage(() => validateRecords(spec, [ok, { time: at(0), user: 'a' }]))).toBe(
      'records[1].amount: required field is missing',
    );
    expect(badRequestMessage(() => validateRecords(spec, [{ ...ok, amount: '5' }]))).toMatch(
      /^records\[0\]\.amount: must be a finite number, got "5"/,
    );
    expect(badRequestMessage(() => validateRecords(spec, [ok, ok, { ...ok, time: '2024-99-01' }]))).toMatch(
      /^records\[2\]\.time: must be a timestamp/,
    );
    expect(badRequestMessage(() => validateRecords(spec, [ok, { ...ok, note: 'x'.repeat(5000) }]))).toMatch(
      /^records\[1\]: record is \d+ bytes, more than the 4096-byte limit/,
    );
    expect(badRequestMessage(() => validateRecords(spec, [ok, { ...ok, flag: 1 }]))).toMatch(
      /^records\[1\]\.flag: must be a boolean/,
    );
    expect(badRequestMessage(() => validateRecords(spec, []))).toMatch(/records must be a non-empty array/);
    expect(badRequestMessage(() => validateRecords(spec, Array(257).fill(ok)))).toMatch(
      /more than the limit of 256/,
    );
  });

  it('fills defaults of optional fields and leaves others undefined', () => {
    expect(validateRecord(spec, { time: at(0), amount: 5, user: 'a' }, 0)).toEqual({
      time: T0,
      amount: 5,
      user: 'a',
      flag: false,
      spent: undefined,
    });
  });
});

describe('transforms', () => {
  it('bucketises at edges (value on an edge goes up) and hashes stably', () => {
    expect([0, 1, 1.5, 2, 9].map((x) => bucketIndex([1, 2], x))).toEqual([0, 1, 1, 2, 2]);
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c); // FNV-1a 32 test vector
  });

  it('fits quantile edges and a frequency-ordered vocabulary', () => {
    expect(quantileEdges([1, 2, 3, 4, 5, 6, 7, 8], 4)).toEqual([3, 5, 7]);
    expect(quantileEdges([1, 1, 1, 1, 2], 4)).toEqual([1]); // repeated edges collapse
    expect(topVocabulary(['b', 'a', 'b', 'c', 'a', 'b'], 2)).toEqual(['b', 'a']);
  });

  it('computes a row: standardised, one-hot with the OOV column, hashed, date part, entity, arithmetic', () => {
    const spec = parseFeatureSpec(rawSpec());
    const records = [
      { time: at(0), amount: 10, user: 'a', spent: 20 },
      { time: at(1), amount: 20, user: 'a', spent: 30 },
      { time: at(2), amount: 30, user: 'b', spent: 5 },
    ].map((r, i) => validateRecord(spec, r, i));
    const { entities } = materialize(spec, 'm', records);
    const compiled = compileSpec(fitSpec(spec, records, entities));
    const fitted = compiled.spec.features;
    expect(fitted[0].transform).toMatchObject({ mean: 20, std: Math.sqrt(200 / 3) });
    expect(fitted[1].transform).toMatchObject({ vocabulary: ['a', 'b'] });
    expect(compiled.tensors[0].columns).toEqual([
      'amount_std',
      'user_onehot[0]',
      'user_onehot[1]',
      'user_onehot[2]',
      'user_hash[0]',
      'user_hash[1]',
      'user_hash[2]',
      'user_hash[3]',
      'hour',
      'mean',
      'ratio',
      'flag_num',
    ]);
    expect(compiled.spec.inputs[0].shape).toEqual([-1, 12]);
    const wrongShape = {
      ...compiled.spec,
      inputs: [{ ...compiled.spec.inputs[0], shape: [-1, 11] as [-1, number] }],
    };
    expect(() => compileSpec(wrongShape)).toThrow(
      "input 'input': shape says 11 columns, its features have 12",
    );
    const unknown = validateRecord(spec, { time: at(3), amount: 40, user: 'zz', flag: true }, 0);
    const [row] = compiled.rows(unknown, new Map([['user_mean', 8]]));
    const hashed = [0, 0, 0, 0];
    hashed[fnv1a('zz') % 4] = 1;
    expect(Array.from(row)).toEqual([
      Math.fround(20 / Math.sqrt(200 / 3)),
      0,
      0,
      1, // not in the vocabulary: the OOV column
      ...hashed,
      12,
      8,
      5,
      1,
    ]);
  });
});

describe('point-in-time materialisation', () => {
  const spec = parseFeatureSpec(rawSpec());
  const rec = (minutes: number, user: string, spent?: number) =>
    validateRecord(spec, { time: at(minutes), amount: 1, user, spent }, 0);

  it('never lets an event at or after a row reach it, whatever the input order', () => {
    // The leak: a huge future event listed first, and an event at exactly the row's time.
    const records = [rec(60, 'a', 1000), rec(10, 'a', 4), rec(30, 'a', 999), rec(30, 'a'), rec(0, 'a', 2)];
    const { entities, latest } = materialize(spec, 'm', records);
    const means = entities.map((e) => e.get('user_mean'));
    // Row at 30 (index 3) sees the events at 0 and 10 only: mean of 2 and 4.
    expect(means[3]).toBe(3);
    expect(means[2]).toBe(3); // the event at 30 does not see itself
    expect(means[4]).toBe(-1); // first event: nothing before it, the default
    expect(means[1]).toBe(2);
    // The row at 60 sees the last 2 events before it (window 2): 4 at 10 and 999 at 30.
    expect(means[0]).toBe((4 + 999) / 2);
    expect(latest.get('m:user_mean:user:a')).toEqual({
      value: (999 + 1000) / 2,
      eventTime: T0 + 60 * 60_000,
    });
  });

  it('keeps entities apart and falls back to the default once the value is older than max_age', () => {
    const records = [rec(0, 'a', 10), rec(5, 'b'), rec(30, 'a'), rec(61, 'a')];
    const means = materialize(spec, 'm', records).entities.map((e) => e.get('user_mean'));
    expect(means).toEqual([-1, -1, 10, -1]); // 61 minutes after the event: stale (max age 1 h)
  });

  it('resolves a stored value the same way online', () => {
    const e = spec.entities[0];
    expect(resolveEntity(e, undefined, T0)).toEqual({ value: -1, result: 'miss' });
    expect(resolveEntity(e, { value: 7, eventTime: T0 }, T0 + 3600_000)).toEqual({
      value: 7,
      result: 'hit',
      ageSeconds: 3600,
    });
    expect(resolveEntity(e, { value: 7, eventTime: T0 }, T0 + 3601_000)).toMatchObject({
      value: -1,
      result: 'stale',
    });
  });
});

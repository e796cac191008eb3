import { badRequest } from '../core/errors';
import type { FeatureSpec, FieldSpec } from './spec';

/** A validated record: timestamps as epoch milliseconds, every declared field present (or defaulted). */
export type FeatureRecord = Record<string, number | string | boolean | undefined>;

const DATE_TIME =
  /^(\d{4})[-/](\d{2})[-/](\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Epoch milliseconds from an ISO-8601-like string (`2001-01-14T21:55:00Z`, `2001/01/14 21:55`) or
 * a number of epoch milliseconds. A string without a zone is UTC, never the machine's local time,
 * so training and serving machines agree. Undefined when it does not parse.
 */
export function parseTimestamp(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const m = DATE_TIME.exec(v);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map((x) => Number(x ?? 0));
  const ms = Number((m[7] ?? '0').padEnd(3, '0'));
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return undefined;
  const utc = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  if (new Date(utc).getUTCDate() !== d) return undefined; // 2001-02-30
  const zone = m[8];
  if (!zone || zone === 'Z') return utc;
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return utc - sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
}

const MAX_STRING = 256;

function fieldValue(field: FieldSpec, v: unknown, where: string): number | string | boolean {
  const wrong = (expected: string) =>
    badRequest(`${where}: must be ${expected}, got ${JSON.stringify(v)?.slice(0, 60) ?? typeof v}`);
  switch (field.type) {
    case 'number':
      if (typeof v !== 'number' || !Number.isFinite(v)) throw wrong('a finite number');
      return v;
    case 'string':
      if (typeof v !== 'string') throw wrong('a string');
      if (v.length > MAX_STRING) throw badRequest(`${where}: longer than ${MAX_STRING} characters`);
      return v;
    case 'boolean':
      if (typeof v !== 'boolean') throw wrong('a boolean');
      return v;
    case 'timestamp': {
      const t = parseTimestamp(v);
      if (t === undefined)
        throw wrong('a timestamp (ISO 8601 string such as 2001-01-14T21:55:00Z, or epoch ms)');
      return t;
    }
  }
}

/**
 * Validates one raw record against the spec's fields. Errors name the record index and the field
 * (`records[3].distance: must be a finite number, got "far"`). Fields the spec does not declare
 * are ignored; the record as a whole is bounded by `limits.max_record_bytes`.
 */
export function validateRecord(spec: FeatureSpec, raw: unknown, index: number): FeatureRecord {
  const at = `records[${index}]`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw badRequest(`${at}: must be a JSON object of raw fields`);
  }
  const size = Buffer.byteLength(JSON.stringify(raw));
  if (size > spec.limits.max_record_bytes) {
    throw badRequest(
      `${at}: record is ${size} bytes, more than the ${spec.limits.max_record_bytes}-byte limit`,
    );
  }
  const obj = raw as Record<string, unknown>;
  const out: FeatureRecord = {};
  for (const field of spec.fields) {
    const v = obj[field.name];
    const where = `${at}.${field.name}`;
    if (v === undefined || v === null) {
      if (field.required) throw badRequest(`${where}: required field is missing`);
      out[field.name] = field.default === undefined ? undefined : fieldValue(field, field.default, where);
      continue;
    }
    out[field.name] = fieldValue(field, v, where);
  }
  return out;
}

/** Validates the `records` array of a /predict body: present, non-empty, at most `maxRecords`. */
export function validateRecords(
  spec: FeatureSpec,
  raw: unknown,
  maxRecords = spec.limits.max_records,
): FeatureRecord[] {
  if (!Array.isArray(raw) || raw.length === 0)
    throw badRequest('records must be a non-empty array of objects');
  if (raw.length > maxRecords) {
    throw badRequest(`records has ${raw.length} records, more than the limit of ${maxRecords}`);
  }
  return raw.map((r, i) => validateRecord(spec, r, i));
}

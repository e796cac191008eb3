import type { Value } from './status';

export function formatValue(v: Value | undefined, unit: string): string {
  if (v === null || v === undefined) return '–';
  if (unit === '%') return `${(v * 100).toFixed(v < 0.001 && v > 0 ? 3 : 1)} %`;
  if (unit === 'PSI') return v.toFixed(3);
  if (unit === 'USD') return `$${v.toPrecision(3)}`;
  if (unit === 'ms') return `${v < 10 ? v.toFixed(2) : v.toFixed(0)} ms`;
  return v < 10 ? v.toFixed(2) : v.toFixed(0);
}

export function versionLabel(model: string, version: string): string {
  return version === '' ? `${model} (no version resolved)` : `${model} v${version}`;
}

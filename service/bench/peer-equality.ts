/**
 * Whether a peer answers as the service does, checked before either is timed: a faster server that
 * computes something else proves nothing. Pure: compares two parsed Open Inference Protocol JSON
 * responses.
 */

export interface Tolerance {
  /** Largest allowed |a - b| / max(|a|, |b|) for floating outputs... */
  relative: number;
  /** ...or |a - b| below this, for values near zero. */
  absolute: number;
}

/**
 * Two onnxruntime builds (the service's onnxruntime-node and the peer's Python wheel) may fuse and
 * order float operations differently; integers (labels) must match exactly.
 */
export const DEFAULT_TOLERANCE: Tolerance = { relative: 1e-4, absolute: 1e-5 };

interface JsonOutput {
  name: string;
  datatype: string;
  shape: number[];
  data: unknown[];
}

const FLOATING = new Set(['FP16', 'FP32', 'FP64']);

function outputsOf(response: unknown, who: string): Map<string, JsonOutput> {
  const outputs = (response as { outputs?: unknown })?.outputs;
  if (!Array.isArray(outputs)) throw new Error(`${who}: the response has no outputs array`);
  return new Map(outputs.map((o: JsonOutput) => [o.name, o]));
}

/**
 * Every way the peer's answer differs from the service's: a missing or extra output, a datatype, a
 * shape, or the first element out of tolerance per output. Empty when they agree.
 */
export function outputDifferences(
  service: unknown,
  peer: unknown,
  tolerance: Tolerance = DEFAULT_TOLERANCE,
): string[] {
  const ours = outputsOf(service, 'service');
  const theirs = outputsOf(peer, 'peer');
  const differences: string[] = [];
  for (const name of theirs.keys()) {
    if (!ours.has(name)) differences.push(`output '${name}': only the peer returns it`);
  }
  for (const [name, a] of ours) {
    const b = theirs.get(name);
    if (!b) {
      differences.push(`output '${name}': the peer does not return it`);
      continue;
    }
    if (a.datatype !== b.datatype) {
      differences.push(`output '${name}': datatype ${a.datatype} vs the peer's ${b.datatype}`);
      continue;
    }
    if (JSON.stringify(a.shape) !== JSON.stringify(b.shape)) {
      differences.push(
        `output '${name}': shape ${JSON.stringify(a.shape)} vs the peer's ${JSON.stringify(b.shape)}`,
      );
      continue;
    }
    if (a.data.length !== b.data.length) {
      differences.push(`output '${name}': ${a.data.length} elements vs the peer's ${b.data.length}`);
      continue;
    }
    const floating = FLOATING.has(a.datatype);
    const at = a.data.findIndex((x, i) => !close(x, b.data[i], floating, tolerance));
    if (at >= 0) {
      differences.push(
        `output '${name}': data[${at}] is ${String(a.data[at])}, the peer's ${String(b.data[at])}`,
      );
    }
  }
  return differences;
}

function close(a: unknown, b: unknown, floating: boolean, t: Tolerance): boolean {
  if (!floating || typeof a !== 'number' || typeof b !== 'number') return a === b;
  const diff = Math.abs(a - b);
  return diff <= t.absolute || diff <= t.relative * Math.max(Math.abs(a), Math.abs(b));
}

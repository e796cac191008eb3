/**
 * Reads the Prometheus text exposition the service itself writes (GET /metrics, aggregated across
 * cluster workers by the primary), so the console sees exactly the numbers /metrics reports.
 */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const UNESCAPE: Record<string, string> = { '\\': '\\', '"': '"', n: '\n' };

/** `{a="x",b="y\"z"}` starting at `text[start]`; returns the labels and the index after `}`. */
function readLabels(text: string, start: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let i = start + 1;
  for (;;) {
    while (text[i] === ',' || text[i] === ' ') i++;
    if (text[i] === '}') return { labels, end: i + 1 };
    const eq = text.indexOf('=', i);
    if (eq < 0 || text[eq + 1] !== '"') throw new Error(`malformed labels: ${text}`);
    const name = text.slice(i, eq).trim();
    let value = '';
    i = eq + 2;
    while (text[i] !== '"') {
      if (i >= text.length) throw new Error(`unterminated label value: ${text}`);
      if (text[i] === '\\') {
        value += UNESCAPE[text[i + 1]] ?? text[i + 1];
        i += 2;
      } else value += text[i++];
    }
    labels[name] = value;
    i++;
  }
}

function parseValue(s: string): number {
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  return Number(s);
}

export function parsePromText(text: string): PromSample[] {
  const samples: PromSample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const brace = line.indexOf('{');
    const space = line.indexOf(' ');
    let name: string;
    let labels: Record<string, string> = {};
    let rest: string;
    if (brace >= 0 && (space < 0 || brace < space)) {
      name = line.slice(0, brace);
      const read = readLabels(line, brace);
      labels = read.labels;
      rest = line.slice(read.end);
    } else {
      name = line.slice(0, space);
      rest = line.slice(space);
    }
    samples.push({ name, labels, value: parseValue(rest.trim().split(' ')[0]) });
  }
  return samples;
}

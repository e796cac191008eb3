/** One panel: the original and the optimised value of one quantity. */
export interface ChartPanel {
  title: string;
  unit: string;
  original: number;
  optimized: number;
  /** Lines under the bars: a ratio or a change, already worded. */
  verdict: string[];
  /** Value labels; default: 3 significant digits, thousands separated. */
  format?: (v: number) => string;
}

const PANEL_W = 430;
const PANEL_H = 165;
const LABEL_W = 110;
const BAR_H = 26;
const COLOURS = { original: '#8a8f98', optimized: '#2563eb' };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function formatValue(v: number): string {
  if (v >= 1000) return Math.round(v).toLocaleString('en-US');
  if (v >= 10) return v.toFixed(1);
  return v.toPrecision(3);
}

function panel(p: ChartPanel, x: number, y: number, names: [string, string]): string {
  const max = Math.max(p.original, p.optimized) || 1;
  const room = PANEL_W - LABEL_W - 130;
  const bars = (['original', 'optimized'] as const).map((k, i) => {
    const by = y + 34 + i * (BAR_H + 10);
    const w = Math.max(1, (p[k] / max) * room);
    return (
      `<text x="${x + LABEL_W - 8}" y="${by + 18}" text-anchor="end" class="label">${esc(names[i])}</text>` +
      `<rect x="${x + LABEL_W}" y="${by}" width="${w.toFixed(1)}" height="${BAR_H}" fill="${COLOURS[k]}" rx="2"/>` +
      `<text x="${x + LABEL_W + w + 6}" y="${by + 18}" class="value">${esc((p.format ?? formatValue)(p[k]))} ${esc(p.unit)}</text>`
    );
  });
  const below = y + 34 + 2 * (BAR_H + 10) + 12;
  const verdict = p.verdict.map(
    (line, i) => `<text x="${x + LABEL_W}" y="${below + i * 17}" class="verdict">${esc(line)}</text>`,
  );
  return `<g><text x="${x}" y="${y + 18}" class="title">${esc(p.title)}</text>${bars.join('')}${verdict.join('')}</g>`;
}

/** A 2-column grid of bar panels comparing the original and the optimised model. Pure. */
export function renderChart(heading: string, names: [string, string], panels: ChartPanel[]): string {
  const cols = 2;
  const rows = Math.ceil(panels.length / cols);
  const width = cols * PANEL_W + 40;
  const height = rows * (PANEL_H + 20) + 60;
  const body = panels
    .map((p, i) => panel(p, 20 + (i % cols) * PANEL_W, 50 + Math.floor(i / cols) * (PANEL_H + 20), names))
    .join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">
<style>.heading{font-size:17px;font-weight:bold;fill:#111}.title{font-size:14px;font-weight:bold;fill:#222}.label{font-size:13px;fill:#333}.value{font-size:13px;fill:#111}.verdict{font-size:13px;fill:#555;font-style:italic}</style>
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="20" y="30" class="heading">${esc(heading)}</text>
${body}
</svg>
`;
}

import uPlot from 'uplot';
import { el } from './dom';
import { formatValue, versionLabel } from './format';
import type { SeriesStore } from './series-store';
import type { PointField } from './status';

export interface Panel {
  /** The point field of GET /v2/console/status it charts. */
  field: PointField;
  title: string;
  unit: 'req/s' | 'ms' | '%' | 'rows' | 'PSI' | 'USD';
}

/** The smallest y range per unit, so a flat line at zero sits at the bottom of a readable axis. */
const MIN_SPAN: Record<Panel['unit'], number> = {
  'req/s': 1,
  ms: 1,
  '%': 0.01,
  rows: 1,
  PSI: 0.3,
  USD: 0.0001,
};

/**
 * The charts, in page order. A panel is drawn only when the status carries values for its field,
 * so a metric the service does not produce (a model without a quality profile, a pod without a
 * cost) leaves no empty box.
 */
export const PANELS: readonly Panel[] = [
  { field: 'reqPerSec', title: 'Requests per second', unit: 'req/s' },
  { field: 'p50Ms', title: 'p50 latency', unit: 'ms' },
  { field: 'p95Ms', title: 'p95 latency', unit: 'ms' },
  { field: 'p99Ms', title: 'p99 latency', unit: 'ms' },
  { field: 'errorRatio', title: 'Error ratio (5xx)', unit: '%' },
  { field: 'cacheHitRatio', title: 'Cache hit ratio', unit: '%' },
  { field: 'meanBatchSize', title: 'Mean batch size', unit: 'rows' },
  { field: 'driftScore', title: 'Input drift, largest feature', unit: 'PSI' },
  { field: 'confidenceShift', title: 'Confidence shift (top-1 score)', unit: 'PSI' },
  { field: 'costPer1k', title: 'Cost per 1k predictions', unit: 'USD' },
];

/** Eight hues that stay apart on white and on near-black (Okabe–Ito, colour-blind safe). */
const PALETTE = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#a08a00', '#888888'];

const cssVar = (name: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

/** The chart grid: rebuilt when the series or the colour scheme change, otherwise fed new data. */
export class Charts {
  private charts: { panel: Panel; plot: uPlot }[] = [];
  private shown = '';

  constructor(private readonly container: HTMLElement) {
    new ResizeObserver(() => this.resize()).observe(container);
  }

  update(store: SeriesStore, rebuild: boolean): void {
    const panels = PANELS.filter((p) => store.has(p.field));
    const shown = panels.map((p) => p.field).join();
    if (rebuild || shown !== this.shown) this.build(store, panels);
    else for (const { panel, plot } of this.charts) plot.setData(this.data(store, panel));
    this.shown = shown;
  }

  /** After a colour scheme change: axes and grid take the new colours. */
  restyle(store: SeriesStore): void {
    this.build(
      store,
      PANELS.filter((p) => store.has(p.field)),
    );
  }

  private data(store: SeriesStore, panel: Panel): uPlot.AlignedData {
    return [store.t, ...store.keys.map((k) => store.column(k, panel.field))];
  }

  private width(): number {
    const columns = this.container.clientWidth >= 900 ? 2 : 1;
    return Math.max(240, Math.floor((this.container.clientWidth - (columns - 1) * 16) / columns) - 2);
  }

  private resize(): void {
    const width = this.width();
    for (const { plot } of this.charts) plot.setSize({ width, height: 200 });
  }

  private build(store: SeriesStore, panels: Panel[]): void {
    for (const { plot } of this.charts) plot.destroy();
    this.container.replaceChildren();
    this.charts = [];
    if (panels.length === 0) {
      this.container.append(el('p', { class: 'empty' }, 'No inference requests in the window yet.'));
      return;
    }
    const fg = cssVar('--muted');
    const grid = cssVar('--grid');
    for (const panel of panels) {
      const figure = el('figure', { class: 'panel', 'data-field': panel.field });
      figure.append(el('figcaption', {}, `${panel.title} (${panel.unit})`));
      this.container.append(figure);
      const scale = panel.unit === '%' ? 100 : 1;
      const axis: uPlot.Axis = { stroke: fg, grid: { stroke: grid }, ticks: { stroke: grid } };
      const opts: uPlot.Options = {
        width: this.width(),
        height: 200,
        scales: {
          x: { time: true },
          y: { range: (_u, _min, max) => [0, Math.max((max ?? 0) * 1.1, MIN_SPAN[panel.unit])] },
        },
        axes: [
          axis,
          { ...axis, size: 56, values: (_u, ticks) => ticks.map((v) => String(+(v * scale).toPrecision(3))) },
        ],
        series: [
          {},
          ...store.keys.map((k, i) => ({
            label: versionLabel(k.model, k.version),
            stroke: PALETTE[i % PALETTE.length],
            width: 2,
            value: (_u: uPlot, v: number | null) => formatValue(v, panel.unit),
          })),
        ],
        cursor: { drag: { x: false, y: false } },
      };
      this.charts.push({ panel, plot: new uPlot(opts, this.data(store, panel), figure) });
    }
  }
}

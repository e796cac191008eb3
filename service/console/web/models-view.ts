import { MODEL_ACTIONS, type ModelAction } from './actions';
import { el } from './dom';
import { formatValue } from './format';
import { ModelDetails } from './model-details';
import { rolloutText } from './rollout-text';
import type { ConsoleStatus, PointField, VersionStatus } from './status';

interface Column {
  id: string;
  label: string;
  text(v: VersionStatus, status: ConsoleStatus): string;
  numeric?: boolean;
}

const recent = (id: PointField, label: string, unit: string): Column => ({
  id,
  label,
  text: (v) => formatValue(v.recent?.[id], unit),
  numeric: true,
});

type ModelStatus = ConsoleStatus['models'][number];

/** The version table's columns. */
const COLUMNS: readonly Column[] = [
  { id: 'version', label: 'Version', text: (v) => v.version || '–' },
  {
    id: 'state',
    label: 'State',
    text: (v) => (v.state === 'READY' ? 'ready' : `${v.state.toLowerCase()}: ${v.reason}`),
  },
  {
    id: 'traffic',
    label: 'Traffic',
    text: (v) =>
      v.traffic.length === 0
        ? 'none'
        : v.traffic.map((r) => `${r.variant} ${+r.weightPct.toFixed(2)} %`).join(', '),
  },
  { id: 'rollout', label: 'Rollout', text: (v) => rolloutText(v.rollout) },
  { id: 'breaker', label: 'Breaker', text: (v) => v.breaker },
  recent('reqPerSec', 'req/s', 'req/s'),
  recent('p50Ms', 'p50', 'ms'),
  recent('p95Ms', 'p95', 'ms'),
  recent('p99Ms', 'p99', 'ms'),
  recent('errorRatio', 'Errors', '%'),
  recent('cacheHitRatio', 'Cache hits', '%'),
  recent('meanBatchSize', 'Mean batch', 'rows'),
  recent('driftScore', 'Drift (PSI)', 'PSI'),
  {
    id: 'requests',
    label: 'Requests',
    text: (v) => (v.recent ? String(v.recent.requests) : '–'),
    numeric: true,
  },
];

/**
 * One card per model. The structure is rebuilt only when models or versions come or go; polls
 * otherwise change cell text alone, so keyboard focus on a button survives the updates.
 */
export class ModelsView {
  private shape = '';
  private cells = new Map<string, HTMLElement>();
  private details = new Map<string, ModelDetails>();
  /** The latest status of each model, which an action is taken on. */
  private latest = new Map<string, ModelStatus>();

  constructor(
    private readonly container: HTMLElement,
    private readonly onAction: (action: ModelAction, model: ModelStatus) => void,
  ) {}

  update(status: ConsoleStatus): void {
    const shape = JSON.stringify(status.models.map((m) => [m.name, m.versions.map((v) => v.version)]));
    if (shape !== this.shape) this.build(status);
    this.shape = shape;
    this.latest = new Map(status.models.map((m) => [m.name, m]));
    for (const model of status.models) {
      this.details.get(model.name)?.update(model);
      for (const v of model.versions)
        for (const c of COLUMNS) {
          const cell = this.cells.get(JSON.stringify([model.name, v.version, c.id]));
          if (cell) cell.textContent = c.text(v, status);
        }
    }
  }

  private build(status: ConsoleStatus): void {
    this.cells.clear();
    this.details.clear();
    const caption = `Last ${status.summarySeconds} s`;
    const cards = status.models.map((model) => {
      const heading = el('h3', { class: 'model-name' }, model.name);
      const actions = el(
        'div',
        { class: 'actions' },
        ...MODEL_ACTIONS.map((a) => {
          const button = el('button', { type: 'button', 'data-action': a.id }, a.label);
          button.setAttribute('aria-label', `${a.label} model ${model.name}`);
          button.addEventListener('click', () => this.onAction(a, this.latest.get(model.name) ?? model));
          return button;
        }),
      );
      const head = el('tr', {}, ...COLUMNS.map((c) => el('th', { scope: 'col' }, c.label)));
      const rows = model.versions.map((v) => {
        const row = el('tr', { 'data-version': v.version });
        for (const c of COLUMNS) {
          const cell = el(c.id === 'version' ? 'th' : 'td', { 'data-label': c.label, 'data-field': c.id });
          if (c.id === 'version') cell.setAttribute('scope', 'row');
          if (c.numeric) cell.setAttribute('data-numeric', '');
          this.cells.set(JSON.stringify([model.name, v.version, c.id]), cell);
          row.append(cell);
        }
        return row;
      });
      const table = el(
        'table',
        {},
        el('caption', {}, `${model.name}: versions. Rates and latencies over the ${caption.toLowerCase()}.`),
        el('thead', {}, head),
        el('tbody', {}, ...rows),
      );
      const details = new ModelDetails();
      this.details.set(model.name, details);
      const card = el(
        'section',
        { class: 'model', 'data-model': model.name },
        el('div', { class: 'model-head' }, heading, actions),
        table,
        details.element,
      );
      return card;
    });
    this.container.replaceChildren(
      ...(cards.length > 0 ? cards : [el('p', { class: 'empty' }, 'The model repository has no models.')]),
    );
  }
}

import { el } from './dom';
import { decisionText } from './rollout-text';
import type { ConsoleStatus } from './status';

type ModelStatus = ConsoleStatus['models'][number];

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
const outcomeValue = (metric: string, x: number) => (metric === 'accuracy' ? pct(x) : x.toFixed(3));

/** Every decision of the model's rollout, newest first, with its time and reason. */
function historyItems(model: ModelStatus): HTMLElement[] {
  const history = model.versions.find((v) => v.rollout)?.rollout?.history ?? [];
  return [...history]
    .reverse()
    .map((d) =>
      el(
        'li',
        {},
        el('time', { datetime: d.at }, new Date(d.at).toLocaleTimeString()),
        ` ${decisionText(d)}`,
      ),
    );
}

/** Per variant the outcome with its 95 % interval, then the report's verdict sentence. */
function experimentItems(model: ModelStatus): HTMLElement[] {
  const e = model.experiment;
  if (!e) return [];
  const rows = e.variants.map((v) => {
    const outcome = v.outcome
      ? `${v.outcome.metric.replace('_', ' ')} ${outcomeValue(v.outcome.metric, v.outcome.value)} (95 % CI ${v.outcome.ci95.map((x) => outcomeValue(v.outcome!.metric, x)).join(' to ')}, n = ${v.outcome.n})`
      : 'no outcome yet';
    return el(
      'li',
      { 'data-variant': v.variant },
      `${v.variant} (v${v.version}): ${outcome}; ${v.requests} requests, ${v.feedback} with feedback`,
    );
  });
  return [el('ul', { class: 'variants' }, ...rows), el('p', { class: 'verdict' }, e.verdict)];
}

/**
 * The rollout history and the experiment under a model's table. Only their contents are replaced
 * on each poll, so an opened disclosure stays open and focus on its summary stays put.
 */
export class ModelDetails {
  readonly element: HTMLElement;
  private readonly history = el('ol', { class: 'history' });
  private readonly historyBox: HTMLDetailsElement;
  private readonly experiment = el('div', { class: 'experiment-body' });
  private readonly experimentBox: HTMLElement;

  constructor() {
    this.historyBox = el(
      'details',
      { class: 'rollout-history' },
      el('summary', {}, 'Rollout decisions'),
      this.history,
    );
    this.experimentBox = el('section', { class: 'experiment' }, el('h4', {}, 'Experiment'), this.experiment);
    this.element = el('div', { class: 'model-details' }, this.historyBox, this.experimentBox);
  }

  update(model: ModelStatus): void {
    const history = historyItems(model);
    this.historyBox.hidden = history.length === 0;
    this.history.replaceChildren(...history);
    const experiment = experimentItems(model);
    this.experimentBox.hidden = experiment.length === 0;
    this.experiment.replaceChildren(...experiment);
  }
}

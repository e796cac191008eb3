import 'uplot/dist/uPlot.min.css';
import './style.css';
import { apiKey, confirmAction, runAction, type ModelAction } from './actions';
import { byId } from './dom';
import { renderHealth } from './health-view';
import { ModelsView } from './models-view';
import { Charts } from './panels';
import { SeriesStore } from './series-store';
import { fetchStatus, type ConsoleStatus } from './status';

const POLL_MS = 2000;

const store = new SeriesStore();
const charts = new Charts(byId('charts'));
const updated = byId('updated');
const result = byId('action-result');
let timer: number | undefined;

async function poll(): Promise<void> {
  window.clearTimeout(timer);
  try {
    const status = await fetchStatus(store.lastMs);
    const rebuild = store.append(status);
    renderHealth(byId('health'), status);
    models.update(status);
    charts.update(store, rebuild);
    const minutes = Math.round(status.windowSeconds / 60);
    updated.textContent = `Updated ${new Date(status.generatedAt).toLocaleTimeString()}; charts cover the last ${minutes} min.`;
    updated.removeAttribute('data-state');
  } catch (e) {
    updated.textContent = `Status unavailable: ${(e as Error).message}. Retrying.`;
    updated.setAttribute('data-state', 'bad');
  }
  if (!document.hidden) timer = window.setTimeout(() => void poll(), POLL_MS);
}

async function act(action: ModelAction, model: ConsoleStatus['models'][number]): Promise<void> {
  if (!(await confirmAction(action.confirm(model)))) {
    result.textContent = `${action.label} “${model.name}”: cancelled.`;
    result.setAttribute('data-state', 'info');
    return;
  }
  result.textContent = `${action.label} “${model.name}”: waiting for the API…`;
  result.setAttribute('data-state', 'info');
  const outcome = await runAction(action, model);
  result.textContent = outcome.message;
  result.setAttribute('data-state', outcome.ok ? 'ok' : 'bad');
  void poll();
}

const models = new ModelsView(byId('models'), (action, model) => void act(action, model));

const keyInput = byId<HTMLInputElement>('api-key');
const keyState = byId('key-state');
const showKeyState = () => {
  keyState.textContent = apiKey.get() ? 'A key is set for this tab.' : 'No key set: actions go without one.';
};
byId('key-save').addEventListener('click', () => {
  if (keyInput.value.trim()) apiKey.set(keyInput.value.trim());
  keyInput.value = '';
  showKeyState();
  // The status itself may need the key: show it now rather than at the next poll.
  void poll();
});
keyInput.addEventListener('keydown', (e) => {
  if (e.key === 'Enter') byId('key-save').click();
});
byId('key-forget').addEventListener('click', () => {
  apiKey.clear();
  showKeyState();
});
showKeyState();

// Nothing to poll for while the tab is hidden; catch up at once when it is shown again.
document.addEventListener('visibilitychange', () => {
  if (!document.hidden) void poll();
});
window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => charts.restyle(store));
void poll();

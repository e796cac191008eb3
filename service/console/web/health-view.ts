import { el } from './dom';
import type { ConsoleStatus } from './status';

function rateLimitText(h: ConsoleStatus['health']): string {
  if (h.rateLimit.mode === 'global') return 'global: one budget shared through Redis';
  if (h.rateLimit.processesSharing !== undefined)
    return `local share: each of ${h.rateLimit.processesSharing} process(es) admits 1/${h.rateLimit.processesSharing} of the budget`;
  return 'local share: Redis is down, each process admits its share of the budget';
}

export function renderHealth(container: HTMLElement, status: ConsoleStatus): void {
  const h = status.health;
  const item = (term: string, value: string, state: string) =>
    el('div', { class: 'health-item', 'data-state': state }, el('dt', {}, term), el('dd', {}, value));
  container.replaceChildren(
    item('Workers', String(h.workers), 'ok'),
    item('Redis', h.redis, h.redis === 'down' ? 'bad' : 'ok'),
    item('Rate limit', rateLimitText(h), h.redis === 'down' ? 'warn' : 'ok'),
  );
}

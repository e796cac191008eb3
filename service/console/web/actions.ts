import { byId } from './dom';
import type { ConsoleStatus } from './status';

type ModelStatus = ConsoleStatus['models'][number];

const KEY_STORAGE = 'ml-platform-console:api-key';

/** The admin API key, kept for this tab only. */
export const apiKey = {
  get: (): string => sessionStorage.getItem(KEY_STORAGE) ?? '',
  set: (key: string) => sessionStorage.setItem(KEY_STORAGE, key),
  clear: () => sessionStorage.removeItem(KEY_STORAGE),
};

export interface ModelAction {
  id: string;
  label: string;
  path(model: string): string;
  confirm(model: ModelStatus): string;
  /** The POST body; `{}` when absent. */
  body?(model: ModelStatus): object;
}

const rolloutPath = (m: string) => `/v2/models/${encodeURIComponent(m)}/rollout`;

/**
 * The version a rollout would start: the newest that is not stable (neither in a rollout nor by
 * traffic), so a configured canary is its own candidate.
 */
export function rolloutCandidate(model: ModelStatus): string | undefined {
  const stable = (v: ModelStatus['versions'][number]) =>
    v.rollout ? v.rollout.role === 'stable' : v.traffic.some((r) => r.variant === 'stable');
  return model.versions
    .filter((v) => v.version !== '' && v.state === 'READY' && !stable(v))
    .map((v) => v.version)
    .sort((a, b) => Number(a) - Number(b) || a.localeCompare(b))
    .pop();
}

const canaryOf = (model: ModelStatus) =>
  model.versions.find((v) => v.rollout?.role === 'canary')?.version ?? 'the canary';

const rolloutAction = (
  action: 'start' | 'pause' | 'resume' | 'promote' | 'rollback',
  label: string,
  confirm: (model: ModelStatus) => string,
): ModelAction => ({
  id: `rollout-${action}`,
  label,
  path: rolloutPath,
  confirm,
  body: (m) => {
    const version = action === 'start' ? rolloutCandidate(m) : undefined;
    return { action, ...(version !== undefined && { version }) };
  },
});

/** The buttons each model gets: repository actions, then the rollout's (POST /v2/models/{m}/rollout). */
export const MODEL_ACTIONS: readonly ModelAction[] = [
  {
    id: 'load',
    label: 'Load',
    path: (m) => `/v2/repository/models/${encodeURIComponent(m)}/load`,
    confirm: (m) => `Load model “${m.name}”? Its versions are read from the repository again and warmed up.`,
  },
  {
    id: 'unload',
    label: 'Unload',
    path: (m) => `/v2/repository/models/${encodeURIComponent(m)}/unload`,
    confirm: (m) => `Unload model “${m.name}”? Its requests are answered 503 until it is loaded again.`,
  },
  rolloutAction('start', 'Start rollout', (m) => {
    const version = rolloutCandidate(m);
    return version === undefined
      ? `Start a rollout of “${m.name}”? It has no ready version besides stable, so the API will refuse.`
      : `Start a rollout of “${m.name}” version ${version}? It gets the first step's weight and is judged against stable.`;
  }),
  rolloutAction(
    'pause',
    'Pause rollout',
    (m) => `Pause the rollout of “${m.name}”? The canary keeps its weight but takes no further step.`,
  ),
  rolloutAction(
    'resume',
    'Resume rollout',
    (m) => `Resume the rollout of “${m.name}”? Judging and stepping start again with the next window.`,
  ),
  rolloutAction(
    'promote',
    'Promote',
    (m) => `Promote ${canaryOf(m)} of “${m.name}” now? It becomes stable and takes all traffic.`,
  ),
  rolloutAction(
    'rollback',
    'Roll back',
    (m) => `Roll back ${canaryOf(m)} of “${m.name}”? Its weight drops to 0 and stable takes all traffic.`,
  ),
];

export interface ActionOutcome {
  ok: boolean;
  message: string;
}

/** What a person should read for an answer: auth failures say what to do about them. */
export function describeAnswer(action: string, model: string, status: number, body: string): ActionOutcome {
  let detail = body;
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    if (typeof parsed.error === 'string') detail = parsed.error;
  } catch {
    // not JSON: show it as it came
  }
  const what = `${action} “${model}”`;
  if (status === 401)
    return {
      ok: false,
      message: `${what}: not authorised (401). This action needs an API key with the admin scope: enter it under “Admin API key”. The API said: ${detail}`,
    };
  if (status === 403)
    return {
      ok: false,
      message: `${what}: forbidden (403). The API key given does not have the admin scope. The API said: ${detail}`,
    };
  if (status >= 200 && status < 300)
    return { ok: true, message: `${what}: done (HTTP ${status}). The API answered: ${detail}` };
  return { ok: false, message: `${what}: failed (HTTP ${status}). The API said: ${detail}` };
}

export async function runAction(action: ModelAction, model: ModelStatus): Promise<ActionOutcome> {
  const key = apiKey.get();
  try {
    const res = await fetch(action.path(model.name), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key && { authorization: `Bearer ${key}` }) },
      body: JSON.stringify(action.body?.(model) ?? {}),
    });
    return describeAnswer(action.label, model.name, res.status, await res.text());
  } catch (e) {
    return {
      ok: false,
      message: `${action.label} “${model.name}”: no answer from the service (${(e as Error).message})`,
    };
  }
}

/** Asks in the page's modal dialog; Escape or Cancel declines. */
export function confirmAction(text: string): Promise<boolean> {
  const dialog = byId<HTMLDialogElement>('confirm');
  byId('confirm-text').textContent = text;
  return new Promise((resolve) => {
    const answer = (ok: boolean) => () => {
      cleanup();
      dialog.close();
      resolve(ok);
    };
    const yes = answer(true);
    const no = answer(false);
    const okButton = byId('confirm-ok');
    const cancelButton = byId('confirm-cancel');
    const cleanup = () => {
      okButton.removeEventListener('click', yes);
      cancelButton.removeEventListener('click', no);
      dialog.removeEventListener('cancel', no);
    };
    okButton.addEventListener('click', yes);
    cancelButton.addEventListener('click', no);
    dialog.addEventListener('cancel', no);
    dialog.showModal();
    cancelButton.focus();
  });
}

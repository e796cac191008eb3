import { byId } from './dom';

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
  confirm(model: string): string;
}

/**
 * The buttons each model gets. Rollout actions (start, pause, promote, roll back) join this list as
 * POSTs to /v2/models/{m}/rollout once that endpoint exists; nothing else on the page changes.
 */
export const MODEL_ACTIONS: readonly ModelAction[] = [
  {
    id: 'load',
    label: 'Load',
    path: (m) => `/v2/repository/models/${encodeURIComponent(m)}/load`,
    confirm: (m) => `Load model “${m}”? Its versions are read from the repository again and warmed up.`,
  },
  {
    id: 'unload',
    label: 'Unload',
    path: (m) => `/v2/repository/models/${encodeURIComponent(m)}/unload`,
    confirm: (m) => `Unload model “${m}”? Its requests are answered 503 until it is loaded again.`,
  },
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

export async function runAction(action: ModelAction, model: string): Promise<ActionOutcome> {
  const key = apiKey.get();
  try {
    const res = await fetch(action.path(model), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key && { authorization: `Bearer ${key}` }) },
      body: '{}',
    });
    return describeAnswer(action.label, model, res.status, await res.text());
  } catch (e) {
    return {
      ok: false,
      message: `${action.label} “${model}”: no answer from the service (${(e as Error).message})`,
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

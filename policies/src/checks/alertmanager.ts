import { asArray, asRecord, at, type PlainResource, type Props } from '../core/resources';

/**
 * Alertmanager routing, as the real one does it: walk the route tree depth first, the first matching
 * child wins unless it says `continue`, and an alert no child matches stays with the parent's receiver.
 */
export interface AlertmanagerConfig {
  source: string;
  route: Props;
  receivers: Props[];
}

type Labels = Record<string, string>;

function matcherStrings(route: Props): ((l: Labels) => boolean)[] {
  const out: ((l: Labels) => boolean)[] = [];
  for (const [k, v] of Object.entries(asRecord(route.match) ?? {})) out.push((l) => l[k] === String(v));
  for (const [k, v] of Object.entries(asRecord(route.match_re) ?? {})) {
    out.push((l) => new RegExp(`^(?:${String(v)})$`).test(l[k] ?? ''));
  }
  for (const m of asArray(route.matchers)) {
    if (typeof m === 'string') {
      const parsed = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"?(.*?)"?\s*$/.exec(m);
      if (parsed) out.push(matcher(parsed[1], parsed[2], parsed[3]));
    } else {
      // AlertmanagerConfig CRD form: {name, value, matchType}
      const rec = asRecord(m) ?? {};
      out.push(matcher(String(rec.name), String(rec.matchType ?? '='), String(rec.value ?? '')));
    }
  }
  return out;
}

function matcher(name: string, op: string, value: string): (l: Labels) => boolean {
  const re = new RegExp(`^(?:${value})$`);
  switch (op) {
    case '=~':
      return (l) => re.test(l[name] ?? '');
    case '!~':
      return (l) => !re.test(l[name] ?? '');
    case '!=':
      return (l) => (l[name] ?? '') !== value;
    default:
      return (l) => (l[name] ?? '') === value;
  }
}

function routeMatches(route: Props, labels: Labels): boolean {
  return matcherStrings(route).every((m) => m(labels));
}

/** Receivers an alert with these labels reaches. */
export function receiversFor(route: Props, labels: Labels, inherited?: string): string[] {
  const receiver = typeof route.receiver === 'string' ? route.receiver : inherited;
  const out: string[] = [];
  for (const child of asArray(route.routes)) {
    const c = asRecord(child);
    if (c === undefined || !routeMatches(c, labels)) continue;
    out.push(...receiversFor(c, labels, receiver));
    if (c.continue !== true) return out;
  }
  return out.length > 0 ? out : receiver !== undefined ? [receiver] : [];
}

/** Integrations of a receiver: `*_configs` (alertmanager.yaml) or `*Configs` (AlertmanagerConfig CRD). */
export function integrations(receiver: Props): { kind: string; config: Props }[] {
  return Object.entries(receiver)
    .filter(([k]) => /(_configs|Configs)$/.test(k))
    .flatMap(([k, v]) => asArray(v).map((c) => ({ kind: k, config: asRecord(c) ?? {} })));
}

/** Alertmanager configs in the stack: kube-prometheus-stack Helm values and AlertmanagerConfig objects. */
export function alertmanagerConfigs(resources: PlainResource[]): AlertmanagerConfig[] {
  const out: AlertmanagerConfig[] = [];
  for (const r of resources) {
    if (r.type === 'kubernetes:helm.sh/v3:Release' || r.type === 'kubernetes:helm.sh/v4:Chart') {
      const cfg = asRecord(at(r.props, 'values', 'alertmanager', 'config'));
      const route = asRecord(cfg?.route);
      if (cfg && route)
        out.push({
          source: `Helm release ${r.name}`,
          route,
          receivers: asArray(cfg.receivers).map((x) => asRecord(x) ?? {}),
        });
    }
    if (r.type === 'kubernetes:monitoring.coreos.com/v1alpha1:AlertmanagerConfig') {
      const route = asRecord(at(r.props, 'spec', 'route'));
      if (route) {
        out.push({
          source: `AlertmanagerConfig ${r.name}`,
          route,
          receivers: asArray(at(r.props, 'spec', 'receivers')).map((x) => asRecord(x) ?? {}),
        });
      }
    }
  }
  return out;
}

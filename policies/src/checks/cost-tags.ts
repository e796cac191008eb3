import { asRecord, type PlainResource } from '../core/resources';
import { peek, UNKNOWN } from '../core/unknown';

export interface CostTagSettings {
  requiredTags: string[];
}

/** Budgets filter on these tags, so a resource without them is spend the budget never sees. */
export function checkCostTags(resource: PlainResource, s: CostTagSettings): string[] {
  const tags = peek(() => resource.props.tags);
  if (tags === UNKNOWN) return [];
  const rec = asRecord(tags) ?? {};
  const missing = s.requiredTags.filter((k) => {
    const v = peek(() => rec[k]);
    return v !== UNKNOWN && (typeof v !== 'string' || v === '');
  });
  return missing.length > 0 ? [`missing cost allocation tag(s) ${missing.join(', ')}`] : [];
}

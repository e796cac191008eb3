import { resourceGuardrail, stringList } from '../core/define';
import { carriesAwsTags } from '../core/aws-taggable';
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

export const costAllocationTagsPolicy = resourceGuardrail(
  {
    name: 'cost-allocation-tags',
    description:
      "Every taggable AWS resource, and every component that forwards tags to them, carries the stack's tags, including the budget's cost allocation tag.",
    severity: 'medium',
    enforcementLevel: 'mandatory',
    remediation:
      'Create AWS resources after the stack tagging transformation is registered, and do not drop its tags.',
    settings: {
      requiredTags: stringList(
        ['project', 'stack', 'environment'],
        "Tags required in addition to the budget's cost allocation tag.",
      ),
    },
  },
  carriesAwsTags,
  (r, { settings, context: ctx }) => {
    const budgetTag = ctx().config.budget?.costAllocationTag;
    const requiredTags = budgetTag ? [...settings.requiredTags, budgetTag] : settings.requiredTags;
    return checkCostTags(r, { requiredTags: [...new Set(requiredTags)] });
  },
);

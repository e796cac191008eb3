import * as fs from 'node:fs';
import * as path from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { listStacks } from '@ml-platform/stack-config';
import { synthStack } from '../src/synth/run';
import { UNTAGGABLE_AWS_TYPES, isTaggable, withTags } from '../src/tagging';

const AWS_DIR = path.dirname(require.resolve('@pulumi/aws/package.json'));

/** Whether the @pulumi/aws typings give this resource type's Args a `tags` input. */
function argsHaveTags(type: string): boolean {
  const m = /^aws:([\w]+)\/(\w+):(\w+)$/.exec(type);
  if (!m) throw new Error(`unexpected type token ${type}`);
  const [, module, file, resource] = m;
  const text = fs.readFileSync(path.join(AWS_DIR, module, `${file}.d.ts`), 'utf8');
  const args = text.slice(text.indexOf(`export interface ${resource}Args {`));
  return /\n {4}tags\?: /.test(args.slice(0, args.indexOf('\n}')));
}

describe('stack-wide tagging', () => {
  it('treats as untaggable exactly the types whose Args have no tags', async () => {
    const seen = new Set<string>();
    for (const stack of listStacks()) {
      for (const r of (await synthStack(stack)).resources) if (r.type.startsWith('aws:')) seen.add(r.type);
    }
    expect(seen.size).toBeGreaterThan(25);
    for (const type of new Set([...seen, ...UNTAGGABLE_AWS_TYPES])) {
      expect([type, isTaggable(type)]).toEqual([type, argsHaveTags(type)]);
    }
  }, 120_000);

  it('puts stack tags under a resource’s own tags', async () => {
    const props = withTags(
      { tags: { team: 'ml', stack: 'override' }, other: 1 },
      { stack: 'prod', project: 'ml-platform' },
    );
    expect(props.other).toBe(1);
    const tags = await new Promise((resolve) =>
      pulumi.output(props.tags as Record<string, string>).apply(resolve),
    );
    expect(tags).toEqual({ project: 'ml-platform', stack: 'override', team: 'ml' });
  });

  it('forwards tags to the VPC and EKS components but not to Kubernetes objects', () => {
    expect(isTaggable('awsx:ec2:Vpc')).toBe(true);
    expect(isTaggable('eks:index:Cluster')).toBe(true);
    expect(isTaggable('kubernetes:core/v1:Service')).toBe(false);
    expect(isTaggable('aws:iam/rolePolicyAttachment:RolePolicyAttachment')).toBe(false);
  });
});

import { ConfigError, stackConfigMap } from '@ml-platform/stack-config';
import { packSetup } from '../src/pack';

describe('packSetup: what the pack serves for the stack the engine names', () => {
  it('without a stack (pulumi policy publish) serves every policy, with no stack config to check against', () => {
    const setup = packSetup(undefined, {});
    expect(setup.policies).toHaveLength(19);
    expect(setup.initialConfig).toBeUndefined();
  });

  it('applies no initial config to a stack that has no config/<stack>.json', () => {
    const setup = packSetup('scratch', stackConfigMap('prod'));
    expect(setup.stack).toBe('scratch');
    expect(setup.initialConfig).toBeUndefined();
  });

  it('refuses a config map the program would refuse, before serving anything', () => {
    const map = { ...stackConfigMap('prod'), 'aws:region': 'eu-west-1' };
    expect(() => packSetup('prod', map)).toThrow(ConfigError);
    expect(() => packSetup('prod', map)).toThrow(/^invalid config in stack prod:\n {2}- aws:region: /);
  });
});

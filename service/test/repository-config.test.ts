import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelConfigError, readModelConfig } from '../src/repository/config-file';
import { instanceCount } from '../src/repository/model-config';
import { parseVersionDir, selectVersions } from '../src/repository/version-policy';

describe('readModelConfig', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'model-config-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (content: string) => {
    const file = join(dir, 'config.json');
    writeFileSync(file, content);
    return file;
  };
  const failure = (file: string, name = 'm'): string => {
    try {
      readModelConfig(file, name);
    } catch (e) {
      expect(e).toBeInstanceOf(ModelConfigError);
      return (e as Error).message;
    }
    throw new Error('expected a ModelConfigError');
  };

  test('a valid config gets its defaults', () => {
    const cfg = readModelConfig(write('{"name":"m","max_batch_size":4}'), 'm');
    expect(cfg.version_policy).toEqual({ latest: { num_versions: 1 } });
    expect(cfg.session.execution_providers).toEqual(['cpu']);
  });

  test('an error names the file, the key path, the bad value and what is allowed', () => {
    const file = write(
      JSON.stringify({
        name: 'm',
        max_batch_size: 4,
        dynamic_batching: { max_queue_size: 0 },
        session: { execution_providers: ['tpu'] },
      }),
    );
    const msg = failure(file);
    expect(msg).toContain(file);
    expect(msg).toMatch(/dynamic_batching\.max_queue_size: got 0; .*>=1/);
    expect(msg).toMatch(/session\.execution_providers\.0: got "tpu"; .*"cpu".*"cuda"/);
  });

  test('a missing required key and an unknown key', () => {
    const msg = failure(write('{"name":"m","max_batch_sise":4}'));
    expect(msg).toMatch(/max_batch_size: missing/);
    expect(msg).toMatch(/\(top level\): got .*max_batch_sise/);
  });

  test('a preferred batch size above max_batch_size', () => {
    const msg = failure(
      write('{"name":"m","max_batch_size":4,"dynamic_batching":{"preferred_batch_size":[2,8]}}'),
    );
    expect(msg).toMatch(
      /dynamic_batching\.preferred_batch_size\.1: got 8; must be <= max_batch_size \(4\), got 8/,
    );
  });

  test('max_batch_rows below max_batch_size, and a preferred size above max_batch_rows', () => {
    const below = failure(write('{"name":"m","max_batch_size":32,"dynamic_batching":{"max_batch_rows":16}}'));
    expect(below).toMatch(
      /dynamic_batching\.max_batch_rows: got 16; must be >= max_batch_size \(32\) so that a whole request fits in a batch/,
    );
    const above = failure(
      write(
        '{"name":"m","max_batch_size":32,"dynamic_batching":{"max_batch_rows":128,"preferred_batch_size":[64,256]}}',
      ),
    );
    expect(above).toMatch(
      /dynamic_batching\.preferred_batch_size\.1: got 256; must be <= max_batch_rows \(128\)/,
    );
    expect(above).not.toMatch(/preferred_batch_size\.0/);
  });

  test('invalid JSON and a name that does not match the directory', () => {
    expect(failure(write('{"name":'))).toMatch(/not valid JSON/);
    expect(failure(write('{"name":"other","max_batch_size":1}'))).toMatch(
      /name: got "other", expected "m" \(the model's directory name\)/,
    );
  });

  test("instance_group: Triton's fields, counts added up, and a clear error for each bad value", () => {
    const config = (group: unknown) =>
      write(JSON.stringify({ name: 'm', max_batch_size: 4, instance_group: group }));
    expect(instanceCount(readModelConfig(write('{"name":"m","max_batch_size":4}'), 'm'))).toBe(1);
    const two = readModelConfig(config([{ count: 2, kind: 'KIND_CPU' }, { name: 'spare' }]), 'm');
    expect(two.instance_group).toEqual([
      { count: 2, kind: 'KIND_CPU' },
      { name: 'spare', count: 1, kind: 'KIND_AUTO' },
    ]);
    expect(instanceCount(two)).toBe(3);
    expect(failure(config([{ count: 1.5 }]))).toMatch(
      /instance_group\.0\.count: got 1\.5; must be an integer number of instances/,
    );
    expect(failure(config([{ count: 2, kind: 'KIND_GPU' }]))).toMatch(
      /instance_group\.0\.kind: got "KIND_GPU"; must be "KIND_CPU" or "KIND_AUTO" \(GPU use is session\.execution_providers/,
    );
    expect(failure(config([{ count: 2, gpus: [0] }]))).toMatch(/instance_group\.0: got .*gpus/);
    expect(failure(config([]))).toMatch(/instance_group: got \[\]/);
    expect(failure(config([{ count: 10 }, { count: 10 }]))).toMatch(
      /instance_group: got .*; the counts add up to 20 instances; at most 16 per version/,
    );
  });

  test('a missing file', () => {
    expect(failure(join(dir, 'nope.json'))).toMatch(/nope\.json: cannot read/);
  });
});

describe('selectVersions', () => {
  const onDisk = [3, 1, 10, 2];
  test('latest N takes the highest numbers', () => {
    expect(selectVersions({ latest: { num_versions: 2 } }, onDisk)).toEqual([3, 10]);
    expect(selectVersions({ latest: { num_versions: 9 } }, onDisk)).toEqual([1, 2, 3, 10]);
  });
  test('all takes every version', () => {
    expect(selectVersions({ all: {} }, onDisk)).toEqual([1, 2, 3, 10]);
  });
  test('specific keeps the listed ones, even when missing on disk so their load fails visibly', () => {
    expect(selectVersions({ specific: { versions: [2, 7] } }, onDisk)).toEqual([2, 7]);
  });
  test('version directories are positive integers', () => {
    expect(['1', '12', '0', '01', 'v2', 'latest'].map(parseVersionDir)).toEqual([
      1,
      12,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });
});

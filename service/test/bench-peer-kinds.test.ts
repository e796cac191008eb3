import path from 'node:path';
import { parsePeers, peerBatching, servedModel } from '../bench/peer-kinds';
import { REPO_ROOT } from '../../test/support/service-process';

describe('parsePeers (--peers of the peers bench)', () => {
  it('keeps the named peers once each, in the order given', () => {
    expect(parsePeers('litserve, fastapi,litserve')).toEqual(['litserve', 'fastapi']);
    expect(parsePeers('fastapi,mlserver,litserve')).toEqual(['fastapi', 'mlserver', 'litserve']);
  });

  it('refuses an unknown peer or none, naming the flag and the choices', () => {
    expect(() => parsePeers('fastapi,triton,bentoml')).toThrow(
      "--peers: unknown peer 'triton', 'bentoml'; choose from fastapi, mlserver, litserve",
    );
    expect(() => parsePeers(' , ')).toThrow('--peers: name at least one of fastapi, mlserver, litserve');
  });
});

describe('peerBatching (the service batching window, in requests for the peers)', () => {
  it('takes max_batch_size as requests and the queue delay in seconds', () => {
    expect(
      peerBatching({
        max_batch_size: 64,
        dynamic_batching: {
          max_queue_delay_microseconds: 2000,
          preferred_batch_size: [],
          max_batch_rows: 256,
          max_queue_size: 4096,
        },
      }),
    ).toEqual({ maxBatchSize: 64, maxBatchTimeSeconds: 0.002 });
  });

  it('gives a model without dynamic batching no wait, and one without a batch dimension batches of 1', () => {
    expect(peerBatching({ max_batch_size: 0 })).toEqual({ maxBatchSize: 1, maxBatchTimeSeconds: 0 });
  });

  it('reads a bundled model config', () => {
    const models = path.join(REPO_ROOT, 'models');
    expect(servedModel(models, 'breast-cancer/1')).toEqual({
      name: 'breast-cancer',
      version: '1',
      file: path.join(models, 'breast-cancer', '1', 'model.onnx'),
      maxBatchSize: 64,
      maxBatchTimeSeconds: 0.0005,
    });
  });
});

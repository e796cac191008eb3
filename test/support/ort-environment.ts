import type { EnvironmentContext, JestEnvironmentConfig } from '@jest/environment';
import { TestEnvironment } from 'jest-environment-node';

/**
 * Jest runs each test file in its own VM context, so `Float32Array` inside a test is not the one
 * onnxruntime-node's native addon builds its outputs with, and onnxruntime-common's `instanceof`
 * checks reject every output tensor ("A float32 tensor's data must be type of function
 * Float32Array()"). Sharing the host's typed-array constructors with the test context fixes that.
 */
const SHARED = [
  'ArrayBuffer',
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
] as const;

export default class OrtNodeEnvironment extends TestEnvironment {
  constructor(config: JestEnvironmentConfig, context: EnvironmentContext) {
    super(config, context);
    const host = globalThis as unknown as Record<string, unknown>;
    const sandbox = this.global as unknown as Record<string, unknown>;
    for (const name of SHARED) sandbox[name] = host[name];
  }
}

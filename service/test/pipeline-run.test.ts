import type { InferResult } from '../src/core/engine';
import { ServiceError } from '../src/core/errors';
import type { AroundHook, CallContext, Execution, Observation } from '../src/pipeline/phases';
import { composeExecution, deferredObservers, executionResult, runAdmit } from '../src/pipeline/run';

const call: CallContext = { requestId: 'r', scope: 'infer', headers: {}, setHeader: () => undefined };
const exec = { call: { ...call, model: 'm' }, request: { inputs: [], deadline: 0 } } as unknown as Execution;
const answer = (modelVersion: string): InferResult => ({ modelName: 'm', modelVersion, outputs: [] });
const nextTick = () => new Promise((resolve) => setImmediate(resolve));

describe('admit phase', () => {
  it('stays synchronous while every hook is, and stops at the first refusal', () => {
    const seen: string[] = [];
    const refuse = () => {
      seen.push('refuse');
      throw new ServiceError(429, 'no');
    };
    expect(runAdmit([() => void seen.push('a'), () => void seen.push('b')], call)).toBeUndefined();
    expect(() => runAdmit([refuse, () => void seen.push('after')], call)).toThrow('no');
    expect(seen).toEqual(['a', 'b', 'refuse']);
  });

  it('runs the hooks after an asynchronous one in order, once it settles', async () => {
    const seen: string[] = [];
    const pending = runAdmit(
      [
        () => void seen.push('sync'),
        async () => {
          await nextTick();
          seen.push('async');
        },
        () => void seen.push('last'),
      ],
      call,
    );
    expect(seen).toEqual(['sync']);
    await pending;
    expect(seen).toEqual(['sync', 'async', 'last']);
  });
});

describe('around and execute phases', () => {
  it('runs the first hook outermost, and a hook may answer without calling next', async () => {
    const seen: string[] = [];
    const wrap =
      (name: string): AroundHook =>
      (e, next, settle) => {
        seen.push(`${name} in`);
        next(e, {
          resolve: (r) => {
            seen.push(`${name} out`);
            settle.resolve(r);
          },
          reject: (err) => settle.reject(err),
        });
      };
    const run = composeExecution([wrap('outer'), wrap('inner')], (_e, settle) => {
      seen.push('execute');
      setImmediate(() => settle.resolve(answer('1')));
    });
    expect(await executionResult(run, exec)).toEqual(answer('1'));
    expect(seen).toEqual(['outer in', 'inner in', 'execute', 'inner out', 'outer out']);

    const shortCircuit = composeExecution([(_e, _next, settle) => settle.resolve(answer('cached'))], () => {
      throw new Error('the executor must not run');
    });
    expect((await executionResult(shortCircuit, exec)).modelVersion).toBe('cached');
  });

  it('passes the execution a hook hands to next on to the executor', async () => {
    const widen: AroundHook = (e, next, settle) =>
      next({ ...e, request: { ...e.request, outputs: undefined } }, settle);
    const run = composeExecution([widen], (e, settle) => settle.resolve(answer(String(e.request.outputs))));
    const widened = await executionResult(run, { ...exec, request: { ...exec.request, outputs: ['label'] } });
    expect(widened.modelVersion).toBe('undefined');
  });

  it('rejects the execution when a hook throws, and the outer hooks see the rejection', async () => {
    const seen: unknown[] = [];
    const outer: AroundHook = (e, next, settle) =>
      next(e, {
        resolve: (r) => settle.resolve(r),
        reject: (err) => {
          seen.push((err as Error).message);
          settle.reject(err);
        },
      });
    const refuse: AroundHook = () => {
      throw new ServiceError(503, 'open');
    };
    const run = composeExecution([outer, refuse], () => {
      throw new Error('the executor must not run');
    });
    await expect(executionResult(run, exec)).rejects.toThrow('open');
    expect(seen).toEqual(['open']);
  });
});

describe('observe phase', () => {
  const observation = (status: number): Observation => ({ model: 'm', status, seconds: 0.001 });

  it('builds nothing when there is no observer', () => {
    expect(deferredObservers([], () => undefined)).toBeUndefined();
  });

  it('observes after the current turn of the event loop, never during it', async () => {
    const seen: number[] = [];
    const observe = deferredObservers([(o) => seen.push(o.status)], () => undefined)!;
    observe(observation(200));
    observe(observation(503));
    expect(seen).toEqual([]);
    await nextTick();
    expect(seen).toEqual([200, 503]);
    observe(observation(404));
    await nextTick();
    expect(seen).toEqual([200, 503, 404]);
  });

  it('reports a throwing observer and still runs the others', async () => {
    const errors: unknown[] = [];
    const seen: number[] = [];
    const observe = deferredObservers(
      [
        () => {
          throw new Error('observer bug');
        },
        (o) => seen.push(o.status),
      ],
      (err) => errors.push(err),
    )!;
    observe(observation(200));
    await nextTick();
    expect(seen).toEqual([200]);
    expect(errors).toEqual([new Error('observer bug')]);
  });
});

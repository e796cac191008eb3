import type { RolloutState } from './controller';
import { emptyArm, type ArmStats } from './window';

export type Arm = 'stable' | 'canary';

/** Per-window counts recorded by this process since the last flush, keyed by model, rollout and window. */
export interface PendingCounts {
  model: string;
  rolloutId: number;
  window: number;
  arm: Arm;
  stats: ArmStats;
}

/**
 * Where rollout state and window counts live: in this process (MemoryRolloutStore) or shared by
 * every replica (RedisRolloutStore). Writes of state are compare-and-set on `revision`, so that of
 * two replicas judging the same window only one decision is kept.
 */
export interface RolloutStore {
  readonly scope: 'shared' | 'process';
  load(model: string): Promise<RolloutState | undefined>;
  /** Stores `next` if the stored revision is still `expected` (-1: nothing stored); false otherwise. */
  compareAndSet(model: string, expected: number, next: RolloutState): Promise<boolean>;
  add(counts: readonly PendingCounts[]): Promise<void>;
  window(model: string, rolloutId: number, window: number): Promise<Record<Arm, ArmStats>>;
}

export function addInto(target: ArmStats, source: ArmStats): void {
  target.requests += source.requests;
  target.errors += source.errors;
  for (let i = 0; i < source.latency.length; i++) target.latency[i] += source.latency[i];
}

/** Windows kept per model in memory: the judged one and a few in flight. */
const KEEP_WINDOWS = 4;

export class MemoryRolloutStore implements RolloutStore {
  readonly scope = 'process' as const;
  private readonly states = new Map<string, RolloutState>();
  private readonly windows = new Map<string, Map<string, Record<Arm, ArmStats>>>();

  async load(model: string): Promise<RolloutState | undefined> {
    return this.states.get(model);
  }

  /** Replaces the state outright: the per-process copy taken over when shared state is unreachable. */
  adopt(state: RolloutState): void {
    this.states.set(state.model, state);
  }

  async compareAndSet(model: string, expected: number, next: RolloutState): Promise<boolean> {
    const current = this.states.get(model);
    if ((current?.revision ?? -1) !== expected) return false;
    this.states.set(model, next);
    return true;
  }

  async add(counts: readonly PendingCounts[]): Promise<void> {
    for (const c of counts) {
      let perModel = this.windows.get(c.model);
      if (!perModel) this.windows.set(c.model, (perModel = new Map()));
      const key = `${c.rolloutId}:${c.window}`;
      let arms = perModel.get(key);
      if (!arms) {
        perModel.set(key, (arms = { stable: emptyArm(), canary: emptyArm() }));
        for (const old of [...perModel.keys()].slice(0, -KEEP_WINDOWS)) perModel.delete(old);
      }
      addInto(arms[c.arm], c.stats);
    }
  }

  async window(model: string, rolloutId: number, window: number): Promise<Record<Arm, ArmStats>> {
    return (
      this.windows.get(model)?.get(`${rolloutId}:${window}`) ?? { stable: emptyArm(), canary: emptyArm() }
    );
  }
}

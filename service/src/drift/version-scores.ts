/**
 * The latest score of each model version from one per-version monitor, the in-process read side
 * of its gauge (`drift_score`, `model_confidence_shift`): the rollout controller judges a canary
 * on it without scraping its own registry. Per process, like the monitors that write it.
 */
export class VersionScores {
  private readonly scores = new Map<string, number>();

  set(model: string, version: string, score: number): void {
    this.scores.set(`${model}\u0000${version}`, score);
  }

  latest(model: string, version: string): number | undefined {
    return this.scores.get(`${model}\u0000${version}`);
  }
}

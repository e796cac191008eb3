import { percentile } from '../../test/support/load';

/** The median of interleaved rounds: on a shared machine a single run says little. */
export const median = (xs: readonly number[]): number => percentile([...xs], 50);

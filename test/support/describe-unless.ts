/** `describe` when `reason` is undefined, otherwise `describe.skip` with the reason printed once. */
export function describeUnless(reason: string | undefined, name: string, fn: () => void): void {
  if (reason) {
    console.warn(`skipping "${name}": ${reason}`);
    describe.skip(name, fn);
  } else {
    describe(name, fn);
  }
}

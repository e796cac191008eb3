/** Runs a bench's `main` and exits: 0 when it resolves, 1 with the error printed when it throws. */
export function runMain(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}

/**
 * Preloaded (`node --expose-gc -r test/support/gc-on-signal.js ...`) into a service process whose
 * memory a test measures: SIGUSR2 runs a full garbage collection, so that what the test reads next
 * is what is live, not where the process happens to be in its collection cycle.
 */
process.on('SIGUSR2', () => {
  global.gc();
  process.stderr.write('{"msg":"gc done"}\n');
});

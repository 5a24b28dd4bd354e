/**
 * Runs `task` one at a time. A call made while it runs does not start a second run at once: all calls made
 * meanwhile share one more run after the current one (each of them needs a run that starts after it was made,
 * e.g. to see rows committed just before). 50 jobs finishing together then cost 2 runs, not 50 overlapping ones.
 */
export function singleFlightWithTrailingRun<T>(task: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | undefined;
  let trailing: Promise<T> | undefined;
  const run = (): Promise<T> => {
    if (!running) {
      running = task().finally(() => {
        running = undefined;
      });
      return running;
    }
    trailing ??= running
      .catch(() => undefined)
      .then(() => {
        trailing = undefined;
        return run();
      });
    return trailing;
  };
  return run;
}

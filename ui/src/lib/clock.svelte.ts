/**
 * The window's idea of "now", for ages ("as of 2h ago"). A `$state` that
 * ticks, so every age on screen grows older by itself; the formatting in
 * `format.ts` takes the time as an argument and stays pure.
 */

export const clock = $state({ now: Date.now() });

/** Starts ticking; returns the function that stops it. */
export function startClock(everyMilliseconds = 30_000): () => void {
  clock.now = Date.now();
  const timer = setInterval(() => {
    clock.now = Date.now();
  }, everyMilliseconds);
  return () => clearInterval(timer);
}

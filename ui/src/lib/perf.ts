/**
 * What the window measures of itself, for `cargo xtask bench --window`
 * (which reads it over WebDriver): how long each keystroke in a search box
 * takes to become rendered results. Kept in memory only, the last few
 * hundred, and never sent anywhere.
 */

const KEPT = 500;

export interface Perf {
  /** Milliseconds from a keystroke to its results on screen. */
  searchLatencies: number[];
}

const perf: Perf = { searchLatencies: [] };
(globalThis as { __fieldbookPerf?: Perf }).__fieldbookPerf = perf;

export function recordSearchLatency(milliseconds: number): void {
  perf.searchLatencies.push(milliseconds);
  if (perf.searchLatencies.length > KEPT) perf.searchLatencies.shift();
}

export function searchLatencies(): readonly number[] {
  return perf.searchLatencies;
}

/** Resolves once what the last state change drew is on screen. */
export function painted(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof requestAnimationFrame === 'undefined') {
      resolve();
      return;
    }
    // The frame after the next one: the DOM change has been laid out and
    // drawn by then.
    requestAnimationFrame(() => requestAnimationFrame(() => resolve()));
  });
}

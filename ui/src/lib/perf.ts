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
  /** The text each latency answered, in the same order. */
  searchTexts: string[];
}

const perf: Perf = { searchLatencies: [], searchTexts: [] };
(globalThis as { __fieldbookPerf?: Perf }).__fieldbookPerf = perf;

export function recordSearchLatency(text: string, milliseconds: number): void {
  perf.searchLatencies.push(milliseconds);
  perf.searchTexts.push(text);
  if (perf.searchLatencies.length > KEPT) {
    perf.searchLatencies.shift();
    perf.searchTexts.shift();
  }
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

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
  /**
   * Of each latency, the milliseconds spent asking the backend (the IPC
   * round trip and the command), in the same order: the rest is waiting
   * to ask and drawing.
   */
  searchAsking: number[];
  /** Of each latency, the milliseconds from the answer to it being drawn. */
  searchDrawing: number[];
}

const perf: Perf = { searchLatencies: [], searchTexts: [], searchAsking: [], searchDrawing: [] };
(globalThis as { __fieldbookPerf?: Perf }).__fieldbookPerf = perf;

/**
 * One answered keystroke: `milliseconds` from the key to the results drawn,
 * of which `asking` waiting for the backend and `drawing` from its answer
 * to the screen.
 */
export function recordSearchLatency(
  text: string,
  milliseconds: number,
  asking: number,
  drawing: number,
): void {
  perf.searchLatencies.push(milliseconds);
  perf.searchTexts.push(text);
  perf.searchAsking.push(asking);
  perf.searchDrawing.push(drawing);
  if (perf.searchLatencies.length > KEPT) {
    perf.searchLatencies.shift();
    perf.searchTexts.shift();
    perf.searchAsking.shift();
    perf.searchDrawing.shift();
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

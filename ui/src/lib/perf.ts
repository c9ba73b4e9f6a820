/**
 * What the window measures of itself, for `cargo xtask bench --window`
 * (which reads it over WebDriver): how long each keystroke in a search box
 * takes to become rendered results. Kept in memory only, the last few
 * hundred, and never sent anywhere.
 */

const KEPT = 500;

/** One answered keystroke, in milliseconds. */
export interface SearchTiming {
  /** The text the answer was for. */
  text: string;
  /** From the keystroke to its results on screen. */
  total: number;
  /** Of which asking the backend (the IPC round trip and the command). */
  asking: number;
  /** Of which from the answer to it drawn. */
  drawing: number;
}

export interface Perf {
  /** The last few hundred answered keystrokes, oldest first. */
  searches: SearchTiming[];
}

const perf: Perf = { searches: [] };
(globalThis as { __fieldbookPerf?: Perf }).__fieldbookPerf = perf;

export function recordSearch(timing: SearchTiming): void {
  perf.searches.push(timing);
  if (perf.searches.length > KEPT) perf.searches.shift();
}

export function searches(): readonly SearchTiming[] {
  return perf.searches;
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

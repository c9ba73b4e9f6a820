/**
 * Search as you type, over customers or products, with a keyboard
 * selection. The backend answers from the cache's full-text index (any
 * part of a Chinese name, the start of a Latin word, a code, a phone);
 * this module only decides when to ask and which answer is current.
 *
 * One instance per list lives for the whole run, so going back to the
 * customer list finds the same text, results and selection.
 */
import type { Hit } from './bindings/Hit';
import { tick } from 'svelte';
import { type IpcError, type SearchKind, ipc, toIpcError } from './ipc';
import { painted, recordSearch } from './perf';

/**
 * How long typing must pause before the backend is asked. None: the cache
 * answers in milliseconds, so every keystroke is searched and answers to
 * older text are dropped; the timer only gathers keys that arrive together.
 */
export const SEARCH_DELAY_MILLISECONDS = 0;

export class SearchState {
  readonly kind: SearchKind;
  text = $state('');
  hits = $state<Hit[]>([]);
  /** Index of the selected hit (arrow keys move it). */
  selected = $state(0);
  searching = $state(false);
  error = $state<IpcError | null>(null);
  /** The text the shown hits answer (to say "no customers match X"). */
  answered = $state<string | null>(null);

  readonly #delay: number;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #latest = 0;
  /** When the text the next answer is for was typed (performance.now()). */
  #typedAt = 0;

  constructor(kind: SearchKind, delay = SEARCH_DELAY_MILLISECONDS) {
    this.kind = kind;
    this.#delay = delay;
  }

  get selectedHit(): Hit | null {
    return this.hits[this.selected] ?? null;
  }

  /** The text changed: search once typing pauses. Empty text clears at once. */
  type(text: string): void {
    this.text = text;
    this.#typedAt = performance.now();
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    if (text.trim() === '') {
      this.#latest++; // Whatever is on its way answers an older text.
      this.hits = [];
      this.selected = 0;
      this.answered = null;
      this.searching = false;
      this.error = null;
      return;
    }
    this.searching = true;
    this.#timer = setTimeout(() => void this.run(), this.#delay);
  }

  /** Searches for the current text now. */
  async run(): Promise<void> {
    this.#timer = null;
    const text = this.text;
    if (text.trim() === '') return;
    const ticket = ++this.#latest;
    const typedAt = this.#typedAt;
    this.searching = true;
    try {
      const asked = performance.now();
      const hits = await ipc.search(text.trim(), this.kind);
      const answeredAt = performance.now();
      const asking = answeredAt - asked;
      // Typing went on while we waited: a later answer is on its way.
      if (ticket !== this.#latest) return;
      this.hits = hits;
      this.selected = 0;
      this.answered = text;
      this.error = null;
      void tick()
        .then(painted)
        .then(() => {
          const drawn = performance.now();
          recordSearch({ text: text.trim(), total: drawn - typedAt, asking, drawing: drawn - answeredAt });
        });
    } catch (reason) {
      if (ticket !== this.#latest) return;
      this.error = toIpcError(reason);
    } finally {
      if (ticket === this.#latest) this.searching = false;
    }
  }

  /** Moves the selection by `step`, staying within the list. */
  move(step: number): void {
    if (this.hits.length === 0) return;
    this.selected = Math.min(this.hits.length - 1, Math.max(0, this.selected + step));
  }

  /** Selects a hit by its position (a mouse hovering it). */
  select(index: number): void {
    if (index >= 0 && index < this.hits.length) this.selected = index;
  }

  /**
   * The list's keys: arrows move, Enter opens the selected hit (through
   * `open`). Returns whether the key was used, so the caller can stop the
   * browser doing anything else with it.
   */
  key(key: string, open: (hit: Hit) => void): boolean {
    switch (key) {
      case 'ArrowDown':
        this.move(1);
        return true;
      case 'ArrowUp':
        this.move(-1);
        return true;
      case 'Enter': {
        if (this.#timer !== null) {
          // Enter came before the pause: search for what is typed, then open.
          clearTimeout(this.#timer);
          void this.run().then(() => {
            const hit = this.selectedHit;
            if (hit) open(hit);
          });
          return true;
        }
        const hit = this.selectedHit;
        if (hit) open(hit);
        return hit !== null;
      }
      default:
        return false;
    }
  }
}

export const customerSearch = new SearchState('customer');
export const productSearch = new SearchState('product');

/**
 * Ctrl+K asks for the search box; whichever search box is on screen
 * focuses itself when this count goes up.
 */
export const searchFocus = $state({ requests: 0 });

export function requestSearchFocus(): void {
  searchFocus.requests += 1;
}

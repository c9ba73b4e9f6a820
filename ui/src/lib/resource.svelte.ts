/**
 * Data a page shows, read from the backend: loading, loaded, or failed,
 * and read again after every finished sync so the page shows the ERP's
 * latest word without being asked.
 */
import { type IpcError, toIpcError } from './ipc';
import { sync } from './sync.svelte';

export class Resource<T> {
  data = $state<T | undefined>(undefined);
  error = $state<IpcError | null>(null);
  loading = $state(false);
  /** Which load is the latest: an answer to an earlier one is dropped. */
  #latest = 0;
  readonly #fetch: () => Promise<T>;

  constructor(fetch: () => Promise<T>) {
    this.#fetch = fetch;
  }

  /**
   * Reads the data. What was shown stays until the new data is in, so a
   * reload after a sync does not flash a spinner.
   */
  async load(): Promise<void> {
    const ticket = ++this.#latest;
    this.loading = true;
    try {
      // `fetch` runs before the first `await`, so the reactive values it
      // reads (a page's id) are tracked by the effect in `resource()`.
      const data = await this.#fetch();
      if (ticket !== this.#latest) return;
      this.data = data;
      this.error = null;
    } catch (reason) {
      if (ticket !== this.#latest) return;
      this.error = toIpcError(reason);
    } finally {
      if (ticket === this.#latest) this.loading = false;
    }
  }
}

/**
 * A resource bound to the calling component: loaded when it mounts, again
 * when what `fetch` reads changes, and again after every finished sync.
 * Call it while the component initialises.
 */
export function resource<T>(fetch: () => Promise<T>): Resource<T> {
  const loaded = new Resource(fetch);
  $effect(() => {
    void sync.generation;
    void loaded.load();
  });
  return loaded;
}

/**
 * Notifications shown over the page. An *alert* (an error, the ERP refusing
 * an order) stays until dismissed and is announced by screen readers at
 * once (`role="alert"`); a *note* (an order accepted, settings saved) is
 * polite (`role="status"`) and goes by itself.
 */

export type ToastTone = 'alert' | 'note';

export interface Toast {
  id: number;
  tone: ToastTone;
  text: string;
}

/** How long a note stays. */
export const NOTE_MILLISECONDS = 6_000;
/** The most toasts on screen; the oldest go first. */
export const MAX_TOASTS = 5;

class Toasts {
  items = $state<Toast[]>([]);
  #nextId = 1;

  show(tone: ToastTone, text: string): number {
    const id = this.#nextId++;
    this.items = [...this.items, { id, tone, text }].slice(-MAX_TOASTS);
    if (tone === 'note') setTimeout(() => this.dismiss(id), NOTE_MILLISECONDS);
    return id;
  }

  alert(text: string): number {
    return this.show('alert', text);
  }

  note(text: string): number {
    return this.show('note', text);
  }

  dismiss(id: number): void {
    this.items = this.items.filter((toast) => toast.id !== id);
  }

  clear(): void {
    this.items = [];
  }
}

export const toasts = new Toasts();

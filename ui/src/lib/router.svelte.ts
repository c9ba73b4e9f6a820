/**
 * Which page the window shows, and the way back.
 *
 * A *route* is a plain object naming a page and what it shows (a
 * customer's id, the outbox entry being edited). There are no URLs: the
 * window is one document loaded from disk, nothing links into it, and a
 * typed object cannot be misspelt the way a path can. The *history* is the
 * routes visited before, most recent last, so Esc and "Back" return where
 * the salesperson came from.
 */

export type SaleKind = 'quote' | 'order';

export type Route =
  | { page: 'home' }
  /** Right after connecting: the first sync's progress. */
  | { page: 'first-sync' }
  | { page: 'customers' }
  | { page: 'customer'; id: number }
  /** A customer written here, sent to the ERP with the next sync. */
  | { page: 'customer-new' }
  /** Changes to a customer's name and contacts, and addresses or contacts to add. */
  | { page: 'customer-edit'; id: number }
  | { page: 'products' }
  | { page: 'product'; id: number }
  /** A new quote or order (`entry` null), or an outbox entry's, to edit and resend. */
  | { page: 'editor'; customerId: number; kind: SaleKind; entry: number | null }
  | { page: 'outbox' }
  | { page: 'request'; customerId: number }
  | { page: 'settings' };

export type Page = Route['page'];

/** The pages in the header's navigation. */
export const NAV_PAGES = ['home', 'customers', 'products', 'outbox', 'settings'] as const;

/**
 * Pages where Esc does not go back, since it would throw away what was
 * typed (a draft order, a request) or leave a page that has no "back".
 */
const KEEPS_INPUT: ReadonlySet<Page> = new Set([
  'editor',
  'request',
  'customer-new',
  'customer-edit',
  'first-sync',
]);

/** How many routes back the history reaches. */
export const HISTORY_LIMIT = 50;

export class Router {
  current = $state<Route>({ page: 'home' });
  #history = $state<Route[]>([]);

  /** Whether {@link back} has somewhere to go. */
  get canGoBack(): boolean {
    return this.#history.length > 0;
  }

  /** Shows `route`; Back returns here. */
  navigate(route: Route): void {
    if (sameRoute(route, this.current)) return;
    this.#history = [...this.#history, this.current].slice(-HISTORY_LIMIT);
    this.current = route;
  }

  /**
   * Shows `route` in place of the current page, which Back then skips: after
   * saving an order, Back from the outbox goes to the customer, not to the
   * editor of a draft that is saved already.
   */
  replace(route: Route): void {
    this.current = route;
  }

  /** The previous page, or home when there is none. */
  back(): void {
    const previous = this.#history.at(-1);
    this.#history = this.#history.slice(0, -1);
    this.current = previous ?? { page: 'home' };
  }

  /** Starts afresh at `route` with no history (after connecting or signing out). */
  reset(route: Route = { page: 'home' }): void {
    this.#history = [];
    this.current = route;
  }

  /** Whether Esc should go back from the current page. */
  get escapeGoesBack(): boolean {
    return !KEEPS_INPUT.has(this.current.page);
  }

  /** The navigation entry the current page belongs to (a customer is under Customers). */
  get section(): (typeof NAV_PAGES)[number] | null {
    switch (this.current.page) {
      case 'customer':
      case 'customer-new':
      case 'customer-edit':
      case 'request':
      case 'editor':
        return 'customers';
      case 'product':
        return 'products';
      case 'first-sync':
        return 'home';
      default:
        return this.current.page;
    }
  }
}

/** Same page showing the same thing. */
export function sameRoute(a: Route, b: Route): boolean {
  const fields = (route: Route) => Object.entries(route).sort(([x], [y]) => x.localeCompare(y));
  return JSON.stringify(fields(a)) === JSON.stringify(fields(b));
}

export const router = new Router();

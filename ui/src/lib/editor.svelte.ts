/**
 * The quote and order editor's state, apart from its markup.
 *
 * Terms:
 * - *line*: a product with the quantity, unit price and discount as typed
 *   (strings: the backend reads and checks them, and says which line is
 *   wrong). An empty unit price means the list price; an empty discount,
 *   none.
 * - *form*: what the backend takes (`SaleForm`), built from the lines and
 *   fields by {@link EditorState.form}.
 * - *preview*: the backend's live view of the form (`SalePreview`): line
 *   amounts, the estimated total, credit and stock left after it, and the
 *   *problem* that keeps it from being saved, if any. It is asked for
 *   whenever the form changes, once typing pauses.
 * - *entry*: the outbox entry being edited (a quote or order the ERP refused
 *   or has not had yet), or null for a new draft.
 */
import type { AddressRow } from './bindings/AddressRow';
import type { AppError } from './bindings/AppError';
import type { Hit } from './bindings/Hit';
import type { LinePreview } from './bindings/LinePreview';
import type { SaleForm } from './bindings/SaleForm';
import type { SalePreview } from './bindings/SalePreview';
import type { Saved } from './bindings/Saved';
import type { WarehouseRow } from './bindings/WarehouseRow';
import { type IpcError, ipc, toIpcError } from './ipc';
import type { SaleKind } from './router.svelte';

/** How long the editor must be still before the preview is asked for. */
export const PREVIEW_DELAY_MILLISECONDS = 150;

export interface EditorLine {
  /** Tells lines apart in the list (two lines may have the same product). */
  key: number;
  productId: number;
  /** From the search hit; a loaded entry's lines get theirs from the preview. */
  code: string | null;
  name: string | null;
  quantity: string;
  unitPrice: string;
  discount: string;
}

export interface EditorStart {
  kind: SaleKind;
  customerId: number;
  entry: number | null;
  /** The entry's form, to edit it. */
  form?: SaleForm | null;
}

export class EditorState {
  readonly customerId: number;
  readonly entry: number | null;
  kind = $state<SaleKind>('order');
  lines = $state<EditorLine[]>([]);
  invoiceAddressId = $state<number | null>(null);
  shipmentAddressId = $state<number | null>(null);
  warehouseId = $state<number | null>(null);
  /** `YYYY-MM-DD`, or empty. */
  requestedDate = $state('');
  reference = $state('');
  note = $state('');

  preview = $state<SalePreview | null>(null);
  /** The preview could not be had at all (not the draft's problem: the backend's). */
  previewError = $state<IpcError | null>(null);
  previewing = $state(false);
  saving = $state(false);
  saveError = $state<IpcError | null>(null);

  #nextKey = 1;
  /**
   * The line keys the shown preview was computed for, in order. State like
   * the preview itself, so markup that matched a line before the preview
   * came updates when it does.
   */
  #previewKeys = $state.raw<number[]>([]);
  #previewTimer: ReturnType<typeof setTimeout> | null = null;
  #latestPreview = 0;
  readonly #delay: number;

  constructor(start: EditorStart, delay = PREVIEW_DELAY_MILLISECONDS) {
    this.customerId = start.customerId;
    this.entry = start.entry;
    this.kind = start.kind;
    this.#delay = delay;
    if (start.form) this.load(start.form);
  }

  /** Fills the editor from a saved form (an outbox entry's). */
  load(form: SaleForm): void {
    this.kind = form.kind === 'quote' ? 'quote' : 'order';
    this.lines = form.lines.map((line) => ({
      key: this.#nextKey++,
      productId: line.product_id,
      code: null,
      name: null,
      quantity: line.quantity,
      unitPrice: line.unit_price ?? '',
      discount: line.discount_percent ?? '',
    }));
    this.invoiceAddressId = form.invoice_address_id;
    this.shipmentAddressId = form.shipment_address_id;
    this.warehouseId = form.warehouse_id;
    this.requestedDate = form.requested_date ?? '';
    this.reference = form.reference ?? '';
    this.note = form.note ?? '';
  }

  /** Adds a line for a product found by search: one of it, at its list price. */
  addProduct(hit: Pick<Hit, 'erp_id' | 'code' | 'name'>): EditorLine {
    const line: EditorLine = {
      key: this.#nextKey++,
      productId: hit.erp_id,
      code: hit.code,
      name: hit.name,
      quantity: '1',
      unitPrice: '',
      discount: '',
    };
    this.lines = [...this.lines, line];
    // The state's own (proxied) line: changes through it are seen.
    return this.lines[this.lines.length - 1]!;
  }

  removeLine(key: number): void {
    this.lines = this.lines.filter((line) => line.key !== key);
  }

  /**
   * Picks the addresses the backend would default to (the first invoice
   * address, the first delivery address, else the first of all), so the
   * selects show what will be used rather than a blank.
   */
  defaultAddresses(addresses: readonly AddressRow[]): void {
    const first = addresses[0]?.erp_id ?? null;
    this.invoiceAddressId ??= addresses.find((address) => address.invoice)?.erp_id ?? first;
    this.shipmentAddressId ??= addresses.find((address) => address.delivery)?.erp_id ?? first;
  }

  /** Picks the first warehouse, as the backend would. */
  defaultWarehouse(warehouses: readonly WarehouseRow[]): void {
    this.warehouseId ??= warehouses[0]?.erp_id ?? null;
  }

  /** The form as the backend takes it: text trimmed, blanks as null. */
  form(): SaleForm {
    return {
      kind: this.kind,
      customer_id: this.customerId,
      lines: this.lines.map((line) => ({
        product_id: line.productId,
        quantity: line.quantity.trim(),
        unit_price: blankAsNull(line.unitPrice),
        discount_percent: blankAsNull(line.discount),
      })),
      invoice_address_id: this.invoiceAddressId,
      shipment_address_id: this.shipmentAddressId,
      warehouse_id: this.warehouseId,
      requested_date: blankAsNull(this.requestedDate),
      reference: blankAsNull(this.reference),
      note: blankAsNull(this.note),
    };
  }

  /** The form changed: preview it once the editor is still for a moment. */
  schedulePreview(): void {
    if (this.#previewTimer !== null) clearTimeout(this.#previewTimer);
    this.#previewTimer = setTimeout(() => void this.refreshPreview(), this.#delay);
  }

  /** Asks for the preview of the form as it is now. */
  async refreshPreview(): Promise<void> {
    this.#previewTimer = null;
    const ticket = ++this.#latestPreview;
    const keys = this.lines.map((line) => line.key);
    this.previewing = true;
    try {
      const preview = await ipc.previewSale(this.form(), this.entry);
      if (ticket !== this.#latestPreview) return; // The form changed since.
      this.preview = preview;
      this.#previewKeys = keys;
      this.previewError = null;
    } catch (reason) {
      if (ticket !== this.#latestPreview) return;
      this.previewError = toIpcError(reason);
    } finally {
      if (ticket === this.#latestPreview) this.previewing = false;
    }
  }

  /** The preview of one line, if the shown preview includes it. */
  linePreview(key: number): LinePreview | null {
    const index = this.#previewKeys.indexOf(key);
    const line = this.lines.find((candidate) => candidate.key === key);
    const preview = index >= 0 ? this.preview?.lines[index] : undefined;
    // A line re-pointed at another product since is not this preview's.
    return preview && line && preview.product_id === line.productId ? preview : null;
  }

  /** What keeps the draft from being saved, as far as the last preview knows. */
  get problem(): AppError | null {
    return this.previewError?.toAppError() ?? this.preview?.problem ?? null;
  }

  get canSave(): boolean {
    return !this.saving && this.lines.length > 0 && this.problem === null;
  }

  /** Saves the draft as an outbox entry (or replaces the edited entry's). */
  async save(): Promise<Saved> {
    this.saving = true;
    this.saveError = null;
    try {
      return await ipc.saveSale(this.form(), this.entry);
    } catch (reason) {
      this.saveError = toIpcError(reason);
      throw this.saveError;
    } finally {
      this.saving = false;
    }
  }

  /** Stops a preview that is waiting to be asked for (the editor closed). */
  dispose(): void {
    if (this.#previewTimer !== null) clearTimeout(this.#previewTimer);
    this.#previewTimer = null;
    this.#latestPreview++;
  }
}

function blankAsNull(text: string): string | null {
  const trimmed = text.trim();
  return trimmed === '' ? null : trimmed;
}

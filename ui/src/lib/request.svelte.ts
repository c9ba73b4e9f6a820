/**
 * The after-sales request form's state. A request is about a customer and,
 * optionally, one of their orders or one of their invoices, never both: the
 * choice is one value (`subject`), so the form cannot hold both.
 */
import type { RequestForm } from './bindings/RequestForm';
import type { Saved } from './bindings/Saved';
import { type IpcError, ipc, toIpcError } from './ipc';

/** Nothing in particular, or one order, or one invoice, by ERP id. */
export type Subject = { about: 'customer' } | { about: 'order' | 'invoice'; id: number };

export class RequestDraft {
  readonly customerId: number;
  description = $state('');
  subject = $state<Subject>({ about: 'customer' });
  saving = $state(false);
  error = $state<IpcError | null>(null);

  constructor(customerId: number) {
    this.customerId = customerId;
  }

  /** A description is required; the backend checks it too. */
  get complete(): boolean {
    return this.description.trim() !== '';
  }

  form(): RequestForm {
    const subject = this.subject;
    return {
      customer_id: this.customerId,
      description: this.description.trim(),
      order_id: subject.about === 'order' ? subject.id : null,
      invoice_id: subject.about === 'invoice' ? subject.id : null,
    };
  }

  async save(): Promise<Saved> {
    this.saving = true;
    this.error = null;
    try {
      return await ipc.saveRequest(this.form());
    } catch (reason) {
      this.error = toIpcError(reason);
      throw this.error;
    } finally {
      this.saving = false;
    }
  }
}

/** A subject as a `<select>` value ("order:12"), and back. */
export function subjectValue(subject: Subject): string {
  return subject.about === 'customer' ? '' : `${subject.about}:${subject.id}`;
}

export function parseSubject(value: string): Subject {
  const match = /^(order|invoice):(-?\d+)$/.exec(value);
  if (!match) return { about: 'customer' };
  return { about: match[1] as 'order' | 'invoice', id: Number(match[2]) };
}

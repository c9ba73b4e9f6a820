/**
 * The customer forms' state, apart from their markup: a new customer, and
 * changes to one the cache knows.
 *
 * Terms:
 * - *rows*: addresses and contacts as typed, each with a key that tells
 *   rows apart in a list (two rows may hold the same text). A new customer
 *   is all rows; a change adds rows to what the customer has.
 * - *form*: what the backend takes (`CustomerForm`, `CustomerEditForm`).
 *   The backend checks everything (a name, a street or a city, an e-mail
 *   that is one, a two-letter country) and says which row is wrong by its
 *   1-based *index*; rows are sent in the order shown, none left out, so
 *   that index is the number the page shows.
 * - *changed*: an edit sends only what differs from what the page was
 *   opened with (the name, a contact's value), compared without the spaces
 *   around it, as the backend compares.
 * - *problem*: where on the page the backend's refusal points, so the
 *   field can be marked.
 */
import type { AddressForm } from './bindings/AddressForm';
import type { ContactForm } from './bindings/ContactForm';
import type { CustomerDetail } from './bindings/CustomerDetail';
import type { CustomerEditForm } from './bindings/CustomerEditForm';
import type { CustomerForm } from './bindings/CustomerForm';
import type { Saved } from './bindings/Saved';
import type { SavedCustomer } from './bindings/SavedCustomer';
import { type IpcError, ipc, toIpcError } from './ipc';

/** The kinds of contact the backend takes, in the order the select offers them. */
export const CONTACT_KINDS = ['phone', 'mobile', 'email', 'fax', 'website'] as const;

/** The country a new address starts with (a two-letter ISO code). */
export const DEFAULT_COUNTRY = 'CN';

export interface AddressDraft {
  key: number;
  street: string;
  postalCode: string;
  city: string;
  /** A two-letter ISO code such as CN; the backend upper-cases it. */
  country: string;
  invoice: boolean;
  delivery: boolean;
}

export interface ContactDraft {
  key: number;
  /** One of {@link CONTACT_KINDS}. */
  kind: string;
  value: string;
}

/** Where on the page a refusal points (indexes 0-based, in the rows shown). */
export type Problem =
  | { at: 'name' }
  /** `country`: the country is wrong; else the address has neither street nor city. */
  | { at: 'address'; index: number; country: boolean }
  | { at: 'contact'; index: number }
  /** A contact the customer has, by its ERP id (edits only). */
  | { at: 'existing-contact'; id: number }
  /** An address the customer has, by its ERP id (edits only). */
  | { at: 'existing-address'; id: number };

const ADDRESS_CODES = new Set(['errors.customer.empty_address', 'errors.customer.country']);
const CONTACT_CODES = new Set([
  'errors.customer.contact_kind',
  'errors.customer.email',
  'errors.customer.phone',
  'errors.customer.empty_contact',
]);

/** Text as typed without the spaces around it, or nothing when that leaves nothing. */
function optional(text: string): string | null {
  const trimmed = text.trim();
  return trimmed === '' ? null : trimmed;
}

export function addressForm(address: AddressDraft): AddressForm {
  return {
    street: optional(address.street),
    postal_code: optional(address.postalCode),
    city: optional(address.city),
    country: optional(address.country),
    invoice: address.invoice,
    delivery: address.delivery,
  };
}

export function contactForm(contact: ContactDraft): ContactForm {
  return { kind: contact.kind, value: contact.value.trim() };
}

/** The 0-based row a refusal's 1-based `index` names, if it names one. */
function rowIndex(error: IpcError): number | null {
  const index = Number(error.params.index);
  return Number.isInteger(index) && index >= 1 ? index - 1 : null;
}

/** Addresses and contacts being added, as typed. */
export class CustomerRows {
  addresses = $state<AddressDraft[]>([]);
  contacts = $state<ContactDraft[]>([]);
  #nextKey = 1;

  /** Adds an address (CN, for deliveries, unless `start` says otherwise) and returns it. */
  addAddress(start: Partial<Omit<AddressDraft, 'key'>> = {}): AddressDraft {
    this.addresses.push({
      key: this.#nextKey++,
      street: '',
      postalCode: '',
      city: '',
      country: DEFAULT_COUNTRY,
      invoice: false,
      delivery: true,
      ...start,
    });
    // The row as stored: a proxy, so changes to it are seen.
    return this.addresses.at(-1)!;
  }

  removeAddress(key: number): void {
    this.addresses = this.addresses.filter((address) => address.key !== key);
  }

  /** Adds a contact (a phone, unless told otherwise) and returns it. */
  addContact(kind: string = CONTACT_KINDS[0], value = ''): ContactDraft {
    this.contacts.push({ key: this.#nextKey++, kind, value });
    return this.contacts.at(-1)!;
  }

  removeContact(key: number): void {
    this.contacts = this.contacts.filter((contact) => contact.key !== key);
  }

  addressForms(): AddressForm[] {
    return this.addresses.map(addressForm);
  }

  contactForms(): ContactForm[] {
    return this.contacts.map(contactForm);
  }
}

/** A refusal about a new row (an address's or a contact's), as a {@link Problem}. */
function rowProblem(error: IpcError): Problem | null {
  const index = rowIndex(error);
  if (index === null) return null;
  if (ADDRESS_CODES.has(error.code)) {
    return { at: 'address', index, country: error.code === 'errors.customer.country' };
  }
  if (CONTACT_CODES.has(error.code)) return { at: 'contact', index };
  return null;
}

/** A customer written here. */
export class NewCustomerDraft {
  name = $state('');
  readonly rows = new CustomerRows();
  saving = $state(false);
  error = $state<IpcError | null>(null);

  /** Starts with one address (for invoices and deliveries both) and one contact. */
  constructor() {
    this.rows.addAddress({ invoice: true, delivery: true });
    this.rows.addContact();
  }

  form(): CustomerForm {
    return {
      name: this.name.trim(),
      addresses: this.rows.addressForms(),
      contacts: this.rows.contactForms(),
    };
  }

  /** Where the backend's refusal points. */
  get problem(): Problem | null {
    const error = this.error;
    if (!error) return null;
    if (error.code === 'errors.customer.no_name') return { at: 'name' };
    return rowProblem(error);
  }

  async save(): Promise<SavedCustomer> {
    this.saving = true;
    this.error = null;
    try {
      return await ipc.newCustomer(this.form());
    } catch (reason) {
      this.error = toIpcError(reason);
      throw this.error;
    } finally {
      this.saving = false;
    }
  }
}

/** A contact the customer has: its value as the page opened with it, and as typed. */
export interface ContactEdit {
  id: number;
  kind: string;
  original: string;
  value: string;
}

/** The parts of an address the edit form changes. */
export interface AddressParts {
  street: string;
  postalCode: string;
  city: string;
}

/** An address the customer has: its parts as the page opened with them, and as typed. */
export interface AddressEdit extends AddressParts {
  id: number;
  /** The address on one line, as the page opened with it. */
  label: string;
  original: AddressParts;
  invoice: boolean;
  delivery: boolean;
}

const ADDRESS_PARTS = ['street', 'postalCode', 'city'] as const;

/**
 * Changes to a customer the cache knows: the name, the values of their
 * contacts, the street, postal code and city of their addresses, and
 * addresses and contacts to add.
 */
export class CustomerEditDraft {
  readonly customerId: number;
  readonly originalName: string;
  name = $state('');
  contacts = $state<ContactEdit[]>([]);
  addresses = $state<AddressEdit[]>([]);
  readonly rows = new CustomerRows();
  saving = $state(false);
  error = $state<IpcError | null>(null);
  /** The form last sent, to tell which field a refusal is about. */
  #sent: CustomerEditForm | null = null;

  constructor(customer: CustomerDetail) {
    this.customerId = customer.erp_id;
    this.originalName = customer.name;
    this.name = customer.name;
    this.contacts = customer.contacts.map((contact) => ({
      id: contact.erp_id,
      kind: contact.kind,
      original: contact.value,
      value: contact.value,
    }));
    this.addresses = customer.addresses.map((address) => {
      const original = {
        street: address.street ?? '',
        postalCode: address.postal_code ?? '',
        city: address.city ?? '',
      };
      return {
        id: address.erp_id,
        label: address.one_line,
        original,
        ...original,
        invoice: address.invoice,
        delivery: address.delivery,
      };
    });
  }

  /** The new name, or null when it is the one the page opened with. */
  #changedName(): string | null {
    const name = this.name.trim();
    return name === this.originalName.trim() ? null : name;
  }

  #changedContacts(): ContactEdit[] {
    return this.contacts.filter((contact) => contact.value.trim() !== contact.original.trim());
  }

  #changedAddresses(): AddressEdit[] {
    return this.addresses.filter((address) => this.addressChanged(address));
  }

  /** Whether any part of the address differs from what the page opened with. */
  addressChanged(address: AddressEdit): boolean {
    return ADDRESS_PARTS.some((part) => this.partChanged(address, part));
  }

  /** Whether one part of the address differs from what the page opened with. */
  partChanged(address: AddressEdit, part: keyof AddressParts): boolean {
    return address[part].trim() !== address.original[part].trim();
  }

  /** Whether there is anything to send. */
  get changed(): boolean {
    return (
      this.#changedName() !== null ||
      this.#changedContacts().length > 0 ||
      this.#changedAddresses().length > 0 ||
      this.rows.addresses.length > 0 ||
      this.rows.contacts.length > 0
    );
  }

  /** Whether the contact's value differs from the one the page opened with. */
  contactChanged(contact: ContactEdit): boolean {
    return contact.value.trim() !== contact.original.trim();
  }

  form(): CustomerEditForm {
    return {
      customer_id: this.customerId,
      name: this.#changedName(),
      contacts: this.#changedContacts().map((contact) => ({
        contact_id: contact.id,
        value: contact.value.trim(),
      })),
      // Only the parts that changed; an emptied part is sent empty (cleared).
      addresses: this.#changedAddresses().map((address) => {
        const part = (name: keyof AddressParts) =>
          this.partChanged(address, name) ? address[name].trim() : null;
        return {
          address_id: address.id,
          street: part('street'),
          postal_code: part('postalCode'),
          city: part('city'),
        };
      }),
      new_addresses: this.rows.addressForms(),
      new_contacts: this.rows.contactForms(),
    };
  }

  /**
   * Where the backend's refusal points. A contact's `index` counts either
   * the changed contacts sent (checked first) or the new ones: it is the
   * changed one when that one's value is the one refused.
   */
  get problem(): Problem | null {
    const error = this.error;
    const sent = this.#sent;
    if (!error) return null;
    if (error.code === 'errors.customer.emptied' || error.code === 'errors.customer.no_name') {
      return sent?.name !== null ? { at: 'name' } : null;
    }
    if (error.code === 'errors.customer.not_theirs_contact') {
      const id = Number(error.params.id);
      return Number.isInteger(id) ? { at: 'existing-contact', id } : null;
    }
    if (
      error.code === 'errors.customer.address_emptied' ||
      error.code === 'errors.customer.not_theirs_address'
    ) {
      const id = Number(error.params.id);
      return Number.isInteger(id) ? { at: 'existing-address', id } : null;
    }
    const problem = rowProblem(error);
    if (problem?.at === 'contact' && sent) {
      const change = sent.contacts[problem.index];
      if (change && refuses(error, change.value)) return { at: 'existing-contact', id: change.contact_id };
    }
    return problem;
  }

  async save(): Promise<Saved> {
    this.saving = true;
    this.error = null;
    const form = this.form();
    this.#sent = form;
    try {
      return await ipc.editCustomer(form);
    } catch (reason) {
      this.error = toIpcError(reason);
      throw this.error;
    } finally {
      this.saving = false;
    }
  }
}

/** Whether a refusal of a contact is about this value. */
function refuses(error: IpcError, value: string): boolean {
  switch (error.code) {
    case 'errors.customer.empty_contact':
      return value.trim() === '';
    case 'errors.customer.email':
    case 'errors.customer.phone':
      return error.params.value === value.trim();
    default:
      return false;
  }
}

/**
 * The keyboard a contact kind wants (`inputmode`): the input stays plain
 * text, so the webview neither checks nor rewrites what was typed (the
 * backend checks it).
 */
export function contactInputMode(kind: string): 'email' | 'tel' | 'url' | 'text' {
  switch (kind) {
    case 'email':
      return 'email';
    case 'phone':
    case 'mobile':
    case 'fax':
      return 'tel';
    case 'website':
      return 'url';
    default:
      return 'text';
  }
}

import { afterEach, describe, expect, test } from 'vitest';
import { CustomerEditDraft, CustomerRows, NewCustomerDraft, addressForm, contactInputMode } from './customer.svelte';
import { toIpcError } from './ipc';
import { appError, clearMocks, mockBackend } from './testing/backend';
import { customer } from './testing/fixtures';

afterEach(() => clearMocks());

/** Huawei with a phone and an e-mail, as the cache holds them. */
function huawei() {
  return customer({
    erp_id: 7,
    name: '深圳市华为技术有限公司',
    contacts: [
      { erp_id: 21, kind: 'phone', value: '+86 755 1234 5678' },
      { erp_id: 22, kind: 'email', value: 'buyer@huawei.example.cn' },
    ],
  });
}

describe('rows', () => {
  test('a new address is in China, for deliveries, and blanks go as null', () => {
    const rows = new CustomerRows();
    const address = rows.addAddress();
    expect(address).toMatchObject({ country: 'CN', invoice: false, delivery: true });
    address.street = '  西湖区文三路 90号 ';
    address.city = '杭州';
    address.postalCode = '   ';
    expect(addressForm(address)).toEqual({
      street: '西湖区文三路 90号',
      postal_code: null,
      city: '杭州',
      country: 'CN',
      invoice: false,
      delivery: true,
    });
  });

  test('are sent in the order shown, none left out, so the backend’s numbers are the page’s', () => {
    const rows = new CustomerRows();
    const first = rows.addContact('phone', '0571 1234 5678');
    rows.addContact('email', ' ');
    rows.addContact('website', 'https://newtea.example.cn');
    expect(rows.contactForms()).toEqual([
      { kind: 'phone', value: '0571 1234 5678' },
      { kind: 'email', value: '' },
      { kind: 'website', value: 'https://newtea.example.cn' },
    ]);
    rows.removeContact(first.key);
    expect(rows.contactForms().map((contact) => contact.kind)).toEqual(['email', 'website']);
  });

  test('rows with the same text stay apart', () => {
    const rows = new CustomerRows();
    const one = rows.addAddress({ city: '深圳' });
    rows.addAddress({ city: '深圳' });
    rows.removeAddress(one.key);
    expect(rows.addresses).toHaveLength(1);
    expect(new Set([one.key, rows.addresses[0]!.key]).size).toBe(2);
  });
});

describe('NewCustomerDraft', () => {
  test('starts with one address for invoices and deliveries, and one phone', () => {
    const draft = new NewCustomerDraft();
    draft.name = ' 杭州新茶贸易有限公司 ';
    expect(draft.form()).toEqual({
      name: '杭州新茶贸易有限公司',
      addresses: [{ street: null, postal_code: null, city: null, country: 'CN', invoice: true, delivery: true }],
      contacts: [{ kind: 'phone', value: '' }],
    });
  });

  test('saves through new_customer and says which row the backend refused', async () => {
    let refusal: ReturnType<typeof appError> | null = appError('errors.customer.email', 'bad', {
      index: '2',
      value: 'buyer-at-newtea',
    });
    const calls = mockBackend({
      new_customer: () => {
        if (refusal) throw refusal;
        return { entry: 4, customer_id: -1, code: 'NEW-1' };
      },
    });
    const draft = new NewCustomerDraft();
    draft.name = '杭州新茶贸易有限公司';
    draft.rows.addContact('email', 'buyer-at-newtea');
    await expect(draft.save()).rejects.toMatchObject({ code: 'errors.customer.email' });
    expect(draft.problem).toEqual({ at: 'contact', index: 1 });
    expect(draft.saving).toBe(false);

    refusal = appError('errors.customer.country', 'bad', { index: '1', country: 'CHN' });
    await expect(draft.save()).rejects.toBeDefined();
    expect(draft.problem).toEqual({ at: 'address', index: 0, country: true });

    refusal = appError('errors.customer.no_name', 'no name');
    await expect(draft.save()).rejects.toBeDefined();
    expect(draft.problem).toEqual({ at: 'name' });

    refusal = null;
    await expect(draft.save()).resolves.toEqual({ entry: 4, customer_id: -1, code: 'NEW-1' });
    expect(draft.error).toBeNull();
    expect(draft.problem).toBeNull();
    expect(calls.at(-1)).toEqual({ command: 'new_customer', args: { form: draft.form() } });
  });
});

describe('CustomerEditDraft', () => {
  test('sends nothing but the customer when nothing changed', () => {
    const draft = new CustomerEditDraft(huawei());
    expect(draft.changed).toBe(false);
    expect(draft.form()).toEqual({
      customer_id: 7,
      name: null,
      contacts: [],
      addresses: [],
      new_addresses: [],
      new_contacts: [],
    });
  });

  test('sends only the values that changed, trimmed; spaces around a value are no change', () => {
    const draft = new CustomerEditDraft(huawei());
    draft.name = '深圳市华为技术有限公司 ';
    draft.contacts[0]!.value = ' +86 755 2222 2222';
    draft.contacts[1]!.value = 'buyer@huawei.example.cn  ';
    expect(draft.changed).toBe(true);
    expect(draft.contactChanged(draft.contacts[0]!)).toBe(true);
    expect(draft.contactChanged(draft.contacts[1]!)).toBe(false);
    expect(draft.form()).toMatchObject({
      name: null,
      contacts: [{ contact_id: 21, value: '+86 755 2222 2222' }],
    });
    draft.name = '华为技术';
    expect(draft.form().name).toBe('华为技术');
  });

  test('a cleared name or value is a change (the backend refuses it, by name)', () => {
    const draft = new CustomerEditDraft(huawei());
    draft.name = '  ';
    draft.contacts[1]!.value = '';
    expect(draft.form()).toMatchObject({ name: '', contacts: [{ contact_id: 22, value: '' }] });
  });

  test('typing a value back as it was is no change', () => {
    const draft = new CustomerEditDraft(huawei());
    draft.contacts[0]!.value = 'x';
    draft.contacts[0]!.value = '+86 755 1234 5678';
    expect(draft.changed).toBe(false);
  });

  test('sends the parts of an address that changed, trimmed, a cleared one empty', () => {
    const draft = new CustomerEditDraft(huawei());
    expect(draft.addresses.map((address) => [address.id, address.street, address.postalCode])).toEqual([
      [11, '南山区科技园 1号', ''],
      [12, '福田区深南大道 100号', '518000'],
    ]);
    const second = draft.addresses[1]!;
    second.street = ' 福田区深南大道 200号 ';
    second.postalCode = '';
    expect(draft.changed).toBe(true);
    expect(draft.addressChanged(draft.addresses[0]!)).toBe(false);
    expect(draft.partChanged(second, 'city')).toBe(false);
    expect(draft.form().addresses).toEqual([
      { address_id: 12, street: '福田区深南大道 200号', postal_code: '', city: null },
    ]);
    // Typed back as it was: no change.
    second.street = '福田区深南大道 100号';
    second.postalCode = '518000 ';
    expect(draft.changed).toBe(false);
    expect(draft.form().addresses).toEqual([]);
  });

  test('marks the existing address the backend refuses, by its id', async () => {
    mockBackend({
      edit_customer: () => {
        throw appError('errors.customer.address_emptied', 'emptied', { id: '11' });
      },
    });
    const draft = new CustomerEditDraft(huawei());
    draft.addresses[0]!.street = '';
    draft.addresses[0]!.city = '';
    await expect(draft.save()).rejects.toBeDefined();
    expect(draft.problem).toEqual({ at: 'existing-address', id: 11 });
  });

  test('adds addresses and contacts besides the ones the customer has', () => {
    const draft = new CustomerEditDraft(huawei());
    draft.rows.addAddress({ street: '坂田华为基地', city: '深圳' });
    draft.rows.addContact('mobile', '138 0000 0000');
    expect(draft.changed).toBe(true);
    expect(draft.form()).toMatchObject({
      name: null,
      contacts: [],
      addresses: [],
      new_addresses: [{ street: '坂田华为基地', postal_code: null, city: '深圳', country: 'CN', invoice: false, delivery: true }],
      new_contacts: [{ kind: 'mobile', value: '138 0000 0000' }],
    });
  });

  test('saves through edit_customer', async () => {
    const calls = mockBackend({ edit_customer: { entry: 9 } });
    const draft = new CustomerEditDraft(huawei());
    draft.contacts[0]!.value = '+86 755 2222 2222';
    await expect(draft.save()).resolves.toEqual({ entry: 9 });
    expect(calls).toEqual([
      {
        command: 'edit_customer',
        args: {
          form: {
            customer_id: 7,
            name: null,
            contacts: [{ contact_id: 21, value: '+86 755 2222 2222' }],
            addresses: [],
            new_addresses: [],
            new_contacts: [],
          },
        },
      },
    ]);
  });

  test('tells a refused changed contact from a refused new one by the value refused', async () => {
    let refusal = appError('errors.customer.email', 'bad', { index: '1', value: 'nobody' });
    mockBackend({
      edit_customer: () => {
        throw refusal;
      },
    });
    const draft = new CustomerEditDraft(huawei());
    draft.contacts[1]!.value = 'nobody';
    draft.rows.addContact('email', 'somebody');
    await expect(draft.save()).rejects.toBeDefined();
    expect(draft.problem).toEqual({ at: 'existing-contact', id: 22 });

    refusal = appError('errors.customer.email', 'bad', { index: '1', value: 'somebody' });
    await expect(draft.save()).rejects.toBeDefined();
    expect(draft.problem).toEqual({ at: 'contact', index: 0 });

    refusal = appError('errors.customer.not_theirs_contact', 'gone', { id: '22' });
    await expect(draft.save()).rejects.toBeDefined();
    expect(draft.problem).toEqual({ at: 'existing-contact', id: 22 });

    refusal = appError('errors.customer.nothing_to_change', 'nothing');
    await expect(draft.save()).rejects.toBeDefined();
    expect(draft.problem).toBeNull();
  });

  test('points a refused emptied name at the name', () => {
    const draft = new CustomerEditDraft(huawei());
    draft.error = toIpcError(appError('errors.customer.emptied', 'the name cannot be emptied', { field: 'the name' }));
    expect(draft.problem).toEqual({ at: 'name' });
  });
});

test('a contact’s input brings up the keyboard for its kind', () => {
  expect(contactInputMode('email')).toBe('email');
  expect(contactInputMode('mobile')).toBe('tel');
  expect(contactInputMode('website')).toBe('url');
  expect(contactInputMode('pager')).toBe('text');
});

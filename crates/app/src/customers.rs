//! Customers written or changed in the window, and quotes turned into
//! orders: each an outbox entry, written with its change to the cache in
//! one transaction (the store sees to that).

use crate::wire::{
    AddressForm, ContactForm, CustomerEditForm, CustomerForm, QuoteToSend, Saved, SavedCustomer,
};
use crate::{App, AppError, ErrorKind};
use chrono::Utc;
use fieldbook_core::customers::{
    AddressChange, AddressDraft, ContactDraft, CustomerDraft, CustomerError, EditRequest,
    edit_changes,
};
use fieldbook_core::{QuoteToOrder, SaleKind, SaleRef};
use fieldbook_store::{CustomerRef, EntryPayload, OutboxEntry};

impl App {
    /// A new customer, in the cache at once under a provisional code
    /// (NEW-1, ...) and sent to the ERP with the next sync.
    pub fn new_customer(&self, form: &CustomerForm) -> Result<SavedCustomer, AppError> {
        let draft = CustomerDraft {
            name: form.name.trim().to_owned(),
            addresses: form.addresses.iter().map(address_draft).collect(),
            contacts: form.contacts.iter().map(contact_draft).collect(),
        };
        draft.validate()?;
        let saved = self.with_store(|store| {
            Ok(store.add_customer(&uuid::Uuid::new_v4().to_string(), &draft, Utc::now())?)
        })?;
        self.wake.notify_one();
        Ok(SavedCustomer {
            entry: saved.seq,
            customer_id: saved.customer_id,
            code: saved.code,
        })
    }

    /// Changes to a customer: only what differs from the cache, each
    /// changed field with the value the cache holds now (what the
    /// salesperson saw), so the ERP keeps its own value where it changed
    /// meanwhile and the entry keeps theirs (core's `edit_changes`).
    pub fn edit_customer(&self, form: &CustomerEditForm) -> Result<Saved, AppError> {
        let request = EditRequest {
            name: form.name.clone(),
            contacts: form
                .contacts
                .iter()
                .map(|change| (change.contact_id, change.value.clone()))
                .collect(),
            addresses: form
                .addresses
                .iter()
                .map(|change| AddressChange {
                    address_id: change.address_id,
                    street: change.street.clone(),
                    postal_code: change.postal_code.clone(),
                    city: change.city.clone(),
                })
                .collect(),
            new_addresses: form.new_addresses.iter().map(address_draft).collect(),
            new_contacts: form.new_contacts.iter().map(contact_draft).collect(),
        };
        let entry = self.with_store(|store| {
            let view = store
                .customer(CustomerRef::Id(form.customer_id))?
                .ok_or_else(|| AppError::not_found("customer", form.customer_id))?;
            let edit = edit_changes(
                &view.customer.value,
                &view.addresses,
                &view.contacts,
                &request,
            )?;
            Ok(store.edit_customer(&uuid::Uuid::new_v4().to_string(), &edit, Utc::now())?)
        })?;
        self.wake.notify_one();
        Ok(Saved { entry })
    }

    /// The quote a person names: `#5` is outbox entry 5; `5` is entry 5
    /// if that is a quote, else the ERP's sale numbered 5 (Tryton numbers
    /// sales 1, 2, ...); anything else is the ERP's number for it.
    pub fn quote_named(&self, reference: &str) -> Result<QuoteToSend, AppError> {
        let reference = reference.trim();
        self.with_store(|store| {
            let forced = reference.starts_with('#');
            let entry = match reference.trim_start_matches('#').parse::<i64>() {
                Ok(seq) => store.outbox_entry(seq)?,
                Err(_) => None,
            };
            let is_quote = |entry: &OutboxEntry| {
                matches!(&entry.payload, EntryPayload::Sale(draft) if draft.kind == SaleKind::Quote)
            };
            let order = match &entry {
                Some(entry) if is_quote(entry) => None,
                _ if forced => None,
                _ => store.order_by_number(reference)?,
            };
            match (order, entry) {
                (Some(order), _) => Ok(QuoteToSend {
                    entry: None,
                    order_id: Some(order.value.erp_id),
                }),
                // An entry that is not a quote is refused by `send_quote`,
                // saying what it is.
                (None, Some(entry)) => Ok(QuoteToSend {
                    entry: Some(entry.seq),
                    order_id: None,
                }),
                (None, None) => Err(AppError::new(
                    "errors.not_found.quote",
                    format!(
                        "no quote {reference:?}: name it by its outbox entry number or by the ERP's quotation number"
                    ),
                )
                .with("key", reference)
                .of_kind(ErrorKind::NotFound)),
            }
        })
    }

    /// The customer said yes: a quote (one written here, by its outbox
    /// entry, or one the ERP holds as a quotation) becomes an order with the
    /// next sync, after the quote's own entry if it has not gone yet.
    pub fn send_quote(&self, quote: &QuoteToSend) -> Result<Saved, AppError> {
        let entry = self.with_store(|store| {
            let change = match (quote.entry, quote.order_id) {
                (Some(seq), None) => {
                    let entry = store
                        .outbox_entry(seq)?
                        .ok_or_else(|| AppError::no_entry(seq))?;
                    match &entry.payload {
                        // A refused quote is the store's to refuse, in its
                        // own words (`StoreError::QuoteRefused`).
                        EntryPayload::Sale(draft) if draft.kind == SaleKind::Quote => {
                            QuoteToOrder {
                                sale: SaleRef::Entry(entry.uuid.clone()),
                                customer_id: draft.customer_id,
                                label: match &entry.erp_number {
                                    Some(number) => format!("quote {number}"),
                                    None => format!("the quote of outbox entry {}", entry.seq),
                                },
                                estimated_total: draft.estimated_total(store.currency_digits()?),
                            }
                        }
                        _ => {
                            return Err(AppError::new(
                                "errors.quote.not_a_quote",
                                format!(
                                    "outbox entry {seq} is not a quote waiting to be confirmed: only a quote becomes an order"
                                ),
                            ));
                        }
                    }
                }
                (None, Some(order_id)) => {
                    let order = store
                        .order(order_id)?
                        .ok_or_else(|| AppError::not_found("order", order_id))?;
                    if !order.value.state.may_become_order() {
                        return Err(AppError::new(
                            "errors.quote.not_a_quote",
                            format!(
                                "the ERP has this sale as {} as of the last sync: it is not a quote any more",
                                order.value.state
                            ),
                        )
                        .with("state", order.value.state));
                    }
                    QuoteToOrder {
                        sale: SaleRef::Erp(order.value.erp_id),
                        customer_id: order.value.customer_id,
                        label: format!(
                            "quote {}",
                            order.value.number.as_deref().unwrap_or("without a number")
                        ),
                        estimated_total: order.value.total,
                    }
                }
                _ => {
                    return Err(AppError::invalid(
                        "name the quote by its outbox entry or by the ERP's order, one of the two",
                    ));
                }
            };
            Ok(store.add_quote_to_order(&uuid::Uuid::new_v4().to_string(), &change, Utc::now())?)
        })?;
        self.wake.notify_one();
        Ok(Saved { entry })
    }
}

fn address_draft(form: &AddressForm) -> AddressDraft {
    let text = |value: &Option<String>| {
        value
            .as_deref()
            .map(str::trim)
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
    };
    AddressDraft {
        uuid: uuid::Uuid::new_v4().to_string(),
        street: text(&form.street),
        postal_code: text(&form.postal_code),
        city: text(&form.city),
        country: text(&form.country).map(|country| country.to_uppercase()),
        invoice: form.invoice,
        delivery: form.delivery,
    }
}

fn contact_draft(form: &ContactForm) -> ContactDraft {
    ContactDraft {
        uuid: uuid::Uuid::new_v4().to_string(),
        kind: form.kind.clone(),
        value: form.value.trim().to_owned(),
    }
}

impl From<CustomerError> for AppError {
    fn from(error: CustomerError) -> AppError {
        let message = error.to_string();
        match error {
            CustomerError::NoName => AppError::new("errors.customer.no_name", message),
            CustomerError::ContactKind { index, kind } => {
                AppError::new("errors.customer.contact_kind", message)
                    .with("index", index)
                    .with("kind", kind)
            }
            CustomerError::Email { index, value } => {
                AppError::new("errors.customer.email", message)
                    .with("index", index)
                    .with("value", value)
            }
            CustomerError::Phone { index, value } => {
                AppError::new("errors.customer.phone", message)
                    .with("index", index)
                    .with("value", value)
            }
            CustomerError::EmptyContact { index } => {
                AppError::new("errors.customer.empty_contact", message).with("index", index)
            }
            CustomerError::EmptyAddress { index } => {
                AppError::new("errors.customer.empty_address", message).with("index", index)
            }
            CustomerError::Country { index, country } => {
                AppError::new("errors.customer.country", message)
                    .with("index", index)
                    .with("country", country)
            }
            CustomerError::NothingToChange => {
                AppError::new("errors.customer.nothing_to_change", message)
            }
            CustomerError::Emptied { field } => {
                AppError::new("errors.customer.emptied", message).with("field", field)
            }
            CustomerError::NotTheirs { what, id } => {
                AppError::new(&format!("errors.customer.not_theirs_{what}"), message)
                    .with("id", id)
                    .of_kind(ErrorKind::NotFound)
            }
            CustomerError::AddressEmptied { id } => {
                AppError::new("errors.customer.address_emptied", message).with("id", id)
            }
        }
    }
}

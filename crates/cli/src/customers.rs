//! `fieldbook customer new|edit`: customer changes written offline. Flags
//! (or a JSON file for a new customer) become fieldbook-core's drafts; the
//! cache checks them against what it holds and keeps them in the outbox.

use crate::output::print_json;
use crate::write::FormError;
use fieldbook_core::ErpId;
use fieldbook_core::customers::{
    AddressDraft, ContactDraft, CustomerDraft, CustomerEdit, EditField, FieldEdit,
};
use fieldbook_store::{CustomerView, Store};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A new customer as typed; the shape of a `customer new --from` file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerForm {
    pub name: String,
    #[serde(default)]
    pub addresses: Vec<AddressForm>,
    #[serde(default)]
    pub contacts: Vec<ContactForm>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressForm {
    #[serde(default)]
    pub street: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub postal_code: Option<String>,
    /// ISO code, e.g. CN.
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default = "yes")]
    pub invoice: bool,
    #[serde(default = "yes")]
    pub delivery: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactForm {
    /// phone, mobile, email, fax or website.
    pub kind: String,
    pub value: String,
}

impl AddressForm {
    /// `STREET|CITY[|POSTAL_CODE[|COUNTRY]]`, as `--address` takes it.
    pub fn parse(flag: &str, text: &str) -> Result<AddressForm, FormError> {
        let parts: Vec<&str> = text.split('|').map(str::trim).collect();
        if parts.len() < 2 || parts.len() > 4 {
            return Err(FormError::Bad(format!(
                "{flag} {text:?}: write STREET|CITY[|POSTAL_CODE[|COUNTRY]], e.g. \"科技园 1号|深圳|518000|CN\""
            )));
        }
        let part = |index: usize| {
            parts
                .get(index)
                .filter(|part| !part.is_empty())
                .map(|part| part.to_string())
        };
        Ok(AddressForm {
            street: part(0),
            city: part(1),
            postal_code: part(2),
            country: part(3),
            invoice: true,
            delivery: true,
        })
    }

    fn draft(&self) -> AddressDraft {
        AddressDraft {
            uuid: new_uuid(),
            street: self.street.clone(),
            postal_code: self.postal_code.clone(),
            city: self.city.clone(),
            country: self.country.clone(),
            invoice: self.invoice,
            delivery: self.delivery,
        }
    }
}

fn new_uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn contact(kind: &str, value: &str) -> ContactDraft {
    ContactDraft {
        uuid: new_uuid(),
        kind: kind.into(),
        value: value.trim().into(),
    }
}

/// Contacts from `--phone`, `--mobile` and `--email` flags, in that order.
pub fn contacts(phones: &[String], mobiles: &[String], emails: &[String]) -> Vec<ContactDraft> {
    phones
        .iter()
        .map(|value| contact("phone", value))
        .chain(mobiles.iter().map(|value| contact("mobile", value)))
        .chain(emails.iter().map(|value| contact("email", value)))
        .collect()
}

/// Reads a `customer new --from` file.
pub fn read_form(path: &Path) -> Result<CustomerForm, FormError> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| FormError::Bad(format!("cannot read {}: {error}", path.display())))?;
    serde_json::from_str(&text).map_err(|error| {
        FormError::Bad(format!(
            "{} is not a valid customer ({error}); see \"Customers\" in the README for its shape",
            path.display()
        ))
    })
}

impl CustomerForm {
    pub fn draft(&self) -> Result<CustomerDraft, FormError> {
        let draft = CustomerDraft {
            name: self.name.trim().to_owned(),
            addresses: self.addresses.iter().map(AddressForm::draft).collect(),
            contacts: self
                .contacts
                .iter()
                .map(|form| contact(&form.kind, &form.value))
                .collect(),
        };
        draft
            .validate()
            .map_err(|error| FormError::Bad(error.to_string()))?;
        Ok(draft)
    }
}

/// What `customer edit` was asked to change, as typed.
#[derive(Debug, Default)]
pub struct EditForm {
    pub name: Option<String>,
    /// `CONTACT_ID=VALUE`.
    pub contacts: Vec<String>,
    /// `ADDRESS_ID=VALUE`, per field.
    pub streets: Vec<String>,
    pub postal_codes: Vec<String>,
    pub cities: Vec<String>,
    pub add_addresses: Vec<String>,
    pub add_contacts: Vec<ContactDraft>,
}

/// Turns an edit form into a customer edit, each field's `base` the value
/// the cache holds now.
pub fn edit(view: &CustomerView, form: &EditForm) -> Result<CustomerEdit, FormError> {
    let customer = &view.customer.value;
    let mut fields = Vec::new();
    if let Some(name) = &form.name {
        fields.push(FieldEdit {
            field: EditField::CustomerName,
            base: Some(customer.name.clone()),
            value: Some(name.trim().to_owned()),
        });
    }
    for text in &form.contacts {
        let (id, value) = id_value("--contact", text)?;
        let contact = view
            .contacts
            .iter()
            .find(|contact| contact.erp_id == id)
            .ok_or_else(|| not_theirs("contact", id, view))?;
        fieldbook_core::customers::validate_contact(1, &contact.kind, &value).map_err(|error| {
            FormError::Bad(format!(
                "--contact {text:?}: {}",
                error.to_string().trim_start_matches("contact 1: ")
            ))
        })?;
        fields.push(FieldEdit {
            field: EditField::ContactValue { contact_id: id },
            base: Some(contact.value.clone()),
            value: Some(value),
        });
    }
    type Field = fn(ErpId) -> EditField;
    let address_flags: [(&str, &[String], Field); 3] = [
        ("--street", &form.streets, |id| EditField::AddressStreet {
            address_id: id,
        }),
        ("--postal-code", &form.postal_codes, |id| {
            EditField::AddressPostalCode { address_id: id }
        }),
        ("--city", &form.cities, |id| EditField::AddressCity {
            address_id: id,
        }),
    ];
    for (flag, texts, field) in address_flags {
        for text in texts {
            let (id, value) = id_value(flag, text)?;
            let address = view
                .addresses
                .iter()
                .find(|address| address.erp_id == id)
                .ok_or_else(|| not_theirs("address", id, view))?;
            let base = match flag {
                "--street" => address.street.clone(),
                "--postal-code" => address.postal_code.clone(),
                _ => address.city.clone(),
            };
            fields.push(FieldEdit {
                field: field(id),
                base,
                value: Some(value).filter(|value| !value.is_empty()),
            });
        }
    }
    let new_addresses = form
        .add_addresses
        .iter()
        .map(|text| AddressForm::parse("--add-address", text).map(|form| form.draft()))
        .collect::<Result<Vec<_>, _>>()?;
    let edit = CustomerEdit {
        customer_id: customer.erp_id,
        fields,
        new_addresses,
        new_contacts: form.add_contacts.clone(),
    };
    edit.validate()
        .map_err(|error| FormError::Bad(error.to_string()))?;
    Ok(edit)
}

fn id_value(flag: &str, text: &str) -> Result<(ErpId, String), FormError> {
    let bad = || {
        FormError::Bad(format!(
            "{flag} {text:?}: write ID=VALUE, with the id from `fieldbook customer CODE`, e.g. {flag} 12=+86 755 2878 0808"
        ))
    };
    let (id, value) = text.split_once('=').ok_or_else(bad)?;
    let id = id.trim().parse::<ErpId>().map_err(|_| bad())?;
    Ok((id, value.trim().to_owned()))
}

fn not_theirs(what: &str, id: ErpId, view: &CustomerView) -> FormError {
    let code = view
        .customer
        .value
        .code
        .clone()
        .unwrap_or_else(|| view.customer.value.erp_id.to_string());
    FormError::NotFound(format!(
        "{code} has no {what} {id}: see `fieldbook customer {code}` for the ids"
    ))
}

#[derive(Serialize)]
struct SavedJson<'a> {
    entry: i64,
    kind: &'a str,
    customer_id: ErpId,
    code: Option<&'a str>,
}

/// Says what was saved and what happens next.
pub fn saved(
    store: &Store,
    seq: i64,
    customer_id: ErpId,
    new: bool,
    json: bool,
) -> anyhow::Result<()> {
    let view = store.customer(&customer_id.to_string())?;
    let code = view
        .as_ref()
        .and_then(|view| view.customer.value.code.as_deref());
    if json {
        return print_json(&SavedJson {
            entry: seq,
            kind: if new { "customer_new" } else { "customer_edit" },
            customer_id,
            code,
        });
    }
    let code = code.unwrap_or("-");
    if new {
        println!(
            "Saved new customer {code} offline as outbox entry {seq}; it goes to the ERP with the next `fieldbook sync`, which gives it the ERP's code."
        );
        println!(
            "  Quotes and orders for it can be written now (`fieldbook order new --customer {code} ...`): they wait for it."
        );
    } else {
        println!(
            "Saved changes to {code} offline as outbox entry {seq}; they go to the ERP with the next `fieldbook sync`. Where the ERP changed the same field since your last sync, the ERP's value stays and you are told."
        );
    }
    Ok(())
}

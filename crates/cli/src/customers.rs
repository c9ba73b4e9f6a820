//! `fieldbook customer new|edit`: customer changes written offline. Flags
//! (or a JSON file for a new customer) become the application layer's
//! forms; it checks them against the cache and keeps them in the outbox.

use crate::output::print_json;
use fieldbook_app::{AppError, wire};
use fieldbook_core::ErpId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
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
    pub fn parse(flag: &str, text: &str) -> Result<AddressForm, AppError> {
        let parts: Vec<&str> = text.split('|').map(str::trim).collect();
        if parts.len() < 2 || parts.len() > 4 {
            return Err(AppError::invalid(format!(
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

    fn wire(&self) -> wire::AddressForm {
        wire::AddressForm {
            street: self.street.clone(),
            postal_code: self.postal_code.clone(),
            city: self.city.clone(),
            country: self.country.clone(),
            invoice: self.invoice,
            delivery: self.delivery,
        }
    }
}

fn contact(kind: &str, value: &str) -> wire::ContactForm {
    wire::ContactForm {
        kind: kind.into(),
        value: value.into(),
    }
}

/// Contacts from `--phone`, `--mobile` and `--email` flags, in that order.
pub fn contacts(
    phones: &[String],
    mobiles: &[String],
    emails: &[String],
) -> Vec<wire::ContactForm> {
    phones
        .iter()
        .map(|value| contact("phone", value))
        .chain(mobiles.iter().map(|value| contact("mobile", value)))
        .chain(emails.iter().map(|value| contact("email", value)))
        .collect()
}

/// Reads a `customer new --from` file.
pub fn read_form(path: &Path) -> Result<CustomerForm, AppError> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| AppError::invalid(format!("cannot read {}: {error}", path.display())))?;
    serde_json::from_str(&text).map_err(|error| {
        AppError::invalid(format!(
            "{} is not a valid customer ({error}); see \"Customers\" in the README for its shape",
            path.display()
        ))
    })
}

impl CustomerForm {
    /// The form the application layer takes, with contacts given by flags
    /// added after the file's.
    pub fn wire(&self, more_contacts: Vec<wire::ContactForm>) -> wire::CustomerForm {
        wire::CustomerForm {
            name: self.name.clone(),
            addresses: self.addresses.iter().map(AddressForm::wire).collect(),
            contacts: self
                .contacts
                .iter()
                .map(|form| contact(&form.kind, &form.value))
                .chain(more_contacts)
                .collect(),
        }
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
    pub add_contacts: Vec<wire::ContactForm>,
}

impl EditForm {
    /// The changes as the application layer takes them: it works out what
    /// differs from the cache and checks it.
    pub fn wire(&self, customer_id: ErpId) -> Result<wire::CustomerEditForm, AppError> {
        let contacts = self
            .contacts
            .iter()
            .map(|text| {
                id_value("--contact", text)
                    .map(|(contact_id, value)| wire::ContactChange { contact_id, value })
            })
            .collect::<Result<Vec<_>, _>>()?;
        // One change per address, whichever of its fields were given.
        let mut addresses: BTreeMap<ErpId, wire::AddressChange> = BTreeMap::new();
        for (flag, texts) in [
            ("--street", &self.streets),
            ("--postal-code", &self.postal_codes),
            ("--city", &self.cities),
        ] {
            for text in texts {
                let (address_id, value) = id_value(flag, text)?;
                let change = addresses
                    .entry(address_id)
                    .or_insert_with(|| wire::AddressChange {
                        address_id,
                        street: None,
                        postal_code: None,
                        city: None,
                    });
                let field = match flag {
                    "--street" => &mut change.street,
                    "--postal-code" => &mut change.postal_code,
                    _ => &mut change.city,
                };
                *field = Some(value);
            }
        }
        let new_addresses = self
            .add_addresses
            .iter()
            .map(|text| AddressForm::parse("--add-address", text).map(|form| form.wire()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(wire::CustomerEditForm {
            customer_id,
            name: self.name.clone(),
            contacts,
            addresses: addresses.into_values().collect(),
            new_addresses,
            new_contacts: self.add_contacts.clone(),
        })
    }
}

fn id_value(flag: &str, text: &str) -> Result<(ErpId, String), AppError> {
    let bad = || {
        AppError::invalid(format!(
            "{flag} {text:?}: write ID=VALUE, with the id from `fieldbook customer CODE`, e.g. {flag} 12=+86 755 2878 0808"
        ))
    };
    let (id, value) = text.split_once('=').ok_or_else(bad)?;
    let id = id.trim().parse::<ErpId>().map_err(|_| bad())?;
    Ok((id, value.trim().to_owned()))
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
    seq: i64,
    customer_id: ErpId,
    code: Option<&str>,
    new: bool,
    json: bool,
) -> anyhow::Result<()> {
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

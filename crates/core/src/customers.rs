//! Customer changes written offline: a new customer, and edits to one the
//! cache holds (its name, a contact's value, an address's fields, added
//! addresses and contacts).
//!
//! An edit remembers the value each field had when the salesperson changed
//! it (`base`). When the entry reaches the ERP, a field whose ERP value is
//! still `base` takes the salesperson's value; a field the ERP changed in
//! the meantime keeps the ERP's value (the ERP wins), and the salesperson is
//! told, with their own value kept on the entry so nothing typed is lost.

use crate::ErpId;
use serde::{Deserialize, Serialize};

/// The kinds of contact a salesperson can add; the ERP's own words.
pub const CONTACT_KINDS: [&str; 5] = ["phone", "mobile", "email", "fax", "website"];

/// A new customer. The ERP gives it its code; until then the cache shows
/// it under a provisional one (`NEW-1`, ...).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CustomerDraft {
    pub name: String,
    pub addresses: Vec<AddressDraft>,
    pub contacts: Vec<ContactDraft>,
}

/// A new address. `uuid` travels to the ERP with it, so a resent entry
/// finds the address instead of adding it twice.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AddressDraft {
    pub uuid: String,
    pub street: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    /// ISO 3166 code, e.g. "CN".
    pub country: Option<String>,
    pub invoice: bool,
    pub delivery: bool,
}

/// A new contact (phone, e-mail, ...), with its own `uuid` as addresses.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContactDraft {
    pub uuid: String,
    pub kind: String,
    pub value: String,
}

/// Changes to a customer the cache holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CustomerEdit {
    pub customer_id: ErpId,
    pub fields: Vec<FieldEdit>,
    pub new_addresses: Vec<AddressDraft>,
    pub new_contacts: Vec<ContactDraft>,
}

/// One field changed: what it was when the salesperson changed it, and
/// what they typed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldEdit {
    pub field: EditField,
    pub base: Option<String>,
    pub value: Option<String>,
}

/// Which field an edit changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EditField {
    CustomerName,
    /// The value of a phone, e-mail, ... of the customer.
    ContactValue {
        contact_id: ErpId,
    },
    AddressStreet {
        address_id: ErpId,
    },
    AddressPostalCode {
        address_id: ErpId,
    },
    AddressCity {
        address_id: ErpId,
    },
}

impl EditField {
    /// The field in plain words, for messages.
    pub fn describe(&self) -> String {
        match self {
            EditField::CustomerName => "the name".into(),
            EditField::ContactValue { contact_id } => format!("contact {contact_id}"),
            EditField::AddressStreet { address_id } => {
                format!("the street of address {address_id}")
            }
            EditField::AddressPostalCode { address_id } => {
                format!("the postal code of address {address_id}")
            }
            EditField::AddressCity { address_id } => format!("the city of address {address_id}"),
        }
    }
}

/// An edit the ERP did not take because the ERP's value had changed since
/// the last sync: the ERP's value stays; the salesperson's is kept here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    pub field: EditField,
    pub erp_value: Option<String>,
    pub yours: Option<String>,
}

impl Conflict {
    /// The conflict in plain words.
    pub fn describe(&self) -> String {
        format!(
            "{} was changed in the ERP to {} since your last sync, so the ERP's value stays; yours ({}) is kept on the entry",
            self.field.describe(),
            shown(&self.erp_value),
            shown(&self.yours)
        )
    }
}

fn shown(value: &Option<String>) -> String {
    match value {
        Some(value) => format!("{value:?}"),
        None => "nothing".into(),
    }
}

/// What is wrong with a customer change, said so it can be fixed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CustomerError {
    #[error("the customer needs a name")]
    NoName,
    #[error("contact {index}: the kind {kind:?} is not one of phone, mobile, email, fax, website")]
    ContactKind { index: usize, kind: String },
    #[error("contact {index}: {value:?} is not an e-mail address (it needs an @ and a domain)")]
    Email { index: usize, value: String },
    #[error("contact {index}: {value:?} is not a phone number (digits, spaces, +, -, parentheses)")]
    Phone { index: usize, value: String },
    #[error("contact {index}: the value is empty")]
    EmptyContact { index: usize },
    #[error("address {index}: give at least a street or a city")]
    EmptyAddress { index: usize },
    #[error("address {index}: the country {country:?} is not a two-letter ISO code such as CN")]
    Country { index: usize, country: String },
    #[error("nothing to change: give a new value or something to add")]
    NothingToChange,
    #[error("{field} cannot be emptied")]
    Emptied { field: String },
}

/// Checks contacts (1-based in messages).
pub fn validate_contacts(contacts: &[ContactDraft]) -> Result<(), CustomerError> {
    for (index, contact) in contacts.iter().enumerate() {
        validate_contact(index + 1, &contact.kind, &contact.value)?;
    }
    Ok(())
}

/// Checks one contact value for its kind.
pub fn validate_contact(index: usize, kind: &str, value: &str) -> Result<(), CustomerError> {
    let value = value.trim();
    if !CONTACT_KINDS.contains(&kind) {
        return Err(CustomerError::ContactKind {
            index,
            kind: kind.into(),
        });
    }
    if value.is_empty() {
        return Err(CustomerError::EmptyContact { index });
    }
    match kind {
        "email" => {
            let valid = value.split_once('@').is_some_and(|(user, domain)| {
                !user.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            }) && !value.contains(char::is_whitespace);
            if !valid {
                return Err(CustomerError::Email {
                    index,
                    value: value.into(),
                });
            }
        }
        "phone" | "mobile" | "fax" => {
            let valid = value.chars().any(|c| c.is_ascii_digit())
                && value
                    .chars()
                    .all(|c| c.is_ascii_digit() || " +-()./".contains(c));
            if !valid {
                return Err(CustomerError::Phone {
                    index,
                    value: value.into(),
                });
            }
        }
        _ => {}
    }
    Ok(())
}

/// Checks addresses (1-based in messages).
pub fn validate_addresses(addresses: &[AddressDraft]) -> Result<(), CustomerError> {
    for (index, address) in addresses.iter().enumerate() {
        let index = index + 1;
        let filled =
            |field: &Option<String>| field.as_deref().is_some_and(|text| !text.trim().is_empty());
        if !filled(&address.street) && !filled(&address.city) {
            return Err(CustomerError::EmptyAddress { index });
        }
        if let Some(country) = &address.country
            && !(country.len() == 2 && country.chars().all(|c| c.is_ascii_alphabetic()))
        {
            return Err(CustomerError::Country {
                index,
                country: country.clone(),
            });
        }
    }
    Ok(())
}

impl CustomerDraft {
    pub fn validate(&self) -> Result<(), CustomerError> {
        if self.name.trim().is_empty() {
            return Err(CustomerError::NoName);
        }
        validate_addresses(&self.addresses)?;
        validate_contacts(&self.contacts)
    }
}

impl CustomerEdit {
    pub fn validate(&self) -> Result<(), CustomerError> {
        if self.fields.is_empty() && self.new_addresses.is_empty() && self.new_contacts.is_empty() {
            return Err(CustomerError::NothingToChange);
        }
        for edit in &self.fields {
            let empty = edit
                .value
                .as_deref()
                .is_none_or(|value| value.trim().is_empty());
            if empty
                && matches!(
                    edit.field,
                    EditField::CustomerName | EditField::ContactValue { .. }
                )
            {
                return Err(CustomerError::Emptied {
                    field: edit.field.describe(),
                });
            }
        }
        validate_addresses(&self.new_addresses)?;
        validate_contacts(&self.new_contacts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact(kind: &str, value: &str) -> ContactDraft {
        ContactDraft {
            uuid: "u".into(),
            kind: kind.into(),
            value: value.into(),
        }
    }

    #[test]
    fn contacts_are_checked_for_their_kind() {
        for (kind, value) in [
            ("phone", "+86 755 2878 0808"),
            ("mobile", "138-0013-8000"),
            ("email", "li.wei@huawei.com"),
            ("fax", "(0755) 2878 0809"),
            ("website", "https://www.huawei.com"),
        ] {
            assert_eq!(
                validate_contacts(&[contact(kind, value)]),
                Ok(()),
                "{kind} {value}"
            );
        }
        let refused = [
            (contact("pager", "1"), "the kind \"pager\""),
            (contact("email", "li.wei"), "is not an e-mail address"),
            (
                contact("email", "li wei@huawei.com"),
                "is not an e-mail address",
            ),
            (contact("email", "@huawei.com"), "is not an e-mail address"),
            (contact("phone", "call me"), "is not a phone number"),
            (contact("phone", "   "), "the value is empty"),
        ];
        for (bad, says) in refused {
            let error = validate_contacts(&[contact("phone", "1"), bad]).unwrap_err();
            assert!(error.to_string().starts_with("contact 2: "), "{error}");
            assert!(error.to_string().contains(says), "{error}");
        }
    }

    #[test]
    fn a_new_customer_needs_a_name_and_addresses_something_to_find() {
        let mut draft = CustomerDraft {
            name: "深圳市新客户有限公司".into(),
            addresses: vec![AddressDraft {
                uuid: "a".into(),
                street: None,
                postal_code: Some("518000".into()),
                city: Some("深圳".into()),
                country: Some("CN".into()),
                invoice: true,
                delivery: true,
            }],
            contacts: vec![],
        };
        assert_eq!(draft.validate(), Ok(()));
        draft.addresses[0].country = Some("China".into());
        assert!(matches!(
            draft.validate(),
            Err(CustomerError::Country { index: 1, .. })
        ));
        draft.addresses[0].country = None;
        draft.addresses[0].city = Some(" ".into());
        assert_eq!(
            draft.validate(),
            Err(CustomerError::EmptyAddress { index: 1 })
        );
        draft.name = "  ".into();
        assert_eq!(draft.validate(), Err(CustomerError::NoName));
    }

    #[test]
    fn an_edit_changes_something_and_never_empties_a_name_or_contact() {
        let mut edit = CustomerEdit {
            customer_id: 4,
            fields: vec![],
            new_addresses: vec![],
            new_contacts: vec![],
        };
        assert_eq!(edit.validate(), Err(CustomerError::NothingToChange));
        edit.fields.push(FieldEdit {
            field: EditField::AddressStreet { address_id: 9 },
            base: Some("old".into()),
            value: None,
        });
        assert_eq!(edit.validate(), Ok(()), "a street may be cleared");
        edit.fields.push(FieldEdit {
            field: EditField::ContactValue { contact_id: 3 },
            base: Some("+86 1".into()),
            value: Some(" ".into()),
        });
        assert!(matches!(
            edit.validate(),
            Err(CustomerError::Emptied { .. })
        ));
    }

    #[test]
    fn a_conflict_says_both_values() {
        let conflict = Conflict {
            field: EditField::ContactValue { contact_id: 3 },
            erp_value: Some("+86 755 1111".into()),
            yours: Some("+86 755 2222".into()),
        };
        let text = conflict.describe();
        assert!(
            text.contains("\"+86 755 1111\"") && text.contains("\"+86 755 2222\""),
            "{text}"
        );
        assert!(text.contains("the ERP's value stays"), "{text}");
    }
}

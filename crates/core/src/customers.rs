//! Customer changes written offline: a new customer, and edits to one the
//! cache holds (its name, a contact's value, an address's fields, added
//! addresses and contacts).
//!
//! An edit remembers the value each field had when the salesperson changed
//! it (`base`). When the entry reaches the ERP, a field whose ERP value is
//! still `base` takes the salesperson's value; a field the ERP changed in
//! the meantime keeps the ERP's value (the ERP wins), and the salesperson is
//! told, with their own value kept on the entry so nothing typed is lost.

use crate::{Address, Contact, Customer, ErpId};
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
    #[error("{what} {id} is not one of this customer's: pick one of theirs")]
    NotTheirs { what: &'static str, id: ErpId },
    #[error("address {id} would have neither a street nor a city: keep one of them")]
    AddressEmptied { id: ErpId },
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

/// What a salesperson asked to change on a customer, as typed: the name,
/// contacts' values and addresses' fields by id (none: unchanged; empty:
/// cleared), and records to add.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EditRequest {
    pub name: Option<String>,
    /// `(contact id, new value)`.
    pub contacts: Vec<(ErpId, String)>,
    pub addresses: Vec<AddressChange>,
    pub new_addresses: Vec<AddressDraft>,
    pub new_contacts: Vec<ContactDraft>,
}

/// An address's new street, postal code or city (none: unchanged; empty:
/// cleared).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AddressChange {
    pub address_id: ErpId,
    pub street: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
}

/// What an edit changes, worked out against the customer as the cache
/// holds it: only fields whose value differs, each with the value it
/// replaces (what the salesperson saw), so the ERP can keep its own where
/// it changed meanwhile. Refused: an id that is not this customer's, a
/// contact value that does not fit its kind, an address left with neither
/// street nor city, and an edit that changes nothing.
pub fn edit_changes(
    customer: &Customer,
    addresses: &[Address],
    contacts: &[Contact],
    request: &EditRequest,
) -> Result<CustomerEdit, CustomerError> {
    let mut fields = Vec::new();
    if let Some(name) = &request.name
        && name.trim() != customer.name
    {
        fields.push(FieldEdit {
            field: EditField::CustomerName,
            base: Some(customer.name.clone()),
            value: Some(name.trim().to_owned()),
        });
    }
    for (index, (contact_id, value)) in request.contacts.iter().enumerate() {
        let contact = contacts
            .iter()
            .find(|contact| contact.erp_id == *contact_id)
            .ok_or(CustomerError::NotTheirs {
                what: "contact",
                id: *contact_id,
            })?;
        let value = value.trim();
        if value == contact.value {
            continue;
        }
        validate_contact(index + 1, &contact.kind, value)?;
        fields.push(FieldEdit {
            field: EditField::ContactValue {
                contact_id: contact.erp_id,
            },
            base: Some(contact.value.clone()),
            value: Some(value.to_owned()),
        });
    }
    let filled =
        |text: &Option<String>| text.as_deref().is_some_and(|text| !text.trim().is_empty());
    for change in &request.addresses {
        let address = addresses
            .iter()
            .find(|address| address.erp_id == change.address_id)
            .ok_or(CustomerError::NotTheirs {
                what: "address",
                id: change.address_id,
            })?;
        let id = address.erp_id;
        // What the address becomes: an envelope needs a street or a city,
        // as a new address does; an edit may not take away the last one.
        let after = |change: &Option<String>, base: &Option<String>| match change {
            Some(_) => filled(change),
            None => filled(base),
        };
        if (filled(&address.street) || filled(&address.city))
            && !after(&change.street, &address.street)
            && !after(&change.city, &address.city)
        {
            return Err(CustomerError::AddressEmptied { id });
        }
        for (field, base, value) in [
            (
                EditField::AddressStreet { address_id: id },
                &address.street,
                &change.street,
            ),
            (
                EditField::AddressPostalCode { address_id: id },
                &address.postal_code,
                &change.postal_code,
            ),
            (
                EditField::AddressCity { address_id: id },
                &address.city,
                &change.city,
            ),
        ] {
            let Some(value) = value else { continue };
            let value = Some(value.trim().to_owned()).filter(|value| !value.is_empty());
            if &value != base {
                fields.push(FieldEdit {
                    field,
                    base: base.clone(),
                    value,
                });
            }
        }
    }
    let edit = CustomerEdit {
        customer_id: customer.erp_id,
        fields,
        new_addresses: request.new_addresses.clone(),
        new_contacts: request.new_contacts.clone(),
    };
    edit.validate()?;
    Ok(edit)
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

    /// The customer an edit is worked out against: name "ACME", contact 20
    /// (phone) and 21 (email), address 10 with street, postal code and
    /// city, address 11 with a city only.
    fn acme() -> (crate::Customer, Vec<crate::Address>, Vec<crate::Contact>) {
        let address = |erp_id, street: Option<&str>, postal: Option<&str>, city: Option<&str>| {
            crate::Address {
                erp_id,
                customer_id: 2,
                name: None,
                street: street.map(Into::into),
                postal_code: postal.map(Into::into),
                city: city.map(Into::into),
                subdivision: None,
                country: Some("CN".into()),
                invoice: true,
                delivery: true,
                active: true,
            }
        };
        let contact = |erp_id, kind: &str, value: &str| crate::Contact {
            erp_id,
            customer_id: 2,
            kind: kind.into(),
            value: value.into(),
            name: None,
            active: true,
        };
        (
            crate::Customer {
                erp_id: 2,
                code: Some("C-ACME".into()),
                name: "ACME".into(),
                tax_id: None,
                price_list_id: None,
                active: true,
            },
            vec![
                address(10, Some("科技园 1号"), Some("518000"), Some("深圳")),
                address(11, None, None, Some("广州")),
            ],
            vec![
                contact(20, "phone", "+86 755 1"),
                contact(21, "email", "a@acme.cn"),
            ],
        )
    }

    fn street(id: ErpId, street: Option<&str>, city: Option<&str>) -> AddressChange {
        AddressChange {
            address_id: id,
            street: street.map(Into::into),
            postal_code: None,
            city: city.map(Into::into),
        }
    }

    #[test]
    fn an_edit_keeps_only_what_differs_and_refuses_what_cannot_be_sent() {
        let (customer, addresses, contacts) = acme();
        let name = |name: &str| EditRequest {
            name: Some(name.into()),
            ..EditRequest::default()
        };
        let contact = |id: ErpId, value: &str| EditRequest {
            contacts: vec![(id, value.into())],
            ..EditRequest::default()
        };
        let address = |change: AddressChange| EditRequest {
            addresses: vec![change],
            ..EditRequest::default()
        };
        // (what was asked, the fields changed as (field, base, value), or the refusal)
        type Changed = Vec<(EditField, Option<&'static str>, Option<&'static str>)>;
        let table: Vec<(EditRequest, Result<Changed, CustomerError>)> = vec![
            (
                name(" ACME Trading "),
                Ok(vec![(
                    EditField::CustomerName,
                    Some("ACME"),
                    Some("ACME Trading"),
                )]),
            ),
            (name(" ACME "), Err(CustomerError::NothingToChange)),
            (
                contact(20, " +86 755 1 "),
                Err(CustomerError::NothingToChange),
            ),
            (
                contact(20, "+86 755 2"),
                Ok(vec![(
                    EditField::ContactValue { contact_id: 20 },
                    Some("+86 755 1"),
                    Some("+86 755 2"),
                )]),
            ),
            (
                contact(21, "nobody"),
                Err(CustomerError::Email {
                    index: 1,
                    value: "nobody".into(),
                }),
            ),
            (
                contact(99, "+86 1"),
                Err(CustomerError::NotTheirs {
                    what: "contact",
                    id: 99,
                }),
            ),
            (
                address(street(10, Some(""), Some(" "))),
                Err(CustomerError::AddressEmptied { id: 10 }),
            ),
            (
                address(street(11, None, Some(""))),
                Err(CustomerError::AddressEmptied { id: 11 }),
            ),
            (
                address(street(10, Some(""), None)),
                Ok(vec![(
                    EditField::AddressStreet { address_id: 10 },
                    Some("科技园 1号"),
                    None,
                )]),
            ),
            (
                address(street(11, Some("天河路 2号"), Some("广州"))),
                Ok(vec![(
                    EditField::AddressStreet { address_id: 11 },
                    None,
                    Some("天河路 2号"),
                )]),
            ),
            (
                address(AddressChange {
                    address_id: 10,
                    street: None,
                    postal_code: Some("518057".into()),
                    city: Some("深圳".into()),
                }),
                Ok(vec![(
                    EditField::AddressPostalCode { address_id: 10 },
                    Some("518000"),
                    Some("518057"),
                )]),
            ),
            (
                address(street(12, Some("x"), None)),
                Err(CustomerError::NotTheirs {
                    what: "address",
                    id: 12,
                }),
            ),
            (EditRequest::default(), Err(CustomerError::NothingToChange)),
            (
                EditRequest {
                    new_contacts: vec![super::tests::contact("mobile", "+86 138 0000 0000")],
                    ..EditRequest::default()
                },
                Ok(vec![]),
            ),
        ];
        for (request, expected) in table {
            let got = edit_changes(&customer, &addresses, &contacts, &request).map(|edit| {
                assert_eq!(edit.customer_id, 2);
                assert_eq!(edit.new_contacts, request.new_contacts);
                edit.fields
                    .into_iter()
                    .map(|field| (field.field, field.base, field.value))
                    .collect::<Vec<_>>()
            });
            let expected = expected.map(|fields| {
                fields
                    .into_iter()
                    .map(|(field, base, value)| {
                        (field, base.map(str::to_owned), value.map(str::to_owned))
                    })
                    .collect::<Vec<_>>()
            });
            assert_eq!(got, expected, "{request:?}");
        }
    }
}

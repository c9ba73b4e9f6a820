//! Customer changes sent to Tryton. A new customer (`party.party`) and each
//! address (`party.address`) and contact (`party.contact_mechanism`) carry
//! the client's uuid (`fieldbook_uuid`, unique through Fieldbook's module)
//! and are looked up by it before anything is created. An edited field is
//! written only where Tryton still holds the value the salesperson saw
//! (`base`); where Tryton's value changed since, Tryton's stays and the
//! edit comes back as a conflict.

use super::Tryton;
use super::values::Fields;
use crate::{ErpError, SentCustomer};
use fieldbook_core::ErpId;
use fieldbook_core::customers::{
    AddressDraft, Conflict, ContactDraft, CustomerDraft, CustomerEdit, EditField,
};
use serde_json::{Map, Value, json};
use std::collections::HashMap;

impl Tryton {
    pub(crate) async fn create_customer_in_tryton(
        &self,
        uuid: &str,
        draft: &CustomerDraft,
    ) -> Result<SentCustomer, ErpError> {
        self.require_module()?;
        let party = match self.ids_by_uuid("party.party", &[uuid]).await?.first() {
            Some((_, party)) => *party,
            None => {
                let mut values = Map::new();
                values.insert("name".into(), json!(draft.name.trim()));
                values.insert("fieldbook_uuid".into(), json!(uuid));
                values.insert(
                    "addresses".into(),
                    json!([["create", self.address_values(None, &draft.addresses).await?]]),
                );
                values.insert(
                    "contact_mechanisms".into(),
                    json!([["create", contact_values(None, &draft.contacts)]]),
                );
                let created = self
                    .rpc
                    .call("model.party.party.create", json!([[values], self.context]))
                    .await?;
                created
                    .get(0)
                    .and_then(super::values::positive_id)
                    .ok_or_else(|| {
                        ErpError::Protocol(format!("expected the new party's id, got {created}"))
                    })?
            }
        };
        let mut ids = vec![(uuid.to_owned(), party)];
        ids.extend(self.created_ids(&draft.addresses, &draft.contacts).await?);
        Ok(SentCustomer {
            erp_id: party,
            code: self.party_code(party).await?,
            ids,
            conflicts: Vec::new(),
        })
    }

    pub(crate) async fn edit_customer_in_tryton(
        &self,
        edit: &CustomerEdit,
    ) -> Result<SentCustomer, ErpError> {
        if !edit.new_addresses.is_empty() || !edit.new_contacts.is_empty() {
            self.require_module()?;
        }
        let party = edit.customer_id;
        let mut conflicts = Vec::new();
        for change in &edit.fields {
            let (model, id, field) = match change.field {
                EditField::CustomerName => ("party.party", party, "name"),
                EditField::ContactValue { contact_id } => {
                    ("party.contact_mechanism", contact_id, "value")
                }
                EditField::AddressStreet { address_id } => ("party.address", address_id, "street"),
                EditField::AddressPostalCode { address_id } => {
                    ("party.address", address_id, "postal_code")
                }
                EditField::AddressCity { address_id } => ("party.address", address_id, "city"),
            };
            let rows = self
                .search_read(
                    model,
                    json!([["id", "=", id]]),
                    Some(1),
                    &[field],
                    self.context_with(json!({"active_test": false})),
                )
                .await?;
            let Some(row) = rows.first() else {
                // Deleted in the ERP since the last sync: the ERP wins.
                conflicts.push(Conflict {
                    field: change.field.clone(),
                    erp_value: None,
                    yours: change.value.clone(),
                });
                continue;
            };
            let current = Fields { model, row }.opt_text(field)?;
            let same = |a: &Option<String>, b: &Option<String>| {
                comparable(model, a) == comparable(model, b)
            };
            if same(&current, &change.value) {
                continue; // written before; only the answer was lost
            }
            if !same(&current, &change.base) {
                conflicts.push(Conflict {
                    field: change.field.clone(),
                    erp_value: current,
                    yours: change.value.clone(),
                });
                continue;
            }
            let value = change
                .value
                .as_deref()
                .map(str::trim)
                .filter(|value| !value.is_empty());
            self.rpc
                .call(
                    &format!("model.{model}.write"),
                    json!([[id], {field: value}, self.context]),
                )
                .await?;
        }
        let have: HashMap<String, ErpId> = self
            .ids_by_uuid(
                "party.address",
                &edit
                    .new_addresses
                    .iter()
                    .map(|address| address.uuid.as_str())
                    .collect::<Vec<_>>(),
            )
            .await?
            .into_iter()
            .chain(
                self.ids_by_uuid(
                    "party.contact_mechanism",
                    &edit
                        .new_contacts
                        .iter()
                        .map(|contact| contact.uuid.as_str())
                        .collect::<Vec<_>>(),
                )
                .await?,
            )
            .collect();
        let addresses: Vec<AddressDraft> = edit
            .new_addresses
            .iter()
            .filter(|address| !have.contains_key(&address.uuid))
            .cloned()
            .collect();
        if !addresses.is_empty() {
            let values = self.address_values(Some(party), &addresses).await?;
            self.rpc
                .call("model.party.address.create", json!([values, self.context]))
                .await?;
        }
        let contacts: Vec<ContactDraft> = edit
            .new_contacts
            .iter()
            .filter(|contact| !have.contains_key(&contact.uuid))
            .cloned()
            .collect();
        if !contacts.is_empty() {
            self.rpc
                .call(
                    "model.party.contact_mechanism.create",
                    json!([contact_values(Some(party), &contacts), self.context]),
                )
                .await?;
        }
        Ok(SentCustomer {
            erp_id: party,
            code: self.party_code(party).await?,
            ids: self
                .created_ids(&edit.new_addresses, &edit.new_contacts)
                .await?,
            conflicts,
        })
    }

    /// `(uuid, id)` of the `model` records carrying these uuids.
    async fn ids_by_uuid(
        &self,
        model: &'static str,
        uuids: &[&str],
    ) -> Result<Vec<(String, ErpId)>, ErpError> {
        if uuids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = self
            .search_read(
                model,
                json!([["fieldbook_uuid", "in", uuids]]),
                None,
                &["fieldbook_uuid"],
                self.context_with(json!({"active_test": false})),
            )
            .await?;
        rows.iter()
            .map(|row| {
                let fields = Fields { model, row };
                Ok((fields.text("fieldbook_uuid")?, fields.id()?))
            })
            .collect()
    }

    /// The ERP ids of the addresses and contacts an entry created.
    async fn created_ids(
        &self,
        addresses: &[AddressDraft],
        contacts: &[ContactDraft],
    ) -> Result<Vec<(String, ErpId)>, ErpError> {
        let address_uuids: Vec<&str> = addresses.iter().map(|a| a.uuid.as_str()).collect();
        let contact_uuids: Vec<&str> = contacts.iter().map(|c| c.uuid.as_str()).collect();
        let mut ids = self.ids_by_uuid("party.address", &address_uuids).await?;
        ids.extend(
            self.ids_by_uuid("party.contact_mechanism", &contact_uuids)
                .await?,
        );
        if ids.len() != address_uuids.len() + contact_uuids.len() {
            return Err(ErpError::Protocol(format!(
                "the ERP holds {} of the {} addresses and contacts just sent",
                ids.len(),
                address_uuids.len() + contact_uuids.len()
            )));
        }
        Ok(ids)
    }

    async fn party_code(&self, party: ErpId) -> Result<Option<String>, ErpError> {
        let rows = self
            .read("party.party", &[party], &["code"], self.context.clone())
            .await?;
        match rows.first() {
            Some(row) => Fields {
                model: "party.party",
                row,
            }
            .opt_text("code"),
            None => Err(ErpError::Protocol(format!("party {party} vanished"))),
        }
    }

    /// Addresses as Tryton creates them, the country found by its code.
    async fn address_values(
        &self,
        party: Option<ErpId>,
        addresses: &[AddressDraft],
    ) -> Result<Vec<Value>, ErpError> {
        let mut countries: HashMap<String, ErpId> = HashMap::new();
        let mut values = Vec::new();
        for (index, address) in addresses.iter().enumerate() {
            let country = match address.country.as_deref().map(str::to_uppercase) {
                None => Value::Null,
                Some(code) => {
                    if !countries.contains_key(&code) {
                        let found = self
                            .search_read(
                                "country.country",
                                json!([["code", "=", code]]),
                                Some(1),
                                &["code"],
                                self.context.clone(),
                            )
                            .await?;
                        let Some(row) = found.first() else {
                            return Err(ErpError::Rejected {
                                message: format!(
                                    "address {}: the ERP knows no country with code {code}",
                                    index + 1
                                ),
                                description: None,
                            });
                        };
                        countries.insert(
                            code.clone(),
                            Fields {
                                model: "country.country",
                                row,
                            }
                            .id()?,
                        );
                    }
                    json!(countries[&code])
                }
            };
            let mut row = json!({
                "street": address.street,
                "postal_code": address.postal_code,
                "city": address.city,
                "country": country,
                "invoice": address.invoice,
                "delivery": address.delivery,
                "fieldbook_uuid": address.uuid,
            });
            if let Some(party) = party {
                row["party"] = json!(party);
            }
            values.push(row);
        }
        Ok(values)
    }
}

fn contact_values(party: Option<ErpId>, contacts: &[ContactDraft]) -> Vec<Value> {
    contacts
        .iter()
        .map(|contact| {
            let mut row = json!({
                "type": contact.kind,
                "value": contact.value.trim(),
                "fieldbook_uuid": contact.uuid,
            });
            if let Some(party) = party {
                row["party"] = json!(party);
            }
            row
        })
        .collect()
}

/// A field's value as compared for conflicts: trimmed, empty as none, and
/// for contacts without the spacing and punctuation Tryton may reformat a
/// phone number with.
fn comparable(model: &str, value: &Option<String>) -> Option<String> {
    let value = value.as_deref().map(str::trim).filter(|v| !v.is_empty())?;
    if model == "party.contact_mechanism" {
        return Some(
            value
                .chars()
                .filter(|c| !c.is_whitespace() && !"-().".contains(*c))
                .collect::<String>()
                .to_lowercase(),
        );
    }
    Some(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::comparable;

    #[test]
    fn contacts_compare_without_the_formatting_tryton_adds() {
        let some = |text: &str| Some(text.to_owned());
        assert_eq!(
            comparable("party.contact_mechanism", &some("+86 755 2878-0808")),
            comparable("party.contact_mechanism", &some("+8675528780808"))
        );
        assert_ne!(
            comparable("party.contact_mechanism", &some("+86 755 1111")),
            comparable("party.contact_mechanism", &some("+86 755 2222"))
        );
        assert_eq!(comparable("party.address", &some("  ")), None);
        assert_ne!(
            comparable("party.address", &some("科技园 1号")),
            comparable("party.address", &some("科技园 2号"))
        );
    }
}

//! After-sales requests written offline: a complaint or service request
//! about a customer, optionally about one of their orders or invoices.

use crate::ErpId;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestDraft {
    pub customer_id: ErpId,
    /// What the customer reports or asks for, in their words.
    pub description: String,
    /// The order it is about, if any.
    pub order_id: Option<ErpId>,
    /// The invoice it is about, if any.
    pub invoice_id: Option<ErpId>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("the request needs a description: say what the customer reports or asks for")]
    NoDescription,
    #[error("a request is about one order or one invoice, not both")]
    OrderAndInvoice,
}

impl RequestDraft {
    pub fn validate(&self) -> Result<(), RequestError> {
        if self.description.trim().is_empty() {
            return Err(RequestError::NoDescription);
        }
        if self.order_id.is_some() && self.invoice_id.is_some() {
            return Err(RequestError::OrderAndInvoice);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_says_something_and_is_about_one_document_at_most() {
        let mut draft = RequestDraft {
            customer_id: 4,
            description: "茶叶包装破损 / tea tins arrived dented".into(),
            order_id: Some(12),
            invoice_id: None,
        };
        assert_eq!(draft.validate(), Ok(()));
        draft.invoice_id = Some(3);
        assert_eq!(draft.validate(), Err(RequestError::OrderAndInvoice));
        draft.order_id = None;
        assert_eq!(draft.validate(), Ok(()));
        draft.description = " \n".into();
        assert_eq!(draft.validate(), Err(RequestError::NoDescription));
    }
}

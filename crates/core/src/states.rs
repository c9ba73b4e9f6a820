//! Where a sale or an after-sales request stands in the ERP, in
//! Fieldbook's words. The ERP client maps its own words onto these; the
//! cache, the window and the CLI speak only these.

use serde::{Deserialize, Serialize};

/// A sale's state in the ERP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SaleState {
    /// Being written in the ERP; not yet quoted.
    Draft,
    /// Quoted to the customer: commits nothing yet.
    Quote,
    /// Confirmed: an order.
    Confirmed,
    /// Being shipped and invoiced.
    Processing,
    Done,
    Cancelled,
}

impl SaleState {
    pub const ALL: [SaleState; 6] = [
        SaleState::Draft,
        SaleState::Quote,
        SaleState::Confirmed,
        SaleState::Processing,
        SaleState::Done,
        SaleState::Cancelled,
    ];

    /// Its name in the cache, in JSON and in the window's translations.
    pub fn name(self) -> &'static str {
        match self {
            SaleState::Draft => "draft",
            SaleState::Quote => "quote",
            SaleState::Confirmed => "confirmed",
            SaleState::Processing => "processing",
            SaleState::Done => "done",
            SaleState::Cancelled => "cancelled",
        }
    }

    pub fn from_name(name: &str) -> Option<SaleState> {
        SaleState::ALL
            .into_iter()
            .find(|state| state.name() == name)
    }

    /// Whether a sale the ERP holds may still become an order when the
    /// customer says yes: a draft or a quote.
    pub fn may_become_order(self) -> bool {
        matches!(self, SaleState::Draft | SaleState::Quote)
    }
}

impl std::fmt::Display for SaleState {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.name())
    }
}

/// An after-sales request's state in the ERP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    /// Filed, not yet looked at.
    Draft,
    /// Waiting for the back office's decision.
    Waiting,
    Approved,
    Rejected,
    Done,
    Cancelled,
}

impl RequestState {
    pub const ALL: [RequestState; 6] = [
        RequestState::Draft,
        RequestState::Waiting,
        RequestState::Approved,
        RequestState::Rejected,
        RequestState::Done,
        RequestState::Cancelled,
    ];

    /// Its name in the cache, in JSON and in the window's translations.
    pub fn name(self) -> &'static str {
        match self {
            RequestState::Draft => "draft",
            RequestState::Waiting => "waiting",
            RequestState::Approved => "approved",
            RequestState::Rejected => "rejected",
            RequestState::Done => "done",
            RequestState::Cancelled => "cancelled",
        }
    }

    pub fn from_name(name: &str) -> Option<RequestState> {
        RequestState::ALL
            .into_iter()
            .find(|state| state.name() == name)
    }

    /// Whether nothing more will happen to it: done, rejected or
    /// cancelled.
    pub fn is_closed(self) -> bool {
        matches!(
            self,
            RequestState::Done | RequestState::Rejected | RequestState::Cancelled
        )
    }
}

impl std::fmt::Display for RequestState {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sale_state_reads_back_from_its_name_and_only_a_draft_or_a_quote_may_become_an_order() {
        // (state, name, may become an order)
        let table = [
            (SaleState::Draft, "draft", true),
            (SaleState::Quote, "quote", true),
            (SaleState::Confirmed, "confirmed", false),
            (SaleState::Processing, "processing", false),
            (SaleState::Done, "done", false),
            (SaleState::Cancelled, "cancelled", false),
        ];
        assert_eq!(table.len(), SaleState::ALL.len());
        for (state, name, may_become_order) in table {
            assert_eq!(state.name(), name);
            assert_eq!(SaleState::from_name(name), Some(state));
            assert_eq!(serde_json::to_value(state).unwrap(), name);
            assert_eq!(state.may_become_order(), may_become_order, "{name}");
        }
        for other in ["", "quotation", "Quote", "sent"] {
            assert_eq!(SaleState::from_name(other), None, "{other:?}");
        }
    }

    #[test]
    fn a_request_state_reads_back_from_its_name_and_says_whether_it_is_closed() {
        // (state, name, closed)
        let table = [
            (RequestState::Draft, "draft", false),
            (RequestState::Waiting, "waiting", false),
            (RequestState::Approved, "approved", false),
            (RequestState::Rejected, "rejected", true),
            (RequestState::Done, "done", true),
            (RequestState::Cancelled, "cancelled", true),
        ];
        assert_eq!(table.len(), RequestState::ALL.len());
        for (state, name, closed) in table {
            assert_eq!(state.name(), name);
            assert_eq!(RequestState::from_name(name), Some(state));
            assert_eq!(serde_json::to_value(state).unwrap(), name);
            assert_eq!(state.is_closed(), closed, "{name}");
        }
        assert_eq!(RequestState::from_name("open"), None);
    }
}

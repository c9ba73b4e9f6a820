/// The kinds of ERP data the cache mirrors, in the order a sync pulls them.
///
/// Parents come before children (customers before their addresses, orders
/// before their lines) so a fresh cache fills in an order a reader can use
/// early. The derived figures, stock and credit, are not entities: they are
/// refreshed for the records that moved them (see `fieldbook-sync`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Entity {
    Warehouses,
    Customers,
    Addresses,
    Contacts,
    Categories,
    Products,
    PriceLists,
    PriceListLines,
    Promotions,
    Orders,
    OrderLines,
    Invoices,
    Payments,
    Complaints,
}

impl Entity {
    pub const ALL: [Entity; 14] = [
        Entity::Warehouses,
        Entity::Customers,
        Entity::Addresses,
        Entity::Contacts,
        Entity::Categories,
        Entity::Products,
        Entity::PriceLists,
        Entity::PriceListLines,
        Entity::Promotions,
        Entity::Orders,
        Entity::OrderLines,
        Entity::Invoices,
        Entity::Payments,
        Entity::Complaints,
    ];

    /// A stable name, used as the key of sync cursors and in progress reports
    /// and JSON output. Never rename one: caches store it.
    pub fn name(self) -> &'static str {
        match self {
            Entity::Warehouses => "warehouses",
            Entity::Customers => "customers",
            Entity::Addresses => "addresses",
            Entity::Contacts => "contacts",
            Entity::Products => "products",
            Entity::Categories => "categories",
            Entity::PriceLists => "price_lists",
            Entity::PriceListLines => "price_list_lines",
            Entity::Promotions => "promotions",
            Entity::Orders => "orders",
            Entity::OrderLines => "order_lines",
            Entity::Invoices => "invoices",
            Entity::Payments => "payments",
            Entity::Complaints => "complaints",
        }
    }

    pub fn from_name(name: &str) -> Option<Entity> {
        Entity::ALL.into_iter().find(|entity| entity.name() == name)
    }
}

/// A part of a sync, as far as the ERP user's rights go: each reads its
/// own ERP models, and one the user may not read is skipped (and tried
/// again later) while the others go on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SyncPart {
    /// Pulling the entity's records (and finding those deleted).
    Records(Entity),
    /// Finding the products whose stock moved (the ERP's stock moves).
    StockMoves,
    /// Finding the customers whose balance moved (their receivable lines).
    CreditMoves,
    /// Reading stock levels.
    Stock,
    /// Reading credit figures.
    Credit,
}

impl SyncPart {
    /// A stable name, kept in caches and used as a translation key and in
    /// JSON output: never rename one.
    pub fn name(self) -> &'static str {
        match self {
            SyncPart::Records(entity) => entity.name(),
            SyncPart::StockMoves => "stock_moves",
            SyncPart::CreditMoves => "credit_moves",
            SyncPart::Stock => "stock",
            SyncPart::Credit => "credit",
        }
    }

    pub fn from_name(name: &str) -> Option<SyncPart> {
        match name {
            "stock_moves" => Some(SyncPart::StockMoves),
            "credit_moves" => Some(SyncPart::CreditMoves),
            "stock" => Some(SyncPart::Stock),
            "credit" => Some(SyncPart::Credit),
            other => Entity::from_name(other).map(SyncPart::Records),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sync_part_name_round_trips_and_names_one_part() {
        let mut parts: Vec<SyncPart> = Entity::ALL.into_iter().map(SyncPart::Records).collect();
        parts.extend([
            SyncPart::StockMoves,
            SyncPart::CreditMoves,
            SyncPart::Stock,
            SyncPart::Credit,
        ]);
        let names: std::collections::BTreeSet<&str> = parts.iter().map(|p| p.name()).collect();
        assert_eq!(names.len(), parts.len(), "two parts share a name");
        for part in parts {
            assert_eq!(SyncPart::from_name(part.name()), Some(part));
        }
        assert_eq!(SyncPart::from_name("ledger"), None);
    }

    #[test]
    fn every_entity_name_round_trips() {
        for entity in Entity::ALL {
            assert_eq!(Entity::from_name(entity.name()), Some(entity));
        }
        assert_eq!(Entity::from_name("parties"), None);
        for entity in Entity::ALL {
            let empty = crate::Records::empty(entity);
            assert_eq!((empty.entity(), empty.len()), (entity, 0));
        }
    }
}

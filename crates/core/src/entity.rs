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
    Products,
    Orders,
    OrderLines,
    Invoices,
    Payments,
    Complaints,
}

impl Entity {
    pub const ALL: [Entity; 10] = [
        Entity::Warehouses,
        Entity::Customers,
        Entity::Addresses,
        Entity::Contacts,
        Entity::Products,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entity_name_round_trips() {
        for entity in Entity::ALL {
            assert_eq!(Entity::from_name(entity.name()), Some(entity));
        }
        assert_eq!(Entity::from_name("parties"), None);
    }
}

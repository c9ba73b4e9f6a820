-- Customers and after-sales requests written offline, what the ERP made of
-- customer edits, and the after-sales requests the ERP holds.
--
-- A customer created offline is cached, with its addresses and contacts,
-- under provisional ids: negative, so they never meet the ERP's. Each
-- provisional record is listed here with its own uuid (sent to the ERP with
-- it) and the outbox entry that creates it. When the ERP accepts the entry,
-- the cached records take the ERP's ids and `erp_id` says which, so entries
-- written against a provisional id (an order for the new customer) are sent
-- with the ERP's.
CREATE TABLE provisional_ids (
    provisional INTEGER PRIMARY KEY CHECK (provisional < 0),
    entity      TEXT NOT NULL CHECK (entity IN ('customers', 'addresses', 'contacts', 'complaints')),
    uuid        TEXT NOT NULL UNIQUE,
    entry_uuid  TEXT NOT NULL,
    erp_id      INTEGER
);
CREATE INDEX provisional_ids_entry ON provisional_ids (entry_uuid);

-- conflicts: for a customer edit the ERP has accepted, the fields whose ERP
--   value had changed since the edit was written, so the ERP's value stayed
--   (a JSON list of fieldbook-core's `Conflict`, with the salesperson's value).
ALTER TABLE outbox ADD COLUMN conflicts TEXT;

-- After-sales requests (complaints, service requests) of cached customers,
-- optionally about one of their orders or invoices. One written offline is
-- here under a provisional id until the ERP has it.
CREATE TABLE complaints (
    erp_id      INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL,
    number      TEXT,
    date        TEXT,
    state       TEXT NOT NULL,
    kind        TEXT,
    description TEXT,
    order_id    INTEGER,
    invoice_id  INTEGER,
    synced_at   TEXT NOT NULL
);
CREATE INDEX complaints_customer ON complaints (customer_id);

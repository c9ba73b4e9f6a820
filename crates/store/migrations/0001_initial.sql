-- Fieldbook cache, schema 1. Append-only: never edit a released migration,
-- add the next file instead.
--
-- Money and quantities are decimal strings (rust_decimal), never REAL.
-- Times are RFC 3339 UTC strings; dates are YYYY-MM-DD.
-- Inactive records are not kept: a deactivation arriving from the ERP
-- deletes the cached row. A deactivated customer's addresses, contacts,
-- orders and invoices are records of their own: they stay, unseen (every
-- read goes through the customer), so a reactivated customer is whole again.

-- Which ERP this cache mirrors. One row.
CREATE TABLE erp_link (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    url         TEXT NOT NULL,
    database    TEXT NOT NULL,
    login       TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE customers (
    erp_id      INTEGER PRIMARY KEY,
    code        TEXT,
    name        TEXT NOT NULL,
    tax_id      TEXT,
    synced_at   TEXT NOT NULL
);
CREATE INDEX customers_code ON customers (code);

CREATE TABLE addresses (
    erp_id      INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL,
    name        TEXT,
    street      TEXT,
    postal_code TEXT,
    city        TEXT,
    subdivision TEXT,
    country     TEXT,
    invoice     INTEGER NOT NULL,
    delivery    INTEGER NOT NULL,
    synced_at   TEXT NOT NULL
);
CREATE INDEX addresses_customer ON addresses (customer_id);

CREATE TABLE contacts (
    erp_id      INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    value       TEXT NOT NULL,
    name        TEXT,
    synced_at   TEXT NOT NULL
);
CREATE INDEX contacts_customer ON contacts (customer_id);

CREATE TABLE credits (
    customer_id  INTEGER PRIMARY KEY,
    currency     TEXT NOT NULL,
    credit_limit TEXT,
    used         TEXT NOT NULL,
    receivable   TEXT NOT NULL,
    synced_at    TEXT NOT NULL
);

CREATE TABLE products (
    erp_id      INTEGER PRIMARY KEY,
    code        TEXT,
    name        TEXT NOT NULL,
    description TEXT,
    unit        TEXT NOT NULL,
    list_price  TEXT,
    salable     INTEGER NOT NULL,
    synced_at   TEXT NOT NULL
);
CREATE INDEX products_code ON products (code);

CREATE TABLE warehouses (
    erp_id      INTEGER PRIMARY KEY,
    code        TEXT,
    name        TEXT NOT NULL,
    synced_at   TEXT NOT NULL
);

CREATE TABLE stock_levels (
    product_id   INTEGER NOT NULL,
    warehouse_id INTEGER NOT NULL,
    on_hand      TEXT NOT NULL,
    forecast     TEXT NOT NULL,
    synced_at    TEXT NOT NULL,
    PRIMARY KEY (product_id, warehouse_id)
) WITHOUT ROWID;

CREATE TABLE orders (
    erp_id             INTEGER PRIMARY KEY,
    number             TEXT,
    customer_id        INTEGER NOT NULL,
    customer_reference TEXT,
    state              TEXT NOT NULL,
    order_date         TEXT,
    currency           TEXT NOT NULL,
    untaxed            TEXT NOT NULL,
    tax                TEXT NOT NULL,
    total              TEXT NOT NULL,
    synced_at          TEXT NOT NULL
);
CREATE INDEX orders_customer ON orders (customer_id, order_date);

CREATE TABLE order_lines (
    erp_id      INTEGER PRIMARY KEY,
    order_id    INTEGER NOT NULL,
    product_id  INTEGER,
    description TEXT,
    quantity    TEXT NOT NULL,
    unit        TEXT,
    unit_price  TEXT,
    amount      TEXT NOT NULL,
    synced_at   TEXT NOT NULL
);
CREATE INDEX order_lines_order ON order_lines (order_id);

CREATE TABLE invoices (
    erp_id        INTEGER PRIMARY KEY,
    customer_id   INTEGER NOT NULL,
    number        TEXT,
    invoice_date  TEXT,
    due_date      TEXT,
    currency      TEXT NOT NULL,
    total         TEXT NOT NULL,
    amount_to_pay TEXT NOT NULL,
    synced_at     TEXT NOT NULL
);
CREATE INDEX invoices_customer ON invoices (customer_id);

CREATE TABLE payments (
    erp_id      INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL,
    date        TEXT NOT NULL,
    currency    TEXT NOT NULL,
    amount      TEXT NOT NULL,
    description TEXT,
    synced_at   TEXT NOT NULL
);
CREATE INDEX payments_customer ON payments (customer_id, date);

-- Where each entity's pull stands. `since` is the lower bound of the run in
-- progress (NULL: a full pull), `after_id` how far the run has come (records
-- are paged by ERP id), `next_since` the ERP's clock when the run started:
-- it becomes `since` when the run completes.
CREATE TABLE sync_cursors (
    entity        TEXT PRIMARY KEY,
    since         TEXT,
    after_id      INTEGER NOT NULL DEFAULT 0,
    next_since    TEXT,
    completed_at  TEXT
);

-- Derived figures to re-read from the ERP: 'stock' for products, 'credit'
-- for customers. Queued in the same transaction as the page that moved them,
-- so an interrupted sync still refreshes them when it resumes.
CREATE TABLE refresh_queue (
    figure  TEXT NOT NULL,
    erp_id  INTEGER NOT NULL,
    PRIMARY KEY (figure, erp_id)
) WITHOUT ROWID;

-- Where the check for records whose derived figures moved stands: stock
-- moves ('stock') and receivable lines ('credit') changed since `since`
-- (the ERP's clock) have been looked at.
CREATE TABLE figure_cursors (
    figure  TEXT PRIMARY KEY,
    since   TEXT NOT NULL
);

-- One search over customers and products. The trigram tokenizer matches any
-- substring of three characters or more, which is what Chinese needs (no
-- spaces between words) and what Latin prefixes and phone digits need too;
-- shorter queries fall back to LIKE over the same table. A row's rowid is
-- its record's ERP id times two (customers) or times two plus one
-- (products), so a row is replaced without scanning the index.
CREATE VIRTUAL TABLE search_index USING fts5 (
    kind UNINDEXED,
    erp_id UNINDEXED,
    code,
    name,
    body,
    digits,
    tokenize = 'trigram'
);

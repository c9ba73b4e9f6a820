-- What the ERP prices a sale from, so that the laptop prices it as the ERP
-- will (fieldbook_core::pricing): price lists and their lines, promotions,
-- product categories, each customer's price list and the company's default
-- one, and what formulas read of a product besides its list price.
--
-- Each table is named after its entity (fieldbook_core::Entity::name) and
-- pulled, delta-synced and deleted like the others; synced_at is when this
-- laptop last received the row.

ALTER TABLE customers ADD COLUMN price_list_id INTEGER;

-- cost_price: kept only for price-list formulas that use it, never shown.
ALTER TABLE products ADD COLUMN cost_price TEXT;
ALTER TABLE products ADD COLUMN unit_id INTEGER;
ALTER TABLE products ADD COLUMN unit_category_id INTEGER;
ALTER TABLE products ADD COLUMN sale_unit_id INTEGER;

-- A product's categories, the accounting one included (not their parents).
CREATE TABLE product_categories (
    product_id  INTEGER NOT NULL,
    category_id INTEGER NOT NULL,
    PRIMARY KEY (product_id, category_id)
) WITHOUT ROWID;

CREATE TABLE categories (
    erp_id    INTEGER PRIMARY KEY,
    name      TEXT NOT NULL,
    parent_id INTEGER,
    synced_at TEXT NOT NULL
);

-- base: what a formula calls unit_price; unit: the unit its minimum
-- quantities are in.
CREATE TABLE price_lists (
    erp_id       INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    base         TEXT NOT NULL CHECK (base IN ('list_price', 'cost_price', 'nothing')),
    unit         TEXT NOT NULL CHECK (unit IN ('default', 'sale')),
    tax_included INTEGER NOT NULL,
    synced_at    TEXT NOT NULL
);

-- quantity: the least quantity the line applies from; the ERP keeps it as
-- a float and compares it as one.
CREATE TABLE price_list_lines (
    erp_id        INTEGER PRIMARY KEY,
    price_list_id INTEGER NOT NULL,
    sequence      INTEGER,
    category_id   INTEGER,
    product_id    INTEGER,
    quantity      REAL,
    formula       TEXT NOT NULL,
    synced_at     TEXT NOT NULL
);
CREATE INDEX price_list_lines_list ON price_list_lines (price_list_id);

-- product_ids, category_ids: JSON arrays of ERP ids (empty: any).
CREATE TABLE promotions (
    erp_id         INTEGER PRIMARY KEY,
    name           TEXT NOT NULL,
    start_date     TEXT,
    end_date       TEXT,
    price_list_id  INTEGER,
    amount         TEXT,
    untaxed_amount INTEGER NOT NULL,
    quantity       REAL,
    unit_id        INTEGER,
    unit_category_id INTEGER,
    product_ids    TEXT NOT NULL,
    category_ids   TEXT NOT NULL,
    formula        TEXT NOT NULL,
    synced_at      TEXT NOT NULL
);

-- The company's default price list (for customers without one). One row,
-- written by every sync.
CREATE TABLE pricing_defaults (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    default_list_id INTEGER,
    synced_at       TEXT NOT NULL
);

-- Customers and products cached before these columns existed have none of
-- them: the next sync pulls them whole again.
DELETE FROM sync_cursors WHERE entity IN ('customers', 'products');

-- The company's currency as the ERP keeps it: its code and how many
-- decimals its amounts have. Estimates of totals are rounded to them and
-- unit prices are checked against them, as the ERP will. One row, written
-- by every sync.
CREATE TABLE currency (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    code      TEXT NOT NULL,
    digits    INTEGER NOT NULL CHECK (digits BETWEEN 0 AND 12),
    synced_at TEXT NOT NULL
);

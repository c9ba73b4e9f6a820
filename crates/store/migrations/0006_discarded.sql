-- Entries the salesperson discarded after a request once carried them.
--
-- A discard is refused while an entry may be in the ERP, so each of these
-- was refused by it; but a refusal half-way (a sale made, then refused at
-- its confirmation; a request filed, then refused at submission) can leave
-- a record there. Each row is looked up by its uuid at the next sync:
-- forgotten once the ERP proves it holds nothing alive under it (nothing
-- found, or cancelled), reported while it does, so a discarded entry the
-- ERP turns out to hold is never silently forgotten.
--
-- kind: what the entry created ('sale', 'customer', 'request').
-- customer: the customer's name as the cache had it (for a new customer,
--   its own), for the report.
-- erp_id, erp_number, erp_state: the record the ERP holds, once found.
-- checked_at: the last lookup; NULL until the first.
CREATE TABLE discarded (
    uuid         TEXT PRIMARY KEY,
    seq          INTEGER NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('sale', 'customer', 'request')),
    customer     TEXT NOT NULL,
    discarded_at TEXT NOT NULL,
    erp_id       INTEGER,
    erp_number   TEXT,
    erp_state    TEXT,
    checked_at   TEXT
);

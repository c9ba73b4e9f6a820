-- What the salesperson wrote offline and the ERP has not confirmed yet, in
-- the order it was written. An entry is written in the same transaction as
-- the change it carries, so no change exists without its entry.
--
-- uuid: the client's id for the record, generated on the laptop and sent to
--   the ERP with it (Fieldbook's Tryton module keeps it unique there), so a
--   resent entry is recognised instead of created twice.
-- kind: what the entry creates or changes ('sale': a quote or an order).
-- payload: what was typed, as JSON (fieldbook-core's drafts), kept whole
--   until the entry is discarded, so nothing typed is ever lost.
-- depends_on: the uuid of an entry that must reach the ERP first (an order
--   for a customer created offline).
-- state: 'pending' (waiting to be sent), 'done' (the ERP accepted it:
--   erp_id, erp_number), 'rejected' (the ERP said no: erp_message; waits to be
--   edited and resent, or discarded).
-- warning: a warning the ERP raised that the salesperson must acknowledge
--   before the entry is resent (its name in the ERP, then its text).
CREATE TABLE outbox (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid            TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL,
    customer_id     INTEGER,
    payload         TEXT NOT NULL,
    depends_on      TEXT,
    state           TEXT NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'done', 'rejected')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    erp_message     TEXT,
    warning_name    TEXT,
    warning_text    TEXT,
    erp_id          INTEGER,
    erp_number      TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX outbox_state ON outbox (state, seq);
CREATE INDEX outbox_customer ON outbox (customer_id, state);

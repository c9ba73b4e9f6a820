-- Parts of a sync the ERP user may not read (Tryton refused them for lack
-- of rights): skipped while the rest syncs, shown in `status` and in the
-- window, and tried again at a slower pace in case the rights change.
--
-- part: a sync part's stable name (fieldbook_core::SyncPart::name).
-- detail: the refusal, as Fieldbook words it (which right, the ERP's words).
-- since: the first refusal of a run of them; tried_at: the latest.
CREATE TABLE not_readable (
    part     TEXT PRIMARY KEY,
    detail   TEXT NOT NULL,
    since    TEXT NOT NULL,
    tried_at TEXT NOT NULL
);

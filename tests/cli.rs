//! The `fieldbook` command against the real Tryton.

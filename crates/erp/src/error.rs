/// What went wrong talking to the ERP. Each message says what is wrong and
/// what to do; [`ErpError::is_transient`] says whether trying again later
/// can help.
#[derive(Debug, thiserror::Error)]
pub enum ErpError {
    #[error(
        "cannot reach the ERP at {url} ({detail}): check the address and your connection; Fieldbook works offline meanwhile"
    )]
    Unreachable { url: String, detail: String },

    #[error(
        "the ERP at {url} did not answer in time: it may be busy or the connection is poor; try again later"
    )]
    Timeout { url: String },

    #[error(
        "{url} does not answer like a {erp} ERP ({detail}): check the address (for example http://erp.example.com:8000/)"
    )]
    NotAnErp {
        url: String,
        /// Which ERP the client expected (the client's own name for it).
        erp: &'static str,
        detail: String,
    },

    #[error(
        "the ERP at {url} has no database named {database:?}: check the database name with your administrator"
    )]
    UnknownDatabase { url: String, database: String },

    #[error("the ERP refused the login {login:?}: check the login and the password")]
    AuthRefused { login: String },

    #[error(
        "the ERP refused further logins for {login:?} after too many failed attempts: wait a few minutes, then try again"
    )]
    TooManyLogins { login: String },

    #[error("the ERP session expired")]
    SessionExpired,

    #[error("the ERP says: {message}{}", description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Rejected {
        message: String,
        description: Option<String>,
    },

    /// The ERP user lacks the right to `action` records of `model`: not a
    /// wrong login, and nothing the salesperson can fix; the administrator
    /// can. Told apart from other refusals by asking Tryton for the user's
    /// rights (its words are the same kind of error, in the user's language).
    #[error(
        "the ERP user {login:?} may not {action} {model} (the ERP says: {detail}): ask your ERP administrator to give it the groups \"Sales\", \"Stock\" and \"Fieldbook salesperson\""
    )]
    NotPermitted {
        login: String,
        action: &'static str,
        model: String,
        detail: String,
    },

    #[error("the ERP warns: {message}")]
    Warning { name: String, message: String },

    #[error(
        "the ERP reports that the record was changed by someone else meanwhile: sync and try again"
    )]
    Concurrent,

    #[error("the ERP failed (HTTP {status}): {detail}; it may be restarting, try again later")]
    Server { status: u16, detail: String },

    #[error(
        "the ERP answered something Fieldbook does not understand ({0}): report this to your administrator"
    )]
    Protocol(String),

    /// Another push of the same entry made the record between this push's
    /// lookup and its create (Fieldbook's uniqueness constraint refused the
    /// second): it is in the ERP, and the next push takes it on.
    #[error(
        "this entry reached the ERP through another sync at the same moment: the next sync takes it on"
    )]
    SentMeanwhile,

    /// An answer that is not the ERP's own (a proxy's or captive portal's
    /// page, a body cut short): the request may or may not have reached the
    /// ERP, so it is tried again later.
    #[error(
        "the answer from {url} did not come from the ERP intact ({detail}): a proxy or the network got in the way; try again later"
    )]
    Garbled { url: String, detail: String },

    /// An answer larger than Fieldbook accepts: a broken or hostile server,
    /// or a limit set too low for this ERP.
    #[error(
        "the ERP at {url} sent an answer larger than {limit_mib} MiB, which Fieldbook refuses: report this to your administrator"
    )]
    AnswerTooLarge { url: String, limit_mib: usize },

    /// Plain http:// to a host that is not this computer, without the
    /// administrator's explicit permission: the password and the session
    /// would cross the network readable by anyone on the way.
    #[error(
        "refusing to send the ERP password over plain http:// to {url}: use the ERP's https:// address, or, on a network you trust, \
         allow it with --allow-insecure-http (FIELDBOOK_ALLOW_INSECURE_HTTP=1)"
    )]
    InsecureAddress { url: String },

    /// A URL with `login:password@` in it would put the password in the
    /// cache, logs and messages.
    #[error(
        "the ERP address {url} contains a login or password (user:password@...): remove it; Fieldbook asks for the password separately"
    )]
    CredentialsInAddress { url: String },
}

impl ErpError {
    /// Whether the same request may succeed later without anyone changing
    /// anything.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ErpError::Unreachable { .. }
                | ErpError::Timeout { .. }
                | ErpError::SessionExpired
                | ErpError::Server { .. }
                | ErpError::TooManyLogins { .. }
                | ErpError::Garbled { .. }
                | ErpError::SentMeanwhile
        )
    }
}

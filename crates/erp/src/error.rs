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
        "{url} does not answer like a Tryton ERP ({detail}): check the address (for example http://erp.example.com:8000/)"
    )]
    NotAnErp { url: String, detail: String },

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
        )
    }
}

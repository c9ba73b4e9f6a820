//! The OS keyring (Secret Service on Linux, Keychain on macOS, Credential
//! Manager on Windows) as Fieldbook's [`Secrets`].

use crate::{AppError, Secrets};
use std::path::Path;

/// Secrets under the service "Fieldbook", one account per secret and data
/// folder, so two profiles on one laptop keep theirs apart; the window and
/// the CLI name the same folder the same way
/// ([`crate::local::Folders::locate`]), so each finds the other's.
pub struct KeyringSecrets {
    account_suffix: String,
}

impl KeyringSecrets {
    pub fn new(data_dir: &Path) -> KeyringSecrets {
        KeyringSecrets {
            account_suffix: data_dir.display().to_string(),
        }
    }

    fn entry(&self, name: &str) -> Result<keyring::Entry, AppError> {
        keyring::Entry::new("Fieldbook", &format!("{name}@{}", self.account_suffix))
            .map_err(unavailable)
    }
}

impl Secrets for KeyringSecrets {
    fn get(&self, name: &str) -> Result<Option<String>, AppError> {
        match self.entry(name)?.get_password() {
            Ok(secret) => Ok(Some(secret)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(error) => Err(unavailable(error)),
        }
    }

    fn set(&self, name: &str, value: &str) -> Result<(), AppError> {
        self.entry(name)?.set_password(value).map_err(unavailable)
    }

    fn delete(&self, name: &str) -> Result<(), AppError> {
        match self.entry(name)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(error) => Err(unavailable(error)),
        }
    }
}

fn unavailable(error: keyring::Error) -> AppError {
    AppError::new(
        "errors.secrets.unavailable",
        format!(
            "the system keyring cannot be used ({error}): Fieldbook keeps the ERP password and the cache key there. \
             On Linux, start a Secret Service (GNOME Keyring or KWallet) and unlock it, then try again"
        ),
    )
}

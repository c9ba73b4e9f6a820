//! The app with no ERP and no window: first run, settings, secrets, and
//! what is refused before anything is written. What needs the ERP is in
//! `tests/app.rs`, against the real Tryton.

use super::*;

fn app() -> (tempfile::TempDir, Arc<MemorySecrets>, App) {
    let dir = tempfile::tempdir().unwrap();
    let secrets = Arc::new(MemorySecrets::default());
    let app = App::new(dir.path().join("data"), secrets.clone());
    (dir, secrets, app)
}

fn form(url: &str) -> ConnectForm {
    ConnectForm {
        url: url.into(),
        database: "fieldbook".into(),
        login: "sales".into(),
        password: "secret".into(),
    }
}

#[test]
fn a_first_start_asks_to_connect_with_default_settings() {
    let (_dir, _secrets, app) = app();
    let session = app.session().unwrap();
    assert!(session.needs_setup);
    assert!(session.erp.is_none());
    assert_eq!(session.settings, Settings::default());
    assert_eq!(session.settings.language, None, "follows the system");
    // Nothing to read yet, and the window is told why.
    assert_eq!(app.home().unwrap_err().code, "errors.not_connected");
    assert_eq!(
        app.search("茶", None).unwrap_err().code,
        "errors.not_connected"
    );
}

#[test]
fn the_connect_page_offers_a_preset_erp_until_connected() {
    let dir = tempfile::tempdir().unwrap();
    let preset = ErpInfo {
        url: "http://erp.example.com:8000/".into(),
        database: "prod".into(),
        login: "alice".into(),
    };
    let app = App::new(dir.path().to_owned(), Arc::new(MemorySecrets::default()))
        .with_suggested_erp(preset);
    let session = app.session().unwrap();
    assert!(session.needs_setup);
    assert_eq!(session.erp.unwrap().database, "prod");
}

#[tokio::test]
async fn connect_names_the_missing_field_and_writes_nothing() {
    let (_dir, secrets, app) = app();
    for (field, mut bad) in [
        ("url", form(" ")),
        ("database", form("http://127.0.0.1:9/")),
        ("login", form("http://127.0.0.1:9/")),
        ("password", form("http://127.0.0.1:9/")),
    ] {
        match field {
            "database" => bad.database.clear(),
            "login" => bad.login = "  ".into(),
            "password" => bad.password.clear(),
            _ => {}
        }
        let error = app.connect(bad).await.unwrap_err();
        assert_eq!(error.code, "errors.connect.missing", "{field}");
        assert_eq!(error.params["field"], field);
    }
    assert!(!app.data_dir().exists());
    assert_eq!(secrets.get(PASSWORD_SECRET).unwrap(), None);
}

#[tokio::test]
async fn connect_to_an_address_where_nothing_answers_is_unreachable_and_writes_nothing() {
    // Port 9 (discard) on loopback: nothing listens there on this machine.
    let (_dir, secrets, app) = app();
    let error = app.connect(form("http://127.0.0.1:9/")).await.unwrap_err();
    assert_eq!(error.code, "errors.erp.unreachable", "{error:?}");
    assert!(error.transient);
    assert_eq!(error.params["url"], "http://127.0.0.1:9/");
    assert!(!app.data_dir().join("cache.db").exists());
    assert_eq!(secrets.get(PASSWORD_SECRET).unwrap(), None);
    assert_eq!(secrets.get(CACHE_KEY_SECRET).unwrap(), None);
    assert!(app.session().unwrap().needs_setup);
}

#[test]
fn settings_are_kept_and_checked() {
    let (_dir, _secrets, app) = app();
    let chosen = Settings {
        language: Some("zh-CN".into()),
        sync_interval_seconds: 120,
    };
    assert_eq!(app.save_settings(chosen.clone()).unwrap(), chosen);
    assert_eq!(app.settings().unwrap(), chosen);
    let again = App::new(
        app.data_dir().to_owned(),
        Arc::new(MemorySecrets::default()),
    );
    assert_eq!(again.settings().unwrap(), chosen, "kept across restarts");

    let error = app
        .save_settings(Settings {
            language: Some("fr".into()),
            ..chosen.clone()
        })
        .unwrap_err();
    assert_eq!(error.code, "errors.settings.language");
    let error = app
        .save_settings(Settings {
            sync_interval_seconds: 5,
            ..chosen.clone()
        })
        .unwrap_err();
    assert_eq!(error.code, "errors.settings.interval");
    assert_eq!(
        app.settings().unwrap(),
        chosen,
        "a refused change changes nothing"
    );

    std::fs::write(app.data_dir().join("settings.json"), "{not json").unwrap();
    assert_eq!(
        app.settings().unwrap_err().code,
        "errors.settings.unreadable"
    );
}

#[test]
fn a_cache_whose_key_left_the_keyring_asks_to_connect_again() {
    let (_dir, secrets, app) = app();
    std::fs::create_dir_all(app.data_dir()).unwrap();
    let key = new_cache_key().unwrap();
    assert_eq!(key.len(), RAW_KEY.len() + 64);
    assert_ne!(key, new_cache_key().unwrap());
    Store::create(
        &app.data_dir().join("cache.db"),
        &cache_key(key.clone()).unwrap(),
    )
    .unwrap();

    // Signed out: the key is gone, the cache stays, unreadable.
    assert!(app.session().unwrap().needs_setup);

    secrets.set(CACHE_KEY_SECRET, &key).unwrap();
    assert!(!app.session().unwrap().needs_setup);
    assert_eq!(app.home().unwrap().pending, 0);
}

#[tokio::test]
async fn sign_out_forgets_the_secrets_and_keeps_the_cache_file() {
    let (_dir, secrets, app) = app();
    std::fs::create_dir_all(app.data_dir()).unwrap();
    let key = new_cache_key().unwrap();
    Store::create(
        &app.data_dir().join("cache.db"),
        &cache_key(key.clone()).unwrap(),
    )
    .unwrap();
    secrets.set(CACHE_KEY_SECRET, &key).unwrap();
    secrets.set(PASSWORD_SECRET, "secret").unwrap();
    assert!(!app.session().unwrap().needs_setup);

    app.sign_out().await.unwrap();
    assert_eq!(secrets.get(PASSWORD_SECRET).unwrap(), None);
    assert_eq!(secrets.get(CACHE_KEY_SECRET).unwrap(), None);
    assert!(app.data_dir().join("cache.db").exists());
    assert!(app.session().unwrap().needs_setup);
}

/// The window runs commands and the background sync on a multi-threaded
/// runtime: their futures must be `Send`. (This does not compile if not.)
#[allow(dead_code)]
fn futures_the_window_spawns_are_send(app: Arc<App>) {
    fn send<T: Send>(_: T) {}
    send(run_background(app.clone(), |_| {}));
    send(async move {
        let _ = app.sync(Trigger::Person, &|_| {}).await;
        let _ = app.sign_out().await;
        let _ = app.connect(form("http://127.0.0.1:9/")).await;
    });
}

#[test]
fn a_raw_key_opens_only_its_cache_and_a_passphrase_kept_earlier_still_opens() {
    use fieldbook_store::StoreError;
    let dir = tempfile::tempdir().unwrap();
    let raw = new_cache_key().unwrap();
    let path = dir.path().join("raw.db");
    Store::create(&path, &cache_key(raw.clone()).unwrap()).unwrap();
    Store::open(&path, &cache_key(raw.clone()).unwrap()).unwrap();
    // The same hex as a passphrase is another key.
    let hex = raw.strip_prefix(RAW_KEY).unwrap().to_owned();
    let wrong = Store::open(&path, &cache_key(hex.clone()).unwrap()).unwrap_err();
    assert!(
        matches!(wrong, StoreError::WrongKeyOrNotACache { .. }),
        "{wrong:?}"
    );
    // A keyring entry from a build before raw keys: a passphrase.
    let older = dir.path().join("older.db");
    Store::create(&older, &CacheKey::new(hex.clone()).unwrap()).unwrap();
    Store::open(&older, &cache_key(hex).unwrap()).unwrap();
    // A damaged raw entry is named, not opened.
    let damaged = cache_key(format!("{RAW_KEY}not-hex")).unwrap_err();
    assert_eq!(damaged.code, "errors.cache.wrong_key");
    assert!(
        damaged.message.contains("64 hex digits"),
        "{}",
        damaged.message
    );
}

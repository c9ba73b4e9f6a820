//! Tryton's JSON-RPC transport: one POST per call to `/DATABASE/rpc/`, a
//! session from `common.db.login` carried in the Authorization header, and
//! errors turned into [`ErpError`]s. An expired session logs in again once.

use base64::Engine;
use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::RwLock;

use crate::ErpError;

/// Where and as whom to connect.
#[derive(Clone)]
pub struct TrytonConfig {
    /// The server's address, e.g. `http://127.0.0.1:8000/`.
    pub url: String,
    pub database: String,
    pub login: String,
    pub password: String,
    /// The longest a single call may take.
    pub timeout: Duration,
    /// The largest answer accepted, counted after decompression, so a
    /// broken or hostile server (or a gzip bomb) cannot fill the laptop's
    /// memory.
    pub max_answer_bytes: usize,
    /// Whether plain `http://` to a host other than this computer is
    /// allowed: only when the administrator says so explicitly.
    pub allow_insecure_http: bool,
}

/// The largest answer accepted by default: 64 MiB. The largest answer of a
/// sync at benchmark size (stock of 50,000 products in two warehouses from
/// Fieldbook's module, in one call) is about 11 MiB uncompressed; a page
/// of records is under 1 MiB (BENCHMARKS.md, "Hostile answers").
pub const DEFAULT_MAX_ANSWER_BYTES: usize = 64 << 20;

impl TrytonConfig {
    /// A configuration with the defaults: calls of at most 120 s, answers
    /// of at most [`DEFAULT_MAX_ANSWER_BYTES`], `https://` (or `http://` to
    /// this computer) only.
    pub fn new(
        url: impl Into<String>,
        database: impl Into<String>,
        login: impl Into<String>,
        password: impl Into<String>,
    ) -> TrytonConfig {
        TrytonConfig {
            url: url.into(),
            database: database.into(),
            login: login.into(),
            password: password.into(),
            timeout: Duration::from_secs(120),
            max_answer_bytes: DEFAULT_MAX_ANSWER_BYTES,
            allow_insecure_http: false,
        }
    }
}

impl fmt::Debug for TrytonConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrytonConfig")
            .field("url", &self.url)
            .field("database", &self.database)
            .field("login", &self.login)
            .field("password", &"<redacted>")
            .field("timeout", &self.timeout)
            .field("max_answer_bytes", &self.max_answer_bytes)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .finish()
    }
}

#[derive(Clone)]
struct Session {
    authorization: String,
}

pub(crate) struct Rpc {
    http: reqwest::Client,
    config: TrytonConfig,
    base: String,
    session: RwLock<Option<Session>>,
    next_id: AtomicU64,
    /// The ERP's clock, from the Date header of the latest answer.
    last_server_date: Mutex<Option<DateTime<Utc>>>,
    /// How many calls were made (for benchmarks and the status line).
    calls: Arc<AtomicU64>,
    /// When set, every successful database call (method and parameters,
    /// and the answer when asked for), so a benchmark can replay exactly
    /// what a sync asked of the ERP and a test can pin it.
    recording: Mutex<Option<Recording>>,
}

/// Calls kept for a benchmark or a test.
struct Recording {
    answers: bool,
    calls: Vec<(String, Value, Option<Value>)>,
}

impl Rpc {
    pub fn new(config: TrytonConfig) -> Result<Rpc, ErpError> {
        let base = normalize_url(&config.url, config.allow_insecure_http)?;
        // Answers come gzipped (Tryton compresses large ones when asked).
        // Uncompressed, Tryton writes its JSON a few hundred bytes at a
        // time, and receiving hundreds of thousands of tiny pieces cost both
        // sides more than the work itself: a full sync at benchmark size
        // took 218 s with 87 s of kernel time in the client; gzipped, 87 s
        // with 2 s.
        let http = reqwest::Client::builder()
            .gzip(true)
            .timeout(config.timeout)
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|error| ErpError::Protocol(format!("HTTP client: {error}")))?;
        Ok(Rpc {
            http,
            config,
            base,
            session: RwLock::new(None),
            next_id: AtomicU64::new(1),
            last_server_date: Mutex::new(None),
            calls: Arc::new(AtomicU64::new(0)),
            recording: Mutex::new(None),
        })
    }

    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// Keeps every call from now on; with `answers`, Tryton's answers too.
    pub fn start_recording(&self, answers: bool) {
        *self.recording.lock().expect("recording lock") = Some(Recording {
            answers,
            calls: Vec::new(),
        });
    }

    /// The calls kept since `start_recording`: method, parameters, and the
    /// answer if kept.
    pub fn take_recording(&self) -> Vec<(String, Value, Option<Value>)> {
        self.recording
            .lock()
            .expect("recording lock")
            .take()
            .map(|recording| recording.calls)
            .unwrap_or_default()
    }

    pub fn server_date(&self) -> Option<DateTime<Utc>> {
        *self.last_server_date.lock().expect("server date lock")
    }

    fn database_url(&self) -> String {
        format!("{}{}/rpc/", self.base, self.config.database)
    }

    /// Logs in, replacing any session.
    /// The ERP user this connection logs in as.
    pub fn login_name(&self) -> &str {
        &self.config.login
    }

    pub async fn login(&self) -> Result<(), ErpError> {
        let params = json!([self.config.login, {"password": self.config.password}, "en"]);
        let answer = self
            .post(&self.database_url(), "common.db.login", params, None)
            .await;
        let result = match answer {
            Ok(result) => result,
            Err(Failure::Status(StatusCode::UNAUTHORIZED, _)) => {
                return Err(ErpError::AuthRefused {
                    login: self.config.login.clone(),
                });
            }
            Err(Failure::Status(StatusCode::TOO_MANY_REQUESTS, _)) => {
                return Err(ErpError::TooManyLogins {
                    login: self.config.login.clone(),
                });
            }
            Err(Failure::Status(StatusCode::NOT_FOUND, _)) => {
                return Err(self.explain_not_found().await);
            }
            Err(failure) => return Err(self.to_error(failure)),
        };
        let (user_id, key) = match result.as_array().map(Vec::as_slice) {
            Some([user_id, key, ..]) => (user_id.as_i64(), key.as_str()),
            _ => (None, None),
        };
        let (Some(user_id), Some(key)) = (user_id, key) else {
            // Not the answer itself: it may hold a session key.
            return Err(ErpError::Protocol(
                "the login answer is not [user id, session key]".into(),
            ));
        };
        let token = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{user_id}:{key}", self.config.login));
        *self.session.write().await = Some(Session {
            authorization: format!("Session {token}"),
        });
        Ok(())
    }

    /// A 404 on the database URL: either the server is Tryton and the
    /// database does not exist, or the address is not a Tryton server.
    async fn explain_not_found(&self) -> ErpError {
        let version = self
            .post(
                &format!("{}rpc/", self.base),
                "common.server.version",
                json!([]),
                None,
            )
            .await;
        match version {
            Ok(Value::String(_)) => ErpError::UnknownDatabase {
                url: self.base.clone(),
                database: self.config.database.clone(),
            },
            _ => ErpError::NotAnErp {
                erp: "Tryton",
                url: self.base.clone(),
                detail: "no Tryton JSON-RPC endpoint there".into(),
            },
        }
    }

    /// Calls `method` with the session, logging in first if there is none
    /// and once more if the session has expired.
    pub async fn call(&self, method: &str, params: Value) -> Result<Value, ErpError> {
        let mut contended = 0;
        let mut attempt = 0;
        while attempt < 2 {
            attempt += 1;
            let current = self.session.read().await.clone();
            let session = match current {
                Some(session) => session,
                None => {
                    self.login().await?;
                    self.session
                        .read()
                        .await
                        .clone()
                        .ok_or(ErpError::SessionExpired)?
                }
            };
            match self
                .post(&self.database_url(), method, params.clone(), Some(&session))
                .await
            {
                Ok(result) => {
                    if let Some(recording) = self.recording.lock().expect("recording lock").as_mut()
                    {
                        let answer = recording.answers.then(|| result.clone());
                        recording.calls.push((method.to_owned(), params, answer));
                    }
                    return Ok(result);
                }
                Err(Failure::Status(StatusCode::UNAUTHORIZED, _)) if attempt == 1 => {
                    tracing::info!("ERP session expired; logging in again");
                    self.session.write().await.take();
                }
                // Busy, not down: Tryton answers 503 when its database
                // could not lock what the request needs (another request
                // holds it: two pushes at once, a back-office batch) after
                // its own retries, having rolled the request back; a proxy
                // answers 503 before forwarding. Either way nothing was
                // done, so the same request goes again after a pause that
                // grows and differs between laptops.
                Err(Failure::Status(StatusCode::SERVICE_UNAVAILABLE, _))
                    if contended < CONTENDED_RETRIES =>
                {
                    contended += 1;
                    attempt -= 1;
                    tracing::info!(method, contended, "ERP busy (503); trying again");
                    tokio::time::sleep(contended_pause(contended, &session.authorization)).await;
                }
                // The ERP answered the login as Tryton, so a page that is
                // not JSON-RPC now came from something on the way (a proxy,
                // a portal, a body cut short). The request may have reached
                // the ERP: a passing failure, to be tried again.
                Err(Failure::NotJson(detail)) => {
                    return Err(ErpError::Garbled {
                        url: self.base.clone(),
                        detail,
                    });
                }
                Err(failure) => return Err(self.to_error(failure)),
            }
        }
        Err(ErpError::SessionExpired)
    }

    /// Calls a method that needs no database (e.g. the server version).
    pub async fn call_server(&self, method: &str, params: Value) -> Result<Value, ErpError> {
        self.post(&format!("{}rpc/", self.base), method, params, None)
            .await
            .map_err(|failure| self.to_error(failure))
    }

    async fn post(
        &self,
        url: &str,
        method: &str,
        params: Value,
        session: Option<&Session>,
    ) -> Result<Value, Failure> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let body = json!({"id": id, "method": method, "params": params});
        let mut request = self.http.post(url).json(&body);
        if let Some(session) = session {
            request = request.header(reqwest::header::AUTHORIZATION, &session.authorization);
        }
        self.calls.fetch_add(1, Ordering::Relaxed);
        let response = request.send().await.map_err(Failure::Transport)?;
        if let Some(date) = response
            .headers()
            .get(reqwest::header::DATE)
            .and_then(|value| value.to_str().ok())
            .and_then(|text| DateTime::parse_from_rfc2822(text).ok())
        {
            *self.last_server_date.lock().expect("server date lock") =
                Some(date.with_timezone(&Utc));
        }
        let status = response.status();
        let body = read_body(response, self.config.max_answer_bytes).await?;
        if status != StatusCode::OK {
            return Err(Failure::Status(
                status,
                String::from_utf8_lossy(&body).into_owned(),
            ));
        }
        decode_answer(&body)
    }

    fn to_error(&self, failure: Failure) -> ErpError {
        let url = self.base.clone();
        match failure {
            Failure::Transport(error) if error.is_timeout() => ErpError::Timeout { url },
            Failure::Transport(error) => ErpError::Unreachable {
                url,
                detail: root_cause(&error),
            },
            Failure::Status(StatusCode::UNAUTHORIZED, _) => ErpError::SessionExpired,
            Failure::Status(StatusCode::NOT_FOUND, _) => ErpError::NotAnErp {
                erp: "Tryton",
                url,
                detail: "HTTP 404 Not Found".into(),
            },
            Failure::Status(StatusCode::GATEWAY_TIMEOUT, _) => ErpError::Timeout { url },
            Failure::Status(status, body) if status.is_server_error() => ErpError::Server {
                status: status.as_u16(),
                detail: shorten(&strip_html(&body)),
            },
            Failure::Status(status, body) => {
                ErpError::Protocol(format!("HTTP {status}: {}", shorten(&strip_html(&body))))
            }
            Failure::NotJson(text) => ErpError::NotAnErp {
                erp: "Tryton",
                url,
                detail: format!("answered {text:?}"),
            },
            Failure::TooLarge => ErpError::AnswerTooLarge {
                url,
                limit_mib: self.config.max_answer_bytes >> 20,
            },
            Failure::Remote(error) => remote_error(&error),
        }
    }
}

/// How many times a request Tryton answered "busy" (HTTP 503) goes again
/// before the failure is reported (as a passing one).
const CONTENDED_RETRIES: u32 = 6;

/// The pause before the `nth` retry of a busy request: 100 ms doubling up
/// to 3.2 s, plus up to half as much again, spread by the session (so two
/// laptops that met do not meet again) and the clock.
fn contended_pause(nth: u32, spread_by: &str) -> std::time::Duration {
    let base = 100u64 << nth.clamp(1, 6).saturating_sub(1);
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    std::hash::Hash::hash(
        &(spread_by, nth, Utc::now().timestamp_subsec_nanos()),
        &mut hasher,
    );
    let spread = std::hash::Hasher::finish(&hasher) % (base / 2 + 1);
    std::time::Duration::from_millis(base + spread)
}

/// A JSON-RPC answer's result, or Tryton's error; anything else is not
/// JSON-RPC. Pure, so it is fuzzed on its own (`fuzz/`).
fn decode_answer(body: &[u8]) -> Result<Value, Failure> {
    let not_json = || Failure::NotJson(shorten(&String::from_utf8_lossy(body)));
    let mut answer: Value = serde_json::from_slice(body).map_err(|_| not_json())?;
    let Some(fields) = answer.as_object_mut() else {
        return Err(not_json());
    };
    if let Some(error) = fields.remove("error").filter(|error| !error.is_null()) {
        return Err(Failure::Remote(error));
    }
    fields.remove("result").ok_or_else(not_json)
}

/// What [`decode_answer`] makes of `body`, as the engine would see it: the
/// result, or the error it becomes.
pub(crate) fn decode_for_fuzzing(body: &[u8]) -> Result<Value, ErpError> {
    decode_answer(body).map_err(|failure| match failure {
        Failure::Remote(error) => remote_error(&error),
        Failure::NotJson(detail) => ErpError::Garbled {
            url: String::new(),
            detail,
        },
        Failure::Transport(_) | Failure::Status(..) | Failure::TooLarge => {
            ErpError::Protocol("not from decoding".into())
        }
    })
}

enum Failure {
    Transport(reqwest::Error),
    Status(StatusCode, String),
    NotJson(String),
    /// Larger than `max_answer_bytes`; reading stopped there.
    TooLarge,
    Remote(Value),
}

/// Turns Tryton's `{"error": [...]}` into an error: user errors carry the
/// ERP's own words, warnings their name (to acknowledge them later).
fn remote_error(error: &Value) -> ErpError {
    let kind = error.get(0).and_then(Value::as_str).unwrap_or_default();
    let details = error.get(1);
    let text = |index: usize| {
        details
            .and_then(|d| d.get(index))
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
    };
    match kind {
        "UserError" => ErpError::Rejected {
            message: text(0).unwrap_or_else(|| error.to_string()),
            description: text(1),
        },
        "UserWarning" => ErpError::Warning {
            name: text(0).unwrap_or_default(),
            message: text(1).unwrap_or_else(|| error.to_string()),
        },
        "ConcurrencyException" => ErpError::Concurrent,
        _ => ErpError::Protocol(shorten(&error.to_string())),
    }
}

/// `http://host:8000` and `http://host:8000/` both become
/// `http://host:8000/`; anything that is not an http(s) URL is refused, and
/// so are a login or password in the URL and, unless `allow_insecure_http`,
/// plain `http://` to anything but this computer.
fn normalize_url(url: &str, allow_insecure_http: bool) -> Result<String, ErpError> {
    let not_http = || ErpError::NotAnErp {
        erp: "Tryton",
        url: url.to_owned(),
        detail: "the address must start with http:// or https://".into(),
    };
    if !url.contains("://") {
        return Err(not_http());
    }
    let mut parsed = reqwest::Url::parse(url.trim()).map_err(|error| ErpError::NotAnErp {
        erp: "Tryton",
        // The text as typed may hold a password: name only what it is.
        url: "the address given".into(),
        detail: format!("not a valid address: {error}"),
    })?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        // Shown without what stood before the '@'.
        let _ = parsed.set_username("");
        let _ = parsed.set_password(None);
        return Err(ErpError::CredentialsInAddress {
            url: parsed.to_string(),
        });
    }
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
        return Err(not_http());
    }
    let host = parsed
        .host_str()
        .unwrap_or_default()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    let loopback = match host.parse::<std::net::IpAddr>() {
        Ok(address) => address.is_loopback(),
        Err(_) => host == "localhost" || host.ends_with(".localhost"),
    };
    if parsed.scheme() == "http" && !loopback && !allow_insecure_http {
        return Err(ErpError::InsecureAddress {
            url: parsed.to_string(),
        });
    }
    let mut text = parsed.to_string();
    if !text.ends_with('/') {
        text.push('/');
    }
    Ok(text)
}

fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

fn strip_html(text: &str) -> String {
    let mut plain = String::new();
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                plain.push(' ');
            }
            c if !in_tag => plain.push(c),
            _ => {}
        }
    }
    plain.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Reads a whole answer body into one buffer of its own, refusing one
/// larger than `limit` bytes (after decompression: a gzip bomb stops
/// there too).
///
/// Tryton streams its JSON in many small chunks (`iterencode`), and each
/// chunk hyper hands over keeps its whole read buffer alive while it is
/// held: collecting them with `Response::bytes` pinned about 100 MiB for a
/// 400 KB page of products. Copying each chunk out and dropping it lets hyper
/// reuse its buffer, so an answer costs about its own size.
async fn read_body(mut response: reqwest::Response, limit: usize) -> Result<Vec<u8>, Failure> {
    // Content-Length is the compressed size when the answer is gzipped:
    // only a bound on what to reserve, checked again while reading.
    let expected = response.content_length().unwrap_or(0);
    if expected > limit as u64 {
        return Err(Failure::TooLarge);
    }
    let mut body = Vec::with_capacity(usize::try_from(expected).unwrap_or(0).min(64 << 20));
    while let Some(chunk) = response.chunk().await.map_err(Failure::Transport)? {
        if body.len() + chunk.len() > limit {
            return Err(Failure::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn shorten(text: &str) -> String {
    let mut short: String = text.chars().take(200).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_normalized_or_refused() {
        assert_eq!(
            normalize_url("http://127.0.0.1:8000", false).unwrap(),
            "http://127.0.0.1:8000/"
        );
        assert_eq!(
            normalize_url(" https://erp.example.com/ ", false).unwrap(),
            "https://erp.example.com/"
        );
        for bad in ["erp.example.com", "ftp://erp.example.com", "http://", ""] {
            let error = normalize_url(bad, false).unwrap_err();
            assert!(
                matches!(error, ErpError::NotAnErp { .. }),
                "{bad}: {error:?}"
            );
        }
    }

    #[test]
    fn plain_http_goes_only_to_this_computer_unless_the_administrator_allows_it() {
        for local in [
            "http://127.0.0.1:8000/",
            "http://127.3.4.5:8000/",
            "http://localhost:8000/",
            "http://[::1]:8000/",
        ] {
            assert!(normalize_url(local, false).is_ok(), "{local}");
        }
        for remote in [
            "http://erp.example.com:8000/",
            "http://192.168.1.20:8000/",
            "http://localhost.example.com/",
        ] {
            let error = normalize_url(remote, false).unwrap_err();
            assert!(
                matches!(error, ErpError::InsecureAddress { .. }),
                "{remote}: {error:?}"
            );
            assert!(
                error.to_string().contains("--allow-insecure-http"),
                "{error}"
            );
            assert_eq!(normalize_url(remote, true).unwrap(), remote);
        }
    }

    #[test]
    fn a_password_in_the_address_is_refused_and_never_repeated() {
        for url in [
            "https://alice:s3cret-pw@erp.example.com/",
            "http://alice:s3cret-pw@127.0.0.1:8000/",
            "https://s3cret-pw@erp.example.com/",
        ] {
            let error = normalize_url(url, true).unwrap_err();
            assert!(
                matches!(error, ErpError::CredentialsInAddress { .. }),
                "{url}: {error:?}"
            );
            let shown = format!("{error} {error:?}");
            assert!(!shown.contains("s3cret-pw"), "{shown}");
        }
        // Not even when the rest of the address cannot be parsed.
        let error = normalize_url("https://alice:s3cret-pw@erp example.com/", true).unwrap_err();
        assert!(
            !format!("{error} {error:?}").contains("s3cret-pw"),
            "{error:?}"
        );
    }

    #[test]
    fn tryton_errors_become_typed_errors_with_the_erps_words() {
        let rejected = remote_error(&json!([
            "UserError",
            [
                "The party X will exceed their CNY 5000.00 credit limit.",
                "",
                null
            ]
        ]));
        assert_eq!(
            rejected.to_string(),
            "the ERP says: The party X will exceed their CNY 5000.00 credit limit."
        );
        assert!(!rejected.is_transient());
        let warning = remote_error(&json!([
            "UserWarning",
            ["credit_limit_1", "Over the limit.", ""]
        ]));
        assert!(
            matches!(warning, ErpError::Warning { ref name, ref message } if name == "credit_limit_1" && message == "Over the limit.")
        );
        assert!(matches!(
            remote_error(&json!(["ConcurrencyException", "Records were modified"])),
            ErpError::Concurrent
        ));
        assert!(matches!(
            remote_error(&json!(["'NoneType' object", ""])),
            ErpError::Protocol(_)
        ));
    }

    /// A server on loopback that answers every request with `head` and
    /// `body`, then closes.
    fn serve(head: String, body: Vec<u8>) -> String {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for stream in listener.incoming().take(4) {
                let Ok(mut stream) = stream else { return };
                use std::io::{Read, Write};
                let mut request = [0; 4096];
                let _ = stream.read(&mut request);
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&body);
            }
        });
        url
    }

    async fn version_from(url: String, limit: usize) -> Result<Value, ErpError> {
        let rpc = Rpc::new(TrytonConfig {
            max_answer_bytes: limit,
            ..TrytonConfig::new(url, "db", "sales", "pw")
        })
        .unwrap();
        rpc.call_server("common.server.version", json!([])).await
    }

    #[tokio::test]
    async fn answers_over_the_bound_and_gzip_bombs_are_refused() {
        use std::io::Write;
        // 64 MiB of JSON-ish zeros, gzipped to about 64 KiB.
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let chunk = vec![b'0'; 1 << 20];
        for _ in 0..64 {
            gzip.write_all(&chunk).unwrap();
        }
        let bomb = gzip.finish().unwrap();
        assert!(bomb.len() < 1 << 20, "{}", bomb.len());
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            bomb.len()
        );
        let error = version_from(serve(head, bomb), 8 << 20).await.unwrap_err();
        assert!(
            matches!(error, ErpError::AnswerTooLarge { limit_mib: 8, .. }),
            "{error:?}"
        );
        assert!(!error.is_transient());

        // Plain, announced by its length.
        let body = vec![b' '; 3 << 20];
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        let error = version_from(serve(head, body), 1 << 20).await.unwrap_err();
        assert!(
            matches!(error, ErpError::AnswerTooLarge { limit_mib: 1, .. }),
            "{error:?}"
        );

        // Within the bound, the same server's answer is read.
        let body = br#"{"id": 1, "result": "8.2.1"}"#.to_vec();
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        assert_eq!(
            version_from(serve(head, body), 1 << 20).await.unwrap(),
            json!("8.2.1")
        );
    }

    /// A server on loopback that answers its requests in turn with these
    /// statuses and bodies, one per connection; counts the requests.
    fn serve_in_turn(
        answers: Vec<(&'static str, &'static str)>,
    ) -> (String, Arc<std::sync::atomic::AtomicUsize>) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let served = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = Arc::clone(&served);
        std::thread::spawn(move || {
            for (stream, (status, body)) in listener.incoming().zip(answers) {
                let Ok(mut stream) = stream else { return };
                use std::io::{Read, Write};
                let mut request = [0; 4096];
                let _ = stream.read(&mut request);
                count.fetch_add(1, Ordering::SeqCst);
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        (url, served)
    }

    const LOGGED_IN: (&str, &str) = ("200 OK", r#"{"id": 0, "result": [2, "k"]}"#);
    const BUSY: (&str, &str) = (
        "503 SERVICE UNAVAILABLE",
        "could not obtain lock on relation \"sale_sale\"",
    );

    /// Tryton answers 503 when its database could not lock what a request
    /// needs (two pushes at once): the request went back, so it goes
    /// again after a pause, and a few busy answers are not a failure.
    #[tokio::test]
    async fn a_request_tryton_answers_busy_goes_again_until_it_is_served() {
        let (url, served) = serve_in_turn(vec![
            LOGGED_IN,
            BUSY,
            BUSY,
            ("200 OK", r#"{"id": 1, "result": 42}"#),
        ]);
        let rpc = Rpc::new(TrytonConfig::new(url, "db", "sales", "pw")).unwrap();
        assert_eq!(rpc.call("model.x.y", json!([])).await.unwrap(), json!(42));
        assert_eq!(served.load(Ordering::SeqCst), 4);

        // Busy every time: a passing failure after the last try.
        let mut answers = vec![LOGGED_IN];
        answers.extend(std::iter::repeat_n(BUSY, CONTENDED_RETRIES as usize + 1));
        let (url, served) = serve_in_turn(answers);
        let rpc = Rpc::new(TrytonConfig::new(url, "db", "sales", "pw")).unwrap();
        let error = rpc.call("model.x.y", json!([])).await.unwrap_err();
        assert!(
            matches!(error, ErpError::Server { status: 503, .. }),
            "{error:?}"
        );
        assert!(error.is_transient());
        assert_eq!(
            served.load(Ordering::SeqCst),
            CONTENDED_RETRIES as usize + 2
        );
    }

    #[test]
    fn busy_pauses_grow_and_differ() {
        let pauses: Vec<u128> = (1..=CONTENDED_RETRIES)
            .map(|nth| contended_pause(nth, "session").as_millis())
            .collect();
        for (nth, pause) in (1..).zip(&pauses) {
            let base = 100u128 << (nth - 1);
            assert!((base..=base * 3 / 2).contains(pause), "{nth}: {pause}");
        }
    }

    #[test]
    fn html_error_pages_are_reduced_to_their_words() {
        assert_eq!(
            strip_html("<!doctype html>\n<title>500 Internal</title><p>Boom</p>"),
            "500 Internal Boom"
        );
    }
}

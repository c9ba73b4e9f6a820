//! What Fieldbook's Tryton client sends for each kind of outbox entry,
//! pinned. A story is one entry sent on a fresh connection; its fixture
//! (`<story>.json`) holds the entry and the answers a real Tryton gave,
//! recorded by `tests/payloads.rs` (`FIELDBOOK_RECORD_PAYLOADS=1 cargo
//! test -p fieldbook-tests --features e2e --test payloads`). Replayed to
//! the client by a server on loopback, the requests it sends are compared
//! with the snapshot `snapshots/payloads__<story>.snap`; the same snapshot
//! is compared with what the client sends to the real Tryton, so the pin
//! and the ERP cannot drift apart.
//!
//! Shared by `crates/erp/tests/payloads.rs` (hermetic) and
//! `tests/payloads.rs` (against Tryton).

#![allow(dead_code)] // Each of the two tests uses its part.

use fieldbook_core::customers::{CustomerDraft, CustomerEdit};
use fieldbook_core::requests::RequestDraft;
use fieldbook_core::{SaleDraft, SaleRef};
use fieldbook_erp::tryton::Tryton;
use fieldbook_erp::{Erp, ErpError};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// The stories, by name: each kind of entry the client sends.
pub const STORIES: [&str; 5] = [
    "order",
    "quote_to_order",
    "customer_new",
    "customer_edit",
    "request",
];

/// One entry and what a real Tryton answered when it was sent.
#[derive(Debug, Serialize, Deserialize)]
pub struct Fixture {
    pub entry: Entry,
    /// Every call after the login, in order: the method and Tryton's answer.
    pub exchanges: Vec<Exchange>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Entry {
    Order { uuid: String, draft: SaleDraft },
    QuoteToOrder { sale: SaleRef },
    CustomerNew { uuid: String, draft: CustomerDraft },
    CustomerEdit { edit: CustomerEdit },
    Request { uuid: String, draft: RequestDraft },
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Exchange {
    pub method: String,
    pub answer: Value,
}

/// Sends the entry as the outbox's push would.
pub async fn send(erp: &Tryton, entry: &Entry) -> Result<(), ErpError> {
    match entry {
        Entry::Order { uuid, draft } => erp.send_sale(uuid, draft, None).await.map(drop),
        Entry::QuoteToOrder { sale } => erp.confirm_sale(sale, None).await.map(drop),
        Entry::CustomerNew { uuid, draft } => erp.create_customer(uuid, draft).await.map(drop),
        Entry::CustomerEdit { edit } => erp.edit_customer(edit).await.map(drop),
        Entry::Request { uuid, draft } => erp.file_request(uuid, draft, None).await.map(drop),
    }
}

fn fixture_path(story: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(if env!("CARGO_MANIFEST_DIR").ends_with("erp") {
            "tests/payloads"
        } else {
            "../crates/erp/tests/payloads"
        })
        .join(format!("{story}.json"))
}

pub fn read_fixture(story: &str) -> Fixture {
    let path = fixture_path(story);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

pub fn write_fixture(story: &str, fixture: &Fixture) {
    let text = serde_json::to_string_pretty(fixture).unwrap() + "\n";
    std::fs::write(fixture_path(story), text).unwrap();
}

/// The snapshot's settings: the same file from either test.
pub fn snapshots() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(fixture_path("x").parent().unwrap().join("../snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings
}

/// The requests as the snapshot shows them: one line each, the method and
/// its parameters as sent.
pub fn shown(requests: &[(String, Value)]) -> String {
    requests
        .iter()
        .map(|(method, params)| format!("{method} {params}\n"))
        .collect()
}

/// A Tryton on loopback that answers each call with the next recorded
/// answer (the login with a session of its own, so no password is ever
/// recorded) and keeps every request it received.
pub struct Replay {
    pub url: String,
    received: Arc<Mutex<Vec<(String, Value)>>>,
    left: Arc<Mutex<VecDeque<Exchange>>>,
}

impl Replay {
    pub fn start(exchanges: Vec<Exchange>) -> Replay {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let left = Arc::new(Mutex::new(VecDeque::from(exchanges)));
        let (kept, queue) = (Arc::clone(&received), Arc::clone(&left));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let Some(request) = read_request(&mut stream) else {
                    continue;
                };
                let method = request["method"].as_str().unwrap_or_default().to_owned();
                let answer = if method == "common.db.login" {
                    json!({"id": request["id"], "result": [1, "replayed-session"]})
                } else {
                    kept.lock()
                        .unwrap()
                        .push((method.clone(), request["params"].clone()));
                    match queue.lock().unwrap().pop_front() {
                        Some(next) if next.method == method => {
                            json!({"id": request["id"], "result": next.answer})
                        }
                        other => json!({"id": request["id"], "error": [
                            "UserError",
                            [format!("replay: the recording has {:?} here, the client asked {method}",
                                other.map(|next| next.method)), ""]
                        ]}),
                    }
                };
                let body = answer.to_string();
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Replay {
            url,
            received,
            left,
        }
    }

    /// The calls the client made after the login.
    pub fn received(&self) -> Vec<(String, Value)> {
        self.received.lock().unwrap().clone()
    }

    /// Recorded answers no call asked for.
    pub fn unused(&self) -> Vec<String> {
        self.left
            .lock()
            .unwrap()
            .iter()
            .map(|exchange| exchange.method.clone())
            .collect()
    }
}

/// One HTTP request's JSON body.
fn read_request(stream: &mut std::net::TcpStream) -> Option<Value> {
    let mut bytes = Vec::new();
    let mut chunk = [0; 8192];
    let (head_end, length) = loop {
        let read = stream.read(&mut chunk).ok().filter(|read| *read > 0)?;
        bytes.extend_from_slice(&chunk[..read]);
        if let Some(end) = bytes.windows(4).position(|window| window == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&bytes[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .and_then(|value| value.trim().parse::<usize>().ok())?;
            break (end + 4, length);
        }
    };
    while bytes.len() < head_end + length {
        let read = stream.read(&mut chunk).ok().filter(|read| *read > 0)?;
        bytes.extend_from_slice(&chunk[..read]);
    }
    serde_json::from_slice(&bytes[head_end..head_end + length]).ok()
}

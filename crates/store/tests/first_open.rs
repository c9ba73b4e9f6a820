//! The first caches a process opens, opened from many threads at once.
//!
//! SQLite marks itself initialised before it runs SQLCipher's own start-up,
//! so a second thread could key a connection while SQLCipher was not ready
//! yet and get "An error occurred with PRAGMA key or rekey" (seen in CI).
//! This file is its own process and holds a single test, so the opens
//! below really are the process's first.

use fieldbook_store::{CacheKey, Store};
use std::sync::{Arc, Barrier};

#[test]
fn caches_created_from_many_threads_at_start_up_all_open() {
    let dir = tempfile::tempdir().unwrap();
    let threads = 16;
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|n| {
            let barrier = Arc::clone(&barrier);
            let path = dir.path().join(format!("cache-{n}.db"));
            std::thread::spawn(move || {
                let key = CacheKey::new("k").unwrap();
                barrier.wait();
                Store::create(&path, &key).map(drop)
            })
        })
        .collect();
    for (n, handle) in handles.into_iter().enumerate() {
        let result = handle.join().unwrap();
        assert!(result.is_ok(), "cache {n}: {result:?}");
    }
}

//! What the Tryton client sends for each kind of outbox entry, pinned with
//! no Tryton: Tryton's recorded answers replayed on loopback (see
//! `payloads/stories.rs`).

#[path = "payloads/stories.rs"]
mod stories;

use fieldbook_erp::tryton::{Tryton, TrytonConfig};
use stories::{Replay, STORIES, read_fixture, send, shown, snapshots};

#[tokio::test]
async fn each_kind_of_entry_goes_to_tryton_as_pinned() {
    for story in STORIES {
        let fixture = read_fixture(story);
        let replay = Replay::start(fixture.exchanges);
        let config = TrytonConfig::new(replay.url.clone(), "fieldbook", "sales", "not-recorded");
        let erp = Tryton::connect(config)
            .await
            .unwrap_or_else(|error| panic!("{story}: connecting: {error}"));
        send(&erp, &fixture.entry)
            .await
            .unwrap_or_else(|error| panic!("{story}: {error}"));
        assert_eq!(
            replay.unused(),
            Vec::<String>::new(),
            "{story}: answers left over"
        );
        snapshots().bind(|| insta::assert_snapshot!(story, shown(&replay.received())));
    }
}

//! The sync's progress on a terminal: one bar per part (the outbox being
//! sent, each entity fetched, each figure refreshed) with its count and the
//! time left, drawn by `indicatif` on stderr. Where stderr is not a
//! terminal, `output::progress` prints plain lines instead (with
//! `FIELDBOOK_PROGRESS`), as before.

use crate::output::label;
use fieldbook_sync::Progress;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::BTreeMap;

/// The bars of one sync, by part, in the order they started.
pub struct Bars {
    multi: MultiProgress,
    bars: BTreeMap<String, ProgressBar>,
}

impl Bars {
    pub fn new(target: ProgressDrawTarget) -> Bars {
        Bars {
            multi: MultiProgress::with_draw_target(target),
            bars: BTreeMap::new(),
        }
    }

    /// Moves the bar `event` is about, making it the first time.
    pub fn show(&mut self, event: &Progress) {
        match event {
            Progress::Sending { done, total } => {
                self.counted("outbox", "answered", *done, Some(*total))
            }
            Progress::Pulling {
                entity,
                done,
                total,
            } => self.counted(label(*entity), "fetched", *done, *total),
            Progress::Refreshing {
                figure,
                done,
                total,
            } => {
                let name = match figure {
                    fieldbook_store::Figure::Stock => "stock levels",
                    fieldbook_store::Figure::Credit => "credit",
                };
                self.counted(name, "refreshed", *done, Some(*total))
            }
            Progress::Removed { entity, count } => {
                let _ = self.multi.println(format!(
                    "{:<12} {count} removed (deleted in the ERP)",
                    label(*entity)
                ));
            }
        }
    }

    fn counted(&mut self, part: &str, verb: &str, done: u64, total: Option<u64>) {
        let multi = &self.multi;
        let bar = self.bars.entry(part.to_owned()).or_insert_with(|| {
            let bar = match total {
                Some(total) => ProgressBar::new(total).with_style(
                    ProgressStyle::with_template(&format!(
                        "{{prefix:<12}} {{bar:30}} {{human_pos}}/{{human_len}} {verb}  {{eta}} left"
                    ))
                    .expect("a valid template")
                    .progress_chars("█▉▊▋▌▍▎▏ "),
                ),
                // A delta sync does not know how many changed.
                None => ProgressBar::new_spinner().with_style(
                    ProgressStyle::with_template(&format!(
                        "{{prefix:<12}} {{spinner}} {{human_pos}} {verb}"
                    ))
                    .expect("a valid template"),
                ),
            };
            multi.add(bar.with_prefix(part.to_owned()))
        });
        if let Some(total) = total {
            bar.set_length(total);
        }
        bar.set_position(done);
        if total.is_some_and(|total| done >= total) {
            bar.finish();
        }
    }

    /// Leaves every bar drawn as it ended.
    pub fn finish(&self) {
        for bar in self.bars.values() {
            if !bar.is_finished() {
                bar.finish();
            }
        }
    }

    #[cfg(test)]
    fn state(&self, part: &str) -> Option<(u64, Option<u64>, bool)> {
        self.bars
            .get(part)
            .map(|bar| (bar.position(), bar.length(), bar.is_finished()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fieldbook_core::Entity;
    use fieldbook_store::Figure;

    #[test]
    fn each_part_has_its_bar_with_its_count() {
        let mut bars = Bars::new(ProgressDrawTarget::hidden());
        for event in [
            Progress::Sending { done: 0, total: 3 },
            Progress::Sending { done: 2, total: 3 },
            Progress::Pulling {
                entity: Entity::Customers,
                done: 1000,
                total: Some(5000),
            },
            Progress::Pulling {
                entity: Entity::Products,
                done: 12,
                total: None,
            },
            Progress::Refreshing {
                figure: Figure::Stock,
                done: 4,
                total: 4,
            },
            Progress::Removed {
                entity: Entity::Customers,
                count: 2,
            },
        ] {
            bars.show(&event);
        }
        assert_eq!(bars.state("outbox"), Some((2, Some(3), false)));
        assert_eq!(bars.state("customers"), Some((1000, Some(5000), false)));
        // A count without a total: a spinner with the count so far.
        assert_eq!(bars.state("products"), Some((12, None, false)));
        assert_eq!(bars.state("stock levels"), Some((4, Some(4), true)));
        bars.show(&Progress::Sending { done: 3, total: 3 });
        assert_eq!(bars.state("outbox"), Some((3, Some(3), true)));
        bars.finish();
        assert_eq!(bars.state("products"), Some((12, None, true)));
    }
}

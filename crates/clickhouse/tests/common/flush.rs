//! One flush holding every row type and key kind, with projects `p` and
//! `p1` (one a prefix of the other), negative hours and quotes, so key
//! lists, prefix reads and ranges are exercised.

use labelpulse_core::aggregate::{AggKey, AggRow, LabelRow};
use labelpulse_engine::Flush;

#[allow(unused_imports)]
pub use labelpulse_testkit::fixtures::{hour_row, task_state, v};

/// The shared all-kinds flush ([`labelpulse_testkit::fixtures::full_flush`]),
/// plus keys that need escaping in bound SQL, and its archive on partition 3.
pub fn full_flush() -> Flush {
    let mut flush = labelpulse_testkit::fixtures::full_flush();
    flush.aggregates.push((
        AggKey::Label {
            project: "p".into(),
            dimension: "tag\twith 'quotes'".into(),
            label: "o'neil \\ \"x\" ; -- not a comment\n".into(),
        },
        v(
            18,
            AggRow::Label(LabelRow {
                annotations: 1,
                predictions: 0,
            }),
        ),
    ));
    flush
        .tasks
        .push((("p1".into(), "t'2\\?".into()), v(28, task_state("m'q"))));
    for entry in &mut flush.archive {
        entry.0 = 3;
    }
    // Flushes hold their rows in key order (as the engine builds them).
    flush.aggregates.sort_by(|a, b| a.0.cmp(&b.0));
    flush.tasks.sort_by(|a, b| a.0.cmp(&b.0));
    flush
}

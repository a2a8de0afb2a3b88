//! Flush throughput against the real local ClickHouse (started by
//! `deploy/local/services up clickhouse` if needed), in a database of its own.
//!
//! 1. Synthetic flushes of about 48k rows over every table (hour rows with
//!    sketches, agreement, labels, pairs, tasks as postcard blobs, the index,
//!    raw events), the same keys rewritten at rising versions: rows/s of
//!    `Store::write` (encoding included), per table and in total.
//! 2. The batch load the engine does after an eviction: 10,000 member-hour
//!    keys in one `load_aggregates` call: keys/s.
//! 3. End to end: 50,000 simulator events through `Engine::apply_batch` over
//!    the ClickHouse store, a flush every 5,000 events: events/s and the
//!    flushes' rows/s.
//!
//! Run: `cargo bench -p labelpulse-clickhouse --bench flush_throughput`
//! (`FLUSHES=n` changes the number of synthetic flushes, default 5).

#[path = "../tests/common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::flush::{hour_row, task_state, v};
use common::TestDb;
use labelpulse_core::aggregate::{
    ActivityRow, AggKey, AggRow, AgreementRow, LabelRow, PairRow, TotalsRow,
};
use labelpulse_engine::entity::{IndexKind, SessionState};
use labelpulse_engine::{BatchEvent, Engine, EngineSettings, Flush, FlushScope, Store};

/// 2026-01-01T00:00Z in hours since the epoch.
const START: i64 = 491_928;

fn synthetic_flush(version: u64) -> Flush {
    let mut aggregates = Vec::new();
    for p in 0..20 {
        let project = format!("project-{p:03}");
        for h in 0..100 {
            let hour = START + h;
            aggregates.push((
                AggKey::ProjectHour {
                    project: project.clone(),
                    hour,
                },
                v(version, AggRow::Hour(hour_row(h + p))),
            ));
            if h < 25 {
                for m in 0..20 {
                    aggregates.push((
                        AggKey::MemberHour {
                            project: project.clone(),
                            member: format!("member-{m:03}"),
                            hour,
                        },
                        v(version, AggRow::Hour(hour_row(h * m))),
                    ));
                }
            }
            aggregates.push((
                AggKey::AgreementHour {
                    project: project.clone(),
                    scope: labelpulse_core::participant::AgreementScope::DEFAULT,
                    dimension: "sentiment".into(),
                    hour,
                },
                v(
                    version,
                    AggRow::Agreement(AgreementRow {
                        tasks: 5,
                        score_sum: 4_000_000,
                        histogram: [0, 0, 0, 0, 0, 1, 1, 1, 1, 1],
                        low: 1,
                    }),
                ),
            ));
        }
        aggregates.push((
            AggKey::ProjectTotals {
                project: project.clone(),
            },
            v(version, AggRow::Totals(TotalsRow::default())),
        ));
        for m in 0..100 {
            let member = format!("member-{m:03}");
            aggregates.push((
                AggKey::MemberActivity {
                    project: project.clone(),
                    member: member.clone(),
                },
                v(version, AggRow::Activity(ActivityRow { last_active_ms: 1 })),
            ));
            aggregates.push((
                AggKey::Pair {
                    project: project.clone(),
                    dimension: String::new(),
                    a: member,
                    b: "model:v1".into(),
                },
                v(
                    version,
                    AggRow::Pair(PairRow {
                        score_sum: 1,
                        tasks: 1,
                    }),
                ),
            ));
        }
        for l in 0..50 {
            aggregates.push((
                AggKey::Label {
                    project: project.clone(),
                    dimension: "sentiment".into(),
                    label: format!("label-{l}"),
                },
                v(
                    version,
                    AggRow::Label(LabelRow {
                        annotations: 3,
                        predictions: 1,
                    }),
                ),
            ));
        }
    }
    aggregates.sort_by(|a, b| a.0.cmp(&b.0));
    let task = task_state("member-001");
    Flush {
        scope: FlushScope::Full,
        aggregates,
        members: Vec::new(),
        sessions: (0..1_000)
            .map(|i| {
                (
                    (format!("project-{:03}", i % 20), format!("member-{i:04}")),
                    v(
                        version,
                        SessionState {
                            latest_ms: Some(i),
                            open: true,
                        },
                    ),
                )
            })
            .collect(),
        index: (0..5_000)
            .map(|i| {
                (
                    (
                        format!("project-{:03}", i % 20),
                        IndexKind::Annotation,
                        format!("a-{version}-{i}"),
                    ),
                    format!("task-{i}"),
                )
            })
            .collect(),
        tasks: (0..10_000)
            .map(|i| {
                (
                    (format!("project-{:03}", i % 20), format!("task-{i:05}")),
                    v(version, task.clone()),
                )
            })
            .collect(),
        projects: Vec::new(),
        archive: (0..10_000u64)
            .map(|i| (0, version * 10_000 + i, vec![b'x'; 400]))
            .collect(),
        positions: BTreeMap::from([(0, version * 10_000)]),
    }
}

fn rate(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("flush_throughput: bench");
        return;
    }
    let flushes: u64 = std::env::var("FLUSHES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let db = TestDb::new("bench");
    println!("ClickHouse {} at {}", db.ch.version.text, db.ch.config.url);
    let mut store = db.store();

    // 1. Synthetic flushes.
    let mut total_rows = 0;
    let mut total_time = Duration::ZERO;
    for f in 1..=flushes {
        let flush = synthetic_flush(f);
        let start = Instant::now();
        store.write(&flush).expect("flush");
        let took = start.elapsed();
        let rows = store.last_write().rows;
        total_rows += rows;
        total_time += took;
        println!(
            "flush {f}: {rows} rows ({} aggregate) in {:.3} s = {:.0} rows/s, {} inserts",
            flush.aggregates.len(),
            took.as_secs_f64(),
            rate(rows, took),
            store.last_write().inserts
        );
    }
    println!(
        "synthetic: {total_rows} rows in {:.3} s = {:.0} rows/s",
        total_time.as_secs_f64(),
        rate(total_rows, total_time)
    );

    // 2. A batch load after an eviction.
    let keys: Vec<AggKey> = synthetic_flush(1)
        .aggregates
        .into_iter()
        .map(|(k, _)| k)
        .filter(|k| matches!(k, AggKey::MemberHour { .. }))
        .collect();
    for _ in 0..3 {
        let start = Instant::now();
        let found = store.load_aggregates(&keys).expect("load");
        let took = start.elapsed();
        assert_eq!(found.len(), keys.len());
        println!(
            "load_aggregates: {} member-hour keys in {:.3} s = {:.0} keys/s",
            keys.len(),
            took.as_secs_f64(),
            rate(keys.len(), took)
        );
    }
    drop(store);
    drop(db);

    // 3. End to end.
    let db = TestDb::new("bench_engine");
    let events: Vec<Vec<u8>> =
        labelpulse_simulator::Simulator::new(labelpulse_simulator::SimConfig::default())
            .take(50_000)
            .map(|e| e.json.into_bytes())
            .collect();
    let decoded: Vec<_> = events
        .iter()
        .map(|raw| labelpulse_core::decode(raw).expect("valid"))
        .collect();
    let mut engine = Engine::new(db.store(), EngineSettings::default()).expect("engine");
    let start = Instant::now();
    let mut flush_rows = 0;
    let mut flush_time = Duration::ZERO;
    for (chunk, first) in events.chunks(1_000).zip((0..).step_by(1_000)) {
        let batch: Vec<BatchEvent<'_>> = chunk
            .iter()
            .enumerate()
            .map(|(i, raw)| BatchEvent {
                sequence: (first + i) as u64 + 1,
                raw,
                event: &decoded[first + i],
            })
            .collect();
        engine.apply_batch(0, &batch).expect("apply");
        if (first + chunk.len()) % 5_000 == 0 {
            let t = Instant::now();
            flush_rows += engine.flush().expect("flush");
            flush_time += t.elapsed();
        }
    }
    let t = Instant::now();
    flush_rows += engine.flush().expect("flush");
    flush_time += t.elapsed();
    let took = start.elapsed();
    println!(
        "engine: {} events in {:.3} s = {:.0} events/s; {} flushes wrote {flush_rows} rows in {:.3} s = {:.0} rows/s",
        events.len(),
        took.as_secs_f64(),
        rate(events.len(), took),
        engine.counters().flushes,
        flush_time.as_secs_f64(),
        rate(flush_rows, flush_time)
    );
}

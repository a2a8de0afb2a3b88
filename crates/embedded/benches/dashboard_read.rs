//! Dashboard reads over a store holding about 1M events' worth of rows:
//! 20 projects x 90 days x 24 hours of project-hour rows, 5 active members
//! per project-hour (of 12 per project), agreement rows for the overall and
//! one control dimension, with lead-time and review-time sketches filled as
//! ~23 events per project-hour would fill them.
//!
//! Times one project's 90-day `project_hours`, `project_member_hours` and
//! `agreement_hours`, each alone and together, through a blocking
//! `Snapshot` and through the async `ReadStore` (spawn_blocking), plus a
//! breakdown of the member-hour read: redb range scan alone vs postcard
//! decode alone.
//!
//! Run: `cargo bench -p labelpulse-embedded --bench dashboard_read`

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use labelpulse_core::aggregate::{AggKey, AggRow, AgreementRow, HourRow, TotalsRow};
use labelpulse_core::participant::AgreementScope;
use labelpulse_core::read::ReadStore;
use labelpulse_embedded::EmbeddedStore;
use labelpulse_engine::{Flush, Store, Versioned};

const PROJECTS: usize = 20;
const DAYS: i64 = 90;
const HOURS: i64 = DAYS * 24;
const MEMBERS_PER_PROJECT: usize = 12;
const ACTIVE_PER_HOUR: usize = 5;
/// 2026-01-01T00:00Z in hours since the epoch.
const START: i64 = 491_928;

fn hour_row(seed: u64, scale: i64) -> HourRow {
    let mut row = HourRow {
        submitted: 12 * scale,
        skipped: scale,
        updated: 2 * scale,
        regions: 30 * scale,
        lead_time_ms: 95_000 * 12 * scale,
        lead_time_count: 12 * scale,
        accepted: 3 * scale,
        rejected: scale,
        performance_sum: 3_000_000 * scale,
        performance_count: 4 * scale,
        reviews_accepted: 3 * scale,
        reviews_rejected: scale,
        review_time_ms: 40_000 * 4 * scale,
        review_time_count: 4 * scale,
        tasks_done: 4 * scale,
        active_ms: 3_000_000 * scale,
        ..HourRow::default()
    };
    for i in 0..10u64 {
        row.lead_time_sketch
            .add(20_000 + ((seed * 7919 + i * 104_729) % 400_000) as i64, 1);
    }
    for i in 0..4u64 {
        row.review_time_sketch
            .add(10_000 + ((seed * 31 + i * 7_001) % 90_000) as i64, 1);
    }
    row
}

fn build(store: &mut EmbeddedStore) -> usize {
    let mut rows = 0;
    for p in 0..PROJECTS {
        let project = format!("project-{p:02}");
        let mut aggregates = Vec::new();
        let mut version = 0u64;
        let mut next = || {
            version += 1;
            version
        };
        for h in 0..HOURS {
            let hour = START + h;
            let seed = (p as u64) << 32 | h as u64;
            aggregates.push((
                AggKey::ProjectHour {
                    project: project.clone(),
                    hour,
                },
                Versioned {
                    version: next(),
                    value: AggRow::Hour(hour_row(seed, 1)),
                },
            ));
            for k in 0..ACTIVE_PER_HOUR {
                let member = (h as usize * 7 + k) % MEMBERS_PER_PROJECT;
                aggregates.push((
                    AggKey::MemberHour {
                        project: project.clone(),
                        member: format!("member-{p:02}-{member:02}"),
                        hour,
                    },
                    Versioned {
                        version: next(),
                        value: AggRow::Hour(hour_row(seed ^ k as u64, 1)),
                    },
                ));
            }
            for dimension in ["", "sentiment"] {
                aggregates.push((
                    AggKey::AgreementHour {
                        project: project.clone(),
                        scope: labelpulse_core::participant::AgreementScope::DEFAULT,
                        dimension: dimension.into(),
                        hour,
                    },
                    Versioned {
                        version: next(),
                        value: AggRow::Agreement(AgreementRow {
                            tasks: 4,
                            score_sum: 3_100_000,
                            histogram: [0, 0, 0, 0, 0, 1, 0, 1, 1, 1],
                            low: 1,
                        }),
                    },
                ));
            }
        }
        aggregates.push((
            AggKey::ProjectTotals {
                project: project.clone(),
            },
            Versioned {
                version: next(),
                value: AggRow::Totals(TotalsRow {
                    tasks_by_status: [100, 200, 300, 400, 8_000],
                    submitted: 26_000,
                    skipped: 2_000,
                }),
            },
        ));
        aggregates.sort_by(|a, b| a.0.cmp(&b.0));
        rows += aggregates.len();
        store
            .write(&Flush {
                aggregates,
                positions: BTreeMap::from([(0, (p as u64 + 1) * 50_000)]),
                ..Flush::default()
            })
            .unwrap();
    }
    rows
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = EmbeddedStore::open(dir.path()).unwrap();
    let started = Instant::now();
    let rows = build(&mut store);
    let size = std::fs::metadata(store.path())
        .map(|m| m.len())
        .unwrap_or(0);
    eprintln!(
        "built {rows} aggregate rows (member hours stored twice) in {:.1?}, file {:.1} MiB",
        started.elapsed(),
        size as f64 / (1024.0 * 1024.0)
    );
    let project = "project-07";
    let hours = START..START + HOURS;
    let member = "member-07-03";
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();

    {
        let s = store.snapshot().unwrap();
        assert_eq!(
            s.project_hours(project, hours.clone()).unwrap().len(),
            HOURS as usize
        );
        assert_eq!(
            s.project_member_hours(project, hours.clone())
                .unwrap()
                .len(),
            HOURS as usize * ACTIVE_PER_HOUR
        );
        assert_eq!(
            s.agreement_hours(project, "", AgreementScope::DEFAULT, hours.clone())
                .unwrap()
                .len(),
            HOURS as usize
        );
    }

    let mut group = c.benchmark_group("breakdown");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(3));
    group.bench_function("member_scan_only", |b| {
        b.iter(|| {
            let txn = store.database().begin_read().unwrap();
            let t = txn
                .open_table(labelpulse_embedded::tables::MEMBER_HOUR_BY_PROJECT)
                .unwrap();
            let mut n = 0usize;
            for e in t
                .range((project, hours.start, "")..(project, hours.end, ""))
                .unwrap()
            {
                let (k, v) = e.unwrap();
                n += k.value().2.len() + v.value().len();
            }
            black_box(n)
        })
    });
    let bytes: Vec<Vec<u8>> = {
        let txn = store.database().begin_read().unwrap();
        let t = txn
            .open_table(labelpulse_embedded::tables::MEMBER_HOUR_BY_PROJECT)
            .unwrap();
        t.range((project, hours.start, "")..(project, hours.end, ""))
            .unwrap()
            .map(|e| e.unwrap().1.value().to_vec())
            .collect()
    };
    eprintln!(
        "avg value bytes {}",
        bytes.iter().map(|b| b.len()).sum::<usize>() / bytes.len()
    );
    group.bench_function("member_decode_only", |b| {
        b.iter(|| {
            for v in &bytes {
                black_box(labelpulse_embedded::codec::decode::<HourRow>("x", v).unwrap());
            }
        })
    });
    group.finish();
    let mut group = c.benchmark_group("snapshot_90d");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(4));
    group.bench_function("project_hours", |b| {
        b.iter(|| {
            let s = store.snapshot().unwrap();
            black_box(s.project_hours(project, hours.clone()).unwrap())
        })
    });
    group.bench_function("project_member_hours", |b| {
        b.iter(|| {
            let s = store.snapshot().unwrap();
            black_box(s.project_member_hours(project, hours.clone()).unwrap())
        })
    });
    group.bench_function("agreement_hours", |b| {
        b.iter(|| {
            let s = store.snapshot().unwrap();
            black_box(
                s.agreement_hours(project, "", AgreementScope::DEFAULT, hours.clone())
                    .unwrap(),
            )
        })
    });
    group.bench_function("dashboard_all_three", |b| {
        b.iter(|| {
            let s = store.snapshot().unwrap();
            black_box((
                s.project_hours(project, hours.clone()).unwrap(),
                s.project_member_hours(project, hours.clone()).unwrap(),
                s.agreement_hours(project, "", AgreementScope::DEFAULT, hours.clone())
                    .unwrap(),
            ))
        })
    });
    group.bench_function("member_hours", |b| {
        b.iter(|| {
            let s = store.snapshot().unwrap();
            black_box(s.member_hours(member, hours.clone()).unwrap())
        })
    });
    group.finish();

    let mut group = c.benchmark_group("read_store_90d");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(4));
    group.bench_function("project_hours", |b| {
        b.iter(|| {
            runtime.block_on(async {
                black_box(store.project_hours(project, hours.clone()).await.unwrap())
            })
        })
    });
    group.bench_function("dashboard_all_three_sequential", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let a = store.project_hours(project, hours.clone()).await.unwrap();
                let m = store
                    .project_member_hours(project, hours.clone())
                    .await
                    .unwrap();
                let g = store
                    .agreement_hours(project, "", AgreementScope::DEFAULT, hours.clone())
                    .await
                    .unwrap();
                black_box((a, m, g))
            })
        })
    });
    group.bench_function("dashboard_all_three_joined", |b| {
        b.iter(|| {
            runtime.block_on(async {
                black_box(tokio::join!(
                    store.project_hours(project, hours.clone()),
                    store.project_member_hours(project, hours.clone()),
                    store.agreement_hours(project, "", AgreementScope::DEFAULT, hours.clone()),
                ))
            })
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

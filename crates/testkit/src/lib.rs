//! Test support shared by the stores' test suites (embedded, ClickHouse):
//! a seeded event-stream generator with edge cases (deletes, duplicates,
//! settings changes that re-score), a memory-store reference run, the
//! `ReadStore` answers a memory store implies, and a readable diff.
//!
//! Never a dependency of product code: only `[dev-dependencies]` use it.
#![allow(missing_docs)]

pub mod fixtures;

use std::collections::BTreeSet;
use std::ops::Range;

use chrono::{DateTime, Duration, TimeZone, Utc};
use labelpulse_core::aggregate::{AggKey, AggRow, CellKind};
use labelpulse_core::participant::AgreementScope;
use labelpulse_core::read::{CellAddress, ProjectRecord, ReadStore};
use labelpulse_core::time::Hour;
use labelpulse_engine::memory::{MemoryContents, MemoryStore};
use labelpulse_engine::{Engine, EngineSettings};
use rand::{Rng as _, SeedableRng};
use serde_json::{json, Value};

/// A seeded generator (ChaCha8) with the few draws the stream needs.
pub struct Rng(rand_chacha::ChaCha8Rng);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(rand_chacha::ChaCha8Rng::seed_from_u64(seed))
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.0.gen_range(0..n.max(1))
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

const PROJECTS: [&str; 3] = ["p1", "p2", "p3"];
const MEMBERS: [&str; 5] = ["m1", "m2", "m3", "m4", "m5"];
const LABELS: [&str; 3] = ["pos", "neg", "neu"];

struct Annotation {
    project: &'static str,
    id: String,
    task: String,
    member: &'static str,
    lead: f64,
    completed: DateTime<Utc>,
}

/// A stream of `n` valid events: projects with a choices and a rating
/// control, members, tasks, annotations submitted / updated / skipped /
/// deleted, predictions, reviews, heartbeats, settings changes that
/// re-score, duplicates and out-of-order updates.
pub fn stream(seed: u64, n: usize) -> Vec<Vec<u8>> {
    let mut rng = Rng::new(seed);
    let mut now = Utc.with_ymd_and_hms(2026, 1, 5, 8, 0, 0).single().unwrap();
    let mut out: Vec<Vec<u8>> = Vec::with_capacity(n);
    let mut annotations: Vec<Annotation> = Vec::new();
    let mut reviews: Vec<(usize, String)> = Vec::new();
    let mut predictions: Vec<(&'static str, String, String)> = Vec::new();
    let mut counter = 0u64;
    let mut id = |prefix: &str| {
        counter += 1;
        format!("{prefix}{counter}")
    };
    let envelope = |id: String, kind: &str, at: DateTime<Utc>, project: Option<&str>| {
        let mut v =
            json!({"event_id": id, "type": kind, "schema_version": 1, "occurred_at": ts(at)});
        if let Some(p) = project {
            v["project_id"] = json!(p);
            v["workspace_id"] = json!("w1");
        }
        v
    };
    let project_upserted = |rng: &mut Rng, id: String, at, project: &str| {
        let mut v = envelope(id, "project.upserted", at, Some(project));
        v["title"] = json!(format!("Project {project}"));
        v["overlap"] = json!(1 + rng.below(3));
        v["agreement_threshold"] = json!([0.0, 0.5, 0.8][rng.below(3) as usize]);
        v["review_criteria"] = json!(["none", "one", "all"][rng.below(3) as usize]);
        v["controls"] = json!([
            {"name": "sentiment", "kind": "choices", "labels": LABELS},
            {"name": "quality", "kind": "rating", "min": 1, "max": 5, "weight": 0.5}
        ]);
        v
    };
    let result = |rng: &mut Rng| -> Value {
        let mut items = vec![
            json!({"id": format!("r{}", rng.below(1000)), "from_name": "sentiment",
            "to_name": "text", "type": "choices", "value": {"choices": [*rng.pick(&LABELS)]}}),
        ];
        if rng.chance(50) {
            items.push(
                json!({"id": "q", "from_name": "quality", "to_name": "text", "type": "rating",
                "value": {"rating": 1 + rng.below(5)}}),
            );
        }
        Value::Array(items)
    };

    for member in MEMBERS {
        if out.len() >= n {
            break;
        }
        let mut v = envelope(id("e"), "member.upserted", now, None);
        v["member_id"] = json!(member);
        v["name"] = json!(format!("Member {member}"));
        v["role"] = json!(if member == "m5" {
            "reviewer"
        } else {
            "annotator"
        });
        out.push(v.to_string().into_bytes());
    }
    for project in PROJECTS {
        if out.len() >= n {
            break;
        }
        let v = project_upserted(&mut rng, id("e"), now, project);
        out.push(v.to_string().into_bytes());
    }

    while out.len() < n {
        now += Duration::seconds(5 + rng.below(400) as i64);
        let project = *rng.pick(&PROJECTS);
        let member = *rng.pick(&MEMBERS);
        let roll = rng.below(100);
        let v = if roll < 3 {
            project_upserted(&mut rng, id("e"), now, project)
        } else if roll < 8 {
            let mut v = envelope(id("e"), "task.created", now, Some(project));
            v["task_id"] = json!(format!("t{}", rng.below(25)));
            v
        } else if roll < 35 || annotations.is_empty() {
            let kind = if rng.chance(15) {
                "annotation.skipped"
            } else {
                "annotation.submitted"
            };
            let a = Annotation {
                project,
                id: id("a"),
                task: format!("t{}", rng.below(25)),
                member,
                lead: (rng.below(600_000) as f64) / 1000.0,
                completed: now,
            };
            let mut v = envelope(id("e"), kind, now, Some(project));
            v["annotation_id"] = json!(a.id);
            v["task_id"] = json!(a.task);
            v["member_id"] = json!(a.member);
            v["lead_time_seconds"] = json!(a.lead);
            v["completed_at"] = json!(ts(a.completed));
            v["ground_truth"] = json!(rng.chance(5));
            if kind == "annotation.submitted" {
                v["result"] = result(&mut rng);
            }
            annotations.push(a);
            v
        } else if roll < 45 {
            // Update an existing annotation, sometimes with an older time (out of order).
            let index = rng.below(annotations.len() as u64) as usize;
            let back = rng.chance(20);
            let a = &mut annotations[index];
            let completed = if back {
                a.completed - Duration::seconds(30)
            } else {
                now
            };
            if !back {
                a.completed = now;
                a.lead += 12.5;
            }
            let mut v = envelope(id("e"), "annotation.updated", now, Some(a.project));
            v["annotation_id"] = json!(a.id);
            v["task_id"] = json!(a.task);
            v["member_id"] = json!(a.member);
            v["lead_time_seconds"] = json!(a.lead);
            v["completed_at"] = json!(ts(completed));
            v["result"] = result(&mut rng);
            v
        } else if roll < 49 {
            let a = &annotations[rng.below(annotations.len() as u64) as usize];
            let mut v = envelope(id("e"), "annotation.deleted", now, Some(a.project));
            if rng.chance(20) {
                v["annotation_id"] = json!("never-seen");
            } else {
                v["annotation_id"] = json!(a.id);
            }
            if rng.chance(50) {
                v["task_id"] = json!(a.task);
            }
            v
        } else if roll < 53 {
            let task = format!("t{}", rng.below(25));
            let pid = id("pr");
            predictions.push((project, pid.clone(), task.clone()));
            let mut v = envelope(id("e"), "prediction.created", now, Some(project));
            v["prediction_id"] = json!(pid);
            v["task_id"] = json!(task);
            v["model_version"] = json!(format!("v{}", rng.below(2)));
            v["score"] = json!(0.75);
            v["result"] = result(&mut rng);
            v
        } else if roll < 55 && !predictions.is_empty() {
            let (p, pid, _) = rng.pick(&predictions);
            let mut v = envelope(id("e"), "prediction.deleted", now, Some(p));
            v["prediction_id"] = json!(pid);
            v
        } else if roll < 68 {
            // A new review, or a re-submission of an earlier one (same
            // annotation: ids never move between tasks).
            let (index, rid) = if !reviews.is_empty() && rng.chance(20) {
                let (index, rid) = rng.pick(&reviews);
                (*index, rid.clone())
            } else {
                let index = rng.below(annotations.len() as u64) as usize;
                let rid = id("rv");
                reviews.push((index, rid.clone()));
                (index, rid)
            };
            let a = &annotations[index];
            let outcome = *rng.pick(&["accepted", "fixed_and_accepted", "rejected"]);
            let mut v = envelope(id("e"), "review.submitted", now, Some(a.project));
            v["review_id"] = json!(rid);
            v["annotation_id"] = json!(a.id);
            v["task_id"] = json!(a.task);
            v["reviewer_id"] = json!(*rng.pick(&["m5", "m4"]));
            v["outcome"] = json!(outcome);
            v["started_at"] = json!(ts(now - Duration::seconds(rng.below(120) as i64)));
            v["completed_at"] = json!(ts(now));
            if outcome == "fixed_and_accepted" {
                v["fixed_result"] = result(&mut rng);
            }
            v
        } else if roll < 70 && !reviews.is_empty() {
            let (index, rid) = rng.pick(&reviews).clone();
            let mut v = envelope(
                id("e"),
                "review.deleted",
                now,
                Some(annotations[index].project),
            );
            v["review_id"] = json!(rid);
            v
        } else if roll < 72 {
            let mut v = envelope(id("e"), "task.deleted", now, Some(project));
            v["task_id"] = json!(format!("t{}", rng.below(25)));
            v
        } else if roll < 92 {
            let kind = if rng.chance(10) {
                "session.ended"
            } else {
                "session.heartbeat"
            };
            let mut v = envelope(
                id("e"),
                kind,
                now - Duration::seconds(rng.below(90) as i64),
                Some(project),
            );
            v["member_id"] = json!(member);
            if rng.chance(50) {
                v["task_id"] = json!(format!("t{}", rng.below(25)));
            }
            v
        } else {
            // An exact duplicate of an earlier event.
            let earlier = out[rng.below(out.len() as u64) as usize].clone();
            out.push(earlier);
            continue;
        };
        out.push(v.to_string().into_bytes());
    }
    out
}

/// A clean single run over the memory store, one flush per `batch` events.
pub fn memory_run(events: &[Vec<u8>], batch: usize) -> MemoryContents {
    let mut engine = Engine::new(MemoryStore::default(), EngineSettings::default()).unwrap();
    for (index, raw) in events.iter().enumerate() {
        let event = labelpulse_core::decode(raw).unwrap();
        engine.apply(0, index as u64 + 1, raw, &event).unwrap();
        if (index + 1) % batch.max(1) == 0 {
            engine.flush().unwrap();
        }
    }
    engine.flush().unwrap();
    engine.into_store().contents
}

fn in_range(hour: Hour, hours: &Range<Hour>) -> bool {
    hours.contains(&hour)
}

/// Checks every ReadStore method against what the memory contents imply,
/// for every project, member and dimension, over several hour ranges.
pub async fn assert_reads_match<R: ReadStore>(reader: &R, expected: &MemoryContents)
where
    R::Error: std::fmt::Debug,
{
    let c = expected;
    // projects
    let mut ids: BTreeSet<String> = c.projects.keys().cloned().collect();
    for key in c.aggregates.keys() {
        if let AggKey::ProjectTotals { project } = key {
            ids.insert(project.clone());
        }
    }
    let records: Vec<ProjectRecord> = ids
        .iter()
        .map(|id| ProjectRecord {
            id: id.clone(),
            config: c
                .projects
                .get(id)
                .map(|v| v.value.clone())
                .unwrap_or_default(),
            totals: match c.aggregates.get(&AggKey::ProjectTotals {
                project: id.clone(),
            }) {
                Some(v) => match &v.value {
                    AggRow::Totals(t) => t.clone(),
                    other => panic!("totals key with {other:?}"),
                },
                None => Default::default(),
            },
        })
        .collect();
    assert_eq!(reader.projects().await.unwrap(), records);
    for record in &records {
        assert_eq!(
            reader.project(&record.id).await.unwrap().as_ref(),
            Some(record)
        );
    }
    assert_eq!(reader.project("no-such-project").await.unwrap(), None);

    let hours: BTreeSet<Hour> = c
        .aggregates
        .keys()
        .filter_map(|k| match k {
            AggKey::ProjectHour { hour, .. }
            | AggKey::MemberHour { hour, .. }
            | AggKey::AgreementHour { hour, .. } => Some(*hour),
            _ => None,
        })
        .collect();
    let (lo, hi) = match (hours.first(), hours.last()) {
        (Some(lo), Some(hi)) => (*lo, *hi),
        _ => (0, 0),
    };
    let mid = lo + (hi - lo) / 2;
    let ranges = [
        lo..hi + 1,
        lo..hi,
        lo + 1..mid,
        mid..hi + 1,
        mid..mid,
        hi + 1..lo,
        i64::MIN..i64::MAX,
    ];

    let mut members: BTreeSet<String> = c.members.keys().cloned().collect();
    let mut dimensions: BTreeSet<(String, String)> = BTreeSet::new();
    for key in c.aggregates.keys() {
        match key {
            AggKey::MemberHour { member, .. } => {
                members.insert(member.clone());
            }
            AggKey::AgreementHour {
                project, dimension, ..
            }
            | AggKey::Pair {
                project, dimension, ..
            } => {
                dimensions.insert((project.clone(), dimension.clone()));
            }
            _ => {}
        }
    }
    members.insert("no-such-member".into());
    dimensions.insert(("p1".into(), "no-such-dimension".into()));

    for project in ids.iter().map(String::as_str).chain(["no-such-project"]) {
        for range in &ranges {
            let expect: Vec<_> = c
                .aggregates
                .iter()
                .filter_map(|(k, v)| match (k, &v.value) {
                    (AggKey::ProjectHour { project: p, hour }, AggRow::Hour(row))
                        if p == project && in_range(*hour, range) =>
                    {
                        Some((*hour, row.clone()))
                    }
                    _ => None,
                })
                .collect();
            assert_eq!(
                reader.project_hours(project, range.clone()).await.unwrap(),
                expect,
                "{project} {range:?}"
            );

            let mut expect: Vec<_> = c
                .aggregates
                .iter()
                .filter_map(|(k, v)| match (k, &v.value) {
                    (
                        AggKey::MemberHour {
                            project: p,
                            member,
                            hour,
                        },
                        AggRow::Hour(row),
                    ) if p == project && in_range(*hour, range) => {
                        Some((member.clone(), *hour, row.clone()))
                    }
                    _ => None,
                })
                .collect();
            expect.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
            assert_eq!(
                reader
                    .project_member_hours(project, range.clone())
                    .await
                    .unwrap(),
                expect
            );
        }
        let expect: Vec<_> = c
            .aggregates
            .iter()
            .filter_map(|(k, v)| match (k, &v.value) {
                (
                    AggKey::Label {
                        project: p,
                        dimension,
                        label,
                    },
                    AggRow::Label(row),
                ) if p == project => Some((dimension.clone(), label.clone(), row.clone())),
                _ => None,
            })
            .collect();
        assert_eq!(reader.labels(project).await.unwrap(), expect);
        let expect: Vec<_> = c
            .aggregates
            .iter()
            .filter_map(|(k, v)| match (k, &v.value) {
                (AggKey::MemberActivity { project: p, member }, AggRow::Activity(row))
                    if p == project =>
                {
                    Some((member.clone(), row.clone()))
                }
                _ => None,
            })
            .collect();
        assert_eq!(reader.activity(project).await.unwrap(), expect);
    }
    for (project, dimension) in &dimensions {
        for (range, scope) in ranges
            .iter()
            .flat_map(|r| AgreementScope::all().map(move |s| (r, s)))
        {
            let expect: Vec<_> = c
                .aggregates
                .iter()
                .filter_map(|(k, v)| match (k, &v.value) {
                    (
                        AggKey::AgreementHour {
                            project: p,
                            dimension: d,
                            scope: s,
                            hour,
                        },
                        AggRow::Agreement(row),
                    ) if p == project
                        && d == dimension
                        && *s == scope
                        && in_range(*hour, range) =>
                    {
                        Some((*hour, row.clone()))
                    }
                    _ => None,
                })
                .collect();
            assert_eq!(
                reader
                    .agreement_hours(project, dimension, scope, range.clone())
                    .await
                    .unwrap(),
                expect
            );
        }
        let expect: Vec<_> = c
            .aggregates
            .iter()
            .filter_map(|(k, v)| match (k, &v.value) {
                (
                    AggKey::Pair {
                        project: p,
                        dimension: d,
                        a,
                        b,
                    },
                    AggRow::Pair(row),
                ) if p == project && d == dimension => Some((a.clone(), b.clone(), row.clone())),
                _ => None,
            })
            .collect();
        assert_eq!(reader.pairs(project, dimension).await.unwrap(), expect);
        for among in [
            vec![],
            vec!["m1".to_string()],
            vec!["m1".to_string(), "m2".to_string()],
            vec!["model:v1".to_string(), "m1".to_string(), "m3".to_string()],
            vec![
                "m2".to_string(),
                "m3".to_string(),
                "m1".to_string(),
                "nobody".to_string(),
            ],
        ] {
            let subset: Vec<_> = expect
                .iter()
                .filter(|(a, b, _)| among.contains(a) && among.contains(b))
                .cloned()
                .collect();
            assert_eq!(
                reader
                    .pairs_among(project, dimension, &among)
                    .await
                    .unwrap(),
                subset,
                "{project} {dimension} {among:?}"
            );
        }
    }
    for project in ids.iter().map(String::as_str).chain(["no-such-project"]) {
        for scope in AgreementScope::all() {
            let mut expect: Vec<_> = c
                .aggregates
                .iter()
                .filter_map(|(k, v)| match (k, &v.value) {
                    (
                        AggKey::AgreementHour {
                            project: p,
                            dimension,
                            scope: s,
                            hour,
                        },
                        AggRow::Agreement(row),
                    ) if p == project && *s == scope => {
                        Some((dimension.clone(), *hour, row.clone()))
                    }
                    _ => None,
                })
                .collect();
            expect.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
            assert_eq!(reader.agreement_rows(project, scope).await.unwrap(), expect);
        }
        let kind_sets: [&[CellKind]; 4] = [
            &CellKind::ALL,
            &[CellKind::Single, CellKind::Coincidence],
            &[CellKind::Confusion, CellKind::TruthConfusion],
            &[],
        ];
        for (kinds, only) in kind_sets
            .into_iter()
            .flat_map(|k| [None, Some("sentiment"), Some("nope")].map(move |d| (k, d)))
        {
            let mut expect: Vec<_> = c
                .aggregates
                .iter()
                .filter_map(|(k, v)| match (k, &v.value) {
                    (
                        AggKey::Cell {
                            project: p,
                            dimension,
                            kind,
                            m,
                            a,
                            b,
                            c,
                            k,
                        },
                        AggRow::Cell(row),
                    ) if p == project
                        && row.count != 0
                        && kinds.contains(kind)
                        && only.is_none_or(|d| d == dimension) =>
                    {
                        Some((
                            CellAddress {
                                dimension: dimension.clone(),
                                kind: *kind,
                                m: *m,
                                a: a.clone(),
                                b: b.clone(),
                                c: c.clone(),
                                k: k.clone(),
                            },
                            row.count,
                        ))
                    }
                    _ => None,
                })
                .collect();
            expect.sort_by(|x, y| x.0.cmp(&y.0));
            assert_eq!(
                reader.agreement_cells(project, kinds, only).await.unwrap(),
                expect,
                "{project} {kinds:?} {only:?}"
            );
        }
    }
    for member in &members {
        for range in &ranges {
            let mut expect: Vec<_> = c
                .aggregates
                .iter()
                .filter_map(|(k, v)| match (k, &v.value) {
                    (
                        AggKey::MemberHour {
                            project,
                            member: m,
                            hour,
                        },
                        AggRow::Hour(row),
                    ) if m == member && in_range(*hour, range) => {
                        Some((project.clone(), *hour, row.clone()))
                    }
                    _ => None,
                })
                .collect();
            expect.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
            assert_eq!(
                reader.member_hours(member, range.clone()).await.unwrap(),
                expect
            );
        }
        assert_eq!(
            reader.member(member).await.unwrap(),
            c.members.get(member).map(|m| m.value.clone())
        );
    }
    assert!(reader.ready().await);
}

/// `contents` as two runs of one stream must agree on it: aggregate rows
/// without their versions and without all-zero rows. A row's version is the
/// position its last flush ended at, so it depends on where flushes ended,
/// and a change that nets to zero within a batch writes no row
/// (ARCHITECTURE.md, "Why it is exactly once"); its value does not.
pub fn comparable(contents: &MemoryContents) -> MemoryContents {
    let mut out = contents.clone();
    out.aggregates = contents
        .aggregates
        .iter()
        .filter(|(key, row)| row.value != key.empty_row())
        .map(|(key, row)| {
            let value = labelpulse_engine::store::Versioned {
                version: 0,
                value: row.value.clone(),
            };
            (key.clone(), value)
        })
        .collect();
    out
}

/// A short description of where two contents differ (keys only).
pub fn diff(a: &MemoryContents, b: &MemoryContents) -> String {
    fn maps<K: Ord + std::fmt::Debug, V: PartialEq + std::fmt::Debug>(
        name: &str,
        a: &std::collections::BTreeMap<K, V>,
        b: &std::collections::BTreeMap<K, V>,
        out: &mut String,
    ) {
        use std::fmt::Write;
        let mut n = 0;
        for (k, v) in a {
            if b.get(k) != Some(v) && n < 5 {
                n += 1;
                let _ = writeln!(out, "{name}: {k:?}\n  left  {v:?}\n  right {:?}", b.get(k));
            }
        }
        for k in b.keys() {
            if !a.contains_key(k) && n < 5 {
                n += 1;
                let _ = writeln!(out, "{name}: {k:?} only right");
            }
        }
    }
    let mut out = String::new();
    maps("aggregates", &a.aggregates, &b.aggregates, &mut out);
    maps("tasks", &a.tasks, &b.tasks, &mut out);
    maps("sessions", &a.sessions, &b.sessions, &mut out);
    maps("projects", &a.projects, &b.projects, &mut out);
    maps("members", &a.members, &b.members, &mut out);
    maps("index", &a.index, &b.index, &mut out);
    maps("archive", &a.archive, &b.archive, &mut out);
    maps("positions", &a.positions, &b.positions, &mut out);
    out
}

//! Properties of the simulated stream: determinism, order, the event
//! contract's envelope and fields, referential integrity and realism.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use chrono::{DateTime, Duration, Utc};
use labelpulse_simulator::{SimConfig, SimEvent, Simulator};
use serde_json::Value;

const N: usize = 200_000;

/// The default stream, generated once for all tests.
fn stream() -> &'static [SimEvent] {
    static S: OnceLock<Vec<SimEvent>> = OnceLock::new();
    S.get_or_init(|| Simulator::new(SimConfig::default()).take(N).collect())
}

fn parse(e: &SimEvent) -> Value {
    serde_json::from_str(&e.json).unwrap_or_else(|err| panic!("{err}: {}", e.json))
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str()
        .unwrap_or_else(|| panic!("string field {k} missing in {v}"))
}

fn time(v: &Value, k: &str) -> DateTime<Utc> {
    let t = s(v, k);
    assert!(t.ends_with('Z'), "{k} not UTC 'Z': {t}");
    DateTime::parse_from_rfc3339(t)
        .unwrap_or_else(|e| panic!("{k}={t}: {e}"))
        .with_timezone(&Utc)
}

#[test]
fn same_config_same_bytes_and_different_seeds_differ() {
    let a: Vec<SimEvent> = Simulator::new(SimConfig::default()).take(50_000).collect();
    assert_eq!(&a[..], &stream()[..50_000]);
    let b: Vec<SimEvent> = Simulator::new(SimConfig::default()).take(50_000).collect();
    assert_eq!(a, b);
    let other = SimConfig {
        seed: 7,
        ..SimConfig::default()
    };
    let c: Vec<SimEvent> = Simulator::new(other).take(50_000).collect();
    assert_ne!(a, c);
    let differing = a.iter().zip(&c).filter(|(x, y)| x.json != y.json).count();
    assert!(differing > 45_000, "only {differing} events differ");
}

#[test]
fn events_are_in_time_order() {
    let st = stream();
    for w in st.windows(2) {
        assert!(w[0].at <= w[1].at, "{} after {}", w[0].json, w[1].json);
    }
    let span = st[N - 1].at - st[0].at;
    assert!(span > Duration::days(1), "200k events span only {span}");
}

#[test]
fn every_event_has_the_envelope() {
    let mut ids = BTreeSet::new();
    for e in stream() {
        assert!(!e.json.contains('\n'));
        let v = parse(e);
        let ty = s(&v, "type");
        assert!(
            ids.insert(s(&v, "event_id").to_string()),
            "duplicate event_id"
        );
        assert_eq!(v["schema_version"], 1);
        assert_eq!(time(&v, "occurred_at"), e.at);
        assert_eq!(s(&v, "org_id"), "org-1");
        assert_eq!(s(&v, "source"), "simulator");
        if ty == "member.upserted" {
            assert!(v.get("project_id").is_none());
            assert_eq!(e.key, s(&v, "member_id"));
        } else {
            assert_eq!(e.key, s(&v, "project_id"));
            assert!(s(&v, "workspace_id").starts_with("ws-"));
        }
    }
    // UUID-shaped ids.
    let id = ids.iter().next().expect("ids");
    let parts: Vec<usize> = id.split('-').map(str::len).collect();
    assert_eq!(parts, [8, 4, 4, 4, 12], "{id}");
    assert_eq!(&id[14..15], "4");
}

#[test]
fn mix_contains_every_event_type_and_shape() {
    let mut types: BTreeMap<String, usize> = BTreeMap::new();
    let mut outcomes = BTreeSet::new();
    let mut result_types = BTreeSet::new();
    let mut control_kinds = BTreeSet::new();
    let (mut multi_control, mut gt, mut deleted_without_task, mut lagged) = (false, 0, 0, 0);
    let mut model_versions = BTreeSet::new();
    for e in &stream()[..100_000] {
        let v = parse(e);
        let ty = s(&v, "type").to_string();
        match ty.as_str() {
            "project.upserted" => {
                assert!(v["overlap"].as_u64().expect("overlap") >= 1);
                let th = v["agreement_threshold"].as_f64().expect("threshold");
                assert!((0.0..=1.0).contains(&th));
                assert!(["none", "one", "all"].contains(&s(&v, "review_criteria")));
                for c in v["controls"].as_array().expect("controls") {
                    control_kinds.insert(s(c, "kind").to_string());
                    assert!(c["labels"].is_array() && c["weight"].is_number());
                    multi_control |= c["multiple"] == true;
                    if c["kind"] == "rating" {
                        assert_eq!((c["min"].as_i64(), c["max"].as_i64()), (Some(1), Some(5)));
                    }
                }
            }
            "annotation.submitted" | "annotation.updated" | "annotation.skipped" => {
                assert!(v["lead_time_seconds"].as_f64().expect("lead") >= 0.0);
                let cancelled = v["was_cancelled"].as_bool().expect("was_cancelled");
                assert_eq!(cancelled, ty == "annotation.skipped");
                if v["ground_truth"].as_bool().expect("ground_truth") {
                    gt += 1;
                }
                let completed = time(&v, "completed_at");
                assert!(completed <= e.at);
                if completed < e.at {
                    lagged += 1;
                }
                let result = v["result"].as_array().expect("result");
                assert_eq!(result.is_empty(), cancelled);
                for r in result {
                    for k in ["id", "from_name", "to_name", "type"] {
                        s(r, k);
                    }
                    let rt = s(r, "type");
                    assert!(r["value"][rt].is_array() || r["value"][rt].is_number());
                    result_types.insert(rt.to_string());
                }
            }
            "review.submitted" => {
                let o = s(&v, "outcome").to_string();
                assert!(time(&v, "started_at") < time(&v, "completed_at"));
                assert_eq!(v.get("fixed_result").is_some(), o == "fixed_and_accepted");
                outcomes.insert(o);
            }
            "annotation.deleted" if v.get("task_id").is_none() => deleted_without_task += 1,
            "prediction.created" => {
                model_versions.insert(s(&v, "model_version").to_string());
                let score = v["score"].as_f64().expect("score");
                assert!((0.0..=1.0).contains(&score));
                assert!(!v["result"].as_array().expect("result").is_empty());
            }
            _ => {}
        }
        *types.entry(ty).or_default() += 1;
    }
    for ty in [
        "member.upserted",
        "project.upserted",
        "task.created",
        "task.deleted",
        "annotation.submitted",
        "annotation.updated",
        "annotation.skipped",
        "annotation.deleted",
        "prediction.created",
        "prediction.deleted",
        "review.submitted",
        "review.deleted",
        "session.heartbeat",
        "session.ended",
    ] {
        assert!(
            types.get(ty).copied().unwrap_or(0) > 0,
            "no {ty} in {types:?}"
        );
    }
    assert!(!types.contains_key("task.state_changed"));
    let want: BTreeSet<String> = ["accepted", "fixed_and_accepted", "rejected"]
        .map(String::from)
        .into();
    assert_eq!(outcomes, want);
    for t in ["choices", "rating", "rectanglelabels"] {
        assert!(result_types.contains(t) && control_kinds.contains(t), "{t}");
    }
    assert!(multi_control);
    assert!(gt > 0 && deleted_without_task > 0 && lagged > 0);
    assert!(model_versions.len() >= 2, "{model_versions:?}");
}

#[test]
fn references_are_consistent() {
    let mut members: BTreeMap<String, String> = BTreeMap::new();
    let mut tasks = BTreeSet::new();
    // annotation id -> (task, member, lead, completed)
    let mut anns: BTreeMap<String, (String, String, f64, DateTime<Utc>)> = BTreeMap::new();
    let mut annotated: BTreeSet<(String, String)> = BTreeSet::new();
    let mut reviews = BTreeSet::new();
    let mut predictions = BTreeSet::new();
    let (mut updates, mut rereviewed) = (0, 0);
    let mut reviewed: BTreeMap<String, usize> = BTreeMap::new();
    for e in stream() {
        let v = parse(e);
        match s(&v, "type") {
            "member.upserted" => {
                members.insert(s(&v, "member_id").into(), s(&v, "role").into());
            }
            "task.created" => {
                tasks.insert(s(&v, "task_id").to_string());
            }
            ty @ ("annotation.submitted" | "annotation.skipped") => {
                let (a, t, m) = (s(&v, "annotation_id"), s(&v, "task_id"), s(&v, "member_id"));
                let role = members
                    .get(m)
                    .unwrap_or_else(|| panic!("unknown member {m}"));
                if v["ground_truth"] == true {
                    assert_eq!(role, "manager");
                } else {
                    assert_eq!(role, "annotator", "{ty} by {role}");
                }
                assert!(tasks.contains(t), "annotation of unknown task {t}");
                assert!(
                    annotated.insert((t.into(), m.into())),
                    "{m} annotated {t} twice"
                );
                let lead = v["lead_time_seconds"].as_f64().expect("lead");
                let prev = anns.insert(
                    a.into(),
                    (t.into(), m.into(), lead, time(&v, "completed_at")),
                );
                assert!(prev.is_none(), "annotation id {a} reused");
            }
            "annotation.updated" => {
                updates += 1;
                let a = s(&v, "annotation_id");
                let (t, m, lead, completed) =
                    anns.get_mut(a).expect("update of unknown annotation");
                assert_eq!(t, s(&v, "task_id"));
                assert_eq!(m, s(&v, "member_id"));
                let new_lead = v["lead_time_seconds"].as_f64().expect("lead");
                let new_completed = time(&v, "completed_at");
                assert!(new_lead > *lead, "lead time not cumulative");
                assert!(new_completed > *completed, "update not later");
                (*lead, *completed) = (new_lead, new_completed);
            }
            "annotation.deleted" => {
                let a = s(&v, "annotation_id");
                let (t, _, _, _) = anns.get(a).expect("delete of unknown annotation");
                if let Some(task) = v.get("task_id") {
                    assert_eq!(task.as_str(), Some(t.as_str()));
                }
            }
            "review.submitted" => {
                let a = s(&v, "annotation_id");
                let (t, _, _, completed) = anns.get(a).expect("review of unknown annotation");
                assert_eq!(t, s(&v, "task_id"));
                assert!(*completed <= e.at);
                let r = s(&v, "reviewer_id");
                assert_eq!(members.get(r).map(String::as_str), Some("reviewer"));
                assert!(reviews.insert(s(&v, "review_id").to_string()));
                let n = reviewed.entry(a.to_string()).or_default();
                *n += 1;
                if *n == 2 {
                    rereviewed += 1;
                }
            }
            "review.deleted" => {
                assert!(reviews.contains(s(&v, "review_id")));
            }
            "prediction.created" => {
                assert!(tasks.contains(s(&v, "task_id")));
                predictions.insert(s(&v, "prediction_id").to_string());
            }
            "prediction.deleted" => {
                assert!(predictions.contains(s(&v, "prediction_id")));
            }
            "task.deleted" => {
                assert!(tasks.contains(s(&v, "task_id")));
            }
            "session.heartbeat" | "session.ended" => {
                assert!(members.contains_key(s(&v, "member_id")));
            }
            _ => {}
        }
    }
    assert!(updates > 0 && rereviewed > 0);
    let roles: BTreeSet<&str> = members.values().map(String::as_str).collect();
    assert_eq!(roles, BTreeSet::from(["annotator", "manager", "reviewer"]));
}

#[test]
fn annotators_differ_in_skip_rate_and_speed() {
    let mut per: BTreeMap<String, (u32, u32, Vec<f64>)> = BTreeMap::new();
    for e in stream() {
        if !e.json.contains("\"type\":\"annotation.s") {
            continue;
        }
        let v = parse(e);
        if v["ground_truth"] == true {
            continue;
        }
        let entry = per.entry(s(&v, "member_id").to_string()).or_default();
        entry.0 += 1;
        if v["was_cancelled"] == true {
            entry.1 += 1;
        } else {
            entry.2.push(v["lead_time_seconds"].as_f64().expect("lead"));
        }
    }
    let mut rates = Vec::new();
    let mut medians = Vec::new();
    for (n, skipped, mut leads) in per.into_values().filter(|p| p.0 >= 200) {
        rates.push(skipped as f64 / n as f64);
        leads.sort_by(f64::total_cmp);
        medians.push(leads[leads.len() / 2]);
        assert!(leads[0] >= 0.99, "lead time below 1 s");
    }
    assert!(rates.len() >= 10);
    let (lo, hi) = rates
        .iter()
        .fold((1.0f64, 0.0f64), |(l, h), &r| (l.min(r), h.max(r)));
    assert!(hi - lo > 0.05, "skip rates too similar: {rates:?}");
    let (lo, hi) = medians
        .iter()
        .fold((1e9f64, 0.0f64), |(l, h), &r| (l.min(r), h.max(r)));
    assert!(hi / lo > 2.0, "speeds too similar: {medians:?}");
}

#[test]
fn annotators_differ_in_acceptance() {
    let mut author: BTreeMap<String, String> = BTreeMap::new();
    // member -> (reviews, accepted without fix)
    let mut per: BTreeMap<String, (u32, u32)> = BTreeMap::new();
    for e in stream() {
        let sub = e.json.contains("\"type\":\"annotation.submitted\"");
        if !sub && !e.json.contains("\"type\":\"review.submitted\"") {
            continue;
        }
        let v = parse(e);
        if sub {
            author.insert(s(&v, "annotation_id").into(), s(&v, "member_id").into());
        } else {
            let m = author[s(&v, "annotation_id")].clone();
            let entry = per.entry(m).or_default();
            entry.0 += 1;
            if v["outcome"] == "accepted" {
                entry.1 += 1;
            }
        }
    }
    let rates: Vec<f64> = per
        .values()
        .filter(|(n, _)| *n >= 100)
        .map(|&(n, a)| a as f64 / n as f64)
        .collect();
    assert!(rates.len() >= 8, "{per:?}");
    let (lo, hi) = rates
        .iter()
        .fold((1.0f64, 0.0f64), |(l, h), &r| (l.min(r), h.max(r)));
    assert!(hi - lo > 0.1, "acceptance too similar: {rates:?}");
}

#[test]
fn heartbeats_follow_the_interval_with_idle_gaps() {
    let mut last: BTreeMap<String, DateTime<Utc>> = BTreeMap::new();
    let (mut exact, mut idle, mut total) = (0, 0, 0);
    for e in stream() {
        let ended = e.json.contains("\"type\":\"session.ended\"");
        if !ended && !e.json.contains("\"type\":\"session.heartbeat\"") {
            continue;
        }
        let v = parse(e);
        let m = s(&v, "member_id").to_string();
        if ended {
            last.remove(&m);
            continue;
        }
        if let Some(prev) = last.insert(m, e.at) {
            let gap = (e.at - prev).num_milliseconds();
            total += 1;
            assert!(gap >= 15_000, "heartbeat gap {gap} ms");
            if gap == 15_000 {
                exact += 1;
            }
            if gap > 60_000 {
                idle += 1;
            }
        }
    }
    assert!(exact as f64 > 0.95 * total as f64);
    assert!(idle > 100, "{idle} idle gaps");
}

#[test]
fn activity_every_day_and_most_hours() {
    let mut hours = BTreeSet::new();
    let mut days = BTreeSet::new();
    for e in stream() {
        if e.json.contains("\"type\":\"annotation.submitted\"") {
            hours.insert(e.at.format("%H").to_string());
            days.insert(e.at.date_naive());
        }
    }
    assert_eq!(hours.len(), 24, "{hours:?}");
    let first = stream()[0].at.date_naive();
    let last = stream()[N - 1].at.date_naive();
    assert_eq!(days.len() as i64, (last - first).num_days() + 1);
}

#[test]
fn intensity_scales_annotation_rate() {
    let rate = |intensity: f64| {
        let cfg = SimConfig {
            intensity,
            ..SimConfig::default()
        };
        let start = cfg.start;
        let mut sim = Simulator::new(cfg);
        let evs = sim.take_until(start + Duration::days(7));
        let n = evs
            .iter()
            .filter(|e| {
                ["submitted", "skipped", "updated"]
                    .iter()
                    .any(|t| e.json.contains(&format!("\"type\":\"annotation.{t}\"")))
                    && !e.json.contains("\"ground_truth\":true")
            })
            .count();
        n as f64 / (7.0 * 86_400.0)
    };
    let low = rate(0.05);
    let high = rate(0.2);
    assert!((0.04..0.065).contains(&low), "{low}");
    assert!((0.16..0.26).contains(&high), "{high}");
}

#[test]
fn take_until_partitions_the_stream() {
    let cfg = SimConfig::default();
    let start = cfg.start;
    let mut sim = Simulator::new(cfg.clone());
    let mut parts = Vec::new();
    for h in 1..=6 {
        let cut = start + Duration::hours(h);
        let part = sim.take_until(cut);
        assert!(part.iter().all(|e| e.at < cut));
        parts.extend(part);
    }
    assert!(sim.peek_at().expect("infinite") >= start + Duration::hours(6));
    let direct: Vec<SimEvent> = Simulator::new(cfg).take(parts.len()).collect();
    assert_eq!(parts, direct);
}

#[test]
fn task_states_are_emitted_on_request_and_chain() {
    let cfg = SimConfig {
        emit_task_states: true,
        ..SimConfig::default()
    };
    let mut states: BTreeMap<String, String> = BTreeMap::new();
    let mut seen = BTreeSet::new();
    for e in Simulator::new(cfg).take(60_000) {
        if !e.json.contains("\"type\":\"task.state_changed\"") {
            continue;
        }
        let v = parse(&e);
        let t = s(&v, "task_id").to_string();
        let (from, to) = (s(&v, "from"), s(&v, "to"));
        let prev = states.get(&t).map_or("initial", String::as_str);
        assert_eq!(from, prev, "task {t}");
        assert_ne!(from, to);
        seen.insert(to.to_string());
        states.insert(t, to.to_string());
    }
    for st in ["annotating", "needs_review", "in_review", "done"] {
        assert!(seen.contains(st), "{st} never reached: {seen:?}");
    }
}

#[test]
fn degenerate_configs_still_stream() {
    let cfg = SimConfig {
        workspaces: 0,
        projects_per_workspace: 0,
        annotators: 0,
        reviewers: 0,
        tasks_per_project: 0,
        intensity: f64::NAN,
        heartbeat_interval_seconds: 0,
        ..SimConfig::default()
    };
    let evs: Vec<SimEvent> = Simulator::new(cfg).take(2_000).collect();
    assert_eq!(evs.len(), 2_000);
    assert!(evs.iter().any(|e| e.json.contains("annotation.submitted")));
    let busy = SimConfig {
        intensity: 50.0,
        annotators: 5,
        ..SimConfig::default()
    };
    let evs: Vec<SimEvent> = Simulator::new(busy).take(20_000).collect();
    assert!(evs.windows(2).all(|w| w[0].at <= w[1].at));
}

#[test]
fn config_round_trips_through_serde() {
    let cfg = SimConfig::default();
    let text = serde_json::to_string(&cfg).expect("serialize");
    let back: SimConfig = serde_json::from_str(&text).expect("deserialize");
    assert_eq!(back, cfg);
    let partial: SimConfig = serde_json::from_str(r#"{"seed": 9}"#).expect("defaults");
    assert_eq!(partial.seed, 9);
    assert_eq!(partial.annotators, cfg.annotators);
}

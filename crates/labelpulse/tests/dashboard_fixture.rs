//! Hand-computed fixture: a small scenario whose every dashboard number is
//! worked out on paper below, sent through the real HTTP ingest into the
//! embedded store and read back through the real query service.
//!
//! Project p1 (overlap 2, threshold 0.6, review criteria "one"), controls
//! `sentiment` (choices) and `stars` (rating 1..5), all on 2026-03-02 UTC:
//!
//! | t  | event                                                           |
//! |----|-----------------------------------------------------------------|
//! | 09:00:00..09:05:50 | alice heartbeats 09:00:00, :00:30, :01:00, :05:00, :05:20, ended :05:50 |
//! | 09:10 | t1 alice a1: positive, 4 stars, lead 30 s                      |
//! | 09:20 | t1 bob b1: positive, 2 stars, lead 50 s                        |
//! | 10:05 | t2 alice a2: negative, 5, lead 40 s                            |
//! | 10:15 | t2 bob b2: positive, 5, lead 70 s                              |
//! | 10:30 | t2 carol c2: negative, 3, lead 20 s                            |
//! | 11:00 | t3 carol skips s3 (lead 5 s, excluded)                         |
//! | 12:00 | t1 alice updates a1: positive, 4, cumulative lead 45 s         |
//! | 13:00-13:01 | rita accepts a1 (60 s)                                   |
//! | 13:10-13:10:30 | rita rejects b2 (30 s)                                |
//! | 13:20-13:22 | rita fixes b2 to negative, 5 and accepts (120 s)         |
//! | 13:30-13:30:40 | rita accepts c2 (40 s)                                |
//! | 14:00 | t4 prediction (model v1): neutral                              |
//!
//! Worked out:
//! - Tasks: t1 has 2 counted annotations and an accepted review -> done at
//!   max(12:00, 13:01) = 13:01. t2: 3 counted (b2's latest review is the fix),
//!   accepting reviews -> done at 13:30:40. t3: only a skip -> annotating.
//!   t4: prediction only -> initial. total 4, done 2, annotated 2, remaining 2,
//!   pending review 0.
//! - Annotations: submitted a1 b1 a2 b2 c2 = 5, skipped 1, updated 1 (a1),
//!   regions 5 x 2 = 10.
//! - Reviews (latest per annotation): a1 accepted, b2 fixed, c2 accepted ->
//!   accepted 2, fixed 1, rejected 0, reviewed 3, acceptance 1.0.
//! - Lead time: 45 + 50 + 40 + 70 + 20 = 225 s, mean 45; sorted
//!   [20, 40, 45, 50, 70]: median (rank 2) 45, p90 (rank 3) 50.
//! - Review time: 60 + 30 + 120 + 40 = 250 s, mean 62.5; sorted
//!   [30, 40, 60, 120]: median (rank 1) 40.
//! - Time per task: (225 + 250) / 2 done = 237.5 s.
//! - Agreement, per pair = mean of sentiment (exact) and stars
//!   (1 - |a-b|/4): t1 alice-bob: (1 + 0.5)/2 = 0.75. t2: alice-bob
//!   (0 + 1)/2 = 0.5, alice-carol (1 + 0.5)/2 = 0.75, bob-carol
//!   (0 + 0.5)/2 = 0.25, task 0.5. Project mean (0.75 + 0.5)/2 = 0.625,
//!   histogram bucket 7 and 5, one task below 0.6.
//! - Members: alice 2 submitted, 1 updated, accepted 1, performance 1 (one
//!   accept), lead 85 (mean 42.5), agreement (0.75 + 0.5 + 0.75)/3 = 2/3,
//!   active time 30+30+20+30 = 110 s (the 240 s gap is idle).
//!   bob 2 submitted, fixed 1, acceptance 1.0, performance (reject 0 + fix
//!   0.5)/2 = 0.25 (the fix changed sentiment, kept stars), lead 120 (mean 60),
//!   agreement (0.75 + 0.5 + 0.25)/3 = 0.5. carol 1 submitted, 1 skipped,
//!   accepted 1, lead 20, agreement (0.75 + 0.25)/2 = 0.5. rita 4 reviews
//!   performed, 250 s, mean 62.5, median 40; reviewer outcomes: accepted 2,
//!   fixed 1, rejected 1.
//! - Matrix: alice-bob 0.625 over 2 tasks, alice-carol 0.75 over 1,
//!   bob-carol 0.25 over 1. Totals: performance (1 + 0 + 0.5 + 1)/4 = 0.625,
//!   pair agreement (1.25 + 0.75 + 0.25)/4 = 0.5625.
//! - Labels: sentiment positive 3 (a1 b1 b2), negative 2 (a2 c2); neutral
//!   1 prediction.

use std::sync::Arc;

use labelpulse_api::app::{app, AppState};
use labelpulse_embedded::node::EmbeddedNode;
use serde_json::Value;

fn envelope(n: usize, kind: &str, at: &str) -> String {
    format!(
        r#""event_id":"f{n}","type":"{kind}","schema_version":1,"occurred_at":"{at}","project_id":"p1","workspace_id":"w1""#
    )
}

fn result(sentiment: &str, stars: u8) -> String {
    format!(
        r#"[{{"id":"r1","from_name":"sentiment","to_name":"text","type":"choices","value":{{"choices":["{sentiment}"]}}}},{{"id":"r2","from_name":"stars","to_name":"text","type":"rating","value":{{"rating":{stars}}}}}]"#
    )
}

fn scenario() -> Vec<String> {
    let day = |time: &str| format!("2026-03-02T{time}Z");
    let mut events = Vec::new();
    let mut n = 0;
    let mut next = || {
        n += 1;
        n
    };
    events.push(format!(
        r#"{{{},"title":"Fixture","overlap":2,"agreement_threshold":0.6,"review_criteria":"one","controls":[{{"name":"sentiment","kind":"choices","labels":["positive","negative","neutral"]}},{{"name":"stars","kind":"rating","min":1,"max":5}}]}}"#,
        envelope(next(), "project.upserted", &day("08:00:00"))
    ));
    for (member, name, role) in [
        ("alice", "Alice", "annotator"),
        ("bob", "Bob", "annotator"),
        ("carol", "Carol", "annotator"),
        ("rita", "Rita", "reviewer"),
    ] {
        events.push(format!(
            r#"{{"event_id":"m-{member}","type":"member.upserted","schema_version":1,"occurred_at":"{}","member_id":"{member}","name":"{name}","role":"{role}"}}"#,
            day("08:00:00")
        ));
    }
    for task in ["t1", "t2", "t3", "t4"] {
        events.push(format!(
            r#"{{{},"task_id":"{task}"}}"#,
            envelope(next(), "task.created", &day("08:30:00"))
        ));
    }
    for time in ["09:00:00", "09:00:30", "09:01:00", "09:05:00", "09:05:20"] {
        events.push(format!(
            r#"{{{},"member_id":"alice"}}"#,
            envelope(next(), "session.heartbeat", &day(time))
        ));
    }
    events.push(format!(
        r#"{{{},"member_id":"alice"}}"#,
        envelope(next(), "session.ended", &day("09:05:50"))
    ));
    let annotations = [
        (
            "annotation.submitted",
            "a1",
            "t1",
            "alice",
            "positive",
            4,
            30,
            "09:10:00",
        ),
        (
            "annotation.submitted",
            "b1",
            "t1",
            "bob",
            "positive",
            2,
            50,
            "09:20:00",
        ),
        (
            "annotation.submitted",
            "a2",
            "t2",
            "alice",
            "negative",
            5,
            40,
            "10:05:00",
        ),
        (
            "annotation.submitted",
            "b2",
            "t2",
            "bob",
            "positive",
            5,
            70,
            "10:15:00",
        ),
        (
            "annotation.submitted",
            "c2",
            "t2",
            "carol",
            "negative",
            3,
            20,
            "10:30:00",
        ),
    ];
    for (kind, id, task, member, sentiment, stars, lead, time) in annotations {
        events.push(format!(
            r#"{{{},"annotation_id":"{id}","task_id":"{task}","member_id":"{member}","lead_time_seconds":{lead},"completed_at":"{}","result":{}}}"#,
            envelope(next(), kind, &day(time)),
            day(time),
            result(sentiment, stars)
        ));
    }
    events.push(format!(
        r#"{{{},"annotation_id":"s3","task_id":"t3","member_id":"carol","lead_time_seconds":5,"was_cancelled":true,"completed_at":"{}"}}"#,
        envelope(next(), "annotation.skipped", &day("11:00:00")),
        day("11:00:00")
    ));
    events.push(format!(
        r#"{{{},"annotation_id":"a1","task_id":"t1","member_id":"alice","lead_time_seconds":45,"completed_at":"{}","result":{}}}"#,
        envelope(next(), "annotation.updated", &day("12:00:00")),
        day("12:00:00"),
        result("positive", 4)
    ));
    let reviews = [
        ("rv1", "a1", "t1", "accepted", "13:00:00", "13:01:00", None),
        ("rv2", "b2", "t2", "rejected", "13:10:00", "13:10:30", None),
        (
            "rv3",
            "b2",
            "t2",
            "fixed_and_accepted",
            "13:20:00",
            "13:22:00",
            Some(result("negative", 5)),
        ),
        ("rv4", "c2", "t2", "accepted", "13:30:00", "13:30:40", None),
    ];
    for (id, annotation, task, outcome, started, completed, fixed) in reviews {
        let fixed = fixed
            .map(|r| format!(r#","fixed_result":{r}"#))
            .unwrap_or_default();
        events.push(format!(
            r#"{{{},"review_id":"{id}","annotation_id":"{annotation}","task_id":"{task}","reviewer_id":"rita","outcome":"{outcome}","started_at":"{}","completed_at":"{}"{fixed}}}"#,
            envelope(next(), "review.submitted", &day(completed)),
            day(started),
            day(completed)
        ));
    }
    events.push(format!(
        r#"{{{},"prediction_id":"pr1","task_id":"t4","model_version":"v1","result":[{{"from_name":"sentiment","to_name":"text","type":"choices","value":{{"choices":["neutral"]}}}}]}}"#,
        envelope(next(), "prediction.created", &day("14:00:00"))
    ));
    events
}

struct Server {
    base: String,
    client: reqwest::Client,
    _dir: tempfile::TempDir,
}

async fn start() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let (node, reader) =
        EmbeddedNode::open(dir.path(), labelpulse_engine::EngineSettings::default()).unwrap();
    let router = app(AppState::new(Arc::new(reader), Arc::new(node)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    Server {
        base,
        client: reqwest::Client::new(),
        _dir: dir,
    }
}

impl Server {
    async fn post(&self, lines: &[String]) -> Value {
        let response = self
            .client
            .post(format!("{}/api/v1/events", self.base))
            .header("content-type", "application/x-ndjson")
            .body(lines.join("\n"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    async fn get(&self, path: &str) -> Value {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        response.json().await.unwrap()
    }
}

/// Within the sketch's 1% relative error.
fn near(value: &Value, expected: f64) -> bool {
    value
        .as_f64()
        .is_some_and(|v| (v - expected).abs() <= expected.abs() * 0.01 + 1e-9)
}

fn exact(value: &Value, expected: f64) -> bool {
    value.as_f64().is_some_and(|v| (v - expected).abs() < 1e-9)
}

#[tokio::test]
async fn every_dashboard_number_matches_the_hand_computation() {
    let server = start().await;
    let accepted = server.post(&scenario()).await;
    assert_eq!(accepted["accepted"], 27);

    let d = server
        .get("/api/v1/projects/p1/dashboard?from=2026-03-02&to=2026-03-02&tz=UTC")
        .await;
    assert_eq!(
        d["tasks"],
        serde_json::json!({"total": 4, "annotated": 2, "done": 2, "remaining": 2, "pending_review": 0})
    );
    assert_eq!(
        d["annotations"],
        serde_json::json!({"submitted": 5, "skipped": 1, "updated": 1, "regions": 10})
    );
    assert_eq!(d["reviews"]["accepted"], 2);
    assert_eq!(d["reviews"]["fixed_and_accepted"], 1);
    assert_eq!(d["reviews"]["rejected"], 0);
    assert_eq!(d["reviews"]["reviewed"], 3);
    assert!(exact(&d["reviews"]["acceptance_score"], 1.0));
    let lead = &d["lead_time_seconds"];
    assert!(
        exact(&lead["total"], 225.0) && exact(&lead["mean"], 45.0),
        "{lead}"
    );
    assert!(
        near(&lead["median"], 45.0) && near(&lead["p90"], 50.0),
        "{lead}"
    );
    assert!(exact(&d["time_per_task_seconds"], 237.5));
    let review = &d["review_time_seconds"];
    assert!(
        exact(&review["total"], 250.0)
            && exact(&review["mean"], 62.5)
            && near(&review["median"], 40.0),
        "{review}"
    );
    assert_eq!(
        d["label_distribution"],
        serde_json::json!([
            {"dimension": "sentiment", "label": "negative", "annotations": 2, "predictions": 0},
            {"dimension": "sentiment", "label": "neutral", "annotations": 0, "predictions": 1},
            {"dimension": "sentiment", "label": "positive", "annotations": 3, "predictions": 0},
        ])
    );
    let agreement = &d["agreement"];
    assert!(exact(&agreement["mean"], 0.625), "{agreement}");
    assert_eq!(agreement["tasks"], 2);
    assert_eq!(
        agreement["histogram"],
        serde_json::json!([0, 0, 0, 0, 0, 1, 0, 1, 0, 0])
    );
    assert_eq!(agreement["low_agreement_tasks"], 1);
    let series = d["series"].as_array().unwrap();
    assert_eq!(series.len(), 1);
    assert_eq!(series[0]["bucket_start"], "2026-03-02T00:00:00+00:00");
    assert_eq!(series[0]["submitted"], 5);
    assert_eq!(series[0]["skipped"], 1);
    assert_eq!(series[0]["tasks_done"], 2);
    assert!(
        exact(&series[0]["lead_time_seconds"], 225.0)
            && exact(&series[0]["review_time_seconds"], 250.0)
    );

    // Hourly: both tasks became done in the 13:00 hour.
    let hourly = server
        .get("/api/v1/projects/p1/dashboard?from=2026-03-02T00:00:00Z&to=2026-03-03T00:00:00Z&granularity=hour")
        .await;
    let hours = hourly["series"].as_array().unwrap();
    assert_eq!(hours.len(), 24);
    assert_eq!(hours[13]["tasks_done"], 2);
    assert_eq!(
        hours[9]["submitted"], 1,
        "b1 at 09:20; a1 moved to 12:00 by its update"
    );
    assert_eq!(hours[12]["submitted"], 1);

    let m = server
        .get("/api/v1/projects/p1/members?from=2026-03-02&to=2026-03-02")
        .await;
    let members = m["members"].as_array().unwrap();
    let row = |id: &str| {
        members
            .iter()
            .find(|r| r["member_id"] == id)
            .cloned()
            .unwrap()
    };
    let alice = row("alice");
    assert_eq!(
        (alice["name"].as_str(), alice["role"].as_str()),
        (Some("Alice"), Some("annotator"))
    );
    assert_eq!(
        (
            alice["submitted"].as_i64(),
            alice["updated"].as_i64(),
            alice["accepted"].as_i64()
        ),
        (Some(2), Some(1), Some(1))
    );
    assert!(exact(&alice["performance_score"], 1.0) && exact(&alice["acceptance_score"], 1.0));
    assert!(
        exact(&alice["lead_time_seconds"]["total"], 85.0)
            && exact(&alice["lead_time_seconds"]["mean"], 42.5)
    );
    assert!(
        exact(&alice["agreement"], 2.0 / 3.0),
        "{}",
        alice["agreement"]
    );
    assert_eq!(alice["last_active"], "2026-03-02T12:00:00+00:00");
    let bob = row("bob");
    assert_eq!(
        (
            bob["submitted"].as_i64(),
            bob["fixed_and_accepted"].as_i64()
        ),
        (Some(2), Some(1))
    );
    assert!(
        exact(&bob["performance_score"], 0.25),
        "{}",
        bob["performance_score"]
    );
    assert!(exact(&bob["acceptance_score"], 1.0));
    assert!(exact(&bob["agreement"], 0.5));
    let carol = row("carol");
    assert_eq!(
        (
            carol["submitted"].as_i64(),
            carol["skipped"].as_i64(),
            carol["accepted"].as_i64()
        ),
        (Some(1), Some(1), Some(1))
    );
    assert!(exact(&carol["agreement"], 0.5) && exact(&carol["lead_time_seconds"]["total"], 20.0));
    let rita = row("rita");
    assert_eq!(rita["reviews_performed"], 4);
    assert!(
        exact(&rita["review_time_seconds"]["total"], 250.0)
            && near(&rita["review_time_seconds"]["median"], 40.0)
    );
    assert!(
        rita["acceptance_score"].is_null()
            && rita["performance_score"].is_null()
            && rita["agreement"].is_null()
    );
    let totals = &m["totals"];
    assert!(
        exact(&totals["performance_score"], 0.625) && exact(&totals["agreement"], 0.5625),
        "{totals}"
    );
    let matrix = &m["agreement_matrix"];
    assert_eq!(
        matrix["participants"],
        serde_json::json!(["alice", "bob", "carol"])
    );
    assert!(
        exact(&matrix["score"][0][1], 0.625)
            && exact(&matrix["score"][0][2], 0.75)
            && exact(&matrix["score"][1][2], 0.25)
    );
    assert!(exact(&matrix["score"][1][0], 0.625) && matrix["score"][0][0].is_null());
    assert_eq!(
        matrix["common_tasks"],
        serde_json::json!([[0, 2, 1], [2, 0, 1], [1, 1, 0]])
    );

    let alice_perf = server
        .get("/api/v1/members/alice/performance?from=2026-03-02&to=2026-03-02")
        .await;
    let annotations = &alice_perf["annotations"];
    assert_eq!(
        (
            annotations["submitted"].as_i64(),
            annotations["updated"].as_i64()
        ),
        (Some(2), Some(1))
    );
    assert!(
        exact(&annotations["time_annotating_seconds"], 85.0)
            && exact(&annotations["performance_score"], 1.0)
    );
    assert!(
        exact(&alice_perf["active_time_seconds"], 110.0),
        "{}",
        alice_perf["active_time_seconds"]
    );
    assert_eq!(alice_perf["by_project"][0]["project_id"], "p1");
    let rita_perf = server
        .get("/api/v1/members/rita/performance?from=2026-03-02&to=2026-03-02")
        .await;
    let reviews = &rita_perf["reviews"];
    assert_eq!(
        (
            reviews["total"].as_i64(),
            reviews["accepted"].as_i64(),
            reviews["fixed_and_accepted"].as_i64(),
            reviews["rejected"].as_i64()
        ),
        (Some(4), Some(2), Some(1), Some(1))
    );
    assert!(exact(&reviews["time_reviewing_seconds"], 250.0));

    // A day without activity: counts 0, ratios null.
    let empty = server
        .get("/api/v1/projects/p1/dashboard?from=2026-03-05&to=2026-03-05")
        .await;
    assert_eq!(empty["annotations"]["submitted"], 0);
    assert!(empty["reviews"]["acceptance_score"].is_null());
    assert!(empty["lead_time_seconds"]["mean"].is_null() && empty["agreement"]["mean"].is_null());
    assert!(empty["time_per_task_seconds"].is_null());
}

#[tokio::test]
async fn a_dst_day_in_berlin_is_23_hours_and_attributes_by_local_midnight() {
    let server = start().await;
    // 2026-03-28T23:30Z is 00:30 CET on the 29th (local day 29);
    // 2026-03-29T22:30Z is 00:30 CEST on the 30th (local day 30).
    let lines: Vec<String> = [("x1", "2026-03-28T23:30:00Z"), ("x2", "2026-03-29T22:30:00Z")]
        .iter()
        .enumerate()
        .map(|(n, (id, at))| {
            format!(
                r#"{{{},"annotation_id":"{id}","task_id":"{id}","member_id":"alice","lead_time_seconds":10,"completed_at":"{at}","result":[]}}"#,
                envelope(n + 100, "annotation.submitted", at)
            )
        })
        .collect();
    server.post(&lines).await;
    let berlin = server.get("/api/v1/projects/p1/dashboard?from=2026-03-29&to=2026-03-29&tz=Europe/Berlin&granularity=hour").await;
    assert_eq!(berlin["annotations"]["submitted"], 1);
    assert_eq!(berlin["series"].as_array().unwrap().len(), 23);
    assert_eq!(berlin["from"], "2026-03-29T00:00:00+01:00");
    assert_eq!(berlin["to"], "2026-03-30T00:00:00+02:00");
    let utc = server
        .get("/api/v1/projects/p1/dashboard?from=2026-03-29&to=2026-03-29&tz=UTC")
        .await;
    assert_eq!(utc["annotations"]["submitted"], 1);
    let both = server
        .get("/api/v1/projects/p1/dashboard?from=2026-03-28&to=2026-03-30&tz=Europe/Berlin")
        .await;
    let days: Vec<i64> = both["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["submitted"].as_i64().unwrap())
        .collect();
    assert_eq!(days, vec![0, 1, 1]);
}

//! Hand-computed agreement fixture: a small scenario whose agreement numbers
//! are worked out on paper below, sent through the real HTTP ingest into the
//! embedded store and read back from the agreement and members routes.
//!
//! Project p1 (threshold 0.5), one control `sentiment` (choices, declared
//! order pos, neg, neu). Final state, after the history in [`scenario`]
//! (m3's t3 answer is first `neg`, then updated to `pos`; m4's t2 answer is
//! deleted; m1's t1 annotation is the ground truth; model v1 predicts t1 pos,
//! t2 pos):
//!
//! | task | m1  | m2  | m3  | v1  | ground truth |
//! |------|-----|-----|-----|-----|--------------|
//! | t1   | pos | pos | neg | pos | m1 (pos)     |
//! | t2   | neg | neg |     | pos |              |
//! | t3   | pos |     | pos |     |              |
//! | t4   |     | neu |     |     |              |
//!
//! Worked out (annotators, pairwise): pair scores t1 m1-m2 1, m1-m3 0,
//! m2-m3 0 -> task 1/3; t2 1; t3 1; t4 has one annotator (not scored).
//! Mean (1/3 + 1 + 1)/3 = 7/9; histogram: t1 in [0.3, 0.4), t2 and t3 in
//! [0.9, 1]; one task below 0.5.
//! Consensus (exact match agrees only when equal): t1 largest group
//! {m1, m2} = 2/3, t2 1, t3 1 -> (2/3 + 2)/3 = 8/9.
//! Models (pairs with v1): t1 m1 1, m2 1, m3 0 -> 2/3; t2 m1 0, m2 0 -> 0;
//! mean 1/3 over 2 tasks. All pairs: t1 (1+0+0+1+1+0)/6 = 1/2, t2
//! (1+0+0)/3 = 1/3, t3 1 -> (1/2 + 1/3 + 1)/3 = 11/18.
//! Matrix: m1-m2 2/2 = 1 (2 tasks), m1-m3 1/2 (2 tasks), m2-m3 0 (1 task).
//! Ground truth column: m2 1 (1 task), m3 0 (1 task), m1 none (its own
//! annotation is the ground truth).
//! Members: agreement m1 (2 + 1)/4 = 0.75, m2 (2 + 0)/3 = 2/3, m3 1/3;
//! prediction agreement m1 (1 + 0)/2, m2 (1 + 0)/2, m3 0/1.
//! Confusion between annotators (each pair's task in (x, y) and (y, x)):
//! pos-pos: t1 m1m2 2 + t3 m1m3 2 = 4; neg-neg: t2 m1m2 2; pos-neg: t1 m1m3
//! and m2m3 -> 2 each way. Labels [neg, pos]: [[2, 2], [2, 4]]; top pair
//! (neg, pos) 2 of 2 off-diagonal. Against the ground truth (rows GT):
//! (pos, pos) 1 (m2), (pos, neg) 1 (m3) -> labels [neg, pos], [[0, 0], [1, 1]].
//! Cohen's and Light's kappa come with `dimension=` (per-pair cells).
//! Statistics: percent agreement 7/9. Krippendorff nominal: coincidences
//! t1 (m=3, pos 2, neg 1): o_pp += (4-2)/2 = 1, o_pn = o_np += 2/2 = 1;
//! t2: o_nn += 2; t3: o_pp += 2. n_pos = 4, n_neg = 3, n = 7:
//! alpha = 1 - (n-1)(o_pn + o_np) / (2 n_pos n_neg) = 1 - 6*2/24 = 0.5.
//! Fleiss (generalized): p_a = 7/9; pi over 4 tasks: pos (2/3 + 1)/4 = 5/12,
//! neg (1/3 + 1)/4 = 4/12, neu 1/4 = 3/12; p_e = 50/144 = 25/72;
//! kappa = (7/9 - 25/72)/(1 - 25/72) = 31/47.
//! Cohen: m1-m2 diagonal (pos, neg) -> 1; m1-m3 (pos,neg),(pos,pos): p_o 1/2,
//! p_e = (2*1)/4 = 1/2 -> 0; m2-m3 one task (pos,neg): p_o 0, p_e 0 -> 0.
//! Light (1 + 0 + 0)/3 = 1/3.
//!
//! Project p2, one control `box` (rectanglelabels): m1 (0,0,10,10) and m2
//! (5,5,10,10), both `car`: intersection 25, union 175 -> IoU 1/7; so the
//! pair and the task score 1/7. Detection at IoU 0.5: no match, 2 unmatched.
//!
//! Project p3, one control `box` (rectanglelabels, IoU threshold 0.5), one
//! task: the ground truth is m3's annotation G1 (0,0,10,10), G2 (50,50,10,10);
//! m1 draws A1 (1,0,10,10) (IoU with G1 90/110 = 0.82) and A2 (80,80,10,10);
//! m2 draws B1 = G2; model v2 predicts P1 = G1; all `car`.
//! Against the ground truth: m1 tp 1 (A1), fp 1 (A2), fn 1 (G2) -> P 1/2,
//! R 1/2, F1 1/2; m2 tp 1, fp 0, fn 1 (G1) -> P 1, R 1/2, F1 2/3; together
//! tp 2, fp 1, fn 2 -> P 2/3, R 1/2, F1 4/7; v2 tp 1, fn 1 -> P 1, R 1/2.
//! Annotator pairs (m3's annotation is an annotator too): m1-m2 matched 0,
//! unmatched 3; m1-m3 1 (A1-G1), 2; m2-m3 1 (B1-G2), 1 -> matched 2,
//! unmatched 6, F1 4/10. Pairs with the model: v2-m1 1 (P1-A1), 1; v2-m2 0,
//! 2; v2-m3 1, 1 -> matched 2, unmatched 4, F1 1/2.

use std::sync::Arc;

use labelpulse_api::app::{app, AppState};
use labelpulse_embedded::node::EmbeddedNode;
use serde_json::{json, Value};

fn envelope(n: usize, kind: &str, project: &str, at: &str) -> String {
    format!(
        r#""event_id":"g{n}","type":"{kind}","schema_version":1,"occurred_at":"{at}","project_id":"{project}","workspace_id":"w1""#
    )
}

fn sentiment(label: &str) -> String {
    format!(
        r#"[{{"id":"r1","from_name":"sentiment","to_name":"text","type":"choices","value":{{"choices":["{label}"]}}}}]"#
    )
}

fn boxed(x: f64, y: f64) -> String {
    format!(
        r#"[{{"id":"b1","from_name":"box","to_name":"image","type":"rectanglelabels","value":{{"x":{x},"y":{y},"width":10,"height":10,"rectanglelabels":["car"]}}}}]"#
    )
}

fn boxes(regions: &[(f64, f64)]) -> String {
    let items: Vec<String> = regions
        .iter()
        .enumerate()
        .map(|(i, (x, y))| {
            format!(
                r#"{{"id":"b{i}","from_name":"box","to_name":"image","type":"rectanglelabels","value":{{"x":{x},"y":{y},"width":10,"height":10,"rectanglelabels":["car"]}}}}"#
            )
        })
        .collect();
    format!("[{}]", items.join(","))
}

fn scenario() -> Vec<String> {
    let at = |minute: u32| format!("2026-03-02T10:{minute:02}:00Z");
    let mut events = Vec::new();
    let mut n = 0;
    let mut next = || {
        n += 1;
        n
    };
    events.push(format!(
        r#"{{{},"title":"Sentiment","overlap":2,"agreement_threshold":0.5,"review_criteria":"none","controls":[{{"name":"sentiment","kind":"choices","labels":["pos","neg","neu"]}}]}}"#,
        envelope(next(), "project.upserted", "p1", &at(0))
    ));
    events.push(format!(
        r#"{{{},"title":"Boxes","overlap":2,"agreement_threshold":0.5,"review_criteria":"none","controls":[{{"name":"box","kind":"rectanglelabels","labels":["car"]}}]}}"#,
        envelope(next(), "project.upserted", "p2", &at(0))
    ));
    events.push(format!(
        r#"{{{},"title":"Detection","overlap":3,"agreement_threshold":0.5,"review_criteria":"none","controls":[{{"name":"box","kind":"rectanglelabels","labels":["car"],"threshold":0.5}}]}}"#,
        envelope(next(), "project.upserted", "p3", &at(0))
    ));
    // (kind, project, annotation, task, member, result, ground truth, minute)
    let annotations = [
        (
            "annotation.submitted",
            "p3",
            "c1",
            "t1",
            "m1",
            boxes(&[(1.0, 0.0), (80.0, 80.0)]),
            false,
            11,
        ),
        (
            "annotation.submitted",
            "p3",
            "c2",
            "t1",
            "m2",
            boxes(&[(50.0, 50.0)]),
            false,
            11,
        ),
        (
            "annotation.submitted",
            "p3",
            "c3",
            "t1",
            "m3",
            boxes(&[(0.0, 0.0), (50.0, 50.0)]),
            true,
            11,
        ),
        (
            "annotation.submitted",
            "p1",
            "a11",
            "t1",
            "m1",
            sentiment("pos"),
            true,
            1,
        ),
        (
            "annotation.submitted",
            "p1",
            "a12",
            "t1",
            "m2",
            sentiment("pos"),
            false,
            2,
        ),
        (
            "annotation.submitted",
            "p1",
            "a13",
            "t1",
            "m3",
            sentiment("neg"),
            false,
            3,
        ),
        (
            "annotation.submitted",
            "p1",
            "a21",
            "t2",
            "m1",
            sentiment("neg"),
            false,
            4,
        ),
        (
            "annotation.submitted",
            "p1",
            "a22",
            "t2",
            "m2",
            sentiment("neg"),
            false,
            5,
        ),
        (
            "annotation.submitted",
            "p1",
            "a24",
            "t2",
            "m4",
            sentiment("pos"),
            false,
            6,
        ),
        (
            "annotation.submitted",
            "p1",
            "a31",
            "t3",
            "m1",
            sentiment("pos"),
            false,
            7,
        ),
        (
            "annotation.submitted",
            "p1",
            "a33",
            "t3",
            "m3",
            sentiment("neg"),
            false,
            8,
        ),
        (
            "annotation.submitted",
            "p1",
            "a42",
            "t4",
            "m2",
            sentiment("neu"),
            false,
            9,
        ),
        (
            "annotation.updated",
            "p1",
            "a33",
            "t3",
            "m3",
            sentiment("pos"),
            false,
            10,
        ),
        (
            "annotation.submitted",
            "p2",
            "b1",
            "t1",
            "m1",
            boxed(0.0, 0.0),
            false,
            11,
        ),
        (
            "annotation.submitted",
            "p2",
            "b2",
            "t1",
            "m2",
            boxed(5.0, 5.0),
            false,
            12,
        ),
    ];
    for (kind, project, id, task, member, result, truth, minute) in annotations {
        events.push(format!(
            r#"{{{},"annotation_id":"{id}","task_id":"{task}","member_id":"{member}","lead_time_seconds":10,"completed_at":"{}","ground_truth":{truth},"result":{result}}}"#,
            envelope(next(), kind, project, &at(minute)),
            at(minute),
        ));
    }
    events.push(format!(
        r#"{{{},"annotation_id":"a24","task_id":"t2"}}"#,
        envelope(next(), "annotation.deleted", "p1", &at(13))
    ));
    events.push(format!(
        r#"{{{},"prediction_id":"pr3","task_id":"t1","model_version":"v2","result":{}}}"#,
        envelope(next(), "prediction.created", "p3", &at(14)),
        boxes(&[(0.0, 0.0)])
    ));
    for (id, task, label) in [("pr1", "t1", "pos"), ("pr2", "t2", "pos")] {
        events.push(format!(
            r#"{{{},"prediction_id":"{id}","task_id":"{task}","model_version":"v1","result":{}}}"#,
            envelope(next(), "prediction.created", "p1", &at(14)),
            sentiment(label)
        ));
    }
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
    let server = Server {
        base,
        client: reqwest::Client::new(),
        _dir: dir,
    };
    let response = server
        .client
        .post(format!("{}/api/v1/events", server.base))
        .header("content-type", "application/x-ndjson")
        .body(scenario().join("\n"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    server
}

impl Server {
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

fn close(value: &Value, expected: f64) -> bool {
    // Scores are stored in 1e-9 units: a mean of rounded scores.
    value.as_f64().is_some_and(|v| (v - expected).abs() < 2e-9)
}

#[track_caller]
fn assert_close(value: &Value, expected: f64) {
    assert!(close(value, expected), "{value} vs {expected}");
}

#[tokio::test]
async fn agreement_numbers_match_the_hand_computation() {
    let server = start().await;
    let view = server.get("/api/v1/projects/p1/agreement").await;
    assert_eq!(view["participants"], "annotators");
    assert_eq!(view["mode"], "pairwise");
    assert_close(&view["summary"]["mean"], 7.0 / 9.0);
    assert_eq!(view["summary"]["tasks"], 3);
    assert_eq!(view["summary"]["low_agreement_tasks"], 1);
    assert_eq!(view["histogram"], json!([0, 0, 0, 1, 0, 0, 0, 0, 0, 2]));
    assert_eq!(view["by_dimension"][0]["dimension"], "sentiment");
    assert_eq!(view["by_dimension"][0]["kind"], "choices");
    assert_close(&view["by_dimension"][0]["mean"], 7.0 / 9.0);

    let matrix = &view["matrix"];
    assert_eq!(matrix["participants"], json!(["m1", "m2", "m3"]));
    assert_eq!(matrix["kinds"], json!(["member", "member", "member"]));
    assert_close(&matrix["score"][0][1], 1.0);
    assert_close(&matrix["score"][0][2], 0.5);
    assert_close(&matrix["score"][1][2], 0.0);
    assert_eq!(matrix["score"][0][0], Value::Null);
    assert_eq!(
        matrix["common_tasks"],
        json!([[0, 2, 2], [2, 0, 1], [2, 1, 0]])
    );
    assert_eq!(matrix["ground_truth"]["score"][0], Value::Null);
    assert_close(&matrix["ground_truth"]["score"][1], 1.0);
    assert_close(&matrix["ground_truth"]["score"][2], 0.0);
    assert_eq!(matrix["ground_truth"]["common_tasks"], json!([0, 1, 1]));

    let confusion = &view["confusion"];
    assert_eq!(confusion["dimension"], "sentiment");
    assert_eq!(confusion["participants"]["labels"], json!(["neg", "pos"]));
    assert_eq!(confusion["participants"]["matrix"], json!([[2, 2], [2, 4]]));
    assert_eq!(
        confusion["participants"]["top_pairs"],
        json!([{"a": "neg", "b": "pos", "count": 2, "share": 1.0}])
    );
    assert_eq!(confusion["ground_truth"]["labels"], json!(["neg", "pos"]));
    assert_eq!(confusion["ground_truth"]["matrix"], json!([[0, 0], [1, 1]]));

    let stats = &view["statistics"][0];
    assert_eq!(stats["dimension"], "sentiment");
    assert_eq!(stats["tasks"], 4);
    assert_eq!(stats["pairable_tasks"], 3);
    assert_close(&stats["percent_agreement"], 7.0 / 9.0);
    assert_close(&stats["krippendorff_alpha"]["nominal"], 0.5);
    assert_eq!(stats["krippendorff_alpha"]["interval"], Value::Null);
    assert_eq!(
        stats["reasons"]["krippendorff_alpha.interval"],
        "not_numeric"
    );
    assert!(stats["krippendorff_alpha"]["ordinal"].is_number());
    assert_close(&stats["fleiss_kappa"], 31.0 / 47.0);
    // Per-pair statistics come with one dimension.
    assert_eq!(stats["light_kappa"], Value::Null);
    assert_eq!(stats["reasons"]["light_kappa"], "dimension_required");
    assert_eq!(stats["cohen_kappa"], json!([]));
    let one = server
        .get("/api/v1/projects/p1/agreement?dimension=sentiment")
        .await;
    assert_eq!(
        one["statistics"][0]["krippendorff_alpha"],
        stats["krippendorff_alpha"]
    );
    assert_eq!(one["confusion"], view["confusion"]);
    let stats = &one["statistics"][0];
    assert_close(&stats["light_kappa"], 1.0 / 3.0);
    assert_eq!(stats["cohen_pairs"], 3);
    let cohen = stats["cohen_kappa"].as_array().unwrap();
    assert_eq!(cohen.len(), 3);
    assert_eq!(
        (&cohen[0]["a"], &cohen[0]["b"]),
        (&json!("m1"), &json!("m2"))
    );
    assert_close(&cohen[0]["unweighted"], 1.0);
    assert_eq!(cohen[0]["common_tasks"], 2);
    assert_close(&cohen[1]["unweighted"], 0.0);
    assert_close(&cohen[2]["unweighted"], 0.0);
    assert_eq!(cohen[2]["common_tasks"], 1);

    let consensus = server
        .get("/api/v1/projects/p1/agreement?mode=consensus")
        .await;
    assert_close(&consensus["summary"]["mean"], 8.0 / 9.0);
    let models = server
        .get("/api/v1/projects/p1/agreement?participants=models")
        .await;
    assert_close(&models["summary"]["mean"], 1.0 / 3.0);
    assert_eq!(models["summary"]["tasks"], 2);
    assert_eq!(
        models["matrix"]["participants"],
        json!(["m1", "m2", "m3", "model:v1"])
    );
    assert_eq!(models["matrix"]["score"][0][1], Value::Null);
    assert_close(&models["matrix"]["score"][0][3], 0.5);
    assert_close(&models["matrix"]["ground_truth"]["score"][3], 1.0);
    // Confusion of the pairs with v1: t1 m1/m2 (pos, pos), m3 (neg, pos);
    // t2 m1/m2 (neg, pos): both orders -> [[0, 3], [3, 4]]. Against the
    // ground truth, annotators and v1: m2 (pos, pos), m3 (pos, neg), v1
    // (pos, pos) -> [[0, 0], [1, 2]].
    assert_eq!(
        models["confusion"]["participants"]["matrix"],
        json!([[0, 3], [3, 4]])
    );
    assert_eq!(
        models["confusion"]["ground_truth"]["matrix"],
        json!([[0, 0], [1, 2]])
    );
    let all = server
        .get("/api/v1/projects/p1/agreement?participants=all")
        .await;
    assert_close(&all["summary"]["mean"], 11.0 / 18.0);

    let members = server.get("/api/v1/projects/p1/members").await;
    let row = |id: &str| {
        members["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["member_id"] == id)
            .unwrap_or_else(|| panic!("{id}"))
            .clone()
    };
    assert_close(&row("m1")["agreement"], 0.75);
    assert_close(&row("m2")["agreement"], 2.0 / 3.0);
    assert_close(&row("m3")["agreement"], 1.0 / 3.0);
    assert_eq!(row("m1")["gt_agreement"], Value::Null);
    assert_close(&row("m2")["gt_agreement"], 1.0);
    assert_close(&row("m3")["gt_agreement"], 0.0);
    assert_close(&row("m1")["prediction_agreement"], 0.5);
    assert_close(&row("m2")["prediction_agreement"], 0.5);
    assert_close(&row("m3")["prediction_agreement"], 0.0);
    assert_eq!(row("m1")["outlier_flags"], json!([]));
    assert_eq!(members["agreement_matrix"]["total_participants"], 4);
    // The matrix shows the participants with the most common tasks (pairs
    // and ground truth): m1 2 + 2 + 2 (v1) = 6, m2 2 + 1 + 2 + 1 (GT) = 6,
    // v1 2 + 2 + 1 + 1 (GT) = 6, m3 5; ties in canonical order: m1, m2.
    let top = server
        .get("/api/v1/projects/p1/agreement?participants=all&matrix_limit=2")
        .await;
    assert_eq!(top["matrix"]["total_participants"], 4);
    assert_eq!(top["matrix"]["participants"], json!(["m1", "m2"]));
    assert!(members["members"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["member_id"] != "model:v1" && m["member_id"] != "ground_truth"));

    let boxes = server.get("/api/v1/projects/p2/agreement").await;
    assert_close(&boxes["summary"]["mean"], 1.0 / 7.0);
    assert_close(&boxes["matrix"]["score"][0][1], 1.0 / 7.0);
    assert_eq!(boxes["statistics"], json!([]));
    assert_eq!(boxes["confusion"], Value::Null);
    assert_eq!(
        boxes["detection"][0]["pairs"],
        json!({"matched": 0, "unmatched": 2, "f1": 0.0})
    );
    assert_eq!(
        boxes["detection"][0]["ground_truth"]["precision"],
        Value::Null
    );

    let detection = server.get("/api/v1/projects/p3/agreement").await;
    let detection = &detection["detection"];
    assert_eq!(detection.as_array().map(Vec::len), Some(1));
    assert_eq!(detection[0]["dimension"], "box");
    assert_close(&detection[0]["iou_threshold"], 0.5);
    assert_eq!(detection[0]["pairs"]["matched"], 2);
    assert_eq!(detection[0]["pairs"]["unmatched"], 6);
    assert_close(&detection[0]["pairs"]["f1"], 0.4);
    let truth = &detection[0]["ground_truth"];
    assert_eq!(
        (
            &truth["true_positives"],
            &truth["false_positives"],
            &truth["false_negatives"]
        ),
        (&json!(2), &json!(1), &json!(2))
    );
    assert_close(&truth["precision"], 2.0 / 3.0);
    assert_close(&truth["recall"], 0.5);
    assert_close(&truth["f1"], 4.0 / 7.0);
    // Per participant only with `dimension=` (one cell per participant).
    assert_eq!(detection[0]["by_participant"], json!([]));
    let one = server
        .get("/api/v1/projects/p3/agreement?dimension=box")
        .await;
    assert_eq!(
        one["detection"][0]["ground_truth"],
        detection[0]["ground_truth"]
    );
    let people = &one["detection"][0]["by_participant"];
    assert_eq!(people.as_array().map(Vec::len), Some(2), "{people}");
    assert_eq!(people[0]["participant"], "m1");
    assert_close(&people[0]["precision"], 0.5);
    assert_close(&people[0]["f1"], 0.5);
    assert_eq!(people[1]["participant"], "m2");
    assert_close(&people[1]["precision"], 1.0);
    assert_close(&people[1]["recall"], 0.5);
    assert_close(&people[1]["f1"], 2.0 / 3.0);

    let models = server
        .get("/api/v1/projects/p3/agreement?participants=models&dimension=box")
        .await;
    let models = &models["detection"][0];
    assert_eq!(
        (&models["pairs"]["matched"], &models["pairs"]["unmatched"]),
        (&json!(2), &json!(4))
    );
    assert_close(&models["pairs"]["f1"], 0.5);
    assert_eq!(models["by_participant"][0]["participant"], "model:v2");
    assert_close(&models["ground_truth"]["precision"], 1.0);
    assert_close(&models["ground_truth"]["recall"], 0.5);

    let all = server
        .get("/api/v1/projects/p3/agreement?participants=all")
        .await;
    let all = &all["detection"][0];
    assert_close(&all["pairs"]["f1"], 4.0 / 9.0);
    assert_close(&all["ground_truth"]["f1"], 0.6);
}

#[tokio::test]
async fn bad_agreement_parameters_are_400_naming_them() {
    let server = start().await;
    for (query, parameter) in [
        ("participants=robots", "participants"),
        ("mode=majority", "mode"),
        ("label=pos", "label"),
        ("dimension=", "dimension"),
    ] {
        let response = server
            .client
            .get(format!(
                "{}/api/v1/projects/p1/agreement?{query}",
                server.base
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{query}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["parameter"], parameter, "{query}");
    }
    let label = server
        .get("/api/v1/projects/p1/agreement?dimension=sentiment&label=pos")
        .await;
    // pos present/absent: t1 (1,1,0), t2 (0,0), t3 (1,1) -> the same
    // coincidence shape as above: alpha 0.5; m1-m2 agree on t1 and t2.
    assert_close(
        &label["statistics"][0]["krippendorff_alpha"]["nominal"],
        0.5,
    );
    assert_eq!(label["statistics"][0]["label"], "pos");
    assert_close(&label["matrix"]["score"][0][1], 1.0);
}

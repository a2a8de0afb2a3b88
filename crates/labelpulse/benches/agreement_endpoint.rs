//! The agreement route over an embedded store holding a large project:
//! 1,000 members, 20,000 tasks annotated by 3 of them each (choices,
//! multi-choice, rating and boxes), ground truth on 10% of the tasks and two
//! model versions predicting half of them. The store is filled through the
//! real engine; the route is answered by the real router (`oneshot`), JSON
//! serialization included.
//!
//! Run: `cargo bench -p labelpulse --bench agreement_endpoint`

use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use labelpulse_api::app::{app, AppState};
use labelpulse_embedded::node::EmbeddedNode;
use labelpulse_engine::EngineSettings;
use rand::{Rng, SeedableRng};

#[path = "support/route_support.rs"]
mod route_support;

/// The allocator the `labelpulse` binary uses.
#[global_allocator]
static ALLOCATOR: labelpulse_alloc::Mimalloc = labelpulse_alloc::Mimalloc;

const MEMBERS: usize = 1_000;
const TASKS: usize = 20_000;
const OVERLAP: usize = 3;

fn events() -> Vec<String> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(4);
    let mut out = vec![
        r#"{"event_id":"p","type":"project.upserted","schema_version":1,"occurred_at":"2026-03-01T00:00:00Z","project_id":"big","title":"Big","overlap":3,"agreement_threshold":0.5,"review_criteria":"none","controls":[{"name":"sentiment","kind":"choices","labels":["pos","neg","neu","mixed"]},{"name":"tags","kind":"choices","multiple":true,"labels":["a","b","c","d","e"]},{"name":"stars","kind":"rating","min":1,"max":5},{"name":"vehicle","kind":"rectanglelabels","labels":["car","bus"]}]}"#.to_string(),
    ];
    let sentiments = ["pos", "neg", "neu", "mixed"];
    let result = |rng: &mut rand_chacha::ChaCha8Rng, truth: usize| {
        let sentiment = if rng.gen_bool(0.7) {
            truth % 4
        } else {
            rng.gen_range(0..4)
        };
        let tags: Vec<String> = ["a", "b", "c", "d", "e"]
            .iter()
            .filter(|_| rng.gen_bool(0.3))
            .map(|t| format!("\"{t}\""))
            .collect();
        let stars = (truth % 5 + 1).min(5) as i64 + rng.gen_range(-1..=1);
        let x = (truth % 50) as f64 + rng.gen_range(0.0..3.0);
        format!(
            r#"[{{"from_name":"sentiment","to_name":"t","type":"choices","value":{{"choices":["{}"]}}}},{{"from_name":"tags","to_name":"t","type":"choices","value":{{"choices":[{}]}}}},{{"from_name":"stars","to_name":"t","type":"rating","value":{{"rating":{}}}}},{{"id":"b","from_name":"vehicle","to_name":"t","type":"rectanglelabels","value":{{"x":{x},"y":10,"width":20,"height":20,"rectanglelabels":["car"]}}}}]"#,
            sentiments[sentiment],
            tags.join(","),
            stars.clamp(1, 5)
        )
    };
    let mut n = 0;
    for task in 0..TASKS {
        let truth: usize = rng.gen_range(0..1000);
        let mut members: Vec<usize> = Vec::with_capacity(OVERLAP);
        while members.len() < OVERLAP {
            let m = rng.gen_range(0..MEMBERS);
            if !members.contains(&m) {
                members.push(m);
            }
        }
        let ground_truth = task % 10 == 0;
        for (i, member) in members.iter().enumerate() {
            n += 1;
            out.push(format!(
                r#"{{"event_id":"e{n}","type":"annotation.submitted","schema_version":1,"occurred_at":"2026-03-02T10:00:00Z","project_id":"big","annotation_id":"a{n}","task_id":"t{task}","member_id":"m{member}","lead_time_seconds":{},"completed_at":"2026-03-02T10:00:00Z","ground_truth":{},"result":{}}}"#,
                rng.gen_range(5..300),
                ground_truth && i == 0,
                result(&mut rng, truth)
            ));
        }
        if task % 2 == 0 {
            n += 1;
            out.push(format!(
                r#"{{"event_id":"e{n}","type":"prediction.created","schema_version":1,"occurred_at":"2026-03-02T10:00:00Z","project_id":"big","prediction_id":"q{n}","task_id":"t{task}","model_version":"v{}","result":{}}}"#,
                task % 4 / 2,
                result(&mut rng, truth)
            ));
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let runtime = route_support::runtime();
    let dir = tempfile::tempdir().expect("tempdir");
    let (node, reader) = EmbeddedNode::open(dir.path(), EngineSettings::default()).expect("open");
    let lines = events();
    let started = std::time::Instant::now();
    runtime.block_on(async {
        for chunk in lines.chunks(5_000) {
            let raw: Vec<Vec<u8>> = chunk.iter().map(|l| l.as_bytes().to_vec()).collect();
            node.ingest_batch(raw).await.expect("ingest");
        }
    });
    eprintln!(
        "ingested {} events in {:.1} s",
        lines.len(),
        started.elapsed().as_secs_f64()
    );
    let router = app(AppState::new(Arc::new(reader), Arc::new(node)));
    let get = |uri: &'static str| route_support::get(router.clone(), uri);
    for uri in [
        "/api/v1/projects/big/agreement",
        "/api/v1/projects/big/agreement?dimension=sentiment",
    ] {
        let bytes = runtime.block_on(get(uri));
        eprintln!("{uri}: {bytes} bytes");
    }
    let mut group = c.benchmark_group("agreement_endpoint_1000_members");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    for (name, uri) in [
        ("default", "/api/v1/projects/big/agreement"),
        (
            "one_dimension",
            "/api/v1/projects/big/agreement?dimension=sentiment",
        ),
        (
            "members",
            "/api/v1/projects/big/members?from=2026-03-01&to=2026-03-03",
        ),
    ] {
        group.bench_function(name, |b| b.iter(|| runtime.block_on(get(uri))));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

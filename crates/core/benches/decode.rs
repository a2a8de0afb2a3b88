//! Decode throughput: bytes -> validated `Event`, for a typical annotation
//! event (~400 bytes) and a mix of event types.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// The allocator the `labelpulse` binary uses.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ANNOTATION: &str = r#"{"event_id":"0b7f9c1e-5d1a-4c8e-9f1e-2a3b4c5d6e7f","type":"annotation.submitted","schema_version":1,"occurred_at":"2026-03-01T10:15:30Z","project_id":"proj-17","workspace_id":"ws-2","org_id":"org-1","source":"label-studio","annotation_id":"ann-982734","task_id":"task-55121","member_id":"user-42","lead_time_seconds":37.25,"was_cancelled":false,"ground_truth":false,"completed_at":"2026-03-01T10:15:29Z","result":[{"id":"r1","from_name":"sentiment","to_name":"text","type":"choices","value":{"choices":["positive"]}}]}"#;

const MIX: [&str; 4] = [
    ANNOTATION,
    r#"{"event_id":"e2","type":"review.submitted","schema_version":1,"occurred_at":"2026-03-01T10:20:00Z","project_id":"proj-17","review_id":"rev-1","annotation_id":"ann-982734","task_id":"task-55121","reviewer_id":"user-7","outcome":"accepted","started_at":"2026-03-01T10:19:12Z","completed_at":"2026-03-01T10:20:00Z"}"#,
    r#"{"event_id":"e3","type":"session.heartbeat","schema_version":1,"occurred_at":"2026-03-01T10:20:15Z","project_id":"proj-17","member_id":"user-42","task_id":"task-55122"}"#,
    r#"{"event_id":"e4","type":"task.created","schema_version":1,"occurred_at":"2026-03-01T10:20:16Z","project_id":"proj-17","task_id":"task-55123"}"#,
];

/// As the `labelpulse` binary does: no transparent huge pages for this
/// process (mimalloc's fresh arenas would fault in zeroed 2 MiB pages).
fn like_the_binary() {
    #[cfg(target_os = "linux")]
    if let Err(error) = rustix::thread::disable_transparent_huge_pages(true) {
        eprintln!("could not turn transparent huge pages off: {error}");
    }
}

fn decode(c: &mut Criterion) {
    like_the_binary();
    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Elements(1));
    group.bench_function("annotation_submitted", |b| {
        b.iter(|| {
            labelpulse_core::decode(std::hint::black_box(ANNOTATION.as_bytes()))
                .map(|e| e.event_type())
        })
    });
    group.throughput(Throughput::Elements(MIX.len() as u64));
    group.bench_function("mix_of_4_types", |b| {
        b.iter(|| {
            for line in MIX {
                let _ = std::hint::black_box(
                    labelpulse_core::decode(line.as_bytes()).map(|e| e.event_type()),
                );
            }
        })
    });
    group.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);

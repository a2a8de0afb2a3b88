//! Decodes one annotation event N times (for profilers: callgrind, perf).

/// The allocator the `labelpulse` binary uses.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let line = br#"{"event_id":"0b7f9c1e-5d1a-4c8e-9f1e-2a3b4c5d6e7f","type":"annotation.submitted","schema_version":1,"occurred_at":"2026-03-01T10:15:30Z","project_id":"proj-17","workspace_id":"ws-2","org_id":"org-1","source":"label-studio","annotation_id":"ann-982734","task_id":"task-55121","member_id":"user-42","lead_time_seconds":37.25,"was_cancelled":false,"ground_truth":false,"completed_at":"2026-03-01T10:15:29Z","result":[{"id":"r1","from_name":"sentiment","to_name":"text","type":"choices","value":{"choices":["positive"]}}]}"#;
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let started = std::time::Instant::now();
    let mut ok = 0usize;
    for _ in 0..n {
        if labelpulse_core::decode(std::hint::black_box(line)).is_ok() {
            ok += 1;
        }
    }
    let elapsed = started.elapsed();
    println!(
        "{ok} decoded in {elapsed:?}: {:.0} events/s",
        n as f64 / elapsed.as_secs_f64()
    );
}

//! Decode throughput: bytes -> validated `Event`, for a typical annotation
//! event (~400 bytes) and a mix of event types.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// The allocator the `labelpulse` binary uses.
#[global_allocator]
static ALLOCATOR: labelpulse_alloc::Mimalloc = labelpulse_alloc::Mimalloc;

#[path = "support/events.rs"]
mod events;

use events::{Floor, ANNOTATION, MIX};

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

fn floor(c: &mut Criterion) {
    like_the_binary();
    let mut group = c.benchmark_group("decode_floor");
    group.throughput(Throughput::Elements(1));
    group.bench_function("annotation_submitted", |b| {
        b.iter(|| serde_json::from_str::<Floor<'_>>(std::hint::black_box(ANNOTATION)).is_ok())
    });
    group.throughput(Throughput::Elements(MIX.len() as u64));
    group.bench_function("mix_of_4_types", |b| {
        b.iter(|| {
            for line in MIX {
                let _ = std::hint::black_box(serde_json::from_str::<Floor<'_>>(line).is_ok());
            }
        })
    });
    group.throughput(Throughput::Elements(1));
    group.bench_function("rfc3339_timestamp", |b| {
        b.iter(|| {
            labelpulse_core::decode::parse_timestamp(
                std::hint::black_box("2026-03-01T10:15:30Z"),
                "t",
            )
            .map(|t| t.timestamp())
        })
    });
    group.finish();
}

criterion_group!(benches, decode, floor);
criterion_main!(benches);

//! Decodes the decode bench's sample events in a loop (for profilers:
//! callgrind, perf). Shares its events with `benches/decode.rs`.
//!
//! `decode_loop [annotation|mix] [ROUNDS] [floor]`: decodes the 518-byte
//! annotation, or the mix of four event types, `ROUNDS` times (default
//! 100,000); with `floor`, parses them into the bench's minimal serde_json
//! struct instead (no validation), the floor ours is compared with. `valgrind --tool=callgrind --toggle-collect=decode_loop::run`
//! counts the decode work only; divide by the events decoded (printed).

#[path = "../benches/support/events.rs"]
mod events;

/// The allocator the `labelpulse` binary uses.
#[global_allocator]
static ALLOCATOR: labelpulse_alloc::Mimalloc = labelpulse_alloc::Mimalloc;

/// The measured part: decodes every line `rounds` times (with our decoder,
/// or into the floor struct); returns how many decoded (all of them: the
/// sample events are valid).
#[inline(never)]
fn run(lines: &[&str], rounds: usize, floor: bool) -> usize {
    let mut decoded = 0;
    for _ in 0..rounds {
        for line in lines {
            let ok = if floor {
                let parsed = serde_json::from_str::<events::Floor<'_>>(std::hint::black_box(line));
                std::hint::black_box(parsed).is_ok()
            } else {
                let event = labelpulse_core::decode(std::hint::black_box(line.as_bytes()));
                std::hint::black_box(event).is_ok()
            };
            decoded += usize::from(ok);
        }
    }
    decoded
}

fn main() {
    let mut args = std::env::args().skip(1);
    let lines: &[&str] = match args.next().as_deref() {
        None | Some("annotation") => &[events::ANNOTATION],
        Some("mix") => &events::MIX,
        Some(other) => {
            eprintln!("unknown sample {other:?}: annotation or mix");
            std::process::exit(2);
        }
    };
    let rounds = match args.next().map(|text| text.parse::<usize>()) {
        None => 100_000,
        Some(Ok(rounds)) => rounds,
        Some(Err(error)) => {
            eprintln!("ROUNDS: {error}");
            std::process::exit(2);
        }
    };
    let floor = match args.next().as_deref() {
        None => false,
        Some("floor") => true,
        Some(other) => {
            eprintln!("unknown mode {other:?}: floor or nothing");
            std::process::exit(2);
        }
    };
    let decoded = run(lines, rounds, floor);
    println!("decoded {decoded} of {} events", lines.len() * rounds);
}

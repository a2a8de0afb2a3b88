//! Retries: a closed port yields the typed error once the retry budget is
//! spent (and nothing was written), the same flush then succeeds against the
//! real server; a server that starts answering within the budget gets the
//! flush; permanent errors are not retried.

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::flush::full_flush;
use common::TestDb;
use labelpulse_clickhouse::{
    AttemptError, ClickHouse, ClickHouseError, ClickHouseReader, ClickHouseStore,
};
use labelpulse_core::read::ReadStore;
use labelpulse_engine::memory::MemoryStore;
use labelpulse_engine::Store;

/// A port nothing listens on (bound, then released).
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    port
}

/// `ch` with every client pointed at `port` and the given budgets.
fn pointed_at(ch: &ClickHouse, port: u16, budget: Duration) -> ClickHouse {
    let url = format!("http://127.0.0.1:{port}");
    let mut ch = ch.clone();
    ch.write = ch.write.clone().with_url(&url);
    ch.read = ch.read.clone().with_url(&url);
    ch.config.retry_budget = budget;
    ch.config.read_retry_budget = budget;
    ch.config.initial_backoff = Duration::from_millis(20);
    ch.config.max_backoff = Duration::from_millis(200);
    ch
}

fn assert_network_unavailable(error: &ClickHouseError, budget: Duration) {
    match error {
        ClickHouseError::Unavailable {
            attempts,
            elapsed,
            source,
            ..
        } => {
            assert!(*attempts > 2, "{error}");
            // No attempt starts after the budget; the last one may end a
            // little after it (connect time on a loaded machine).
            assert!(*elapsed <= budget + Duration::from_millis(500), "{error}");
            assert!(
                matches!(
                    source,
                    AttemptError::Client(clickhouse::error::Error::Network(_))
                ),
                "{error}"
            );
        }
        other => panic!("expected Unavailable, got {other}"),
    }
}

#[test]
fn a_closed_port_is_a_typed_error_after_the_budget_then_the_same_flush_succeeds() {
    let db = TestDb::new("retry_closed");
    let budget = Duration::from_millis(1500);
    let mut broken = ClickHouseStore::new(
        pointed_at(&db.ch, closed_port(), budget),
        db.runtime.handle().clone(),
    );
    let flush = full_flush();

    let start = Instant::now();
    let error = broken.write(&flush).unwrap_err();
    let took = start.elapsed();
    assert_network_unavailable(&error, budget);
    assert!(took >= budget / 2, "gave up after {took:?}");
    assert!(took < budget + Duration::from_secs(1), "took {took:?}");
    // The first insert of a flush is its mark.
    assert!(
        error.to_string().contains("insert into flush_marks"),
        "{error}"
    );

    // Engine loads fail the same way.
    let error = broken.positions().unwrap_err();
    assert_network_unavailable(&error, budget);
    let error = broken.load_tasks(&[("p".into(), "t1".into())]).unwrap_err();
    assert_network_unavailable(&error, budget);

    // Nothing reached the real server; the same flush now goes through.
    let mut store = db.store();
    assert!(store.positions().unwrap().is_empty());
    store.write(&flush).unwrap();
    let mut memory = MemoryStore::default();
    memory.write(&flush).unwrap();
    let contents = db.runtime.block_on(db.reader().contents()).unwrap();
    assert!(
        contents == memory.contents,
        "{}",
        common::stream::diff(&contents, &memory.contents)
    );
}

#[test]
fn reads_give_up_within_the_read_budget() {
    let db = TestDb::new("retry_reads");
    let budget = Duration::from_millis(400);
    let reader = ClickHouseReader::new(pointed_at(&db.ch, closed_port(), budget));
    let start = Instant::now();
    assert!(!db.runtime.block_on(reader.ready()));
    assert!(
        start.elapsed() < Duration::from_millis(300),
        "ready() does not retry"
    );
    let error = db
        .runtime
        .block_on(reader.project_hours("p", 0..10))
        .unwrap_err();
    assert_network_unavailable(&error, budget);
    assert!(db.runtime.block_on(db.reader().ready()));
}

/// Forwards connections on `port` to `target` once `delay` has passed, until
/// `stop` is set (at most 1,000 connections, at most 60 s).
fn late_proxy(
    port: u16,
    target: String,
    delay: Duration,
    stop: Arc<AtomicBool>,
) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        thread::sleep(delay);
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("the port is free again");
        listener.set_nonblocking(true).unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut served = 0;
        while !stop.load(Ordering::Relaxed) && Instant::now() < deadline && served < 1_000 {
            match listener.accept() {
                Ok((client, _)) => {
                    served += 1;
                    client.set_nonblocking(false).unwrap();
                    let server = TcpStream::connect(&target).expect("the real server");
                    pipe(client.try_clone().unwrap(), server.try_clone().unwrap());
                    pipe(server, client);
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    thread::sleep(Duration::from_millis(5));
                }
                Err(e) => panic!("accept: {e}"),
            }
        }
    })
}

fn pipe(mut from: TcpStream, mut to: TcpStream) {
    thread::spawn(move || {
        let mut buffer = [0u8; 16 * 1024];
        loop {
            match from.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if to.write_all(&buffer[..n]).is_err() {
                        break;
                    }
                }
            }
        }
        let _ = to.shutdown(Shutdown::Write);
    });
}

#[test]
fn a_server_that_answers_within_the_budget_gets_the_flush() {
    let db = TestDb::new("retry_late");
    let port = closed_port();
    let target = db
        .ch
        .config
        .url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let stop = Arc::new(AtomicBool::new(false));
    let proxy = late_proxy(port, target, Duration::from_millis(800), stop.clone());
    let mut late = ClickHouseStore::new(
        pointed_at(&db.ch, port, Duration::from_secs(20)),
        db.runtime.handle().clone(),
    );
    let flush = full_flush();
    let start = Instant::now();
    late.write(&flush).unwrap();
    assert!(start.elapsed() >= Duration::from_millis(800));
    assert_eq!(late.last_write().inserts, 16);
    assert_eq!(late.positions().unwrap(), flush.positions);
    stop.store(true, Ordering::Relaxed);
    proxy.join().unwrap();

    let mut memory = MemoryStore::default();
    memory.write(&flush).unwrap();
    let contents = db.runtime.block_on(db.reader().contents()).unwrap();
    assert!(
        contents == memory.contents,
        "{}",
        common::stream::diff(&contents, &memory.contents)
    );
}

#[test]
fn permanent_errors_are_not_retried() {
    // The database does not exist: the server's answer will not change.
    let db = TestDb::unmigrated("retry_permanent");
    let mut store = db.store();
    let start = Instant::now();
    let error = store.write(&full_flush()).unwrap_err();
    assert!(matches!(error, ClickHouseError::Request { .. }), "{error}");
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "no retries within the 20 s budget: {:?}",
        start.elapsed()
    );
}

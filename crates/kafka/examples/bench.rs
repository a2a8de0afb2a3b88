//! Measurements against the local broker (release build):
//!
//! ```sh
//! deploy/local/services up kafka
//! cargo run --release -p labelpulse-kafka --example bench -- preload 500000
//! cargo run --release -p labelpulse-kafka --example bench -- consumers 500000
//! cargo run --release -p labelpulse-kafka --example bench -- ingest 500000
//! ```
//!
//! `preload` fills `bench.labelpulse.events` (8 partitions) with simulator
//! events unless it already holds that many; `consumers` reads them with a
//! `BaseConsumer` on a thread and with a `StreamConsumer` on tokio, with and
//! without decoding; `ingest` runs the ingestor over a `MemoryStore` from
//! offset 0 until every offset is committed, and the engine alone on the
//! same events for comparison.

use std::time::{Duration, Instant};

use labelpulse_engine::memory::MemoryStore;
use labelpulse_engine::{BatchEvent, Engine, EngineSettings};
use labelpulse_kafka::{EventProducer, IngestMetrics, Ingestor, KafkaConfig};
use labelpulse_simulator::{SimConfig, Simulator};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer, StreamConsumer};
use rdkafka::{ClientConfig, Message};

const TOPIC: &str = "bench.labelpulse.events";
const BROKERS: &str = "127.0.0.1:9092";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = args.first().map(String::as_str).unwrap_or("ingest");
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(500_000);
    match command {
        "preload" => preload(n),
        "consumers" => {
            preload(n);
            consumers(n);
        }
        "ingest" => {
            preload(n);
            ingest(n);
        }
        "decode" => decode_only(n),
        other => eprintln!("unknown command {other}: preload | consumers | ingest | decode"),
    }
}

fn sim(n: usize) -> Vec<labelpulse_simulator::SimEvent> {
    Simulator::new(SimConfig {
        seed: 99,
        workspaces: 3,
        projects_per_workspace: 4,
        annotators: 60,
        reviewers: 8,
        tasks_per_project: 2_000,
        intensity: 5.0,
        ..SimConfig::default()
    })
    .take(n)
    .collect()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn messages_in_topic() -> i64 {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", BROKERS)
        .create()
        .expect("consumer");
    let Ok(metadata) = consumer.fetch_metadata(Some(TOPIC), Duration::from_secs(5)) else {
        return 0;
    };
    let Some(topic) = metadata.topics().first() else {
        return 0;
    };
    topic
        .partitions()
        .iter()
        .map(|p| {
            consumer
                .fetch_watermarks(TOPIC, p.id(), Duration::from_secs(5))
                .map(|(low, high)| high - low)
                .unwrap_or(0)
        })
        .sum()
}

fn preload(n: usize) {
    let runtime = runtime();
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", BROKERS)
        .create()
        .expect("admin");
    let _ = runtime.block_on(admin.create_topics(
        &[NewTopic::new(TOPIC, 8, TopicReplication::Fixed(1))],
        &AdminOptions::new(),
    ));
    std::thread::sleep(Duration::from_secs(1));
    let have = messages_in_topic();
    if have >= n as i64 {
        eprintln!("{TOPIC}: {have} messages already");
        return;
    }
    if have > 0 {
        eprintln!("{TOPIC} holds {have} messages, fewer than {n}: delete it first");
        std::process::exit(1);
    }
    let events = sim(n);
    let bytes: usize = events.iter().map(|e| e.json.len()).sum();
    let config = KafkaConfig {
        topic: TOPIC.to_string(),
        ..KafkaConfig::default()
    };
    let producer = EventProducer::new(&config).expect("producer");
    let started = Instant::now();
    for chunk in events.chunks(50_000) {
        let records: Vec<(&str, &str)> = chunk
            .iter()
            .map(|e| (e.key.as_str(), e.json.as_str()))
            .collect();
        runtime
            .block_on(producer.send_keyed(records))
            .expect("acknowledged");
    }
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "preloaded {n} events ({:.0} bytes each) in {secs:.2} s: {:.0} events/s produced",
        bytes as f64 / n as f64,
        n as f64 / secs
    );
}

fn reader_config() -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", BROKERS)
        .set("group.id", format!("bench-reader-{}", std::process::id()))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .set(
            "client.id",
            format!("bench-{}", Instant::now().elapsed().as_nanos()),
        );
    for (key, value) in extra_properties() {
        config.set(key, value);
    }
    config
}

/// `BENCH_PROPERTIES="key=value,key=value"`: librdkafka settings to try.
fn extra_properties() -> Vec<(String, String)> {
    std::env::var("BENCH_PROPERTIES")
        .unwrap_or_default()
        .split(',')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

fn fresh_group(config: &mut ClientConfig, label: &str) {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    config.set("group.id", format!("bench-{label}-{nanos}"));
}

fn consumers(n: usize) {
    base_copy_then_decode(n);
    for decode in [false, true] {
        for round in 0..2 {
            let base = base_consumer(n, decode);
            let stream = stream_consumer(n, decode);
            eprintln!(
                "round {round}, decode {decode}: BaseConsumer {:.0} msg/s, StreamConsumer {:.0} msg/s",
                base, stream
            );
        }
    }
}

/// CPU seconds the calling thread used so far (Linux).
fn thread_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks: f64 = [11, 12]
        .iter()
        .filter_map(|i| fields.get(*i).and_then(|f| f.parse::<f64>().ok()))
        .sum();
    ticks / 100.0
}

/// Seconds the calling thread waited for a CPU while runnable (Linux schedstat).
fn thread_run_delay_seconds() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|f| f.parse::<f64>().ok())
        })
        .map_or(0.0, |ns| ns / 1e9)
}

/// Messages per second from the first message to the n-th.
fn base_consumer(n: usize, decode: bool) -> f64 {
    let mut config = reader_config();
    fresh_group(&mut config, "base");
    let consumer: BaseConsumer = config.create().expect("consumer");
    consumer.subscribe(&[TOPIC]).expect("subscribe");
    let mut read = 0;
    let mut valid = 0;
    let mut started = None;
    let mut cpu_start = 0.0;
    let mut delay_start = 0.0;
    while read < n {
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(message)) => {
                if started.is_none() {
                    cpu_start = thread_cpu_seconds();
                    delay_start = thread_run_delay_seconds();
                    started = Some(Instant::now());
                }
                read += 1;
                if decode && labelpulse_core::decode(message.payload().unwrap_or_default()).is_ok()
                {
                    valid += 1;
                }
            }
            Some(Err(error)) => eprintln!("{error}"),
            None => {}
        }
    }
    let secs = started.map_or(1.0, |s| s.elapsed().as_secs_f64());
    eprintln!(
        "  BaseConsumer decode {decode}: {secs:.2} s wall, {:.2} s CPU on the polling thread, {:.2} s runnable but waiting for a CPU",
        thread_cpu_seconds() - cpu_start,
        thread_run_delay_seconds() - delay_start
    );
    assert!(!decode || valid == n);
    n as f64 / secs
}

/// Copy every payload out first, decode afterwards: separates the two costs.
fn base_copy_then_decode(n: usize) {
    let mut config = reader_config();
    fresh_group(&mut config, "copy");
    let consumer: BaseConsumer = config.create().expect("consumer");
    consumer.subscribe(&[TOPIC]).expect("subscribe");
    let mut payloads: Vec<Vec<u8>> = Vec::with_capacity(n);
    let mut started = None;
    while payloads.len() < n {
        if let Some(Ok(message)) = consumer.poll(Duration::from_millis(100)) {
            started.get_or_insert_with(Instant::now);
            payloads.push(message.payload().unwrap_or_default().to_vec());
        }
    }
    let read = started.map_or(1.0, |s| s.elapsed().as_secs_f64());
    let decoding = Instant::now();
    let valid = payloads
        .iter()
        .filter(|p| labelpulse_core::decode(p).is_ok())
        .count();
    let decode = decoding.elapsed().as_secs_f64();
    eprintln!(
        "BaseConsumer copy: {:.0} msg/s; then decode {valid}: {:.0} events/s",
        n as f64 / read,
        n as f64 / decode
    );
}

fn stream_consumer(n: usize, decode: bool) -> f64 {
    let runtime = runtime();
    runtime.block_on(async {
        let mut config = reader_config();
        fresh_group(&mut config, "stream");
        let consumer: StreamConsumer = config.create().expect("consumer");
        consumer.subscribe(&[TOPIC]).expect("subscribe");
        let mut read = 0;
        let mut valid = 0;
        let mut started = None;
        while read < n {
            match consumer.recv().await {
                Ok(message) => {
                    started.get_or_insert_with(Instant::now);
                    read += 1;
                    if decode
                        && labelpulse_core::decode(message.payload().unwrap_or_default()).is_ok()
                    {
                        valid += 1;
                    }
                }
                Err(error) => eprintln!("{error}"),
            }
        }
        let secs = started.map_or(1.0, |s| s.elapsed().as_secs_f64());
        assert!(!decode || valid == n);
        n as f64 / secs
    })
}

/// Decoding alone, in memory, on the same events.
fn decode_only(n: usize) {
    let events = sim(n);
    for _ in 0..2 {
        let started = Instant::now();
        let valid = events
            .iter()
            .filter(|e| labelpulse_core::decode(e.json.as_bytes()).is_ok())
            .count();
        let secs = started.elapsed().as_secs_f64();
        eprintln!(
            "decode alone: {valid} valid, {:.0} events/s",
            n as f64 / secs
        );
    }
}

fn ingest(n: usize) {
    // The engine alone, same events, sequence = position in the stream.
    let events = sim(n);
    let decoded: Vec<_> = events
        .iter()
        .map(|e| labelpulse_core::decode(e.json.as_bytes()).expect("valid"))
        .collect();
    let mut engine =
        Engine::new(MemoryStore::default(), EngineSettings::default()).expect("engine");
    let started = Instant::now();
    for (chunk_index, chunk) in decoded.chunks(50_000).enumerate() {
        let batch: Vec<BatchEvent<'_>> = chunk
            .iter()
            .enumerate()
            .map(|(i, event)| BatchEvent {
                sequence: (chunk_index * 50_000 + i + 1) as u64,
                raw: events[chunk_index * 50_000 + i].json.as_bytes(),
                event,
            })
            .collect();
        engine.apply_batch(0, &batch).expect("apply");
        engine.flush().expect("flush");
    }
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "engine alone (decoded, one partition, flush per 50k): {:.0} events/s",
        n as f64 / secs
    );
    drop(engine);
    drop(decoded);

    for round in 0..2 {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let config = KafkaConfig {
            topic: TOPIC.to_string(),
            dlq_topic: "labelpulse.events.dlq".to_string(),
            group_id: format!("bench-ingest-{nanos}"),
            properties: extra_properties().into_iter().collect(),
            ..KafkaConfig::default()
        };
        let metrics = IngestMetrics::unregistered();
        let started = Instant::now();
        let handle = Ingestor::new(
            config,
            MemoryStore::default(),
            EngineSettings::default(),
            metrics,
        )
        .expect("ingestor")
        .spawn()
        .expect("spawn");
        let mut first_message = None;
        loop {
            let stats = handle.metrics().snapshot();
            if stats.consumed > 0 {
                first_message.get_or_insert_with(Instant::now);
            }
            let committed: i64 = handle.progress().committed.values().sum();
            if committed >= n as i64 {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let total = started.elapsed().as_secs_f64();
        let from_first = first_message.map_or(total, |t| t.elapsed().as_secs_f64());
        let stats = handle.metrics().snapshot();
        let exit = handle.shutdown().expect("shutdown");
        eprintln!(
            "round {round}: ingestor over MemoryStore: {n} events committed in {total:.2} s from spawn ({:.0} events/s), {from_first:.2} s from the first message ({:.0} events/s); {} flushes; {} aggregate rows; consumer closed in time: {}",
            n as f64 / total,
            n as f64 / from_first,
            stats.flushes,
            exit.store.contents.aggregates.len(),
            exit.closed
        );
    }
}

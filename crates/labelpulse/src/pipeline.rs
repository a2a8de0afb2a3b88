//! The Kafka and ClickHouse commands: `migrate`, `ingest`, `serve`, `run`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use labelpulse_api::app::{app, AppState, Settings};
use labelpulse_api::metrics::Metrics;
use labelpulse_clickhouse::{ClickHouse, ClickHouseMetrics, ClickHouseReader, ClickHouseStore};
use labelpulse_core::ingest::{EventSink, IngestReceipt};
use labelpulse_engine::EngineSettings;
use labelpulse_kafka::{EventProducer, IngestMetrics, Ingestor, IngestorHandle, ProducerError};
use prometheus::Registry;
use tokio::net::TcpListener;

use crate::config::PipelineConfig;
use crate::server::shutdown_signal;

/// Connects to ClickHouse, counting its requests in `registry`
/// ([`ClickHouseMetrics`]), and, unless disabled, applies the migrations.
pub async fn connect(config: &PipelineConfig, registry: &Registry) -> anyhow::Result<ClickHouse> {
    let metrics =
        ClickHouseMetrics::register(registry).context("registering ClickHouse metrics")?;
    let clickhouse = labelpulse_clickhouse::connect(&config.clickhouse)
        .await
        .with_context(|| format!("connecting to ClickHouse at {}", config.clickhouse.url))?
        .with_metrics(metrics);
    if config.migrate {
        let report = clickhouse
            .migrate()
            .await
            .context("applying ClickHouse migrations")?;
        tracing::info!(?report, "migrations");
    }
    Ok(clickhouse)
}

/// `labelpulse migrate`.
pub async fn migrate(mut config: PipelineConfig) -> anyhow::Result<()> {
    config.migrate = true;
    let clickhouse = labelpulse_clickhouse::connect(&config.clickhouse)
        .await
        .with_context(|| format!("connecting to ClickHouse at {}", config.clickhouse.url))?;
    let report = clickhouse
        .migrate()
        .await
        .context("applying ClickHouse migrations")?;
    println!("{report:?}");
    Ok(())
}

/// Starts the ingestor over ClickHouse (on its own thread).
async fn start_ingestor(
    config: &PipelineConfig,
    clickhouse: ClickHouse,
    engine: EngineSettings,
    registry: &Registry,
) -> anyhow::Result<IngestorHandle<ClickHouseStore>> {
    let store = ClickHouseStore::new(clickhouse, tokio::runtime::Handle::current());
    let metrics = IngestMetrics::register(registry).context("registering ingest metrics")?;
    let config = config.kafka.clone();
    // Building the engine reads the store's positions: blocking work.
    let ingestor =
        tokio::task::spawn_blocking(move || Ingestor::new(config, store, engine, metrics))
            .await
            .context("starting the ingestor")??;
    Ok(ingestor.spawn()?)
}

/// Waits for Ctrl-C / SIGTERM or for the ingestor to stop on its own.
async fn until_shutdown_or_exit(handle: &IngestorHandle<ClickHouseStore>) {
    let finished = async {
        while !handle.is_finished() {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    tokio::select! {
        () = shutdown_signal() => {},
        () = finished => tracing::error!("the ingestor stopped"),
    }
}

/// `labelpulse ingest`.
pub async fn ingest(
    config: PipelineConfig,
    engine: EngineSettings,
    metrics_addr: Option<SocketAddr>,
) -> anyhow::Result<()> {
    let registry = Registry::new();
    let clickhouse = connect(&config, &registry).await?;
    let handle = start_ingestor(&config, clickhouse, engine, &registry).await?;
    if let Some(addr) = metrics_addr {
        let metrics =
            Metrics::with_registry(registry.clone()).context("registering API metrics")?;
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding {addr}"))?;
        let router = metrics_router(metrics);
        tokio::spawn(async move { axum::serve(listener, router).await });
    }
    println!(
        "LabelPulse ingestor: {} -> ClickHouse {}",
        config.kafka.topic, config.clickhouse.url
    );
    until_shutdown_or_exit(&handle).await;
    let exit = handle.shutdown_async().await?;
    tracing::info!(drained = exit.drained, "ingestor stopped");
    Ok(())
}

fn metrics_router(metrics: Metrics) -> axum::Router {
    use axum::routing::get;
    axum::Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/metrics",
            get(move || {
                let metrics = metrics.clone();
                async move { metrics.render().unwrap_or_default() }
            }),
        )
}

/// Where `POST /api/v1/events` goes in `serve`: Kafka, or nowhere.
pub enum ServeSink {
    /// Produce to Kafka, answer after the broker's acknowledgement.
    Kafka(EventProducer),
    /// Ingest is not enabled on this server.
    Disabled,
}

/// Why the serve sink refused a batch.
#[derive(Debug)]
pub enum ServeSinkError {
    /// The producer failed.
    Kafka(ProducerError),
    /// `--ingest-to-kafka` was not given.
    Disabled,
}

impl std::fmt::Display for ServeSinkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServeSinkError::Kafka(error) => write!(f, "kafka: {error}"),
            ServeSinkError::Disabled => {
                f.write_str("ingest is disabled on this server (start it with --ingest-to-kafka)")
            }
        }
    }
}

impl std::error::Error for ServeSinkError {}

impl EventSink for ServeSink {
    type Error = ServeSinkError;

    async fn ingest(&self, events: Vec<Vec<u8>>) -> Result<IngestReceipt, Self::Error> {
        match self {
            ServeSink::Kafka(producer) => {
                producer.ingest(events).await.map_err(ServeSinkError::Kafka)
            }
            ServeSink::Disabled => Err(ServeSinkError::Disabled),
        }
    }
}

/// Builds the query service over ClickHouse.
fn query_service(
    clickhouse: ClickHouse,
    sink: ServeSink,
    max_ingest_bytes: usize,
    metrics: Metrics,
) -> axum::Router {
    let settings = Settings {
        max_ingest_bytes,
        ..Settings::default()
    };
    app(
        AppState::new(Arc::new(ClickHouseReader::new(clickhouse)), Arc::new(sink))
            .with_settings(settings)
            .with_metrics(metrics),
    )
}

fn serve_sink(config: &PipelineConfig, ingest_to_kafka: bool) -> anyhow::Result<ServeSink> {
    Ok(if ingest_to_kafka {
        ServeSink::Kafka(
            EventProducer::for_requests(&config.kafka).context("creating the Kafka producer")?,
        )
    } else {
        ServeSink::Disabled
    })
}

/// `labelpulse serve`.
pub async fn serve(
    config: PipelineConfig,
    addr: SocketAddr,
    ingest_to_kafka: bool,
    max_ingest_bytes: usize,
) -> anyhow::Result<()> {
    let registry = Registry::new();
    let clickhouse = connect(&config, &registry).await?;
    let metrics = Metrics::with_registry(registry).context("registering API metrics")?;
    let sink = serve_sink(&config, ingest_to_kafka)?;
    let router = query_service(clickhouse, sink, max_ingest_bytes, metrics);
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    println!(
        "LabelPulse query service (ClickHouse {}): http://{}",
        config.clickhouse.url,
        listener.local_addr()?
    );
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("serving the API")
}

/// `labelpulse run`: the ingestor and the query service in one process,
/// one `/metrics` for both; HTTP ingest goes to Kafka.
pub async fn run(
    config: PipelineConfig,
    engine: EngineSettings,
    addr: SocketAddr,
    max_ingest_bytes: usize,
) -> anyhow::Result<()> {
    let registry = Registry::new();
    let clickhouse = connect(&config, &registry).await?;
    let handle = start_ingestor(&config, clickhouse.clone(), engine, &registry).await?;
    let metrics = Metrics::with_registry(registry).context("registering API metrics")?;
    let router = query_service(
        clickhouse,
        serve_sink(&config, true)?,
        max_ingest_bytes,
        metrics,
    );
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    println!(
        "LabelPulse (Kafka + ClickHouse): http://{}",
        listener.local_addr()?
    );
    let server = axum::serve(listener, router).with_graceful_shutdown(async move {
        until_shutdown_or_exit(&handle).await;
        if let Err(error) = handle.shutdown_async().await {
            tracing::error!(%error, "stopping the ingestor");
        }
    });
    server.await.context("serving the API")
}

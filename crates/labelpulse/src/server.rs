//! The embedded server: node, API, listener, graceful shutdown.

use std::sync::Arc;

use anyhow::Context;
use labelpulse_api::app::{app, AppState, Settings};
use labelpulse_embedded::node::{EmbeddedNode, NodeSettings};
use labelpulse_engine::EngineSettings;
use tokio::net::TcpListener;

use crate::config::ServerConfig;

/// A started embedded server.
pub struct EmbeddedServer {
    /// The node (also the ingest sink), for feeding events directly.
    pub node: EmbeddedNode,
    /// The bound listener.
    pub listener: TcpListener,
    /// The router.
    pub router: axum::Router,
}

impl EmbeddedServer {
    /// Opens the store, starts the engine thread and binds the address.
    pub async fn start(config: &ServerConfig) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("creating data dir {}", config.data_dir.display()))?;
        let engine = EngineSettings {
            idle_threshold_ms: i64::from(config.idle_threshold_seconds) * 1000,
            cache_capacity: config.cache_capacity,
        };
        let data_dir = config.data_dir.clone();
        let (node, reader) = tokio::task::spawn_blocking(move || {
            EmbeddedNode::open(&data_dir, NodeSettings::from(engine))
        })
        .await
        .context("opening the embedded store")?
        .with_context(|| {
            format!(
                "opening the embedded store in {}",
                config.data_dir.display()
            )
        })?;
        let settings = Settings {
            max_ingest_bytes: config.max_ingest_bytes,
            ..Settings::default()
        };
        let router =
            app(AppState::new(Arc::new(reader), Arc::new(node.clone())).with_settings(settings));
        let listener = TcpListener::bind(config.addr)
            .await
            .with_context(|| format!("binding {}", config.addr))?;
        Ok(EmbeddedServer {
            node,
            listener,
            router,
        })
    }

    /// The URL the API answers on.
    pub fn url(&self) -> anyhow::Result<String> {
        Ok(format!("http://{}", self.listener.local_addr()?))
    }

    /// Serves until Ctrl-C (or SIGTERM), then stops the node cleanly.
    pub async fn serve_until_shutdown(self) -> anyhow::Result<()> {
        let EmbeddedServer {
            node,
            listener,
            router,
        } = self;
        axum::serve(listener, router)
            .with_graceful_shutdown(shutdown_signal())
            .await
            .context("serving the API")?;
        node.shutdown().await.context("stopping the engine")?;
        Ok(())
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

//! `labelpulse run --embedded`: the embedded server, events only over HTTP.

use crate::config::ServerConfig;
use crate::server::EmbeddedServer;

/// Runs until Ctrl-C.
pub async fn run(config: ServerConfig) -> anyhow::Result<()> {
    let server = EmbeddedServer::start(&config).await?;
    let url = server.url()?;
    println!("LabelPulse (embedded) is up: {url}");
    println!("  send events:  POST {url}/api/v1/events (NDJSON or a JSON array)");
    println!("  index:        {url}/ (every project and its dashboards' links)");
    println!("  projects:     {url}/api/v1/projects");
    println!("  data dir:     {}", config.data_dir.display());
    server.serve_until_shutdown().await
}

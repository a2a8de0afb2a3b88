//! The `labelpulse` binary: parses the command line, resolves the
//! configuration and runs the chosen command. Errors end here, as `anyhow`.

mod cli;
mod config;
mod demo;
mod run;
mod server;
mod simulate;

use anyhow::bail;
use clap::Parser;
use tracing_subscriber::EnvFilter;

use crate::cli::{Cli, Command};
use crate::config::{DemoConfig, FileConfig, ServerConfig};

/// mimalloc: the hot path allocates many small strings; glibc malloc spent
/// a third of the apply loop's instructions.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let filter = EnvFilter::try_new(cli.log.as_deref().unwrap_or("info,labelpulse=info"))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let file = FileConfig::load(cli.config.as_deref())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match cli.command {
            Command::Demo(args) => {
                let config = DemoConfig::resolve(&args, &file, || {
                    std::env::temp_dir().join(format!("labelpulse-demo-{}", std::process::id()))
                });
                demo::run(config).await
            }
            Command::Run(args) => {
                if !args.embedded {
                    bail!("this version runs only embedded: use `labelpulse run --embedded --data-dir DIR`");
                }
                let config = ServerConfig::resolve(&args.server, &file, || "labelpulse-data".into());
                run::run(config).await
            }
            Command::Simulate(args) => simulate::run(args).await,
        }
    })
}

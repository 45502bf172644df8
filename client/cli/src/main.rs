//! `cpc`: the CPChain data plane on the command line. See `cpc --help` and docs/data-plane.md.

mod chain;
mod cli;
mod commands;
mod context;
mod fetch;
mod files;
mod ingest;
mod journal;
mod keystore;
mod proxy;
mod readings;
mod records;
mod upload;

use clap::Parser;

#[tokio::main]
async fn main() {
	let cli = cli::Cli::parse();
	let ctx = context::Context { global: cli.global };
	if let Err(error) = commands::run(&ctx, cli.command).await {
		// `{:#}` prints the whole chain of causes on one line.
		eprintln!("error: {error:#}");
		std::process::exit(1);
	}
}

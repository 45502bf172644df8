//! `cpc`: the CPChain data plane on the command line. See `cpc --help` and docs/data-plane.md.

mod cli;
mod commands;
mod context;

// The library's modules under their old paths, so that `crate::chain` and the like name them.
use cpchain_cli::{chain, fetch, files, ingest, keystore, proxy, readings, records};

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

//! `cpchain-node`: the CPChain node.
#![warn(missing_docs)]

#[cfg(feature = "benchmark-cli")]
mod benchmarking;
mod chain_spec;
mod cli;
mod command;
mod consensus;
mod rpc;
mod service;

fn main() {
	// Print errors for people (Display), not as a Rust debug dump, and exit non-zero.
	if let Err(error) = command::run() {
		eprintln!("Error: {error}");
		std::process::exit(1);
	}
}

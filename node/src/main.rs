//! `cpchain-node`: the CPChain node.
#![warn(missing_docs)]

mod benchmarking;
mod chain_spec;
mod cli;
mod command;
mod consensus;
mod rpc;
mod service;

fn main() -> sc_cli::Result<()> {
	command::run()
}

//! The subcommands' handlers: they parse what the user typed, call the library modules and
//! print the outcome.

mod access;
mod data;
mod dispute;
mod keys;
mod market;
mod registry;

use anyhow::Result;

use crate::{cli::Command, context::Context};

/// Runs one command.
pub async fn run(ctx: &Context, command: Command) -> Result<()> {
	match command {
		Command::Key(crate::cli::KeyCommand::Publish { account }) => {
			access::publish_keys(ctx, &account.account).await
		}
		Command::Key(c) => keys::run(ctx, c),
		Command::Device(c) => registry::device(ctx, c).await,
		Command::Stream(c) => registry::stream(ctx, c).await,
		Command::Ingest(a) => data::ingest(ctx, a).await,
		Command::Fetch(a) => data::fetch(ctx, a).await,
		Command::Verify(a) => data::verify(ctx, a).await,
		Command::Grant(a) => access::grant(ctx, a).await,
		Command::Revoke(a) => access::revoke(ctx, a).await,
		Command::Market(c) => market::run(ctx, c).await,
		Command::Proxy(c) => access::proxy(ctx, c).await,
	}
}

/// An account id as SS58.
pub fn address(account: &sp_core::crypto::AccountId32) -> String {
	use sp_core::crypto::Ss58Codec;
	account.to_ss58check()
}

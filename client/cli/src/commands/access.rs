//! `cpc grant`, `cpc revoke` and `cpc proxy`.

use anyhow::{anyhow, bail, Result};
use cpchain_crypto::wire;
use cpchain_primitives::{
	access::{ProxyView, ReencryptionKey},
	data::IntervalRange,
};
use rand_core::{OsRng, RngCore};
use serde_json::json;
use sp_core::crypto::AccountId32;

use super::address;
use crate::{
	chain::{parse_address, AccountSigner, Call},
	cli::{GrantArgs, ProxyCommand, RevokeArgs},
	context::Context,
	proxy::{published_keys, Delivery, LocalProxy, ProxyService},
	records,
};

/// `cpc key publish`: puts the account's Umbral keys on chain.
pub async fn publish_keys(ctx: &Context, name: &str) -> Result<()> {
	let account = ctx.account(name)?;
	let chain = ctx.chain().await?;
	let keys = published_keys(&account.umbral);
	let who = address(&account.account_id());
	if records::umbral_keys(&chain, &account.account_id()).await? == Some(keys) {
		ctx.emit(
			format!("{who} has published these Umbral keys already: nothing to do"),
			json!({ "account": who, "umbral_public": hex::encode(keys.public), "block": null }),
		);
		return Ok(());
	}
	let done = chain
		.submit(
			&AccountSigner(account.pair.clone()),
			&[Call::new("AccessControl", "set_umbral_keys", keys)],
		)
		.await?;
	ctx.emit(
		format!(
			"published the Umbral keys of {who} (umbral_public {}): grants can be made to and by it (block #{})",
			hex::encode(keys.public),
			done.block
		),
		json!({ "account": who, "umbral_public": hex::encode(keys.public), "block": done.block }),
	);
	Ok(())
}

pub async fn grant(ctx: &Context, args: GrantArgs) -> Result<()> {
	let grantee = parse_address(&args.grantee)?;
	let expected_key = args
		.grantee_key
		.as_deref()
		.map(|text| {
			hex::decode(text.trim_start_matches("0x"))
				.ok()
				.and_then(|b| wire::public_key_from_bytes(&b).ok())
				.map(|k| wire::public_key_to_bytes(&k))
				.ok_or_else(|| {
					anyhow!("--grantee-key is not an Umbral public key (66 hex digits; `cpc key show` prints it)")
				})
		})
		.transpose()?;
	let proxies = args.proxies.iter().map(|p| parse_address(p)).collect::<Result<Vec<_>>>()?;
	if args.threshold == 0 || usize::from(args.threshold) > proxies.len() {
		bail!("--threshold must be between 1 and the number of proxies ({})", proxies.len());
	}
	let account = ctx.account(&args.account.account)?;
	let chain = ctx.chain().await?;
	let stream = records::stream(&chain, args.stream).await?;
	if stream.owner != account.account_id() {
		bail!(
			"stream {} belongs to {}, not to {}",
			args.stream,
			address(&stream.owner),
			args.account.account
		);
	}
	for proxy in &proxies {
		let view: Option<ProxyView<u32>> =
			chain.runtime_api("AccessControlApi_proxy", proxy).await?;
		if view.is_none() {
			bail!("{} is not a registered proxy (see `cpc proxy register`)", address(proxy));
		}
	}
	// The grantee's key is the one it published on chain: the grant copies it, and proxies
	// accept only fragments made towards it.
	let published = records::umbral_keys(&chain, &grantee).await?.ok_or_else(|| {
		anyhow!(
			"{} has published no Umbral keys: the grantee runs `cpc key publish --account <name>` first",
			address(&grantee)
		)
	})?;
	if let Some(expected) = expected_key {
		if expected != published.public {
			bail!(
				"the grantee's Umbral key on chain ({}) is not the --grantee-key you were given ({}): ask the grantee which is theirs",
				hex::encode(published.public),
				hex::encode(expected)
			);
		}
	}
	let grantee_key = wire::public_key_from_bytes(&published.public)
		.map_err(|_| anyhow!("the grantee's published key is not an Umbral public key"))?;
	// The grantor's keys: published with the grant if the chain has none; keys that differ
	// from this key store's are not replaced silently (the uploads were wrapped under them).
	let mine = published_keys(&account.umbral);
	let mut calls = Vec::new();
	match records::umbral_keys(&chain, &account.account_id()).await? {
		None => calls.push(Call::new("AccessControl", "set_umbral_keys", mine)),
		Some(keys) if keys == mine => {},
		Some(keys) => bail!(
			"the Umbral keys {} published on chain ({}) are not this key store's ({}): was the stream's data encrypted under the published ones? `cpc key publish` replaces them",
			args.account.account,
			hex::encode(keys.public),
			hex::encode(mine.public)
		),
	}
	// Fragments first: a grant on chain whose proxies cannot serve would only cost a deposit.
	let fragments = account.umbral.grant(&grantee_key, args.threshold, proxies.len() as u8)?;
	let expires_at = chain.finalized_number().await?.saturating_add(u64::from(args.expires_in));
	let expires_at = u32::try_from(expires_at)
		.map_err(|_| anyhow!("--expires-in reaches past the chain's block numbers"))?;
	let intervals = IntervalRange { first: args.intervals.0, last: args.intervals.1 };
	let signer = AccountSigner(account.pair.clone());
	calls.push(Call::new(
		"AccessControl",
		"grant",
		(args.stream, &grantee, intervals, expires_at, &proxies, u32::from(args.threshold)),
	));
	let done = chain.submit(&signer, &calls).await?;
	let (id, ..): (u64, u64, AccountId32, AccountId32, IntervalRange, u32) =
		done.first("AccessControl", "GrantCreated")?;
	let storage = ctx.storage()?;
	for (proxy, fragment) in proxies.iter().zip(fragments) {
		let delivery = Delivery::signed(
			chain.genesis(),
			&account.pair,
			id,
			proxy,
			&wire::key_fragment_to_bytes(&fragment)?,
		);
		LocalProxy::new(&ctx.global.data_dir, proxy.clone(), &chain, &storage)
			.deliver(delivery)
			.await
			.map_err(|e| anyhow!("grant {id} is on chain, but proxy {} did not take its key fragment: {e:#}; revoke it with `cpc revoke --grant {id}`", address(proxy)))?;
	}
	ctx.emit(
		format!(
			"granted {} intervals {}..={} of stream {} until block {expires_at}: grant {id}, {} of {} proxies needed (block #{})",
			address(&grantee),
			intervals.first,
			intervals.last,
			args.stream,
			args.threshold,
			proxies.len(),
			done.block
		),
		json!({ "grant": id, "expires_at": expires_at, "block": done.block }),
	);
	Ok(())
}

pub async fn revoke(ctx: &Context, args: RevokeArgs) -> Result<()> {
	let account = ctx.account(&args.account.account)?;
	let chain = ctx.chain().await?;
	let done = chain
		.submit(&AccountSigner(account.pair), &[Call::new("AccessControl", "revoke", args.grant)])
		.await?;
	ctx.emit(
		format!(
			"revoked grant {}: its proxies re-encrypt nothing more for it (block #{})",
			args.grant, done.block
		),
		json!({ "grant": args.grant, "block": done.block }),
	);
	Ok(())
}

/// A libp2p `PeerId` for a new Ed25519 identity: the identity multihash of the protobuf
/// encoding of the public key (key type 1 = Ed25519, 32 bytes). The local proxy role does not
/// listen on libp2p yet; the proxy network will use this identity.
fn new_peer_id() -> Vec<u8> {
	let mut key = [0u8; 32];
	OsRng.fill_bytes(&mut key);
	let mut peer = vec![0x00, 36, 0x08, 0x01, 0x12, 0x20];
	peer.extend_from_slice(&key);
	peer
}

pub async fn proxy(ctx: &Context, command: ProxyCommand) -> Result<()> {
	match command {
		ProxyCommand::Register { account } => {
			let account = ctx.account(&account.account)?;
			let chain = ctx.chain().await?;
			let key: ReencryptionKey = wire::public_key_to_bytes(&account.umbral.public_key());
			let done = chain
				.submit(
					&AccountSigner(account.pair.clone()),
					&[Call::new("AccessControl", "register_proxy", (new_peer_id(), key))],
				)
				.await?;
			let who = address(&account.account_id());
			ctx.emit(
				format!(
					"{who} is a re-encryption proxy now, served from {} (block #{})",
					ctx.global.data_dir.display(),
					done.block
				),
				json!({ "proxy": who, "block": done.block }),
			);
		}
	}
	Ok(())
}

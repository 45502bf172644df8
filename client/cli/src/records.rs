//! The chain's view of devices, streams, records and grants, in the runtime's own types, and
//! the calls that change them.

use anyhow::{anyhow, Result};
use cpchain_primitives::{
	access::{GrantId, GrantKeys, GrantView, UmbralKeys},
	data::{DeviceView, RecordView, StreamView},
};
use sp_core::crypto::AccountId32;

use crate::chain::Chain;

/// The runtime's block number.
pub type BlockNumber = u32;
/// A record as the runtime API shows it.
pub type Record = RecordView<BlockNumber>;
/// A stream as the runtime API shows it.
pub type Stream = StreamView<AccountId32>;
/// A device as the runtime API shows it.
pub type Device = DeviceView<AccountId32, BlockNumber>;
/// A grant as the runtime API shows it.
pub type Grant = GrantView<AccountId32, BlockNumber>;

/// The argument of `DataRegistry.append_record`, with the CID unbounded (it encodes as the
/// runtime's bounded one); `hash` computes the record's hash as the runtime does.
pub type NewRecord = cpchain_primitives::data::NewRecord<Vec<u8>>;

/// How many records one `records` query asks for (the runtime caps pages too).
const PAGE: u32 = 64;

/// A stream, or an error naming it.
pub async fn stream(chain: &Chain, id: u64) -> Result<Stream> {
	let s: Option<Stream> = chain.runtime_api("DataRegistryApi_stream", id).await?;
	s.ok_or_else(|| anyhow!("stream {id} does not exist on this chain"))
}

/// A device, or an error naming it.
pub async fn device(chain: &Chain, id: u64) -> Result<Device> {
	let d: Option<Device> = chain.runtime_api("DataRegistryApi_device", id).await?;
	d.ok_or_else(|| anyhow!("device {id} does not exist on this chain"))
}

/// The stored records of a stream, in order, calling `progress` after each page.
pub async fn records(chain: &Chain, stream: &Stream, id: u64) -> Result<Vec<Record>> {
	let mut out = Vec::new();
	let mut from = stream.first_record;
	while from < stream.next_record {
		let page: Vec<Record> =
			chain.runtime_api("DataRegistryApi_records", (id, from, PAGE)).await?;
		let Some(last) = page.last() else { break };
		from = last.index.saturating_add(1);
		out.extend(page);
	}
	Ok(out)
}

/// The grants held by `grantee`.
pub async fn grants_of(chain: &Chain, grantee: &AccountId32) -> Result<Vec<Grant>> {
	chain.runtime_api("AccessControlApi_grants_of", grantee).await
}

/// The Umbral keys `account` published on chain, if any.
pub async fn umbral_keys(chain: &Chain, account: &AccountId32) -> Result<Option<UmbralKeys>> {
	chain.runtime_api("AccessControlApi_umbral_keys", account).await
}

/// The keys grant `id` was made with, if the chain has them.
pub async fn grant_keys(chain: &Chain, id: GrantId) -> Result<Option<GrantKeys>> {
	chain.runtime_api("AccessControlApi_grant_keys", id).await
}

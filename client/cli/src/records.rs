//! The chain's view of devices, streams, records and grants, in the runtime's own types, and
//! the calls that change them.

use anyhow::{anyhow, Result};
use codec::{Decode, Encode};
use cpchain_primitives::{
	access::GrantView,
	data::{DeviceView, IntervalRange, RecordPreimage, RecordView, StreamView},
};
use sp_core::{crypto::AccountId32, H256};

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

/// The argument of `DataRegistry.append_record` (the pallet's `NewRecord`; a bounded vector
/// encodes as a vector).
#[derive(Encode, Decode, Clone, Debug, PartialEq, Eq)]
pub struct NewRecord {
	/// IPFS CID of the upload.
	pub cid: Vec<u8>,
	/// BLAKE2-256 of the upload.
	pub content_hash: H256,
	/// Merkle root over the upload's sealed blocks.
	pub merkle_root: H256,
	/// Size of the upload.
	pub size: u64,
	/// The intervals the upload covers.
	pub intervals: IntervalRange,
	/// Device time of the upload's last reading.
	pub timestamp_ms: u64,
	/// Hash of the stream's previous record.
	pub prev: H256,
}

impl NewRecord {
	/// The record's hash as record `index` of `stream`: the hash-chain link, computed as the
	/// runtime computes it.
	pub fn hash(&self, stream: u64, index: u64) -> H256 {
		RecordPreimage {
			stream,
			index,
			cid: &self.cid,
			content_hash: self.content_hash,
			merkle_root: self.merkle_root,
			size: self.size,
			intervals: self.intervals,
			timestamp_ms: self.timestamp_ms,
			prev: self.prev,
		}
		.hash()
	}
}

impl From<&Record> for NewRecord {
	fn from(r: &Record) -> Self {
		Self {
			cid: r.cid.clone(),
			content_hash: r.content_hash,
			merkle_root: r.merkle_root,
			size: r.size,
			intervals: r.intervals,
			timestamp_ms: r.timestamp_ms,
			prev: r.prev,
		}
	}
}

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

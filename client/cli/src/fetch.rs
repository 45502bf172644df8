//! `cpc fetch` and `cpc verify`: download uploads, check them against the chain, decrypt.
//!
//! Every upload is checked before use: its bytes must hash to the record's content hash and
//! have its size, name its stream and record, and its sealed blocks must give the record's
//! Merkle root (see [`crate::upload`]). The owner opens interval keys with its own Umbral key;
//! a grantee asks the grant's proxies for capsule fragments, verifies each and opens the key
//! with `threshold` of them. Decrypted blocks must continue the hash chain.

use std::collections::BTreeMap;

use anyhow::{anyhow, bail, Context, Result};
use cpchain_crypto::{
	block::{verify_chain, DataBlock},
	cipher::IntervalKey,
	keys::OwnerKeys,
	wire,
};
use cpchain_primitives::data::{is_cid_string, MAX_CID_LEN};
use cpchain_storage::{Storage, StorageError};
use sp_core::{crypto::AccountId32, H256};

use crate::{
	chain::Chain,
	keystore::Account,
	proxy::{LocalProxy, ProxyService, Request},
	records::{self, Grant, Record, Stream},
	upload::{open_block, Expected, Upload},
};

/// The largest upload `cpc` reads (256 MiB): a record registers its upload's size on chain,
/// and an upload must be held in memory to be checked, so a record that registers more is
/// refused before anything is downloaded. `cpc ingest` writes uploads of one upload interval
/// of readings, far below this.
pub const MAX_UPLOAD_BYTES: u64 = 256 << 20;

/// Fetches and checks the upload of `record`. At most the record's registered size is read
/// from storage: an object behind the CID that is larger is refused as soon as it shows.
pub async fn upload<S: Storage>(storage: &S, stream: u64, record: &Record) -> Result<Upload> {
	// The chain accepts only such CIDs; a node that serves another one is lying, and the CID
	// would go into an IPFS request as is.
	if !is_cid_string(&record.cid) {
		bail!(
			"record {} has a CID that is not 1 to {MAX_CID_LEN} letters and digits: {:?}",
			record.index,
			String::from_utf8_lossy(&record.cid)
		);
	}
	let cid = String::from_utf8(record.cid.clone())
		.map_err(|_| anyhow!("record {} has a CID that is not text", record.index))?;
	if record.size > MAX_UPLOAD_BYTES {
		bail!(
			"record {} registers an upload of {} bytes, more than cpc reads ({MAX_UPLOAD_BYTES})",
			record.index,
			record.size
		);
	}
	let bytes = storage
		.get(&cid, record.size)
		.await
		.with_context(|| format!("record {}: cannot get {cid} from IPFS", record.index))?;
	let expected = Expected {
		stream,
		record: record.index,
		content_hash: record.content_hash.0,
		size: record.size,
		merkle_root: record.merkle_root.0,
		first_interval: record.intervals.first,
		last_interval: record.intervals.last,
	};
	Upload::from_registered_bytes(&bytes, &expected)
		.map_err(|e| anyhow!("record {} ({cid}): {e}", record.index))
}

/// Checks a record's own hash and its link to the previous one.
pub fn check_record(stream: u64, record: &Record, prev: Option<H256>) -> Result<()> {
	let hash = record.as_new_record().hash(stream, record.index);
	if hash != record.hash {
		bail!("record {}: its fields do not hash to its registered hash", record.index);
	}
	if let Some(prev) = prev {
		if record.prev != prev {
			bail!(
				"record {}: does not link to record {}",
				record.index,
				record.index.saturating_sub(1)
			);
		}
	}
	Ok(())
}

/// One checked record, for `cpc verify`.
#[derive(serde::Serialize)]
pub struct Checked {
	/// The record index.
	pub record: u64,
	/// Its CID.
	pub cid: String,
	/// `None` when it checks out, else what is wrong.
	pub error: Option<String>,
}

/// Verifies every stored record of a stream: the record hash chain, and each upload against
/// its record. Returns one entry per record.
pub async fn verify<S: Storage>(
	chain: &Chain,
	storage: &S,
	id: u64,
	progress: &dyn Fn(u64, u64),
) -> Result<(Stream, Vec<Checked>)> {
	let stream = records::stream(chain, id).await?;
	let all = records::records(chain, &stream, id).await?;
	let mut out = Vec::with_capacity(all.len());
	let mut prev = (stream.first_record == 0).then_some(H256::zero());
	for (i, record) in all.iter().enumerate() {
		let mut error = check_record(id, record, prev).err().map(|e| e.to_string());
		if error.is_none() {
			if let Err(e) = upload(storage, id, record).await {
				// A daemon that does not answer says nothing about the records: stop.
				if e.chain().any(|c| {
					matches!(
						c.downcast_ref::<StorageError>(),
						Some(StorageError::Unreachable { .. })
					)
				}) {
					return Err(e);
				}
				error = Some(format!("{e:#}"));
			}
		}
		out.push(Checked {
			record: record.index,
			cid: String::from_utf8_lossy(&record.cid).into_owned(),
			error,
		});
		prev = Some(record.hash);
		progress(i as u64 + 1, all.len() as u64);
	}
	if let Some(last) = all.last() {
		if last.hash != stream.last_record_hash {
			bail!("the stream's last record hash is not the hash of its last record");
		}
	}
	Ok((stream, out))
}

/// How the reader gets interval keys.
enum Role<'a> {
	Owner(&'a OwnerKeys),
	Grantee { account: &'a Account, grants: Vec<Grant> },
}

/// What a fetch produced.
#[derive(Debug, Default, serde::Serialize)]
pub struct Fetched {
	/// Whether the reader is the owner or a grantee.
	pub role: &'static str,
	/// The intervals read.
	pub intervals: (u64, u64),
	/// Records downloaded.
	pub records: u64,
	/// Blocks decrypted.
	pub blocks: u64,
	/// Bytes of readings written.
	pub bytes: u64,
}

/// Fetches intervals `first..=last` of stream `id` as `account`, writing the readings (JSON
/// lines, in order) to `out`.
pub async fn fetch<S: Storage>(
	chain: &Chain,
	storage: &S,
	data_dir: &std::path::Path,
	account: &Account,
	id: u64,
	range: Option<(u64, u64)>,
	out: &mut dyn std::io::Write,
	progress: &dyn Fn(u64, u64),
) -> Result<Fetched> {
	let stream = records::stream(chain, id).await?;
	if stream.next_interval == 0 {
		bail!("stream {id} has no data yet");
	}
	let (first, last) = range.unwrap_or((0, stream.next_interval - 1));
	if last >= stream.next_interval {
		bail!(
			"stream {id} has intervals 0..={} so far; {last} is not there yet",
			stream.next_interval - 1
		);
	}
	let me = account.account_id();
	let role = if stream.owner == me {
		Role::Owner(&account.umbral)
	} else {
		let finalized = chain.finalized_number().await?;
		let grants: Vec<Grant> = records::grants_of(chain, &me)
			.await?
			.into_iter()
			.filter(|g| g.stream == id && u64::from(g.expires_at) > finalized)
			.collect();
		if let Some(missing) =
			(first..=last).find(|i| !grants.iter().any(|g| g.intervals.contains(*i)))
		{
			let held: Vec<String> = grants
				.iter()
				.map(|g| format!("{}..={}", g.intervals.first, g.intervals.last))
				.collect();
			bail!(
				"no grant of yours covers interval {missing} of stream {id} (your grants on it cover: {}); ask the owner for a grant",
				if held.is_empty() { "nothing".to_owned() } else { held.join(", ") }
			);
		}
		Role::Grantee { account, grants }
	};
	let wanted: Vec<Record> = records::records(chain, &stream, id)
		.await?
		.into_iter()
		.filter(|r| r.intervals.first <= last && r.intervals.last >= first)
		.collect();
	let e = stream.params.encryption_interval;
	let mut keys: BTreeMap<u64, IntervalKey> = BTreeMap::new();
	let mut blocks: Vec<DataBlock> = Vec::new();
	let mut fetched = Fetched {
		role: if matches!(role, Role::Owner(_)) { "owner" } else { "grantee" },
		intervals: (first, last),
		..Default::default()
	};
	for (i, record) in wanted.iter().enumerate() {
		let upload = upload(storage, id, record).await?;
		for sealed in upload.blocks.iter().filter(|b| (first..=last).contains(&b.interval)) {
			let key = match keys.get(&sealed.interval) {
				Some(k) => k,
				None => {
					let k = interval_key(
						chain,
						storage,
						data_dir,
						&role,
						(id, record.index),
						&upload,
						sealed.interval,
					)
					.await?;
					keys.entry(sealed.interval).or_insert(k)
				}
			};
			let block = open_block(key, id, sealed).map_err(|_| {
				anyhow!(
					"record {}: block {} does not decrypt (altered or misplaced)",
					record.index,
					sealed.index
				)
			})?;
			blocks.push(block);
		}
		fetched.records += 1;
		progress(i as u64 + 1, wanted.len() as u64);
	}
	if let Some(head) = blocks.first() {
		verify_chain(&blocks, head.prev, e)
			.map_err(|err| anyhow!("the decrypted blocks do not form a hash chain: {err}"))?;
		if head.index == 0 && head.prev != [0; 32] {
			bail!("the stream's first block does not start the hash chain");
		}
	}
	for block in &blocks {
		out.write_all(&block.payload)?;
		fetched.bytes += block.payload.len() as u64;
	}
	out.flush()?;
	fetched.blocks = blocks.len() as u64;
	Ok(fetched)
}

/// The key of `interval`, from the upload of record `at.1` of stream `at.0`: unwrapped by the
/// owner, or opened by a grantee with capsule fragments from the grant's proxies (who take
/// the capsule from the same upload, as the chain registered it, never from the request).
async fn interval_key<S: Storage>(
	chain: &Chain,
	storage: &S,
	data_dir: &std::path::Path,
	role: &Role<'_>,
	at: (u64, u64),
	upload: &Upload,
	interval: u64,
) -> Result<IntervalKey> {
	let (stream, record) = at;
	let wrapped = upload
		.key(interval)
		.ok_or_else(|| anyhow!("the upload has no key for interval {interval}"))?;
	match role {
		Role::Owner(owner) => owner.unwrap(&wrapped.wrapped()?).map_err(|_| {
			anyhow!("interval {interval}: the key does not open with this account's Umbral key")
		}),
		Role::Grantee { account, grants } => {
			let grant = grants
				.iter()
				.find(|g| g.intervals.contains(interval))
				.ok_or_else(|| anyhow!("no grant covers interval {interval}"))?;
			// The keys the chain copied into the grant, never the upload's: capsule
			// fragments must come from the grantor's keys towards this account's key.
			let keys = records::grant_keys(chain, grant.id).await?.ok_or_else(|| {
				anyhow!("grant {} holds no Umbral keys on chain (made before runtime 105): ask the owner for a new grant", grant.id)
			})?;
			let mine = wire::public_key_to_bytes(&account.umbral.public_key());
			if keys.grantee != mine {
				bail!(
					"grant {} was made for Umbral key {}, not for this account's {} (another key store of this account?)",
					grant.id,
					hex::encode(keys.grantee),
					hex::encode(mine)
				);
			}
			let mut fragments = Vec::new();
			let mut refusals = Vec::new();
			for proxy in &grant.proxies {
				if fragments.len() >= grant.threshold as usize {
					break;
				}
				let request = Request::signed(
					chain.genesis(),
					&account.pair,
					grant.id,
					stream,
					record,
					interval,
				);
				let service = LocalProxy::new(data_dir, proxy.clone(), chain, storage);
				match service.reencrypt(&request).await {
					Ok(bytes) => fragments.push(wire::capsule_fragment_from_bytes(&bytes)?),
					Err(e) => refusals.push(format!("{}: {e:#}", short(proxy))),
				}
			}
			if fragments.len() < grant.threshold as usize {
				bail!(
					"interval {interval}: {} of the {} capsule fragments needed (grant {}); proxies said: {}",
					fragments.len(),
					grant.threshold,
					grant.id,
					refusals.join("; ")
				);
			}
			let owner = wire::public_key_from_bytes(&keys.grantor.public)?;
			let verifying = wire::public_key_from_bytes(&keys.grantor.verifying)?;
			account
				.umbral
				.grantee()
				.open(&wrapped.wrapped()?, fragments, &verifying, &owner)
				.map_err(|e| {
					anyhow!("interval {interval}: the capsule fragments do not open the key: {e}")
				})
		}
	}
}

fn short(account: &AccountId32) -> String {
	use sp_core::crypto::Ss58Codec;
	account.to_ss58check()
}

#[cfg(test)]
mod tests {
	use std::sync::Mutex;

	use cpchain_primitives::data::IntervalRange;

	use super::*;

	/// Storage that serves `object` for every CID and remembers the limits it was asked for.
	struct Serving {
		object: Vec<u8>,
		asked: Mutex<Vec<u64>>,
	}

	impl Storage for Serving {
		async fn put(&self, _: Vec<u8>) -> Result<String, StorageError> {
			unreachable!("fetch never stores")
		}
		async fn get(&self, cid: &str, max_len: u64) -> Result<Vec<u8>, StorageError> {
			self.asked.lock().expect("not poisoned").push(max_len);
			if self.object.len() as u64 > max_len {
				return Err(StorageError::TooLarge { cid: cid.to_owned(), limit: max_len });
			}
			Ok(self.object.clone())
		}
		async fn pin(&self, _: &str) -> Result<(), StorageError> {
			Ok(())
		}
		async fn has(&self, _: &str) -> Result<bool, StorageError> {
			Ok(true)
		}
	}

	fn record(size: u64) -> Record {
		Record {
			index: 4,
			cid: b"bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy".to_vec(),
			content_hash: H256::zero(),
			merkle_root: H256::zero(),
			size,
			intervals: IntervalRange { first: 0, last: 0 },
			timestamp_ms: 0,
			prev: H256::zero(),
			hash: H256::zero(),
			device_signed: false,
			registered_at: 1,
		}
	}

	#[tokio::test]
	async fn reads_at_most_the_registered_size() {
		let storage = Serving { object: vec![0; 100], asked: Mutex::new(Vec::new()) };
		let error = upload(&storage, 0, &record(99)).await.expect_err("larger than registered");
		assert!(
			matches!(
				error.root_cause().downcast_ref::<StorageError>(),
				Some(StorageError::TooLarge { limit: 99, .. })
			),
			"{error:#}"
		);
		assert_eq!(*storage.asked.lock().expect("not poisoned"), vec![99]);
	}

	#[tokio::test]
	async fn a_cid_the_chain_would_refuse_is_refused_before_any_request() {
		let storage = Serving { object: vec![0; 10], asked: Mutex::new(Vec::new()) };
		for cid in [&b"bafy&arg=QmOther"[..], b"../../api/v0/shutdown", b"", &[b'a'; 129][..]] {
			let mut record = record(10);
			record.cid = cid.to_vec();
			let error = upload(&storage, 0, &record).await.expect_err("refused");
			assert!(format!("{error:#}").contains("letters and digits"), "{error:#}");
		}
		assert!(storage.asked.lock().expect("not poisoned").is_empty(), "nothing was asked");
	}

	#[tokio::test]
	async fn a_record_registering_a_huge_upload_is_refused_before_any_read() {
		let storage = Serving { object: Vec::new(), asked: Mutex::new(Vec::new()) };
		let error = upload(&storage, 0, &record(MAX_UPLOAD_BYTES + 1)).await.expect_err("refused");
		assert!(format!("{error:#}").contains("more than cpc reads"), "{error:#}");
		assert!(storage.asked.lock().expect("not poisoned").is_empty(), "nothing was read");
	}
}

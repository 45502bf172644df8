//! Re-encryption proxies, as the owner and the grantee see them.
//!
//! [`ProxyService`] is what a proxy offers: it accepts the owner's key fragment of a grant and
//! re-encrypts capsules for the grantee while the chain authorises it. The proxy network (a
//! later component) will implement it over libp2p; [`LocalProxy`] implements it here, for
//! proxy accounts whose role runs from this data directory. Both follow the same rules:
//!
//! - a key fragment is accepted only if it verifies: made by the owner's Umbral keys towards
//!   the grant's grantee;
//! - a request must be signed by the grantee's account over a domain-separated payload bound
//!   to the chain (genesis), the grant, the stream, the record and the interval;
//! - before every re-encryption the proxy asks the chain: the grant must exist, name this proxy
//!   and the requester, cover the interval, and `AccessControlApi::is_authorized` must say yes.
//!   A revoked or expired grant gets no fragment, whatever the proxy holds on disk;
//! - the capsule is never the requester's: the proxy reads the record from the chain (it must
//!   cover the interval), fetches the record's upload from storage, checks it against the
//!   record (size, content hash, stream and index, Merkle root; see [`crate::upload`]) and
//!   re-encrypts the capsule the upload holds for that interval. Every interval key of an
//!   owner is wrapped under the owner's one Umbral key and uploads are public, so a proxy that
//!   re-encrypted a capsule the request carried would open any interval of any of the owner's
//!   streams to the holder of any grant (docs/data-plane.md, "Trust model").

use std::path::PathBuf;

use anyhow::{anyhow, bail, Context, Result};
use codec::Encode;
use cpchain_crypto::{keys::ProxyShare, wire};
use cpchain_primitives::access::GrantId;
use serde::{Deserialize, Serialize};
use sp_core::{crypto::AccountId32, sr25519, Pair};

use cpchain_storage::Storage;

use crate::{
	chain::Chain,
	files::{create_private_dir, write_atomically},
	records::{Grant, Record},
};

/// Domain tag of a grantee's re-encryption request (v2: names the record, carries no capsule).
pub const REQUEST_DOMAIN: &[u8] = b"cpchain/reencryption-request/v2";

/// A grantee's request for a capsule fragment.
pub struct Request {
	/// The grant it reads under.
	pub grant: GrantId,
	/// The grantee's account.
	pub grantee: AccountId32,
	/// The stream.
	pub stream: u64,
	/// The record whose upload holds the interval's wrapped key.
	pub record: u64,
	/// The interval whose key is asked for.
	pub interval: u64,
	/// The grantee's signature over [`Request::payload`].
	pub signature: sr25519::Signature,
}

impl Request {
	/// The message the grantee signs.
	pub fn payload(
		genesis: [u8; 32],
		grant: GrantId,
		stream: u64,
		record: u64,
		interval: u64,
	) -> Vec<u8> {
		(REQUEST_DOMAIN, genesis, grant, stream, record, interval).encode()
	}

	/// A request signed by the grantee.
	pub fn signed(
		genesis: [u8; 32],
		grantee: &sr25519::Pair,
		grant: GrantId,
		stream: u64,
		record: u64,
		interval: u64,
	) -> Self {
		let signature = grantee.sign(&Self::payload(genesis, grant, stream, record, interval));
		Self { grant, grantee: grantee.public().into(), stream, record, interval, signature }
	}
}

/// A key fragment for a proxy, with the keys it verifies against.
#[derive(Clone, Serialize, Deserialize)]
pub struct Delivery {
	/// The grant.
	pub grant: GrantId,
	/// The owner's Umbral public key, hex.
	pub owner_key: String,
	/// The owner's Umbral verifying key, hex.
	pub owner_verifying_key: String,
	/// The grantee's Umbral public key, hex.
	pub grantee_key: String,
	/// The key fragment (umbral-pre serialisation), hex.
	pub fragment: String,
}

/// What a re-encryption proxy offers.
#[allow(async_fn_in_trait)]
pub trait ProxyService {
	/// Takes the proxy's key fragment of a grant.
	async fn deliver(&self, delivery: Delivery) -> Result<()>;
	/// A capsule fragment for the request (umbral-pre serialisation), if the chain authorises
	/// it now.
	async fn reencrypt(&self, request: &Request) -> Result<Vec<u8>>;
}

/// What a proxy asks the chain before it re-encrypts.
#[allow(async_fn_in_trait)]
pub trait AccessQueries {
	/// The chain's genesis hash (requests are bound to it).
	fn genesis(&self) -> [u8; 32];
	/// A grant, or `None` when it does not exist (never made, revoked or removed).
	async fn grant(&self, id: GrantId) -> Result<Option<Grant>>;
	/// `AccessControlApi::is_authorized` now.
	async fn is_authorized(
		&self,
		grantee: &AccountId32,
		stream: u64,
		interval: u64,
	) -> Result<bool>;
	/// Record `index` of `stream`, or `None` when it does not exist (never appended, or pruned).
	async fn record(&self, stream: u64, index: u64) -> Result<Option<Record>>;
}

impl AccessQueries for Chain {
	fn genesis(&self) -> [u8; 32] {
		Chain::genesis(self)
	}

	async fn grant(&self, id: GrantId) -> Result<Option<Grant>> {
		self.runtime_api("AccessControlApi_grant", id).await
	}

	async fn is_authorized(
		&self,
		grantee: &AccountId32,
		stream: u64,
		interval: u64,
	) -> Result<bool> {
		self.runtime_api("AccessControlApi_is_authorized", (grantee, stream, interval)).await
	}

	async fn record(&self, stream: u64, index: u64) -> Result<Option<Record>> {
		let page: Vec<Record> =
			self.runtime_api("DataRegistryApi_records", (stream, index, 1u32)).await?;
		Ok(page.into_iter().next().filter(|r| r.index == index))
	}
}

/// The proxy role of one proxy account, run from this data directory: fragments are kept in
/// `<data-dir>/proxy/<address>/grant-<id>.json`; uploads are read from `storage`.
pub struct LocalProxy<'a, Q, S> {
	account: AccountId32,
	dir: PathBuf,
	chain: &'a Q,
	storage: &'a S,
}

fn key(hex_text: &str) -> Result<umbral_pre::PublicKey> {
	let bytes =
		hex::decode(hex_text.trim_start_matches("0x")).map_err(|_| anyhow!("bad key hex"))?;
	wire::public_key_from_bytes(&bytes).map_err(|_| anyhow!("not an Umbral public key"))
}

fn share(delivery: &Delivery) -> Result<ProxyShare> {
	let fragment = wire::key_fragment_from_bytes(
		&hex::decode(&delivery.fragment).map_err(|_| anyhow!("bad fragment hex"))?,
	)?;
	ProxyShare::accept(
		fragment,
		&key(&delivery.owner_verifying_key)?,
		&key(&delivery.owner_key)?,
		&key(&delivery.grantee_key)?,
	)
	.map_err(|_| {
		anyhow!(
			"the key fragment of grant {} does not verify against the owner's and grantee's keys",
			delivery.grant
		)
	})
}

impl<'a, Q: AccessQueries, S: Storage> LocalProxy<'a, Q, S> {
	/// The role of proxy `account` under `data_dir`, reading uploads from `storage`.
	pub fn new(
		data_dir: &std::path::Path,
		account: AccountId32,
		chain: &'a Q,
		storage: &'a S,
	) -> Self {
		use sp_core::crypto::Ss58Codec;
		let dir = data_dir.join("proxy").join(account.to_ss58check());
		Self { account, dir, chain, storage }
	}

	fn path(&self, grant: GrantId) -> PathBuf {
		self.dir.join(format!("grant-{grant}.json"))
	}
}

impl<Q: AccessQueries, S: Storage> ProxyService for LocalProxy<'_, Q, S> {
	async fn deliver(&self, delivery: Delivery) -> Result<()> {
		share(&delivery)?;
		create_private_dir(&self.dir)?;
		write_atomically(&self.path(delivery.grant), &serde_json::to_vec_pretty(&delivery)?)
	}

	async fn reencrypt(&self, request: &Request) -> Result<Vec<u8>> {
		let payload = Request::payload(
			self.chain.genesis(),
			request.grant,
			request.stream,
			request.record,
			request.interval,
		);
		let grantee = sr25519::Public::from_raw(*request.grantee.as_ref());
		if !sr25519::Pair::verify(&request.signature, &payload, &grantee) {
			bail!("the request is not signed by the grantee");
		}
		let grant = self.chain.grant(request.grant).await?.ok_or_else(|| {
			anyhow!("grant {} does not exist (revoked or removed): no fragment", request.grant)
		})?;
		if grant.grantee != request.grantee || grant.stream != request.stream {
			bail!("grant {} is not for this grantee and stream", request.grant);
		}
		if !grant.proxies.contains(&self.account) {
			bail!("grant {} does not name this proxy", request.grant);
		}
		if !grant.intervals.contains(request.interval) {
			bail!("grant {} does not cover interval {}", request.grant, request.interval);
		}
		let authorized =
			self.chain.is_authorized(&request.grantee, request.stream, request.interval).await?;
		if !authorized {
			bail!("the chain does not authorise interval {} of stream {} now (expired, or the stream changed owner): no fragment", request.interval, request.stream);
		}
		let delivery: Delivery = match std::fs::read(self.path(request.grant)) {
			Ok(bytes) => serde_json::from_slice(&bytes).context("damaged key fragment file")?,
			Err(_) => bail!("this proxy holds no key fragment for grant {}", request.grant),
		};
		// The capsule of the interval, from the record's upload as the chain registered it.
		let record =
			self.chain.record(request.stream, request.record).await?.ok_or_else(|| {
				anyhow!("stream {} has no record {}", request.stream, request.record)
			})?;
		if !record.intervals.contains(request.interval) {
			bail!("record {} does not cover interval {}", request.record, request.interval);
		}
		let upload = crate::fetch::upload(self.storage, request.stream, &record).await?;
		let wrapped = upload
			.key(request.interval)
			.ok_or_else(|| {
				anyhow!(
					"record {} has no key for interval {} (no data in it)",
					request.record,
					request.interval
				)
			})?
			.wrapped()
			.map_err(|_| anyhow!("record {}: a wrapped key does not decode", request.record))?;
		let fragment = share(&delivery)?.reencrypt(&wrapped.capsule);
		Ok(wire::capsule_fragment_to_bytes(&fragment)?)
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use cpchain_crypto::{cipher::IntervalKey, hash::blake2_256, keys::OwnerKeys};
	use cpchain_primitives::data::IntervalRange;
	use cpchain_storage::StorageError;
	use sp_core::H256;
	use std::{cell::RefCell, collections::BTreeMap};

	use crate::upload::{SealedBlock, Upload, WrappedIntervalKey, MAGIC, VERSION};

	/// The chain as a proxy sees it: one grant and the records of two streams, which tests
	/// change.
	struct FakeChain {
		grant: RefCell<Option<Grant>>,
		authorized: RefCell<bool>,
		records: BTreeMap<(u64, u64), Record>,
	}

	impl AccessQueries for FakeChain {
		fn genesis(&self) -> [u8; 32] {
			[7; 32]
		}

		async fn grant(&self, id: GrantId) -> Result<Option<Grant>> {
			Ok(self.grant.borrow().clone().filter(|g| g.id == id))
		}

		async fn is_authorized(
			&self,
			grantee: &AccountId32,
			stream: u64,
			interval: u64,
		) -> Result<bool> {
			let covered = self.grant.borrow().as_ref().is_some_and(|g| {
				&g.grantee == grantee && g.stream == stream && g.intervals.contains(interval)
			});
			Ok(covered && *self.authorized.borrow())
		}

		async fn record(&self, stream: u64, index: u64) -> Result<Option<Record>> {
			Ok(self.records.get(&(stream, index)).cloned())
		}
	}

	/// IPFS as a map from CID to bytes.
	struct FakeStorage(std::sync::Mutex<BTreeMap<String, Vec<u8>>>);

	impl Storage for FakeStorage {
		async fn put(&self, _: Vec<u8>) -> Result<String, StorageError> {
			unreachable!("a proxy never stores")
		}
		async fn get(&self, cid: &str, max_len: u64) -> Result<Vec<u8>, StorageError> {
			let bytes =
				self.0.lock().expect("not poisoned").get(cid).cloned().ok_or_else(|| {
					StorageError::NotFound {
						cid: cid.to_owned(),
						timeout: std::time::Duration::ZERO,
					}
				})?;
			if bytes.len() as u64 > max_len {
				return Err(StorageError::TooLarge { cid: cid.to_owned(), limit: max_len });
			}
			Ok(bytes)
		}
		async fn pin(&self, _: &str) -> Result<(), StorageError> {
			Ok(())
		}
		async fn has(&self, _: &str) -> Result<bool, StorageError> {
			Ok(true)
		}
	}

	struct World {
		chain: FakeChain,
		storage: FakeStorage,
		dir: tempfile::TempDir,
		proxy: AccountId32,
		grantee: sr25519::Pair,
		owner: OwnerKeys,
		grantee_keys: OwnerKeys,
		/// The interval keys of stream 1 (intervals 3 to 7) and stream 2 (interval 4).
		keys: BTreeMap<(u64, u64), IntervalKey>,
	}

	/// An upload of `stream`, record `index`, with one block and one wrapped key per interval,
	/// stored in `storage` and registered as a record in `records`.
	fn register(
		owner: &OwnerKeys,
		stream: u64,
		index: u64,
		intervals: (u64, u64),
		keys: &mut BTreeMap<(u64, u64), IntervalKey>,
		storage: &FakeStorage,
		records: &mut BTreeMap<(u64, u64), Record>,
	) {
		let mut wrapped = Vec::new();
		let mut blocks = Vec::new();
		for (n, interval) in (intervals.0..=intervals.1).enumerate() {
			let key = IntervalKey::generate();
			wrapped.push(
				WrappedIntervalKey::new(interval, &owner.wrap(&key).expect("wraps")).expect("ok"),
			);
			keys.insert((stream, interval), key);
			// The proxy never decrypts blocks: any sealed bytes do.
			blocks.push(SealedBlock {
				index: index * 10 + n as u64,
				interval,
				sealed: vec![1; 40],
			});
		}
		let upload = Upload {
			magic: MAGIC,
			version: VERSION,
			stream,
			record: index,
			owner_key: wire::public_key_to_bytes(&owner.public_key()),
			owner_verifying_key: wire::public_key_to_bytes(&owner.verifying_key()),
			keys: wrapped,
			blocks,
		};
		let bytes = upload.to_bytes();
		let cid = format!("bafy-{stream}-{index}");
		records.insert(
			(stream, index),
			Record {
				index,
				cid: cid.clone().into_bytes(),
				content_hash: H256(blake2_256(&[&bytes])),
				merkle_root: H256(upload.merkle_root().expect("has blocks")),
				size: bytes.len() as u64,
				intervals: IntervalRange { first: intervals.0, last: intervals.1 },
				timestamp_ms: 0,
				prev: H256::zero(),
				hash: H256::zero(),
				device_signed: false,
				registered_at: 1,
			},
		);
		storage.0.lock().expect("not poisoned").insert(cid, bytes);
	}

	/// Stream 1 has record 0 over intervals 3..=4 and record 1 over 5..=7; stream 2 (the same
	/// owner's) record 0 over 4..=4. The grant: stream 1, intervals 3..=5.
	fn world() -> World {
		let proxy: AccountId32 =
			sr25519::Pair::from_string("//proxy", None).expect("valid").public().into();
		let grantee = sr25519::Pair::from_string("//grantee", None).expect("valid");
		let owner = OwnerKeys::generate();
		let storage = FakeStorage(std::sync::Mutex::new(BTreeMap::new()));
		let (mut keys, mut records) = (BTreeMap::new(), BTreeMap::new());
		register(&owner, 1, 0, (3, 4), &mut keys, &storage, &mut records);
		register(&owner, 1, 1, (5, 7), &mut keys, &storage, &mut records);
		register(&owner, 2, 0, (4, 4), &mut keys, &storage, &mut records);
		let grant = Grant {
			id: 3,
			stream: 1,
			grantor: sr25519::Pair::from_string("//owner", None).expect("valid").public().into(),
			grantee: grantee.public().into(),
			intervals: IntervalRange { first: 3, last: 5 },
			expires_at: 1000,
			proxies: vec![proxy.clone()],
			threshold: 1,
		};
		World {
			chain: FakeChain {
				grant: RefCell::new(Some(grant)),
				authorized: RefCell::new(true),
				records,
			},
			storage,
			dir: tempfile::tempdir().expect("temp dir"),
			proxy,
			grantee,
			owner,
			grantee_keys: OwnerKeys::generate(),
			keys,
		}
	}

	fn delivery(w: &World, grantee_key: &umbral_pre::PublicKey) -> Delivery {
		let fragment = w.owner.grant(grantee_key, 1, 1).expect("grants").remove(0);
		Delivery {
			grant: 3,
			owner_key: hex::encode(wire::public_key_to_bytes(&w.owner.public_key())),
			owner_verifying_key: hex::encode(wire::public_key_to_bytes(&w.owner.verifying_key())),
			grantee_key: hex::encode(wire::public_key_to_bytes(grantee_key)),
			fragment: hex::encode(wire::key_fragment_to_bytes(&fragment).expect("encodes")),
		}
	}

	fn request(w: &World, stream: u64, record: u64, interval: u64) -> Request {
		Request::signed([7; 32], &w.grantee, 3, stream, record, interval)
	}

	fn proxy(w: &World) -> LocalProxy<'_, FakeChain, FakeStorage> {
		LocalProxy::new(w.dir.path(), w.proxy.clone(), &w.chain, &w.storage)
	}

	async fn served(w: &World, request: &Request) -> Result<Vec<u8>> {
		proxy(w).reencrypt(request).await
	}

	/// Whether capsule fragment `bytes` opens the key of `interval` of `stream` for the grantee.
	fn opens(w: &World, bytes: &[u8], stream: u64, record: u64, interval: u64) -> bool {
		let fragment = wire::capsule_fragment_from_bytes(bytes).expect("decodes");
		let cid = String::from_utf8(w.chain.records[&(stream, record)].cid.clone()).expect("text");
		let bytes = w.storage.0.lock().expect("not poisoned")[&cid].clone();
		let upload = <Upload as codec::Decode>::decode(&mut &bytes[..]).expect("an upload");
		let wrapped = upload.key(interval).expect("a key").wrapped().expect("decodes");
		w.grantee_keys
			.grantee()
			.open(&wrapped, vec![fragment], &w.owner.verifying_key(), &w.owner.public_key())
			.is_ok_and(|key| key == w.keys[&(stream, interval)])
	}

	fn block_on<F: std::future::Future>(f: F) -> F::Output {
		tokio::runtime::Builder::new_current_thread().build().expect("runtime").block_on(f)
	}

	#[test]
	fn an_authorised_request_gets_a_fragment_that_opens_the_key() {
		block_on(async {
			let w = world();
			let proxy = proxy(&w);
			proxy.deliver(delivery(&w, &w.grantee_keys.public_key())).await.expect("accepted");
			// The fragment is kept private to this user.
			crate::files::check_mode(&proxy.path(3), crate::files::FILE_MODE).expect("0600");
			crate::files::check_mode(&proxy.dir, crate::files::DIR_MODE).expect("0700");
			for (record, interval) in [(0, 3), (0, 4), (1, 5)] {
				let bytes = served(&w, &request(&w, 1, record, interval)).await.expect("served");
				assert!(opens(&w, &bytes, 1, record, interval), "interval {interval}");
			}
		});
	}

	#[test]
	fn a_grantee_gets_no_capsule_outside_its_stream_and_intervals() {
		block_on(async {
			let w = world();
			proxy(&w).deliver(delivery(&w, &w.grantee_keys.public_key())).await.expect("accepted");
			let refused = |r: Result<Vec<u8>>, why: &str| {
				let e = format!("{:#}", r.expect_err(why));
				assert!(e.contains(why), "{e}");
			};
			// Interval 6, in a record that holds granted intervals too.
			refused(served(&w, &request(&w, 1, 1, 6)).await, "does not cover interval 6");
			// A granted interval number with another record: the record must cover it.
			refused(served(&w, &request(&w, 1, 1, 4)).await, "record 1 does not cover interval 4");
			// The same owner's other stream, at a granted interval number.
			refused(served(&w, &request(&w, 2, 0, 4)).await, "not for this grantee and stream");
			// A record that does not exist.
			refused(served(&w, &request(&w, 1, 9, 4)).await, "has no record 9");
			// What is served for interval 5 opens interval 5 and nothing else of the owner's.
			let bytes = served(&w, &request(&w, 1, 1, 5)).await.expect("served");
			assert!(opens(&w, &bytes, 1, 1, 5));
			assert!(!opens(&w, &bytes, 1, 1, 6), "interval 6 stays closed");
			assert!(!opens(&w, &bytes, 2, 0, 4), "the other stream stays closed");
		});
	}

	#[test]
	fn an_upload_that_is_not_the_registered_one_gets_nothing() {
		block_on(async {
			let w = world();
			proxy(&w).deliver(delivery(&w, &w.grantee_keys.public_key())).await.expect("accepted");
			// Stream 1's record 0 replaced on storage by the upload of record 1 (same owner,
			// genuine bytes): the proxy checks the bytes against record 0 and refuses.
			{
				let mut stored = w.storage.0.lock().expect("not poisoned");
				let other = stored["bafy-1-1"].clone();
				stored.insert("bafy-1-0".into(), other);
			}
			let e = format!("{:#}", served(&w, &request(&w, 1, 0, 4)).await.expect_err("refused"));
			assert!(e.contains("record 0"), "{e}");
		});
	}

	#[test]
	fn revoked_expired_or_forged_requests_get_nothing() {
		block_on(async {
			let w = world();
			proxy(&w).deliver(delivery(&w, &w.grantee_keys.public_key())).await.expect("accepted");
			let refused = |r: Result<Vec<u8>>, why: &str| {
				let e = r.expect_err(why).to_string();
				assert!(e.contains(why), "{e}");
			};
			// Signed by someone else.
			let mut forged = request(&w, 1, 0, 4);
			forged.signature = sr25519::Pair::from_string("//mallory", None)
				.expect("valid")
				.sign(&Request::payload([7; 32], 3, 1, 0, 4));
			refused(served(&w, &forged).await, "not signed by the grantee");
			// Signed for another chain, or another record than it names.
			let other_chain = Request::signed([8; 32], &w.grantee, 3, 1, 0, 4);
			refused(served(&w, &other_chain).await, "not signed by the grantee");
			let mut moved = request(&w, 1, 0, 4);
			moved.record = 1;
			refused(served(&w, &moved).await, "not signed by the grantee");
			// Expired (or the stream changed owner).
			*w.chain.authorized.borrow_mut() = false;
			refused(served(&w, &request(&w, 1, 0, 4)).await, "does not authorise");
			*w.chain.authorized.borrow_mut() = true;
			// Another proxy's grant.
			w.chain.grant.borrow_mut().as_mut().expect("grant").proxies =
				vec![w.grantee.public().into()];
			refused(served(&w, &request(&w, 1, 0, 4)).await, "does not name this proxy");
			// Revoked: the fragment on disk no longer matters.
			*w.chain.grant.borrow_mut() = None;
			refused(served(&w, &request(&w, 1, 0, 4)).await, "does not exist");
		});
	}

	#[test]
	fn fragments_for_another_grantee_are_refused_on_delivery() {
		block_on(async {
			let w = world();
			let proxy = proxy(&w);
			let mut d = delivery(&w, &OwnerKeys::generate().public_key());
			d.grantee_key = hex::encode(wire::public_key_to_bytes(&w.grantee_keys.public_key()));
			assert!(proxy.deliver(d).await.is_err());
			let e =
				served(&w, &request(&w, 1, 0, 4)).await.expect_err("nothing delivered").to_string();
			assert!(e.contains("holds no key fragment"), "{e}");
		});
	}
}

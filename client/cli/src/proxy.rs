//! Re-encryption proxies, as the owner and the grantee see them.
//!
//! [`ProxyService`] is what a proxy offers: it accepts the owner's key fragment of a grant and
//! re-encrypts capsules for the grantee while the chain authorises it. The proxy network (a
//! later component) will implement it over libp2p; [`LocalProxy`] implements it here, for
//! proxy accounts whose role runs from this data directory. Both follow the same rules:
//!
//! - a key fragment is accepted only for a grant on chain that names this proxy, only if the
//!   grantor's account signed it for this proxy and this grant ([`delivery_payload`]), and only
//!   if it verifies against the Umbral keys the chain copied into the grant (grantor's keys,
//!   grantee's public key; `AccessControlApi::grant_keys`). Keys that come with a delivery are
//!   never trusted. The first valid fragment of a grant wins: a second, different one is
//!   refused, so nobody (not even the grantor) can swap a proxy's fragment under a grantee;
//! - a request must be signed by the grantee's account over a domain-separated payload bound
//!   to the chain (genesis), the grant, the stream, the record and the interval;
//! - before every re-encryption the proxy asks the chain: the grant must exist, name this proxy
//!   and the requester, cover the interval, and `AccessControlApi::is_authorized` must say yes.
//!   A revoked or expired grant gets no fragment, whatever the proxy holds on disk;
//! - the capsule is never the requester's: the proxy reads the record from the chain (it must
//!   cover the interval), fetches the record's upload from storage, checks it against the
//!   record (size, content hash, stream and index, Merkle root; see [`crate::upload`]) and
//!   re-encrypts the capsule the upload holds for that interval, after checking that the upload
//!   was made under the grant's grantor key. Every interval key of an
//!   owner is wrapped under the owner's one Umbral key and uploads are public, so a proxy that
//!   re-encrypted a capsule the request carried would open any interval of any of the owner's
//!   streams to the holder of any grant (docs/data-plane.md, "Trust model").

use std::path::PathBuf;

use anyhow::{anyhow, bail, Context, Result};
use codec::Encode;
use cpchain_crypto::keys::OwnerKeys;
use cpchain_crypto::{keys::ProxyShare, wire};
use cpchain_primitives::access::{delivery_payload, GrantId, GrantKeys, UmbralKeys};
use serde::{Deserialize, Serialize};
use sp_core::{crypto::AccountId32, sr25519, Pair};

use cpchain_storage::Storage;

use crate::{
	chain::Chain,
	files::{create_private_dir, write_new},
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

/// The keys `keys` as the chain holds them.
pub fn published_keys(keys: &OwnerKeys) -> UmbralKeys {
	UmbralKeys {
		public: wire::public_key_to_bytes(&keys.public_key()),
		verifying: wire::public_key_to_bytes(&keys.verifying_key()),
	}
}

/// A key fragment for one proxy, signed by the grantor. It carries no keys: the proxy checks
/// it against the keys the chain holds for the grant.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Delivery {
	/// The grant.
	pub grant: GrantId,
	/// The key fragment (umbral-pre serialisation), hex.
	pub fragment: String,
	/// The grantor's sr25519 signature over [`delivery_payload`] (genesis, grant, proxy,
	/// fragment), hex.
	pub signature: String,
}

impl Delivery {
	/// The fragment `fragment` of `grant` for `proxy`, signed by `grantor`.
	pub fn signed(
		genesis: [u8; 32],
		grantor: &sr25519::Pair,
		grant: GrantId,
		proxy: &AccountId32,
		fragment: &[u8],
	) -> Self {
		let payload = delivery_payload(genesis.into(), grant, proxy, fragment);
		Self {
			grant,
			fragment: hex::encode(fragment),
			signature: hex::encode(grantor.sign(&payload).0),
		}
	}

	fn fragment_bytes(&self) -> Result<Vec<u8>> {
		hex::decode(&self.fragment).map_err(|_| anyhow!("bad fragment hex"))
	}
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
	/// The Umbral keys the chain copied into grant `id`, or `None`.
	async fn grant_keys(&self, id: GrantId) -> Result<Option<GrantKeys>>;
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

	async fn grant_keys(&self, id: GrantId) -> Result<Option<GrantKeys>> {
		crate::records::grant_keys(self, id).await
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

fn key(bytes: &[u8]) -> Result<umbral_pre::PublicKey> {
	wire::public_key_from_bytes(bytes)
		.map_err(|_| anyhow!("the chain holds a key that is not an Umbral public key"))
}

/// The fragment of `delivery`, verified against the keys the chain holds for its grant.
fn share(delivery: &Delivery, keys: &GrantKeys) -> Result<ProxyShare> {
	let fragment = wire::key_fragment_from_bytes(&delivery.fragment_bytes()?)
		.map_err(|_| anyhow!("the key fragment of grant {} does not decode", delivery.grant))?;
	ProxyShare::accept(
		fragment,
		&key(&keys.grantor.verifying)?,
		&key(&keys.grantor.public)?,
		&key(&keys.grantee)?,
	)
	.map_err(|_| {
		anyhow!(
			"the key fragment of grant {} does not verify against the grantor's and grantee's keys on chain",
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

	/// The grant and its keys, if the grant exists on chain and names this proxy.
	async fn grant_for_me(&self, id: GrantId) -> Result<(Grant, GrantKeys)> {
		let grant = self.chain.grant(id).await?.ok_or_else(|| {
			anyhow!("grant {id} does not exist (revoked or removed): no fragment")
		})?;
		if !grant.proxies.contains(&self.account) {
			bail!("grant {id} does not name this proxy");
		}
		let keys = self.chain.grant_keys(id).await?.ok_or_else(|| {
			anyhow!("grant {id} holds no Umbral keys on chain (made before runtime 105): make a new grant")
		})?;
		Ok((grant, keys))
	}

	/// The stored delivery of `grant`, if any.
	fn stored(&self, grant: GrantId) -> Result<Option<Delivery>> {
		match std::fs::read(self.path(grant)) {
			Ok(bytes) => Ok(Some(
				serde_json::from_slice(&bytes)
					.with_context(|| format!("damaged key fragment file of grant {grant}"))?,
			)),
			Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
			Err(e) => Err(e).with_context(|| format!("cannot read the fragment of grant {grant}")),
		}
	}
}

impl<Q: AccessQueries, S: Storage> ProxyService for LocalProxy<'_, Q, S> {
	async fn deliver(&self, delivery: Delivery) -> Result<()> {
		let (grant, keys) = self.grant_for_me(delivery.grant).await?;
		let payload = delivery_payload(
			self.chain.genesis().into(),
			delivery.grant,
			&self.account,
			&delivery.fragment_bytes()?,
		);
		let signature = hex::decode(&delivery.signature)
			.ok()
			.and_then(|b| sr25519::Signature::try_from(&b[..]).ok())
			.ok_or_else(|| anyhow!("the delivery's signature is not an sr25519 signature"))?;
		let grantor = sr25519::Public::from_raw(*grant.grantor.as_ref());
		if !sr25519::Pair::verify(&signature, &payload, &grantor) {
			bail!("the delivery for grant {} is not signed by its grantor", delivery.grant);
		}
		share(&delivery, &keys)?;
		// The first valid delivery wins; the same one again is fine.
		let refused = || {
			anyhow!(
				"grant {} has a key fragment here already; a different one is refused",
				delivery.grant
			)
		};
		match self.stored(delivery.grant)? {
			Some(held) if held.fragment == delivery.fragment => return Ok(()),
			Some(_) => return Err(refused()),
			None => {}
		}
		create_private_dir(&self.dir)?;
		// Created exclusively: of two deliveries racing here, only one lands.
		match write_new(&self.path(delivery.grant), &serde_json::to_vec_pretty(&delivery)?)? {
			true => Ok(()),
			false => match self.stored(delivery.grant)? {
				Some(held) if held.fragment == delivery.fragment => Ok(()),
				_ => Err(refused()),
			},
		}
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
		let (grant, keys) = self.grant_for_me(request.grant).await?;
		if grant.grantee != request.grantee || grant.stream != request.stream {
			bail!("grant {} is not for this grantee and stream", request.grant);
		}
		if !grant.intervals.contains(request.interval) {
			bail!("grant {} does not cover interval {}", request.grant, request.interval);
		}
		let authorized =
			self.chain.is_authorized(&request.grantee, request.stream, request.interval).await?;
		if !authorized {
			bail!("the chain does not authorise interval {} of stream {} now (expired, or the stream changed owner): no fragment", request.interval, request.stream);
		}
		let delivery = self.stored(request.grant)?.ok_or_else(|| {
			anyhow!("this proxy holds no key fragment for grant {}", request.grant)
		})?;
		// Checked again against the chain's keys: a file edited on disk serves nothing.
		let share = share(&delivery, &keys)?;
		// The capsule of the interval, from the record's upload as the chain registered it.
		let record =
			self.chain.record(request.stream, request.record).await?.ok_or_else(|| {
				anyhow!("stream {} has no record {}", request.stream, request.record)
			})?;
		if !record.intervals.contains(request.interval) {
			bail!("record {} does not cover interval {}", request.record, request.interval);
		}
		let upload = crate::fetch::upload(self.storage, request.stream, &record).await?;
		if upload.owner_key != keys.grantor.public {
			bail!(
				"record {} was encrypted under other Umbral keys than grant {} was made with (the owner's keys changed): nothing to re-encrypt",
				request.record,
				request.grant
			);
		}
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
		let fragment = share.reencrypt(&wrapped.capsule);
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
		keys: RefCell<Option<GrantKeys>>,
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

		async fn grant_keys(&self, id: GrantId) -> Result<Option<GrantKeys>> {
			let exists = self.grant.borrow().as_ref().is_some_and(|g| g.id == id);
			Ok(self.keys.borrow().filter(|_| exists))
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
		grantor: sr25519::Pair,
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
		let cid = format!("bafys{stream}r{index}");
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
		let grantor = sr25519::Pair::from_string("//owner", None).expect("valid");
		let grantee_keys = OwnerKeys::generate();
		let storage = FakeStorage(std::sync::Mutex::new(BTreeMap::new()));
		let (mut keys, mut records) = (BTreeMap::new(), BTreeMap::new());
		register(&owner, 1, 0, (3, 4), &mut keys, &storage, &mut records);
		register(&owner, 1, 1, (5, 7), &mut keys, &storage, &mut records);
		register(&owner, 2, 0, (4, 4), &mut keys, &storage, &mut records);
		let grant = Grant {
			id: 3,
			stream: 1,
			grantor: grantor.public().into(),
			grantee: grantee.public().into(),
			intervals: IntervalRange { first: 3, last: 5 },
			expires_at: 1000,
			proxies: vec![proxy.clone()],
			threshold: 1,
		};
		World {
			chain: FakeChain {
				grant: RefCell::new(Some(grant)),
				keys: RefCell::new(Some(GrantKeys {
					grantor: published_keys(&owner),
					grantee: wire::public_key_to_bytes(&grantee_keys.public_key()),
				})),
				authorized: RefCell::new(true),
				records,
			},
			storage,
			dir: tempfile::tempdir().expect("temp dir"),
			proxy,
			grantor,
			grantee,
			owner,
			grantee_keys,
			keys,
		}
	}

	/// A fragment of grant 3 made by `owner` towards `grantee_key`, signed by `signer` for
	/// `proxy`.
	fn delivery_by(
		owner: &OwnerKeys,
		grantee_key: &umbral_pre::PublicKey,
		signer: &sr25519::Pair,
		proxy: &AccountId32,
	) -> Delivery {
		let fragment = owner.grant(grantee_key, 1, 1).expect("grants").remove(0);
		let bytes = wire::key_fragment_to_bytes(&fragment).expect("encodes");
		Delivery::signed([7; 32], signer, 3, proxy, &bytes)
	}

	/// The genuine delivery for the world's proxy (a fresh fragment each time).
	fn delivery(w: &World, grantee_key: &umbral_pre::PublicKey) -> Delivery {
		delivery_by(&w.owner, grantee_key, &w.grantor, &w.proxy)
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
				let other = stored["bafys1r1"].clone();
				stored.insert("bafys1r0".into(), other);
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

	fn refused_delivery(r: Result<()>, why: &str) {
		let e = format!("{:#}", r.expect_err(why));
		assert!(e.contains(why), "{e}");
	}

	#[test]
	fn forged_fragments_are_refused_and_nothing_is_stored() {
		block_on(async {
			let w = world();
			let proxy = proxy(&w);
			let me = w.grantee_keys.public_key();
			// Made towards another grantee key, signed by the grantor: the chain's copy of the
			// grantee's key says no.
			let other = OwnerKeys::generate();
			refused_delivery(
				proxy.deliver(delivery(&w, &other.public_key())).await,
				"does not verify against the grantor's and grantee's keys on chain",
			);
			// Made by other Umbral keys than the grant's (an attacker's own), signed by the
			// grantor.
			refused_delivery(
				proxy.deliver(delivery_by(&other, &me, &w.grantor, &w.proxy)).await,
				"does not verify",
			);
			// The genuine fragment, but signed by someone else, or for another proxy, or for
			// another chain.
			let mallory = sr25519::Pair::from_string("//mallory", None).expect("valid");
			refused_delivery(
				proxy.deliver(delivery_by(&w.owner, &me, &mallory, &w.proxy)).await,
				"not signed by its grantor",
			);
			let elsewhere: AccountId32 = mallory.public().into();
			refused_delivery(
				proxy.deliver(delivery_by(&w.owner, &me, &w.grantor, &elsewhere)).await,
				"not signed by its grantor",
			);
			let fragment = w.owner.grant(&me, 1, 1).expect("grants").remove(0);
			let bytes = wire::key_fragment_to_bytes(&fragment).expect("encodes");
			refused_delivery(
				proxy.deliver(Delivery::signed([8; 32], &w.grantor, 3, &w.proxy, &bytes)).await,
				"not signed by its grantor",
			);
			// Garbage in the fields.
			let mut bad = delivery(&w, &me);
			bad.signature = "00".into();
			refused_delivery(proxy.deliver(bad).await, "not an sr25519 signature");
			// A grant that does not name this proxy, or does not exist, or has no keys.
			w.chain.grant.borrow_mut().as_mut().expect("grant").proxies = vec![elsewhere];
			refused_delivery(proxy.deliver(delivery(&w, &me)).await, "does not name this proxy");
			*w.chain.grant.borrow_mut() = None;
			refused_delivery(proxy.deliver(delivery(&w, &me)).await, "does not exist");
			assert!(!proxy.path(3).exists(), "nothing was stored");
		});
	}

	#[test]
	fn the_first_valid_delivery_wins() {
		block_on(async {
			let w = world();
			let proxy = proxy(&w);
			let me = w.grantee_keys.public_key();
			let genuine = delivery(&w, &me);
			proxy.deliver(genuine.clone()).await.expect("accepted");
			// The same delivery again (a retry) is fine.
			proxy.deliver(genuine.clone()).await.expect("idempotent");
			// A second valid fragment, even signed by the grantor, is refused and the first
			// one stays.
			refused_delivery(proxy.deliver(delivery(&w, &me)).await, "a different one is refused");
			assert_eq!(proxy.stored(3).expect("reads"), Some(genuine));
			let bytes = served(&w, &request(&w, 1, 0, 4)).await.expect("served");
			assert!(opens(&w, &bytes, 1, 0, 4));
		});
	}

	#[test]
	fn fragments_are_checked_against_the_chain_again_when_used() {
		block_on(async {
			let w = world();
			let proxy = proxy(&w);
			proxy.deliver(delivery(&w, &w.grantee_keys.public_key())).await.expect("accepted");
			// The stored file swapped for a fragment of another owner's keys (an attacker
			// with write access to the data directory, or an old-format file).
			let other = OwnerKeys::generate();
			let forged = delivery_by(&other, &w.grantee_keys.public_key(), &w.grantor, &w.proxy);
			std::fs::write(proxy.path(3), serde_json::to_vec(&forged).expect("json"))
				.expect("writes");
			let e = format!("{:#}", served(&w, &request(&w, 1, 0, 4)).await.expect_err("refused"));
			assert!(e.contains("does not verify"), "{e}");
			// A grant the chain holds no keys for serves nothing either.
			*w.chain.keys.borrow_mut() = None;
			let e = format!("{:#}", served(&w, &request(&w, 1, 0, 4)).await.expect_err("refused"));
			assert!(e.contains("holds no Umbral keys"), "{e}");
		});
	}

	#[test]
	fn uploads_under_other_owner_keys_are_not_reencrypted() {
		block_on(async {
			let w = world();
			proxy(&w).deliver(delivery(&w, &w.grantee_keys.public_key())).await.expect("accepted");
			// The grantor published new keys after its uploads and granted with them: the
			// chain's grantor key is not the one the uploads were wrapped under.
			let fresh = OwnerKeys::generate();
			w.chain.keys.borrow_mut().as_mut().expect("keys").grantor = published_keys(&fresh);
			let proxy = LocalProxy::new(w.dir.path(), w.proxy.clone(), &w.chain, &w.storage);
			std::fs::remove_file(proxy.path(3)).expect("removes");
			let d = delivery_by(&fresh, &w.grantee_keys.public_key(), &w.grantor, &w.proxy);
			proxy.deliver(d).await.expect("a fragment of the grant's keys");
			let e = format!("{:#}", served(&w, &request(&w, 1, 0, 4)).await.expect_err("refused"));
			assert!(e.contains("other Umbral keys"), "{e}");
		});
	}
}

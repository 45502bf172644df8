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
//!   to the chain (genesis), the grant, the stream, the interval and the capsule;
//! - before every re-encryption the proxy asks the chain: the grant must exist, name this proxy
//!   and the requester, cover the interval, and `AccessControlApi::is_authorized` must say yes.
//!   A revoked or expired grant gets no fragment, whatever the proxy holds on disk.

use std::path::PathBuf;

use anyhow::{anyhow, bail, Context, Result};
use codec::Encode;
use cpchain_crypto::{keys::ProxyShare, wire};
use cpchain_primitives::access::GrantId;
use serde::{Deserialize, Serialize};
use sp_core::{crypto::AccountId32, sr25519, Pair};

use crate::{chain::Chain, keystore::write_atomically, records::Grant};

/// Domain tag of a grantee's re-encryption request.
pub const REQUEST_DOMAIN: &[u8] = b"cpchain/reencryption-request/v1";

/// A grantee's request for a capsule fragment.
pub struct Request {
	/// The grant it reads under.
	pub grant: GrantId,
	/// The grantee's account.
	pub grantee: AccountId32,
	/// The stream.
	pub stream: u64,
	/// The interval whose key the capsule wraps.
	pub interval: u64,
	/// The capsule's bytes.
	pub capsule: Vec<u8>,
	/// The grantee's signature over [`Request::payload`].
	pub signature: sr25519::Signature,
}

impl Request {
	/// The message the grantee signs.
	pub fn payload(
		genesis: [u8; 32],
		grant: GrantId,
		stream: u64,
		interval: u64,
		capsule: &[u8],
	) -> Vec<u8> {
		(REQUEST_DOMAIN, genesis, grant, stream, interval, capsule).encode()
	}

	/// A request signed by the grantee.
	pub fn signed(
		genesis: [u8; 32],
		grantee: &sr25519::Pair,
		grant: GrantId,
		stream: u64,
		interval: u64,
		capsule: Vec<u8>,
	) -> Self {
		let signature = grantee.sign(&Self::payload(genesis, grant, stream, interval, &capsule));
		Self { grant, grantee: grantee.public().into(), stream, interval, capsule, signature }
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
}

/// The proxy role of one proxy account, run from this data directory: fragments are kept in
/// `<data-dir>/proxy/<address>/grant-<id>.json`.
pub struct LocalProxy<'a, Q> {
	account: AccountId32,
	dir: PathBuf,
	chain: &'a Q,
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

impl<'a, Q: AccessQueries> LocalProxy<'a, Q> {
	/// The role of proxy `account` under `data_dir`.
	pub fn new(data_dir: &std::path::Path, account: AccountId32, chain: &'a Q) -> Self {
		use sp_core::crypto::Ss58Codec;
		let dir = data_dir.join("proxy").join(account.to_ss58check());
		Self { account, dir, chain }
	}

	fn path(&self, grant: GrantId) -> PathBuf {
		self.dir.join(format!("grant-{grant}.json"))
	}
}

impl<Q: AccessQueries> ProxyService for LocalProxy<'_, Q> {
	async fn deliver(&self, delivery: Delivery) -> Result<()> {
		share(&delivery)?;
		std::fs::create_dir_all(&self.dir)
			.with_context(|| format!("cannot create {}", self.dir.display()))?;
		write_atomically(&self.path(delivery.grant), &serde_json::to_vec_pretty(&delivery)?)
	}

	async fn reencrypt(&self, request: &Request) -> Result<Vec<u8>> {
		let payload = Request::payload(
			self.chain.genesis(),
			request.grant,
			request.stream,
			request.interval,
			&request.capsule,
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
		let capsule = wire::capsule_from_bytes(&request.capsule)
			.map_err(|_| anyhow!("the request's capsule is malformed"))?;
		let fragment = share(&delivery)?.reencrypt(&capsule);
		Ok(wire::capsule_fragment_to_bytes(&fragment)?)
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use cpchain_crypto::{cipher::IntervalKey, keys::OwnerKeys};
	use cpchain_primitives::data::IntervalRange;
	use std::cell::RefCell;

	/// The chain as a proxy sees it: one grant that tests change.
	struct FakeChain {
		grant: RefCell<Option<Grant>>,
		authorized: RefCell<bool>,
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
	}

	struct World {
		chain: FakeChain,
		dir: tempfile::TempDir,
		proxy: AccountId32,
		grantee: sr25519::Pair,
		owner: OwnerKeys,
		grantee_keys: OwnerKeys,
		capsule: Vec<u8>,
		wrapped: cpchain_crypto::keys::WrappedKey,
		key: IntervalKey,
	}

	fn world() -> World {
		let proxy: AccountId32 =
			sr25519::Pair::from_string("//proxy", None).expect("valid").public().into();
		let grantee = sr25519::Pair::from_string("//grantee", None).expect("valid");
		let owner = OwnerKeys::generate();
		let grantee_keys = OwnerKeys::generate();
		let key = IntervalKey::generate();
		let wrapped = owner.wrap(&key).expect("wraps");
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
			chain: FakeChain { grant: RefCell::new(Some(grant)), authorized: RefCell::new(true) },
			dir: tempfile::tempdir().expect("temp dir"),
			proxy,
			grantee,
			capsule: wire::capsule_to_bytes(&wrapped.capsule).expect("encodes"),
			owner,
			grantee_keys,
			wrapped,
			key,
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

	fn request(w: &World, interval: u64) -> Request {
		Request::signed([7; 32], &w.grantee, 3, 1, interval, w.capsule.clone())
	}

	async fn served(w: &World, request: &Request) -> Result<Vec<u8>> {
		LocalProxy::new(w.dir.path(), w.proxy.clone(), &w.chain).reencrypt(request).await
	}

	fn block_on<F: std::future::Future>(f: F) -> F::Output {
		tokio::runtime::Builder::new_current_thread().build().expect("runtime").block_on(f)
	}

	#[test]
	fn an_authorised_request_gets_a_fragment_that_opens_the_key() {
		block_on(async {
			let w = world();
			let proxy = LocalProxy::new(w.dir.path(), w.proxy.clone(), &w.chain);
			proxy.deliver(delivery(&w, &w.grantee_keys.public_key())).await.expect("accepted");
			let bytes = served(&w, &request(&w, 4)).await.expect("served");
			let fragment = wire::capsule_fragment_from_bytes(&bytes).expect("decodes");
			let key = w
				.grantee_keys
				.grantee()
				.open(&w.wrapped, vec![fragment], &w.owner.verifying_key(), &w.owner.public_key())
				.expect("opens");
			assert_eq!(key, w.key);
		});
	}

	#[test]
	fn revoked_expired_uncovered_or_forged_requests_get_nothing() {
		block_on(async {
			let w = world();
			let proxy = LocalProxy::new(w.dir.path(), w.proxy.clone(), &w.chain);
			proxy.deliver(delivery(&w, &w.grantee_keys.public_key())).await.expect("accepted");
			let refused = |r: Result<Vec<u8>>, why: &str| {
				let e = r.expect_err(why).to_string();
				assert!(e.contains(why), "{e}");
			};
			refused(served(&w, &request(&w, 6)).await, "does not cover interval 6");
			// Signed by someone else.
			let mut forged = request(&w, 4);
			forged.signature = sr25519::Pair::from_string("//mallory", None)
				.expect("valid")
				.sign(&Request::payload([7; 32], 3, 1, 4, &w.capsule));
			refused(served(&w, &forged).await, "not signed by the grantee");
			// Signed for another chain.
			let other_chain = Request::signed([8; 32], &w.grantee, 3, 1, 4, w.capsule.clone());
			refused(served(&w, &other_chain).await, "not signed by the grantee");
			// Expired (or the stream changed owner).
			*w.chain.authorized.borrow_mut() = false;
			refused(served(&w, &request(&w, 4)).await, "does not authorise");
			*w.chain.authorized.borrow_mut() = true;
			// Another proxy's grant.
			w.chain.grant.borrow_mut().as_mut().expect("grant").proxies =
				vec![w.grantee.public().into()];
			refused(served(&w, &request(&w, 4)).await, "does not name this proxy");
			// Revoked: the fragment on disk no longer matters.
			*w.chain.grant.borrow_mut() = None;
			refused(served(&w, &request(&w, 4)).await, "does not exist");
		});
	}

	#[test]
	fn fragments_for_another_grantee_are_refused_on_delivery() {
		block_on(async {
			let w = world();
			let proxy = LocalProxy::new(w.dir.path(), w.proxy.clone(), &w.chain);
			let mut d = delivery(&w, &OwnerKeys::generate().public_key());
			d.grantee_key = hex::encode(wire::public_key_to_bytes(&w.grantee_keys.public_key()));
			assert!(proxy.deliver(d).await.is_err());
			let e = served(&w, &request(&w, 4)).await.expect_err("nothing delivered").to_string();
			assert!(e.contains("holds no key fragment"), "{e}");
		});
	}
}

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
use cpchain_primitives::access::{GrantId, GrantView};
use serde::{Deserialize, Serialize};
use sp_core::{crypto::AccountId32, sr25519, Pair};

use crate::{chain::Chain, keystore::write_atomically};

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

/// The proxy role of one proxy account, run from this data directory: fragments are kept in
/// `<data-dir>/proxy/<address>/grant-<id>.json`.
pub struct LocalProxy<'a> {
	account: AccountId32,
	dir: PathBuf,
	chain: &'a Chain,
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

impl<'a> LocalProxy<'a> {
	/// The role of proxy `account` under `data_dir`.
	pub fn new(data_dir: &std::path::Path, account: AccountId32, chain: &'a Chain) -> Self {
		use sp_core::crypto::Ss58Codec;
		let dir = data_dir.join("proxy").join(account.to_ss58check());
		Self { account, dir, chain }
	}

	fn path(&self, grant: GrantId) -> PathBuf {
		self.dir.join(format!("grant-{grant}.json"))
	}
}

impl ProxyService for LocalProxy<'_> {
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
		let grant: Option<GrantView<AccountId32, u32>> =
			self.chain.runtime_api("AccessControlApi_grant", request.grant).await?;
		let grant = grant.ok_or_else(|| {
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
		let authorized: bool = self
			.chain
			.runtime_api(
				"AccessControlApi_is_authorized",
				(&request.grantee, request.stream, request.interval),
			)
			.await?;
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

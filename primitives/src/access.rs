//! Access control's shared vocabulary: grants of stream intervals to grantees, proxies that
//! hold key fragments, and the runtime API that proxies ask before they re-encrypt.
//!
//! Data is encrypted once by its owner; reading it is *authorised* many times. A grant says
//! that a grantee may read a range of a stream's encryption intervals until a block; the
//! proxies it names hold fragments of the re-encryption key and serve the grantee only while
//! [`AccessControlApi::is_authorized`] says yes. At least `threshold` of them must answer
//! for the grantee to decrypt (Umbral threshold proxy re-encryption).

// `decl_runtime_apis!` repeats the trait's `Codec` bound on every method that takes a generic
// parameter, which clippy reads as a bound written in two places.
#![allow(clippy::multiple_bound_locations)]

use crate::data::{IntervalIndex, IntervalRange, StreamId};
use alloc::vec::Vec;
use codec::{Codec, Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_core::H256;

/// Identifies a grant. Assigned by the chain, counting up from 0.
pub type GrantId = u64;

/// Length of a proxy's re-encryption public key: a compressed secp256k1 point (Umbral).
pub const REENCRYPTION_KEY_LEN: usize = 33;

/// A proxy's Umbral public key: a compressed secp256k1 point, `0x02` or `0x03` then the
/// 32-byte x coordinate.
pub type ReencryptionKey = [u8; REENCRYPTION_KEY_LEN];

/// Domain tag of a grantee's service receipt, so that the signature cannot be replayed as
/// anything else (a transaction, a record signature, another chain's receipt).
pub const PROXY_RECEIPT_DOMAIN: &[u8] = b"cpchain/proxy-receipt/v1";

/// The message a grantee signs to acknowledge that `proxy` has served it `total_served`
/// re-encryptions under `grant` so far. The count is cumulative, so a newer receipt supersedes
/// an older one and replaying an old receipt credits nothing. Bound to one chain by its
/// genesis hash.
pub fn receipt_payload<AccountId: Encode>(
	genesis: H256,
	grant: GrantId,
	proxy: &AccountId,
	total_served: u64,
) -> Vec<u8> {
	(PROXY_RECEIPT_DOMAIN, genesis, grant, proxy, total_served).encode()
}

/// Domain tag of a grantor's signature on a key fragment it delivers to a proxy.
pub const KEY_FRAGMENT_DELIVERY_DOMAIN: &[u8] = b"cpchain/key-fragment-delivery/v1";

/// The message a grantor signs (with its account key) when it hands `proxy` the key fragment
/// `fragment` (umbral-pre serialisation) of `grant`. Bound to one chain, one grant and one
/// proxy, so a delivery can be neither replayed to another proxy nor to another grant.
pub fn delivery_payload<AccountId: Encode>(
	genesis: H256,
	grant: GrantId,
	proxy: &AccountId,
	fragment: &[u8],
) -> Vec<u8> {
	(KEY_FRAGMENT_DELIVERY_DOMAIN, genesis, grant, proxy, fragment).encode()
}

/// An account's Umbral keys, as it publishes them on chain: the public key that interval keys
/// are wrapped under (and that grants re-encrypt towards) and the verifying key that signs
/// key fragments.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
)]
pub struct UmbralKeys {
	/// The Umbral public key (compressed secp256k1 point).
	pub public: ReencryptionKey,
	/// The Umbral verifying key (compressed secp256k1 point).
	pub verifying: ReencryptionKey,
}

impl UmbralKeys {
	/// Whether both keys have the form of compressed points.
	pub fn is_well_formed(&self) -> bool {
		is_compressed_point(&self.public) && is_compressed_point(&self.verifying)
	}
}

/// The keys a grant was made with, copied from the grantor's and the grantee's published
/// keys when the grant was made. A proxy accepts only a key fragment made by `grantor`'s keys
/// towards `grantee`, and a grantee verifies capsule fragments against `grantor`: keys that
/// arrive with a message are never trusted.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
)]
pub struct GrantKeys {
	/// The grantor's Umbral keys.
	pub grantor: UmbralKeys,
	/// The grantee's Umbral public key.
	pub grantee: ReencryptionKey,
}

/// Whether `key` has the form of a compressed secp256k1 point. The runtime cannot afford to
/// decompress the point; a key that is not on the curve only harms the proxy that registered
/// it (nobody can re-encrypt towards it).
pub fn is_compressed_point(key: &ReencryptionKey) -> bool {
	matches!(key[0], 0x02 | 0x03)
}

/// Whether `bytes` has the form of a libp2p `PeerId`: a multihash, either the identity hash
/// (code `0x00`) of a protobuf-encoded public key of at most 42 bytes, or a SHA2-256 hash
/// (code `0x12`) of 32 bytes, with the length byte matching the rest.
pub fn is_peer_id(bytes: &[u8]) -> bool {
	match bytes {
		[0x00, len, rest @ ..] => {
			*len as usize == rest.len() && !rest.is_empty() && rest.len() <= 42
		}
		[0x12, 0x20, rest @ ..] => rest.len() == 32,
		_ => false,
	}
}

/// Whether a proxy takes new grants.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
)]
pub enum ProxyStatus<BlockNumber> {
	/// The proxy serves and may be named by new grants.
	#[codec(index = 0)]
	Active,
	/// The proxy is leaving: no new grants name it, and its bond can be withdrawn from this
	/// block on.
	#[codec(index = 1)]
	Leaving {
		/// The first block at which the bond may be withdrawn.
		until: BlockNumber,
	},
}

/// A grant, as the runtime API shows it.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo)]
pub struct GrantView<AccountId, BlockNumber> {
	/// The grant's id.
	pub id: GrantId,
	/// The stream whose intervals are granted.
	pub stream: StreamId,
	/// The account that made the grant and paid its deposit.
	pub grantor: AccountId,
	/// The account that may read.
	pub grantee: AccountId,
	/// The encryption intervals the grantee may read.
	pub intervals: IntervalRange,
	/// The first block at which the grant no longer holds.
	pub expires_at: BlockNumber,
	/// The proxies that hold fragments of the re-encryption key.
	pub proxies: Vec<AccountId>,
	/// How many of the proxies must re-encrypt for the grantee to decrypt.
	pub threshold: u32,
}

/// A proxy, as the runtime API shows it.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo)]
pub struct ProxyView<BlockNumber> {
	/// The proxy's libp2p `PeerId`, as bytes.
	pub peer_id: Vec<u8>,
	/// The proxy's Umbral public key.
	pub reencryption_key: ReencryptionKey,
	/// Whether the proxy takes new grants.
	pub status: ProxyStatus<BlockNumber>,
	/// Re-encryptions credited to the proxy so far (after rate limiting).
	pub served: u64,
}

/// Read access to grants, for pallets that must not depend on access control (the market
/// counts an interval as delivered only if the buyer may read it).
pub trait GrantInspect<AccountId> {
	/// Whether `grantee` may read `interval` of `stream` now (a grant covers it and has not
	/// expired).
	fn is_authorized(grantee: &AccountId, stream: StreamId, interval: IntervalIndex) -> bool;
}

sp_api::decl_runtime_apis! {
	/// Queries of access control, for proxies and applications.
	///
	/// Version 2 added the Umbral keys of accounts and grants.
	pub trait AccessControlApi<AccountId: Codec, BlockNumber: Codec> {
		/// Whether `grantee` may read encryption interval `interval` of `stream` now: some
		/// grant of the stream's current owner covers it and has not expired.
		fn is_authorized(grantee: AccountId, stream: StreamId, interval: IntervalIndex) -> bool;
		/// A grant, or `None` if there is no such grant.
		fn grant(grant: GrantId) -> Option<GrantView<AccountId, BlockNumber>>;
		/// The grants on `stream`, by id (at most the pallet's per-stream limit).
		fn grants_by_stream(stream: StreamId) -> Vec<GrantView<AccountId, BlockNumber>>;
		/// The grants held by `grantee` (the first few hundred: the result is bounded).
		fn grants_of(grantee: AccountId) -> Vec<GrantView<AccountId, BlockNumber>>;
		/// A proxy, or `None` if the account is not a registered proxy.
		fn proxy(proxy: AccountId) -> Option<ProxyView<BlockNumber>>;
		/// The Umbral keys `account` published, or `None`.
		#[api_version(2)]
		fn umbral_keys(account: AccountId) -> Option<UmbralKeys>;
		/// The keys grant `grant` was made with, or `None` (no such grant, or one made
		/// before keys were published on chain).
		#[api_version(2)]
		fn grant_keys(grant: GrantId) -> Option<GrantKeys>;
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn peer_ids_of_both_multihash_forms_are_accepted() {
		// An Ed25519 PeerId: identity multihash of a 36-byte protobuf key.
		let mut ed = vec![0x00, 36];
		ed.extend([8u8; 36]);
		assert!(is_peer_id(&ed));
		let mut sha = vec![0x12, 0x20];
		sha.extend([1u8; 32]);
		assert!(is_peer_id(&sha));
	}

	#[test]
	fn malformed_peer_ids_are_rejected() {
		assert!(!is_peer_id(&[]));
		assert!(!is_peer_id(&[0x00, 0]));
		assert!(!is_peer_id(&[0x00, 3, 1, 2]));
		assert!(!is_peer_id(&[0x12, 0x20, 1, 2, 3]));
		assert!(!is_peer_id(&[0x13, 0x20]));
		let mut too_long = vec![0x00, 43];
		too_long.extend([0u8; 43]);
		assert!(!is_peer_id(&too_long));
	}

	#[test]
	fn only_compressed_points_are_reencryption_keys() {
		let mut key = [7u8; REENCRYPTION_KEY_LEN];
		assert!(!is_compressed_point(&key));
		key[0] = 0x02;
		assert!(is_compressed_point(&key));
		key[0] = 0x03;
		assert!(is_compressed_point(&key));
		key[0] = 0x04;
		assert!(!is_compressed_point(&key));
	}

	#[test]
	fn deliveries_bind_chain_grant_proxy_and_fragment() {
		let base = delivery_payload(H256::repeat_byte(1), 7, &5u64, b"fragment");
		assert!(base.starts_with(&(KEY_FRAGMENT_DELIVERY_DOMAIN).encode()));
		assert_ne!(base, delivery_payload(H256::repeat_byte(2), 7, &5u64, b"fragment"));
		assert_ne!(base, delivery_payload(H256::repeat_byte(1), 8, &5u64, b"fragment"));
		assert_ne!(base, delivery_payload(H256::repeat_byte(1), 7, &6u64, b"fragment"));
		assert_ne!(base, delivery_payload(H256::repeat_byte(1), 7, &5u64, b"fragmenu"));
		assert_ne!(base, receipt_payload(H256::repeat_byte(1), 7, &5u64, 10));
	}

	#[test]
	fn receipts_bind_chain_grant_proxy_and_count() {
		let base = receipt_payload(H256::repeat_byte(1), 7, &5u64, 10);
		assert!(base.starts_with(&(PROXY_RECEIPT_DOMAIN).encode()));
		assert_ne!(base, receipt_payload(H256::repeat_byte(2), 7, &5u64, 10));
		assert_ne!(base, receipt_payload(H256::repeat_byte(1), 8, &5u64, 10));
		assert_ne!(base, receipt_payload(H256::repeat_byte(1), 7, &6u64, 10));
		assert_ne!(base, receipt_payload(H256::repeat_byte(1), 7, &5u64, 11));
	}
}

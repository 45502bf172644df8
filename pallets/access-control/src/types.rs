//! What access control stores: grants, proxies and service receipts.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use cpchain_primitives::{
	access::{GrantId, ProxyStatus, ReencryptionKey, UmbralKeys},
	data::{IntervalRange, StreamId},
};
use frame_support::{BoundedVec, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound};
use frame_system::pallet_prelude::BlockNumberFor;
use scale_info::TypeInfo;

use crate::{BalanceOf, Config};

/// A grant of read access to a range of a stream's encryption intervals.
#[derive(
	Encode, Decode, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound, TypeInfo, MaxEncodedLen,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct Grant<T: Config> {
	/// The stream whose intervals are granted.
	pub stream: StreamId,
	/// The stream owner who made the grant; its deposit is held from this account.
	pub grantor: T::AccountId,
	/// The account that may read.
	pub grantee: T::AccountId,
	/// The granted encryption intervals.
	pub intervals: IntervalRange,
	/// The first block at which the grant no longer holds.
	pub expires_at: BlockNumberFor<T>,
	/// The proxies that hold fragments of the re-encryption key, no duplicates.
	pub proxies: BoundedVec<T::AccountId, T::MaxProxiesPerGrant>,
	/// How many proxies must re-encrypt (m of n, `1 <= m <= n`).
	pub threshold: u32,
	/// The deposit held from `grantor`.
	pub deposit: BalanceOf<T>,
}

/// A registered re-encryption proxy.
#[derive(
	Encode, Decode, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound, TypeInfo, MaxEncodedLen,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct Proxy<T: Config> {
	/// The proxy's libp2p `PeerId`, where grantees reach it.
	pub peer_id: BoundedVec<u8, T::MaxPeerIdLen>,
	/// The proxy's Umbral public key, towards which key fragments are made.
	pub reencryption_key: ReencryptionKey,
	/// Whether it takes new grants.
	pub status: ProxyStatus<BlockNumberFor<T>>,
	/// The bond held from the proxy.
	pub bond: BalanceOf<T>,
	/// Re-encryptions credited so far (after rate limiting).
	pub served: u64,
	/// The block of the proxy's last accepted attestation.
	pub last_attested_at: Option<BlockNumberFor<T>>,
}

/// A grantee's signed acknowledgement of service, as a proxy submits it.
#[derive(
	Encode, Decode, DecodeWithMemTracking, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen,
)]
pub struct Receipt<Signature> {
	/// The grant under which the proxy served.
	pub grant: GrantId,
	/// Re-encryptions served to the grantee under this grant so far (cumulative).
	pub total_served: u64,
	/// The grantee's signature over
	/// [`receipt_payload`](cpchain_primitives::access::receipt_payload).
	pub signature: Signature,
}

/// An account's published Umbral keys and the deposit held for them.
#[derive(
	Encode, Decode, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound, TypeInfo, MaxEncodedLen,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct PublishedKeys<T: Config> {
	/// The keys.
	pub keys: UmbralKeys,
	/// The deposit held from the account.
	pub deposit: BalanceOf<T>,
}

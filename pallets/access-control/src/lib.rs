//! # Access control pallet
//!
//! Who may read which part of a data stream, and the proxies that re-encrypt for them.
//!
//! ## Pallet API
//!
//! Keys: [`Pallet::set_umbral_keys`], [`Pallet::clear_umbral_keys`].
//! Grants: [`Pallet::grant`], [`Pallet::revoke`], [`Pallet::remove_expired`]. Proxies:
//! [`Pallet::register_proxy`], [`Pallet::unregister_proxy`], [`Pallet::withdraw_proxy`],
//! [`Pallet::attest_service`]. Proxies and applications ask [`Pallet::is_authorized`] and the
//! views behind the `AccessControlApi` runtime API.
//!
//! ## Overview
//!
//! Data is encrypted once by its owner and authorised many times ("encrypt once, authorise
//! many"). A **grant** lets a grantee read a range of a stream's encryption intervals until
//! an expiry block. It names the **proxies** that hold fragments of the re-encryption key and
//! the threshold `m` of `n` fragments the grantee needs. A proxy re-encrypts for a grantee
//! only while [`Pallet::is_authorized`] says yes, so revoking a grant on chain stops the
//! service at the next block.
//!
//! **Umbral keys live on chain.** Every account that grants or is granted publishes its
//! Umbral public and verifying keys ([`Pallet::set_umbral_keys`], for a deposit), and a grant
//! copies the grantor's keys and the grantee's public key when it is made ([`GrantKeysOf`]).
//! Proxies accept only key fragments that verify against those copies and are signed by the
//! grantor's account over [`delivery_payload`]; grantees verify capsule fragments against
//! them. Keys that arrive with a message are never trusted, and publishing new keys later
//! changes no existing grant.
//!
//! A grant costs the grantor a deposit (fungible hold [`HoldReason::GrantDeposit`]), returned
//! when the grant is revoked (by its grantor or by the stream's current owner) or, once it
//! has expired or its stream is gone, removed by anyone. Proxies register with a bond
//! ([`HoldReason::ProxyBond`]), their libp2p `PeerId` and their Umbral public key, and leave
//! in two steps: announce, then withdraw the bond after `ProxyUnbondDelay` blocks.
//!
//! Proxies prove service with receipts: the grantee signs the cumulative number of
//! re-encryptions a proxy has served it under a grant. The pallet credits the growth since
//! the last receipt, at most one attestation per `AttestationPeriod` blocks and at most
//! `MaxServedPerPeriod` re-encryptions each, and reports the credit to the reputation system
//! as proxy service. The caps bound what a grantee and a proxy in collusion can inflate.
//!
//! ## Low Level / Implementation Details
//!
//! Grants are indexed per stream (`GrantsByStream`, at most `MaxGrantsPerStream` each) and
//! per `(grantee, stream)` (`GrantsOf`), so [`Pallet::is_authorized`] reads at most
//! `MaxGrantsPerStream` grants. The pallet learns about streams through
//! [`StreamInspect`] and does not depend on the data-registry pallet.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod testing_utils;
#[cfg(test)]
mod tests;
pub mod types;
pub mod weights;

use alloc::vec::Vec;
use cpchain_primitives::{
	access::{
		is_compressed_point, is_peer_id, receipt_payload, GrantId, GrantInspect, GrantKeys,
		GrantView, ProxyStatus, ProxyView, ReencryptionKey, UmbralKeys,
	},
	data::{IntervalIndex, IntervalRange, StreamId, StreamInspect},
	reputation::{ReputationSink, Signal},
};
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::{Inspect, InspectHold, MutateHold},
		tokens::Precision,
	},
};
use frame_system::pallet_prelude::*;
use sp_core::H256;
use sp_runtime::{
	traits::{IdentifyAccount, Saturating, Verify, Zero},
	ArithmeticError,
};

pub use pallet::*;
pub use types::{Grant, Proxy, PublishedKeys, Receipt};
pub use weights::WeightInfo;

/// What the benchmarks need from the runtime.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId, Signature> {
	/// Creates a stream owned by `owner` (funding it if need be) and returns its id.
	fn stream_of(owner: &AccountId) -> StreamId;
	/// An account whose key can sign (in the benchmark's keystore).
	fn signer() -> AccountId;
	/// `signer`'s signature over `message`.
	fn sign(signer: &AccountId, message: &[u8]) -> Signature;
}

/// Sr25519 keys in the benchmark keystore, for runtimes whose accounts are `AccountId32` and
/// whose signatures are `MultiSignature` (CPChain's runtime and the mock).
#[cfg(feature = "runtime-benchmarks")]
pub mod benchmark_keys {
	use sp_core::{crypto::KeyTypeId, sr25519};
	use sp_runtime::{AccountId32, MultiSignature};

	/// The key type under which the benchmarks keep grantee keys.
	pub const KEY_TYPE: KeyTypeId = KeyTypeId(*b"cpgr");

	/// A new account whose sr25519 key is in the keystore.
	pub fn sr25519_signer() -> AccountId32 {
		AccountId32::from(sp_io::crypto::sr25519_generate(KEY_TYPE, None))
	}

	/// `signer`'s signature over `message`; `signer` must come from [`sr25519_signer`].
	pub fn sr25519_sign(signer: &AccountId32, message: &[u8]) -> MultiSignature {
		let public = sr25519::Public::from_raw(*<AccountId32 as AsRef<[u8; 32]>>::as_ref(signer));
		sp_io::crypto::sr25519_sign(KEY_TYPE, &public, message)
			.map(MultiSignature::Sr25519)
			.expect("benchmark keys are generated in the keystore; qed")
	}
}

/// The log target of this pallet.
pub const LOG_TARGET: &str = "runtime::access-control";

/// The most grants one `grants_of` runtime API call returns.
pub const MAX_GRANTS_PER_QUERY: usize = 256;

/// Balance type of the currency that deposits and bonds are held in.
pub type BalanceOf<T> =
	<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

/// The receipt type of the runtime.
pub type ReceiptOf<T> = Receipt<<T as Config>::ReceiptSignature>;

#[frame_support::pallet]
pub mod pallet {
	use super::*;

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// Deposits of grants, held from their grantors.
		#[codec(index = 0)]
		GrantDeposit,
		/// Bonds of re-encryption proxies.
		#[codec(index = 1)]
		ProxyBond,
		/// Deposits for published Umbral keys.
		#[codec(index = 2)]
		KeyDeposit,
	}

	#[pallet::config]
	// `Hash = H256`: signed messages bind the chain by its genesis hash, an `H256` on the
	// client side too.
	pub trait Config: frame_system::Config<Hash = H256> {
		/// The currency that deposits and bonds are held in.
		type Currency: Inspect<Self::AccountId>
			+ InspectHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// Where streams and their owners are looked up (the data registry).
		type Streams: StreamInspect<Self::AccountId>;

		/// Where proxy service is reported.
		type Reputation: ReputationSink<Self::AccountId>;

		/// The signature a grantee puts on a service receipt (the runtime's account
		/// signature: the grantee signs with its account key).
		type ReceiptSignature: Verify<Signer: IdentifyAccount<AccountId = Self::AccountId>>
			+ Parameter
			+ MaxEncodedLen;

		/// Deposit for one grant.
		#[pallet::constant]
		type GrantDeposit: Get<BalanceOf<Self>>;

		/// Bond of one proxy.
		#[pallet::constant]
		type ProxyBond: Get<BalanceOf<Self>>;

		/// Deposit for an account's published Umbral keys.
		#[pallet::constant]
		type KeyDeposit: Get<BalanceOf<Self>>;

		/// The most proxies one grant names (`n` of the m-of-n threshold).
		#[pallet::constant]
		type MaxProxiesPerGrant: Get<u32>;

		/// The most grants on one stream.
		#[pallet::constant]
		type MaxGrantsPerStream: Get<u32>;

		/// How far past the stream's next interval a grant may reach: grants may cover data
		/// not uploaded yet (a subscription), but not without end.
		#[pallet::constant]
		type MaxFutureIntervals: Get<IntervalIndex>;

		/// The longest `PeerId`, in bytes.
		#[pallet::constant]
		type MaxPeerIdLen: Get<u32>;

		/// Blocks between a proxy's announcement that it leaves and the release of its bond,
		/// so that grants naming it can be replaced.
		#[pallet::constant]
		type ProxyUnbondDelay: Get<BlockNumberFor<Self>>;

		/// The fewest blocks between two attestations of one proxy.
		#[pallet::constant]
		type AttestationPeriod: Get<BlockNumberFor<Self>>;

		/// The most receipts in one attestation.
		#[pallet::constant]
		type MaxReceiptsPerCall: Get<u32>;

		/// The most re-encryptions credited to a proxy per attestation.
		#[pallet::constant]
		type MaxServedPerPeriod: Get<u32>;

		/// Weights of this pallet's dispatchables.
		type WeightInfo: WeightInfo;

		/// Sets up what the benchmarks need from outside the pallet.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId, Self::ReceiptSignature>;
	}

	/// The id the next grant gets.
	#[pallet::storage]
	pub type NextGrantId<T: Config> = StorageValue<_, GrantId, ValueQuery>;

	/// Grants, by id.
	#[pallet::storage]
	pub type Grants<T: Config> = StorageMap<_, Twox64Concat, GrantId, Grant<T>>;

	/// The grants on each stream.
	#[pallet::storage]
	pub type GrantsByStream<T: Config> =
		StorageDoubleMap<_, Twox64Concat, StreamId, Twox64Concat, GrantId, ()>;

	/// The number of grants on each stream (at most `MaxGrantsPerStream`).
	#[pallet::storage]
	pub type GrantCount<T: Config> = StorageMap<_, Twox64Concat, StreamId, u32, ValueQuery>;

	/// The grants of each grantee, by stream: what `is_authorized` reads.
	// Blake2_128Concat for the account, which a user picks; the ids are assigned by the chain.
	#[pallet::storage]
	pub type GrantsOf<T: Config> = StorageNMap<
		_,
		(
			NMapKey<Blake2_128Concat, T::AccountId>,
			NMapKey<Twox64Concat, StreamId>,
			NMapKey<Twox64Concat, GrantId>,
		),
		(),
	>;

	/// The Umbral keys each account published, with the deposit held for them.
	#[pallet::storage]
	pub type UmbralKeysOf<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, PublishedKeys<T>>;

	/// The keys each grant was made with (copied from `UmbralKeysOf` when it was made).
	/// Grants made before keys were published on chain have none, and proxies take no
	/// fragment for them.
	#[pallet::storage]
	pub type GrantKeysOf<T: Config> = StorageMap<_, Twox64Concat, GrantId, GrantKeys>;

	/// Registered proxies.
	#[pallet::storage]
	pub type Proxies<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, Proxy<T>>;

	/// The cumulative count of the last receipt credited, per grant and proxy: a receipt
	/// must exceed it, so receipts cannot be replayed.
	#[pallet::storage]
	pub type Credited<T: Config> =
		StorageDoubleMap<_, Twox64Concat, GrantId, Blake2_128Concat, T::AccountId, u64, ValueQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A grant was made.
		GrantCreated {
			grant: GrantId,
			stream: StreamId,
			grantor: T::AccountId,
			grantee: T::AccountId,
			intervals: IntervalRange,
			expires_at: BlockNumberFor<T>,
		},
		/// `who` published Umbral keys (replacing any it had); new grants use them.
		UmbralKeysSet { who: T::AccountId, keys: UmbralKeys },
		/// `who` withdrew its Umbral keys; their deposit was released.
		UmbralKeysCleared { who: T::AccountId },
		/// A grant was revoked by `by`; its deposit was released.
		GrantRevoked { grant: GrantId, by: T::AccountId },
		/// An expired grant (or one whose stream is gone) was removed; its deposit was
		/// released.
		GrantRemoved { grant: GrantId },
		/// A proxy registered.
		ProxyRegistered {
			proxy: T::AccountId,
			peer_id: BoundedVec<u8, T::MaxPeerIdLen>,
			reencryption_key: ReencryptionKey,
		},
		/// A proxy announced that it leaves; its bond can be withdrawn from block `until`.
		ProxyLeaving { proxy: T::AccountId, until: BlockNumberFor<T> },
		/// A proxy left and its bond was released.
		ProxyWithdrawn { proxy: T::AccountId },
		/// A proxy attested service: `served` re-encryptions by its receipts, `credited` of
		/// them counted after the per-period cap.
		ServiceAttested { proxy: T::AccountId, receipts: u32, served: u64, credited: u32 },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No stream has this id.
		UnknownStream,
		/// The caller does not own the stream.
		NotStreamOwner,
		/// A grant to oneself means nothing.
		SelfGrant,
		/// The interval range is reversed (`first > last`).
		InvalidIntervalRange,
		/// The range reaches more than `MaxFutureIntervals` past the stream's next interval.
		IntervalBeyondStream,
		/// The expiry block is not in the future.
		AlreadyExpired,
		/// The grant names no proxy.
		NoProxies,
		/// The grant names a proxy twice.
		DuplicateProxy,
		/// The threshold is zero or more than the number of proxies.
		InvalidThreshold,
		/// The stream has `MaxGrantsPerStream` grants; revoke or remove some first.
		TooManyGrants,
		/// No grant has this id.
		UnknownGrant,
		/// Only the grantor or the stream's current owner may revoke a grant.
		NotAllowedToRevoke,
		/// The grant has not expired and its stream exists.
		GrantStillValid,
		/// The account is not a registered proxy.
		NotProxy,
		/// The account is a registered proxy already.
		AlreadyProxy,
		/// The proxy is leaving and takes no new grants.
		ProxyLeaving,
		/// The proxy is not leaving; call `unregister_proxy` first.
		NotLeaving,
		/// The proxy's unbond delay has not passed yet.
		StillBonded,
		/// The bytes are not a libp2p `PeerId` (an identity or SHA2-256 multihash).
		InvalidPeerId,
		/// The key is not a compressed secp256k1 point (`0x02`/`0x03` and 32 bytes).
		InvalidReencryptionKey,
		/// The attestation holds no receipt.
		EmptyAttestation,
		/// The proxy attested less than `AttestationPeriod` blocks ago.
		TooSoon,
		/// The grant does not name the caller as a proxy.
		NotGrantProxy,
		/// The receipt's count does not exceed the last credited one.
		StaleReceipt,
		/// The receipt's signature is not the grantee's.
		BadReceiptSignature,
		/// The caller cannot afford the deposit or bond.
		InsufficientBalance,
		/// The keys are not compressed secp256k1 points (`0x02`/`0x03` and 32 bytes).
		InvalidUmbralKeys,
		/// The account has published no Umbral keys.
		NoUmbralKeys,
		/// The grantor has published no Umbral keys (`set_umbral_keys`).
		GrantorHasNoUmbralKeys,
		/// The grantee has published no Umbral keys: nobody could verify what it is sent.
		GranteeHasNoUmbralKeys,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(T::MaxProxiesPerGrant::get() > 0, "a grant must be able to name a proxy");
			assert!(T::MaxGrantsPerStream::get() > 0, "a stream must be able to have a grant");
			assert!(T::MaxReceiptsPerCall::get() > 0, "an attestation must hold a receipt");
			assert!(T::MaxPeerIdLen::get() >= 34, "a SHA2-256 PeerId must fit");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Grants `grantee` read access to the encryption intervals `intervals` of `stream`
		/// until block `expires_at` (exclusive), through `proxies`, `threshold` of which must
		/// re-encrypt for the grantee to decrypt.
		///
		/// The caller must own the stream, and both the caller and the grantee must have
		/// published Umbral keys: the grant keeps a copy of them, against which proxies check
		/// key fragments. Every proxy must be registered and not leaving.
		/// The range may reach at most `MaxFutureIntervals` past the stream's next interval.
		/// Holds `GrantDeposit` from the caller. Emits `GrantCreated`.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::grant(proxies.len() as u32))]
		pub fn grant(
			origin: OriginFor<T>,
			stream: StreamId,
			grantee: T::AccountId,
			intervals: IntervalRange,
			expires_at: BlockNumberFor<T>,
			proxies: BoundedVec<T::AccountId, T::MaxProxiesPerGrant>,
			threshold: u32,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let summary = T::Streams::stream(stream).ok_or(Error::<T>::UnknownStream)?;
			ensure!(summary.owner == who, Error::<T>::NotStreamOwner);
			ensure!(grantee != who, Error::<T>::SelfGrant);
			ensure!(intervals.is_valid(), Error::<T>::InvalidIntervalRange);
			ensure!(
				intervals.last
					<= summary.next_interval.saturating_add(T::MaxFutureIntervals::get()),
				Error::<T>::IntervalBeyondStream
			);
			ensure!(
				expires_at > frame_system::Pallet::<T>::block_number(),
				Error::<T>::AlreadyExpired
			);
			ensure!(!proxies.is_empty(), Error::<T>::NoProxies);
			ensure!(
				threshold >= 1 && threshold as usize <= proxies.len(),
				Error::<T>::InvalidThreshold
			);
			for (i, proxy) in proxies.iter().enumerate() {
				// Quadratic, but in `MaxProxiesPerGrant`, a small constant.
				ensure!(!proxies[..i].contains(proxy), Error::<T>::DuplicateProxy);
				let registered = Proxies::<T>::get(proxy).ok_or(Error::<T>::NotProxy)?;
				ensure!(registered.status == ProxyStatus::Active, Error::<T>::ProxyLeaving);
			}
			let keys = GrantKeys {
				grantor: UmbralKeysOf::<T>::get(&who)
					.ok_or(Error::<T>::GrantorHasNoUmbralKeys)?
					.keys,
				grantee: UmbralKeysOf::<T>::get(&grantee)
					.ok_or(Error::<T>::GranteeHasNoUmbralKeys)?
					.keys
					.public,
			};
			let count = GrantCount::<T>::get(stream);
			ensure!(count < T::MaxGrantsPerStream::get(), Error::<T>::TooManyGrants);
			let id = NextGrantId::<T>::get();
			let next = id.checked_add(1).ok_or(ArithmeticError::Overflow)?;

			let deposit = T::GrantDeposit::get();
			T::Currency::hold(&HoldReason::GrantDeposit.into(), &who, deposit)
				.map_err(|_| Error::<T>::InsufficientBalance)?;
			NextGrantId::<T>::put(next);
			GrantCount::<T>::insert(stream, count.saturating_add(1));
			GrantsByStream::<T>::insert(stream, id, ());
			GrantsOf::<T>::insert((&grantee, stream, id), ());
			GrantKeysOf::<T>::insert(id, keys);
			Grants::<T>::insert(
				id,
				Grant {
					stream,
					grantor: who.clone(),
					grantee: grantee.clone(),
					intervals,
					expires_at,
					proxies,
					threshold,
					deposit,
				},
			);
			Self::deposit_event(Event::GrantCreated {
				grant: id,
				stream,
				grantor: who,
				grantee,
				intervals,
				expires_at,
			});
			Ok(())
		}

		/// Revokes a grant at once: proxies stop serving it from the next block.
		///
		/// The caller must be the grantor or the stream's current owner (who may revoke
		/// grants made before the device changed hands). The deposit returns to the grantor.
		/// Emits `GrantRevoked`.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::revoke(T::MaxProxiesPerGrant::get()))]
		pub fn revoke(origin: OriginFor<T>, grant: GrantId) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let g = Grants::<T>::get(grant).ok_or(Error::<T>::UnknownGrant)?;
			let owns_stream = T::Streams::stream(g.stream).is_some_and(|s| s.owner == who);
			ensure!(g.grantor == who || owns_stream, Error::<T>::NotAllowedToRevoke);
			let proxies = g.proxies.len() as u32;
			Self::remove_grant(grant, g)?;
			Self::deposit_event(Event::GrantRevoked { grant, by: who });
			Ok(Some(T::WeightInfo::revoke(proxies)).into())
		}

		/// Removes a grant that has expired, or whose stream is gone, and returns its
		/// deposit to the grantor. Anyone may call it: it only cleans up.
		///
		/// Emits `GrantRemoved`.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::remove_expired(T::MaxProxiesPerGrant::get()))]
		pub fn remove_expired(origin: OriginFor<T>, grant: GrantId) -> DispatchResultWithPostInfo {
			ensure_signed(origin)?;
			let g = Grants::<T>::get(grant).ok_or(Error::<T>::UnknownGrant)?;
			let expired = frame_system::Pallet::<T>::block_number() >= g.expires_at;
			ensure!(expired || T::Streams::stream(g.stream).is_none(), Error::<T>::GrantStillValid);
			let proxies = g.proxies.len() as u32;
			Self::remove_grant(grant, g)?;
			Self::deposit_event(Event::GrantRemoved { grant });
			Ok(Some(T::WeightInfo::remove_expired(proxies)).into())
		}

		/// Registers the caller as a re-encryption proxy, reachable at libp2p `peer_id`, with
		/// the Umbral public key `reencryption_key` (a compressed secp256k1 point).
		///
		/// Holds `ProxyBond` from the caller. Emits `ProxyRegistered`.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::register_proxy())]
		pub fn register_proxy(
			origin: OriginFor<T>,
			peer_id: BoundedVec<u8, T::MaxPeerIdLen>,
			reencryption_key: ReencryptionKey,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(!Proxies::<T>::contains_key(&who), Error::<T>::AlreadyProxy);
			ensure!(is_peer_id(&peer_id), Error::<T>::InvalidPeerId);
			ensure!(is_compressed_point(&reencryption_key), Error::<T>::InvalidReencryptionKey);
			let bond = T::ProxyBond::get();
			T::Currency::hold(&HoldReason::ProxyBond.into(), &who, bond)
				.map_err(|_| Error::<T>::InsufficientBalance)?;
			Proxies::<T>::insert(
				&who,
				Proxy {
					peer_id: peer_id.clone(),
					reencryption_key,
					status: ProxyStatus::Active,
					bond,
					served: 0,
					last_attested_at: None,
				},
			);
			Self::deposit_event(Event::ProxyRegistered { proxy: who, peer_id, reencryption_key });
			Ok(())
		}

		/// Announces that the caller stops serving as a proxy: no new grant may name it, and
		/// its bond can be withdrawn after `ProxyUnbondDelay` blocks.
		///
		/// Emits `ProxyLeaving`.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::unregister_proxy())]
		pub fn unregister_proxy(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let until = Proxies::<T>::try_mutate(&who, |p| -> Result<_, Error<T>> {
				let p = p.as_mut().ok_or(Error::<T>::NotProxy)?;
				ensure!(p.status == ProxyStatus::Active, Error::<T>::ProxyLeaving);
				let until = frame_system::Pallet::<T>::block_number()
					.saturating_add(T::ProxyUnbondDelay::get());
				p.status = ProxyStatus::Leaving { until };
				Ok(until)
			})?;
			Self::deposit_event(Event::ProxyLeaving { proxy: who, until });
			Ok(())
		}

		/// Releases the bond of a proxy whose unbond delay has passed and forgets the proxy.
		///
		/// Emits `ProxyWithdrawn`.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::withdraw_proxy())]
		pub fn withdraw_proxy(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let proxy = Proxies::<T>::get(&who).ok_or(Error::<T>::NotProxy)?;
			let ProxyStatus::Leaving { until } = proxy.status else {
				return Err(Error::<T>::NotLeaving.into());
			};
			ensure!(frame_system::Pallet::<T>::block_number() >= until, Error::<T>::StillBonded);
			T::Currency::release(
				&HoldReason::ProxyBond.into(),
				&who,
				proxy.bond,
				Precision::BestEffort,
			)?;
			Proxies::<T>::remove(&who);
			Self::deposit_event(Event::ProxyWithdrawn { proxy: who });
			Ok(())
		}

		/// Attests re-encryption service with grantees' receipts.
		///
		/// Each receipt names a grant that lists the caller as a proxy, a cumulative count of
		/// re-encryptions served under it, and the grantee's signature over
		/// `(b"cpchain/proxy-receipt/v1", genesis hash, grant, proxy, count)`. The count must
		/// exceed the last one credited for that grant and proxy. At most one attestation per
		/// `AttestationPeriod` blocks; the growth is credited up to `MaxServedPerPeriod` and
		/// reported as proxy service to the reputation system. Emits `ServiceAttested`.
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::attest_service(receipts.len() as u32))]
		pub fn attest_service(
			origin: OriginFor<T>,
			receipts: BoundedVec<ReceiptOf<T>, T::MaxReceiptsPerCall>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut proxy = Proxies::<T>::get(&who).ok_or(Error::<T>::NotProxy)?;
			ensure!(!receipts.is_empty(), Error::<T>::EmptyAttestation);
			let now = frame_system::Pallet::<T>::block_number();
			if let Some(last) = proxy.last_attested_at {
				ensure!(
					now >= last.saturating_add(T::AttestationPeriod::get()),
					Error::<T>::TooSoon
				);
			}
			let genesis = Self::genesis_hash();
			let mut served: u64 = 0;
			for receipt in &receipts {
				let grant = Grants::<T>::get(receipt.grant).ok_or(Error::<T>::UnknownGrant)?;
				ensure!(grant.proxies.contains(&who), Error::<T>::NotGrantProxy);
				let credited = Credited::<T>::get(receipt.grant, &who);
				ensure!(receipt.total_served > credited, Error::<T>::StaleReceipt);
				let message = receipt_payload(genesis, receipt.grant, &who, receipt.total_served);
				ensure!(
					receipt.signature.verify(&message[..], &grant.grantee),
					Error::<T>::BadReceiptSignature
				);
				Credited::<T>::insert(receipt.grant, &who, receipt.total_served);
				served = served.saturating_add(receipt.total_served.saturating_sub(credited));
			}
			let cap = T::MaxServedPerPeriod::get();
			// Fits: at most `cap`, a u32.
			let credited = served.min(cap.into()) as u32;
			proxy.served = proxy.served.saturating_add(credited.into());
			proxy.last_attested_at = Some(now);
			Proxies::<T>::insert(&who, proxy);
			T::Reputation::note(&who, Signal::ProxyServed(credited));
			Self::deposit_event(Event::ServiceAttested {
				proxy: who,
				receipts: receipts.len() as u32,
				served,
				credited,
			});
			Ok(())
		}

		/// Publishes the caller's Umbral keys: the public key its interval keys are wrapped
		/// under and grants re-encrypt towards, and the verifying key that signs its key
		/// fragments. Both are compressed secp256k1 points.
		///
		/// Grants the caller makes or receives from now on copy these keys; existing grants
		/// keep the keys they were made with. The first publication holds `KeyDeposit`;
		/// replacing keys holds nothing more. Emits `UmbralKeysSet`.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::set_umbral_keys())]
		pub fn set_umbral_keys(origin: OriginFor<T>, keys: UmbralKeys) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(keys.is_well_formed(), Error::<T>::InvalidUmbralKeys);
			let deposit = match UmbralKeysOf::<T>::get(&who) {
				Some(published) => published.deposit,
				None => {
					let deposit = T::KeyDeposit::get();
					T::Currency::hold(&HoldReason::KeyDeposit.into(), &who, deposit)
						.map_err(|_| Error::<T>::InsufficientBalance)?;
					deposit
				}
			};
			UmbralKeysOf::<T>::insert(&who, PublishedKeys { keys, deposit });
			Self::deposit_event(Event::UmbralKeysSet { who, keys });
			Ok(())
		}

		/// Withdraws the caller's published Umbral keys and releases their deposit. Existing
		/// grants keep their copies; no new grant can be made by or to the caller until it
		/// publishes keys again. Emits `UmbralKeysCleared`.
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::clear_umbral_keys())]
		pub fn clear_umbral_keys(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let published = UmbralKeysOf::<T>::get(&who).ok_or(Error::<T>::NoUmbralKeys)?;
			T::Currency::release(
				&HoldReason::KeyDeposit.into(),
				&who,
				published.deposit,
				Precision::BestEffort,
			)?;
			UmbralKeysOf::<T>::remove(&who);
			Self::deposit_event(Event::UmbralKeysCleared { who });
			Ok(())
		}
	}
}

impl<T: Config> GrantInspect<T::AccountId> for Pallet<T> {
	fn is_authorized(grantee: &T::AccountId, stream: StreamId, interval: IntervalIndex) -> bool {
		Pallet::<T>::is_authorized(grantee, stream, interval)
	}
}

impl<T: Config> Pallet<T> {
	/// Whether `grantee` may read encryption interval `interval` of `stream` now: the stream
	/// exists and a grant on it covers the interval and has not expired. Reads at most
	/// `MaxGrantsPerStream` grants.
	pub fn is_authorized(
		grantee: &T::AccountId,
		stream: StreamId,
		interval: IntervalIndex,
	) -> bool {
		if T::Streams::stream(stream).is_none() {
			return false;
		}
		let now = frame_system::Pallet::<T>::block_number();
		GrantsOf::<T>::iter_key_prefix((grantee, stream)).any(|id| {
			Grants::<T>::get(id)
				.is_some_and(|g| now < g.expires_at && g.intervals.contains(interval))
		})
	}

	/// A grant as the runtime API shows it.
	pub fn grant_view(grant: GrantId) -> Option<GrantView<T::AccountId, BlockNumberFor<T>>> {
		Grants::<T>::get(grant).map(|g| Self::view(grant, g))
	}

	/// The grants on `stream` (at most `MaxGrantsPerStream`).
	pub fn grants_by_stream(stream: StreamId) -> Vec<GrantView<T::AccountId, BlockNumberFor<T>>> {
		GrantsByStream::<T>::iter_key_prefix(stream).filter_map(|id| Self::grant_view(id)).collect()
	}

	/// The first [`MAX_GRANTS_PER_QUERY`] grants of `grantee`.
	pub fn grants_of(grantee: &T::AccountId) -> Vec<GrantView<T::AccountId, BlockNumberFor<T>>> {
		GrantsOf::<T>::iter_key_prefix((grantee,))
			.take(MAX_GRANTS_PER_QUERY)
			.filter_map(|(_, id)| Self::grant_view(id))
			.collect()
	}

	/// The Umbral keys `who` published.
	pub fn umbral_keys(who: &T::AccountId) -> Option<UmbralKeys> {
		UmbralKeysOf::<T>::get(who).map(|p| p.keys)
	}

	/// The keys grant `grant` was made with.
	pub fn grant_keys(grant: GrantId) -> Option<GrantKeys> {
		GrantKeysOf::<T>::get(grant)
	}

	/// A proxy as the runtime API shows it.
	pub fn proxy_view(proxy: &T::AccountId) -> Option<ProxyView<BlockNumberFor<T>>> {
		Proxies::<T>::get(proxy).map(|p| ProxyView {
			peer_id: p.peer_id.into_inner(),
			reencryption_key: p.reencryption_key,
			status: p.status,
			served: p.served,
		})
	}

	fn view(id: GrantId, g: Grant<T>) -> GrantView<T::AccountId, BlockNumberFor<T>> {
		GrantView {
			id,
			stream: g.stream,
			grantor: g.grantor,
			grantee: g.grantee,
			intervals: g.intervals,
			expires_at: g.expires_at,
			proxies: g.proxies.into_inner(),
			threshold: g.threshold,
		}
	}

	/// Removes a grant with its index entries and receipts, and releases its deposit.
	fn remove_grant(id: GrantId, g: Grant<T>) -> DispatchResult {
		T::Currency::release(
			&HoldReason::GrantDeposit.into(),
			&g.grantor,
			g.deposit,
			Precision::BestEffort,
		)?;
		Grants::<T>::remove(id);
		GrantsByStream::<T>::remove(g.stream, id);
		GrantsOf::<T>::remove((&g.grantee, g.stream, id));
		GrantKeysOf::<T>::remove(id);
		GrantCount::<T>::mutate_exists(g.stream, |count| {
			*count = count.and_then(|c| c.checked_sub(1)).filter(|c| *c > 0);
		});
		// At most one entry per named proxy.
		let _ = Credited::<T>::clear_prefix(id, T::MaxProxiesPerGrant::get(), None);
		Ok(())
	}

	/// The genesis hash, which binds signed messages to this chain.
	fn genesis_hash() -> H256 {
		frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero())
	}

	/// Checks the pallet's invariants: every grant is indexed once per stream and per
	/// grantee, the per-stream counts match, ids are below `NextGrantId`, thresholds are
	/// within the proxies, grant keys belong to grants, published keys are well formed, and
	/// the holds match the deposits and bonds recorded.
	#[cfg(any(feature = "try-runtime", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use alloc::collections::btree_map::BTreeMap;
		let next = NextGrantId::<T>::get();
		let mut deposits: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		let mut counts: BTreeMap<StreamId, u32> = BTreeMap::new();
		for (id, g) in Grants::<T>::iter() {
			ensure!(id < next, "grant id not below NextGrantId");
			ensure!(GrantsByStream::<T>::contains_key(g.stream, id), "grant missing by stream");
			ensure!(GrantsOf::<T>::contains_key((&g.grantee, g.stream, id)), "grant missing of");
			ensure!(
				g.threshold >= 1 && g.threshold as usize <= g.proxies.len(),
				"grant threshold out of range"
			);
			let d = deposits.entry(g.grantor.clone()).or_insert_with(Zero::zero);
			*d = d.saturating_add(g.deposit);
			let c = counts.entry(g.stream).or_default();
			*c = c.saturating_add(1);
		}
		ensure!(
			GrantsByStream::<T>::iter_keys().count() == Grants::<T>::iter_keys().count(),
			"stale stream index entries"
		);
		ensure!(
			GrantsOf::<T>::iter_keys().count() == Grants::<T>::iter_keys().count(),
			"stale grantee index entries"
		);
		ensure!(
			GrantKeysOf::<T>::iter_keys().all(Grants::<T>::contains_key),
			"keys of a grant that does not exist"
		);
		for (who, published) in UmbralKeysOf::<T>::iter() {
			ensure!(published.keys.is_well_formed(), "published keys not well formed");
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::KeyDeposit.into(), &who)
					== published.deposit,
				"key deposit does not match hold"
			);
		}
		ensure!(
			GrantCount::<T>::iter().all(|(s, c)| counts.get(&s) == Some(&c))
				&& counts.iter().all(|(s, c)| GrantCount::<T>::get(s) == *c),
			"grant counts do not match grants"
		);
		for (who, amount) in deposits {
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::GrantDeposit.into(), &who) == amount,
				"grant deposits do not match holds"
			);
		}
		for (who, proxy) in Proxies::<T>::iter() {
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::ProxyBond.into(), &who) == proxy.bond,
				"proxy bond does not match hold"
			);
		}
		Ok(())
	}
}

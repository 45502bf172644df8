//! # Data registry pallet
//!
//! Who owns which IoT data, where its ciphertext lives, and the hashes that prove it intact.
//! The chain never sees the data itself.
//!
//! ## Pallet API
//!
//! Devices: [`Pallet::register_device`], [`Pallet::rotate_device_key`],
//! [`Pallet::revoke_device`], [`Pallet::offer_device`], [`Pallet::accept_device`],
//! [`Pallet::remove_device`]. Streams: [`Pallet::create_stream`], [`Pallet::close_stream`].
//! Records: [`Pallet::append_record`], [`Pallet::prune_records`]. Other pallets read streams
//! through [`StreamInspect`](cpchain_primitives::data::StreamInspect); applications use the `DataRegistryApi` runtime API (see
//! [`Pallet::device_view`], [`Pallet::stream_view`], [`Pallet::records_view`]).
//!
//! ## Overview
//!
//! - A **device** is registered by its owner with its public key (sr25519, ed25519 or ecdsa:
//!   a small DPKI). The owner rotates the key (the old key is kept, with the block that
//!   retired it) and revokes the device when it is lost or compromised. Ownership moves in two
//!   steps: the owner offers the device, the new owner accepts and takes over the deposits.
//! - A **stream** belongs to a device. Its parameters say how readings become data blocks
//!   (period `T`), how many blocks share one symmetric key (encryption interval `e`) and how
//!   many blocks go into one upload (upload interval `u`).
//! - A **record** is one upload: CID, BLAKE2-256 of the ciphertext, Merkle root over the data
//!   blocks, size, the encryption intervals covered, device time, and the hash of the
//!   previous record. Each record's hash commits to all of this, so the records of a stream
//!   form a hash chain that the pallet checks on every append (`BrokenHashChain`). A record
//!   may carry the device's signature over its hash (bound to this chain's genesis hash);
//!   when present it is checked against the device's current key.
//!
//! Every stored item costs a deposit, held from the owner (fungible hold
//! [`HoldReason::DataDeposit`]) and released when the item is removed: records by
//! `prune_records` (oldest first), then the stream by `close_stream`, then the device by
//! `remove_device`. Each appended record is reported to the reputation system as data
//! contribution.
//!
//! ## Low Level / Implementation Details
//!
//! Ids count up and are never reused. Records live in a double map keyed by
//! `(stream, index)`; pruning removes a bounded number from the front per call, so the chain
//! of hashes stays checkable from the stream's `last_record_hash`. All iteration is bounded by
//! a call argument with a configured maximum.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod impls;
#[cfg(test)]
mod mock;
pub mod offchain;
pub mod signature;
#[cfg(test)]
mod testing_utils;
#[cfg(test)]
mod tests;
pub mod types;
pub mod weights;

use cpchain_primitives::{
	data::{
		DeviceId, DeviceKey, DeviceSignature, DeviceStatus, RecordIndex, StreamId, StreamParams,
	},
	reputation::{ReputationSink, Signal},
};
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::{Inspect, InspectHold, MutateHold},
		Contains,
	},
};
use frame_system::{
	offchain::{AppCrypto, CreateSignedTransaction},
	pallet_prelude::*,
};
use sp_core::H256;
use sp_runtime::{
	traits::{Saturating, Zero},
	DispatchError,
};

pub use pallet::*;
pub use types::{Device, NewRecord, Record, Stream};
pub use weights::WeightInfo;

/// What the benchmarks need from the runtime.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// An account that `Config::StorageNodes` contains (made one if need be).
	fn storage_node() -> AccountId;
}

/// The log target of this pallet.
pub const LOG_TARGET: &str = "runtime::data-registry";

/// The most records that one `records` runtime API call returns.
pub const MAX_RECORDS_PER_QUERY: u32 = 256;

/// Balance type of the currency that deposits are held in.
pub type BalanceOf<T> =
	<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

/// The device type of the runtime.
pub type DeviceOf<T> = Device<T>;
/// The stream type of the runtime.
pub type StreamOf<T> = Stream<T>;
/// The record type of the runtime.
pub type RecordOf<T> = Record<T>;
/// The `append_record` argument type of the runtime.
pub type NewRecordOf<T> = NewRecord<<T as Config>::MaxCidLen>;

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
		/// Storage deposits of devices, streams and records.
		#[codec(index = 0)]
		DataDeposit,
	}

	#[pallet::config]
	// `Hash = H256`: device signatures bind the chain by its genesis hash, an `H256` on the
	// client side too (`cpchain_primitives::data::record_signing_payload`).
	pub trait Config:
		CreateSignedTransaction<Call<Self>> + frame_system::Config<Hash = H256>
	{
		/// The currency that deposits are held in.
		type Currency: Inspect<Self::AccountId>
			+ InspectHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// Where data contribution is reported.
		type Reputation: ReputationSink<Self::AccountId>;

		/// Deposit for one device.
		#[pallet::constant]
		type DeviceDeposit: Get<BalanceOf<Self>>;

		/// Deposit for one stream.
		#[pallet::constant]
		type StreamDeposit: Get<BalanceOf<Self>>;

		/// Deposit for one stored record.
		#[pallet::constant]
		type RecordDeposit: Get<BalanceOf<Self>>;

		/// The longest CID, in bytes (a CIDv1 in base32 is about 60 bytes).
		#[pallet::constant]
		type MaxCidLen: Get<u32>;

		/// The longest device metadata, in bytes.
		#[pallet::constant]
		type MaxMetadataLen: Get<u32>;

		/// The longest stream name or schema tag, in bytes.
		#[pallet::constant]
		type MaxNameLen: Get<u32>;

		/// How many retired keys a device keeps; a device that needs more rotations is
		/// registered anew.
		#[pallet::constant]
		type MaxKeyHistory: Get<u32>;

		/// The most streams per device.
		#[pallet::constant]
		type MaxStreamsPerDevice: Get<u32>;

		/// The most records one `prune_records` call removes.
		#[pallet::constant]
		type MaxPrunePerCall: Get<u32>;

		/// The accounts that may report records available (storage nodes).
		type StorageNodes: Contains<Self::AccountId>;

		/// The key with which the off-chain worker signs availability reports.
		type AuthorityId: AppCrypto<Self::Public, Self::Signature>;

		/// The most records appended in one block (the off-chain worker pins each of them).
		#[pallet::constant]
		type MaxRecordsPerBlock: Get<u32>;

		/// The most records one availability report names.
		#[pallet::constant]
		type MaxReportsPerCall: Get<u32>;

		/// The most storage nodes recorded as holding one record.
		#[pallet::constant]
		type MaxReportersPerRecord: Get<u32>;

		/// Weights of this pallet's dispatchables.
		type WeightInfo: WeightInfo;

		/// Sets up what the benchmarks need from outside the pallet.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// The id the next device gets.
	#[pallet::storage]
	pub type NextDeviceId<T: Config> = StorageValue<_, DeviceId, ValueQuery>;

	/// The id the next stream gets.
	#[pallet::storage]
	pub type NextStreamId<T: Config> = StorageValue<_, StreamId, ValueQuery>;

	/// Registered devices.
	#[pallet::storage]
	pub type Devices<T: Config> = StorageMap<_, Twox64Concat, DeviceId, DeviceOf<T>>;

	/// Streams, by id.
	#[pallet::storage]
	pub type Streams<T: Config> = StorageMap<_, Twox64Concat, StreamId, StreamOf<T>>;

	/// Stored records, by stream and index.
	// Twox64Concat: both keys are assigned by the chain, so users cannot choose colliding ones.
	#[pallet::storage]
	pub type Records<T: Config> =
		StorageDoubleMap<_, Twox64Concat, StreamId, Twox64Concat, RecordIndex, RecordOf<T>>;

	/// The records appended in this block, for the off-chain worker (cleared every block).
	#[pallet::storage]
	pub type NewRecords<T: Config> =
		StorageValue<_, BoundedVec<(StreamId, RecordIndex), T::MaxRecordsPerBlock>, ValueQuery>;

	/// The storage nodes that reported a record pinned on their IPFS.
	#[pallet::storage]
	pub type Availability<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		StreamId,
		Twox64Concat,
		RecordIndex,
		BoundedVec<T::AccountId, T::MaxReportersPerRecord>,
		ValueQuery,
	>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A device was registered.
		DeviceRegistered { device: DeviceId, owner: T::AccountId, key: DeviceKey },
		/// A device's key was replaced; the old key is kept as retired.
		DeviceKeyRotated { device: DeviceId, old: DeviceKey, new: DeviceKey },
		/// A device was revoked: no more records for its streams.
		DeviceRevoked { device: DeviceId },
		/// The owner offered the device to another account (`None`: withdrew the offer).
		DeviceOffered { device: DeviceId, to: Option<T::AccountId> },
		/// A device, with its streams and records, changed owner.
		DeviceTransferred { device: DeviceId, from: T::AccountId, to: T::AccountId },
		/// A device was removed and its deposit released.
		DeviceRemoved { device: DeviceId },
		/// A stream was created.
		StreamCreated { stream: StreamId, device: DeviceId, owner: T::AccountId },
		/// A stream was closed and its deposit released.
		StreamClosed { stream: StreamId },
		/// A record was appended to a stream.
		RecordAppended {
			stream: StreamId,
			index: RecordIndex,
			hash: H256,
			cid: BoundedVec<u8, T::MaxCidLen>,
			content_hash: H256,
			device_signed: bool,
		},
		/// Records `from..to` of a stream were pruned and their deposits released.
		RecordsPruned { stream: StreamId, from: RecordIndex, to: RecordIndex },
		/// A storage node reported a record pinned on its IPFS.
		RecordAvailable { stream: StreamId, index: RecordIndex, reporter: T::AccountId },
		/// One entry of an availability report was refused (`UnknownRecord`,
		/// `DuplicateReport` or `TooManyReporters`); the report's other entries stand.
		ReportEntryRefused {
			stream: StreamId,
			index: RecordIndex,
			reporter: T::AccountId,
			error: DispatchError,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No device has this id.
		UnknownDevice,
		/// No stream has this id.
		UnknownStream,
		/// The caller does not own the device (or the stream's device).
		NotOwner,
		/// The device was revoked.
		DeviceRevoked,
		/// The device is still in service; revoke it first.
		DeviceNotRevoked,
		/// The new key is the current key.
		SameKey,
		/// The device has `MaxKeyHistory` retired keys; register a new device.
		KeyHistoryFull,
		/// The device was not offered to the caller.
		NotOffered,
		/// A device cannot be offered to its owner.
		SelfTransfer,
		/// The device has `MaxStreamsPerDevice` streams.
		TooManyStreams,
		/// The device still has streams; close them first.
		DeviceHasStreams,
		/// The stream still stores records; prune them first.
		StreamNotEmpty,
		/// A stream parameter is zero.
		InvalidStreamParams,
		/// The stream name is empty.
		EmptyName,
		/// The CID is empty.
		EmptyCid,
		/// The CID has characters that no CID string has (CID strings are alphanumeric).
		InvalidCid,
		/// `MaxRecordsPerBlock` records were appended in this block already; retry in the next.
		TooManyRecordsInBlock,
		/// The caller is not a storage node.
		NotStorageNode,
		/// The availability report names no record.
		EmptyReport,
		/// No stored record has this stream and index.
		UnknownRecord,
		/// The caller already reported this record (or named it twice).
		DuplicateReport,
		/// `MaxReportersPerRecord` storage nodes hold the record already.
		TooManyReporters,
		/// The record's size is zero.
		EmptyRecord,
		/// The interval range is reversed (`first > last`).
		InvalidIntervalRange,
		/// The record's intervals start before the stream's last covered interval.
		IntervalsOutOfOrder,
		/// The record covers more intervals than one upload of the stream can.
		IntervalsBeyondUpload,
		/// The record's time is before the stream's last record.
		TimestampInPast,
		/// `prev` is not the hash of the stream's last record.
		BrokenHashChain,
		/// The device signature does not verify under the device's current key.
		BadDeviceSignature,
		/// The free balance cannot cover the deposit.
		InsufficientBalance,
		/// Pruning count is zero or above `MaxPrunePerCall`.
		InvalidPruneCount,
		/// There are no stored records to prune.
		NothingToPrune,
		/// An id or counter reached its maximum.
		Overflow,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(_n: BlockNumberFor<T>) -> Weight {
			// The previous block's off-chain worker has seen its records.
			NewRecords::<T>::kill();
			T::DbWeight::get().writes(1)
		}

		fn offchain_worker(n: BlockNumberFor<T>) {
			offchain::run::<T>(n);
		}

		fn integrity_test() {
			assert!(T::MaxCidLen::get() > 0, "MaxCidLen must be positive");
			assert!(T::MaxPrunePerCall::get() > 0, "MaxPrunePerCall must be positive");
			assert!(T::MaxNameLen::get() > 0, "MaxNameLen must be positive");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Register a device with its public key and metadata.
		///
		/// ## Dispatch Origin
		/// Signed by the owner.
		///
		/// ## Details
		/// Holds `DeviceDeposit`. The device gets the next id (see the event).
		///
		/// ## Errors
		/// `InsufficientBalance`, `Overflow`.
		///
		/// ## Events
		/// `DeviceRegistered`.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register_device(metadata.len() as u32))]
		pub fn register_device(
			origin: OriginFor<T>,
			key: DeviceKey,
			metadata: BoundedVec<u8, T::MaxMetadataLen>,
		) -> DispatchResult {
			let owner = ensure_signed(origin)?;
			let device = NextDeviceId::<T>::get();
			let next = device.checked_add(1).ok_or(Error::<T>::Overflow)?;
			let deposit = T::DeviceDeposit::get();
			Self::hold(&owner, deposit)?;
			NextDeviceId::<T>::put(next);
			Devices::<T>::insert(
				device,
				DeviceOf::<T> {
					owner: owner.clone(),
					key,
					retired_keys: BoundedVec::new(),
					status: DeviceStatus::Active,
					metadata,
					offered_to: None,
					streams: 0,
					deposit,
					own_deposit: deposit,
				},
			);
			Self::deposit_event(Event::DeviceRegistered { device, owner, key });
			Ok(())
		}

		/// Replace a device's key; the old key is kept in its history.
		///
		/// ## Dispatch Origin
		/// Signed by the device's owner.
		///
		/// ## Details
		/// Records appended from now on must be signed (if signed) by the new key.
		///
		/// ## Errors
		/// `UnknownDevice`, `NotOwner`, `DeviceRevoked`, `SameKey`, `KeyHistoryFull`.
		///
		/// ## Events
		/// `DeviceKeyRotated`.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::rotate_device_key())]
		pub fn rotate_device_key(
			origin: OriginFor<T>,
			device: DeviceId,
			new_key: DeviceKey,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Devices::<T>::try_mutate(device, |entry| {
				let d = Self::owned_active(entry.as_mut(), &who)?;
				ensure!(d.key != new_key, Error::<T>::SameKey);
				let now = frame_system::Pallet::<T>::block_number();
				d.retired_keys.try_push((d.key, now)).map_err(|_| Error::<T>::KeyHistoryFull)?;
				let old = core::mem::replace(&mut d.key, new_key);
				Self::deposit_event(Event::DeviceKeyRotated { device, old, new: new_key });
				Ok(())
			})
		}

		/// Revoke a device: its key is no longer trusted and its streams take no more records.
		///
		/// ## Dispatch Origin
		/// Signed by the device's owner.
		///
		/// ## Details
		/// Stored records stay (and can be pruned); revocation cannot be undone.
		///
		/// ## Errors
		/// `UnknownDevice`, `NotOwner`, `DeviceRevoked`.
		///
		/// ## Events
		/// `DeviceRevoked`.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::revoke_device())]
		pub fn revoke_device(origin: OriginFor<T>, device: DeviceId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Devices::<T>::try_mutate(device, |entry| {
				let d = Self::owned_active(entry.as_mut(), &who)?;
				d.status = DeviceStatus::Revoked(frame_system::Pallet::<T>::block_number());
				Self::deposit_event(Event::DeviceRevoked { device });
				Ok(())
			})
		}

		/// Offer a device, with its streams and records, to another account; `None` withdraws
		/// the offer.
		///
		/// ## Dispatch Origin
		/// Signed by the device's owner.
		///
		/// ## Details
		/// Nothing changes hands until the other account calls `accept_device`. Revoked devices
		/// can be offered too (their records stay readable and prunable).
		///
		/// ## Errors
		/// `UnknownDevice`, `NotOwner`, `SelfTransfer`.
		///
		/// ## Events
		/// `DeviceOffered`.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::offer_device())]
		pub fn offer_device(
			origin: OriginFor<T>,
			device: DeviceId,
			to: Option<T::AccountId>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Devices::<T>::try_mutate(device, |entry| {
				let d = entry.as_mut().ok_or(Error::<T>::UnknownDevice)?;
				ensure!(d.owner == who, Error::<T>::NotOwner);
				ensure!(to.as_ref() != Some(&who), Error::<T>::SelfTransfer);
				d.offered_to = to.clone();
				Self::deposit_event(Event::DeviceOffered { device, to });
				Ok(())
			})
		}

		/// Accept a device offered to the caller: become its owner and take over its deposits.
		///
		/// ## Dispatch Origin
		/// Signed by the account the device was offered to.
		///
		/// ## Details
		/// Holds the device's whole deposit (device, streams, records) from the caller and
		/// releases the same amount to the previous owner.
		///
		/// ## Errors
		/// `UnknownDevice`, `NotOffered`, `InsufficientBalance`.
		///
		/// ## Events
		/// `DeviceTransferred`.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::accept_device())]
		pub fn accept_device(origin: OriginFor<T>, device: DeviceId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Devices::<T>::try_mutate(device, |entry| {
				let d = entry.as_mut().ok_or(Error::<T>::UnknownDevice)?;
				ensure!(d.offered_to.as_ref() == Some(&who), Error::<T>::NotOffered);
				Self::hold(&who, d.deposit)?;
				Self::release(&d.owner, d.deposit)?;
				let from = core::mem::replace(&mut d.owner, who.clone());
				d.offered_to = None;
				Self::deposit_event(Event::DeviceTransferred { device, from, to: who });
				Ok(())
			})
		}

		/// Remove a revoked device that has no streams left, releasing its deposit.
		///
		/// ## Dispatch Origin
		/// Signed by the device's owner.
		///
		/// ## Errors
		/// `UnknownDevice`, `NotOwner`, `DeviceNotRevoked`, `DeviceHasStreams`.
		///
		/// ## Events
		/// `DeviceRemoved`.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::remove_device())]
		pub fn remove_device(origin: OriginFor<T>, device: DeviceId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let d = Devices::<T>::get(device).ok_or(Error::<T>::UnknownDevice)?;
			ensure!(d.owner == who, Error::<T>::NotOwner);
			ensure!(matches!(d.status, DeviceStatus::Revoked(_)), Error::<T>::DeviceNotRevoked);
			ensure!(d.streams == 0, Error::<T>::DeviceHasStreams);
			Self::release(&who, d.deposit)?;
			Devices::<T>::remove(device);
			Self::deposit_event(Event::DeviceRemoved { device });
			Ok(())
		}

		/// Create a data stream for a device.
		///
		/// ## Dispatch Origin
		/// Signed by the device's owner.
		///
		/// ## Details
		/// `params` fixes the period `T`, the encryption interval `e` and the upload interval
		/// `u` (all non-zero); they cannot change later (a new layout is a new stream).
		/// Holds `StreamDeposit`.
		///
		/// ## Errors
		/// `UnknownDevice`, `NotOwner`, `DeviceRevoked`, `EmptyName`, `InvalidStreamParams`,
		/// `TooManyStreams`, `InsufficientBalance`, `Overflow`.
		///
		/// ## Events
		/// `StreamCreated`.
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::create_stream(
			name.len().saturating_add(schema.len()) as u32
		))]
		pub fn create_stream(
			origin: OriginFor<T>,
			device: DeviceId,
			name: BoundedVec<u8, T::MaxNameLen>,
			schema: BoundedVec<u8, T::MaxNameLen>,
			params: StreamParams,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(!name.is_empty(), Error::<T>::EmptyName);
			ensure!(params.is_valid(), Error::<T>::InvalidStreamParams);
			let stream = NextStreamId::<T>::get();
			let next = stream.checked_add(1).ok_or(Error::<T>::Overflow)?;
			Devices::<T>::try_mutate(device, |entry| {
				let d = Self::owned_active(entry.as_mut(), &who)?;
				ensure!(d.streams < T::MaxStreamsPerDevice::get(), Error::<T>::TooManyStreams);
				let deposit = T::StreamDeposit::get();
				Self::hold(&who, deposit)?;
				d.streams = d.streams.saturating_add(1);
				d.deposit = d.deposit.saturating_add(deposit);
				NextStreamId::<T>::put(next);
				Streams::<T>::insert(
					stream,
					StreamOf::<T> {
						device,
						name,
						schema,
						params,
						first_record: 0,
						next_record: 0,
						last_record_hash: H256::zero(),
						next_interval: 0,
						last_timestamp_ms: 0,
						deposit,
						own_deposit: deposit,
					},
				);
				Self::deposit_event(Event::StreamCreated { stream, device, owner: who.clone() });
				Ok(())
			})
		}

		/// Close a stream whose records have all been pruned, releasing its deposit.
		///
		/// ## Dispatch Origin
		/// Signed by the owner of the stream's device.
		///
		/// ## Errors
		/// `UnknownStream`, `NotOwner`, `StreamNotEmpty`.
		///
		/// ## Events
		/// `StreamClosed`.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::close_stream())]
		pub fn close_stream(origin: OriginFor<T>, stream: StreamId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let s = Streams::<T>::get(stream).ok_or(Error::<T>::UnknownStream)?;
			ensure!(s.first_record == s.next_record, Error::<T>::StreamNotEmpty);
			Devices::<T>::try_mutate(s.device, |entry| {
				let d = entry.as_mut().ok_or(Error::<T>::UnknownDevice)?;
				ensure!(d.owner == who, Error::<T>::NotOwner);
				Self::release(&who, s.deposit)?;
				d.deposit = d.deposit.saturating_sub(s.deposit);
				d.streams = d.streams.saturating_sub(1);
				Streams::<T>::remove(stream);
				Self::deposit_event(Event::StreamClosed { stream });
				Ok(())
			})
		}

		/// Append a record (one upload) to a stream.
		///
		/// ## Dispatch Origin
		/// Signed by the owner of the stream's device.
		///
		/// ## Details
		/// `record.prev` must be the hash of the stream's last record (zero for the first): the
		/// hash chain. The record's intervals may start in the interval where the last record
		/// ended (an upload may split an interval) but never earlier, and may span at most
		/// `u / e + 1` intervals. Device time never goes backwards. When `signature` is given,
		/// it must be the device's current key signing
		/// `SCALE(b"cpchain/device-signs-record/v1", genesis_hash, record_hash)`.
		/// Holds `RecordDeposit`; reports one data contribution to the reputation system.
		///
		/// ## Errors
		/// `UnknownStream`, `UnknownDevice`, `NotOwner`, `DeviceRevoked`, `EmptyCid`,
		/// `EmptyRecord`, `InvalidIntervalRange`, `IntervalsOutOfOrder`,
		/// `IntervalsBeyondUpload`, `TimestampInPast`, `BrokenHashChain`, `BadDeviceSignature`,
		/// `InsufficientBalance`, `Overflow`.
		///
		/// ## Events
		/// `RecordAppended`.
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::append_record(record.cid.len() as u32))]
		pub fn append_record(
			origin: OriginFor<T>,
			stream: StreamId,
			record: NewRecordOf<T>,
			signature: Option<DeviceSignature>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut s = Streams::<T>::get(stream).ok_or(Error::<T>::UnknownStream)?;
			let mut d = Devices::<T>::get(s.device).ok_or(Error::<T>::UnknownDevice)?;
			Self::owned_active(Some(&mut d), &who)?;
			Self::check_record(&s, &record)?;
			let index = s.next_record;
			let hash = record.hash(stream, index);
			let device_signed = signature.is_some();
			if let Some(signature) = signature {
				let payload =
					cpchain_primitives::data::record_signing_payload(Self::genesis_hash(), hash);
				ensure!(
					signature::verify(&d.key, &signature, &payload),
					Error::<T>::BadDeviceSignature
				);
			}
			let deposit = T::RecordDeposit::get();
			NewRecords::<T>::try_append((stream, index))
				.map_err(|_| Error::<T>::TooManyRecordsInBlock)?;
			Self::hold(&who, deposit)?;

			s.next_record = index.checked_add(1).ok_or(Error::<T>::Overflow)?;
			s.last_record_hash = hash;
			s.next_interval = s.next_interval.max(record.intervals.last.saturating_add(1));
			s.last_timestamp_ms = record.timestamp_ms;
			s.deposit = s.deposit.saturating_add(deposit);
			d.deposit = d.deposit.saturating_add(deposit);
			let device = s.device;
			Streams::<T>::insert(stream, s);
			Devices::<T>::insert(device, d);
			let cid = record.cid.clone();
			Records::<T>::insert(
				stream,
				index,
				RecordOf::<T> {
					cid: record.cid,
					content_hash: record.content_hash,
					merkle_root: record.merkle_root,
					size: record.size,
					intervals: record.intervals,
					timestamp_ms: record.timestamp_ms,
					prev: record.prev,
					hash,
					device_signed,
					registered_at: frame_system::Pallet::<T>::block_number(),
					deposit,
				},
			);
			T::Reputation::note(&who, Signal::DataContributed(1));
			Self::deposit_event(Event::RecordAppended {
				stream,
				index,
				hash,
				cid,
				content_hash: record.content_hash,
				device_signed,
			});
			Ok(())
		}

		/// Remove up to `count` of the oldest stored records of a stream, releasing their
		/// deposits.
		///
		/// ## Dispatch Origin
		/// Signed by the owner of the stream's device.
		///
		/// ## Details
		/// The hash chain continues from the stream's last record hash, so appending still
		/// works after pruning. Data on IPFS is not touched: unpin it there.
		///
		/// ## Errors
		/// `UnknownStream`, `UnknownDevice`, `NotOwner`, `InvalidPruneCount`, `NothingToPrune`.
		///
		/// ## Events
		/// `RecordsPruned`.
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::prune_records(*count))]
		pub fn prune_records(
			origin: OriginFor<T>,
			stream: StreamId,
			count: u32,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			ensure!(count > 0 && count <= T::MaxPrunePerCall::get(), Error::<T>::InvalidPruneCount);
			let mut s = Streams::<T>::get(stream).ok_or(Error::<T>::UnknownStream)?;
			let mut d = Devices::<T>::get(s.device).ok_or(Error::<T>::UnknownDevice)?;
			ensure!(d.owner == who, Error::<T>::NotOwner);
			ensure!(s.first_record < s.next_record, Error::<T>::NothingToPrune);
			let from = s.first_record;
			let to = s.next_record.min(from.saturating_add(count as u64));
			let mut released = BalanceOf::<T>::zero();
			for index in from..to {
				if let Some(record) = Records::<T>::take(stream, index) {
					released = released.saturating_add(record.deposit);
				}
				Availability::<T>::remove(stream, index);
			}
			Self::release(&who, released)?;
			s.first_record = to;
			s.deposit = s.deposit.saturating_sub(released);
			d.deposit = d.deposit.saturating_sub(released);
			let device = s.device;
			Streams::<T>::insert(stream, s);
			Devices::<T>::insert(device, d);
			Self::deposit_event(Event::RecordsPruned { stream, from, to });
			Ok(Some(T::WeightInfo::prune_records(to.saturating_sub(from) as u32)).into())
		}

		/// Report records as pinned on the caller's IPFS node.
		///
		/// ## Dispatch Origin
		/// Signed by a storage node; sent by the node's off-chain worker after it pinned the
		/// records of a block.
		///
		/// ## Details
		/// Each record is reported at most once per storage node and held by at most
		/// `MaxReportersPerRecord` of them. Each entry stands or falls on its own: a bad one
		/// (an unknown record, one this node reported already, or one that has all its
		/// reporters) is refused with `ReportEntryRefused` and the others are recorded, so that
		/// one entry cannot void a storage node's whole report. Accepted entries count as data
		/// contribution of the storage node in the reputation system.
		///
		/// ## Errors
		/// `NotStorageNode`, `EmptyReport`; when every entry is refused, the first entry's
		/// error (`UnknownRecord`, `DuplicateReport` or `TooManyReporters`) and nothing changes.
		///
		/// ## Events
		/// `RecordAvailable` per accepted entry, `ReportEntryRefused` per refused one.
		#[pallet::call_index(10)]
		#[pallet::weight(T::WeightInfo::report_availability(reports.len() as u32))]
		pub fn report_availability(
			origin: OriginFor<T>,
			reports: BoundedVec<(StreamId, RecordIndex), T::MaxReportsPerCall>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(T::StorageNodes::contains(&who), Error::<T>::NotStorageNode);
			ensure!(!reports.is_empty(), Error::<T>::EmptyReport);
			let mut accepted: u32 = 0;
			let mut first_error = None;
			for (stream, index) in reports.iter().copied() {
				let entry = if Records::<T>::contains_key(stream, index) {
					Availability::<T>::try_mutate(stream, index, |holders| {
						ensure!(!holders.contains(&who), Error::<T>::DuplicateReport);
						holders.try_push(who.clone()).map_err(|_| Error::<T>::TooManyReporters)
					})
				} else {
					Err(Error::<T>::UnknownRecord)
				};
				match entry {
					Ok(()) => {
						accepted.saturating_inc();
						Self::deposit_event(Event::RecordAvailable {
							stream,
							index,
							reporter: who.clone(),
						});
					}
					Err(error) => {
						let error: DispatchError = error.into();
						first_error.get_or_insert(error);
						Self::deposit_event(Event::ReportEntryRefused {
							stream,
							index,
							reporter: who.clone(),
							error,
						});
					}
				}
			}
			if accepted == 0 {
				return Err(first_error.unwrap_or_else(|| Error::<T>::EmptyReport.into()));
			}
			T::Reputation::note(&who, Signal::DataContributed(accepted));
			Ok(())
		}
	}
}

//! The records the registry stores: devices, streams and data records.

use codec::{Decode, Encode, MaxEncodedLen};
use cpchain_primitives::data::{
	DeviceId, DeviceKey, DeviceStatus, IntervalIndex, IntervalRange, RecordIndex, StreamParams,
};
use frame_support::{BoundedVec, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound};
use frame_system::pallet_prelude::BlockNumberFor;

use crate::{BalanceOf, Config};
use scale_info::TypeInfo;
use sp_core::H256;

/// A registered device.
#[derive(
	Encode, Decode, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound, TypeInfo, MaxEncodedLen,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct Device<T: Config> {
	/// The account that owns the device, its streams and its records.
	pub owner: T::AccountId,
	/// The key that signs the device's records now.
	pub key: DeviceKey,
	/// Earlier keys, oldest first, each with the block that rotated it out: the history an
	/// auditor needs to judge old signatures.
	pub retired_keys: BoundedVec<(DeviceKey, BlockNumberFor<T>), T::MaxKeyHistory>,
	/// Whether the device is in service.
	pub status: DeviceStatus<BlockNumberFor<T>>,
	/// Owner-supplied metadata (model, location, ...), opaque to the chain.
	pub metadata: BoundedVec<u8, T::MaxMetadataLen>,
	/// The account the owner offered the device to, until it accepts or the offer is
	/// withdrawn.
	pub offered_to: Option<T::AccountId>,
	/// The number of streams of the device.
	pub streams: u32,
	/// Everything held from the owner for this device: its own deposit plus the deposits of
	/// its streams and their records. A transfer moves exactly this amount.
	pub deposit: BalanceOf<T>,
	/// The device's own part of `deposit`.
	pub own_deposit: BalanceOf<T>,
}

/// A data stream of a device.
#[derive(
	Encode, Decode, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound, TypeInfo, MaxEncodedLen,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct Stream<T: Config> {
	/// The device that produces the data; its owner owns the stream.
	pub device: DeviceId,
	/// Human-readable name.
	pub name: BoundedVec<u8, T::MaxNameLen>,
	/// Schema tag that tells applications how to read decrypted data blocks.
	pub schema: BoundedVec<u8, T::MaxNameLen>,
	/// Block, key and upload parameters.
	pub params: StreamParams,
	/// Index of the oldest stored record (all before it were pruned).
	pub first_record: RecordIndex,
	/// Index of the next record (= the number of records ever appended).
	pub next_record: RecordIndex,
	/// Hash of the last appended record, zero before the first: the next `prev`.
	pub last_record_hash: H256,
	/// The first interval that no record covers yet.
	pub next_interval: IntervalIndex,
	/// Device time of the last record, in milliseconds; records never go back in time.
	pub last_timestamp_ms: u64,
	/// Held for the stream itself plus its stored records.
	pub deposit: BalanceOf<T>,
	/// The stream's own part of `deposit`.
	pub own_deposit: BalanceOf<T>,
}

/// One upload of a stream: where the ciphertext lives and the hashes that prove it intact.
#[derive(
	Encode, Decode, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound, TypeInfo, MaxEncodedLen,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct Record<T: Config> {
	/// IPFS CID of the ciphertext (bytes of its string form).
	pub cid: BoundedVec<u8, T::MaxCidLen>,
	/// BLAKE2-256 of the ciphertext.
	pub content_hash: H256,
	/// Merkle root over the upload's data blocks.
	pub merkle_root: H256,
	/// Ciphertext size in bytes.
	pub size: u64,
	/// Encryption intervals covered.
	pub intervals: IntervalRange,
	/// Device time of the record's last reading, in milliseconds.
	pub timestamp_ms: u64,
	/// Hash of the previous record of the stream (zero for the first).
	pub prev: H256,
	/// This record's hash (see [`cpchain_primitives::data::RecordPreimage`]).
	pub hash: H256,
	/// Whether the device's signature was checked on append.
	pub device_signed: bool,
	/// The block that registered the record.
	pub registered_at: BlockNumberFor<T>,
	/// Held from the owner while the record is stored.
	pub deposit: BalanceOf<T>,
}

/// Where a new record's data lives and what it covers: the argument of `append_record`, with
/// the CID bounded by the runtime (the shared type and its hash are in
/// [`cpchain_primitives::data::NewRecord`]).
pub type NewRecord<MaxCid> = cpchain_primitives::data::NewRecord<BoundedVec<u8, MaxCid>>;

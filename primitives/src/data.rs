//! The data layer's shared vocabulary: identifiers, stream parameters, interval ranges, the
//! read-only views that the runtime API returns, and the trait through which the
//! access-control pallet learns about streams without depending on the data-registry pallet.
//!
//! The chain never sees data. A *device* (with its own key, DPKI) produces readings; a
//! *stream* cuts them into data blocks of period `T`, encrypts `e` periods with one key and
//! uploads `u` blocks at a time; each upload becomes a *record* on chain: where the
//! ciphertext lives (CID), the hashes that prove it intact, and the intervals it covers.

use alloc::vec::Vec;
use codec::{Codec, Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_core::{ecdsa, ed25519, sr25519, H256};
use sp_runtime::traits::{BlakeTwo256, Hash};

/// Identifies a registered device. Assigned by the chain, counting up from 0.
pub type DeviceId = u64;
/// Identifies a data stream. Assigned by the chain, counting up from 0.
pub type StreamId = u64;
/// Position of a record in its stream: 0 for the first record, counting up.
pub type RecordIndex = u64;
/// Index of an encryption interval in a stream: all data blocks of interval `i` are encrypted
/// with the interval's own symmetric key, so granting interval `i` reveals nothing else.
pub type IntervalIndex = u64;

/// The longest CID (the bytes of its string form) a record may carry: the runtime's
/// `MaxCidLen`, and what clients check before they register a record. A CIDv1 of a SHA-256
/// multihash is 59 characters in base32; 128 leaves room for longer hashes and bases.
pub const MAX_CID_LEN: u32 = 128;

/// Whether `cid` is a CID string the chain accepts: 1 to [`MAX_CID_LEN`] ASCII letters and
/// digits. CIDv0 (base58btc) and CIDv1 (base32, base36) strings are alphanumeric, so such a
/// CID goes into an IPFS URL as is, and a CID read from the chain can never smuggle a query
/// parameter or a path into the requests the off-chain worker and clients make with it.
pub fn is_cid_string(cid: &[u8]) -> bool {
	!cid.is_empty()
		&& cid.len() <= MAX_CID_LEN as usize
		&& cid.iter().all(|c| c.is_ascii_alphanumeric())
}

/// Domain tag of a record's hash (the hash chain link). Versioned: a new record layout gets a
/// new tag, so hashes of two layouts can never collide.
pub const RECORD_HASH_DOMAIN: &[u8] = b"cpchain/data-record/v1";
/// Domain tag of the message a device signs over a record: the record hash bound to one chain
/// (its genesis hash), so that a signature made for a test network is useless on another.
pub const RECORD_SIGNATURE_DOMAIN: &[u8] = b"cpchain/device-signs-record/v1";

/// An inclusive range of encryption intervals, `first..=last`.
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
pub struct IntervalRange {
	/// The first interval of the range.
	pub first: IntervalIndex,
	/// The last interval of the range (inclusive).
	pub last: IntervalIndex,
}

impl IntervalRange {
	/// The range `first..=last`, or `None` when it is reversed.
	pub fn new(first: IntervalIndex, last: IntervalIndex) -> Option<Self> {
		(first <= last).then_some(Self { first, last })
	}

	/// Whether the range is well-formed (`first <= last`). Ranges decoded from extrinsics are
	/// not checked by decoding, so pallets check this first.
	pub fn is_valid(&self) -> bool {
		self.first <= self.last
	}

	/// Whether `interval` lies in the range.
	pub fn contains(&self, interval: IntervalIndex) -> bool {
		self.first <= interval && interval <= self.last
	}
}

/// How a stream's readings become data blocks, keys and uploads.
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
pub struct StreamParams {
	/// Period `T` of one data block, in milliseconds of device time.
	pub period_ms: u64,
	/// Encryption interval `e`: how many periods (data blocks) share one symmetric key.
	pub encryption_interval: u32,
	/// Upload interval `u`: how many data blocks go into one upload (one record).
	pub upload_interval: u32,
}

impl StreamParams {
	/// Whether every parameter is non-zero (a zero period or interval has no meaning).
	pub fn is_valid(&self) -> bool {
		self.period_ms > 0 && self.encryption_interval > 0 && self.upload_interval > 0
	}
}

/// A device's public key (DPKI). IoT hardware often supports only one scheme, so all three
/// of Substrate's schemes are accepted; a signature only ever verifies under its own scheme.
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
pub enum DeviceKey {
	/// Schnorrkel/Ristretto (sr25519) public key.
	#[codec(index = 0)]
	Sr25519(sr25519::Public),
	/// Ed25519 public key.
	#[codec(index = 1)]
	Ed25519(ed25519::Public),
	/// Compressed secp256k1 ECDSA public key (the message is hashed with BLAKE2-256).
	#[codec(index = 2)]
	Ecdsa(ecdsa::Public),
}

/// A signature by a device key, in the scheme of that key.
#[derive(
	Encode, Decode, DecodeWithMemTracking, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen,
)]
pub enum DeviceSignature {
	/// sr25519 signature.
	#[codec(index = 0)]
	Sr25519(sr25519::Signature),
	/// Ed25519 signature.
	#[codec(index = 1)]
	Ed25519(ed25519::Signature),
	/// secp256k1 ECDSA signature (65 bytes, recoverable form) over BLAKE2-256 of the message.
	#[codec(index = 2)]
	Ecdsa(ecdsa::Signature),
}

/// Whether a device may still sign and append records.
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
pub enum DeviceStatus<BlockNumber> {
	/// The device is in service.
	#[codec(index = 0)]
	Active,
	/// The device was revoked by its owner at this block: its key is no longer trusted and no
	/// record can be appended to its streams.
	#[codec(index = 1)]
	Revoked(BlockNumber),
}

/// What the runtime API tells about a device.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo)]
pub struct DeviceView<AccountId, BlockNumber> {
	/// The account that owns the device and its streams.
	pub owner: AccountId,
	/// The device's current public key.
	pub key: DeviceKey,
	/// Earlier keys, oldest first, with the block at which each was rotated out.
	pub retired_keys: Vec<(DeviceKey, BlockNumber)>,
	/// Whether the device is in service.
	pub status: DeviceStatus<BlockNumber>,
	/// The account the owner offered the device to, until it accepts.
	pub offered_to: Option<AccountId>,
	/// Owner-supplied metadata (opaque to the chain).
	pub metadata: Vec<u8>,
	/// The number of streams the device has.
	pub streams: u32,
}

/// What the runtime API tells about a stream.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo)]
pub struct StreamView<AccountId> {
	/// The device that produces the stream's data.
	pub device: DeviceId,
	/// The owner of that device.
	pub owner: AccountId,
	/// Human-readable name (UTF-8 by convention, opaque to the chain).
	pub name: Vec<u8>,
	/// Schema tag that tells applications how to read a decrypted data block.
	pub schema: Vec<u8>,
	/// Block, key and upload parameters.
	pub params: StreamParams,
	/// Index of the oldest record still stored (records before it were pruned).
	pub first_record: RecordIndex,
	/// Index the next record will get (= records ever appended).
	pub next_record: RecordIndex,
	/// Hash of the last appended record (zero before the first), the next record's `prev`.
	pub last_record_hash: H256,
	/// The first interval that no record covers yet (0 before the first record).
	pub next_interval: IntervalIndex,
}

/// What the runtime API tells about a record.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo)]
pub struct RecordView<BlockNumber> {
	/// Position of the record in its stream.
	pub index: RecordIndex,
	/// IPFS CID of the ciphertext (bytes of its string form).
	pub cid: Vec<u8>,
	/// BLAKE2-256 of the ciphertext as stored on IPFS.
	pub content_hash: H256,
	/// Merkle root over the upload's data blocks.
	pub merkle_root: H256,
	/// Size of the ciphertext in bytes.
	pub size: u64,
	/// The encryption intervals the record covers.
	pub intervals: IntervalRange,
	/// Device time of the record's last reading, in milliseconds since the Unix epoch.
	pub timestamp_ms: u64,
	/// Hash of the previous record of the stream (zero for the first).
	pub prev: H256,
	/// This record's hash, the link the next record must name.
	pub hash: H256,
	/// Whether the device's signature over the record was checked on append.
	pub device_signed: bool,
	/// The block that registered the record.
	pub registered_at: BlockNumber,
}

/// The fields of a record that its hash commits to, in hashing order.
///
/// `hash = blake2_256(SCALE(RECORD_HASH_DOMAIN, stream, index, cid, content_hash, merkle_root,
/// size, intervals, timestamp_ms, prev))`. Clients compute the same hash off chain (to sign it
/// with the device key and to verify downloads), so it lives here, next to the types.
pub struct RecordPreimage<'a> {
	/// The stream the record belongs to.
	pub stream: StreamId,
	/// Position of the record in its stream.
	pub index: RecordIndex,
	/// IPFS CID of the ciphertext.
	pub cid: &'a [u8],
	/// BLAKE2-256 of the ciphertext.
	pub content_hash: H256,
	/// Merkle root over the upload's data blocks.
	pub merkle_root: H256,
	/// Size of the ciphertext in bytes.
	pub size: u64,
	/// The encryption intervals the record covers.
	pub intervals: IntervalRange,
	/// Device time of the record's last reading, in milliseconds.
	pub timestamp_ms: u64,
	/// Hash of the previous record (zero for the first).
	pub prev: H256,
}

/// A record as its writer submits it: the argument of `DataRegistry.append_record`. Generic
/// over the CID's container so that the runtime bounds it (`BoundedVec<u8, MaxCidLen>`) and
/// clients use a `Vec<u8>`; both encode alike. [`NewRecord::hash`] is the one place that
/// turns it into the record's hash.
#[derive(
	Encode, Decode, DecodeWithMemTracking, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen,
)]
pub struct NewRecord<Cid> {
	/// IPFS CID of the ciphertext.
	pub cid: Cid,
	/// BLAKE2-256 of the ciphertext.
	pub content_hash: H256,
	/// Merkle root over the upload's data blocks.
	pub merkle_root: H256,
	/// Ciphertext size in bytes (not zero).
	pub size: u64,
	/// Encryption intervals covered.
	pub intervals: IntervalRange,
	/// Device time of the last reading, in milliseconds.
	pub timestamp_ms: u64,
	/// The hash of the stream's last record (zero for the first): the hash-chain link.
	pub prev: H256,
}

impl<Cid: AsRef<[u8]>> NewRecord<Cid> {
	/// What the record's hash covers, as record `index` of `stream`.
	pub fn preimage(&self, stream: StreamId, index: RecordIndex) -> RecordPreimage<'_> {
		RecordPreimage {
			stream,
			index,
			cid: self.cid.as_ref(),
			content_hash: self.content_hash,
			merkle_root: self.merkle_root,
			size: self.size,
			intervals: self.intervals,
			timestamp_ms: self.timestamp_ms,
			prev: self.prev,
		}
	}

	/// The record's hash as record `index` of `stream`: the hash-chain link the next record
	/// names as `prev`, and what a device signs.
	pub fn hash(&self, stream: StreamId, index: RecordIndex) -> H256 {
		self.preimage(stream, index).hash()
	}
}

impl<BlockNumber> RecordView<BlockNumber> {
	/// The record as its writer submitted it, e.g. to recompute its hash.
	pub fn as_new_record(&self) -> NewRecord<&[u8]> {
		NewRecord {
			cid: &self.cid[..],
			content_hash: self.content_hash,
			merkle_root: self.merkle_root,
			size: self.size,
			intervals: self.intervals,
			timestamp_ms: self.timestamp_ms,
			prev: self.prev,
		}
	}
}

impl RecordPreimage<'_> {
	/// The record's hash: the hash-chain link the next record names as `prev`.
	pub fn hash(&self) -> H256 {
		let encoded = (
			RECORD_HASH_DOMAIN,
			self.stream,
			self.index,
			self.cid,
			self.content_hash,
			self.merkle_root,
			self.size,
			self.intervals,
			self.timestamp_ms,
			self.prev,
		)
			.encode();
		BlakeTwo256::hash(&encoded)
	}
}

/// The message a device signs over a record: the record hash bound to one chain by its
/// genesis hash, under [`RECORD_SIGNATURE_DOMAIN`].
pub fn record_signing_payload(genesis: H256, record_hash: H256) -> Vec<u8> {
	(RECORD_SIGNATURE_DOMAIN, genesis, record_hash).encode()
}

/// What other pallets (access control, market) may know about a stream.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct StreamSummary<AccountId> {
	/// The current owner of the stream's device.
	pub owner: AccountId,
	/// The first interval no record covers yet.
	pub next_interval: IntervalIndex,
}

/// Read access to the data registry, for pallets that must not depend on it.
pub trait StreamInspect<AccountId> {
	/// The stream's owner and progress, or `None` when there is no such stream.
	fn stream(stream: StreamId) -> Option<StreamSummary<AccountId>>;
}

/// Which intervals of a stream have records, for pallets that must not depend on the data
/// registry (the market settles an interval only if a record covers it).
pub trait RecordInspect<BlockNumber> {
	/// The block at which the record that covers `interval` of `stream` was registered, or
	/// `None` when no stored record covers it (never recorded, or pruned since).
	fn recorded_at(stream: StreamId, interval: IntervalIndex) -> Option<BlockNumber>;
}

sp_api::decl_runtime_apis! {
	/// Queries of the data registry, for applications and indexers.
	pub trait DataRegistryApi<AccountId: Codec, BlockNumber: Codec> {
		/// A device, or `None` if there is no such device.
		fn device(device: DeviceId) -> Option<DeviceView<AccountId, BlockNumber>>;
		/// A stream, or `None` if there is no such stream.
		fn stream(stream: StreamId) -> Option<StreamView<AccountId>>;
		/// The stored records of `stream` with index in `from..from + count`, in order; at most
		/// the registry's page limit (pruned and future indices are skipped).
		fn records(stream: StreamId, from: RecordIndex, count: u32) -> Vec<RecordView<BlockNumber>>;
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn cid_strings_are_short_letters_and_digits() {
		assert!(is_cid_string(b"QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG"));
		assert!(is_cid_string(b"bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"));
		assert!(is_cid_string(&[b'a'; MAX_CID_LEN as usize]));
		for bad in [&b""[..], b"bafy&arg=Qm", b"bafy/../x", b"bafy kre", &[b'a'; 129][..]] {
			assert!(!is_cid_string(bad), "{:?}", String::from_utf8_lossy(bad));
		}
	}

	#[test]
	fn interval_ranges_are_inclusive_and_reject_reversal() {
		assert!(IntervalRange::new(4, 3).is_none());
		let r = IntervalRange::new(3, 5).expect("3 <= 5");
		assert!(!r.contains(2) && r.contains(3) && r.contains(5) && !r.contains(6));
		assert!(!IntervalRange { first: 9, last: 1 }.is_valid());
	}

	#[test]
	fn record_hash_commits_to_every_field() {
		let base = || RecordPreimage {
			stream: 1,
			index: 0,
			cid: b"bafy",
			content_hash: H256::repeat_byte(1),
			merkle_root: H256::repeat_byte(2),
			size: 10,
			intervals: IntervalRange { first: 0, last: 0 },
			timestamp_ms: 5,
			prev: H256::zero(),
		};
		let h = base().hash();
		assert_eq!(h, base().hash());
		assert_ne!(h, RecordPreimage { stream: 2, ..base() }.hash());
		assert_ne!(h, RecordPreimage { index: 1, ..base() }.hash());
		assert_ne!(h, RecordPreimage { cid: b"bafz", ..base() }.hash());
		assert_ne!(h, RecordPreimage { size: 11, ..base() }.hash());
		assert_ne!(h, RecordPreimage { timestamp_ms: 6, ..base() }.hash());
		assert_ne!(h, RecordPreimage { prev: H256::repeat_byte(9), ..base() }.hash());
		assert_ne!(
			h,
			RecordPreimage { intervals: IntervalRange { first: 0, last: 1 }, ..base() }.hash()
		);
	}

	#[test]
	fn signing_payload_is_bound_to_the_chain() {
		let h = H256::repeat_byte(7);
		assert_ne!(
			record_signing_payload(H256::repeat_byte(1), h),
			record_signing_payload(H256::repeat_byte(2), h)
		);
	}
}

//! One upload: what a record's CID holds on IPFS, how it is built from data blocks and how a
//! reader checks it against the record on chain.
//!
//! An upload is the SCALE encoding of [`Upload`]: a magic tag and version, the stream and
//! record it belongs to, the owner's Umbral public keys, each interval key of the upload
//! wrapped in an Umbral capsule, and the sealed blocks. A block is sealed as the SCALE pair
//! `(prev, payload)`, so the hash chain's links are as secret as the readings.
//!
//! The record's `merkle_root` is over the *sealed* blocks (leaf = BLAKE2-256 of
//! `SCALE(b"cpchain/sealed-block/v1", stream, index, interval, sealed)`): anyone can check that
//! an upload is the one the record names, a grantee can prove a single block of it, and
//! nobody can test guesses of low-entropy readings against plaintext hashes. The AEAD binds
//! each block to its stream, interval and index, so decrypted blocks cannot be moved.

use codec::{Decode, Encode};
use cpchain_crypto::{
	blake2_256,
	block::DataBlock,
	cipher::{open, seal, IntervalKey, Place},
	keys::WrappedKey,
	merkle, wire, Hash,
};

/// The first bytes of every upload.
pub const MAGIC: [u8; 4] = *b"CPCU";
/// The upload format this client writes and reads.
pub const VERSION: u8 = 1;
/// Domain tag of a sealed block's Merkle leaf.
pub const SEALED_BLOCK_DOMAIN: &[u8] = b"cpchain/sealed-block/v1";

/// An interval key wrapped for the owner.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
pub struct WrappedIntervalKey {
	/// The encryption interval.
	pub interval: u64,
	/// The Umbral capsule (umbral-pre serialisation).
	pub capsule: Vec<u8>,
	/// The interval key encrypted under the capsule.
	pub ciphertext: Vec<u8>,
}

impl WrappedIntervalKey {
	/// The wrapped key of `interval`.
	pub fn new(interval: u64, wrapped: &WrappedKey) -> Result<Self, cpchain_crypto::Error> {
		Ok(Self {
			interval,
			capsule: wire::capsule_to_bytes(&wrapped.capsule)?,
			ciphertext: wrapped.ciphertext.to_vec(),
		})
	}

	/// The Umbral form.
	pub fn wrapped(&self) -> Result<WrappedKey, cpchain_crypto::Error> {
		Ok(WrappedKey {
			capsule: wire::capsule_from_bytes(&self.capsule)?,
			ciphertext: self.ciphertext.clone().into_boxed_slice(),
		})
	}
}

/// One sealed data block.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
pub struct SealedBlock {
	/// The block's index in its stream.
	pub index: u64,
	/// The block's encryption interval.
	pub interval: u64,
	/// Nonce, ciphertext and tag of `SCALE(prev, payload)`.
	pub sealed: Vec<u8>,
}

/// What one record's CID holds.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
pub struct Upload {
	/// [`MAGIC`].
	pub magic: [u8; 4],
	/// [`VERSION`].
	pub version: u8,
	/// The stream.
	pub stream: u64,
	/// The record's index in the stream.
	pub record: u64,
	/// The owner's Umbral public key (interval keys are wrapped under it).
	pub owner_key: [u8; 33],
	/// The owner's Umbral verifying key (it signs key fragments).
	pub owner_verifying_key: [u8; 33],
	/// The interval keys of the upload's blocks, by interval.
	pub keys: Vec<WrappedIntervalKey>,
	/// The blocks, in index order.
	pub blocks: Vec<SealedBlock>,
}

/// Why an upload does not check out.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UploadError {
	/// The bytes are not an upload of a known version.
	#[error("not a CPChain upload (bad magic, version or encoding)")]
	Malformed,
	/// The bytes do not hash to the record's content hash.
	#[error("content hash mismatch: the bytes on IPFS are not the ones the record registered")]
	ContentHash,
	/// The size differs from the record's.
	#[error("size mismatch: {found} bytes where the record says {expected}")]
	Size {
		/// The record's size.
		expected: u64,
		/// The size found.
		found: u64,
	},
	/// The upload names another stream or record.
	#[error("the upload belongs to stream {stream} record {record}, not to this record")]
	Misplaced {
		/// The stream named in the upload.
		stream: u64,
		/// The record named in the upload.
		record: u64,
	},
	/// The blocks do not hash to the record's Merkle root.
	#[error("Merkle root mismatch")]
	MerkleRoot,
	/// Blocks out of order, or outside the record's intervals, or without a key.
	#[error("inconsistent blocks: {0}")]
	Inconsistent(&'static str),
}

/// The Merkle leaf of a sealed block.
pub fn leaf(stream: u64, block: &SealedBlock) -> Hash {
	blake2_256(&[
		&(SEALED_BLOCK_DOMAIN, stream, block.index, block.interval, &block.sealed).encode()
	])
}

impl Upload {
	/// The upload's Merkle root (over its sealed blocks), or `None` with no blocks.
	pub fn merkle_root(&self) -> Option<Hash> {
		let leaves: Vec<Hash> = self.blocks.iter().map(|b| leaf(self.stream, b)).collect();
		merkle::root(&leaves)
	}

	/// The upload's bytes (what goes to IPFS).
	pub fn to_bytes(&self) -> Vec<u8> {
		self.encode()
	}

	/// Decodes and checks an upload fetched for a record: the bytes must be exactly the
	/// registered ones (content hash and size), for this stream and record, with the registered
	/// Merkle root, blocks in consecutive order within `intervals`, each with a wrapped key.
	pub fn from_registered_bytes(bytes: &[u8], expected: &Expected) -> Result<Upload, UploadError> {
		if bytes.len() as u64 != expected.size {
			return Err(UploadError::Size { expected: expected.size, found: bytes.len() as u64 });
		}
		if blake2_256(&[bytes]) != expected.content_hash {
			return Err(UploadError::ContentHash);
		}
		let upload = Upload::decode(&mut &bytes[..]).map_err(|_| UploadError::Malformed)?;
		if upload.magic != MAGIC || upload.version != VERSION {
			return Err(UploadError::Malformed);
		}
		if upload.stream != expected.stream || upload.record != expected.record {
			return Err(UploadError::Misplaced { stream: upload.stream, record: upload.record });
		}
		if upload.merkle_root() != Some(expected.merkle_root) {
			return Err(UploadError::MerkleRoot);
		}
		for pair in upload.blocks.windows(2) {
			if pair[1].index != pair[0].index.wrapping_add(1) {
				return Err(UploadError::Inconsistent("block indices are not consecutive"));
			}
		}
		for block in &upload.blocks {
			if block.interval < expected.first_interval || block.interval > expected.last_interval {
				return Err(UploadError::Inconsistent(
					"a block lies outside the record's intervals",
				));
			}
			if !upload.keys.iter().any(|k| k.interval == block.interval) {
				return Err(UploadError::Inconsistent("a block's interval has no wrapped key"));
			}
		}
		Ok(upload)
	}

	/// The wrapped key of `interval`, if the upload has blocks in it.
	pub fn key(&self, interval: u64) -> Option<&WrappedIntervalKey> {
		self.keys.iter().find(|k| k.interval == interval)
	}
}

/// What the chain says about a record, for checking its upload.
#[derive(Clone, Debug)]
pub struct Expected {
	/// The stream.
	pub stream: u64,
	/// The record index.
	pub record: u64,
	/// The registered content hash.
	pub content_hash: Hash,
	/// The registered size.
	pub size: u64,
	/// The registered Merkle root.
	pub merkle_root: Hash,
	/// The first interval the record covers.
	pub first_interval: u64,
	/// The last interval the record covers.
	pub last_interval: u64,
}

/// Seals a plaintext block for its place.
pub fn seal_block(
	key: &IntervalKey,
	block: &DataBlock,
) -> Result<SealedBlock, cpchain_crypto::Error> {
	let place = Place { stream: block.stream, interval: block.interval, block: block.index };
	let plaintext = (block.prev, &block.payload).encode();
	Ok(SealedBlock {
		index: block.index,
		interval: block.interval,
		sealed: seal(key, place, &plaintext)?,
	})
}

/// Opens a sealed block of `stream` back into the data block.
pub fn open_block(
	key: &IntervalKey,
	stream: u64,
	sealed: &SealedBlock,
) -> Result<DataBlock, cpchain_crypto::Error> {
	let place = Place { stream, interval: sealed.interval, block: sealed.index };
	let plaintext = open(key, place, &sealed.sealed)?;
	let (prev, payload) = <(Hash, Vec<u8>)>::decode(&mut &plaintext[..])
		.map_err(|_| cpchain_crypto::Error::Decryption)?;
	Ok(DataBlock { stream, index: sealed.index, interval: sealed.interval, prev, payload })
}

#[cfg(test)]
mod tests {
	use super::*;
	use cpchain_crypto::{block::BlockChainer, keys::OwnerKeys};

	fn upload() -> (Upload, Vec<DataBlock>, IntervalKey, OwnerKeys) {
		let owner = OwnerKeys::generate();
		let key = IntervalKey::generate();
		let mut chainer = BlockChainer::new(5, 10, 0, [0; 32]).expect("e > 0");
		let blocks: Vec<_> = (0..4).map(|i| chainer.push(vec![i; 100])).collect();
		let upload = Upload {
			magic: MAGIC,
			version: VERSION,
			stream: 5,
			record: 0,
			owner_key: wire::public_key_to_bytes(&owner.public_key()),
			owner_verifying_key: wire::public_key_to_bytes(&owner.verifying_key()),
			keys: vec![
				WrappedIntervalKey::new(0, &owner.wrap(&key).expect("wraps")).expect("encodes")
			],
			blocks: blocks.iter().map(|b| seal_block(&key, b).expect("seals")).collect(),
		};
		(upload, blocks, key, owner)
	}

	fn expected(upload: &Upload, bytes: &[u8]) -> Expected {
		Expected {
			stream: 5,
			record: 0,
			content_hash: blake2_256(&[bytes]),
			size: bytes.len() as u64,
			merkle_root: upload.merkle_root().expect("has blocks"),
			first_interval: 0,
			last_interval: 0,
		}
	}

	#[test]
	fn an_upload_round_trips_and_opens() {
		let (upload, blocks, key, owner) = upload();
		let bytes = upload.to_bytes();
		let checked =
			Upload::from_registered_bytes(&bytes, &expected(&upload, &bytes)).expect("checks out");
		let unwrapped = owner.unwrap(&checked.keys[0].wrapped().expect("decodes")).expect("opens");
		assert_eq!(unwrapped, key);
		let opened: Vec<_> =
			checked.blocks.iter().map(|b| open_block(&key, 5, b).expect("opens")).collect();
		assert_eq!(opened, blocks);
	}

	#[test]
	fn any_flipped_byte_is_detected() {
		let (upload, _, _, _) = upload();
		let bytes = upload.to_bytes();
		let exp = expected(&upload, &bytes);
		for i in (0..bytes.len()).step_by(7) {
			let mut altered = bytes.clone();
			altered[i] ^= 0x01;
			assert_eq!(
				Upload::from_registered_bytes(&altered, &exp),
				Err(UploadError::ContentHash),
				"byte {i}"
			);
		}
	}

	#[test]
	fn a_genuine_upload_for_another_record_is_refused() {
		let (upload, _, key, _) = upload();
		let bytes = upload.to_bytes();
		let mut exp = expected(&upload, &bytes);
		exp.record = 1;
		assert!(matches!(
			Upload::from_registered_bytes(&bytes, &exp),
			Err(UploadError::Misplaced { .. })
		));
		let mut exp = expected(&upload, &bytes);
		exp.merkle_root = [9; 32];
		assert_eq!(Upload::from_registered_bytes(&bytes, &exp), Err(UploadError::MerkleRoot));
		// A block moved to another index does not open.
		let mut moved = upload.blocks[1].clone();
		moved.index = 2;
		assert!(open_block(&key, 5, &moved).is_err());
		assert!(open_block(&key, 6, &upload.blocks[1]).is_err(), "another stream");
	}
}

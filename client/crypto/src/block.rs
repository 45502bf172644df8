//! Data blocks and their hash chain.
//!
//! A stream's readings are cut into data blocks by period `T`. Every block names the hash of
//! the one before it, so a reader who holds any block and the chain of hashes after it can
//! tell whether a block was dropped, reordered or altered. Block `i` belongs to encryption
//! interval `i / e`: all blocks of one interval share one symmetric key.

use crate::{hash::blake2_256, Error, Hash};

/// Domain tag of a block hash: a block hash can never equal any other hash of the system.
pub const BLOCK_HASH_DOMAIN: &[u8] = b"cpchain/data-block/v1";

/// One data block: a period's readings of one stream, in plaintext.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct DataBlock {
	/// The stream the block belongs to (its on-chain id).
	pub stream: u64,
	/// Position of the block in the stream, from 0.
	pub index: u64,
	/// The encryption interval of the block (`index / e`).
	pub interval: u64,
	/// Hash of the previous block of the stream (zero for the first).
	pub prev: Hash,
	/// The readings, encoded by the application (the stream's schema tag says how).
	pub payload: Vec<u8>,
}

impl DataBlock {
	/// The block's hash: BLAKE2-256 over the domain tag, the stream, index and interval
	/// (little-endian), `prev` and the BLAKE3 hash of the payload.
	///
	/// The payload is the bulk of the bytes, so it is hashed with BLAKE3 (several GB/s with
	/// SIMD, about four times BLAKE2b here), which keeps the chain from halving the
	/// encryption pipeline's throughput; the short outer hash stays BLAKE2, the chain's hash.
	pub fn hash(&self) -> Hash {
		let payload_hash = *blake3::hash(&self.payload).as_bytes();
		blake2_256(&[
			BLOCK_HASH_DOMAIN,
			&self.stream.to_le_bytes(),
			&self.index.to_le_bytes(),
			&self.interval.to_le_bytes(),
			&self.prev,
			&payload_hash,
		])
	}
}

/// Cuts payloads into a stream's chained blocks, in order.
#[derive(Clone, Debug)]
pub struct BlockChainer {
	stream: u64,
	encryption_interval: u64,
	next_index: u64,
	prev: Hash,
}

impl BlockChainer {
	/// A chainer for `stream` whose next block is `next_index`, following the block with hash
	/// `prev` (zero at the start of a stream): resuming an interrupted stream continues its
	/// chain. `encryption_interval` (`e`) must not be zero.
	pub fn new(
		stream: u64,
		encryption_interval: u32,
		next_index: u64,
		prev: Hash,
	) -> Result<Self, Error> {
		if encryption_interval == 0 {
			return Err(Error::InvalidParameter("the encryption interval must not be zero"));
		}
		Ok(Self { stream, encryption_interval: encryption_interval.into(), next_index, prev })
	}

	/// The next block, holding `payload`.
	pub fn push(&mut self, payload: Vec<u8>) -> DataBlock {
		let block = DataBlock {
			stream: self.stream,
			index: self.next_index,
			interval: self.next_index / self.encryption_interval,
			prev: self.prev,
			payload,
		};
		self.prev = block.hash();
		self.next_index = self.next_index.saturating_add(1);
		block
	}

	/// The hash the next block will name as `prev`.
	pub fn last_hash(&self) -> Hash {
		self.prev
	}

	/// The index the next block will get.
	pub fn next_index(&self) -> u64 {
		self.next_index
	}
}

/// Checks that `blocks` continue the chain after `prev`, one index after another, all of one
/// stream, each in the interval its index implies.
pub fn verify_chain(
	blocks: &[DataBlock],
	prev: Hash,
	encryption_interval: u32,
) -> Result<(), Error> {
	if encryption_interval == 0 {
		return Err(Error::InvalidParameter("the encryption interval must not be zero"));
	}
	let mut expected_prev = prev;
	for pair in blocks.windows(2) {
		if pair[1].stream != pair[0].stream || pair[1].index != pair[0].index.wrapping_add(1) {
			return Err(Error::BrokenChain { index: pair[1].index });
		}
	}
	for block in blocks {
		if block.prev != expected_prev
			|| block.interval != block.index / u64::from(encryption_interval)
		{
			return Err(Error::BrokenChain { index: block.index });
		}
		expected_prev = block.hash();
	}
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;

	fn chain(n: usize, e: u32) -> Vec<DataBlock> {
		let mut chainer = BlockChainer::new(7, e, 0, [0; 32]).expect("e > 0");
		(0..n).map(|i| chainer.push(vec![i as u8; 10 + i])).collect()
	}

	#[test]
	fn blocks_link_and_fall_into_intervals() {
		let blocks = chain(7, 3);
		assert_eq!(blocks.iter().map(|b| b.interval).collect::<Vec<_>>(), [0, 0, 0, 1, 1, 1, 2]);
		assert_eq!(blocks[1].prev, blocks[0].hash());
		verify_chain(&blocks, [0; 32], 3).expect("a fresh chain verifies");
	}

	#[test]
	fn resuming_continues_the_same_chain() {
		let whole = chain(5, 2);
		let mut resumed = BlockChainer::new(7, 2, 3, whole[2].hash()).expect("e > 0");
		let tail: Vec<_> = (3..5).map(|i| resumed.push(vec![i as u8; 10 + i])).collect();
		assert_eq!(tail, whole[3..]);
	}

	#[test]
	fn any_change_breaks_the_chain() {
		let blocks = chain(4, 2);
		let mut altered = blocks.clone();
		altered[1].payload[0] ^= 1;
		assert_eq!(verify_chain(&altered, [0; 32], 2), Err(Error::BrokenChain { index: 2 }));
		let mut dropped = blocks.clone();
		dropped.remove(1);
		assert!(verify_chain(&dropped, [0; 32], 2).is_err());
		let mut swapped = blocks.clone();
		swapped.swap(1, 2);
		assert!(verify_chain(&swapped, [0; 32], 2).is_err());
		let mut moved = blocks;
		moved[3].interval = 0;
		assert_eq!(verify_chain(&moved, [0; 32], 2), Err(Error::BrokenChain { index: 3 }));
	}

	#[test]
	fn zero_encryption_interval_is_refused() {
		assert!(BlockChainer::new(1, 0, 0, [0; 32]).is_err());
		assert!(verify_chain(&[], [0; 32], 0).is_err());
	}
}

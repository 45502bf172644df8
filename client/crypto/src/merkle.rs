//! The Merkle tree over an upload's blocks, whose root goes on chain with the record, and the
//! proofs that one block belongs to it.
//!
//! Leaves and inner nodes are hashed under different prefixes (`0x00`, `0x01`), so an inner
//! node can never pass for a leaf. A level with an odd number of nodes promotes its last node
//! unchanged rather than pairing it with itself, so two different leaf lists never share a
//! root (the duplication weakness of Bitcoin's tree).

use crate::{hash::blake2_256, Hash};

const LEAF: &[u8] = &[0x00];
const NODE: &[u8] = &[0x01];

fn leaf_hash(leaf: &Hash) -> Hash {
	blake2_256(&[LEAF, leaf])
}

fn node_hash(left: &Hash, right: &Hash) -> Hash {
	blake2_256(&[NODE, left, right])
}

fn next_level(level: &[Hash]) -> Vec<Hash> {
	level
		.chunks(2)
		.filter_map(|pair| match pair {
			[left, right] => Some(node_hash(left, right)),
			[last] => Some(*last),
			_ => None,
		})
		.collect()
}

/// The root over `leaves` (block hashes, in order), or `None` for no leaves.
pub fn root(leaves: &[Hash]) -> Option<Hash> {
	if leaves.is_empty() {
		return None;
	}
	let mut level: Vec<Hash> = leaves.iter().map(leaf_hash).collect();
	while level.len() > 1 {
		level = next_level(&level);
	}
	level.first().copied()
}

/// A proof that a leaf is at `index` among `leaf_count` leaves under a root.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Proof {
	/// The position of the leaf.
	pub index: u64,
	/// How many leaves the tree has.
	pub leaf_count: u64,
	/// The sibling at each level where the path has one, from the leaf up.
	pub siblings: Vec<Hash>,
}

/// The proof for leaf `index`, or `None` when there is no such leaf.
pub fn prove(leaves: &[Hash], index: usize) -> Option<Proof> {
	if index >= leaves.len() {
		return None;
	}
	let mut siblings = Vec::new();
	let mut level: Vec<Hash> = leaves.iter().map(leaf_hash).collect();
	let mut position = index;
	while level.len() > 1 {
		let sibling = position ^ 1;
		if sibling < level.len() {
			siblings.push(level[sibling]);
		}
		level = next_level(&level);
		position /= 2;
	}
	Some(Proof { index: index as u64, leaf_count: leaves.len() as u64, siblings })
}

/// Whether `proof` shows `leaf` under `root`.
pub fn verify(root: &Hash, leaf: &Hash, proof: &Proof) -> bool {
	if proof.index >= proof.leaf_count {
		return false;
	}
	let mut hash = leaf_hash(leaf);
	let mut position = proof.index;
	let mut width = proof.leaf_count;
	let mut siblings = proof.siblings.iter();
	while width > 1 {
		let sibling = position ^ 1;
		if sibling < width {
			let Some(other) = siblings.next() else { return false };
			hash = if position.is_multiple_of(2) {
				node_hash(&hash, other)
			} else {
				node_hash(other, &hash)
			};
		}
		position /= 2;
		width = width.div_ceil(2);
	}
	siblings.next().is_none() && hash == *root
}

#[cfg(test)]
mod tests {
	use super::*;

	fn leaves(n: usize) -> Vec<Hash> {
		(0..n).map(|i| blake2_256(&[&(i as u64).to_le_bytes()])).collect()
	}

	#[test]
	fn every_leaf_of_every_size_proves() {
		for n in 1..=17 {
			let leaves = leaves(n);
			let root = root(&leaves).expect("not empty");
			for (i, leaf) in leaves.iter().enumerate() {
				let proof = prove(&leaves, i).expect("in range");
				assert!(verify(&root, leaf, &proof), "leaf {i} of {n}");
			}
		}
	}

	#[test]
	fn wrong_leaves_positions_and_proofs_fail() {
		let leaves = leaves(6);
		let root = root(&leaves).expect("not empty");
		let proof = prove(&leaves, 2).expect("in range");
		assert!(!verify(&root, &leaves[3], &proof), "another leaf");
		assert!(!verify(&root, &leaves[2], &Proof { index: 3, ..proof.clone() }), "another place");
		let mut bent = proof.clone();
		bent.siblings[0][0] ^= 1;
		assert!(!verify(&root, &leaves[2], &bent), "altered sibling");
		let mut short = proof.clone();
		short.siblings.pop();
		assert!(!verify(&root, &leaves[2], &short), "missing sibling");
		let mut long = proof.clone();
		long.siblings.push([0; 32]);
		assert!(!verify(&root, &leaves[2], &long), "extra sibling");
		assert!(!verify(&root, &leaves[2], &Proof { leaf_count: 2, ..proof }), "other tree size");
		assert!(prove(&leaves, 6).is_none());
		assert_eq!(self::root(&[]), None);
	}

	#[test]
	fn different_leaf_lists_have_different_roots() {
		let three = leaves(3);
		let mut four = three.clone();
		four.push(three[2]);
		assert_ne!(root(&three), root(&four), "no duplication ambiguity");
		// An inner node is not a leaf.
		let pair = leaves(2);
		let inner = node_hash(&leaf_hash(&pair[0]), &leaf_hash(&pair[1]));
		assert_ne!(root(&[inner]), root(&pair));
	}
}

//! The signed votes of the height being decided, by slot: what the voter re-sends, builds
//! justifications and re-proposals from, and turns into equivocation proofs.
//!
//! The core counts votes without signatures; this store keeps the signed message behind each
//! counted vote, one per (view, phase, voter), the first one that arrived, and a second,
//! different one for the same slot as half of an equivocation proof. The voter bounds what
//! it offers here to the view window (see [`crate::buffers`]).

use std::collections::BTreeMap;

use cpchain_dpor_bft::{Phase, View, Vote};
use cpchain_primitives::consensus::{
	AuthoritySignature, EquivocationProof, Height, MemberIndex, SignedVote,
};
use sp_core::H256;

use crate::messages::core_vote;

/// A vote's slot: (view, phase, voter).
pub type VoteKey = (View, Phase, MemberIndex);

/// The slot of a core vote.
pub fn key_of(vote: &Vote<H256>) -> VoteKey {
	(vote.view, vote.phase, vote.voter)
}

/// The signed votes of one height.
#[derive(Default)]
pub struct VoteStore {
	votes: BTreeMap<VoteKey, SignedVote>,
	/// A second, different signed vote for a key of `votes`: half of an equivocation proof.
	conflicts: BTreeMap<VoteKey, SignedVote>,
}

impl VoteStore {
	/// How many signed votes are held (second votes included).
	pub fn len(&self) -> usize {
		self.votes.len() + self.conflicts.len()
	}

	/// Whether nothing is held.
	pub fn is_empty(&self) -> bool {
		self.votes.is_empty() && self.conflicts.is_empty()
	}

	/// Forgets the votes of heights below `height`.
	pub fn retain_from(&mut self, height: Height) {
		self.votes.retain(|_, v| v.data.height >= height);
		self.conflicts.retain(|_, v| v.data.height >= height);
	}

	/// Offers a vote that arrived (checked): the first one of its slot stays, a different
	/// second one is kept as evidence.
	pub fn offer(&mut self, vote: &SignedVote) {
		let key = key_of(&core_vote(vote));
		match self.votes.get(&key) {
			None => {
				self.votes.insert(key, vote.clone());
			}
			Some(first) if first.data != vote.data => {
				self.conflicts.entry(key).or_insert_with(|| vote.clone());
			}
			Some(_) => {}
		}
	}

	/// Keeps `vote` unless its slot holds one already (justifying votes of a proposal, or of
	/// a stored state after a restart).
	pub fn keep_first(&mut self, vote: &SignedVote) {
		let key = key_of(&core_vote(vote));
		self.votes.entry(key).or_insert_with(|| vote.clone());
	}

	/// Stores this node's own signed vote.
	pub fn insert_own(&mut self, vote: SignedVote) {
		self.votes.insert(key_of(&core_vote(&vote)), vote);
	}

	/// The signed vote behind the core's `vote`, if this node has it.
	pub fn signed(&self, vote: &Vote<H256>) -> Option<&SignedVote> {
		self.votes.get(&key_of(vote)).filter(|s| core_vote(s) == *vote)
	}

	/// The signatures of `votes` (a COMMIT quorum), by member index, each member once.
	pub fn signatures(&self, votes: &[Vote<H256>]) -> Vec<(MemberIndex, AuthoritySignature)> {
		let mut signatures: Vec<_> = votes
			.iter()
			.filter_map(|v| self.votes.get(&key_of(v)).map(|s| (s.voter, s.signature.clone())))
			.collect();
		signatures.sort_by_key(|(i, _)| *i);
		signatures.dedup_by_key(|(i, _)| *i);
		signatures
	}

	/// The proof that the voter of `first` equivocated in its slot, if both votes are held.
	pub fn proof(&self, first: &Vote<H256>) -> Option<EquivocationProof> {
		let key = key_of(first);
		let (a, b) = (self.votes.get(&key)?, self.conflicts.get(&key)?);
		Some(EquivocationProof { first: a.clone(), second: b.clone() })
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use cpchain_primitives::consensus::{AuthorityPair, Phase, VoteData};
	use sp_core::Pair;

	fn vote(view: View, voter: MemberIndex, block: u8) -> SignedVote {
		let pair = AuthorityPair::from_seed(&[voter as u8; 32]);
		let data = VoteData {
			term: 0,
			height: 5,
			view,
			phase: Phase::Prepare,
			block: Some(H256::repeat_byte(block)),
		};
		let signature = pair.sign(&data.signing_payload(&H256::zero()));
		SignedVote { data, voter, signature }
	}

	#[test]
	fn the_first_vote_of_a_slot_stays_and_a_second_one_makes_a_proof() {
		let mut store = VoteStore::default();
		// (sr25519 signatures are randomised: the same vote signed again differs.)
		let kept = vote(0, 1, 1);
		store.offer(&kept);
		store.offer(&kept);
		assert_eq!(store.len(), 1, "the same vote again");
		store.offer(&vote(0, 1, 2));
		store.offer(&vote(0, 1, 3));
		assert_eq!(store.len(), 2, "one second vote per slot");
		let first = core_vote(&vote(0, 1, 1));
		let proof = store.proof(&first).expect("a proof");
		assert!(proof.is_equivocation());
		assert_eq!(store.signed(&first), Some(&kept));
		assert_eq!(store.signed(&core_vote(&vote(0, 1, 2))), None, "not the kept one");
		store.retain_from(6);
		assert!(store.is_empty());
	}

	#[test]
	fn signatures_come_once_per_member_in_index_order() {
		let mut store = VoteStore::default();
		for voter in [2, 0, 1] {
			store.offer(&vote(0, voter, 1));
		}
		let votes: Vec<_> = [1, 2, 0, 2].iter().map(|v| core_vote(&vote(0, *v, 1))).collect();
		let members: Vec<_> = store.signatures(&votes).into_iter().map(|(i, _)| i).collect();
		assert_eq!(members, vec![0, 1, 2]);
	}
}

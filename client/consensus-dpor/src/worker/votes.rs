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

	/// The signed vote behind the core's `vote` (the same data: the first of its slot, or the
	/// second when the core counted that one), if this node has it. The core may count a
	/// vote the store holds as the second of its slot: the first came inside a proposal's
	/// justification, which the core does not count as a vote.
	pub fn signed(&self, vote: &Vote<H256>) -> Option<&SignedVote> {
		let key = key_of(vote);
		[self.votes.get(&key), self.conflicts.get(&key)]
			.into_iter()
			.flatten()
			.find(|s| core_vote(s) == *vote)
	}

	/// The signatures of exactly `votes` (the COMMIT quorum the core counted), by member
	/// index, each member once; a vote this node has no signature for is left out (and the
	/// justification then fails its check instead of carrying another vote's signature).
	pub fn signatures(&self, votes: &[Vote<H256>]) -> Vec<(MemberIndex, AuthoritySignature)> {
		let mut signatures: Vec<_> = votes
			.iter()
			.filter_map(|v| self.signed(v).map(|s| (s.voter, s.signature.clone())))
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
		let second = core_vote(&vote(0, 1, 2));
		assert_eq!(store.signed(&second).map(core_vote), Some(second), "the second, as evidence");
		assert_eq!(store.signed(&core_vote(&vote(0, 1, 3))), None, "a third is not kept");
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

	#[test]
	fn signatures_are_those_of_the_votes_counted_even_in_an_equivocated_slot() {
		use sp_runtime::RuntimeAppPublic;
		let mut store = VoteStore::default();
		// Member 2's first vote (for block 9) came inside a proposal; the core counted its
		// direct vote for block 1 with members 0 and 1.
		store.keep_first(&vote(0, 2, 9));
		for voter in [0, 1, 2] {
			store.offer(&vote(0, voter, 1));
		}
		let quorum: Vec<_> = [0, 1, 2].iter().map(|v| core_vote(&vote(0, *v, 1))).collect();
		let signatures = store.signatures(&quorum);
		assert_eq!(signatures.len(), 3);
		// The data of every vote of the quorum (the voter is not part of it).
		let counted = vote(0, 0, 1).data;
		for (i, signature) in signatures {
			let key = AuthorityPair::from_seed(&[i as u8; 32]).public();
			assert!(
				key.verify(&counted.signing_payload(&H256::zero()), &signature),
				"member {i}'s signature is over the vote the core counted"
			);
		}
		// A vote nobody signed gets no signature.
		assert!(store.signatures(&[core_vote(&vote(1, 0, 1))]).is_empty());
	}
}

//! The voter state in the client's auxiliary storage, written before any vote it covers is
//! sent, so that a restarted member never signs two different votes for one height, view
//! and phase; with it, the signed PREPARE votes that justify the state's valid block and last
//! proposal, so that a leader restarted in the middle of a height can still re-propose the
//! block a quorum prepared (a re-proposal carries those signatures). Apart, the last block
//! this member sealed, written before the block is imported, so that a leader restarted after
//! building re-proposes that block instead of sealing a second one at the same view (which
//! the chain punishes as seal equivocation).

use codec::{Decode, Encode};
use cpchain_dpor_bft::{Height, Phase, Prepared, Proposal, Step, Vote, VoterState};
use cpchain_primitives::consensus::{DporJustification, SignedVote};
use sc_client_api::AuxStore;
use sp_core::H256;

/// The aux key of the voter state.
pub const VOTER_STATE_KEY: &[u8] = b"cpchain/dpor/voter-state/v1";

/// The aux key of the signed votes that justify the voter state's valid block and last
/// proposal.
pub const JUSTIFYING_VOTES_KEY: &[u8] = b"cpchain/dpor/justifying-votes/v1";

/// The aux key of the justification of the last height this member decided (written with the
/// state of the height above it).
pub const DECIDED_KEY: &[u8] = b"cpchain/dpor/decided/v1";

/// The aux key of the last block this member sealed: (height, view, hash).
pub const OWN_BLOCK_KEY: &[u8] = b"cpchain/dpor/own-block/v1";

/// Stores the last block this member sealed, durably, before it is imported.
pub fn write_own_block<A: AuxStore + ?Sized>(
	store: &A,
	height: Height,
	view: u32,
	block: H256,
) -> sp_blockchain::Result<()> {
	store.insert_aux(&[(OWN_BLOCK_KEY, &(height, view, block).encode()[..])], &[])
}

/// The last block this member sealed: (height, view, hash), if any.
pub fn read_own_block<A: AuxStore + ?Sized>(
	store: &A,
) -> sp_blockchain::Result<Option<(Height, u32, H256)>> {
	Ok(store
		.get_aux(OWN_BLOCK_KEY)?
		.and_then(|bytes| <(Height, u32, H256)>::decode(&mut &bytes[..]).ok()))
}

#[derive(Encode, Decode)]
struct StoredVote {
	height: u64,
	view: u32,
	commit: bool,
	block: Option<H256>,
	voter: u32,
}

impl From<&Vote<H256>> for StoredVote {
	fn from(v: &Vote<H256>) -> Self {
		Self {
			height: v.height,
			view: v.view,
			commit: v.phase == Phase::Commit,
			block: v.block,
			voter: v.voter,
		}
	}
}

impl From<StoredVote> for Vote<H256> {
	fn from(v: StoredVote) -> Self {
		Vote {
			height: v.height,
			view: v.view,
			phase: if v.commit { Phase::Commit } else { Phase::Prepare },
			block: v.block,
			voter: v.voter,
		}
	}
}

#[derive(Encode, Decode)]
struct StoredProposal {
	height: u64,
	view: u32,
	block: H256,
	valid_view: Option<u32>,
	justification: Vec<StoredVote>,
	proposer: u32,
}

#[derive(Encode, Decode)]
struct StoredState {
	height: u64,
	view: u32,
	step: u8,
	locked: Option<(u32, H256)>,
	valid: Option<(u32, H256, Vec<StoredVote>)>,
	last_vote: Option<StoredVote>,
	last_proposal: Option<StoredProposal>,
}

fn encode_state(s: &VoterState<H256>) -> Vec<u8> {
	StoredState {
		height: s.height,
		view: s.view,
		step: match s.step {
			Step::Propose => 0,
			Step::Prepare => 1,
			Step::Commit => 2,
		},
		locked: s.locked,
		valid: s
			.valid
			.as_ref()
			.map(|p| (p.view, p.block, p.votes.iter().map(Into::into).collect())),
		last_vote: s.last_vote.as_ref().map(Into::into),
		last_proposal: s.last_proposal.as_ref().map(|p| StoredProposal {
			height: p.height,
			view: p.view,
			block: p.block,
			valid_view: p.valid_view,
			justification: p.justification.iter().map(Into::into).collect(),
			proposer: p.proposer,
		}),
	}
	.encode()
}

fn decode_state(mut bytes: &[u8]) -> Option<VoterState<H256>> {
	let s = StoredState::decode(&mut bytes).ok()?;
	Some(VoterState {
		height: s.height,
		view: s.view,
		step: match s.step {
			0 => Step::Propose,
			1 => Step::Prepare,
			_ => Step::Commit,
		},
		locked: s.locked,
		valid: s.valid.map(|(view, block, votes)| Prepared {
			view,
			block,
			votes: votes.into_iter().map(Into::into).collect(),
		}),
		last_vote: s.last_vote.map(Into::into),
		last_proposal: s.last_proposal.map(|p| Proposal {
			height: p.height,
			view: p.view,
			block: p.block,
			valid_view: p.valid_view,
			justification: p.justification.into_iter().map(Into::into).collect(),
			proposer: p.proposer,
		}),
	})
}

/// Stores the voter state and the signed votes that justify it, durably and in one write;
/// with them `decided`, the justification of the height below the state's, if this member
/// decided that height (a state that overwrites the one holding this member's votes there
/// must not lose the votes that decided it).
pub fn write_voter_state<A: AuxStore + ?Sized>(
	store: &A,
	state: &VoterState<H256>,
	justifying_votes: &[SignedVote],
	decided: Option<&DporJustification>,
) -> sp_blockchain::Result<()> {
	let state_bytes = encode_state(state);
	let votes_bytes = justifying_votes.encode();
	let decided_bytes = decided.map(Encode::encode);
	let mut items: Vec<(&[u8], &[u8])> =
		vec![(VOTER_STATE_KEY, &state_bytes[..]), (JUSTIFYING_VOTES_KEY, &votes_bytes[..])];
	if let Some(bytes) = &decided_bytes {
		items.push((DECIDED_KEY, &bytes[..]));
	}
	store.insert_aux(&items, &[])
}

/// The justification of the last height this member decided, if one is stored and decodes.
/// It was verified before it was stored; the caller checks it again against the committee of
/// the height it is for.
pub fn read_decided<A: AuxStore + ?Sized>(
	store: &A,
) -> sp_blockchain::Result<Option<DporJustification>> {
	Ok(store
		.get_aux(DECIDED_KEY)?
		.and_then(|bytes| DporJustification::decode(&mut &bytes[..]).ok()))
}

/// The signed votes stored with the voter state (none if there are none or they do not
/// decode). They were checked before they were stored.
pub fn read_justifying_votes<A: AuxStore + ?Sized>(
	store: &A,
) -> sp_blockchain::Result<Vec<SignedVote>> {
	Ok(store
		.get_aux(JUSTIFYING_VOTES_KEY)?
		.and_then(|bytes| Vec::<SignedVote>::decode(&mut &bytes[..]).ok())
		.unwrap_or_default())
}

/// The stored voter state, if any (an undecodable one reads as none: it can only be from an
/// incompatible version, and the core then starts the height afresh).
pub fn read_voter_state<A: AuxStore + ?Sized>(
	store: &A,
) -> sp_blockchain::Result<Option<VoterState<H256>>> {
	Ok(store.get_aux(VOTER_STATE_KEY)?.and_then(|bytes| decode_state(&bytes)))
}

/// What a voter entering a height does with the state it finds stored.
#[derive(Debug, PartialEq, Eq)]
pub enum Resume {
	/// Nothing stored for this height or later: start the height afresh.
	Fresh,
	/// The state of this height: continue from it (its lock and its votes).
	Stored(VoterState<H256>),
	/// A state of a later height: this node decided this height already and persisted the next
	/// one, then stopped before the finality of this one reached its database. It must not
	/// vote at this height again (its votes here are gone with the overwritten state), so it
	/// observes until the chain is final past it; the stored state stays on disk for then.
	/// The justification stored with that state ([`read_decided`]) finalises this height and
	/// gives the other members the COMMIT votes that decided it.
	Observe {
		/// The height of the stored state.
		stored: Height,
	},
}

/// How a voter entering `height` resumes from `stored`. A stored state above `height` is never
/// discarded: it is the floor below which this node has signed everything it may.
pub fn resume(stored: Option<VoterState<H256>>, height: Height) -> Resume {
	match stored {
		Some(state) if state.height == height => Resume::Stored(state),
		Some(state) if state.height > height => Resume::Observe { stored: state.height },
		_ => Resume::Fresh,
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_state_above_the_height_entered_is_kept_and_makes_the_node_observe() {
		// Crashed between persisting height 8 and finalising height 7: on restart the
		// finalised head is 6 and the voter enters height 7.
		let ahead = VoterState::<H256>::at(8);
		assert_eq!(resume(Some(ahead.clone()), 7), Resume::Observe { stored: 8 });
		// Once the chain is final at 7, height 8 resumes from the stored state.
		assert_eq!(resume(Some(ahead.clone()), 8), Resume::Stored(ahead));
		assert_eq!(resume(Some(VoterState::at(5)), 7), Resume::Fresh, "an old state is stale");
		assert_eq!(resume(None, 7), Resume::Fresh);
	}

	#[test]
	fn the_voter_state_round_trips() {
		let vote = |view, phase| Vote {
			height: 9,
			view,
			phase,
			block: Some(H256::repeat_byte(3)),
			voter: 2,
		};
		let state = VoterState {
			height: 9,
			view: 4,
			step: Step::Commit,
			locked: Some((3, H256::repeat_byte(3))),
			valid: Some(Prepared {
				view: 3,
				block: H256::repeat_byte(3),
				votes: vec![vote(3, Phase::Prepare)],
			}),
			last_vote: Some(vote(4, Phase::Commit)),
			last_proposal: Some(Proposal {
				height: 9,
				view: 4,
				block: H256::repeat_byte(3),
				valid_view: Some(3),
				justification: vec![vote(3, Phase::Prepare)],
				proposer: 1,
			}),
		};
		assert_eq!(decode_state(&encode_state(&state)), Some(state));
		let fresh = VoterState::<H256>::at(1);
		assert_eq!(decode_state(&encode_state(&fresh)), Some(fresh));
		assert_eq!(decode_state(&[1, 2, 3]), None);
	}

	/// An aux store in memory.
	#[derive(Default)]
	struct Memory(std::sync::Mutex<std::collections::BTreeMap<Vec<u8>, Vec<u8>>>);

	impl AuxStore for Memory {
		fn insert_aux<
			'a,
			'b: 'a,
			'c: 'a,
			I: IntoIterator<Item = &'a (&'c [u8], &'c [u8])>,
			D: IntoIterator<Item = &'a &'b [u8]>,
		>(
			&self,
			insert: I,
			delete: D,
		) -> sp_blockchain::Result<()> {
			let mut map = self.0.lock().expect("not poisoned");
			for (k, v) in insert {
				map.insert(k.to_vec(), v.to_vec());
			}
			for k in delete {
				map.remove(*k);
			}
			Ok(())
		}

		fn get_aux(&self, key: &[u8]) -> sp_blockchain::Result<Option<Vec<u8>>> {
			Ok(self.0.lock().expect("not poisoned").get(key).cloned())
		}
	}

	#[test]
	fn the_justifying_votes_are_stored_with_the_state() {
		use cpchain_primitives::consensus::{AuthorityPair, Phase, VoteData};
		use sp_core::Pair;
		let store = Memory::default();
		assert_eq!(read_justifying_votes(&store).expect("reads"), Vec::new());
		let data = VoteData {
			term: 1,
			height: 9,
			view: 3,
			phase: Phase::Prepare,
			block: Some(H256::repeat_byte(3)),
		};
		let signature =
			AuthorityPair::from_seed(&[1; 32]).sign(&data.signing_payload(&H256::zero()));
		let votes = vec![SignedVote { data, voter: 2, signature }];
		let state = VoterState::<H256>::at(9);
		write_voter_state(&store, &state, &votes, None).expect("writes");
		assert_eq!(read_voter_state(&store).expect("reads"), Some(state));
		assert_eq!(read_justifying_votes(&store).expect("reads"), votes);
		assert_eq!(read_decided(&store).expect("reads"), None);
		// The first state of height 10 carries the justification of 9; later states of 10
		// leave it in place.
		let decided = DporJustification {
			term: 1,
			height: 9,
			view: 3,
			block: H256::repeat_byte(3),
			signatures: vec![(2, votes[0].signature.clone())],
		};
		write_voter_state(&store, &VoterState::at(10), &[], Some(&decided)).expect("writes");
		write_voter_state(&store, &VoterState::at(10), &[], None).expect("writes");
		assert_eq!(read_decided(&store).expect("reads"), Some(decided));
		store.insert_aux(&[(DECIDED_KEY, &[7u8][..])], &[]).expect("writes");
		assert_eq!(read_decided(&store).expect("reads"), None);
		store.insert_aux(&[(JUSTIFYING_VOTES_KEY, &[7u8][..])], &[]).expect("writes");
		assert_eq!(read_justifying_votes(&store).expect("reads"), Vec::new());
	}
}

//! The voter state in the client's auxiliary storage, written before any vote it covers is
//! sent, so that a restarted member never signs two different votes for one height, view
//! and phase; with it, the signed PREPARE votes that justify the state's valid block and last
//! proposal, so that a leader restarted in the middle of a height can still re-propose the
//! block a quorum prepared (a re-proposal carries those signatures).

use codec::{Decode, Encode};
use cpchain_dpor_bft::{Phase, Prepared, Proposal, Step, Vote, VoterState};
use cpchain_primitives::consensus::SignedVote;
use sc_client_api::AuxStore;
use sp_core::H256;

/// The aux key of the voter state.
pub const VOTER_STATE_KEY: &[u8] = b"cpchain/dpor/voter-state/v1";

/// The aux key of the signed votes that justify the voter state's valid block and last
/// proposal.
pub const JUSTIFYING_VOTES_KEY: &[u8] = b"cpchain/dpor/justifying-votes/v1";

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

/// Stores the voter state and the signed votes that justify it, durably and in one write.
pub fn write_voter_state<A: AuxStore + ?Sized>(
	store: &A,
	state: &VoterState<H256>,
	justifying_votes: &[SignedVote],
) -> sp_blockchain::Result<()> {
	store.insert_aux(
		&[
			(VOTER_STATE_KEY, &encode_state(state)[..]),
			(JUSTIFYING_VOTES_KEY, &justifying_votes.encode()[..]),
		],
		&[],
	)
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

#[cfg(test)]
mod tests {
	use super::*;

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
		use cpchain_primitives::consensus::{AuthorityPair, VoteData, VotePhase};
		use sp_core::Pair;
		let store = Memory::default();
		assert_eq!(read_justifying_votes(&store).expect("reads"), Vec::new());
		let data = VoteData {
			term: 1,
			height: 9,
			view: 3,
			phase: VotePhase::Prepare,
			block: Some(H256::repeat_byte(3)),
		};
		let signature =
			AuthorityPair::from_seed(&[1; 32]).sign(&data.signing_payload(&H256::zero()));
		let votes = vec![SignedVote { data, voter: 2, signature }];
		let state = VoterState::<H256>::at(9);
		write_voter_state(&store, &state, &votes).expect("writes");
		assert_eq!(read_voter_state(&store).expect("reads"), Some(state));
		assert_eq!(read_justifying_votes(&store).expect("reads"), votes);
		store.insert_aux(&[(JUSTIFYING_VOTES_KEY, &[7u8][..])], &[]).expect("writes");
		assert_eq!(read_justifying_votes(&store).expect("reads"), Vec::new());
	}
}

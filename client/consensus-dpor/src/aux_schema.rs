//! The voter state in the client's auxiliary storage, written before any vote it covers is
//! sent, so that a restarted member never signs two different votes for one height, view
//! and phase. Its votes carry their signatures: the member's last vote is re-sent as it was
//! signed, and the PREPARE votes behind its valid block and last proposal let a leader
//! restarted in the middle of a height still re-propose the block a quorum prepared (a
//! re-proposal carries those signatures). Apart, the last block
//! this member sealed, written before the block is imported, so that a leader restarted after
//! building re-proposes that block instead of sealing a second one at the same view (which
//! the chain punishes as seal equivocation).

use codec::{Decode, Encode};
use cpchain_dpor_bft::{Height, Phase, Prepared, Proposal, Signed, Step, Vote, VoterState};
use cpchain_primitives::{
	committee::TermIndex,
	consensus::{AuthoritySignature, DporJustification, SignedVote},
};

use crate::messages::{core_vote, CoreVote};
use sc_client_api::AuxStore;
use sp_core::H256;

/// The aux key of the voter state (version 2: every vote in it with its signature).
pub const VOTER_STATE_KEY: &[u8] = b"cpchain/dpor/voter-state/v2";

/// The aux key of a version 1 voter state (votes without signatures), read once after an
/// upgrade and deleted by the first write of a version 2 state.
pub const VOTER_STATE_V1_KEY: &[u8] = b"cpchain/dpor/voter-state/v1";

/// The aux key of the signed votes that justified a version 1 state's valid block and last
/// proposal (deleted with it).
pub const JUSTIFYING_VOTES_V1_KEY: &[u8] = b"cpchain/dpor/justifying-votes/v1";

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

/// The voter state of the core: votes carry their signatures.
pub type CoreState = VoterState<H256, AuthoritySignature>;

#[derive(Encode, Decode, Clone, PartialEq, Eq)]
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

/// A vote of a version 2 state: with its signature.
#[derive(Encode, Decode)]
struct StoredSignedVote {
	vote: StoredVote,
	signature: AuthoritySignature,
}

impl From<&CoreVote> for StoredSignedVote {
	fn from(v: &CoreVote) -> Self {
		Self { vote: (&v.vote).into(), signature: v.signature.clone() }
	}
}

#[derive(Encode, Decode)]
struct StoredProposal<V> {
	height: u64,
	view: u32,
	block: H256,
	valid_view: Option<u32>,
	justification: Vec<V>,
	proposer: u32,
}

/// The stored state; its votes `V` are [`StoredSignedVote`] from version 2 on, and were
/// [`StoredVote`] (no signatures, those of others in [`JUSTIFYING_VOTES_KEY`]) in version 1.
#[derive(Encode, Decode)]
struct StoredState<V> {
	height: u64,
	view: u32,
	step: u8,
	locked: Option<(u32, H256)>,
	valid: Option<(u32, H256, Vec<V>)>,
	last_vote: Option<V>,
	last_proposal: Option<StoredProposal<V>>,
}

fn encode_state(s: &CoreState) -> Vec<u8> {
	let votes = |votes: &[CoreVote]| votes.iter().map(StoredSignedVote::from).collect::<Vec<_>>();
	StoredState {
		height: s.height,
		view: s.view,
		step: match s.step {
			Step::Propose => 0,
			Step::Prepare => 1,
			Step::Commit => 2,
		},
		locked: s.locked,
		valid: s.valid.as_ref().map(|p| (p.view, p.block, votes(&p.votes))),
		last_vote: s.last_vote.as_ref().map(Into::into),
		last_proposal: s.last_proposal.as_ref().map(|p| StoredProposal {
			height: p.height,
			view: p.view,
			block: p.block,
			valid_view: p.valid_view,
			justification: votes(&p.justification),
			proposer: p.proposer,
		}),
	}
	.encode()
}

/// A stored state with its votes made core votes by `sign` (which gives the signature of a
/// vote). A valid block or a last proposal whose votes are not all signed is left out: the
/// core then cannot re-propose it, which costs a view at worst; the lock, which is what safety
/// needs, stays. A last vote that cannot be signed is left out too; only an observer, which
/// never votes, is in that case.
fn into_core_state<V>(s: StoredState<V>, mut sign: impl FnMut(V) -> Option<CoreVote>) -> CoreState {
	let mut all = |votes: Vec<V>| votes.into_iter().map(&mut sign).collect::<Option<Vec<_>>>();
	let valid =
		s.valid.and_then(|(view, block, votes)| Some(Prepared { view, block, votes: all(votes)? }));
	let last_proposal = s.last_proposal.and_then(|p| {
		Some(Proposal {
			height: p.height,
			view: p.view,
			block: p.block,
			valid_view: p.valid_view,
			justification: all(p.justification)?,
			proposer: p.proposer,
		})
	});
	VoterState {
		height: s.height,
		view: s.view,
		step: match s.step {
			0 => Step::Propose,
			1 => Step::Prepare,
			_ => Step::Commit,
		},
		locked: s.locked,
		valid,
		last_vote: s.last_vote.and_then(sign),
		last_proposal,
	}
}

fn decode_state(mut bytes: &[u8]) -> Option<CoreState> {
	let s = StoredState::<StoredSignedVote>::decode(&mut bytes).ok()?;
	Some(into_core_state(s, |v| Some(Signed { vote: v.vote.into(), signature: v.signature })))
}

/// A version 1 state (written by nodes before 2026-12-05) as a core state: the votes of others
/// take their signatures from the justifying votes stored beside it (those of `term`), this
/// member's last vote is signed again by `resign` (the same vote: signing it again is no
/// equivocation).
fn migrate_v1(
	bytes: &[u8],
	justifying: &[SignedVote],
	term: TermIndex,
	resign: &dyn Fn(&Vote<H256>) -> Option<AuthoritySignature>,
) -> Option<CoreState> {
	let s = StoredState::<StoredVote>::decode(&mut &bytes[..]).ok()?;
	let own = s.last_vote.clone();
	Some(into_core_state(s, |stored| {
		let vote: Vote<H256> = stored.clone().into();
		if own.as_ref() == Some(&stored) {
			return resign(&vote).map(|signature| Signed { vote, signature });
		}
		justifying.iter().filter(|s| s.data.term == term).map(core_vote).find(|s| s.vote == vote)
	}))
}

/// Stores the voter state (with the signed votes in it), durably and in one write; with it
/// `decided`, the justification of the height below the state's, if this member decided that
/// height (a state that overwrites the one holding this member's votes there must not lose
/// the votes that decided it). The same write deletes a version 1 state.
pub fn write_voter_state<A: AuxStore + ?Sized>(
	store: &A,
	state: &CoreState,
	decided: Option<&DporJustification>,
) -> sp_blockchain::Result<()> {
	let state_bytes = encode_state(state);
	let decided_bytes = decided.map(Encode::encode);
	let mut items: Vec<(&[u8], &[u8])> = vec![(VOTER_STATE_KEY, &state_bytes[..])];
	if let Some(bytes) = &decided_bytes {
		items.push((DECIDED_KEY, &bytes[..]));
	}
	store.insert_aux(&items, &[VOTER_STATE_V1_KEY, JUSTIFYING_VOTES_V1_KEY])
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

/// The stored voter state, if any (an undecodable one reads as none: it can only be from an
/// incompatible version, and the core then starts the height afresh). A version 1 state is
/// read with its votes signed as [`migrate_v1`] says (`term`: the term of the committee the
/// caller votes in; `resign`: its signer).
pub fn read_voter_state<A: AuxStore + ?Sized>(
	store: &A,
	term: TermIndex,
	resign: &dyn Fn(&Vote<H256>) -> Option<AuthoritySignature>,
) -> sp_blockchain::Result<Option<CoreState>> {
	if let Some(bytes) = store.get_aux(VOTER_STATE_KEY)? {
		return Ok(decode_state(&bytes));
	}
	let Some(bytes) = store.get_aux(VOTER_STATE_V1_KEY)? else { return Ok(None) };
	let justifying = store
		.get_aux(JUSTIFYING_VOTES_V1_KEY)?
		.and_then(|bytes| Vec::<SignedVote>::decode(&mut &bytes[..]).ok())
		.unwrap_or_default();
	Ok(migrate_v1(&bytes, &justifying, term, resign))
}

/// What a voter entering a height does with the state it finds stored.
#[derive(Debug, PartialEq, Eq)]
pub enum Resume {
	/// Nothing stored for this height or later: start the height afresh.
	Fresh,
	/// The state of this height: continue from it (its lock and its votes).
	Stored(CoreState),
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
pub fn resume(stored: Option<CoreState>, height: Height) -> Resume {
	match stored {
		Some(state) if state.height == height => Resume::Stored(state),
		Some(state) if state.height > height => Resume::Observe { stored: state.height },
		_ => Resume::Fresh,
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use cpchain_primitives::consensus::{AuthorityId, AuthorityPair};
	use sp_core::Pair;

	fn key(seed: u8) -> AuthorityPair {
		AuthorityPair::from_seed(&[seed; 32])
	}

	/// `vote` (of term 1) signed by the key of seed `vote.voter`.
	fn signed(vote: Vote<H256>) -> CoreVote {
		let wire = wire_of(&vote, key(vote.voter as u8).sign(&[]));
		let signature = key(vote.voter as u8).sign(&wire.data.signing_payload(&H256::zero()));
		Signed { vote, signature }
	}

	fn wire_of(vote: &Vote<H256>, signature: AuthoritySignature) -> SignedVote {
		crate::messages::wire_vote(1, &Signed { vote: vote.clone(), signature })
	}

	fn vote(view: u32, phase: Phase, voter: u32) -> Vote<H256> {
		Vote { height: 9, view, phase, block: Some(H256::repeat_byte(3)), voter }
	}

	/// A state of height 9 with a lock, a valid block, a last vote and a re-proposal.
	fn state() -> CoreState {
		let prepares: Vec<CoreVote> = (0..3).map(|i| signed(vote(3, Phase::Prepare, i))).collect();
		VoterState {
			height: 9,
			view: 4,
			step: Step::Commit,
			locked: Some((3, H256::repeat_byte(3))),
			valid: Some(Prepared { view: 3, block: H256::repeat_byte(3), votes: prepares.clone() }),
			last_vote: Some(signed(vote(4, Phase::Commit, 1))),
			last_proposal: Some(Proposal {
				height: 9,
				view: 4,
				block: H256::repeat_byte(3),
				valid_view: Some(3),
				justification: prepares,
				proposer: 1,
			}),
		}
	}

	#[test]
	fn a_state_above_the_height_entered_is_kept_and_makes_the_node_observe() {
		// Crashed between persisting height 8 and finalising height 7: on restart the
		// finalised head is 6 and the voter enters height 7.
		let ahead = CoreState::at(8);
		assert_eq!(resume(Some(ahead.clone()), 7), Resume::Observe { stored: 8 });
		// Once the chain is final at 7, height 8 resumes from the stored state.
		assert_eq!(resume(Some(ahead.clone()), 8), Resume::Stored(ahead));
		assert_eq!(resume(Some(CoreState::at(5)), 7), Resume::Fresh, "an old state is stale");
		assert_eq!(resume(None, 7), Resume::Fresh);
	}

	#[test]
	fn the_voter_state_round_trips_with_its_signatures() {
		let state = state();
		assert_eq!(decode_state(&encode_state(&state)), Some(state));
		let fresh = CoreState::at(1);
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

	fn no_key(_: &Vote<H256>) -> Option<AuthoritySignature> {
		None
	}

	#[test]
	fn the_state_and_the_decided_justification_are_stored_together() {
		let store = Memory::default();
		assert_eq!(read_voter_state(&store, 1, &no_key).expect("reads"), None);
		// (sr25519 signatures are randomised: one state, compared with itself.)
		let state = state();
		write_voter_state(&store, &state, None).expect("writes");
		assert_eq!(read_voter_state(&store, 1, &no_key).expect("reads"), Some(state));
		assert_eq!(read_decided(&store).expect("reads"), None);
		// The first state of height 10 carries the justification of 9; later states of 10
		// leave it in place.
		let decided = DporJustification {
			term: 1,
			height: 9,
			view: 3,
			block: H256::repeat_byte(3),
			signatures: vec![(2, key(2).sign(b"x"))],
		};
		write_voter_state(&store, &CoreState::at(10), Some(&decided)).expect("writes");
		write_voter_state(&store, &CoreState::at(10), None).expect("writes");
		assert_eq!(read_decided(&store).expect("reads"), Some(decided));
		store.insert_aux(&[(DECIDED_KEY, &[7u8][..])], &[]).expect("writes");
		assert_eq!(read_decided(&store).expect("reads"), None);
	}

	/// A version 1 store: the state without signatures, the justifying votes beside it.
	fn v1_store(state: &CoreState, justifying: &[SignedVote]) -> Memory {
		let plain = |votes: &[CoreVote]| -> Vec<StoredVote> {
			votes.iter().map(|v| StoredVote::from(&v.vote)).collect()
		};
		let v1 = StoredState::<StoredVote> {
			height: state.height,
			view: state.view,
			step: 2,
			locked: state.locked,
			valid: state.valid.as_ref().map(|p| (p.view, p.block, plain(&p.votes))),
			last_vote: state.last_vote.as_ref().map(|v| (&v.vote).into()),
			last_proposal: state.last_proposal.as_ref().map(|p| StoredProposal {
				height: p.height,
				view: p.view,
				block: p.block,
				valid_view: p.valid_view,
				justification: plain(&p.justification),
				proposer: p.proposer,
			}),
		};
		let store = Memory::default();
		store
			.insert_aux(
				&[
					(VOTER_STATE_V1_KEY, &v1.encode()[..]),
					(JUSTIFYING_VOTES_V1_KEY, &justifying.encode()[..]),
				],
				&[],
			)
			.expect("writes");
		store
	}

	#[test]
	fn a_version_1_state_keeps_its_lock_and_last_vote_and_takes_the_stored_signatures() {
		let state = state();
		let prepares = &state.valid.as_ref().expect("valid").votes;
		let justifying: Vec<SignedVote> =
			prepares.iter().map(|v| crate::messages::wire_vote(1, v)).collect();
		let store = v1_store(&state, &justifying);
		// This member (1) signs its last vote again.
		let resign = |v: &Vote<H256>| {
			let data = wire_of(v, key(1).sign(&[])).data;
			Some(key(1).sign(&data.signing_payload(&H256::zero())))
		};
		let migrated = read_voter_state(&store, 1, &resign).expect("reads").expect("a state");
		assert_eq!(migrated.locked, state.locked, "the lock is kept");
		assert_eq!(migrated.valid, state.valid, "the prepared votes with their signatures");
		assert_eq!(migrated.last_proposal, state.last_proposal);
		let last = migrated.last_vote.expect("the last vote is kept");
		assert_eq!(last.vote, state.last_vote.expect("a vote").vote);
		let data = wire_of(&last.vote, last.signature.clone()).data;
		assert!(sp_runtime::RuntimeAppPublic::verify(
			&AuthorityId::from(key(1).public()),
			&data.signing_payload(&H256::zero()),
			&last.signature
		));
		// The first write of version 2 deletes version 1.
		write_voter_state(&store, &CoreState::at(9), None).expect("writes");
		assert_eq!(store.get_aux(VOTER_STATE_V1_KEY).expect("reads"), None);
		assert_eq!(store.get_aux(JUSTIFYING_VOTES_V1_KEY).expect("reads"), None);
	}

	#[test]
	fn a_version_1_state_without_the_signatures_keeps_its_lock_only() {
		let state = state();
		// Justifying votes of another term, and no key: nothing can be signed.
		let justifying: Vec<SignedVote> = state
			.valid
			.as_ref()
			.expect("valid")
			.votes
			.iter()
			.map(|v| crate::messages::wire_vote(2, v))
			.collect();
		let store = v1_store(&state, &justifying);
		let migrated = read_voter_state(&store, 1, &no_key).expect("reads").expect("a state");
		assert_eq!((migrated.height, migrated.view, migrated.step), (9, 4, Step::Commit));
		assert_eq!(migrated.locked, state.locked, "the lock is kept");
		assert_eq!(
			(migrated.valid, migrated.last_proposal, migrated.last_vote),
			(None, None, None)
		);
	}
}

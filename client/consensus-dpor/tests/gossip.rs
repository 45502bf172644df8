//! Bad input on the gossip protocol: what the validator does with each kind of message, and
//! the reputation change it asks for the sender.

use codec::Encode;
use cpchain_consensus_dpor::{
	buffers::VIEW_WINDOW,
	gossip::{
		GossipValidator, Round, Verdict, BENEFIT_VALID, COST_BAD_SIGNATURE, COST_FUTURE,
		COST_MALFORMED, COST_REPLAY,
	},
};
use cpchain_primitives::{
	consensus::Committee,
	consensus::{
		leader, AuthorityPair, DporMessage, Phase, ProposalData, SignedProposal, SignedVote,
		VoteData,
	},
};
use sc_network::{PeerId, ReputationChange};
use sp_core::{Pair, H256};

const GENESIS: H256 = H256::repeat_byte(0x11);
const TERM: u32 = 5;
const HEIGHT: u64 = 101;

fn pairs() -> Vec<AuthorityPair> {
	(1..=4u8).map(|i| AuthorityPair::from_seed(&[i; 32])).collect()
}

fn validator() -> std::sync::Arc<GossipValidator> {
	let v = GossipValidator::new(GENESIS);
	v.set_round(Round {
		height: HEIGHT,
		committee: Committee { term: TERM, members: pairs().iter().map(|p| p.public()).collect() },
		view: 0,
	});
	v
}

fn vote_data(height: u64, term: u32, phase: Phase) -> VoteData {
	VoteData { term, height, view: 0, phase, block: Some(H256::repeat_byte(7)) }
}

/// A vote by `signer` as member `voter`, signed for the chain `genesis`.
fn vote(data: VoteData, voter: u32, signer: &AuthorityPair, genesis: &H256) -> Vec<u8> {
	let signature = signer.sign(&data.signing_payload(genesis));
	DporMessage::Vote(SignedVote { data, voter, signature }).encode()
}

fn valid_vote(height: u64) -> Vec<u8> {
	let pairs = pairs();
	vote(vote_data(height, TERM, Phase::Prepare), 2, &pairs[2], &GENESIS)
}

/// What the validator decides for `data` and the one reputation change it reports.
fn judge(data: &[u8]) -> (Verdict, Vec<ReputationChange>) {
	let v = validator();
	let peer = PeerId::random();
	let verdict = v.check(&peer, data);
	let reports = v.take_reports();
	assert!(reports.iter().all(|(who, _)| *who == peer), "only the sender is reported");
	(verdict, reports.into_iter().map(|(_, c)| c).collect())
}

#[test]
fn a_valid_vote_of_the_current_height_is_kept_and_relayed() {
	assert_eq!(judge(&valid_vote(HEIGHT)), (Verdict::Keep, vec![BENEFIT_VALID]));
}

#[test]
fn malformed_and_oversized_messages_cost_the_sender() {
	let mut trailing = valid_vote(HEIGHT);
	trailing.push(0);
	let cases: Vec<(&str, Vec<u8>)> = vec![
		("empty", Vec::new()),
		("garbage", vec![0xff; 40]),
		("a valid vote with a trailing byte", trailing),
		("a valid vote cut short", valid_vote(HEIGHT)[..50].to_vec()),
		("65 KiB", vec![1; 65 * 1024]),
	];
	for (what, data) in cases {
		assert_eq!(judge(&data), (Verdict::Discard, vec![COST_MALFORMED]), "{what}");
	}
}

#[test]
fn signatures_by_non_members_or_for_another_chain_cost_the_sender() {
	let pairs = pairs();
	let outsider = AuthorityPair::from_seed(&[9; 32]);
	let data = || vote_data(HEIGHT, TERM, Phase::Commit);
	let cases = [
		("an outsider in a member's slot", vote(data(), 1, &outsider, &GENESIS)),
		("a member in another member's slot", vote(data(), 1, &pairs[3], &GENESIS)),
		("a slot beyond the committee", vote(data(), 4, &pairs[0], &GENESIS)),
		("a vote of another chain", vote(data(), 1, &pairs[1], &H256::repeat_byte(0x22))),
	];
	for (what, data) in cases {
		assert_eq!(judge(&data), (Verdict::Discard, vec![COST_BAD_SIGNATURE]), "{what}");
	}
}

#[test]
fn a_vote_replayed_from_another_term_costs_the_sender() {
	let pairs = pairs();
	let replayed = vote(vote_data(HEIGHT, TERM - 1, Phase::Commit), 1, &pairs[1], &GENESIS);
	assert_eq!(judge(&replayed), (Verdict::Discard, vec![COST_REPLAY]));
}

#[test]
fn heights_are_sorted_stale_next_and_far_future() {
	// An older height: the sender may lag; dropped without a penalty.
	assert_eq!(judge(&valid_vote(HEIGHT - 1)), (Verdict::Discard, vec![]));
	// The next height, checked against this term's committee: for this node's voter only, not
	// relayed before it gets there.
	assert_eq!(judge(&valid_vote(HEIGHT + 1)), (Verdict::ProcessOnly, vec![BENEFIT_VALID]));
	// Further ahead: nobody honest is there yet.
	assert_eq!(judge(&valid_vote(HEIGHT + 2)), (Verdict::Discard, vec![COST_FUTURE]));
	assert_eq!(judge(&valid_vote(u64::MAX)), (Verdict::Discard, vec![COST_FUTURE]));
}

#[test]
fn proposals_by_non_leaders_or_with_a_bad_quorum_cost_the_sender() {
	let pairs = pairs();
	let proposal = |view: u32, proposer: u32, valid_view: Option<u32>, voters: &[u32]| {
		let data = ProposalData {
			term: TERM,
			height: HEIGHT,
			view,
			block: H256::repeat_byte(7),
			valid_view,
		};
		let justification = voters
			.iter()
			.map(|&voter| {
				let data = VoteData { view: 0, ..vote_data(HEIGHT, TERM, Phase::Prepare) };
				let signature = pairs[voter as usize].sign(&data.signing_payload(&GENESIS));
				SignedVote { data, voter, signature }
			})
			.collect();
		let signature = pairs[proposer as usize].sign(&data.signing_payload(&GENESIS));
		DporMessage::Proposal(SignedProposal { data, justification, proposer, signature }).encode()
	};
	let leader0 = leader(HEIGHT, 0, 4);
	let leader1 = leader(HEIGHT, 1, 4);
	assert_eq!(judge(&proposal(0, leader0, None, &[])), (Verdict::Keep, vec![BENEFIT_VALID]));
	assert_eq!(
		judge(&proposal(1, leader1, Some(0), &[0, 1, 2])),
		(Verdict::Keep, vec![BENEFIT_VALID]),
		"a re-proposal with a PREPARE quorum of view 0"
	);
	let bad = [
		("by a member out of turn", proposal(0, (leader0 + 1) % 4, None, &[])),
		("a fresh proposal with votes", proposal(0, leader0, None, &[0])),
		("a re-proposal short of a quorum", proposal(1, leader1, Some(0), &[0, 1])),
		("a re-proposal with a voter twice", proposal(1, leader1, Some(0), &[0, 1, 1])),
		("a re-proposal of its own view", proposal(1, leader1, Some(1), &[0, 1, 2])),
	];
	for (what, data) in bad {
		assert_eq!(judge(&data), (Verdict::Discard, vec![COST_BAD_SIGNATURE]), "{what}");
	}
}

#[test]
fn nothing_is_accepted_before_the_first_round_and_random_bytes_never_panic() {
	let v = GossipValidator::new(GENESIS);
	assert_eq!(v.check(&PeerId::random(), &valid_vote(HEIGHT)), Verdict::Discard);

	// Seeded random byte strings, some starting like real messages.
	let v = validator();
	let mut state = 0x9e37_79b9_7f4a_7c15u64;
	let mut next = || {
		state ^= state << 13;
		state ^= state >> 7;
		state ^= state << 17;
		state
	};
	let real = valid_vote(HEIGHT);
	for _ in 0..20_000 {
		let len = (next() % 300) as usize;
		let mut data: Vec<u8> = (0..len).map(|_| next() as u8).collect();
		if next() % 2 == 0 {
			let keep = (next() as usize) % real.len();
			data.splice(0..0, real[..keep].iter().copied());
		}
		assert_ne!(v.check(&PeerId::random(), &data), Verdict::Keep);
	}
	assert!(v.take_reports().len() <= 1024, "reports stay bounded between drains");
}

#[test]
fn next_height_messages_are_verified_before_the_voter_keeps_them() {
	// Anyone, with no key, sends junk for the next height to crowd out the real early
	// proposal of a lagging member: bad signatures, outsiders, slots beyond the committee.
	let pairs = pairs();
	let outsider = AuthorityPair::from_seed(&[9; 32]);
	let next = || vote_data(HEIGHT + 1, TERM, Phase::Prepare);
	let junk = [
		("an outsider's signature", vote(next(), 1, &outsider, &GENESIS)),
		("another member's signature", vote(next(), 1, &pairs[3], &GENESIS)),
		("a slot beyond the committee", vote(next(), 7, &pairs[0], &GENESIS)),
		("another chain's vote", vote(next(), 1, &pairs[1], &H256::repeat_byte(0x22))),
	];
	for (what, data) in junk {
		assert_eq!(judge(&data), (Verdict::Discard, vec![COST_BAD_SIGNATURE]), "{what}");
	}
	// Of another term (a term boundary): it cannot be checked yet, so it is dropped, without
	// a penalty (an honest member of the next term sends it and sends it again).
	let other_term = vote(vote_data(HEIGHT + 1, TERM + 1, Phase::Prepare), 1, &pairs[1], &GENESIS);
	assert_eq!(judge(&other_term), (Verdict::Discard, vec![]));
}

#[test]
fn votes_beyond_the_view_window_are_neither_kept_nor_relayed() {
	// One member signs votes for views up to u32::MAX: each is valid, but the core ignores
	// them and relaying them would make every node carry them.
	let pairs = pairs();
	let at = |height: u64, view: u32| {
		let data = VoteData { view, ..vote_data(height, TERM, Phase::Commit) };
		vote(data, 2, &pairs[2], &GENESIS)
	};
	assert_eq!(judge(&at(HEIGHT, VIEW_WINDOW)), (Verdict::Keep, vec![BENEFIT_VALID]));
	for view in [VIEW_WINDOW + 1, 1_000_000, u32::MAX] {
		assert_eq!(judge(&at(HEIGHT, view)), (Verdict::Discard, vec![COST_FUTURE]), "view {view}");
		assert_eq!(
			judge(&at(HEIGHT + 1, view)),
			(Verdict::Discard, vec![COST_FUTURE]),
			"next height, view {view}"
		);
	}
	// The window moves with the voter's view.
	let v = validator();
	v.set_view(1_000);
	assert_eq!(v.check(&PeerId::random(), &at(HEIGHT, 1_000 + VIEW_WINDOW)), Verdict::Keep);
	assert_eq!(v.check(&PeerId::random(), &at(HEIGHT, 1_001 + VIEW_WINDOW)), Verdict::Discard);
}

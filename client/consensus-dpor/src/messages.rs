//! Checking gossip messages, and translating between the signed wire messages and the BFT
//! core's (which hold the same signatures; the wire adds the term, one per core).

use cpchain_dpor_bft::{quorum, Phase, Proposal, Signed, Vote};
use cpchain_primitives::{
	committee::TermIndex,
	consensus::{
		leader, AuthorityId, AuthoritySignature, Committee, DporMessage, Height, SignedProposal,
		SignedVote, VoteData,
	},
};
use sp_core::H256;
use sp_runtime::RuntimeAppPublic;

/// The largest gossip message accepted: a proposal with a quorum of the largest committee's
/// votes is about 5 KiB.
pub const MAX_MESSAGE_SIZE: usize = 64 * 1024;

/// Why a message is refused.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum MessageError {
	/// For another height than the one checked against.
	WrongHeight,
	/// For another term than the committee's.
	WrongTerm,
	/// Signer not in the committee, or not the leader of the proposal's view.
	NotAMember,
	/// A signature does not verify.
	BadSignature,
	/// A re-proposal whose PREPARE quorum does not hold.
	BadJustification,
}

fn check_vote(
	vote: &SignedVote,
	committee: &Committee<AuthorityId>,
	genesis: &H256,
) -> Result<(), MessageError> {
	let key = committee.members.get(vote.voter as usize).ok_or(MessageError::NotAMember)?;
	if !key.verify(&vote.data.signing_payload(genesis), &vote.signature) {
		return Err(MessageError::BadSignature);
	}
	Ok(())
}

/// Checks a message of `height` against the committee of that height: term, membership,
/// leader, signatures and, for a re-proposal, its PREPARE quorum.
pub fn check_message(
	message: &DporMessage,
	height: Height,
	committee: &Committee<AuthorityId>,
	genesis: &H256,
) -> Result<(), MessageError> {
	if message.height() != height {
		return Err(MessageError::WrongHeight);
	}
	if message.term() != committee.term {
		return Err(MessageError::WrongTerm);
	}
	let n = committee.members.len() as u32;
	match message {
		DporMessage::Vote(vote) => check_vote(vote, committee, genesis),
		DporMessage::Proposal(p) => {
			if n == 0 || p.proposer != leader(height, p.data.view, n) {
				return Err(MessageError::NotAMember);
			}
			let key = &committee.members[p.proposer as usize];
			if !key.verify(&p.data.signing_payload(genesis), &p.signature) {
				return Err(MessageError::BadSignature);
			}
			match p.data.valid_view {
				None if p.justification.is_empty() => Ok(()),
				None => Err(MessageError::BadJustification),
				Some(valid_view) => {
					if valid_view >= p.data.view {
						return Err(MessageError::BadJustification);
					}
					let mut voters = std::collections::BTreeSet::new();
					for vote in &p.justification {
						let d = &vote.data;
						let matches = d.term == committee.term
							&& d.height == height && d.view == valid_view
							&& d.phase == Phase::Prepare
							&& d.block == Some(p.data.block);
						if !matches || !voters.insert(vote.voter) {
							return Err(MessageError::BadJustification);
						}
						check_vote(vote, committee, genesis)?;
					}
					if (voters.len() as u32) < quorum(n) {
						return Err(MessageError::BadJustification);
					}
					Ok(())
				}
			}
		}
	}
}

/// A vote as the core holds it: the vote and its voter's signature (verified on arrival).
pub type CoreVote = Signed<H256, AuthoritySignature>;

/// The core's view of a signed vote.
pub fn core_vote(vote: &SignedVote) -> CoreVote {
	Signed {
		vote: Vote {
			height: vote.data.height,
			view: vote.data.view,
			phase: vote.data.phase,
			block: vote.data.block,
			voter: vote.voter,
		},
		signature: vote.signature.clone(),
	}
}

/// The signed vote on the wire for a vote of the core, which holds the votes of one term.
pub fn wire_vote(term: TermIndex, vote: &CoreVote) -> SignedVote {
	let v = &vote.vote;
	SignedVote {
		data: VoteData { term, height: v.height, view: v.view, phase: v.phase, block: v.block },
		voter: v.voter,
		signature: vote.signature.clone(),
	}
}

/// The core's view of a signed proposal.
pub fn core_proposal(p: &SignedProposal) -> Proposal<H256, AuthoritySignature> {
	Proposal {
		height: p.data.height,
		view: p.data.view,
		block: p.data.block,
		valid_view: p.data.valid_view,
		justification: p.justification.iter().map(core_vote).collect(),
		proposer: p.proposer,
	}
}

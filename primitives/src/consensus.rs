//! What travels between the DPoR consensus engine, the network and the runtime: the committee
//! members' keys, the pre-runtime digest and seal of every block, the signed votes and
//! proposals of the BFT protocol, and the justification that finalises a block.
//!
//! Every signature covers a domain-separated message that names the chain (its genesis
//! hash), so a vote or a seal cannot be replayed on another chain, in another phase, or as a
//! different kind of message.

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_core::{sr25519::vrf::VrfSignature, H256};
use sp_runtime::{traits::Header as HeaderT, DigestItem, KeyTypeId};

use crate::dpor::{TermIndex, DPOR_ENGINE_ID};

/// The key type of DPoR's committee keys in keystores and session keys.
pub const KEY_TYPE: KeyTypeId = KeyTypeId(*b"dpor");

mod app {
	use sp_application_crypto::{app_crypto, sr25519};
	app_crypto!(sr25519, super::KEY_TYPE);
}

sp_application_crypto::with_pair! {
	/// A committee member's key pair (nodes only).
	pub type AuthorityPair = app::Pair;
}
/// A committee member's public key: signs seals and votes, and makes the VRF outputs that
/// seed elections.
pub type AuthorityId = app::Public;
/// A signature by a committee key.
pub type AuthoritySignature = app::Signature;

/// A block height.
pub type Height = u64;
/// A view (round) within a height; view `v` of height `h` is led by member `(h + v) mod n`.
pub type View = u32;
/// A member's position in its term's committee.
pub type MemberIndex = u32;

/// Domain of the signature that seals a block header.
pub const SEAL_DOMAIN: &[u8] = b"cpchain/dpor/seal/v1";
/// Domain of a vote's signature.
pub const VOTE_DOMAIN: &[u8] = b"cpchain/dpor/vote/v1";
/// Domain of a proposal's signature.
pub const PROPOSAL_DOMAIN: &[u8] = b"cpchain/dpor/proposal/v1";
/// Label of the VRF transcript in every block's pre-digest.
pub const VRF_LABEL: &[u8] = b"cpchain/dpor/vrf/v1";
/// Context for turning a VRF pre-output into randomness bytes.
pub const VRF_OUTPUT_CONTEXT: &[u8] = b"cpchain/dpor/vrf-output/v1";

/// The pre-runtime digest of every DPoR block: who built it, when, and the VRF output that
/// feeds the election seed.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, TypeInfo)]
pub struct PreDigest {
	/// The term of the block.
	pub term: TermIndex,
	/// The view at which the block was built: views `0..view` of its height were impeached.
	pub view: View,
	/// The author's index in the committee; it must be the leader of (height, view).
	pub author: MemberIndex,
	/// The author's VRF output and proof over [`vrf_input`].
	pub vrf: VrfSignature,
}

/// The VRF input of the block at `height`: the term's randomness (fixed when the term
/// starts), the term and the height. The author cannot choose any of them, and the output is
/// unique for its key, so all it can do with it is withhold its block.
pub fn vrf_input(
	randomness: &[u8; 32],
	term: TermIndex,
	height: Height,
) -> sp_core::sr25519::vrf::VrfInput {
	let term = term.to_le_bytes();
	let height = height.to_le_bytes();
	sp_core::sr25519::vrf::VrfTranscript::new(
		VRF_LABEL,
		&[(b"randomness", &randomness[..]), (b"term", &term[..]), (b"height", &height[..])],
	)
}

/// The single `PreRuntime(DPOR)` item of a header, if there is exactly one and it decodes.
pub fn find_pre_digest<H: HeaderT>(header: &H) -> Option<PreDigest> {
	let mut found = None;
	for log in header.digest().logs() {
		if let Some(pre) = log.pre_runtime_try_to::<PreDigest>(&DPOR_ENGINE_ID) {
			if found.is_some() {
				return None;
			}
			found = Some(pre);
		}
	}
	found
}

/// The pre-runtime digest item carrying `pre`.
pub fn pre_digest_item(pre: &PreDigest) -> DigestItem {
	DigestItem::PreRuntime(DPOR_ENGINE_ID, pre.encode())
}

/// What a block's seal signs: the hash of the header without the seal.
pub fn seal_payload(genesis: &H256, pre_hash: &H256) -> Vec<u8> {
	(SEAL_DOMAIN, genesis, pre_hash).encode()
}

/// The two voting phases.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	MaxEncodedLen,
)]
pub enum VotePhase {
	/// PREPARE (prevote).
	#[codec(index = 0)]
	Prepare,
	/// COMMIT (precommit): a quorum of these finalises the block.
	#[codec(index = 1)]
	Commit,
}

/// What a vote says, and what its signature covers (with the chain's genesis hash).
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
)]
pub struct VoteData {
	/// The term of the height voted on.
	pub term: TermIndex,
	/// The height.
	pub height: Height,
	/// The view.
	pub view: View,
	/// The phase.
	pub phase: VotePhase,
	/// The block voted for, or `None` (the view's leader failed).
	pub block: Option<H256>,
}

impl VoteData {
	/// The message a member signs for this vote on the chain with genesis `genesis`.
	pub fn signing_payload(&self, genesis: &H256) -> Vec<u8> {
		(VOTE_DOMAIN, genesis, self).encode()
	}
}

/// A vote with its voter and signature.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, TypeInfo)]
pub struct SignedVote {
	/// The vote.
	pub data: VoteData,
	/// The voter's committee index.
	pub voter: MemberIndex,
	/// The voter's signature over [`VoteData::signing_payload`].
	pub signature: AuthoritySignature,
}

/// What a proposal says, and what its signature covers (with the chain's genesis hash).
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, TypeInfo)]
pub struct ProposalData {
	/// The term.
	pub term: TermIndex,
	/// The height.
	pub height: Height,
	/// The view.
	pub view: View,
	/// The proposed block (built on the finalised head of `height - 1`).
	pub block: H256,
	/// The view in which a quorum prepared this block, when it is a re-proposal.
	pub valid_view: Option<View>,
}

impl ProposalData {
	/// The message a leader signs for this proposal on the chain with genesis `genesis`.
	pub fn signing_payload(&self, genesis: &H256) -> Vec<u8> {
		(PROPOSAL_DOMAIN, genesis, self).encode()
	}
}

/// A leader's proposal with its signature and, for a re-proposal, the quorum of PREPARE votes
/// that justifies it.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, TypeInfo)]
pub struct SignedProposal {
	/// The proposal.
	pub data: ProposalData,
	/// The PREPARE votes for `data.block` at `data.valid_view` (empty for a fresh proposal).
	pub justification: Vec<SignedVote>,
	/// The leader's committee index.
	pub proposer: MemberIndex,
	/// The leader's signature over [`ProposalData::signing_payload`].
	pub signature: AuthoritySignature,
}

/// A message of the DPoR gossip protocol.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, TypeInfo)]
pub enum DporMessage {
	/// A leader's proposal.
	#[codec(index = 0)]
	Proposal(SignedProposal),
	/// A vote.
	#[codec(index = 1)]
	Vote(SignedVote),
}

impl DporMessage {
	/// The height the message is about.
	pub fn height(&self) -> Height {
		match self {
			DporMessage::Proposal(p) => p.data.height,
			DporMessage::Vote(v) => v.data.height,
		}
	}

	/// The term the message is about.
	pub fn term(&self) -> TermIndex {
		match self {
			DporMessage::Proposal(p) => p.data.term,
			DporMessage::Vote(v) => v.data.term,
		}
	}
}

/// The justification of a finalised block (engine [`DPOR_ENGINE_ID`]): a quorum of COMMIT
/// votes for it from distinct members of its term's committee, in increasing voter order.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, TypeInfo)]
pub struct DporJustification {
	/// The term of the block.
	pub term: TermIndex,
	/// The block's height.
	pub height: Height,
	/// The view in which it was committed.
	pub view: View,
	/// The block.
	pub block: H256,
	/// The COMMIT votes: voter index and signature over the COMMIT [`VoteData`] of
	/// (term, height, view, block).
	pub signatures: Vec<(MemberIndex, AuthoritySignature)>,
}

impl DporJustification {
	/// The vote each signature covers.
	pub fn vote_data(&self) -> VoteData {
		VoteData {
			term: self.term,
			height: self.height,
			view: self.view,
			phase: VotePhase::Commit,
			block: Some(self.block),
		}
	}
}

/// The leader of `height` at `view` in a committee of `n` members (`n > 0`; 0 for `n = 0`).
pub fn leader(height: Height, view: View, n: u32) -> MemberIndex {
	let n = u64::from(n.max(1));
	((height % n + u64::from(view) % n) % n) as MemberIndex
}

/// Proof that a committee member signed two different votes for one height, view and phase.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, TypeInfo)]
pub struct EquivocationProof {
	/// The vote seen first.
	pub first: SignedVote,
	/// The conflicting vote.
	pub second: SignedVote,
}

impl EquivocationProof {
	/// Whether the two votes are by one voter for one (term, height, view, phase) and differ in
	/// the block (signatures are checked separately).
	pub fn is_equivocation(&self) -> bool {
		let (a, b) = (&self.first.data, &self.second.data);
		self.first.voter == self.second.voter
			&& a.term == b.term
			&& a.height == b.height
			&& a.view == b.view
			&& a.phase == b.phase
			&& a.block != b.block
	}
}

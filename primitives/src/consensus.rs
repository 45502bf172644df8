//! What travels between the DPoR consensus engine, the network and the runtime: the committee
//! members' keys, the pre-runtime digest and seal of every block, the signed votes and
//! proposals of the BFT protocol, the justification that finalises a block, the committee
//! digest of a term's first block, and the runtime API the engine calls ([`DporApi`]).
//!
//! Every signature covers a domain-separated message that names the chain (its genesis
//! hash), so a vote or a seal cannot be replayed on another chain, in another phase, or as a
//! different kind of message.

use alloc::vec::Vec;
use codec::{Codec, Decode, DecodeAll, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_core::{sr25519::vrf::VrfSignature, H256};
use sp_runtime::{traits::Header as HeaderT, ConsensusEngineId, DigestItem, KeyTypeId};

use crate::{committee::TermIndex, BlockNumber};

/// The consensus engine id of DPoR: tags its pre-runtime digests, seals, justifications and
/// consensus logs.
pub const DPOR_ENGINE_ID: ConsensusEngineId = *b"DPOR";

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

/// The consensus vocabulary, shared with the BFT core (one definition for the runtime and the
/// engine): a block height, a view (round) within a height, led by member `(h + v) mod n`, a
/// member's position in its term's committee, the two voting phases, the leader of a view and
/// the quorum of a committee.
pub use cpchain_dpor_bft::{leader, quorum, Height, MemberIndex, Phase, View};

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
	pub phase: Phase,
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
			phase: Phase::Commit,
			block: Some(self.block),
		}
	}
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

/// The largest encoded header a [`SealEquivocationProof`] may carry. A DPoR header is a few
/// hundred bytes (the first block of a term adds the new committee's keys, 32 bytes each);
/// the bound keeps what the runtime hashes for one report small and its weight known.
pub const MAX_PROOF_HEADER_LEN: u32 = 8 * 1024;

/// Proof that a leader sealed two different headers for one height and view.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, TypeInfo)]
pub struct SealEquivocationProof<H> {
	/// The header seen first, with its seal.
	pub first: H,
	/// The other header, with its seal.
	pub second: H,
}

/// What both headers of a [`SealEquivocationProof`] claim, and their seals.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct SealOffence {
	/// The height of both headers.
	pub height: Height,
	/// Their term.
	pub term: TermIndex,
	/// Their view.
	pub view: View,
	/// The author both name (a committee index).
	pub author: MemberIndex,
	/// Each header's hash without its seal (what the seal signs) and its seal.
	pub seals: [(H256, AuthoritySignature); 2],
}

impl<H: HeaderT<Hash = H256>> SealEquivocationProof<H> {
	/// The offence, if the two headers carry one pre-digest each for the same (height, term,
	/// view, author), end in a DPoR seal that decodes, and differ without their seals (two
	/// seals of one header are not two blocks). Seals and the author's place are checked
	/// separately, against the committee.
	pub fn offence(&self) -> Option<SealOffence> {
		let (first, second) = (split_seal(self.first.clone())?, split_seal(self.second.clone())?);
		let (a, b) = (find_pre_digest(&first.0)?, find_pre_digest(&second.0)?);
		let height: Height =
			sp_runtime::traits::UniqueSaturatedInto::unique_saturated_into(*first.0.number());
		let same = first.0.number() == second.0.number()
			&& a.term == b.term
			&& a.view == b.view
			&& a.author == b.author;
		let seals = [(first.0.hash(), first.1), (second.0.hash(), second.1)];
		(same && seals[0].0 != seals[1].0).then_some(SealOffence {
			height,
			term: a.term,
			view: a.view,
			author: a.author,
			seals,
		})
	}
}

/// Splits a sealed header: the header as the runtime built it (its last digest item, a DPoR
/// seal, removed) and the seal's signature; `None` unless the last item is a seal that decodes.
pub fn split_seal<H: HeaderT>(mut header: H) -> Option<(H, AuthoritySignature)> {
	let signature = match header.digest_mut().pop()? {
		// Exactly one signature: bytes after it would change the block's hash without changing
		// what was signed, so anyone relaying a leader's block could make a second block of it.
		DigestItem::Seal(id, bytes) if id == DPOR_ENGINE_ID => {
			AuthoritySignature::decode_all(&mut &bytes[..]).ok()?
		}
		_ => return None,
	};
	Some((header, signature))
}

/// A consensus log item (digest of kind `Consensus`, engine [`DPOR_ENGINE_ID`]) that the
/// runtime deposits when a term starts, so that light clients and the consensus engine learn
/// the committee from the header chain.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo)]
pub enum ConsensusLog<AuthorityId: Codec> {
	/// The committee in charge from this block on, in slot order.
	#[codec(index = 1)]
	NewCommittee {
		/// The term that starts.
		term: TermIndex,
		/// The members' consensus keys, in slot order.
		members: Vec<AuthorityId>,
	},
}

/// The committee of a term as the consensus engine needs it.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo)]
pub struct Committee<AuthorityId> {
	/// The term the committee serves.
	pub term: TermIndex,
	/// The members' consensus keys, in slot order.
	pub members: Vec<AuthorityId>,
}

sp_api::decl_runtime_apis! {
	/// What the DPoR consensus engine asks of the runtime.
	///
	/// Version 2 added `timestamp_ms`, version 3 seal-equivocation reports.
	#[api_version(2)]
	pub trait DporApi<AuthorityId: Codec> {
		/// The committee in charge of the block built on top of the block this is called at.
		fn committee_for_next_block() -> Committee<AuthorityId>;
		/// The term that the block with the given number belongs to.
		fn term_of(block: BlockNumber) -> TermIndex;
		/// The number of blocks in a term.
		fn term_length() -> BlockNumber;
		/// The target time between two blocks, in milliseconds.
		fn block_time_ms() -> u64;
		/// The base timeout of a view before members vote to change it, in milliseconds.
		fn base_view_timeout_ms() -> u64;
		/// The randomness of the term of the next block: the input of its author's VRF.
		fn term_randomness() -> [u8; 32];
		/// Submits a report of an equivocation as an unsigned extrinsic through the node's
		/// transaction pool (the caller registers the off-chain transaction pool extension).
		/// `None` if the report could not be submitted.
		fn submit_report_equivocation_unsigned_extrinsic(
			proof: EquivocationProof,
		) -> Option<()>;
		/// The timestamp of the block this is called at, in milliseconds (called at a block's
		/// parent, it dates the parent: the verifier bounds the block's view by the time since).
		#[api_version(2)]
		fn timestamp_ms() -> u64;
		/// Submits a report of a leader that sealed two different headers for one height and
		/// view, like `submit_report_equivocation_unsigned_extrinsic`.
		#[api_version(3)]
		fn submit_report_seal_equivocation_unsigned_extrinsic(
			proof: SealEquivocationProof<<Block as sp_runtime::traits::Block>::Header>,
		) -> Option<()>;
	}
}

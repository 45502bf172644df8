//! Types shared by the two halves of DPoR (Dynamic Proof of Reputation): the runtime pallets
//! that admit RNodes, score them and elect committees, and the client-side consensus engine
//! that lets the elected committee produce and finalise blocks.
//!
//! The pallets talk to each other only through the small traits below, so that the data,
//! market and dispute pallets can feed reputation without depending on the reputation pallet,
//! and so that the committee pallet can be tested against any reputation source.

use alloc::vec::Vec;
use codec::{Codec, Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_runtime::{ConsensusEngineId, Weight};

use crate::BlockNumber;

/// The consensus engine id of DPoR: tags its pre-runtime digests, seals, justifications and
/// consensus logs.
pub const DPOR_ENGINE_ID: ConsensusEngineId = *b"DPOR";

/// Index of a term: a fixed run of blocks for which one elected committee is in charge.
pub type TermIndex = u32;

/// A reputation score. Scores are only compared with each other and used as sampling weights,
/// so the unit is arbitrary; see the reputation pallet for how it is computed.
pub type ReputationScore = u32;

/// Something an account did that the chain's reputation system takes into account.
///
/// Other pallets report signals through [`ReputationSink`]; the reputation pallet counts them
/// for RNodes and ignores them for everybody else.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
)]
pub enum Signal {
	/// The account authored a block in its slot.
	#[codec(index = 0)]
	BlockAuthored,
	/// The account was due to author a block and did not.
	#[codec(index = 1)]
	SlotMissed,
	/// The account registered this many data records (data registry).
	#[codec(index = 2)]
	DataContributed(u32),
	/// The account sold data this many times (market).
	#[codec(index = 3)]
	DataSold(u32),
	/// The account served this many attested re-encryptions as a proxy (access control).
	#[codec(index = 4)]
	ProxyServed(u32),
	/// The account, as a committee leader, was impeached (its view was changed away).
	#[codec(index = 5)]
	Impeached,
	/// The account lost a market dispute.
	#[codec(index = 6)]
	DisputeLost,
	/// The account was reported for signing two conflicting consensus votes.
	#[codec(index = 7)]
	Equivocated,
}

impl Signal {
	/// Whether the signal is a penalty rather than a contribution.
	pub fn is_penalty(&self) -> bool {
		matches!(self, Signal::Impeached | Signal::DisputeLost | Signal::Equivocated)
	}
}

/// Where pallets report reputation signals. `()` ignores them (for runtimes and tests without
/// a reputation system).
pub trait ReputationSink<AccountId> {
	/// Records that `who` did `signal`. Never fails: accounts that the reputation system does
	/// not track are ignored.
	fn note(who: &AccountId, signal: Signal);
}

impl<AccountId> ReputationSink<AccountId> for () {
	fn note(_who: &AccountId, _signal: Signal) {}
}

/// Read access to the reputation system, for the committee election.
pub trait ReputationProvider<AccountId> {
	/// Whether `who` is an admitted RNode (bonded at least the minimum) right now.
	fn is_rnode(who: &AccountId) -> bool;
	/// The reputation of `who` as of the last recomputation; zero for non-RNodes.
	fn reputation(who: &AccountId) -> ReputationScore;
	/// Recomputes the reputation of every RNode from the signals gathered since the last
	/// recomputation, and starts a new window. Called once per term, before the election.
	/// Returns the weight it used.
	fn recompute() -> Weight;
}

/// Whether an account sits in the current committee or in one already elected for a future
/// term. The reputation pallet refuses to release the bond of such an account.
pub trait CommitteeMembership<AccountId> {
	/// `true` if `who` is in the current or an elected future committee.
	fn is_in_committee(who: &AccountId) -> bool;
}

impl<AccountId> CommitteeMembership<AccountId> for () {
	fn is_in_committee(_who: &AccountId) -> bool {
		false
	}
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
			proof: crate::consensus::EquivocationProof,
		) -> Option<()>;
		/// The timestamp of the block this is called at, in milliseconds (called at a block's
		/// parent, it dates the parent: the verifier bounds the block's view by the time since).
		#[api_version(2)]
		fn timestamp_ms() -> u64;
		/// Submits a report of a leader that sealed two different headers for one height and
		/// view, like `submit_report_equivocation_unsigned_extrinsic`.
		#[api_version(3)]
		fn submit_report_seal_equivocation_unsigned_extrinsic(
			proof: crate::consensus::SealEquivocationProof<<Block as sp_runtime::traits::Block>::Header>,
		) -> Option<()>;
	}
}

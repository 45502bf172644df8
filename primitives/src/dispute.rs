//! Disputes over a market order's intervals: the parties, the rulings, and the two traits
//! through which the dispute pallet works with the market (whose escrow a ruling settles) and
//! with the reputation system (whose bonded RNodes sit on juries), without depending on
//! either pallet.

// `decl_runtime_apis!` repeats the trait's `Codec` bound on every method that takes a generic
// parameter, which clippy reads as a bound written in two places.
#![allow(clippy::multiple_bound_locations)]

use crate::{
	data::{IntervalRange, StreamId},
	market::{OrderId, Page},
	reputation::ReputationScore,
};
use alloc::vec::Vec;
use codec::{Codec, Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_core::H256;
use sp_runtime::{
	traits::{BlakeTwo256, Hash},
	DispatchResult, Weight,
};

/// Identifies a dispute. Assigned by the chain, counting up from 0.
pub type DisputeId = u64;

/// The domain of a juror's vote commitment.
pub const VOTE_DOMAIN: &[u8] = b"cpchain/dispute/vote/v1";

/// What a juror commits to: `blake2_256` of the SCALE encoding of ([`VOTE_DOMAIN`], dispute,
/// round, juror, vote, salt). Bound to the juror, so that another juror cannot reveal a copy
/// of it as its own, and to the round, so that a vote cannot be replayed in an appeal.
pub fn commitment<AccountId: Encode>(
	dispute: DisputeId,
	round: u32,
	juror: &AccountId,
	vote: Party,
	salt: &[u8; 32],
) -> H256 {
	BlakeTwo256::hash(&(VOTE_DOMAIN, dispute, round, juror, vote, salt).encode())
}

/// A side of an order.
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
pub enum Party {
	/// The buyer: a ruling for it refunds the disputed intervals.
	#[codec(index = 0)]
	Buyer,
	/// The seller: a ruling for it pays the disputed intervals.
	#[codec(index = 1)]
	Seller,
}

impl Party {
	/// The other side.
	pub fn other(self) -> Party {
		match self {
			Party::Buyer => Party::Seller,
			Party::Seller => Party::Buyer,
		}
	}
}

/// How a dispute ended: for a party, or for nobody (a tied or empty jury), in which case the
/// disputed intervals settle by the market's ordinary rule (paid if recorded in time and
/// granted, refunded otherwise).
pub type Ruling = Option<Party>;

/// What the dispute pallet needs to know of an order.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo)]
pub struct OrderParties<AccountId> {
	/// Who pays.
	pub buyer: AccountId,
	/// Who is paid for delivered intervals.
	pub seller: AccountId,
	/// The stream whose intervals are bought.
	pub stream: StreamId,
}

/// The market's side of a dispute (pallet-market implements it): intervals of an order are
/// frozen while they are disputed, so that no settlement moves their escrow, and settled as
/// ruled afterwards.
pub trait ArbitrableOrders<AccountId> {
	/// The parties of `order`, if it exists and is open.
	fn parties(order: OrderId) -> Option<OrderParties<AccountId>>;
	/// Freezes `intervals` of `order`: no settlement or confirmation moves their escrow until
	/// [`Self::rule`]. Fails unless the order is open, has no frozen intervals, and every one of
	/// `intervals` is in it, has started and has not reached its settlement block.
	fn freeze(order: OrderId, intervals: IntervalRange) -> DispatchResult;
	/// Settles the frozen intervals of `order` as `ruling` says (refunded for the buyer, paid
	/// for the seller, by the ordinary rule for nobody) as soon as the settlement reaches them.
	fn rule(order: OrderId, ruling: Ruling) -> DispatchResult;
	/// The most weight [`Self::rule`] takes (it may settle some intervals at once).
	fn rule_weight() -> Weight;
}

/// Where juries are drawn from (the runtime implements it over the reputation pallet): the
/// bonded RNodes with their active bond and reputation, at most the reputation pallet's
/// bound on RNodes.
pub trait JurorSource<AccountId, Balance> {
	/// Every RNode, its active bond and its reputation.
	fn candidates() -> Vec<(AccountId, Balance, ReputationScore)>;
}

impl<AccountId, Balance> JurorSource<AccountId, Balance> for () {
	fn candidates() -> Vec<(AccountId, Balance, ReputationScore)> {
		Vec::new()
	}
}

/// Where a dispute stands.
#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub enum Phase<BlockNumber> {
	/// `party` must match the round's fee by `until`, or lose the dispute.
	#[codec(index = 0)]
	Funding {
		/// Who must pay.
		party: Party,
		/// The last block at which it may.
		until: BlockNumber,
	},
	/// Both sides paid: evidence until the jury is drawn, at block `draw_at` exactly.
	#[codec(index = 1)]
	Evidence {
		/// The block in whose initialisation the jury is drawn.
		draw_at: BlockNumber,
	},
	/// Jurors commit their votes before `commit_until`, and reveal them from then until
	/// before `reveal_until`.
	#[codec(index = 2)]
	Voting {
		/// The first block at which commitments are closed and reveals open.
		commit_until: BlockNumber,
		/// The first block at which reveals are closed.
		reveal_until: BlockNumber,
	},
	/// The round ruled `ruling`; its loser (either party after a tie) may appeal before
	/// `until`, after which the ruling is final.
	#[codec(index = 3)]
	Appealable {
		/// How the round ruled.
		ruling: Ruling,
		/// The first block at which the ruling is final.
		until: BlockNumber,
	},
}

/// A juror's seat as the runtime API shows it (never the commitment: only whether there is one).
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo)]
pub struct SeatView<AccountId> {
	/// The juror.
	pub juror: AccountId,
	/// The round it sits in.
	pub round: u32,
	/// Whether it committed a vote.
	pub committed: bool,
	/// Its vote, once revealed.
	pub vote: Option<Party>,
	/// Whether its vote was shown before the reveal (its stake is gone).
	pub denounced: bool,
}

/// A piece of evidence as the runtime API shows it.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo)]
pub struct EvidenceView {
	/// Who submitted it.
	pub by: Party,
	/// The hash of the document.
	pub hash: H256,
	/// Where the document is.
	pub cid: Vec<u8>,
}

/// What the runtime API tells about a running dispute.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo)]
pub struct DisputeView<AccountId, Balance, BlockNumber> {
	/// The dispute's id.
	pub id: DisputeId,
	/// The order whose intervals are disputed.
	pub order: OrderId,
	/// The disputed intervals.
	pub intervals: IntervalRange,
	/// Who opened it.
	pub claimant: Party,
	/// The order's buyer.
	pub buyer: AccountId,
	/// The order's seller.
	pub seller: AccountId,
	/// Where it stands.
	pub phase: Phase<BlockNumber>,
	/// Each round so far: its jury size and what the buyer and the seller paid for it.
	pub rounds: Vec<(u32, Balance, Balance)>,
	/// Revealed votes of the current round: for the buyer, for the seller.
	pub tally: (u32, u32),
	/// The jurors of every round.
	pub jurors: Vec<SeatView<AccountId>>,
	/// The evidence, in the order it came.
	pub evidence: Vec<EvidenceView>,
}

sp_api::decl_runtime_apis! {
	/// Queries of market disputes, for parties, jurors and `cpc market dispute`.
	pub trait DisputeApi<AccountId: Codec, Balance: Codec, BlockNumber: Codec> {
		/// A running dispute, or `None` (never opened, or ended).
		fn dispute(id: DisputeId) -> Option<DisputeView<AccountId, Balance, BlockNumber>>;
		/// The running disputes among the ids from `from` up to `from + max - 1` (`max` at
		/// most [`crate::market::MAX_PAGE`]); ended ones leave gaps.
		fn disputes(from: DisputeId, max: u32) -> Page<DisputeView<AccountId, Balance, BlockNumber>>;
		/// The running dispute of `order`, if any.
		fn dispute_of_order(order: OrderId) -> Option<DisputeId>;
	}
}

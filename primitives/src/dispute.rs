//! Disputes over a market order's intervals: the parties, the rulings, and the two traits
//! through which the dispute pallet works with the market (whose escrow a ruling settles) and
//! with the reputation system (whose bonded RNodes sit on juries), without depending on
//! either pallet.

use crate::{
	data::{IntervalRange, StreamId},
	market::OrderId,
	reputation::ReputationScore,
};
use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_runtime::{DispatchResult, Weight};

/// Identifies a dispute. Assigned by the chain, counting up from 0.
pub type DisputeId = u64;

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

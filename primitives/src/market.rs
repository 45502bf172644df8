//! The data market's shared vocabulary: listings of a stream's intervals for sale and the
//! orders that buy them, with the ids the chain assigns, and the runtime API that shows them.

// `decl_runtime_apis!` repeats the trait's `Codec` bound on every method that takes a generic
// parameter, which clippy reads as a bound written in two places.
#![allow(clippy::multiple_bound_locations)]

use crate::data::{IntervalIndex, IntervalRange, StreamId};
use alloc::vec::Vec;
use codec::{Codec, Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_core::H256;

/// Identifies a listing. Assigned by the chain, counting up from 0.
pub type ListingId = u64;

/// Identifies an order. Assigned by the chain, counting up from 0.
pub type OrderId = u64;

/// The longest listing title, in bytes (the runtime's `MaxTitleLen`; clients check it first).
pub const MAX_TITLE_LEN: u32 = 96;
/// The longest listing description, in bytes.
pub const MAX_DESCRIPTION_LEN: u32 = 1024;
/// The most tags a listing has.
pub const MAX_TAGS: u32 = 8;
/// The longest tag, in bytes.
pub const MAX_TAG_LEN: u32 = 24;

/// What a listing sells.
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
pub enum ListingKind<BlockNumber> {
	/// Intervals the stream has recorded already; a buyer orders any part of the range.
	#[codec(index = 0)]
	Range {
		/// The intervals for sale.
		intervals: IntervalRange,
	},
	/// Future intervals of a live stream, delivered as they are recorded: a buyer orders the
	/// next intervals, from the stream's next one (or `start`, if later).
	#[codec(index = 1)]
	Subscription {
		/// The first interval for sale.
		start: IntervalIndex,
		/// How many intervals from `start` are for sale in all.
		max_intervals: u32,
		/// The seller's cadence: blocks between the end of one interval and the end of the
		/// next. Interval `k` of an order is due `DeliveryWindow` blocks after the order's
		/// schedule reaches its end.
		interval_blocks: BlockNumber,
	},
}

/// Which intervals an order buys.
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
pub enum OrderSpan {
	/// These intervals of a `Range` listing.
	#[codec(index = 0)]
	Range(IntervalRange),
	/// The next `count` intervals of a `Subscription` listing.
	#[codec(index = 1)]
	Next(u32),
}

/// Where an order stands.
#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub enum OrderStatus<BlockNumber> {
	/// Some intervals are still unsettled.
	#[codec(index = 0)]
	Open,
	/// Every interval was settled at this block; the buyer may still rate the seller until
	/// `RatingWindow` blocks later, then anyone may remove the order.
	#[codec(index = 1)]
	Closed(BlockNumber),
}

/// What the runtime API tells about a listing.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo)]
pub struct ListingView<AccountId, Balance, BlockNumber> {
	/// The listing's id.
	pub id: ListingId,
	/// The stream's owner when it listed.
	pub seller: AccountId,
	/// The stream whose intervals are for sale.
	pub stream: StreamId,
	/// Past intervals, or future ones of a live stream.
	pub kind: ListingKind<BlockNumber>,
	/// The price of one interval.
	pub price: Balance,
	/// A short title (UTF-8 by convention, opaque to the chain).
	pub title: Vec<u8>,
	/// What the data is.
	pub description: Vec<u8>,
	/// Search tags.
	pub tags: Vec<Vec<u8>>,
	/// The hash of the licence terms a buyer accepts.
	pub licence_hash: H256,
	/// The CID of the full terms, if published.
	pub terms_cid: Option<Vec<u8>>,
	/// The deposit held from the seller until the listing is removed.
	pub deposit: Balance,
}

/// What the runtime API tells about an order.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo)]
pub struct OrderView<AccountId, Balance, BlockNumber> {
	/// The order's id.
	pub id: OrderId,
	/// The listing ordered from (which may be gone since).
	pub listing: ListingId,
	/// Who pays.
	pub buyer: AccountId,
	/// Who is paid for delivered intervals.
	pub seller: AccountId,
	/// The stream whose intervals are bought.
	pub stream: StreamId,
	/// The intervals still part of the order (a cancellation shortens it).
	pub intervals: IntervalRange,
	/// How many intervals were ordered.
	pub ordered: u32,
	/// The price of one interval.
	pub price: Balance,
	/// How many intervals, from the first, are settled.
	pub settled: u32,
	/// What is still held in escrow from the buyer.
	pub held: Balance,
	/// What left escrow for the seller (market fee included).
	pub paid: Balance,
	/// What went back to the buyer.
	pub refunded: Balance,
	/// Whether the buyer rated the seller for this order.
	pub rated: bool,
	/// Open or closed.
	pub status: OrderStatus<BlockNumber>,
	/// For the first unsettled interval, if any: the block by which the seller must have
	/// recorded and granted it, and the block from which anyone may settle it.
	pub next: Option<NextSettlement<BlockNumber>>,
	/// The intervals under dispute, if any: no settlement moves their escrow until the
	/// dispute rules.
	pub disputed: Option<IntervalRange>,
}

/// The schedule of an order's first unsettled interval.
#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Debug, TypeInfo)]
pub struct NextSettlement<BlockNumber> {
	/// The interval.
	pub interval: IntervalIndex,
	/// The block by which its record must be on chain, and a grant to the buyer cover it.
	pub due: BlockNumber,
	/// The first block at which anyone may settle it (the buyer may confirm it earlier).
	pub settles_at: BlockNumber,
}

/// One page of a listing of things by id: the items found, and the id to ask from next
/// (`None`: there is nothing after).
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo)]
pub struct Page<T> {
	/// What was found, by increasing id.
	pub items: Vec<T>,
	/// The id the next page starts from, if any id is left to look at.
	pub next: Option<u64>,
}

/// The most items one page of [`MarketApi`] returns, and the most ids one page looks at:
/// a page is one bounded read whatever the state holds.
pub const MAX_PAGE: u32 = 100;

impl<T> Page<T> {
	/// The page of the items among ids `from ..= from + max - 1` (`max` at most [`MAX_PAGE`])
	/// below `end` (the next id the chain would assign), as `get` finds them: ids without an
	/// item (removed) leave gaps.
	pub fn of(from: u64, max: u32, end: u64, get: impl Fn(u64) -> Option<T>) -> Self {
		let last = from.saturating_add(u64::from(max.min(MAX_PAGE))).min(end);
		let items = (from..last).filter_map(get).collect();
		Page { items, next: (last < end).then_some(last) }
	}
}

sp_api::decl_runtime_apis! {
	/// Queries of the data market, for wallets, catalogues and `cpc market`.
	pub trait MarketApi<AccountId: Codec, Balance: Codec, BlockNumber: Codec> {
		/// A listing, or `None` if there is no such listing (never made, or removed).
		fn listing(id: ListingId) -> Option<ListingView<AccountId, Balance, BlockNumber>>;
		/// The listings among the ids from `from` up to `from + max - 1` (`max` at most
		/// [`MAX_PAGE`]); removed ones leave gaps.
		fn listings(from: ListingId, max: u32) -> Page<ListingView<AccountId, Balance, BlockNumber>>;
		/// An order, or `None` if there is no such order (never placed, or removed).
		fn order(id: OrderId) -> Option<OrderView<AccountId, Balance, BlockNumber>>;
		/// The orders among the ids from `from` up to `from + max - 1` (`max` at most
		/// [`MAX_PAGE`]); removed ones leave gaps.
		fn orders(from: OrderId, max: u32) -> Page<OrderView<AccountId, Balance, BlockNumber>>;
		/// What buyers said of `seller`: how many orders were rated, and the average score
		/// (1 to 5) in hundredths (0 when none).
		fn rating(seller: AccountId) -> (u32, u32);
	}
}

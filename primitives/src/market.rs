//! The data market's shared vocabulary: listings of a stream's intervals for sale and the
//! orders that buy them, with the ids the chain assigns.

use crate::data::{IntervalIndex, IntervalRange};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// Identifies a listing. Assigned by the chain, counting up from 0.
pub type ListingId = u64;

/// Identifies an order. Assigned by the chain, counting up from 0.
pub type OrderId = u64;

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

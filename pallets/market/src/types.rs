//! What the market stores: listings and orders.

use codec::{Decode, Encode, MaxEncodedLen};
use cpchain_primitives::{
	data::{IntervalRange, StreamId},
	dispute::Ruling,
	market::{ListingId, ListingKind, OrderStatus},
};
use frame_support::{BoundedVec, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound};
use frame_system::pallet_prelude::BlockNumberFor;
use scale_info::TypeInfo;
use sp_core::H256;

use crate::{BalanceOf, Config};

/// The tags of a listing.
pub type TagsOf<T> = BoundedVec<BoundedVec<u8, <T as Config>::MaxTagLen>, <T as Config>::MaxTags>;

/// A listing's words: what a catalogue shows and searches. Kept in storage, not only in
/// events, so that an indexer can rebuild the catalogue from the state of any block.
#[derive(
	Encode, Decode, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound, TypeInfo, MaxEncodedLen,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct ListingText<T: Config> {
	/// A short title.
	pub title: BoundedVec<u8, T::MaxTitleLen>,
	/// What the data is.
	pub description: BoundedVec<u8, T::MaxDescriptionLen>,
	/// Search tags.
	pub tags: TagsOf<T>,
	/// The hash of the licence terms a buyer accepts.
	pub licence_hash: H256,
	/// The CID of the full terms, if published (on IPFS).
	pub terms_cid: Option<BoundedVec<u8, T::MaxCidLen>>,
}

impl<T: Config> ListingText<T> {
	/// The bytes the listing's deposit pays for.
	pub fn stored_bytes(&self) -> u32 {
		let tags: usize = self.tags.iter().map(|t| t.len()).sum();
		let cid = self.terms_cid.as_ref().map_or(0, |c| c.len());
		(self.title.len() + self.description.len() + tags + cid + 32) as u32
	}
}

/// A stream's intervals offered for sale by the stream's owner.
#[derive(
	Encode, Decode, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound, TypeInfo, MaxEncodedLen,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct Listing<T: Config> {
	/// The stream's owner when it listed; its deposit is held from this account.
	pub seller: T::AccountId,
	/// The stream whose intervals are for sale.
	pub stream: StreamId,
	/// Past intervals, or future ones of a live stream.
	pub kind: ListingKind<BlockNumberFor<T>>,
	/// The price of one interval.
	pub price: BalanceOf<T>,
	/// Title, description, tags and terms.
	pub text: ListingText<T>,
	/// The deposit held from `seller`: `ListingDepositBase` plus `ListingDepositPerByte` for
	/// each stored byte of `text`.
	pub deposit: BalanceOf<T>,
}

/// A buyer's order: the intervals it pays for, held in escrow until each is settled.
#[derive(
	Encode, Decode, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound, TypeInfo, MaxEncodedLen,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct Order<T: Config> {
	/// The listing ordered from (which may be gone since: the order keeps what it needs).
	pub listing: ListingId,
	/// Who pays.
	pub buyer: T::AccountId,
	/// Who is paid for delivered intervals.
	pub seller: T::AccountId,
	/// The stream whose intervals are bought.
	pub stream: StreamId,
	/// The intervals still part of the order (a cancellation shortens it).
	pub intervals: IntervalRange,
	/// How many intervals were ordered (before any cancellation).
	pub ordered: u32,
	/// The price of one interval, fixed when the order was placed.
	pub price: BalanceOf<T>,
	/// The block at which the order's first interval starts (its schedule).
	pub schedule_start: BlockNumberFor<T>,
	/// Blocks per interval in the schedule (0 for past intervals: all are due at once).
	pub cadence: BlockNumberFor<T>,
	/// How many intervals, from the first, are settled.
	pub settled: u32,
	/// What is still held in escrow from the buyer: the price of each unsettled interval.
	pub held: BalanceOf<T>,
	/// What left escrow for the seller (market fee included).
	pub paid: BalanceOf<T>,
	/// What went back to the buyer.
	pub refunded: BalanceOf<T>,
	/// The order's storage deposit, held from the buyer until the order is removed.
	pub deposit: BalanceOf<T>,
	/// Whether the buyer rated the seller for this order.
	pub rated: bool,
	/// Open or closed.
	pub status: OrderStatus<BlockNumberFor<T>>,
}

impl<T: Config> Order<T> {
	/// How many intervals the order holds now.
	pub fn count(&self) -> u32 {
		let count = self.intervals.last.saturating_sub(self.intervals.first).saturating_add(1);
		// At most `MaxIntervalsPerOrder` (a u32) when the order is placed, and it only shrinks.
		u32::try_from(count).unwrap_or(u32::MAX)
	}
}

/// What buyers said of a seller.
#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Debug, Default, TypeInfo, MaxEncodedLen)]
pub struct Rating {
	/// How many orders were rated.
	pub count: u32,
	/// The sum of their scores (each 1 to 5).
	pub total: u64,
}

/// Intervals of an order under dispute: their escrow moves only as the dispute rules.
#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub struct Freeze {
	/// The disputed intervals (stream interval indices, inside the order's).
	pub intervals: IntervalRange,
	/// `None` while the dispute runs; then how it ruled, applied when the settlement reaches
	/// the intervals.
	pub ruling: Option<Ruling>,
}

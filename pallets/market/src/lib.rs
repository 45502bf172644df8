//! # Market pallet
//!
//! The data market: a stream's owner lists intervals of the stream for sale, a buyer pays
//! into escrow, delivery is an access grant, and money moves only for intervals that were
//! actually delivered.
//!
//! ## Pallet API
//!
//! Listings: [`Pallet::create_listing`], [`Pallet::update_listing`], [`Pallet::delist`].
//! Orders: [`Pallet::place_order`], [`Pallet::cancel_order`], [`Pallet::confirm`],
//! [`Pallet::settle`], [`Pallet::rate`], [`Pallet::remove_closed`].
//!
//! ## Overview
//!
//! A **listing** offers either a range of intervals the stream has recorded already
//! ([`ListingKind::Range`]) or future intervals of a live stream ([`ListingKind::Subscription`]:
//! a first interval, how many are for sale and the seller's cadence in blocks), at a price
//! per interval. Its title, description, tags and terms live in storage, paid for by a deposit
//! per byte ([`HoldReason::Deposit`]) that is returned on delisting.
//!
//! An **order** holds the price of every interval it buys from the buyer's balance
//! ([`HoldReason::Escrow`]), plus a small storage deposit. The seller delivers by granting the
//! buyer the ordered intervals (pallet access-control) and recording them (pallet
//! data-registry); the buyer's published Umbral key is what lets a seller's service do that
//! without the buyer. Each interval `k` of an order (counting from 0) has a schedule:
//!
//! - it **starts** at `schedule_start + k × cadence` (a range order: all at once, when placed);
//! - it is **due** `DeliveryWindow` blocks after it ends, at
//!   `schedule_start + (k + 1) × cadence + DeliveryWindow`;
//! - it is **settled** `ConfirmWindow` blocks after that, by anyone ([`Pallet::settle`]) or by
//!   the pallet's idle-time sweep: the seller is paid its price (less the `MarketFee`) if a
//!   record covering the interval was registered by the due block and the buyer may read it
//!   (a grant covers it and has not expired); otherwise the buyer is refunded. Silence until
//!   then counts as acceptance; the buyer may also [`Pallet::confirm`] delivered intervals
//!   early.
//!
//! Intervals settle in order, so an order is a cursor over its intervals. Cancelling refunds
//! the intervals that have not started. Once every interval is settled the order is closed:
//! the buyer may rate the seller (1 to 5) for `RatingWindow` blocks, then anyone may remove
//! it, which returns the buyer's deposit.
//!
//! Nobody can take money from escrow any other way: what an order held is always the price of
//! its unsettled intervals, and what left it went either to the seller (and the market fee) or
//! back to the buyer (`try_state` checks both against the holds).
//!
//! ## Low Level / Implementation Details
//!
//! The pallet learns about streams, records and grants through [`StreamInspect`],
//! [`RecordInspect`] and [`GrantInspect`] and depends on none of those pallets. A settlement
//! reads one record lookup and one grant lookup per interval and settles at most
//! `MaxSettlePerCall` intervals per call; the sweep in `on_idle` settles whole orders while
//! the block's spare weight lasts, resuming where it stopped in the next block.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod testing_utils;
#[cfg(test)]
mod tests;
pub mod types;
mod views;
pub mod weights;

use cpchain_primitives::{
	access::GrantInspect,
	data::{IntervalIndex, IntervalRange, RecordInspect, StreamId, StreamInspect},
	dispute::{ArbitrableOrders, OrderParties, Party, Ruling},
	market::{ListingId, ListingKind, OrderId, OrderSpan},
	reputation::{ReputationSink, Signal},
};
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::{Inspect, InspectHold, MutateHold},
		tokens::{Fortitude, Precision, Provenance, Restriction},
	},
};
use frame_system::pallet_prelude::*;
use sp_core::H256;
use sp_runtime::{
	traits::{Saturating, Zero},
	ArithmeticError, Permill,
};

pub use cpchain_primitives::market::OrderStatus;
pub use pallet::*;
pub use types::{Freeze, Listing, ListingText, Order, Rating, TagsOf};
pub use weights::WeightInfo;

/// What the benchmarks need from the runtime: a stream, records and grants.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// Creates a stream owned by `owner` whose intervals `0..recorded` are recorded, funding
	/// `owner` if need be, and returns its id.
	fn stream_of(owner: &AccountId, recorded: IntervalIndex) -> StreamId;
	/// Records `intervals` of `stream` (now) and grants them to `buyer` for long enough.
	fn deliver(stream: StreamId, owner: &AccountId, buyer: &AccountId, intervals: IntervalRange);
}

/// The balance type of the pallet's currency.
pub type BalanceOf<T> =
	<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

/// What one settlement did.
#[derive(Default, Clone, Copy, PartialEq, Eq, Debug)]
struct Settlement<Balance> {
	/// Intervals paid to the seller.
	paid: u32,
	/// Intervals refunded to the buyer.
	refunded: u32,
	/// What the seller received.
	to_seller: Balance,
	/// What the market fee took.
	fee: Balance,
	/// What the buyer got back.
	refund: Balance,
}

/// How intervals are settled.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
	/// Intervals whose settlement block has come: paid if delivered in time, else refunded.
	Due,
	/// The buyer confirms: intervals delivered by now are paid, whenever they are due; the
	/// first undelivered one stops the run.
	Confirmed,
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Why the market holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// The price of an order's unsettled intervals, held from the buyer.
		#[codec(index = 0)]
		Escrow,
		/// Deposits for the storage of listings (from sellers) and orders (from buyers).
		#[codec(index = 1)]
		Deposit,
	}

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The currency that prices, escrow and deposits are in.
		type Currency: Inspect<Self::AccountId>
			+ InspectHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// Where streams and their owners are looked up (the data registry).
		type Streams: StreamInspect<Self::AccountId>;

		/// Where records of intervals are looked up (the data registry).
		type Records: RecordInspect<BlockNumberFor<Self>>;

		/// Where a buyer's access is looked up (access control).
		type Grants: GrantInspect<Self::AccountId>;

		/// Where sales are reported.
		type Reputation: ReputationSink<Self::AccountId>;

		/// The part of each paid interval's price that goes to `FeeCollector`.
		#[pallet::constant]
		type MarketFee: Get<Permill>;

		/// Who receives market fees.
		type FeeCollector: Get<Self::AccountId>;

		/// Deposit for a listing, whatever its size.
		#[pallet::constant]
		type ListingDepositBase: Get<BalanceOf<Self>>;

		/// Deposit for each stored byte of a listing's text.
		#[pallet::constant]
		type ListingDepositPerByte: Get<BalanceOf<Self>>;

		/// Deposit for an order, held from the buyer until the order is removed.
		#[pallet::constant]
		type OrderDeposit: Get<BalanceOf<Self>>;

		/// The longest title, in bytes.
		#[pallet::constant]
		type MaxTitleLen: Get<u32>;

		/// The longest description, in bytes.
		#[pallet::constant]
		type MaxDescriptionLen: Get<u32>;

		/// The most tags of a listing.
		#[pallet::constant]
		type MaxTags: Get<u32>;

		/// The longest tag, in bytes.
		#[pallet::constant]
		type MaxTagLen: Get<u32>;

		/// The longest CID of a listing's terms, in bytes.
		#[pallet::constant]
		type MaxCidLen: Get<u32>;

		/// The most intervals of one order.
		#[pallet::constant]
		type MaxIntervalsPerOrder: Get<u32>;

		/// The most intervals one call (or the sweep, per order) settles.
		#[pallet::constant]
		type MaxSettlePerCall: Get<u32>;

		/// Blocks after an interval ends by which its record must be registered.
		#[pallet::constant]
		type DeliveryWindow: Get<BlockNumberFor<Self>>;

		/// Blocks after an interval is due during which only the buyer can settle it (by
		/// confirming); after them, silence counts as acceptance.
		#[pallet::constant]
		type ConfirmWindow: Get<BlockNumberFor<Self>>;

		/// Blocks after an order closes during which its buyer may rate the seller.
		#[pallet::constant]
		type RatingWindow: Get<BlockNumberFor<Self>>;

		/// Weights of this pallet's dispatchables.
		type WeightInfo: WeightInfo;

		/// Sets up what the benchmarks need from outside the pallet.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// The id the next listing gets.
	#[pallet::storage]
	pub type NextListingId<T: Config> = StorageValue<_, ListingId, ValueQuery>;

	/// Listings, by id.
	// Twox64Concat: ids are assigned by the chain, so users cannot choose colliding ones.
	#[pallet::storage]
	pub type Listings<T: Config> = StorageMap<_, Twox64Concat, ListingId, Listing<T>>;

	/// The id the next order gets.
	#[pallet::storage]
	pub type NextOrderId<T: Config> = StorageValue<_, OrderId, ValueQuery>;

	/// Orders, by id, open or closed (until removed).
	#[pallet::storage]
	pub type Orders<T: Config> = StorageMap<_, Twox64Concat, OrderId, Order<T>>;

	/// What buyers said of each seller.
	#[pallet::storage]
	pub type Ratings<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, Rating, ValueQuery>;

	/// The last order the idle-time sweep looked at; the next sweep starts after it.
	#[pallet::storage]
	pub type SweepCursor<T: Config> = StorageValue<_, OrderId>;

	/// The disputed intervals of open orders (at most one dispute per order at a time): the
	/// settlement stops before them until the dispute rules.
	#[pallet::storage]
	pub type Frozen<T: Config> = StorageMap<_, Twox64Concat, OrderId, Freeze>;

	/// The block at which the settlement of an open order passed the intervals of its last
	/// dispute. The intervals the dispute held back settle no earlier than `ConfirmWindow`
	/// blocks after it, and can be disputed until then: a dispute takes longer than an
	/// interval's confirmation window, and its end must not settle them before the buyer had
	/// that window.
	#[pallet::storage]
	pub type Resumed<T: Config> = StorageMap<_, Twox64Concat, OrderId, BlockNumberFor<T>>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A listing was created; `deposit` is held from the seller.
		ListingCreated {
			listing: ListingId,
			seller: T::AccountId,
			stream: StreamId,
			kind: ListingKind<BlockNumberFor<T>>,
			price: BalanceOf<T>,
			deposit: BalanceOf<T>,
		},
		/// A listing's price or text changed; its deposit is now `deposit`.
		ListingUpdated { listing: ListingId, price: BalanceOf<T>, deposit: BalanceOf<T> },
		/// A listing was withdrawn and its deposit released. Its orders go on.
		ListingRemoved { listing: ListingId },
		/// An order was placed: `held` is in escrow, `deposit` held for its storage.
		OrderPlaced {
			order: OrderId,
			listing: ListingId,
			buyer: T::AccountId,
			seller: T::AccountId,
			stream: StreamId,
			intervals: IntervalRange,
			price: BalanceOf<T>,
			held: BalanceOf<T>,
			deposit: BalanceOf<T>,
		},
		/// Intervals of an order were settled: `paid` of them paid to the seller (`to_seller`,
		/// and `fee` to the market), `refunded` of them refunded to the buyer (`refund`).
		Settled {
			order: OrderId,
			paid: u32,
			refunded: u32,
			to_seller: BalanceOf<T>,
			fee: BalanceOf<T>,
			refund: BalanceOf<T>,
		},
		/// The buyer cancelled the intervals of an order that had not started (`refund` back).
		/// `removed` when nothing of the order remains.
		OrderCancelled { order: OrderId, intervals: u32, refund: BalanceOf<T>, removed: bool },
		/// Every interval of an order is settled: in all `paid` went to the seller and market
		/// and `refunded` back to the buyer.
		OrderClosed { order: OrderId, paid: BalanceOf<T>, refunded: BalanceOf<T> },
		/// The buyer rated the seller for an order.
		Rated { order: OrderId, seller: T::AccountId, score: u8 },
		/// A closed order was removed and the buyer's deposit released.
		OrderRemoved { order: OrderId },
		/// Intervals of an order were disputed: no settlement moves their escrow until the
		/// dispute rules.
		IntervalsFrozen { order: OrderId, intervals: IntervalRange },
		/// The dispute over an order's frozen intervals ruled: they are refunded (for the
		/// buyer), paid (for the seller) or settled by the ordinary rule (for nobody) when the
		/// settlement reaches them.
		RulingRecorded { order: OrderId, intervals: IntervalRange, ruling: Ruling },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No stream has this id.
		UnknownStream,
		/// The caller does not own the stream.
		NotStreamOwner,
		/// A price of zero: give data away with an access grant instead.
		ZeroPrice,
		/// The interval range is reversed (`first > last`).
		InvalidIntervalRange,
		/// A range listing or order reaches intervals the stream has not recorded yet: sell
		/// future intervals with a subscription.
		NotYetRecorded,
		/// A subscription must offer at least one interval, at a cadence of at least a block.
		InvalidSubscription,
		/// No listing has this id.
		UnknownListing,
		/// Only the listing's seller may change or withdraw it.
		NotSeller,
		/// A seller cannot buy from itself.
		OwnListing,
		/// The seller no longer owns the listed stream; the listing cannot be ordered from.
		SellerNoLongerOwnsStream,
		/// The listing's price is above the most the buyer said it would pay.
		PriceAboveLimit,
		/// A range order for a subscription listing, or the other way round.
		WrongSpan,
		/// The order reaches intervals the listing does not offer.
		OutsideListing,
		/// An order of no interval.
		EmptyOrder,
		/// More intervals than `MaxIntervalsPerOrder`.
		TooManyIntervals,
		/// The caller cannot afford the price or the deposit.
		InsufficientBalance,
		/// No order has this id.
		UnknownOrder,
		/// Only the order's buyer may do this.
		NotBuyer,
		/// Every interval of the order is settled already.
		OrderClosed,
		/// The order still has unsettled intervals.
		OrderOpen,
		/// No interval of the order is due for settlement yet.
		NothingDue,
		/// The next interval of the order is not delivered (no record, or no grant to the
		/// buyer), so there is nothing to confirm.
		NothingDelivered,
		/// Every interval of the order has started; none can be cancelled.
		NothingToCancel,
		/// A score is 1 to 5.
		InvalidScore,
		/// The buyer rated this order already.
		AlreadyRated,
		/// Nothing of the order has been settled yet, so there is nothing to rate.
		NothingSettled,
		/// The rating window of the closed order is over.
		RatingWindowOver,
		/// Only the buyer may remove a closed order before its rating window is over.
		RatingWindowOpen,
		/// Intervals of the order are under dispute already.
		AlreadyFrozen,
		/// Only intervals of the order that have started and have not reached their
		/// settlement block can be disputed.
		NotDisputable,
		/// No intervals of the order are under dispute, or their dispute ruled already.
		NotFrozen,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_idle(_n: BlockNumberFor<T>, remaining: Weight) -> Weight {
			Self::sweep(remaining)
		}

		fn integrity_test() {
			assert!(
				T::MaxIntervalsPerOrder::get() > 0,
				"an order must be able to hold an interval"
			);
			assert!(T::MaxSettlePerCall::get() > 0, "a settlement must settle an interval");
			assert!(T::MaxTitleLen::get() > 0, "a listing needs a title");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Offers intervals of `stream` for sale at `price` per interval.
		///
		/// The caller must own the stream. `kind` is either a range of intervals the stream
		/// has recorded already or a subscription to its future intervals (a first interval,
		/// how many, and the cadence in blocks at which the seller promises them). The text is
		/// stored on chain for catalogues: a deposit of `ListingDepositBase` plus
		/// `ListingDepositPerByte` per byte is held from the caller until the listing is
		/// withdrawn. Emits `ListingCreated`.
		#[pallet::call_index(0)]
		// Measured with the title, tags and CID at their longest: only the description varies.
		#[pallet::weight(T::WeightInfo::create_listing(description.len() as u32))]
		#[allow(clippy::too_many_arguments)]
		pub fn create_listing(
			origin: OriginFor<T>,
			stream: StreamId,
			kind: ListingKind<BlockNumberFor<T>>,
			price: BalanceOf<T>,
			title: BoundedVec<u8, T::MaxTitleLen>,
			description: BoundedVec<u8, T::MaxDescriptionLen>,
			tags: TagsOf<T>,
			licence_hash: H256,
			terms_cid: Option<BoundedVec<u8, T::MaxCidLen>>,
		) -> DispatchResult {
			let seller = ensure_signed(origin)?;
			let summary = T::Streams::stream(stream).ok_or(Error::<T>::UnknownStream)?;
			ensure!(summary.owner == seller, Error::<T>::NotStreamOwner);
			ensure!(!price.is_zero(), Error::<T>::ZeroPrice);
			match kind {
				ListingKind::Range { intervals } => {
					ensure!(intervals.is_valid(), Error::<T>::InvalidIntervalRange);
					ensure!(intervals.last < summary.next_interval, Error::<T>::NotYetRecorded);
				}
				ListingKind::Subscription { max_intervals, interval_blocks, .. } => {
					ensure!(
						max_intervals > 0 && !interval_blocks.is_zero(),
						Error::<T>::InvalidSubscription
					);
				}
			}
			let text = ListingText { title, description, tags, licence_hash, terms_cid };
			let deposit = Self::listing_deposit(&text);
			Self::hold(HoldReason::Deposit, &seller, deposit)?;
			let listing = NextListingId::<T>::get();
			NextListingId::<T>::put(listing.checked_add(1).ok_or(ArithmeticError::Overflow)?);
			Listings::<T>::insert(
				listing,
				Listing { seller: seller.clone(), stream, kind, price, text, deposit },
			);
			Self::deposit_event(Event::ListingCreated {
				listing,
				seller,
				stream,
				kind,
				price,
				deposit,
			});
			Ok(())
		}

		/// Changes a listing's price and text (its stream and kind stay). Orders placed before
		/// keep their price. The deposit follows the new size: the difference is held or
		/// released. Emits `ListingUpdated`.
		#[pallet::call_index(1)]
		// Measured with the title, tags and CID at their longest: only the description varies.
		#[pallet::weight(T::WeightInfo::update_listing(description.len() as u32))]
		#[allow(clippy::too_many_arguments)]
		pub fn update_listing(
			origin: OriginFor<T>,
			listing: ListingId,
			price: BalanceOf<T>,
			title: BoundedVec<u8, T::MaxTitleLen>,
			description: BoundedVec<u8, T::MaxDescriptionLen>,
			tags: TagsOf<T>,
			licence_hash: H256,
			terms_cid: Option<BoundedVec<u8, T::MaxCidLen>>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut l = Listings::<T>::get(listing).ok_or(Error::<T>::UnknownListing)?;
			ensure!(l.seller == who, Error::<T>::NotSeller);
			ensure!(!price.is_zero(), Error::<T>::ZeroPrice);
			let text = ListingText { title, description, tags, licence_hash, terms_cid };
			let deposit = Self::listing_deposit(&text);
			if deposit > l.deposit {
				Self::hold(HoldReason::Deposit, &who, deposit.saturating_sub(l.deposit))?;
			} else {
				Self::release(HoldReason::Deposit, &who, l.deposit.saturating_sub(deposit))?;
			}
			l.price = price;
			l.text = text;
			l.deposit = deposit;
			Listings::<T>::insert(listing, l);
			Self::deposit_event(Event::ListingUpdated { listing, price, deposit });
			Ok(())
		}

		/// Withdraws a listing and releases its deposit. Orders placed from it go on as they
		/// were placed. Emits `ListingRemoved`.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::delist())]
		pub fn delist(origin: OriginFor<T>, listing: ListingId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let l = Listings::<T>::get(listing).ok_or(Error::<T>::UnknownListing)?;
			ensure!(l.seller == who, Error::<T>::NotSeller);
			Self::release(HoldReason::Deposit, &who, l.deposit)?;
			Listings::<T>::remove(listing);
			Self::deposit_event(Event::ListingRemoved { listing });
			Ok(())
		}

		/// Buys intervals from a listing: `span` names them (`Range` for a range listing,
		/// `Next(count)` for the next `count` intervals of a subscription, from the stream's
		/// next interval or the listing's first, whichever is later).
		///
		/// Fails if the listing's price is above `max_price` (a seller raising its price just
		/// before the order cannot take more than the buyer agreed to). Holds the price of
		/// every interval in escrow and `OrderDeposit` for the order's storage. Emits
		/// `OrderPlaced`; the seller delivers by recording and granting the intervals.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::place_order())]
		pub fn place_order(
			origin: OriginFor<T>,
			listing: ListingId,
			span: OrderSpan,
			max_price: BalanceOf<T>,
		) -> DispatchResult {
			let buyer = ensure_signed(origin)?;
			let l = Listings::<T>::get(listing).ok_or(Error::<T>::UnknownListing)?;
			ensure!(l.seller != buyer, Error::<T>::OwnListing);
			ensure!(l.price <= max_price, Error::<T>::PriceAboveLimit);
			let summary = T::Streams::stream(l.stream).ok_or(Error::<T>::UnknownStream)?;
			ensure!(summary.owner == l.seller, Error::<T>::SellerNoLongerOwnsStream);
			let now = frame_system::Pallet::<T>::block_number();
			let (intervals, schedule_start, cadence) = match (l.kind, span) {
				(ListingKind::Range { intervals: offered }, OrderSpan::Range(wanted)) => {
					ensure!(wanted.is_valid(), Error::<T>::InvalidIntervalRange);
					ensure!(
						offered.contains(wanted.first) && offered.contains(wanted.last),
						Error::<T>::OutsideListing
					);
					ensure!(wanted.last < summary.next_interval, Error::<T>::NotYetRecorded);
					(wanted, now, Zero::zero())
				}
				(
					ListingKind::Subscription { start, max_intervals, interval_blocks },
					OrderSpan::Next(count),
				) => {
					ensure!(count > 0, Error::<T>::EmptyOrder);
					let first = start.max(summary.next_interval);
					let last = first
						.checked_add(IntervalIndex::from(count) - 1)
						.ok_or(Error::<T>::OutsideListing)?;
					let end = start.saturating_add(IntervalIndex::from(max_intervals));
					ensure!(last < end, Error::<T>::OutsideListing);
					// Intervals before the first ordered one still come first: the schedule
					// starts when the first ordered interval does.
					let ahead = first.saturating_sub(summary.next_interval);
					let ahead = BlockNumberFor::<T>::from(u32::try_from(ahead).unwrap_or(u32::MAX));
					let schedule_start = now.saturating_add(ahead.saturating_mul(interval_blocks));
					(IntervalRange { first, last }, schedule_start, interval_blocks)
				}
				_ => return Err(Error::<T>::WrongSpan.into()),
			};
			let count = intervals.last.saturating_sub(intervals.first).saturating_add(1);
			ensure!(
				count <= IntervalIndex::from(T::MaxIntervalsPerOrder::get()),
				Error::<T>::TooManyIntervals
			);
			// At most `MaxIntervalsPerOrder`, a u32.
			let count = count as u32;
			let held = l.price.checked_mul(&count.into()).ok_or(ArithmeticError::Overflow)?;
			let deposit = T::OrderDeposit::get();
			Self::hold(HoldReason::Escrow, &buyer, held)?;
			Self::hold(HoldReason::Deposit, &buyer, deposit)?;
			let order = NextOrderId::<T>::get();
			NextOrderId::<T>::put(order.checked_add(1).ok_or(ArithmeticError::Overflow)?);
			Orders::<T>::insert(
				order,
				Order {
					listing,
					buyer: buyer.clone(),
					seller: l.seller.clone(),
					stream: l.stream,
					intervals,
					ordered: count,
					price: l.price,
					schedule_start,
					cadence,
					settled: 0,
					held,
					paid: Zero::zero(),
					refunded: Zero::zero(),
					deposit,
					rated: false,
					status: OrderStatus::Open,
				},
			);
			Self::deposit_event(Event::OrderPlaced {
				order,
				listing,
				buyer,
				seller: l.seller,
				stream: l.stream,
				intervals,
				price: l.price,
				held,
				deposit,
			});
			Ok(())
		}

		/// Cancels the intervals of an order that have not started yet and refunds them. A
		/// range order's intervals all start when it is placed, so only subscriptions can be
		/// cancelled. If no interval of the order has started, the order is removed and its
		/// deposit released. Emits `OrderCancelled` (and `OrderClosed` when what is left is
		/// all settled).
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::cancel_order())]
		pub fn cancel_order(origin: OriginFor<T>, order: OrderId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut o = Orders::<T>::get(order).ok_or(Error::<T>::UnknownOrder)?;
			ensure!(o.buyer == who, Error::<T>::NotBuyer);
			ensure!(o.status == OrderStatus::Open, Error::<T>::OrderClosed);
			let now = frame_system::Pallet::<T>::block_number();
			let keep = Self::started(&o, now).max(o.settled);
			let count = o.count();
			ensure!(keep < count, Error::<T>::NothingToCancel);
			let cancelled = count - keep;
			let refund = o.price.saturating_mul(cancelled.into());
			Self::release(HoldReason::Escrow, &who, refund)?;
			o.held = o.held.saturating_sub(refund);
			o.refunded = o.refunded.saturating_add(refund);
			let removed = keep == 0;
			Self::deposit_event(Event::OrderCancelled {
				order,
				intervals: cancelled,
				refund,
				removed,
			});
			if removed {
				Self::release(HoldReason::Deposit, &who, o.deposit)?;
				Orders::<T>::remove(order);
				return Ok(());
			}
			o.intervals.last = o.intervals.first.saturating_add(IntervalIndex::from(keep) - 1);
			if o.settled == o.count() {
				Self::close(order, &mut o, now);
			}
			Orders::<T>::insert(order, o);
			Ok(())
		}

		/// The buyer accepts delivered intervals before they are due: from the order's next
		/// unsettled interval on, at most `max` (and `MaxSettlePerCall`) intervals that are
		/// recorded and granted to the buyer are paid to the seller; the first undelivered
		/// one stops the run. Emits `Settled` (and `OrderClosed` after the last interval).
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::settle((*max).min(T::MaxSettlePerCall::get())))]
		pub fn confirm(
			origin: OriginFor<T>,
			order: OrderId,
			max: u32,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let o = Orders::<T>::get(order).ok_or(Error::<T>::UnknownOrder)?;
			ensure!(o.buyer == who, Error::<T>::NotBuyer);
			let done = Self::settle_order(order, o, Mode::Confirmed, max)?;
			ensure!(done.paid > 0, Error::<T>::NothingDelivered);
			Ok(Some(T::WeightInfo::settle(done.paid)).into())
		}

		/// Settles the intervals of an order whose settlement block has come, at most `max`
		/// (and `MaxSettlePerCall`) of them, in order: each is paid to the seller if a record
		/// covering it was registered by its due block and the buyer may read it now, and
		/// refunded to the buyer otherwise. Anyone may call it; the pallet also does it in
		/// idle time. Emits `Settled` (and `OrderClosed` after the last interval).
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::settle((*max).min(T::MaxSettlePerCall::get())))]
		pub fn settle(
			origin: OriginFor<T>,
			order: OrderId,
			max: u32,
		) -> DispatchResultWithPostInfo {
			ensure_signed(origin)?;
			let o = Orders::<T>::get(order).ok_or(Error::<T>::UnknownOrder)?;
			let done = Self::settle_order(order, o, Mode::Due, max)?;
			ensure!(done.paid + done.refunded > 0, Error::<T>::NothingDue);
			Ok(Some(T::WeightInfo::settle(done.paid + done.refunded)).into())
		}

		/// The buyer rates the seller for an order, from 1 (worst) to 5 (best), once, after at
		/// least one interval is settled and until `RatingWindow` blocks after the order
		/// closed. Rating a closed order also removes it and releases the buyer's deposit.
		/// Emits `Rated`.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::rate())]
		pub fn rate(origin: OriginFor<T>, order: OrderId, score: u8) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut o = Orders::<T>::get(order).ok_or(Error::<T>::UnknownOrder)?;
			ensure!(o.buyer == who, Error::<T>::NotBuyer);
			ensure!((1..=5).contains(&score), Error::<T>::InvalidScore);
			ensure!(!o.rated, Error::<T>::AlreadyRated);
			ensure!(o.settled > 0, Error::<T>::NothingSettled);
			let now = frame_system::Pallet::<T>::block_number();
			if let OrderStatus::Closed(at) = o.status {
				ensure!(
					now < at.saturating_add(T::RatingWindow::get()),
					Error::<T>::RatingWindowOver
				);
			}
			Ratings::<T>::mutate(&o.seller, |r| {
				r.count = r.count.saturating_add(1);
				r.total = r.total.saturating_add(u64::from(score));
			});
			o.rated = true;
			Self::deposit_event(Event::Rated { order, seller: o.seller.clone(), score });
			if matches!(o.status, OrderStatus::Closed(_)) {
				Self::remove(order, &o)?;
			} else {
				Orders::<T>::insert(order, o);
			}
			Ok(())
		}

		/// Removes a closed order and releases its buyer's deposit: the buyer may do it at any
		/// time (giving up its rating), anyone else once the rating window is over. Emits
		/// `OrderRemoved`.
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::remove_closed())]
		pub fn remove_closed(origin: OriginFor<T>, order: OrderId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let o = Orders::<T>::get(order).ok_or(Error::<T>::UnknownOrder)?;
			let OrderStatus::Closed(at) = o.status else {
				return Err(Error::<T>::OrderOpen.into());
			};
			let now = frame_system::Pallet::<T>::block_number();
			ensure!(
				who == o.buyer || now >= at.saturating_add(T::RatingWindow::get()),
				Error::<T>::RatingWindowOpen
			);
			Self::remove(order, &o)
		}
	}
}

impl<T: Config> Pallet<T> {
	/// The deposit of a listing with `text`.
	pub fn listing_deposit(text: &ListingText<T>) -> BalanceOf<T> {
		T::ListingDepositBase::get().saturating_add(
			T::ListingDepositPerByte::get().saturating_mul(text.stored_bytes().into()),
		)
	}

	/// Interval `k` of order `o` is due (its record must be registered) by this block.
	pub fn due_at(o: &Order<T>, k: u32) -> BlockNumberFor<T> {
		o.schedule_start
			.saturating_add(o.cadence.saturating_mul(k.saturating_add(1).into()))
			.saturating_add(T::DeliveryWindow::get())
	}

	/// Interval `k` of order `o` is settled without the buyer from this block.
	pub fn settles_at(o: &Order<T>, k: u32) -> BlockNumberFor<T> {
		Self::due_at(o, k).saturating_add(T::ConfirmWindow::get())
	}

	/// Interval `k` of order `id` is settled without the buyer from this block: its
	/// settlement block, or `ConfirmWindow` blocks after the order's last dispute let the
	/// settlement go on (`resumed`), whichever is later.
	fn settles_after_dispute(
		o: &Order<T>,
		k: u32,
		resumed: Option<BlockNumberFor<T>>,
	) -> BlockNumberFor<T> {
		let at = Self::settles_at(o, k);
		match resumed {
			Some(r) => at.max(r.saturating_add(T::ConfirmWindow::get())),
			None => at,
		}
	}

	/// How many intervals of `o`, from the first, have started by `now`.
	fn started(o: &Order<T>, now: BlockNumberFor<T>) -> u32 {
		if now < o.schedule_start {
			return 0;
		}
		if o.cadence.is_zero() {
			return o.count();
		}
		let elapsed = (now - o.schedule_start) / o.cadence;
		// Interval `k` starts at `schedule_start + k × cadence`: those up to `elapsed`.
		let started: u32 = elapsed.try_into().unwrap_or(u32::MAX);
		started.saturating_add(1).min(o.count())
	}

	/// Whether interval `k` of `o` is delivered: a record covering it was registered (by its
	/// due block, unless the buyer confirms) and the buyer may read it now.
	fn delivered(o: &Order<T>, k: u32, mode: Mode) -> bool {
		let interval = o.intervals.first.saturating_add(IntervalIndex::from(k));
		let in_time = match T::Records::recorded_at(o.stream, interval) {
			None => false,
			Some(at) => mode == Mode::Confirmed || at <= Self::due_at(o, k),
		};
		in_time && T::Grants::is_authorized(&o.buyer, o.stream, interval)
	}

	/// Settles intervals of order `id` from its cursor, at most `max` and
	/// `MaxSettlePerCall`, as `mode` says, and writes the order back (closed after its last
	/// interval). Emits `Settled` if anything was settled.
	fn settle_order(
		id: OrderId,
		mut o: Order<T>,
		mode: Mode,
		max: u32,
	) -> Result<Settlement<BalanceOf<T>>, DispatchError> {
		ensure!(o.status == OrderStatus::Open, Error::<T>::OrderClosed);
		let now = frame_system::Pallet::<T>::block_number();
		let mut done = Settlement::default();
		let count = o.count();
		let mut frozen = Frozen::<T>::get(id);
		let mut resumed = Resumed::<T>::get(id);
		// A ruled freeze the settlement has passed is done with: the settlement goes on, and
		// the intervals it held back get their confirmation window from now.
		let pass_freeze =
			|o: &Order<T>, frozen: &mut Option<Freeze>, resumed: &mut Option<BlockNumberFor<T>>| {
				let next = o.intervals.first.saturating_add(IntervalIndex::from(o.settled));
				if let Some(f) = *frozen {
					if f.ruling.is_some() && (o.settled == count || next > f.intervals.last) {
						*frozen = None;
						Frozen::<T>::remove(id);
						*resumed = Some(now);
					}
				}
			};
		for _ in 0..max.min(T::MaxSettlePerCall::get()) {
			let k = o.settled;
			if k >= count {
				break;
			}
			pass_freeze(&o, &mut frozen, &mut resumed);
			let interval = o.intervals.first.saturating_add(IntervalIndex::from(k));
			let ruled = match frozen {
				Some(f) if f.intervals.contains(interval) => match f.ruling {
					// The dispute runs: neither time nor the buyer settles these intervals.
					None => break,
					Some(ruling) => ruling,
				},
				_ => None,
			};
			let delivered = match ruled {
				Some(party) => party == Party::Seller,
				None => {
					let delivered = Self::delivered(&o, k, mode);
					match mode {
						Mode::Due if now < Self::settles_after_dispute(&o, k, resumed) => break,
						Mode::Confirmed if !delivered => break,
						_ => {}
					}
					delivered
				}
			};
			if delivered && Self::pay(&o, &mut done)? {
				o.paid = o.paid.saturating_add(o.price);
			} else {
				Self::release(HoldReason::Escrow, &o.buyer, o.price)?;
				done.refunded += 1;
				done.refund = done.refund.saturating_add(o.price);
				o.refunded = o.refunded.saturating_add(o.price);
			}
			o.held = o.held.saturating_sub(o.price);
			o.settled += 1;
		}
		if done.paid + done.refunded > 0 {
			Self::deposit_event(Event::Settled {
				order: id,
				paid: done.paid,
				refunded: done.refunded,
				to_seller: done.to_seller,
				fee: done.fee,
				refund: done.refund,
			});
		}
		pass_freeze(&o, &mut frozen, &mut resumed);
		if o.settled == count {
			Self::close(id, &mut o, now);
		} else if let Some(r) = resumed {
			Resumed::<T>::insert(id, r);
		}
		Orders::<T>::insert(id, o);
		Ok(done)
	}

	/// Pays one interval of `o` from escrow: the fee to the collector, the rest to the seller.
	/// A fee the collector cannot receive (an account that would stay below the existential
	/// deposit) goes to the seller too: the interval was delivered, and the market's own
	/// account is no reason to refund it. `false` (nothing moved) if the seller cannot
	/// receive its part: the interval is then refunded.
	fn pay(o: &Order<T>, done: &mut Settlement<BalanceOf<T>>) -> Result<bool, DispatchError> {
		use frame_support::traits::tokens::DepositConsequence::Success;
		let collector = T::FeeCollector::get();
		let fee = Some(T::MarketFee::get() * o.price)
			.filter(|fee| {
				!fee.is_zero()
					&& T::Currency::can_deposit(&collector, *fee, Provenance::Extant) == Success
			})
			.unwrap_or_else(Zero::zero);
		let to_seller = o.price.saturating_sub(fee);
		if T::Currency::can_deposit(&o.seller, to_seller, Provenance::Extant) != Success {
			return Ok(false);
		}
		let reason = HoldReason::Escrow.into();
		// `Force`: the escrow was committed when the order was placed, so paying it out may
		// take the buyer's total below what a polite transfer keeps.
		if !fee.is_zero() {
			T::Currency::transfer_on_hold(
				&reason,
				&o.buyer,
				&collector,
				fee,
				Precision::Exact,
				Restriction::Free,
				Fortitude::Force,
			)?;
		}
		T::Currency::transfer_on_hold(
			&reason,
			&o.buyer,
			&o.seller,
			to_seller,
			Precision::Exact,
			Restriction::Free,
			Fortitude::Force,
		)?;
		done.paid += 1;
		done.to_seller = done.to_seller.saturating_add(to_seller);
		done.fee = done.fee.saturating_add(fee);
		Ok(true)
	}

	/// Marks `o` closed at `now`, reports the sale, emits `OrderClosed`.
	fn close(id: OrderId, o: &mut Order<T>, now: BlockNumberFor<T>) {
		o.status = OrderStatus::Closed(now);
		Resumed::<T>::remove(id);
		if !o.paid.is_zero() {
			T::Reputation::note(&o.seller, Signal::DataSold(1));
		}
		Self::deposit_event(Event::OrderClosed { order: id, paid: o.paid, refunded: o.refunded });
	}

	/// Removes a closed order and releases its deposit.
	fn remove(id: OrderId, o: &Order<T>) -> DispatchResult {
		Self::release(HoldReason::Deposit, &o.buyer, o.deposit)?;
		Orders::<T>::remove(id);
		Self::deposit_event(Event::OrderRemoved { order: id });
		Ok(())
	}

	fn hold(reason: HoldReason, who: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		if amount.is_zero() {
			return Ok(());
		}
		T::Currency::hold(&reason.into(), who, amount)
			.map_err(|_| Error::<T>::InsufficientBalance.into())
	}

	fn release(reason: HoldReason, who: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		if amount.is_zero() {
			return Ok(());
		}
		T::Currency::release(&reason.into(), who, amount, Precision::Exact).map(|_| ())
	}

	/// Settles due intervals and removes closed orders past their rating window, order by
	/// order from where the last sweep stopped, while `remaining` weight lasts. Each order
	/// runs in its own storage layer: one that fails is left as it was and the sweep goes on.
	fn sweep(remaining: Weight) -> Weight {
		let per_order =
			T::WeightInfo::settle(T::MaxSettlePerCall::get()).max(T::WeightInfo::remove_closed());
		let base = T::DbWeight::get().reads_writes(1, 1);
		let Some(budget) = remaining.checked_sub(&base) else { return Weight::zero() };
		let n = budget
			.ref_time()
			.checked_div(per_order.ref_time().max(1))
			.unwrap_or(0)
			.min(budget.proof_size().checked_div(per_order.proof_size().max(1)).unwrap_or(0))
			.min(u64::from(MAX_SWEEP_ORDERS)) as usize;
		if n == 0 {
			return Weight::zero();
		}
		let ids: alloc::vec::Vec<OrderId> = match SweepCursor::<T>::get() {
			Some(last) => Orders::<T>::iter_keys_from(Orders::<T>::hashed_key_for(last)),
			None => Orders::<T>::iter_keys(),
		}
		.take(n)
		.collect();
		let now = frame_system::Pallet::<T>::block_number();
		for &id in &ids {
			let _ = frame_support::storage::with_storage_layer(|| -> DispatchResult {
				let Some(o) = Orders::<T>::get(id) else { return Ok(()) };
				match o.status {
					OrderStatus::Open
						if now
							>= Self::settles_after_dispute(
								&o,
								o.settled,
								Resumed::<T>::get(id),
							) =>
					{
						Self::settle_order(id, o, Mode::Due, u32::MAX).map(|_| ())
					}
					OrderStatus::Closed(at) if now >= at.saturating_add(T::RatingWindow::get()) => {
						Self::remove(id, &o)
					}
					_ => Ok(()),
				}
			});
		}
		// A short page means the end of the map: the next sweep starts from the beginning.
		match ids.last() {
			Some(&last) if ids.len() == n => SweepCursor::<T>::put(last),
			_ => SweepCursor::<T>::kill(),
		}
		base.saturating_add(per_order.saturating_mul(ids.len() as u64))
	}

	/// The rating of `seller`: how many orders were rated and the average score in
	/// hundredths (0 when none).
	pub fn rating_of(seller: &T::AccountId) -> (u32, u32) {
		let r = Ratings::<T>::get(seller);
		let average = (r.total.saturating_mul(100)).checked_div(u64::from(r.count)).unwrap_or(0);
		(r.count, average as u32)
	}

	/// Checks the pallet's invariants: ids are below the next ones; every listing's deposit
	/// is what its text costs and its price is not zero; every order's money adds up (what
	/// it held, paid and refunded is the price of what was ordered, and what it still holds is
	/// the price of its unsettled intervals; a closed order holds nothing); every account's
	/// escrow and deposit holds are what its listings and orders say; ratings are in range.
	#[cfg(any(feature = "try-runtime", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use alloc::collections::btree_map::BTreeMap;
		let mut escrow: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		let mut deposits: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		let next = NextListingId::<T>::get();
		for (id, l) in Listings::<T>::iter() {
			ensure!(id < next, "listing id not below NextListingId");
			ensure!(!l.price.is_zero(), "listing with a zero price");
			ensure!(l.deposit == Self::listing_deposit(&l.text), "listing deposit not its cost");
			let d = deposits.entry(l.seller.clone()).or_insert_with(Zero::zero);
			*d = d.saturating_add(l.deposit);
		}
		let next = NextOrderId::<T>::get();
		for (id, o) in Orders::<T>::iter() {
			ensure!(id < next, "order id not below NextOrderId");
			ensure!(o.intervals.is_valid(), "order intervals reversed");
			let count = o.count();
			ensure!(count <= o.ordered, "order holds more intervals than were ordered");
			ensure!(o.ordered <= T::MaxIntervalsPerOrder::get(), "order above the interval bound");
			ensure!(o.settled <= count, "order settled beyond its intervals");
			ensure!(
				o.held == o.price.saturating_mul((count - o.settled).into()),
				"order escrow is not the price of its unsettled intervals"
			);
			ensure!(
				o.paid.saturating_add(o.refunded).saturating_add(o.held)
					== o.price.saturating_mul(o.ordered.into()),
				"order paid out more or less than it held"
			);
			match o.status {
				OrderStatus::Open => ensure!(o.settled < count, "open order fully settled"),
				OrderStatus::Closed(_) => {
					ensure!(o.settled == count && o.held.is_zero(), "closed order still holds")
				}
			}
			let e = escrow.entry(o.buyer.clone()).or_insert_with(Zero::zero);
			*e = e.saturating_add(o.held);
			let d = deposits.entry(o.buyer.clone()).or_insert_with(Zero::zero);
			*d = d.saturating_add(o.deposit);
		}
		for (id, f) in Frozen::<T>::iter() {
			let o = Orders::<T>::get(id).ok_or("frozen intervals of no order")?;
			ensure!(o.status == OrderStatus::Open, "frozen intervals of a closed order");
			let next = o.intervals.first.saturating_add(IntervalIndex::from(o.settled));
			ensure!(
				f.intervals.is_valid()
					&& f.intervals.first >= o.intervals.first
					&& f.intervals.last <= o.intervals.last
					&& f.intervals.last >= next,
				"frozen intervals outside the order's unsettled ones"
			);
		}
		for (id, _) in Resumed::<T>::iter() {
			ensure!(
				Orders::<T>::get(id).is_some_and(|o| o.status == OrderStatus::Open),
				"a resumed settlement of no open order"
			);
		}
		for (who, amount) in escrow {
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::Escrow.into(), &who) == amount,
				"escrow hold does not match the account's orders"
			);
		}
		for (who, amount) in deposits {
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::Deposit.into(), &who) == amount,
				"deposit hold does not match the account's listings and orders"
			);
		}
		for (_, r) in Ratings::<T>::iter() {
			ensure!(
				r.count > 0 && r.total >= u64::from(r.count) && r.total <= 5 * u64::from(r.count),
				"rating out of range"
			);
		}
		Ok(())
	}
}

/// The most orders the idle-time sweep looks at in one block, whatever the spare weight.
pub const MAX_SWEEP_ORDERS: u32 = 32;

/// The dispute pallet freezes intervals and rules on them through this.
impl<T: Config> ArbitrableOrders<T::AccountId> for Pallet<T> {
	fn parties(order: OrderId) -> Option<OrderParties<T::AccountId>> {
		Orders::<T>::get(order).filter(|o| o.status == OrderStatus::Open).map(|o| OrderParties {
			buyer: o.buyer,
			seller: o.seller,
			stream: o.stream,
		})
	}

	fn freeze(order: OrderId, intervals: IntervalRange) -> DispatchResult {
		let o = Orders::<T>::get(order).ok_or(Error::<T>::UnknownOrder)?;
		ensure!(o.status == OrderStatus::Open, Error::<T>::OrderClosed);
		ensure!(!Frozen::<T>::contains_key(order), Error::<T>::AlreadyFrozen);
		ensure!(intervals.is_valid(), Error::<T>::InvalidIntervalRange);
		let unsettled = o.intervals.first.saturating_add(IntervalIndex::from(o.settled));
		ensure!(
			intervals.first >= unsettled && intervals.last <= o.intervals.last,
			Error::<T>::NotDisputable
		);
		// Positions in the order: below `count`, so they fit in a u32.
		let first = (intervals.first - o.intervals.first) as u32;
		let last = (intervals.last - o.intervals.first) as u32;
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(
			last < Self::started(&o, now)
				&& now < Self::settles_after_dispute(&o, first, Resumed::<T>::get(order)),
			Error::<T>::NotDisputable
		);
		Frozen::<T>::insert(order, Freeze { intervals, ruling: None });
		Self::deposit_event(Event::IntervalsFrozen { order, intervals });
		Ok(())
	}

	fn rule(order: OrderId, ruling: Ruling) -> DispatchResult {
		let mut f = Frozen::<T>::get(order).ok_or(Error::<T>::NotFrozen)?;
		ensure!(f.ruling.is_none(), Error::<T>::NotFrozen);
		f.ruling = Some(ruling);
		Frozen::<T>::insert(order, f);
		Self::deposit_event(Event::RulingRecorded { order, intervals: f.intervals, ruling });
		// Settle what is due now (the ruled intervals among it), in a layer of its own: the
		// ruling stays recorded whatever happens to the settlement, which `settle` or the
		// sweep retries; the rest settles in time.
		if let Some(o) = Orders::<T>::get(order) {
			let _ = frame_support::storage::with_storage_layer(|| {
				Self::settle_order(order, o, Mode::Due, T::MaxSettlePerCall::get()).map(|_| ())
			});
		}
		Ok(())
	}

	fn rule_weight() -> Weight {
		T::WeightInfo::settle(T::MaxSettlePerCall::get())
			.saturating_add(T::DbWeight::get().reads_writes(1, 1))
	}
}

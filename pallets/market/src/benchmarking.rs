//! Benchmarks of the market pallet (frame-benchmarking v2).
//!
//! Each benchmark sets up the worst case its extrinsic can meet: listings with the longest
//! title, tags and CID, orders of the most intervals, settlements in which every interval is
//! delivered and paid (a record lookup, a grant lookup and two transfers, fee and seller,
//! each), and a rating that also removes the order.

use super::*;
use frame_benchmarking::v2::*;
use frame_support::traits::fungible::Mutate;
use frame_system::RawOrigin;
use sp_runtime::traits::One;

/// A funded account. Every benchmark's setup starts here, at block 1 (see [`at_block_one`]).
fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId
where
	T::Currency: Mutate<T::AccountId>,
{
	at_block_one::<T>();
	let who: T::AccountId = account(name, index, 0);
	fund::<T>(&who);
	who
}

/// Moves a chain at block 0 to block 1. frame-benchmarking runs a benchmark's setup at the
/// block number of the chain it is given (0 at a real chain's genesis, 1 in the pallet's mock)
/// and moves a zero block number to 1 only after the setup, just before the measured call: a
/// setup that schedules by the block number (an order's first interval, a dispute's periods)
/// must see the block the call will see, or on the chain the call runs a block later than the
/// setup planned (a subscription order's first interval has started when it is cancelled).
fn at_block_one<T: Config>() {
	if frame_system::Pallet::<T>::block_number().is_zero() {
		frame_system::Pallet::<T>::set_block_number(One::one());
	}
}

/// Funds `who` for the largest listing and order a benchmark makes.
fn fund<T: Config>(who: &T::AccountId)
where
	T::Currency: Mutate<T::AccountId>,
{
	let per_byte = T::ListingDepositPerByte::get().saturating_mul(100_000u32.into());
	let orders = price::<T>().saturating_mul(T::MaxIntervalsPerOrder::get().into());
	let amount = T::ListingDepositBase::get()
		.saturating_add(per_byte)
		.saturating_add(orders)
		.saturating_add(T::OrderDeposit::get())
		.saturating_mul(4u32.into())
		.saturating_add(T::Currency::minimum_balance());
	T::Currency::set_balance(who, amount);
}

/// An interval's price: large enough that each part of a payment can create an account.
fn price<T: Config>() -> BalanceOf<T> {
	T::Currency::minimum_balance().saturating_mul(100u32.into())
}

/// The longest text, with a description of `d` bytes.
fn text<T: Config>(d: u32) -> ListingText<T> {
	let tag = BoundedVec::truncate_from(alloc::vec![b't'; T::MaxTagLen::get() as usize]);
	ListingText {
		title: BoundedVec::truncate_from(alloc::vec![b'a'; T::MaxTitleLen::get() as usize]),
		description: BoundedVec::truncate_from(alloc::vec![b'd'; d as usize]),
		tags: BoundedVec::truncate_from(alloc::vec![tag; T::MaxTags::get() as usize]),
		licence_hash: H256::repeat_byte(1),
		terms_cid: Some(BoundedVec::truncate_from(alloc::vec![b'b'; T::MaxCidLen::get() as usize])),
	}
}

/// A listing by a funded seller of a stream with `recorded` intervals recorded: a range of
/// them if `recorded > 0`, else a subscription (one interval a block).
fn listing<T: Config>(recorded: IntervalIndex) -> (T::AccountId, StreamId, ListingId)
where
	T::Currency: Mutate<T::AccountId>,
{
	let seller = funded::<T>("seller", 0);
	let stream = T::BenchmarkHelper::stream_of(&seller, recorded);
	let kind = if recorded > 0 {
		ListingKind::Range { intervals: IntervalRange { first: 0, last: recorded - 1 } }
	} else {
		ListingKind::Subscription {
			start: 0,
			max_intervals: T::MaxIntervalsPerOrder::get(),
			interval_blocks: 1u32.into(),
		}
	};
	let id = list::<T>(&seller, stream, kind, text::<T>(T::MaxDescriptionLen::get()));
	(seller, stream, id)
}

/// `seller` lists `kind` of its `stream` with `text`; returns the listing's id.
fn list<T: Config>(
	seller: &T::AccountId,
	stream: StreamId,
	kind: ListingKind<BlockNumberFor<T>>,
	t: ListingText<T>,
) -> ListingId {
	Pallet::<T>::create_listing(
		RawOrigin::Signed(seller.clone()).into(),
		stream,
		kind,
		price::<T>(),
		t.title,
		t.description,
		t.tags,
		t.licence_hash,
		t.terms_cid,
	)
	.expect("the owner of a stream, funded; qed");
	NextListingId::<T>::get() - 1
}

/// A funded buyer's order of `n` recorded intervals, all delivered.
fn delivered_order<T: Config>(n: u32) -> (T::AccountId, OrderId)
where
	T::Currency: Mutate<T::AccountId>,
{
	let (seller, stream, id) = listing::<T>(n.into());
	let buyer = funded::<T>("buyer", 0);
	let intervals = IntervalRange { first: 0, last: IntervalIndex::from(n) - 1 };
	Pallet::<T>::place_order(
		RawOrigin::Signed(buyer.clone()).into(),
		id,
		OrderSpan::Range(intervals),
		price::<T>(),
	)
	.expect("a funded buyer of recorded intervals; qed");
	T::BenchmarkHelper::deliver(stream, &seller, &buyer, intervals);
	let fees = T::FeeCollector::get();
	if T::Currency::balance(&fees) < T::Currency::minimum_balance() {
		fund::<T>(&fees);
	}
	(buyer, NextOrderId::<T>::get() - 1)
}

#[benchmarks(where T::Currency: Mutate<T::AccountId>)]
mod benchmarks {
	use super::*;

	/// `b`: bytes of the description (title, tags and CID at their longest).
	#[benchmark]
	fn create_listing(b: Linear<0, { T::MaxDescriptionLen::get() }>) {
		let seller = funded::<T>("seller", 0);
		let stream = T::BenchmarkHelper::stream_of(&seller, 1);
		let t = text::<T>(b);
		let kind = ListingKind::Range { intervals: IntervalRange { first: 0, last: 0 } };

		#[extrinsic_call]
		_(
			RawOrigin::Signed(seller),
			stream,
			kind,
			price::<T>(),
			t.title,
			t.description,
			t.tags,
			t.licence_hash,
			t.terms_cid,
		);

		assert!(Listings::<T>::contains_key(0));
	}

	/// `b`: bytes of the new description.
	#[benchmark]
	fn update_listing(b: Linear<0, { T::MaxDescriptionLen::get() }>) {
		let (seller, _, id) = listing::<T>(1);
		let t = text::<T>(b);

		#[extrinsic_call]
		_(
			RawOrigin::Signed(seller),
			id,
			price::<T>(),
			t.title,
			t.description,
			t.tags,
			t.licence_hash,
			t.terms_cid,
		);

		assert_eq!(Listings::<T>::get(id).map(|l| l.text.description.len() as u32), Some(b));
	}

	#[benchmark]
	fn delist() {
		let (seller, _, id) = listing::<T>(1);

		#[extrinsic_call]
		_(RawOrigin::Signed(seller), id);

		assert!(!Listings::<T>::contains_key(id));
	}

	#[benchmark]
	fn place_order() {
		let (_, _, id) = listing::<T>(0);
		let buyer = funded::<T>("buyer", 0);

		#[extrinsic_call]
		_(
			RawOrigin::Signed(buyer),
			id,
			OrderSpan::Next(T::MaxIntervalsPerOrder::get()),
			price::<T>(),
		);

		assert!(Orders::<T>::contains_key(0));
	}

	/// Cancels a whole subscription order before it starts (the order and its deposit go).
	#[benchmark]
	fn cancel_order() {
		let seller = funded::<T>("seller", 0);
		// A subscription from interval 1: its schedule starts a block from now.
		let stream = T::BenchmarkHelper::stream_of(&seller, 0);
		let kind = ListingKind::Subscription {
			start: 1,
			max_intervals: T::MaxIntervalsPerOrder::get(),
			interval_blocks: 1u32.into(),
		};
		let listing = list::<T>(&seller, stream, kind, text::<T>(0));
		let buyer = funded::<T>("buyer", 0);
		let count = T::MaxIntervalsPerOrder::get().saturating_sub(1).max(1);
		Pallet::<T>::place_order(
			RawOrigin::Signed(buyer.clone()).into(),
			listing,
			OrderSpan::Next(count),
			price::<T>(),
		)
		.expect("funded; qed");

		#[extrinsic_call]
		_(RawOrigin::Signed(buyer), 0);

		assert!(!Orders::<T>::contains_key(0));
	}

	/// `n`: intervals settled, each delivered and paid.
	#[benchmark]
	fn settle(n: Linear<1, { T::MaxSettlePerCall::get().min(T::MaxIntervalsPerOrder::get()) }>) {
		let (_, order) = delivered_order::<T>(n);
		let o = Orders::<T>::get(order).expect("placed; qed");
		frame_system::Pallet::<T>::set_block_number(Pallet::<T>::settles_at(&o, n - 1));
		let caller = funded::<T>("caller", 0);

		#[extrinsic_call]
		_(RawOrigin::Signed(caller), order, n);

		let o = Orders::<T>::get(order).expect("closed, not removed; qed");
		assert_eq!(o.settled, n);
		assert_eq!(o.paid, price::<T>().saturating_mul(n.into()));
	}

	/// Rates a closed order, which also removes it.
	#[benchmark]
	fn rate() {
		let (buyer, order) = delivered_order::<T>(1);
		Pallet::<T>::confirm(RawOrigin::Signed(buyer.clone()).into(), order, 1)
			.expect("delivered; qed");

		#[extrinsic_call]
		_(RawOrigin::Signed(buyer), order, 5);

		assert!(!Orders::<T>::contains_key(order));
	}

	#[benchmark]
	fn remove_closed() {
		let (buyer, order) = delivered_order::<T>(1);
		Pallet::<T>::confirm(RawOrigin::Signed(buyer.clone()).into(), order, 1)
			.expect("delivered; qed");

		#[extrinsic_call]
		_(RawOrigin::Signed(buyer), order);

		assert!(!Orders::<T>::contains_key(order));
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_genesis_ext(), crate::mock::Test);
}

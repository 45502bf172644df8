//! Call helpers of the tests: each `assert_<call>` snapshots the pallet's whole state and the
//! balances of every test account, dispatches the call (which must succeed), snapshots again
//! and checks that the call changed exactly what it should and emitted its event.
//!
//! The expected snapshot is built from the first one by hand and compared whole, so a call
//! that also moves money it should not, or touches another order, fails the helper (the
//! shape of Astar's `testing_utils`).

use crate::{
	mock::*, Event, HoldReason, Listing, ListingText, Listings, NextListingId, NextOrderId, Order,
	OrderStatus, Orders, Rating, Ratings, TagsOf,
};
use cpchain_pallet_test_utils::{assert_transition, StateSnapshot};
use cpchain_primitives::{
	data::{IntervalRange, StreamId},
	market::{ListingId, ListingKind, OrderId, OrderSpan},
	reputation::Signal,
};
use frame_support::{
	traits::fungible::{Inspect, InspectHold},
	BoundedVec,
};
use sp_core::H256;
use std::collections::BTreeMap;

/// An account's money: free, in escrow, in deposits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Money {
	pub free: Balance,
	pub escrow: Balance,
	pub deposit: Balance,
}

/// The pallet's whole state, the test accounts' money and the signals sent.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
	pub next_listing: ListingId,
	pub next_order: OrderId,
	pub listings: BTreeMap<ListingId, Listing<Test>>,
	pub orders: BTreeMap<OrderId, Order<Test>>,
	pub ratings: BTreeMap<AccountId, Rating>,
	pub money: BTreeMap<AccountId, Money>,
	pub signals: Vec<(AccountId, Signal)>,
}

/// Every account a test may use.
pub fn accounts() -> [AccountId; 6] {
	[alice(), bob(), charlie(), dave(), collector(), ferdie()]
}

/// `who`'s money now.
pub fn money(who: &AccountId) -> Money {
	Money {
		free: Balances::balance(who),
		escrow: Balances::balance_on_hold(&HoldReason::Escrow.into(), who),
		deposit: Balances::balance_on_hold(&HoldReason::Deposit.into(), who),
	}
}

impl StateSnapshot for Snapshot {
	fn take() -> Self {
		Self {
			next_listing: NextListingId::<Test>::get(),
			next_order: NextOrderId::<Test>::get(),
			listings: Listings::<Test>::iter().collect(),
			orders: Orders::<Test>::iter().collect(),
			ratings: Ratings::<Test>::iter().collect(),
			money: accounts().into_iter().map(|a| (a.clone(), money(&a))).collect(),
			signals: Signals::get(),
		}
	}
}

impl Snapshot {
	fn money_of(&mut self, who: &AccountId) -> &mut Money {
		self.money.get_mut(who).expect("a test account")
	}
}

/// A listing text of `n` description bytes.
pub fn text(n: usize) -> ListingText<Test> {
	ListingText {
		title: BoundedVec::truncate_from(b"air quality".to_vec()),
		description: BoundedVec::truncate_from(vec![b'd'; n]),
		tags: TagsOf::<Test>::truncate_from(vec![BoundedVec::truncate_from(b"pm2.5".to_vec())]),
		licence_hash: H256::repeat_byte(7),
		terms_cid: None,
	}
}

/// `seller` lists `kind` of `stream` at `price` with `text`; returns the listing's id.
pub fn assert_create_listing(
	seller: &AccountId,
	stream: StreamId,
	kind: ListingKind<u64>,
	price: Balance,
	text: ListingText<Test>,
) -> ListingId {
	let before = Snapshot::take();
	let id = before.next_listing;
	let deposit = Market::listing_deposit(&text);
	let t = text.clone();
	assert_transition(
		before,
		|| {
			Market::create_listing(
				RuntimeOrigin::signed(seller.clone()),
				stream,
				kind,
				price,
				t.title,
				t.description,
				t.tags,
				t.licence_hash,
				t.terms_cid,
			)
		},
		|s| {
			s.next_listing += 1;
			s.listings
				.insert(id, Listing { seller: seller.clone(), stream, kind, price, text, deposit });
			let m = s.money_of(seller);
			m.free -= deposit;
			m.deposit += deposit;
		},
	);
	System::assert_last_event(
		Event::ListingCreated { listing: id, seller: seller.clone(), stream, kind, price, deposit }
			.into(),
	);
	id
}

/// The seller withdraws `listing`.
pub fn assert_delist(listing: ListingId) {
	let before = Snapshot::take();
	let l = before.listings[&listing].clone();
	assert_transition(
		before,
		|| Market::delist(RuntimeOrigin::signed(l.seller.clone()), listing),
		|s| {
			s.listings.remove(&listing);
			let m = s.money_of(&l.seller);
			m.free += l.deposit;
			m.deposit -= l.deposit;
		},
	);
	System::assert_last_event(Event::ListingRemoved { listing }.into());
}

/// `buyer` orders `span` from `listing`, expecting to buy `intervals` on the schedule
/// (`schedule_start`, `cadence`); returns the order's id.
pub fn assert_place_order(
	buyer: &AccountId,
	listing: ListingId,
	span: OrderSpan,
	intervals: IntervalRange,
	schedule_start: u64,
	cadence: u64,
) -> OrderId {
	let before = Snapshot::take();
	let id = before.next_order;
	let l = before.listings[&listing].clone();
	let count = (intervals.last - intervals.first + 1) as u32;
	let held = l.price * Balance::from(count);
	assert_transition(
		before,
		|| Market::place_order(RuntimeOrigin::signed(buyer.clone()), listing, span, l.price),
		|s| {
			s.next_order += 1;
			s.orders.insert(
				id,
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
					paid: 0,
					refunded: 0,
					deposit: ORDER_DEPOSIT,
					rated: false,
					status: OrderStatus::Open,
				},
			);
			let m = s.money_of(buyer);
			m.free -= held + ORDER_DEPOSIT;
			m.escrow += held;
			m.deposit += ORDER_DEPOSIT;
		},
	);
	System::assert_last_event(
		Event::OrderPlaced {
			order: id,
			listing,
			buyer: buyer.clone(),
			seller: l.seller,
			stream: l.stream,
			intervals,
			price: l.price,
			held,
			deposit: ORDER_DEPOSIT,
		}
		.into(),
	);
	id
}

/// The buyer cancels `order`, expecting `kept` intervals to remain (0: the order goes).
pub fn assert_cancel_order(order: OrderId, kept: u32) {
	let before = Snapshot::take();
	let o = before.orders[&order].clone();
	let cancelled = o.count() - kept;
	let refund = o.price * Balance::from(cancelled);
	assert_transition(
		before,
		|| Market::cancel_order(RuntimeOrigin::signed(o.buyer.clone()), order),
		|s| {
			let m = s.money_of(&o.buyer);
			m.free += refund;
			m.escrow -= refund;
			if kept == 0 {
				m.free += o.deposit;
				m.deposit -= o.deposit;
				s.orders.remove(&order);
			} else {
				let e = s.orders.get_mut(&order).expect("kept");
				e.intervals.last = e.intervals.first + u64::from(kept) - 1;
				e.held -= refund;
				e.refunded += refund;
				if e.settled == kept {
					e.status = OrderStatus::Closed(System::block_number());
					if e.paid > 0 {
						s.signals.push((o.seller.clone(), Signal::DataSold(1)));
					}
				}
			}
		},
	);
	assert!(System::events().iter().any(|r| r.event
		== Event::OrderCancelled { order, intervals: cancelled, refund, removed: kept == 0 }
			.into()));
}

/// The buyer rates the seller of `order` with `score`.
pub fn assert_rate(order: OrderId, score: u8) {
	let before = Snapshot::take();
	let o = before.orders[&order].clone();
	assert_transition(
		before,
		|| Market::rate(RuntimeOrigin::signed(o.buyer.clone()), order, score),
		|s| {
			let r = s.ratings.entry(o.seller.clone()).or_default();
			r.count += 1;
			r.total += u64::from(score);
			if matches!(o.status, OrderStatus::Closed(_)) {
				s.orders.remove(&order);
				let m = s.money_of(&o.buyer);
				m.free += o.deposit;
				m.deposit -= o.deposit;
			} else {
				s.orders.get_mut(&order).expect("open").rated = true;
			}
		},
	);
	assert!(System::events()
		.iter()
		.any(|r| r.event == Event::Rated { order, seller: o.seller.clone(), score }.into()));
}

/// `who` removes the closed `order`.
pub fn assert_remove_closed(who: &AccountId, order: OrderId) {
	let before = Snapshot::take();
	let o = before.orders[&order].clone();
	assert_transition(
		before,
		|| Market::remove_closed(RuntimeOrigin::signed(who.clone()), order),
		|s| {
			s.orders.remove(&order);
			let m = s.money_of(&o.buyer);
			m.free += o.deposit;
			m.deposit -= o.deposit;
		},
	);
	System::assert_last_event(Event::OrderRemoved { order }.into());
}

//! Unit tests of the market: every call, its errors and events, the money of each settlement
//! path, the attacks a buyer, a seller or a third party could try, and a fuzz test of random
//! calls that checks the invariants and the conservation of funds after each one.

use crate::{
	mock::*, testing_utils::*, Error, Event, Freeze, Frozen, ListingKind, Listings, OrderStatus,
	Orders, Ratings, SweepCursor,
};
use cpchain_primitives::{
	data::IntervalRange,
	dispute::{ArbitrableOrders, Party},
	market::{ListingId, OrderId, OrderSpan},
	reputation::Signal,
};
use frame_support::{
	assert_noop, assert_ok,
	traits::{fungible::Inspect, Get, Hooks},
	weights::Weight,
};
use sp_runtime::{ArithmeticError, Permill};

const PRICE: Balance = 100;
const STREAM: u64 = 0;

fn range(first: u64, last: u64) -> IntervalRange {
	IntervalRange { first, last }
}

/// Alice's stream 0 with intervals 0..=9 recorded at block 1, listed as a range at `PRICE`.
fn range_listing() -> ListingId {
	set_stream(STREAM, &alice(), 0);
	record(STREAM, range(0, 9), 1);
	assert_create_listing(
		&alice(),
		STREAM,
		ListingKind::Range { intervals: range(0, 9) },
		PRICE,
		text(10),
	)
}

/// Alice's live stream 0 (next interval 5), listed as a subscription from interval 5, 10
/// intervals, one every 2 blocks.
fn subscription_listing() -> ListingId {
	set_stream(STREAM, &alice(), 5);
	assert_create_listing(
		&alice(),
		STREAM,
		ListingKind::Subscription { start: 5, max_intervals: 10, interval_blocks: 2 },
		PRICE,
		text(10),
	)
}

/// Bob's order of the next ten intervals (5 to 14) of [`subscription_listing`], at block 1.
fn ten_interval_order() -> OrderId {
	let id = subscription_listing();
	assert_place_order(&bob(), id, OrderSpan::Next(10), range(5, 14), 1, 2)
}

/// The sum of every test account's free and held balance: what conservation is about.
fn total_money() -> Balance {
	accounts().iter().map(Balances::total_balance).sum()
}

fn create(
	who: &AccountId,
	stream: u64,
	kind: ListingKind<u64>,
	price: Balance,
) -> sp_runtime::DispatchResult {
	let t = text(4);
	Market::create_listing(
		RuntimeOrigin::signed(who.clone()),
		stream,
		kind,
		price,
		t.title,
		t.description,
		t.tags,
		t.licence_hash,
		t.terms_cid,
	)
}

fn order(who: &AccountId, listing: ListingId, span: OrderSpan) -> sp_runtime::DispatchResult {
	Market::place_order(RuntimeOrigin::signed(who.clone()), listing, span, Balance::MAX)
}

fn settled(events: &[Event<Test>]) -> Vec<(u32, u32)> {
	events
		.iter()
		.filter_map(|e| match e {
			Event::Settled { paid, refunded, .. } => Some((*paid, *refunded)),
			_ => None,
		})
		.collect()
}

fn market_events() -> Vec<Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::Market(e) => Some(e),
			_ => None,
		})
		.collect()
}

mod listings {
	use super::*;

	#[test]
	fn a_stream_owner_lists_past_intervals_and_future_ones_for_a_deposit_per_byte() {
		ExtBuilder::default().build_and_execute(|| {
			let id = range_listing();
			// Base, plus title (11), description (10), one tag (5) and the licence hash (32).
			assert_eq!(Listings::<Test>::get(id).map(|l| l.deposit), Some(10 + 11 + 10 + 5 + 32));
			set_stream(1, &alice(), 3);
			assert_create_listing(
				&alice(),
				1,
				ListingKind::Subscription { start: 0, max_intervals: 100, interval_blocks: 5 },
				PRICE,
				text(0),
			);
		});
	}

	#[test]
	fn only_the_owner_of_an_existing_stream_lists_it_and_never_for_free() {
		ExtBuilder::default().build_and_execute(|| {
			set_stream(STREAM, &alice(), 10);
			let kind = ListingKind::Range { intervals: range(0, 9) };
			assert_noop!(create(&alice(), 9, kind, PRICE), Error::<Test>::UnknownStream);
			assert_noop!(create(&bob(), STREAM, kind, PRICE), Error::<Test>::NotStreamOwner);
			assert_noop!(create(&alice(), STREAM, kind, 0), Error::<Test>::ZeroPrice);
		});
	}

	#[test]
	fn a_range_must_be_recorded_and_a_subscription_must_offer_something() {
		ExtBuilder::default().build_and_execute(|| {
			set_stream(STREAM, &alice(), 10);
			let reversed = ListingKind::Range { intervals: range(5, 4) };
			assert_noop!(
				create(&alice(), STREAM, reversed, PRICE),
				Error::<Test>::InvalidIntervalRange
			);
			let future = ListingKind::Range { intervals: range(5, 10) };
			assert_noop!(create(&alice(), STREAM, future, PRICE), Error::<Test>::NotYetRecorded);
			for (max_intervals, interval_blocks) in [(0, 5), (5, 0)] {
				let kind = ListingKind::Subscription { start: 0, max_intervals, interval_blocks };
				assert_noop!(
					create(&alice(), STREAM, kind, PRICE),
					Error::<Test>::InvalidSubscription
				);
			}
		});
	}

	#[test]
	fn a_seller_that_cannot_pay_the_deposit_lists_nothing() {
		ExtBuilder::default().build_and_execute(|| {
			set_stream(STREAM, &ferdie(), 10);
			let kind = ListingKind::Range { intervals: range(0, 9) };
			assert_noop!(
				create(&ferdie(), STREAM, kind, PRICE),
				Error::<Test>::InsufficientBalance
			);
		});
	}

	#[test]
	fn an_update_moves_the_deposit_with_the_size_and_leaves_placed_orders_at_their_price() {
		ExtBuilder::default().build_and_execute(|| {
			let id = range_listing();
			let o =
				assert_place_order(&bob(), id, OrderSpan::Range(range(0, 1)), range(0, 1), 1, 0);
			let before = money(&alice());
			let old = Listings::<Test>::get(id).expect("listed").deposit;
			let t = text(60);
			assert_ok!(Market::update_listing(
				RuntimeOrigin::signed(alice()),
				id,
				PRICE * 3,
				t.title.clone(),
				t.description.clone(),
				t.tags.clone(),
				t.licence_hash,
				t.terms_cid.clone(),
			));
			let new = Market::listing_deposit(&t);
			assert_eq!(new - old, 50);
			assert_eq!(money(&alice()).deposit, before.deposit + 50);
			assert_eq!(money(&alice()).free, before.free - 50);
			System::assert_last_event(
				Event::ListingUpdated { listing: id, price: PRICE * 3, deposit: new }.into(),
			);
			assert_eq!(Orders::<Test>::get(o).map(|o| o.price), Some(PRICE));
			// Smaller again: the difference comes back.
			let t = text(0);
			assert_ok!(Market::update_listing(
				RuntimeOrigin::signed(alice()),
				id,
				PRICE,
				t.title,
				t.description,
				t.tags,
				t.licence_hash,
				t.terms_cid,
			));
			assert_eq!(money(&alice()).deposit, before.deposit - 10);
		});
	}

	#[test]
	fn only_the_seller_updates_or_delists() {
		ExtBuilder::default().build_and_execute(|| {
			let id = range_listing();
			let t = text(1);
			assert_noop!(
				Market::update_listing(
					RuntimeOrigin::signed(bob()),
					id,
					1,
					t.title.clone(),
					t.description.clone(),
					t.tags.clone(),
					t.licence_hash,
					None
				),
				Error::<Test>::NotSeller
			);
			assert_noop!(
				Market::update_listing(
					RuntimeOrigin::signed(alice()),
					id,
					0,
					t.title,
					t.description,
					t.tags,
					t.licence_hash,
					None
				),
				Error::<Test>::ZeroPrice
			);
			assert_noop!(
				Market::delist(RuntimeOrigin::signed(bob()), id),
				Error::<Test>::NotSeller
			);
			assert_noop!(
				Market::delist(RuntimeOrigin::signed(alice()), 7),
				Error::<Test>::UnknownListing
			);
		});
	}

	#[test]
	fn delisting_returns_the_deposit_and_the_orders_placed_go_on() {
		ExtBuilder::default().build_and_execute(|| {
			let id = range_listing();
			let o =
				assert_place_order(&bob(), id, OrderSpan::Range(range(0, 0)), range(0, 0), 1, 0);
			assert_delist(id);
			grant(&bob(), STREAM, range(0, 0), 1_000);
			assert_ok!(Market::confirm(RuntimeOrigin::signed(bob()), o, 1));
			assert!(matches!(
				Orders::<Test>::get(o).map(|o| o.status),
				Some(OrderStatus::Closed(_))
			));
		});
	}
}

mod orders {
	use super::*;

	#[test]
	fn a_range_order_holds_the_price_of_each_interval_and_a_deposit() {
		ExtBuilder::default().build_and_execute(|| {
			let id = range_listing();
			assert_place_order(&bob(), id, OrderSpan::Range(range(2, 5)), range(2, 5), 1, 0);
			assert_eq!(money(&bob()).escrow, 4 * PRICE);
		});
	}

	#[test]
	fn a_subscription_order_buys_the_next_intervals_on_the_sellers_cadence() {
		ExtBuilder::default().build_and_execute(|| {
			let id = subscription_listing();
			// The stream's next interval is 5: the order buys 5..=7, starting now.
			assert_place_order(&bob(), id, OrderSpan::Next(3), range(5, 7), 1, 2);
			// Two more intervals recorded: the next order starts at 7 and its schedule too.
			record(STREAM, range(5, 6), 2);
			jump_to_block(4);
			assert_place_order(&charlie(), id, OrderSpan::Next(2), range(7, 8), 4, 2);
		});
	}

	#[test]
	fn a_subscription_that_starts_later_schedules_from_its_first_interval() {
		ExtBuilder::default().build_and_execute(|| {
			set_stream(STREAM, &alice(), 5);
			let id = assert_create_listing(
				&alice(),
				STREAM,
				ListingKind::Subscription { start: 8, max_intervals: 4, interval_blocks: 3 },
				PRICE,
				text(0),
			);
			// Intervals 5, 6 and 7 come first: 3 × 3 blocks before interval 8 starts.
			assert_place_order(&bob(), id, OrderSpan::Next(4), range(8, 11), 1 + 9, 3);
			assert_noop!(order(&charlie(), id, OrderSpan::Next(5)), Error::<Test>::OutsideListing);
		});
	}

	#[test]
	fn orders_outside_what_is_offered_are_refused() {
		ExtBuilder::default().build_and_execute(|| {
			let id = range_listing();
			assert_noop!(
				order(&alice(), id, OrderSpan::Range(range(0, 0))),
				Error::<Test>::OwnListing
			);
			assert_noop!(
				order(&bob(), 9, OrderSpan::Range(range(0, 0))),
				Error::<Test>::UnknownListing
			);
			assert_noop!(order(&bob(), id, OrderSpan::Next(1)), Error::<Test>::WrongSpan);
			assert_noop!(
				order(&bob(), id, OrderSpan::Range(range(3, 2))),
				Error::<Test>::InvalidIntervalRange
			);
			assert_noop!(
				order(&bob(), id, OrderSpan::Range(range(5, 10))),
				Error::<Test>::OutsideListing
			);
			let sub = {
				set_stream(1, &alice(), 0);
				assert_ok!(create(
					&alice(),
					1,
					ListingKind::Subscription { start: 0, max_intervals: 100, interval_blocks: 1 },
					PRICE
				));
				1
			};
			assert_noop!(
				order(&bob(), sub, OrderSpan::Range(range(0, 0))),
				Error::<Test>::WrongSpan
			);
			assert_noop!(order(&bob(), sub, OrderSpan::Next(0)), Error::<Test>::EmptyOrder);
			assert_noop!(
				order(&bob(), sub, OrderSpan::Next(MAX_INTERVALS + 1)),
				Error::<Test>::TooManyIntervals
			);
			assert_noop!(
				order(&ferdie(), sub, OrderSpan::Next(1)),
				Error::<Test>::InsufficientBalance
			);
		});
	}

	#[test]
	fn a_seller_raising_its_price_before_the_order_lands_cannot_take_more() {
		ExtBuilder::default().build_and_execute(|| {
			let id = range_listing();
			let t = text(10);
			// The seller front-runs the buyer's order with a higher price.
			assert_ok!(Market::update_listing(
				RuntimeOrigin::signed(alice()),
				id,
				PRICE * 10,
				t.title,
				t.description,
				t.tags,
				t.licence_hash,
				t.terms_cid,
			));
			assert_noop!(
				Market::place_order(
					RuntimeOrigin::signed(bob()),
					id,
					OrderSpan::Range(range(0, 0)),
					PRICE
				),
				Error::<Test>::PriceAboveLimit
			);
		});
	}

	#[test]
	fn a_listing_of_a_stream_sold_since_cannot_be_ordered_from() {
		ExtBuilder::default().build_and_execute(|| {
			let id = range_listing();
			set_stream(STREAM, &charlie(), 10);
			assert_noop!(
				order(&bob(), id, OrderSpan::Range(range(0, 0))),
				Error::<Test>::SellerNoLongerOwnsStream
			);
		});
	}

	#[test]
	fn a_price_whose_total_overflows_is_an_error_not_a_wrap() {
		ExtBuilder::default().build_and_execute(|| {
			set_stream(STREAM, &alice(), 10);
			assert_ok!(create(
				&alice(),
				STREAM,
				ListingKind::Range { intervals: range(0, 9) },
				Balance::MAX / 2
			));
			assert_noop!(
				order(&bob(), 0, OrderSpan::Range(range(0, 2))),
				ArithmeticError::Overflow
			);
		});
	}
}

mod settlement {
	use super::*;

	/// The last event says `paid` intervals of `order` were paid, their whole price to the
	/// seller and no fee.
	fn assert_paid_without_fee(order: OrderId, paid: u32) {
		System::assert_last_event(
			Event::Settled {
				order,
				paid,
				refunded: 0,
				to_seller: Balance::from(paid) * PRICE,
				fee: 0,
				refund: 0,
			}
			.into(),
		);
	}

	/// Bob's order of intervals 5..=14 of Alice's subscription (one every 2 blocks from block
	/// 1): interval `k` is due at `1 + 2(k + 1) + 3` and settles 4 blocks later.
	#[test]
	fn the_schedule_is_what_the_docs_say() {
		ExtBuilder::default().build_and_execute(|| {
			let o = ten_interval_order();
			let order = Orders::<Test>::get(o).expect("placed");
			assert_eq!(Market::due_at(&order, 0), 1 + 2 + DELIVERY_WINDOW);
			assert_eq!(Market::due_at(&order, 9), 1 + 20 + DELIVERY_WINDOW);
			assert_eq!(Market::settles_at(&order, 0), 1 + 2 + DELIVERY_WINDOW + CONFIRM_WINDOW);
		});
	}

	#[test]
	fn a_seller_that_misses_two_of_ten_intervals_is_paid_eight_and_the_buyer_refunded_two() {
		ExtBuilder::default().build_and_execute(|| {
			let total = total_money();
			let o = ten_interval_order();
			let (alice0, bob0, fees0) = (money(&alice()), money(&bob()), money(&collector()));
			grant(&bob(), STREAM, range(5, 14), 1_000);
			// Every interval recorded on time except 8 and 11.
			for (k, interval) in (5..=14u64).enumerate() {
				if interval != 8 && interval != 11 {
					record(STREAM, range(interval, interval), 1 + 2 * (k as u64 + 1));
				}
			}
			jump_to_block(1 + 20 + DELIVERY_WINDOW + CONFIRM_WINDOW);
			assert_ok!(Market::settle(RuntimeOrigin::signed(charlie()), o, MAX_SETTLE));
			assert_ok!(Market::settle(RuntimeOrigin::signed(charlie()), o, MAX_SETTLE));
			assert_eq!(settled(&market_events()), vec![(6, 2), (2, 0)]);
			let fee = PRICE / 10;
			assert_eq!(money(&alice()).free, alice0.free + 8 * (PRICE - fee));
			assert_eq!(money(&collector()).free, fees0.free + 8 * fee);
			assert_eq!(money(&bob()).free, bob0.free + 2 * PRICE);
			assert_eq!(money(&bob()).escrow, 0);
			let order = Orders::<Test>::get(o).expect("closed, not removed");
			assert_eq!(order.status, OrderStatus::Closed(System::block_number()));
			assert_eq!((order.paid, order.refunded, order.held), (8 * PRICE, 2 * PRICE, 0));
			System::assert_has_event(
				Event::OrderClosed { order: o, paid: 8 * PRICE, refunded: 2 * PRICE }.into(),
			);
			assert_eq!(Signals::get(), vec![(alice(), Signal::DataSold(1))]);
			assert_eq!(total_money(), total);
		});
	}

	#[test]
	fn without_a_market_fee_the_seller_gets_the_whole_price() {
		ExtBuilder::default().fee(Permill::zero()).build_and_execute(|| {
			let o = ten_interval_order();
			let (alice0, fees0) = (money(&alice()), money(&collector()));
			grant(&bob(), STREAM, range(5, 14), 1_000);
			record(STREAM, range(5, 6), 2);
			assert_ok!(Market::confirm(RuntimeOrigin::signed(bob()), o, 2));
			assert_eq!(money(&alice()).free, alice0.free + 2 * PRICE);
			assert_eq!(money(&collector()), fees0);
			assert_paid_without_fee(o, 2);
		});
	}

	#[test]
	fn a_fee_the_collector_cannot_receive_goes_to_the_seller_not_back_to_the_buyer() {
		ExtBuilder::default().build_and_execute(|| {
			let o = ten_interval_order();
			// The collector's account is gone and the fee (10) is below the existential
			// deposit: it cannot receive the fee of an interval.
			assert_eq!(
				<Balances as frame_support::traits::fungible::Mutate<_>>::set_balance(
					&collector(),
					0
				),
				0
			);
			ExistentialDeposit::set(PRICE / 10 + 1);
			let total = total_money();
			let (alice0, bob0) = (money(&alice()), money(&bob()));
			grant(&bob(), STREAM, range(5, 14), 1_000);
			record(STREAM, range(5, 6), 2);
			assert_ok!(Market::confirm(RuntimeOrigin::signed(bob()), o, 2));
			ExistentialDeposit::set(ED);
			assert_paid_without_fee(o, 2);
			assert_eq!(money(&alice()).free, alice0.free + 2 * PRICE);
			assert_eq!(money(&bob()).free, bob0.free);
			assert_eq!(money(&collector()).free, 0);
			assert_eq!(total_money(), total);
		});
	}

	#[test]
	fn nothing_is_settled_before_its_block_whoever_asks() {
		ExtBuilder::default().build_and_execute(|| {
			let o = ten_interval_order();
			jump_to_block(1 + 2 + DELIVERY_WINDOW + CONFIRM_WINDOW - 1);
			assert_noop!(
				Market::settle(RuntimeOrigin::signed(charlie()), o, MAX_SETTLE),
				Error::<Test>::NothingDue
			);
			jump_to_block(1 + 2 + DELIVERY_WINDOW + CONFIRM_WINDOW);
			assert_ok!(Market::settle(RuntimeOrigin::signed(charlie()), o, MAX_SETTLE));
			// One interval was due: undelivered, refunded.
			assert_eq!(settled(&market_events()), vec![(0, 1)]);
			assert_noop!(
				Market::settle(RuntimeOrigin::signed(charlie()), o, 0),
				Error::<Test>::NothingDue
			);
		});
	}

	#[test]
	fn a_record_registered_after_its_due_block_is_not_paid() {
		ExtBuilder::default().build_and_execute(|| {
			let o = ten_interval_order();
			grant(&bob(), STREAM, range(5, 14), 1_000);
			// Interval 5 is due at block 6: recorded at 7.
			record(STREAM, range(5, 5), 1 + 2 + DELIVERY_WINDOW + 1);
			jump_to_block(1 + 2 + DELIVERY_WINDOW + CONFIRM_WINDOW);
			assert_ok!(Market::settle(RuntimeOrigin::signed(charlie()), o, 1));
			assert_eq!(settled(&market_events()), vec![(0, 1)]);
		});
	}

	#[test]
	fn a_record_without_a_grant_to_the_buyer_is_not_delivered() {
		ExtBuilder::default().build_and_execute(|| {
			let o = ten_interval_order();
			record(STREAM, range(5, 14), 2);
			// A grant to someone else, and one to the buyer that expired before settlement.
			grant(&charlie(), STREAM, range(5, 14), 1_000);
			grant(&bob(), STREAM, range(5, 14), 5);
			jump_to_block(1 + 2 + DELIVERY_WINDOW + CONFIRM_WINDOW);
			assert_ok!(Market::settle(RuntimeOrigin::signed(charlie()), o, 1));
			assert_eq!(settled(&market_events()), vec![(0, 1)]);
		});
	}

	#[test]
	fn the_buyer_confirms_delivered_intervals_early_up_to_the_first_undelivered_one() {
		ExtBuilder::default().build_and_execute(|| {
			let o = ten_interval_order();
			grant(&bob(), STREAM, range(5, 14), 1_000);
			record(STREAM, range(5, 7), 2);
			assert_noop!(
				Market::confirm(RuntimeOrigin::signed(alice()), o, 5),
				Error::<Test>::NotBuyer
			);
			assert_ok!(Market::confirm(RuntimeOrigin::signed(bob()), o, 5));
			assert_eq!(settled(&market_events()), vec![(3, 0)]);
			assert_eq!(Orders::<Test>::get(o).map(|o| o.settled), Some(3));
			assert_noop!(
				Market::confirm(RuntimeOrigin::signed(bob()), o, 5),
				Error::<Test>::NothingDelivered
			);
		});
	}

	#[test]
	fn a_call_settles_at_most_max_settle_per_call_intervals() {
		ExtBuilder::default().build_and_execute(|| {
			let o = ten_interval_order();
			jump_to_block(100);
			assert_ok!(Market::settle(RuntimeOrigin::signed(charlie()), o, u32::MAX));
			assert_eq!(Orders::<Test>::get(o).map(|o| o.settled), Some(MAX_SETTLE));
		});
	}

	#[test]
	fn a_seller_whose_account_cannot_receive_is_refunded_to_the_buyer_not_stuck() {
		ExtBuilder::default().build_and_execute(|| {
			// Ferdie has nothing, so a payment below the existential deposit cannot create
			// its account: the fee-free price of 1 is refunded instead of failing forever.
			set_stream(STREAM, &ferdie(), 0);
			StreamTable::mutate(|t| t.push((1, ferdie(), 0)));
			Listings::<Test>::insert(
				0,
				crate::Listing {
					seller: ferdie(),
					stream: STREAM,
					kind: ListingKind::Subscription {
						start: 0,
						max_intervals: 5,
						interval_blocks: 1,
					},
					price: 1,
					text: text(0),
					deposit: 0,
				},
			);
			crate::NextListingId::<Test>::put(1);
			// (A listing without deposit: Ferdie could not have paid one; inserted directly
			// and removed below, so the invariants hold at the end.)
			Fee::set(Permill::zero());
			let o = assert_place_order(&bob(), 0, OrderSpan::Next(1), range(0, 0), 1, 1);
			Listings::<Test>::remove(0);
			ExistentialDeposit::set(5);
			record(STREAM, range(0, 0), 1);
			grant(&bob(), STREAM, range(0, 0), 1_000);
			jump_to_block(100);
			assert_ok!(Market::settle(RuntimeOrigin::signed(charlie()), o, 1));
			assert_eq!(settled(&market_events()), vec![(0, 1)]);
			ExistentialDeposit::set(ED);
		});
	}
}

mod cancelling {
	use super::*;

	#[test]
	fn cancelling_before_the_first_interval_starts_removes_the_order() {
		ExtBuilder::default().build_and_execute(|| {
			set_stream(STREAM, &alice(), 0);
			let id = assert_create_listing(
				&alice(),
				STREAM,
				ListingKind::Subscription { start: 4, max_intervals: 10, interval_blocks: 2 },
				PRICE,
				text(0),
			);
			let o = assert_place_order(&bob(), id, OrderSpan::Next(3), range(4, 6), 9, 2);
			assert_cancel_order(o, 0);
		});
	}

	#[test]
	fn cancelling_refunds_only_the_intervals_that_have_not_started() {
		ExtBuilder::default().build_and_execute(|| {
			let id = subscription_listing();
			let o = assert_place_order(&bob(), id, OrderSpan::Next(10), range(5, 14), 1, 2);
			// Block 6: intervals 0 (block 1), 1 (3) and 2 (5) have started.
			jump_to_block(6);
			assert_cancel_order(o, 3);
			assert_noop!(
				Market::cancel_order(RuntimeOrigin::signed(bob()), o),
				Error::<Test>::NothingToCancel
			);
		});
	}

	#[test]
	fn a_range_order_has_started_when_placed_and_only_its_buyer_cancels() {
		ExtBuilder::default().build_and_execute(|| {
			let id = range_listing();
			let o =
				assert_place_order(&bob(), id, OrderSpan::Range(range(0, 3)), range(0, 3), 1, 0);
			assert_noop!(
				Market::cancel_order(RuntimeOrigin::signed(alice()), o),
				Error::<Test>::NotBuyer
			);
			assert_noop!(
				Market::cancel_order(RuntimeOrigin::signed(bob()), o),
				Error::<Test>::NothingToCancel
			);
		});
	}

	#[test]
	fn cancelling_down_to_the_settled_intervals_closes_the_order() {
		ExtBuilder::default().build_and_execute(|| {
			let id = subscription_listing();
			let o = assert_place_order(&bob(), id, OrderSpan::Next(10), range(5, 14), 1, 2);
			grant(&bob(), STREAM, range(5, 14), 1_000);
			record(STREAM, range(5, 5), 2);
			assert_ok!(Market::confirm(RuntimeOrigin::signed(bob()), o, 1));
			// Block 2: only interval 0 has started, and it is settled.
			jump_to_block(2);
			assert_cancel_order(o, 1);
			assert_eq!(Orders::<Test>::get(o).map(|o| o.status), Some(OrderStatus::Closed(2)));
		});
	}
}

mod rating {
	use super::*;

	fn closed_order() -> OrderId {
		let id = range_listing();
		let o = assert_place_order(&bob(), id, OrderSpan::Range(range(0, 1)), range(0, 1), 1, 0);
		grant(&bob(), STREAM, range(0, 1), 1_000);
		assert_ok!(Market::confirm(RuntimeOrigin::signed(bob()), o, 2));
		o
	}

	#[test]
	fn the_buyer_rates_a_closed_order_once_and_that_removes_it() {
		ExtBuilder::default().build_and_execute(|| {
			let o = closed_order();
			assert_noop!(
				Market::rate(RuntimeOrigin::signed(bob()), o, 0),
				Error::<Test>::InvalidScore
			);
			assert_noop!(
				Market::rate(RuntimeOrigin::signed(bob()), o, 6),
				Error::<Test>::InvalidScore
			);
			assert_noop!(
				Market::rate(RuntimeOrigin::signed(alice()), o, 5),
				Error::<Test>::NotBuyer
			);
			assert_rate(o, 4);
			assert_eq!(Market::rating_of(&alice()), (1, 400));
			assert_noop!(
				Market::rate(RuntimeOrigin::signed(bob()), o, 4),
				Error::<Test>::UnknownOrder
			);
		});
	}

	#[test]
	fn an_open_order_is_rated_after_a_settlement_and_only_once() {
		ExtBuilder::default().build_and_execute(|| {
			let id = subscription_listing();
			let o = assert_place_order(&bob(), id, OrderSpan::Next(3), range(5, 7), 1, 2);
			assert_noop!(
				Market::rate(RuntimeOrigin::signed(bob()), o, 3),
				Error::<Test>::NothingSettled
			);
			grant(&bob(), STREAM, range(5, 7), 1_000);
			record(STREAM, range(5, 5), 2);
			assert_ok!(Market::confirm(RuntimeOrigin::signed(bob()), o, 1));
			assert_rate(o, 2);
			assert_noop!(
				Market::rate(RuntimeOrigin::signed(bob()), o, 3),
				Error::<Test>::AlreadyRated
			);
			assert_eq!(Ratings::<Test>::get(alice()).count, 1);
		});
	}

	#[test]
	fn after_the_rating_window_nobody_rates_and_anyone_removes_the_order() {
		ExtBuilder::default().build_and_execute(|| {
			let o = closed_order();
			assert_noop!(
				Market::remove_closed(RuntimeOrigin::signed(charlie()), o),
				Error::<Test>::RatingWindowOpen
			);
			jump_to_block(1 + RATING_WINDOW);
			assert_noop!(
				Market::rate(RuntimeOrigin::signed(bob()), o, 5),
				Error::<Test>::RatingWindowOver
			);
			assert_remove_closed(&charlie(), o);
		});
	}

	#[test]
	fn the_buyer_may_remove_its_closed_order_at_once_but_nobody_removes_an_open_one() {
		ExtBuilder::default().build_and_execute(|| {
			let o = closed_order();
			assert_remove_closed(&bob(), o);
			let id = subscription_listing();
			let open = assert_place_order(&charlie(), id, OrderSpan::Next(1), range(5, 5), 1, 2);
			assert_noop!(
				Market::remove_closed(RuntimeOrigin::signed(charlie()), open),
				Error::<Test>::OrderOpen
			);
		});
	}
}

mod sweep {
	use super::*;

	#[test]
	fn idle_blocks_settle_due_orders_and_remove_closed_ones_after_their_window() {
		ExtBuilder::default().build_and_execute(|| {
			let total = total_money();
			let id = subscription_listing();
			let o = assert_place_order(&bob(), id, OrderSpan::Next(3), range(5, 7), 1, 2);
			grant(&bob(), STREAM, range(5, 7), 1_000);
			record(STREAM, range(5, 7), 2);
			// The last interval settles at 1 + 6 + 3 + 4 = 14.
			run_to_block(15);
			let closed = Orders::<Test>::get(o).expect("closed").status;
			assert_eq!(closed, OrderStatus::Closed(14));
			run_to_block(14 + RATING_WINDOW + 1);
			assert!(Orders::<Test>::get(o).is_none());
			assert_eq!(money(&bob()).deposit, 0);
			assert_eq!(total_money(), total);
		});
	}

	#[test]
	fn the_sweep_stops_when_the_weight_runs_out_and_resumes_in_the_next_block() {
		ExtBuilder::default().build_and_execute(|| {
			let id = range_listing();
			let orders: Vec<_> = (0..3)
				.map(|i| {
					assert_place_order(&bob(), id, OrderSpan::Range(range(i, i)), range(i, i), 1, 0)
				})
				.collect();
			jump_to_block(100);
			let per_order = <() as crate::WeightInfo>::settle(MAX_SETTLE)
				.max(<() as crate::WeightInfo>::remove_closed());
			let base = <<Test as frame_system::Config>::DbWeight as Get<
				frame_support::weights::RuntimeDbWeight,
			>>::get()
			.reads_writes(1, 1);
			// Room for one order.
			let used = Market::on_idle(100, base + per_order);
			assert_eq!(used, base + per_order);
			let open = || {
				orders
					.iter()
					.filter(|o| {
						Orders::<Test>::get(**o).is_some_and(|o| o.status == OrderStatus::Open)
					})
					.count()
			};
			assert_eq!(open(), 2);
			assert!(SweepCursor::<Test>::get().is_some());
			assert_eq!(Market::on_idle(100, Weight::zero()), Weight::zero());
			Market::on_idle(100, base + per_order * 2);
			assert_eq!(open(), 0);
		});
	}
}

/// Random calls by every party (and records, grants, revocations and blocks passing), with
/// the pallet's invariants and the conservation of money checked after each one: escrow is
/// the price of what is unsettled, no order pays out more than it held, every hold is what
/// the listings and orders say, and no money appears or disappears.
mod views {
	use super::*;
	use cpchain_primitives::market::{NextSettlement, MAX_PAGE};

	fn ids<V>(items: &[V], id: impl Fn(&V) -> u64) -> Vec<u64> {
		items.iter().map(id).collect()
	}

	#[test]
	fn a_page_skips_removed_listings_and_says_where_the_next_starts() {
		ExtBuilder::default().build_and_execute(|| {
			let made: Vec<_> = (0..3).map(|_| subscription_listing()).collect();
			assert_delist(made[1]);
			let first = Market::listings_page(0, 2);
			assert_eq!(ids(&first.items, |l| l.id), vec![made[0]]);
			assert_eq!(first.next, Some(2));
			let second = Market::listings_page(2, 2);
			assert_eq!(ids(&second.items, |l| l.id), vec![made[2]]);
			assert_eq!(second.next, None);
			let view = Market::listing_view(made[0]).expect("listed");
			let t = text(10);
			assert_eq!(
				(view.seller, view.stream, view.price, view.title, view.description),
				(alice(), STREAM, PRICE, t.title.into_inner(), t.description.into_inner())
			);
			assert_eq!(view.tags, vec![b"pm2.5".to_vec()]);
			assert_eq!(Market::listing_view(made[1]), None);
		});
	}

	#[test]
	fn a_page_reads_at_most_max_page_ids_whatever_is_asked() {
		ExtBuilder::default().build_and_execute(|| {
			subscription_listing();
			// Ids far beyond what exists (nothing stored under them).
			crate::NextListingId::<Test>::put(10 * u64::from(MAX_PAGE));
			let page = Market::listings_page(0, u32::MAX);
			assert_eq!(page.items.len(), 1);
			assert_eq!(page.next, Some(u64::from(MAX_PAGE)));
			let last = Market::listings_page(u64::MAX - 1, u32::MAX);
			assert!(last.items.is_empty());
			assert_eq!(last.next, None);
			crate::NextListingId::<Test>::put(1);
		});
	}

	#[test]
	fn an_order_shows_its_next_settlement_until_it_closes() {
		ExtBuilder::default().build_and_execute(|| {
			let o = ten_interval_order();
			let order = Orders::<Test>::get(o).expect("placed");
			let view = Market::order_view(o).expect("placed");
			assert_eq!(
				view.next,
				Some(NextSettlement {
					interval: 5,
					due: Market::due_at(&order, 0),
					settles_at: Market::settles_at(&order, 0),
				})
			);
			assert_eq!((view.buyer, view.held, view.settled), (bob(), 10 * PRICE, 0));
			grant(&bob(), STREAM, range(5, 14), 1_000);
			record(STREAM, range(5, 14), 2);
			let end = 1 + 20 + DELIVERY_WINDOW + CONFIRM_WINDOW;
			jump_to_block(end);
			// Two calls: one settles at most `MAX_SETTLE` intervals.
			assert_ok!(Market::settle(RuntimeOrigin::signed(charlie()), o, MAX_SETTLE));
			assert_ok!(Market::settle(RuntimeOrigin::signed(charlie()), o, MAX_SETTLE));
			let view = Market::order_view(o).expect("closed, not removed");
			assert_eq!(view.status, OrderStatus::Closed(end));
			assert_eq!((view.next, view.settled, view.held), (None, 10, 0));
			assert_eq!(ids(&Market::orders_page(0, 5).items, |o| o.id), vec![o]);
		});
	}
}

mod disputes {
	use super::*;

	fn freeze(order: OrderId, intervals: IntervalRange) -> sp_runtime::DispatchResult {
		<Market as ArbitrableOrders<AccountId>>::freeze(order, intervals)
	}

	fn rule(order: OrderId, ruling: Option<Party>) -> sp_runtime::DispatchResult {
		<Market as ArbitrableOrders<AccountId>>::rule(order, ruling)
	}

	/// Bob's ten-interval order, every interval recorded on time and granted to him.
	fn delivered_order() -> OrderId {
		let o = ten_interval_order();
		grant(&bob(), STREAM, range(5, 14), 1_000);
		for (k, interval) in (5..=14u64).enumerate() {
			record(STREAM, range(interval, interval), 1 + 2 * (k as u64 + 1));
		}
		o
	}

	#[test]
	fn disputed_intervals_and_those_after_them_wait_for_the_ruling_whoever_settles() {
		ExtBuilder::default().build_and_execute(|| {
			let o = delivered_order();
			// Intervals 5 and 6 (positions 0, 1) have started by block 4; 6 settles at 1 + 4 + 7.
			jump_to_block(4);
			assert_ok!(freeze(o, range(6, 6)));
			System::assert_last_event(
				Event::IntervalsFrozen { order: o, intervals: range(6, 6) }.into(),
			);
			assert_eq!(Market::order_view(o).and_then(|v| v.disputed), Some(range(6, 6)));
			// The buyer confirms what was delivered: only interval 5, before the disputed one.
			assert_ok!(Market::confirm(RuntimeOrigin::signed(bob()), o, MAX_SETTLE));
			assert_eq!(Orders::<Test>::get(o).map(|o| o.settled), Some(1));
			// Long after every interval's settlement block, neither a call nor the sweep moves
			// the disputed interval's escrow, or anything after it.
			run_to_block(1 + 20 + DELIVERY_WINDOW + CONFIRM_WINDOW + 5);
			assert_noop!(
				Market::settle(RuntimeOrigin::signed(charlie()), o, MAX_SETTLE),
				Error::<Test>::NothingDue
			);
			let order = Orders::<Test>::get(o).expect("open");
			assert_eq!((order.settled, order.held), (1, 9 * PRICE));
		});
	}

	#[test]
	fn a_ruling_for_the_buyer_refunds_delivered_intervals_and_the_rest_settles_as_usual() {
		ExtBuilder::default().build_and_execute(|| {
			let total = total_money();
			let o = delivered_order();
			let (alice0, bob0) = (money(&alice()), money(&bob()));
			jump_to_block(6);
			assert_ok!(freeze(o, range(5, 6)));
			jump_to_block(1 + 20 + DELIVERY_WINDOW + CONFIRM_WINDOW);
			assert_ok!(rule(o, Some(Party::Buyer)));
			System::assert_has_event(
				Event::RulingRecorded {
					order: o,
					intervals: range(5, 6),
					ruling: Some(Party::Buyer),
				}
				.into(),
			);
			// The ruling settled the disputed intervals at once (2 refunded); the ones it held
			// back wait for their confirmation window, then settle as usual (8 paid).
			assert_eq!(settled(&market_events()), vec![(0, 2)]);
			assert!(Frozen::<Test>::get(o).is_none(), "a ruled freeze the cursor passed is gone");
			jump_to_block(System::block_number() + CONFIRM_WINDOW);
			assert_ok!(Market::settle(RuntimeOrigin::signed(charlie()), o, MAX_SETTLE));
			assert_eq!(settled(&market_events()), vec![(0, 2), (8, 0)]);
			assert_eq!(money(&bob()).free, bob0.free + 2 * PRICE);
			assert_eq!(money(&alice()).free, alice0.free + 8 * (PRICE - PRICE / 10));
			assert_eq!(total_money(), total);
		});
	}

	#[test]
	fn a_ruling_for_the_seller_pays_undelivered_intervals_and_for_nobody_applies_the_rule() {
		ExtBuilder::default().build_and_execute(|| {
			let o = ten_interval_order();
			// Nothing recorded, nothing granted: by the ordinary rule every interval is refunded.
			jump_to_block(4);
			assert_ok!(freeze(o, range(5, 6)));
			// Ruled before the intervals are due: the ruled ones settle at once.
			assert_ok!(rule(o, Some(Party::Seller)));
			assert_eq!(settled(&market_events()), vec![(2, 0)]);
			let order = Orders::<Test>::get(o).expect("open");
			assert_eq!((order.settled, order.paid), (2, 2 * PRICE));
			// A second dispute on the same order, ruled for nobody: the ordinary rule refunds.
			jump_to_block(8);
			assert_ok!(freeze(o, range(7, 8)));
			assert_ok!(rule(o, None));
			assert_eq!(Orders::<Test>::get(o).map(|o| o.settled), Some(2), "not due yet");
			assert_eq!(
				Frozen::<Test>::get(o),
				Some(Freeze { intervals: range(7, 8), ruling: Some(None) })
			);
			jump_to_block(1 + 2 * 4 + DELIVERY_WINDOW + CONFIRM_WINDOW);
			assert_ok!(Market::settle(RuntimeOrigin::signed(charlie()), o, 2));
			assert_eq!(settled(&market_events()), vec![(2, 0), (0, 2)]);
			assert!(Frozen::<Test>::get(o).is_none());
		});
	}

	#[test]
	fn only_started_unsettled_intervals_before_their_settlement_block_are_frozen_once() {
		ExtBuilder::default().build_and_execute(|| {
			let o = delivered_order();
			jump_to_block(4);
			// Not started yet (interval 7 starts at block 5), outside the order, reversed.
			assert_noop!(freeze(o, range(6, 7)), Error::<Test>::NotDisputable);
			assert_noop!(freeze(o, range(4, 5)), Error::<Test>::NotDisputable);
			assert_noop!(freeze(o, range(6, 5)), Error::<Test>::InvalidIntervalRange);
			assert_noop!(freeze(99, range(5, 5)), Error::<Test>::UnknownOrder);
			// Settled already.
			assert_ok!(Market::confirm(RuntimeOrigin::signed(bob()), o, 1));
			assert_noop!(freeze(o, range(5, 6)), Error::<Test>::NotDisputable);
			// Once per order at a time; a ruling needs a freeze, and is given once.
			assert_noop!(rule(o, None), Error::<Test>::NotFrozen);
			assert_ok!(freeze(o, range(6, 6)));
			assert_noop!(freeze(o, range(6, 6)), Error::<Test>::AlreadyFrozen);
			jump_to_block(5);
			assert_ok!(rule(o, Some(Party::Buyer)));
			assert_noop!(rule(o, Some(Party::Seller)), Error::<Test>::NotFrozen);
			// Past an interval's settlement block it can no longer be disputed (interval 7:
			// due at 1 + 6 + 3, settled from 14), even if nobody settled it yet.
			jump_to_block(14);
			assert_noop!(freeze(o, range(7, 7)), Error::<Test>::NotDisputable);
			jump_to_block(13);
			assert_ok!(freeze(o, range(7, 7)));
		});
	}

	#[test]
	fn a_ruling_is_recorded_even_when_its_settlement_fails_and_settles_later() {
		use frame_support::traits::{
			fungible::{InspectHold, MutateHold},
			tokens::Precision,
		};
		ExtBuilder::default().build_and_execute(|| {
			let o = delivered_order();
			jump_to_block(4);
			assert_ok!(freeze(o, range(5, 6)));
			// Break the escrow under the market: the settlement's refund cannot be released.
			let reason = crate::HoldReason::Escrow.into();
			let held = Balances::balance_on_hold(&reason, &bob());
			assert_ok!(Balances::release(&reason, &bob(), held, Precision::Exact));
			assert_ok!(rule(o, Some(Party::Buyer)));
			// The ruling stands; nothing was settled.
			assert_eq!(
				Frozen::<Test>::get(o),
				Some(Freeze { intervals: range(5, 6), ruling: Some(Some(Party::Buyer)) })
			);
			assert_eq!(Orders::<Test>::get(o).map(|o| o.settled), Some(0));
			// Once the escrow is whole again, anyone settles as ruled.
			assert_ok!(Balances::hold(&reason, &bob(), held));
			assert_ok!(Market::settle(RuntimeOrigin::signed(charlie()), o, 2));
			assert_eq!(settled(&market_events()), vec![(0, 2)]);
		});
	}

	#[test]
	fn intervals_a_dispute_held_back_get_their_confirmation_window_after_it() {
		ExtBuilder::default().build_and_execute(|| {
			let o = delivered_order();
			// Interval k settles at block 10 + 2k; Bob disputes interval 6 (k = 1) at block 4.
			jump_to_block(4);
			assert_ok!(freeze(o, range(6, 6)));
			// The dispute takes until block 40: every interval's settlement block has passed.
			jump_to_block(40);
			assert_ok!(rule(o, Some(Party::Seller)));
			// Interval 5 and the ruled 6 are settled; the seven held back are not, yet.
			let order = Orders::<Test>::get(o).expect("open");
			assert_eq!(order.settled, 2);
			assert_eq!(crate::Resumed::<Test>::get(o), Some(40));
			assert_eq!(
				Market::order_view(o).and_then(|v| v.next).map(|n| n.settles_at),
				Some(40 + CONFIRM_WINDOW)
			);
			assert_noop!(
				Market::settle(RuntimeOrigin::signed(charlie()), o, MAX_SETTLE),
				Error::<Test>::NothingDue
			);
			// So Bob can still dispute interval 7, which he could not check during the dispute.
			assert_ok!(freeze(o, range(7, 7)));
			jump_to_block(43);
			assert_ok!(rule(o, Some(Party::Buyer)));
			assert_eq!(crate::Resumed::<Test>::get(o), Some(43));
			// After the window, the rest settles by the ordinary rule (all delivered: paid).
			jump_to_block(43 + CONFIRM_WINDOW - 1);
			assert_noop!(
				Market::settle(RuntimeOrigin::signed(charlie()), o, MAX_SETTLE),
				Error::<Test>::NothingDue
			);
			jump_to_block(43 + CONFIRM_WINDOW);
			assert_ok!(Market::settle(RuntimeOrigin::signed(charlie()), o, MAX_SETTLE));
			assert_eq!(settled(&market_events()), vec![(2, 0), (0, 1), (7, 0)]);
			assert!(crate::Resumed::<Test>::get(o).is_none(), "gone with the closed order");
		});
	}

	#[test]
	fn a_closed_order_has_no_parties_and_nothing_to_freeze() {
		ExtBuilder::default().build_and_execute(|| {
			let o = delivered_order();
			let parties = <Market as ArbitrableOrders<AccountId>>::parties(o).expect("open");
			assert_eq!((parties.buyer, parties.seller, parties.stream), (bob(), alice(), STREAM));
			assert_ok!(Market::confirm(RuntimeOrigin::signed(bob()), o, MAX_SETTLE));
			jump_to_block(100);
			assert_ok!(Market::confirm(RuntimeOrigin::signed(bob()), o, MAX_SETTLE));
			assert!(<Market as ArbitrableOrders<AccountId>>::parties(o).is_none());
			assert_noop!(freeze(o, range(14, 14)), Error::<Test>::OrderClosed);
		});
	}
}

mod fuzz {
	use super::*;

	/// A small deterministic generator (xorshift64*), so that a failing seed replays.
	struct Rng(u64);
	impl Rng {
		fn next(&mut self) -> u64 {
			self.0 ^= self.0 >> 12;
			self.0 ^= self.0 << 25;
			self.0 ^= self.0 >> 27;
			self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
		}
		fn below(&mut self, n: u64) -> u64 {
			self.next() % n.max(1)
		}
	}

	/// One of `ids` (three times in four, if any), else any id up to `next`.
	fn pick(rng: &mut Rng, ids: Vec<u64>, next: u64) -> u64 {
		if !ids.is_empty() && rng.below(4) != 0 {
			ids[rng.below(ids.len() as u64) as usize]
		} else {
			rng.below(next + 1)
		}
	}

	#[test]
	fn random_calls_keep_every_invariant_and_every_unit_of_money() {
		let calls: u64 =
			std::env::var("MARKET_FUZZ_CALLS").ok().and_then(|s| s.parse().ok()).unwrap_or(10_000);
		let seed: u64 =
			std::env::var("MARKET_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(20261207);
		ExtBuilder::default().build_and_execute(|| {
			let mut rng = Rng(seed | 1);
			let people = [alice(), bob(), charlie(), dave(), ferdie()];
			for s in 0..3u64 {
				set_stream(s, &people[s as usize], 4);
				record(s, range(0, 3), 1);
			}
			let total = total_money();
			let issuance = Balances::total_issuance();
			let (mut ok, mut kinds) = (0u64, [0u64; 12]);
			let mut errors = std::collections::BTreeMap::<(usize, String), u64>::new();
			for step in 0..calls {
				let who = people[rng.below(5) as usize].clone();
				let stream = rng.below(3);
				// Mostly existing listings and orders; sometimes any id, gone or never made.
				let listing = pick(
					&mut rng,
					Listings::<Test>::iter_keys().collect(),
					crate::NextListingId::<Test>::get(),
				);
				let order_id = pick(
					&mut rng,
					Orders::<Test>::iter_keys().collect(),
					crate::NextOrderId::<Test>::get(),
				);
				let kind = rng.below(12) as usize;
				// Calls only a buyer may make go mostly to the buyer (the rest try a stranger).
				let who = match Orders::<Test>::get(order_id) {
					Some(o) if matches!(kind, 3 | 5 | 6 | 7) && rng.below(4) != 0 => o.buyer,
					_ => who,
				};
				let result = match kind {
					0 => {
						let next = MockStreams::next(stream);
						let kind = if rng.below(2) == 0 {
							let first = rng.below(next + 2);
							ListingKind::Range { intervals: range(first, first + rng.below(4)) }
						} else {
							ListingKind::Subscription {
								start: rng.below(next + 5),
								max_intervals: rng.below(30) as u32,
								interval_blocks: rng.below(4),
							}
						};
						// Mostly the stream's owner.
						let who =
							if rng.below(4) == 0 { who } else { people[stream as usize].clone() };
						create(&who, stream, kind, 1 + u128::from(rng.below(200)))
					}
					1 => Market::delist(RuntimeOrigin::signed(who), listing),
					2 => {
						// Mostly a span of the listing's kind, inside it, at a price the
						// buyer accepts, from someone other than the seller; sometimes anything.
						let l = Listings::<Test>::get(listing).filter(|_| rng.below(4) != 0);
						let (span, max_price, who) = match l {
							Some(l) => {
								let span = match l.kind {
									ListingKind::Range { intervals } => {
										let first = intervals.first
											+ rng.below(intervals.last - intervals.first + 1);
										OrderSpan::Range(range(
											first,
											first.max(intervals.last.min(first + rng.below(3))),
										))
									}
									ListingKind::Subscription { .. } => {
										OrderSpan::Next(1 + rng.below(4) as u32)
									}
								};
								let buyer = if who == l.seller { people[4].clone() } else { who };
								(span, l.price, buyer)
							}
							None => {
								let span = if rng.below(2) == 0 {
									let first = rng.below(8);
									OrderSpan::Range(range(first, first + rng.below(4)))
								} else {
									OrderSpan::Next(rng.below(MAX_INTERVALS as u64 + 2) as u32)
								};
								(span, u128::from(rng.below(400)), who)
							}
						};
						Market::place_order(RuntimeOrigin::signed(who), listing, span, max_price)
					}
					3 => Market::cancel_order(RuntimeOrigin::signed(who), order_id),
					4 => Market::settle(RuntimeOrigin::signed(who), order_id, rng.below(10) as u32)
						.map(|_| ())
						.map_err(|e| e.error),
					5 => {
						Market::confirm(RuntimeOrigin::signed(who), order_id, rng.below(10) as u32)
							.map(|_| ())
							.map_err(|e| e.error)
					}
					6 => Market::rate(RuntimeOrigin::signed(who), order_id, rng.below(7) as u8),
					7 => Market::remove_closed(RuntimeOrigin::signed(who), order_id),
					8 => {
						// The data side: a record of the stream's next intervals, a grant, or a
						// revocation.
						// The data side, mostly for an existing order (so that deliveries happen):
						// its stream's next intervals recorded, its intervals granted to its
						// buyer for a while, or every grant of someone revoked.
						let (stream, buyer, intervals) = match Orders::<Test>::get(order_id) {
							Some(o) => (o.stream, o.buyer, o.intervals),
							None => (stream, who.clone(), range(0, rng.below(10))),
						};
						let now = System::block_number();
						match rng.below(5) {
							0 | 1 => {
								let next = MockStreams::next(stream);
								record(stream, range(next, next + rng.below(3)), now)
							}
							2 | 3 => grant(&buyer, stream, intervals, now + 1 + rng.below(40)),
							_ => revoke_all(&who),
						}
						Ok(())
					}
					9 => {
						run_to_block(System::block_number() + 1 + rng.below(3));
						Ok(())
					}
					// The dispute pallet's side: freezing some intervals of an order, or ruling.
					10 => {
						let (first, len) = match Orders::<Test>::get(order_id) {
							Some(o) => (o.intervals.first + rng.below(4), rng.below(3)),
							None => (rng.below(10), rng.below(3)),
						};
						<Market as ArbitrableOrders<AccountId>>::freeze(
							order_id,
							range(first, first + len),
						)
					}
					_ => {
						// Disputes end: mostly a running one is ruled on.
						let running: Vec<OrderId> = Frozen::<Test>::iter()
							.filter(|(_, f)| f.ruling.is_none())
							.map(|(id, _)| id)
							.collect();
						let order_id = pick(&mut rng, running, order_id + 1);
						let ruling =
							[None, Some(Party::Buyer), Some(Party::Seller)][rng.below(3) as usize];
						<Market as ArbitrableOrders<AccountId>>::rule(order_id, ruling)
					}
				};
				match result {
					Ok(()) => {
						ok += 1;
						kinds[kind] += 1;
					}
					Err(e) => *errors.entry((kind, format!("{e:?}"))).or_default() += 1,
				}
				crate::Pallet::<Test>::do_try_state()
					.unwrap_or_else(|e| panic!("step {step} (seed {seed}): {e:?}"));
				assert_eq!(total_money(), total, "step {step} (seed {seed}): money moved out");
				assert_eq!(Balances::total_issuance(), issuance, "step {step}: issuance changed");
			}
			eprintln!("seed {seed}: {ok} of {calls} calls succeeded, by kind {kinds:?}");
			// The run reached every call, not only its errors.
			for (kind, n) in kinds.iter().enumerate() {
				assert!(
					*n > 0,
					"call kind {kind} never succeeded in {calls} calls: {kinds:?} {errors:#?}"
				);
			}
			assert!(ok > calls / 4, "only {ok} of {calls} calls succeeded: {errors:#?}");
		});
	}
}

/// The mock's streams, for the fuzz test.
impl MockStreams {
	fn next(stream: u64) -> u64 {
		StreamTable::get().into_iter().find(|s| s.0 == stream).map_or(0, |s| s.2)
	}
}

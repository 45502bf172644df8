//! The market on the real runtime, with the real data registry and access control behind it:
//! a subscription listed, ten intervals ordered into escrow, delivered by device-signed
//! records and a grant to the buyer, except two the seller never records; settlement pays the
//! seller eight and refunds the buyer two, with no dispute, and every unit of money is
//! accounted for. Then a quality dispute that a jury of RNodes rules on.

mod common;

use common::{append_signed, genesis_ext};
use cpchain_primitives::{
	access::UmbralKeys,
	data::{DeviceKey, IntervalRange, StreamParams},
	market::{runtime_decl_for_market_api::MarketApiV1, ListingKind, OrderSpan},
};
use cpchain_runtime::{
	configs::market::{ConfirmWindow, DeliveryWindow},
	AccessControl, AccountId, Balance, Balances, Block, BlockNumber, DataRegistry, Market, Runtime,
	RuntimeOrigin, System, CPC,
};
use frame_support::{
	assert_noop, assert_ok,
	traits::fungible::{Inspect, InspectHold, Mutate},
	BoundedVec,
};
use sp_core::{crypto::Pair as _, sr25519, H256};
use sp_genesis_builder::DEV_RUNTIME_PRESET;
use sp_keyring::Sr25519Keyring;

fn signed(who: &Sr25519Keyring) -> RuntimeOrigin {
	RuntimeOrigin::signed(who.to_account_id())
}

/// `proxy` (funded for its bond here) registers as a re-encryption proxy, Alice and Bob publish
/// Umbral keys, and Alice grants Bob `intervals` of stream 0 through the proxy, until block
/// 100,000 (well past any settlement of the tests).
fn grant_through_proxy(proxy: &Sr25519Keyring, intervals: IntervalRange) {
	let (alice, bob) = (Sr25519Keyring::Alice, Sr25519Keyring::Bob);
	let bond = cpchain_runtime::configs::data::ProxyBond::get();
	Balances::mint_into(&proxy.to_account_id(), 2 * bond).expect("mints");
	let mut peer_id = vec![0x12, 0x20];
	peer_id.extend([7u8; 32]);
	let mut key = [9u8; 33];
	key[0] = 0x03;
	assert_ok!(AccessControl::register_proxy(
		signed(proxy),
		BoundedVec::truncate_from(peer_id),
		key
	));
	let umbral = |fill: u8| {
		let (mut public, mut verifying) = ([fill; 33], [fill + 1; 33]);
		(public[0], verifying[0]) = (0x02, 0x03);
		UmbralKeys { public, verifying }
	};
	assert_ok!(AccessControl::set_umbral_keys(signed(&alice), umbral(10)));
	assert_ok!(AccessControl::set_umbral_keys(signed(&bob), umbral(20)));
	assert_ok!(AccessControl::grant(
		signed(&alice),
		0,
		bob.to_account_id(),
		intervals,
		100_000,
		BoundedVec::truncate_from(vec![proxy.to_account_id()]),
		1,
	));
}

#[test]
fn a_seller_missing_two_of_ten_intervals_is_paid_eight_and_the_buyer_refunded_two() {
	genesis_ext(DEV_RUNTIME_PRESET).execute_with(|| {
		let (alice, bob, charlie) =
			(Sr25519Keyring::Alice, Sr25519Keyring::Bob, Sr25519Keyring::Charlie);
		let device = sr25519::Pair::from_string("//market-device", None).expect("valid seed");
		assert_ok!(DataRegistry::register_device(
			signed(&alice),
			DeviceKey::Sr25519(device.public()),
			BoundedVec::truncate_from(b"air quality, lab 3".to_vec()),
		));
		assert_ok!(DataRegistry::create_stream(
			signed(&alice),
			0,
			BoundedVec::truncate_from(b"pm2.5".to_vec()),
			BoundedVec::truncate_from(b"ug-m3-f32".to_vec()),
			StreamParams { period_ms: 6_000, encryption_interval: 1, upload_interval: 1 },
		));

		// Alice lists the stream's next ten intervals, one every 2 blocks, 1 CPC each.
		let price = CPC;
		let kind = ListingKind::Subscription { start: 0, max_intervals: 10, interval_blocks: 2 };
		assert_ok!(Market::create_listing(
			signed(&alice),
			0,
			kind,
			price,
			BoundedVec::truncate_from(b"PM2.5, lab 3".to_vec()),
			BoundedVec::truncate_from(b"every 6 s".to_vec()),
			BoundedVec::truncate_from(vec![BoundedVec::truncate_from(b"pm2.5".to_vec())]),
			H256::repeat_byte(7),
			None,
		));
		// Not for sale by anyone else, and not to Alice herself.
		assert_noop!(
			Market::place_order(signed(&alice), 0, OrderSpan::Next(10), price),
			pallet_market::Error::<Runtime>::OwnListing
		);

		// Bob orders all ten: 10 CPC in escrow.
		let escrow = || {
			Balances::balance_on_hold(
				&pallet_market::HoldReason::Escrow.into(),
				&bob.to_account_id(),
			)
		};
		let bob_before = Balances::balance(&bob.to_account_id());
		assert_ok!(Market::place_order(signed(&bob), 0, OrderSpan::Next(10), price));
		assert_eq!(escrow(), 10 * price);
		let deposit = cpchain_runtime::configs::market::OrderDeposit::get();
		assert_eq!(Balances::balance(&bob.to_account_id()), bob_before - 10 * price - deposit);

		// Delivery: Charlie is the proxy, both parties publish Umbral keys, Alice grants Bob
		// the ten intervals well past their settlement.
		grant_through_proxy(&charlie, IntervalRange { first: 0, last: 9 });
		let issuance = Balances::total_issuance();
		let alice_paid_so_far = Balances::balance(&alice.to_account_id());

		// The device records every interval in its slot except 3 and 6.
		let mut prev = H256::zero();
		let mut index = 0;
		for interval in 0..10u64 {
			System::set_block_number(1 + 2 * (interval as u32 + 1));
			if interval != 3 && interval != 6 {
				prev = append_signed(
					&device,
					index,
					IntervalRange { first: interval, last: interval },
					prev,
				);
				index += 1;
			}
		}
		let record_deposits = alice_paid_so_far - Balances::balance(&alice.to_account_id());

		// Nothing settles before the last interval's settlement block but what is due.
		let last = 1 + 2 * 10 + DeliveryWindow::get() + ConfirmWindow::get();
		System::set_block_number(last - 1);
		assert_ok!(Market::settle(signed(&charlie), 0, 16));
		assert!(pallet_market::Orders::<Runtime>::get(0).is_some_and(|o| o.settled == 9));
		System::set_block_number(last);
		assert_ok!(Market::settle(signed(&charlie), 0, 16));

		// Eight paid to Alice, two refunded to Bob; the escrow is empty and the order closed.
		// What wallets read, through the runtime API:
		let view = <Runtime as MarketApiV1<Block, AccountId, Balance, BlockNumber>>::order(0)
			.expect("closed, kept for rating");
		assert_eq!(
			(view.paid, view.refunded, view.held, view.next),
			(8 * price, 2 * price, 0, None)
		);
		let page =
			<Runtime as MarketApiV1<Block, AccountId, Balance, BlockNumber>>::listings(0, 10);
		assert_eq!(
			(page.items.len(), page.items[0].seller.clone(), page.next),
			(1, alice.to_account_id(), None)
		);
		let order = pallet_market::Orders::<Runtime>::get(0).expect("closed, kept for rating");
		assert_eq!((order.paid, order.refunded, order.held), (8 * price, 2 * price, 0));
		assert!(matches!(order.status, pallet_market::OrderStatus::Closed(_)));
		assert_eq!(escrow(), 0);
		assert_eq!(
			Balances::balance(&alice.to_account_id()),
			alice_paid_so_far - record_deposits + 8 * price
		);
		let keys = cpchain_runtime::configs::data::KeyDeposit::get();
		assert_eq!(
			Balances::balance(&bob.to_account_id()),
			bob_before - 10 * price - deposit + 2 * price - keys
		);
		// Direct dispatch pays no fees: the issuance did not move.
		assert_eq!(Balances::total_issuance(), issuance);

		// Bob rates Alice; the order goes and his deposit comes back.
		assert_ok!(Market::rate(signed(&bob), 0, 4));
		assert!(pallet_market::Orders::<Runtime>::get(0).is_none());
		assert_eq!(Market::rating_of(&alice.to_account_id()), (1, 400));
		assert_eq!(
			<Runtime as MarketApiV1<Block, AccountId, Balance, BlockNumber>>::rating(
				alice.to_account_id()
			),
			(1, 400)
		);
		assert_eq!(
			<Runtime as MarketApiV1<Block, AccountId, Balance, BlockNumber>>::order(0),
			None
		);
		#[cfg(feature = "try-runtime")]
		assert_ok!(Market::do_try_state());
	});
}

/// A quality dispute on the real runtime: Bob disputes two of four delivered intervals, Alice
/// matches the fee, a jury of three RNodes is drawn with DPoR's randomness, votes for Bob; the
/// two intervals are refunded, the other two paid, Alice's fee pays the jurors, and every unit
/// of money is accounted for.
#[test]
fn a_quality_dispute_goes_to_a_jury_that_rules_for_the_buyer() {
	use cpchain_primitives::dispute::Party;
	use cpchain_runtime::{
		configs::dispute::{AppealPeriod, CommitPeriod, JurorStake, RevealPeriod},
		Dispute, Reputation,
	};
	use frame_support::traits::Hooks;

	genesis_ext(DEV_RUNTIME_PRESET).execute_with(|| {
		let (alice, bob) = (Sr25519Keyring::Alice, Sr25519Keyring::Bob);
		let device = sr25519::Pair::from_string("//dispute-device", None).expect("valid seed");
		assert_ok!(DataRegistry::register_device(
			signed(&alice),
			DeviceKey::Sr25519(device.public()),
			BoundedVec::truncate_from(b"air quality, lab 4".to_vec()),
		));
		assert_ok!(DataRegistry::create_stream(
			signed(&alice),
			0,
			BoundedVec::truncate_from(b"pm10".to_vec()),
			BoundedVec::truncate_from(b"ug-m3-f32".to_vec()),
			StreamParams { period_ms: 6_000, encryption_interval: 1, upload_interval: 1 },
		));
		let mut prev = H256::zero();
		for interval in 0..4u64 {
			prev = append_signed(
				&device,
				interval,
				IntervalRange { first: interval, last: interval },
				prev,
			);
		}
		// Four RNodes besides Alice (the dev chain's only genesis RNode), with reputation as a
		// term's recomputation would give them.
		let rnode_bond = cpchain_runtime::configs::reputation::RNodeBond::get();
		let jurors = [
			Sr25519Keyring::Charlie,
			Sr25519Keyring::Dave,
			Sr25519Keyring::Eve,
			Sr25519Keyring::Ferdie,
		];
		for j in &jurors {
			Balances::mint_into(&j.to_account_id(), rnode_bond + 10 * JurorStake::get())
				.expect("mints");
			assert_ok!(Reputation::bond(signed(j), rnode_bond));
			pallet_reputation::Reputations::<Runtime>::insert(j.to_account_id(), 100);
		}

		// Alice sells intervals 0..=3 at 1 CPC; Bob buys them all and she grants them.
		let price = CPC;
		assert_ok!(Market::create_listing(
			signed(&alice),
			0,
			ListingKind::Range { intervals: IntervalRange { first: 0, last: 3 } },
			price,
			BoundedVec::truncate_from(b"PM10, lab 4".to_vec()),
			Default::default(),
			Default::default(),
			H256::repeat_byte(7),
			None,
		));
		assert_ok!(Market::place_order(
			signed(&bob),
			0,
			OrderSpan::Range(IntervalRange { first: 0, last: 3 }),
			price
		));
		grant_through_proxy(&Sr25519Keyring::AliceStash, IntervalRange { first: 0, last: 3 });

		let people: Vec<AccountId> =
			[alice, bob].iter().chain(jurors.iter()).map(|k| k.to_account_id()).collect();
		let total = || people.iter().map(Balances::total_balance).sum::<Balance>();
		let (total0, issuance0) = (total(), Balances::total_issuance());
		let (alice0, bob0) =
			(Balances::balance(&alice.to_account_id()), Balances::balance(&bob.to_account_id()));

		// Bob says intervals 1 and 2 are garbage; Alice says they are fine and pays too (she
		// has a day to; she answers at once).
		assert_ok!(Dispute::open_dispute(signed(&bob), 0, IntervalRange { first: 1, last: 2 }));
		assert_ok!(Dispute::fund(signed(&alice), 0));
		let fee = 3 * cpchain_runtime::configs::dispute::FeePerJuror::get();
		let Some(pallet_dispute::Phase::Evidence { draw_at }) =
			pallet_dispute::Disputes::<Runtime>::get(0).map(|d| d.phase)
		else {
			panic!("funded")
		};
		// Settlement waits for the ruling: nothing moves, whoever asks.
		let view = <Runtime as MarketApiV1<Block, AccountId, Balance, BlockNumber>>::order(0)
			.expect("open");
		assert_eq!(view.disputed, Some(IntervalRange { first: 1, last: 2 }));

		System::set_block_number(draw_at);
		Dispute::on_initialize(draw_at);
		let drawn: Vec<AccountId> =
			pallet_dispute::Jurors::<Runtime>::iter_prefix(0).map(|(who, _)| who).collect();
		assert_eq!(drawn.len(), 3);
		assert!(drawn.iter().all(|j| *j != alice.to_account_id() && *j != bob.to_account_id()));

		// The jury looks at the evidence and votes for Bob, each under its own salt.
		for j in &drawn {
			let c = pallet_dispute::commitment(0, 0, j, Party::Buyer, &[3; 32]);
			assert_ok!(Dispute::commit_vote(RuntimeOrigin::signed(j.clone()), 0, c));
		}
		let commit_until = draw_at + CommitPeriod::get();
		System::set_block_number(commit_until);
		for j in &drawn {
			assert_ok!(Dispute::reveal_vote(
				RuntimeOrigin::signed(j.clone()),
				0,
				Party::Buyer,
				[3; 32]
			));
		}
		System::set_block_number(commit_until + RevealPeriod::get());
		assert_ok!(Dispute::advance(signed(&bob), 0));
		let ruled_at = System::block_number();
		System::set_block_number(ruled_at + AppealPeriod::get());
		assert_ok!(Dispute::advance(signed(&bob), 0));

		// The ruling took days; the order's intervals were due long before. The ruling settled
		// 0 (paid: recorded and granted) and the disputed 1 and 2 (refunded) at once; 3, which
		// the dispute held back, gets its confirmation window from now, then is paid.
		let ended = System::block_number();
		assert!(
			ended > 1 + DeliveryWindow::get() + ConfirmWindow::get(),
			"the intervals were due before the ruling"
		);
		let order = pallet_market::Orders::<Runtime>::get(0).expect("open");
		assert_eq!((order.paid, order.refunded, order.held), (price, 2 * price, price));
		assert!(pallet_market::Frozen::<Runtime>::get(0).is_none());
		System::set_block_number(ended + ConfirmWindow::get());
		assert_ok!(Market::settle(signed(&bob), 0, 16));
		let order = pallet_market::Orders::<Runtime>::get(0).expect("closed, kept for rating");
		assert_eq!((order.paid, order.refunded, order.held), (2 * price, 2 * price, 0));
		// Bob paid for the two good intervals and got his fee back; Alice was paid for them and
		// lost her fee to the three jurors, who voted with the ruling and keep their stakes.
		assert_eq!(Balances::balance(&bob.to_account_id()), bob0 + 2 * price);
		assert_eq!(Balances::balance(&alice.to_account_id()), alice0 + 2 * price - fee);
		for j in &drawn {
			assert_eq!(
				Balances::balance(j),
				10 * JurorStake::get() + fee / 3,
				"{j} earned a third of the fee"
			);
		}
		assert_eq!((total(), Balances::total_issuance()), (total0, issuance0));
		#[cfg(feature = "try-runtime")]
		{
			assert_ok!(Market::do_try_state());
			assert_ok!(Dispute::do_try_state());
		}
	});
}

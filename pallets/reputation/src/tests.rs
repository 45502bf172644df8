//! Unit tests of the reputation pallet on the mock runtime.

use crate::{mock::*, testing_utils::*, *};
use frame_support::{assert_noop, traits::fungible::InspectHold};
use sp_runtime::{DispatchError, Percent};

fn held(who: AccountId) -> Balance {
	<Balances as InspectHold<AccountId>>::balance_on_hold(&HoldReason::RNodeBond.into(), &who)
}

fn free(who: AccountId) -> Balance {
	pallet_balances::Pallet::<Test>::free_balance(who)
}

fn reputation(who: AccountId) -> u32 {
	<Reputation as ReputationProvider<AccountId>>::reputation(&who)
}

fn event(e: Event<Test>) {
	System::assert_last_event(RuntimeEvent::Reputation(e));
}

#[test]
fn bond_holds_the_amount_and_admits_an_rnode() {
	ExtBuilder::default().build_and_execute(|| {
		assert_bond(1, 150);
		assert_eq!(held(1), 150);
		assert_eq!(free(1), ENDOWMENT - 150);
		assert!(Reputation::is_rnode(&1));
		assert_eq!(RNodes::<Test>::get().to_vec(), vec![1]);
		event(Event::Bonded { who: 1, amount: 150 });
	});
}

#[test]
fn bond_rejects_bad_input_and_changes_nothing() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(Reputation::bond(RuntimeOrigin::signed(1), 0), Error::<Test>::ZeroAmount);
		assert_noop!(
			Reputation::bond(RuntimeOrigin::signed(1), MIN_BOND - 1),
			Error::<Test>::BondTooLow
		);
		assert_noop!(
			Reputation::bond(RuntimeOrigin::signed(PAUPER), MIN_BOND),
			Error::<Test>::InsufficientBalance
		);
		assert_noop!(
			Reputation::bond(RuntimeOrigin::signed(1), ENDOWMENT + 1),
			Error::<Test>::InsufficientBalance
		);
		assert_noop!(Reputation::bond(RuntimeOrigin::none(), MIN_BOND), DispatchError::BadOrigin);
		assert_bond(1, MIN_BOND);
		assert_noop!(
			Reputation::bond(RuntimeOrigin::signed(1), MIN_BOND),
			Error::<Test>::AlreadyRNode
		);
	});
}

#[test]
fn the_rnode_list_is_bounded() {
	ExtBuilder::default().build_and_execute(|| {
		for who in 1..=4 {
			assert_bond(who, MIN_BOND);
		}
		assert_noop!(
			Reputation::bond(RuntimeOrigin::signed(5), MIN_BOND),
			Error::<Test>::TooManyRNodes
		);
		assert_eq!(held(5), 0);
	});
}

#[test]
fn bond_extra_adds_to_the_hold() {
	ExtBuilder::default().rnodes(vec![(1, MIN_BOND)]).build_and_execute(|| {
		assert_bond_extra(1, 50);
		assert_eq!(held(1), MIN_BOND + 50);
		assert_eq!(Ledgers::<Test>::get(1).map(|l| l.active), Some(MIN_BOND + 50));
		event(Event::BondedExtra { who: 1, amount: 50 });

		assert_noop!(
			Reputation::bond_extra(RuntimeOrigin::signed(1), 0),
			Error::<Test>::ZeroAmount
		);
		assert_noop!(Reputation::bond_extra(RuntimeOrigin::signed(2), 50), Error::<Test>::NotRNode);
		assert_noop!(
			Reputation::bond_extra(RuntimeOrigin::signed(1), ENDOWMENT),
			Error::<Test>::InsufficientBalance
		);
	});
}

#[test]
fn partial_unbond_keeps_the_rnode_and_the_hold_until_withdrawn() {
	ExtBuilder::default().rnodes(vec![(1, 300)]).build_and_execute(|| {
		assert_unbond(1, 100);
		let unlock_at = 1 + UNBOND_DELAY;
		event(Event::Unbonded { who: 1, amount: 100, unlock_at });
		assert!(Reputation::is_rnode(&1));
		assert_eq!(held(1), 300, "unbonding funds stay on hold");

		run_to_block(unlock_at - 1);
		assert_noop!(
			Reputation::withdraw_unbonded(RuntimeOrigin::signed(1)),
			Error::<Test>::NothingToWithdraw
		);
		run_to_block(unlock_at);
		assert_withdraw_unbonded(1);
		event(Event::Withdrawn { who: 1, amount: 100 });
		assert_eq!(held(1), 200);
		assert_eq!(free(1), ENDOWMENT - 200);
		assert!(Ledgers::<Test>::get(1).is_some_and(|l| l.unlocking.is_empty()));
	});
}

#[test]
fn full_unbond_ends_the_rnode_at_once_and_withdraw_removes_the_ledger() {
	ExtBuilder::default().rnodes(vec![(1, 300), (2, 300)]).build_and_execute(|| {
		assert_unbond(1, 300);
		assert!(!Reputation::is_rnode(&1));
		assert_eq!(RNodes::<Test>::get().to_vec(), vec![2]);
		assert_eq!(reputation(1), 0);
		event(Event::RNodeLeft { who: 1 });
		assert_noop!(Reputation::unbond(RuntimeOrigin::signed(1), 1), Error::<Test>::NotRNode);

		run_to_block(1 + UNBOND_DELAY);
		assert_withdraw_unbonded(1);
		assert!(Ledgers::<Test>::get(1).is_none());
		assert_eq!(held(1), 0);
		assert_eq!(free(1), ENDOWMENT);
		assert_noop!(
			Reputation::withdraw_unbonded(RuntimeOrigin::signed(1)),
			Error::<Test>::NoLedger
		);
	});
}

#[test]
fn unbond_rejects_bad_input() {
	ExtBuilder::default().rnodes(vec![(1, 300)]).build_and_execute(|| {
		assert_noop!(Reputation::unbond(RuntimeOrigin::signed(1), 0), Error::<Test>::ZeroAmount);
		assert_noop!(Reputation::unbond(RuntimeOrigin::signed(2), 10), Error::<Test>::NotRNode);
		assert_noop!(
			Reputation::unbond(RuntimeOrigin::signed(1), 301),
			Error::<Test>::NotEnoughBonded
		);
		// 300 - 250 = 50 would stay active, below the minimum of 100.
		assert_noop!(Reputation::unbond(RuntimeOrigin::signed(1), 250), Error::<Test>::BondTooLow);
		assert_unbond(1, 10);
		assert_unbond(1, 10);
		assert_noop!(
			Reputation::unbond(RuntimeOrigin::signed(1), 10),
			Error::<Test>::TooManyUnlockingChunks
		);
	});
}

#[test]
fn committee_members_cannot_unbond() {
	ExtBuilder::default().rnodes(vec![(1, 300)]).build_and_execute(|| {
		CommitteeMembers::set(vec![1]);
		assert_noop!(Reputation::unbond(RuntimeOrigin::signed(1), 300), Error::<Test>::InCommittee);
		CommitteeMembers::set(vec![]);
		assert_unbond(1, 300);
	});
}

#[test]
fn an_account_can_bond_again_while_its_old_bond_unlocks() {
	ExtBuilder::default().rnodes(vec![(1, 300)]).build_and_execute(|| {
		assert_unbond(1, 300);
		assert_bond(1, 200);
		assert!(Reputation::is_rnode(&1));
		assert_eq!(held(1), 500);
		run_to_block(1 + UNBOND_DELAY);
		assert_withdraw_unbonded(1);
		assert_eq!(held(1), 200);
		assert!(Reputation::is_rnode(&1));
	});
}

#[test]
fn set_weights_is_root_only_and_validated() {
	ExtBuilder::default().build_and_execute(|| {
		let weights = ReputationWeights {
			bond: 10,
			activity: 0,
			maintenance: 0,
			data: 90,
			proxy: 0,
			penalty_per_point: Percent::from_percent(50),
		};
		assert_noop!(
			Reputation::set_weights(RuntimeOrigin::signed(1), weights),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Reputation::set_weights(
				RuntimeOrigin::root(),
				ReputationWeights { bond: 101, ..weights }
			),
			Error::<Test>::InvalidWeights
		);
		let zero = ReputationWeights { bond: 0, data: 0, ..weights };
		assert_noop!(
			Reputation::set_weights(RuntimeOrigin::root(), zero),
			Error::<Test>::InvalidWeights
		);
		assert_set_weights(weights);
		assert_eq!(Weights::<Test>::get(), weights);
		event(Event::WeightsSet { weights });
	});
}

#[test]
fn genesis_rnodes_are_bonded_and_equal() {
	ExtBuilder::default().rnodes(vec![(1, 100), (2, 500)]).build_and_execute(|| {
		assert_eq!(held(1), 100);
		assert_eq!(held(2), 500);
		assert_eq!(reputation(1), 5_000);
		assert_eq!(reputation(2), 5_000);
		assert_eq!(RNodes::<Test>::get().to_vec(), vec![1, 2]);
	});
}

#[test]
fn signals_count_for_rnodes_only() {
	// A bond well above the minimum: the equivocation below also burns 10% of it.
	ExtBuilder::default().rnodes(vec![(1, 200)]).build_and_execute(|| {
		<Reputation as ReputationSink<AccountId>>::note(&1, Signal::BlockAuthored);
		<Reputation as ReputationSink<AccountId>>::note(&1, Signal::SlotMissed);
		<Reputation as ReputationSink<AccountId>>::note(&1, Signal::DataContributed(3));
		<Reputation as ReputationSink<AccountId>>::note(&1, Signal::DataSold(2));
		<Reputation as ReputationSink<AccountId>>::note(&1, Signal::ProxyServed(7));
		<Reputation as ReputationSink<AccountId>>::note(&2, Signal::DataContributed(9));
		assert_eq!(
			Activities::<Test>::get(1),
			Activity { authored: 1, missed: 1, data: 5, proxy: 7, penalty_points: 0 }
		);
		assert_eq!(Activities::<Test>::get(2), Activity::default());
		assert_eq!(Activities::<Test>::iter().count(), 1, "nothing stored for non-RNodes");

		<Reputation as ReputationSink<AccountId>>::note(&1, Signal::Equivocated);
		let penalised = RuntimeEvent::Reputation(Event::Penalised {
			who: 1,
			signal: Signal::Equivocated,
			points: 5,
		});
		assert!(System::events().iter().any(|r| r.event == penalised));
		event(Event::Slashed { who: 1, amount: 20 });
		<Reputation as ReputationSink<AccountId>>::note(&1, Signal::DisputeLost);
		<Reputation as ReputationSink<AccountId>>::note(&1, Signal::Impeached);
		assert_eq!(Activities::<Test>::get(1).penalty_points, 8);
	});
}

#[test]
fn recompute_ranks_every_dimension() {
	ExtBuilder::default().build_and_execute(|| {
		// 1: biggest bond. 2: most data. 3: most proxy service and all its slots. 4: busiest.
		assert_bond(1, 400);
		assert_bond(2, 200);
		assert_bond(3, 200);
		assert_bond(4, 100);
		let note = <Reputation as ReputationSink<AccountId>>::note;
		note(&2, Signal::DataContributed(10));
		note(&3, Signal::ProxyServed(4));
		note(&3, Signal::BlockAuthored);
		note(&1, Signal::BlockAuthored);
		note(&1, Signal::SlotMissed);
		for _ in 0..3 {
			frame_system::Pallet::<Test>::inc_account_nonce(4);
		}

		let weight = <Reputation as ReputationProvider<AccountId>>::recompute();
		assert_eq!(weight, <() as WeightInfo>::recompute(4));
		event(Event::ReputationsRecomputed { rnodes: 4 });

		// bond ranks: 1 → 100, 2 and 3 share 75, 4 → 25.
		// activity: 4 → 100, the others sent nothing → 0.
		// maintenance: 3 (100%) → 100, 1 (50%) → 75, 2 and 4 (no slot) → 0.
		// data: 2 → 100, the rest 0. proxy: 3 → 100, the rest 0.
		// weights 50/15/10/15/10.
		assert_eq!(reputation(1), 50 * 100 + 10 * 75);
		assert_eq!(reputation(2), 50 * 75 + 15 * 100);
		assert_eq!(reputation(3), 50 * 75 + 10 * 100 + 10 * 100);
		assert_eq!(reputation(4), 50 * 25 + 15 * 100);

		// A new window: counters restart and the nonce mark moves on.
		assert!(Activities::<Test>::iter().all(|(_, a)| a == Activity::default()));
		assert_eq!(Ledgers::<Test>::get(4).map(|l| l.nonce_mark), Some(3));
	});
}

#[test]
fn penalties_lower_reputation_and_decay() {
	ExtBuilder::default().rnodes(vec![(1, 100), (2, 100)]).build_and_execute(|| {
		let note = <Reputation as ReputationSink<AccountId>>::note;
		note(&1, Signal::DisputeLost);
		note(&1, Signal::DisputeLost);
		<Reputation as ReputationProvider<AccountId>>::recompute();
		// Equal bonds, nothing else: 50 × 100 each, minus 4 points × 20% for account 1.
		assert_eq!(reputation(2), 5_000);
		assert_eq!(reputation(1), 1_000);
		assert_eq!(Activities::<Test>::get(1).penalty_points, 2);
		<Reputation as ReputationProvider<AccountId>>::recompute();
		assert_eq!(reputation(1), 3_000);
		<Reputation as ReputationProvider<AccountId>>::recompute();
		assert_eq!(reputation(1), 4_000);
		<Reputation as ReputationProvider<AccountId>>::recompute();
		assert_eq!(reputation(1), 5_000);
	});
}

#[test]
fn heavy_penalties_take_reputation_to_zero() {
	// Bonds above the minimum, so that the equivocation's slash leaves 1 an RNode.
	ExtBuilder::default().rnodes(vec![(1, 200), (2, 200)]).build_and_execute(|| {
		<Reputation as ReputationSink<AccountId>>::note(&1, Signal::Equivocated);
		<Reputation as ReputationProvider<AccountId>>::recompute();
		assert_eq!(reputation(1), 0);
		assert!(Reputation::is_rnode(&1));
	});
}

#[test]
fn recompute_with_no_rnodes_is_harmless() {
	ExtBuilder::default().build_and_execute(|| {
		<Reputation as ReputationProvider<AccountId>>::recompute();
		event(Event::ReputationsRecomputed { rnodes: 0 });
	});
}

fn issuance() -> Balance {
	pallet_balances::Pallet::<Test>::total_issuance()
}

#[test]
fn an_equivocation_burns_a_tenth_of_the_bond() {
	ExtBuilder::default().rnodes(vec![(1, 300)]).build_and_execute(|| {
		let before = issuance();
		<Reputation as ReputationSink<AccountId>>::note(&1, Signal::Equivocated);
		assert_eq!(held(1), 270);
		assert_eq!(issuance(), before - 30, "burnt, not moved");
		assert_eq!(Ledgers::<Test>::get(1).expect("a ledger").active, 270);
		assert!(Reputation::is_rnode(&1));
		assert!(System::events()
			.iter()
			.any(|r| r.event == RuntimeEvent::Reputation(Event::Slashed { who: 1, amount: 30 })));
		// Each proven equivocation costs again.
		<Reputation as ReputationSink<AccountId>>::note(&1, Signal::Equivocated);
		assert_eq!(held(1), 243);
	});
}

#[test]
fn an_equivocator_below_the_minimum_leaves_and_the_rest_of_its_bond_unlocks() {
	ExtBuilder::default().rnodes(vec![(1, MIN_BOND)]).build_and_execute(|| {
		<Reputation as ReputationSink<AccountId>>::note(&1, Signal::Equivocated);
		assert_eq!(held(1), 90);
		assert!(!Reputation::is_rnode(&1));
		assert!(!RNodes::<Test>::get().contains(&1));
		let ledger = Ledgers::<Test>::get(1).expect("a ledger");
		assert_eq!(ledger.active, 0);
		assert_eq!(
			ledger.unlocking.to_vec(),
			vec![UnlockChunk { amount: 90, unlock_at: 1 + UNBOND_DELAY }]
		);
		run_to_block(1 + UNBOND_DELAY);
		assert_withdraw_unbonded(1);
		assert_eq!(held(1), 0);
		assert_eq!(free(1), ENDOWMENT - 10);
	});
}

#[test]
fn unbonding_after_equivocating_does_not_escape_the_slash() {
	ExtBuilder::default().rnodes(vec![(1, 300)]).build_and_execute(|| {
		assert_unbond(1, 300);
		assert!(!Reputation::is_rnode(&1));
		// The report lands after the equivocator unbonded everything: the unlocking bond pays.
		<Reputation as ReputationSink<AccountId>>::note(&1, Signal::Equivocated);
		assert_eq!(held(1), 270);
		let ledger = Ledgers::<Test>::get(1).expect("a ledger");
		assert_eq!(ledger.unlocking[0].amount, 270);
	});
}

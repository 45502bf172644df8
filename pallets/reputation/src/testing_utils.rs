//! Call helpers of the tests: each `assert_<call>` snapshots the pallet's whole state and the
//! funds of every test account, dispatches the call (which must succeed), snapshots again and
//! checks that the call changed exactly what it should and emitted its events.
//!
//! The expected snapshot is built from the first one by hand and compared whole, so a call
//! that also changes something it should not fails the helper, not only a call that forgets
//! part of its work (the shape of Astar's `testing_utils`).

use crate::{
	mock::*, Activities, Activity, Event, HoldReason, LedgerOf, Ledgers, RNodes, ReputationWeights,
	Reputations, UnlockChunk, Weights,
};
use alloc::collections::BTreeMap;
use cpchain_pallet_test_utils::{assert_transition, StateSnapshot};
use cpchain_primitives::reputation::ReputationScore;
use frame_support::traits::fungible::{Inspect, InspectHold};

/// A ledger, comparable (`Ledger`'s chunk bound is a type without `PartialEq`).
#[derive(Clone, Debug, PartialEq)]
pub struct LedgerState {
	pub active: Balance,
	pub unlocking: Vec<UnlockChunk<Balance, u64>>,
	pub nonce_mark: u32,
}

impl From<LedgerOf<Test>> for LedgerState {
	fn from(l: LedgerOf<Test>) -> Self {
		Self { active: l.active, unlocking: l.unlocking.into_inner(), nonce_mark: l.nonce_mark }
	}
}

/// The pallet's whole state, and the free and bonded funds of every test account.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
	pub ledgers: BTreeMap<AccountId, LedgerState>,
	pub rnodes: Vec<AccountId>,
	pub activities: BTreeMap<AccountId, Activity>,
	pub reputations: BTreeMap<AccountId, ReputationScore>,
	pub weights: ReputationWeights,
	/// (free, held for the bond) of accounts 1..=6 and `PAUPER`.
	pub funds: BTreeMap<AccountId, (Balance, Balance)>,
}

impl StateSnapshot for Snapshot {
	fn take() -> Self {
		Self {
			ledgers: Ledgers::<Test>::iter().map(|(who, l)| (who, l.into())).collect(),
			rnodes: RNodes::<Test>::get().into_inner(),
			activities: Activities::<Test>::iter().collect(),
			reputations: Reputations::<Test>::iter().collect(),
			weights: Weights::<Test>::get(),
			funds: (1..=6)
				.chain([PAUPER])
				.map(|who| {
					let held = Balances::balance_on_hold(
						&RuntimeHoldReason::Reputation(HoldReason::RNodeBond),
						&who,
					);
					(who, (Balances::balance(&who), held))
				})
				.collect(),
		}
	}
}

impl Snapshot {
	/// Moves `amount` of `who`'s funds from free to held (or back, with `hold` false).
	fn move_funds(&mut self, who: AccountId, amount: Balance, hold: bool) {
		let (free, held) = self.funds.get_mut(&who).expect("a test account");
		if hold {
			*free -= amount;
			*held += amount;
		} else {
			*free += amount;
			*held -= amount;
		}
	}
}

/// `who` bonds `amount` and becomes an RNode (keeping any chunks still unlocking).
pub fn assert_bond(who: AccountId, amount: Balance) {
	let nonce_mark = System::account_nonce(who);
	assert_transition(
		Snapshot::take(),
		|| Reputation::bond(RuntimeOrigin::signed(who), amount),
		|s| {
			let ledger = s.ledgers.entry(who).or_insert_with(|| LedgerState {
				active: 0,
				unlocking: Vec::new(),
				nonce_mark,
			});
			ledger.active = amount;
			ledger.nonce_mark = nonce_mark;
			s.rnodes.push(who);
			s.move_funds(who, amount, true);
		},
	);
	System::assert_last_event(Event::Bonded { who, amount }.into());
}

/// RNode `who` adds `amount` to its bond.
pub fn assert_bond_extra(who: AccountId, amount: Balance) {
	assert_transition(
		Snapshot::take(),
		|| Reputation::bond_extra(RuntimeOrigin::signed(who), amount),
		|s| {
			s.ledgers.get_mut(&who).expect("bonded").active += amount;
			s.move_funds(who, amount, true);
		},
	);
	System::assert_last_event(Event::BondedExtra { who, amount }.into());
}

/// RNode `who` starts unbonding `amount`; unbonding everything ends its RNode status.
pub fn assert_unbond(who: AccountId, amount: Balance) {
	let unlock_at = System::block_number() + UNBOND_DELAY;
	let before = Snapshot::take();
	let leaves = before.ledgers[&who].active == amount;
	assert_transition(
		before,
		|| Reputation::unbond(RuntimeOrigin::signed(who), amount),
		|s| {
			let ledger = s.ledgers.get_mut(&who).expect("bonded");
			ledger.active -= amount;
			ledger.unlocking.push(UnlockChunk { amount, unlock_at });
			if leaves {
				s.rnodes.retain(|r| *r != who);
				s.activities.remove(&who);
				s.reputations.remove(&who);
			}
		},
	);
	let unbonded: RuntimeEvent = Event::Unbonded { who, amount, unlock_at }.into();
	let events: Vec<RuntimeEvent> = System::events().into_iter().map(|r| r.event).collect();
	if leaves {
		assert_eq!(events[events.len() - 2..], [unbonded, Event::RNodeLeft { who }.into()]);
	} else {
		assert_eq!(events.last(), Some(&unbonded));
	}
}

/// `who` withdraws every chunk whose delay has passed; returns the amount released.
pub fn assert_withdraw_unbonded(who: AccountId) -> Balance {
	let now = System::block_number();
	let before = Snapshot::take();
	let amount: Balance = before.ledgers[&who]
		.unlocking
		.iter()
		.filter(|c| c.unlock_at <= now)
		.map(|c| c.amount)
		.sum();
	assert_transition(
		before,
		|| Reputation::withdraw_unbonded(RuntimeOrigin::signed(who)),
		|s| {
			let ledger = s.ledgers.get_mut(&who).expect("bonded");
			ledger.unlocking.retain(|c| c.unlock_at > now);
			if ledger.active == 0 && ledger.unlocking.is_empty() {
				s.ledgers.remove(&who);
			}
			s.move_funds(who, amount, false);
		},
	);
	System::assert_last_event(Event::Withdrawn { who, amount }.into());
	amount
}

/// Root sets the reputation weights.
pub fn assert_set_weights(weights: ReputationWeights) {
	assert_transition(
		Snapshot::take(),
		|| Reputation::set_weights(RuntimeOrigin::root(), weights),
		|s| s.weights = weights,
	);
	System::assert_last_event(Event::WeightsSet { weights }.into());
}

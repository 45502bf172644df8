//! Call helpers of the tests: each `assert_<call>` snapshots the pallet's whole state,
//! dispatches the call (which must succeed), snapshots again and checks that the call changed
//! exactly what it should and emitted its event.
//!
//! The expected snapshot is built from the first one by hand and compared whole, so a call
//! that also changes something it should not fails the helper, not only a call that forgets
//! part of its work (the shape of Astar's `testing_utils`).

use crate::{
	mock::*, CampaignUntil, Candidates, CommitteeKeys, CommitteeSize, Committees, CurrentTerm,
	Event, GenesisCommittee,
};
use alloc::collections::BTreeMap;
use cpchain_pallet_test_utils::{assert_transition, StateSnapshot};
use cpchain_primitives::committee::TermIndex;

/// The pallet's whole state.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
	pub current_term: TermIndex,
	pub committee_size: u32,
	pub committees: BTreeMap<TermIndex, Vec<AccountId>>,
	pub committee_keys: BTreeMap<TermIndex, Vec<(AccountId, u64)>>,
	pub genesis_committee: Vec<AccountId>,
	pub candidates: BTreeMap<TermIndex, Vec<AccountId>>,
	pub campaign_until: BTreeMap<AccountId, TermIndex>,
}

impl StateSnapshot for Snapshot {
	fn take() -> Self {
		Self {
			current_term: CurrentTerm::<Test>::get(),
			committee_size: CommitteeSize::<Test>::get(),
			committees: Committees::<Test>::iter().map(|(t, c)| (t, c.into_inner())).collect(),
			committee_keys: CommitteeKeys::<Test>::iter()
				.map(|(t, k)| (t, k.into_inner()))
				.collect(),
			genesis_committee: GenesisCommittee::<Test>::get().into_inner(),
			candidates: Candidates::<Test>::iter().map(|(t, c)| (t, c.into_inner())).collect(),
			campaign_until: CampaignUntil::<Test>::iter().collect(),
		}
	}
}

/// `who` campaigns for the next `terms` terms not elected yet; returns the first and last.
pub fn assert_claim_campaign(who: AccountId, terms: u32) -> (TermIndex, TermIndex) {
	let before = Snapshot::take();
	// The term after the last elected one: the next election is at the start of the next
	// term, for the term after it.
	let first = before.current_term + 2;
	let last = first + terms - 1;
	assert_transition(
		before,
		|| Committee::claim_campaign(RuntimeOrigin::signed(who), terms),
		|s| {
			for term in first..=last {
				s.candidates.entry(term).or_default().push(who);
			}
			s.campaign_until.insert(who, last);
		},
	);
	System::assert_last_event(Event::CampaignClaimed { who, first, last }.into());
	(first, last)
}

/// `who` withdraws from every term not elected yet.
pub fn assert_withdraw_campaign(who: AccountId) {
	let before = Snapshot::take();
	let first = before.current_term + 2;
	assert_transition(
		before,
		|| Committee::withdraw_campaign(RuntimeOrigin::signed(who)),
		|s| {
			let until = s.campaign_until.remove(&who).expect("campaigning");
			for term in first..=until {
				s.candidates.entry(term).or_default().retain(|c| *c != who);
			}
		},
	);
	System::assert_last_event(Event::CampaignWithdrawn { who }.into());
}

/// Root sets the committee size to `size`.
pub fn assert_set_committee_size(size: u32) {
	assert_transition(
		Snapshot::take(),
		|| Committee::set_committee_size(RuntimeOrigin::root(), size),
		|s| s.committee_size = size,
	);
	System::assert_last_event(Event::CommitteeSizeSet { size }.into());
}

//! Unit tests of the committee pallet on the mock runtime.

use crate::{mock::*, testing_utils::*, *};
use codec::Decode;
use frame_support::assert_noop;
use sp_runtime::{generic::DigestItem, DispatchError};

fn event(e: Event<Test>) {
	System::assert_last_event(RuntimeEvent::Committee(e));
}

fn claim(who: AccountId, terms: u32) -> DispatchResult {
	Committee::claim_campaign(RuntimeOrigin::signed(who), terms)
}

/// Starts term `term` the way pallet-session does: end the old one, start the new one, then
/// elect the committee of the term after it.
fn rotate_to(term: TermIndex) -> Option<Vec<AccountId>> {
	<Committee as SessionManager<AccountId>>::end_session(term - 1);
	<Committee as SessionManager<AccountId>>::start_session(term);
	<Committee as SessionManager<AccountId>>::new_session(term + 1)
}

#[test]
fn genesis_sets_the_first_two_committees() {
	ExtBuilder::default().committee(vec![1, 2, 3]).build_and_execute(|| {
		assert_eq!(Committee::committee(0), vec![1, 2, 3]);
		assert_eq!(Committee::committee(1), vec![1, 2, 3]);
		assert_eq!(CommitteeSize::<Test>::get(), 3);
		assert_eq!(GenesisCommittee::<Test>::get().to_vec(), vec![1, 2, 3]);
		assert_eq!(
			<Committee as SessionManager<AccountId>>::new_session_genesis(0),
			Some(vec![1, 2, 3])
		);
	});
}

#[test]
#[should_panic(expected = "duplicate genesis committee member")]
fn genesis_rejects_duplicates() {
	new_test_ext(vec![1, 2, 1], 0);
}

#[test]
#[should_panic(expected = "committee size above MaxCommitteeSize")]
fn genesis_rejects_oversized_committees() {
	new_test_ext(vec![1], 5);
}

#[test]
fn claim_campaign_registers_for_the_next_open_terms() {
	ExtBuilder::default().committee(vec![1]).build_and_execute(|| {
		eligible(7, 100);
		assert_claim_campaign(7, 3);
		event(Event::CampaignClaimed { who: 7, first: 2, last: 4 });
		for term in 2..=4 {
			assert_eq!(Candidates::<Test>::get(term).to_vec(), vec![7]);
		}
		assert!(Candidates::<Test>::get(5).is_empty());
		assert_eq!(CampaignUntil::<Test>::get(7), Some(4));
	});
}

#[test]
fn claim_campaign_rejects_bad_input_and_changes_nothing() {
	ExtBuilder::default().committee(vec![1]).build_and_execute(|| {
		assert_noop!(claim(7, 1), Error::<Test>::NotRNode);
		RNodeSet::set(vec![(7, 100)]);
		assert_noop!(claim(7, 1), Error::<Test>::NoSessionKeys);
		eligible(7, 100);
		assert_noop!(claim(7, 0), Error::<Test>::InvalidTerms);
		assert_noop!(claim(7, 4), Error::<Test>::InvalidTerms);
		assert_noop!(Committee::claim_campaign(RuntimeOrigin::root(), 1), DispatchError::BadOrigin);
		assert_claim_campaign(7, 2);
		assert_noop!(claim(7, 1), Error::<Test>::AlreadyCampaigning);
	});
}

#[test]
fn a_term_holds_at_most_max_candidates() {
	ExtBuilder::default().committee(vec![1]).build_and_execute(|| {
		for who in 10..18 {
			eligible(who, 100);
			assert_claim_campaign(who, 1);
		}
		eligible(18, 100);
		// Term 2 is full; a 2-term claim must not leave a half-registered campaign behind.
		assert_noop!(claim(18, 2), Error::<Test>::TooManyCandidates);
		assert!(Candidates::<Test>::get(3).is_empty());
	});
}

#[test]
fn a_finished_campaign_can_be_renewed() {
	ExtBuilder::default().committee(vec![1]).build_and_execute(|| {
		eligible(7, 100);
		assert_claim_campaign(7, 1);
		rotate_to(1); // elects term 2, which consumes the campaign
		assert_eq!(CampaignUntil::<Test>::get(7), None);
		assert_claim_campaign(7, 2);
		event(Event::CampaignClaimed { who: 7, first: 3, last: 4 });
	});
}

#[test]
fn withdraw_campaign_leaves_the_open_terms() {
	ExtBuilder::default().committee(vec![1]).build_and_execute(|| {
		eligible(7, 100);
		eligible(8, 100);
		assert_claim_campaign(7, 3);
		assert_claim_campaign(8, 1);
		assert_withdraw_campaign(7);
		event(Event::CampaignWithdrawn { who: 7 });
		assert_eq!(Candidates::<Test>::get(2).to_vec(), vec![8]);
		assert!(Candidates::<Test>::get(3).is_empty());
		assert_eq!(CampaignUntil::<Test>::get(7), None);
		assert_noop!(
			Committee::withdraw_campaign(RuntimeOrigin::signed(7)),
			Error::<Test>::NotCampaigning
		);
		assert_noop!(
			Committee::withdraw_campaign(RuntimeOrigin::signed(9)),
			Error::<Test>::NotCampaigning
		);
	});
}

#[test]
fn set_committee_size_is_root_only_and_bounded() {
	ExtBuilder::default().committee(vec![1]).build_and_execute(|| {
		assert_noop!(
			Committee::set_committee_size(RuntimeOrigin::signed(1), 2),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Committee::set_committee_size(RuntimeOrigin::root(), 0),
			Error::<Test>::InvalidCommitteeSize
		);
		assert_noop!(
			Committee::set_committee_size(RuntimeOrigin::root(), 5),
			Error::<Test>::InvalidCommitteeSize
		);
		assert_set_committee_size(4);
		assert_eq!(CommitteeSize::<Test>::get(), 4);
		event(Event::CommitteeSizeSet { size: 4 });
	});
}

#[test]
fn the_election_draws_the_committee_from_eligible_campaigners() {
	ExtBuilder::default().committee(vec![1, 2, 3, 4]).build_and_execute(|| {
		for who in 10..16 {
			eligible(who, 100 + who as u32);
			assert_claim_campaign(who, 1);
		}
		let elected = rotate_to(1).expect("an election result");
		assert_eq!(Recomputations::get(), 1, "reputations are recomputed first");
		assert_eq!(elected.len(), 4);
		assert!(elected.iter().all(|who| (10..16).contains(who)));
		assert_eq!(Committee::committee(2), elected);
		assert!(Candidates::<Test>::get(2).is_empty(), "the campaigners of term 2 are consumed");
		event(Event::CommitteeElected { term: 2, members: elected, fallback: false });
	});
}

#[test]
fn campaigners_who_lost_eligibility_are_skipped() {
	ExtBuilder::default().committee(vec![1, 2]).size(2).build_and_execute(|| {
		for who in 10..13 {
			eligible(who, 100);
			assert_claim_campaign(who, 1);
		}
		// 10 unbonded, 11 lost its keys: only 12 is eligible, too few for 2 seats.
		RNodeSet::mutate(|s| s.retain(|(r, _)| *r != 10));
		KeyHolders::mutate(|k| k.retain(|r| *r != 11));
		assert_eq!(rotate_to(1), Some(vec![1, 2]));
		event(Event::CommitteeElected { term: 2, members: vec![1, 2], fallback: true });
	});
}

#[test]
fn zero_reputation_campaigners_are_not_elected() {
	ExtBuilder::default().committee(vec![1, 2]).size(2).build_and_execute(|| {
		eligible(10, 0);
		eligible(11, 50);
		eligible(12, 0);
		for who in 10..13 {
			assert_claim_campaign(who, 1);
		}
		assert_eq!(rotate_to(1), Some(vec![1, 2]), "one eligible member is not enough");
	});
}

#[test]
fn without_a_genesis_committee_the_previous_committee_stays() {
	ExtBuilder::default().size(1).build_and_execute(|| {
		assert_eq!(rotate_to(1), None, "nothing to elect and nothing to fall back on");
		Committees::<Test>::insert(1, BoundedVec::truncate_from(vec![5]));
		CommitteeKeys::<Test>::insert(1, BoundedVec::truncate_from(vec![]));
		assert_eq!(rotate_to(1), Some(vec![5]));
		event(Event::CommitteeElected { term: 2, members: vec![5], fallback: true });
	});
}

#[test]
fn the_same_seed_elects_the_same_committee_and_another_seed_may_not() {
	let run = |salt: u64| {
		let mut result = Vec::new();
		ExtBuilder::default().committee(vec![1]).size(2).build_and_execute(|| {
			SeedSalt::set(salt);
			for who in 10..18 {
				eligible(who, 100);
				assert_claim_campaign(who, 1);
			}
			result = rotate_to(1).expect("elected");
		});
		result
	};
	assert_eq!(run(1), run(1));
	let distinct: std::collections::BTreeSet<_> = (0..20).map(run).collect();
	assert!(distinct.len() > 5, "the seed matters: {distinct:?}");
}

#[test]
fn starting_a_term_deposits_the_committee_digest_and_prunes() {
	ExtBuilder::default().committee(vec![1, 2]).build_and_execute(|| {
		// Registered before the genesis committee's keys are frozen (as at a real genesis).
		KeyHolders::set(vec![1, 2]);
		let _ = <Committee as SessionManager<AccountId>>::new_session_genesis(1);
		<Committee as SessionManager<AccountId>>::start_session(1);
		assert_eq!(CurrentTerm::<Test>::get(), 1);
		event(Event::TermStarted { term: 1 });
		let logs: Vec<_> = System::digest()
			.logs
			.iter()
			.filter_map(|item| match item {
				DigestItem::Consensus(id, data) if *id == DPOR_ENGINE_ID => {
					ConsensusLog::<u64>::decode(&mut &data[..]).ok()
				}
				_ => None,
			})
			.collect();
		assert_eq!(logs, vec![ConsensusLog::NewCommittee { term: 1, members: vec![1001, 1002] }]);

		Committees::<Test>::insert(2, BoundedVec::truncate_from(vec![3]));
		CommitteeKeys::<Test>::insert(2, BoundedVec::truncate_from(vec![]));
		<Committee as SessionManager<AccountId>>::start_session(2);
		assert!(Committees::<Test>::get(0).is_none(), "term 0 is pruned when term 2 starts");
		assert!(Committees::<Test>::get(1).is_some(), "the previous term is kept");
	});
}

#[test]
fn membership_covers_the_current_and_elected_terms() {
	ExtBuilder::default().committee(vec![1, 2]).build_and_execute(|| {
		Committees::<Test>::insert(2, BoundedVec::truncate_from(vec![3]));
		assert!(Committee::is_in_committee(&1));
		assert!(Committee::is_in_committee(&3));
		assert!(!Committee::is_in_committee(&4));
		<Committee as SessionManager<AccountId>>::start_session(1);
		<Committee as SessionManager<AccountId>>::start_session(2);
		<Committee as SessionManager<AccountId>>::start_session(3);
		assert!(!Committee::is_in_committee(&3), "term 2 is over");
	});
}

#[test]
fn terms_follow_the_term_length() {
	ExtBuilder::default().committee(vec![1]).build_and_execute(|| {
		assert_eq!(Committee::term_of(0), 0);
		assert_eq!(Committee::term_of(9), 0);
		assert_eq!(Committee::term_of(10), 1);
		assert_eq!(Committee::term_of(25), 2);
	});
}

#[test]
fn keys_are_frozen_at_the_election_and_key_changes_wait_for_the_next_one() {
	ExtBuilder::default().committee(vec![1, 2]).build_and_execute(|| {
		eligible(3, 10);
		eligible(4, 10);
		assert_set_committee_size(2);
		assert_claim_campaign(3, 2);
		assert_claim_campaign(4, 2);
		// Term 1 starts and elects term 2 with the keys registered now.
		rotate_to(1);
		assert_eq!(Committee::frozen_committee(2), vec![(3, 1003), (4, 1004)]);
		// 3 purges its keys: term 2 keeps its frozen slot and order.
		KeyHolders::mutate(|k| k.retain(|w| *w != 3));
		assert_eq!(Committee::frozen_committee(2), vec![(3, 1003), (4, 1004)]);
		rotate_to(2);
		assert_eq!(Committee::committee_keys(2), vec![1003, 1004]);
		// The next election (term 3) sees the change: 3 is no longer eligible.
		assert!(Committee::frozen_committee(3).iter().all(|(who, _)| *who != 3));
	});
}

#[test]
fn frozen_keys_outlive_their_term_for_key_history_terms() {
	ExtBuilder::default().committee(vec![1]).build_and_execute(|| {
		KeyHolders::set(vec![1]);
		let _ = <Committee as SessionManager<AccountId>>::new_session_genesis(0);
		for term in 1..=KEY_HISTORY + 1 {
			rotate_to(term);
		}
		assert_eq!(Committee::frozen_committee(0), vec![], "term 0 is forgotten");
		rotate_to(KEY_HISTORY + 2);
		assert!(CommitteeKeys::<Test>::get(1).is_none());
		assert!(CommitteeKeys::<Test>::get(2).is_some(), "kept KEY_HISTORY terms");
	});
}

#[test]
fn the_migration_freezes_the_keys_of_stored_committees() {
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};
	ExtBuilder::default().committee(vec![1, 2]).build_and_execute(|| {
		KeyHolders::set(vec![1, 2]);
		let _ = CommitteeKeys::<Test>::clear(u32::MAX, None);
		StorageVersion::new(0).put::<Committee>();
		crate::migrations::v1::MigrateV0ToV1::<Test>::on_runtime_upgrade();
		assert_eq!(Committee::on_chain_storage_version(), 1);
		assert_eq!(Committee::frozen_committee(0), vec![(1, 1001), (2, 1002)]);
		assert_eq!(Committee::frozen_committee(1), vec![(1, 1001), (2, 1002)]);
	});
}

#[test]
fn the_v2_migration_removes_the_entropy_accumulator() {
	use crate::migrations::v2::{EntropyAccumulator, MigrateV1ToV2};
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};
	ExtBuilder::default().committee(vec![1]).build_and_execute(|| {
		StorageVersion::new(1).put::<Committee>();
		EntropyAccumulator::<Test>::put(sp_core::H256::repeat_byte(7));
		MigrateV1ToV2::<Test>::on_runtime_upgrade();
		assert!(!EntropyAccumulator::<Test>::exists());
		assert_eq!(Committee::on_chain_storage_version(), 2);
		// At version 2 already it does nothing.
		EntropyAccumulator::<Test>::put(sp_core::H256::repeat_byte(7));
		MigrateV1ToV2::<Test>::on_runtime_upgrade();
		assert!(EntropyAccumulator::<Test>::exists());
	});
}

//! Benchmarks of the committee pallet (frame-benchmarking v2).

use super::*;
use frame_benchmarking::v2::*;
use frame_system::RawOrigin;

fn eligible<T: Config>(name: &'static str, index: u32) -> T::AccountId {
	let who: T::AccountId = account(name, index, 0);
	T::BenchmarkHelper::make_eligible(&who);
	who
}

/// Fills the next `t` open terms with `MaxCandidates - 1` campaigners each (the worst case
/// that still leaves room for one more); returns the first of them.
fn fill_open_terms<T: Config>(t: u32) -> TermIndex {
	let first = Pallet::<T>::first_open_term();
	for i in 0..T::MaxCandidates::get().saturating_sub(1) {
		let other = eligible::<T>("other", i);
		for term in first..first + t {
			Candidates::<T>::mutate(term, |c| c.try_push(other.clone()).expect("room; qed"));
		}
		CampaignUntil::<T>::insert(&other, first + t - 1);
	}
	first
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// Claim `t` terms, each already holding `MaxCandidates - 1` campaigners.
	#[benchmark]
	fn claim_campaign(t: Linear<1, { T::MaxCampaignTerms::get() }>) {
		let first = fill_open_terms::<T>(t);
		let who = eligible::<T>("caller", 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), t);
		assert_eq!(CampaignUntil::<T>::get(&who), Some(first + t - 1));
	}

	/// Withdraw from `t` terms, each with `MaxCandidates` campaigners.
	#[benchmark]
	fn withdraw_campaign(t: Linear<1, { T::MaxCampaignTerms::get() }>) {
		fill_open_terms::<T>(t);
		let who = eligible::<T>("caller", 0);
		Pallet::<T>::claim_campaign(RawOrigin::Signed(who.clone()).into(), t)
			.expect("eligible and room; qed");
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
		assert_eq!(CampaignUntil::<T>::get(&who), None);
	}

	#[benchmark]
	fn set_committee_size() {
		let size = T::MaxCommitteeSize::get();
		#[extrinsic_call]
		_(RawOrigin::Root, size);
		assert_eq!(CommitteeSize::<T>::get(), size);
	}

	/// Elect a full committee from `c` campaigners and freeze its keys.
	#[benchmark]
	fn elect(c: Linear<1, { T::MaxCandidates::get() }>) {
		let size = T::MaxCommitteeSize::get();
		CommitteeSize::<T>::put(size);
		let term = Pallet::<T>::first_open_term();
		for i in 0..c {
			let who = eligible::<T>("candidate", i);
			Candidates::<T>::mutate(term, |cs| cs.try_push(who.clone()).expect("c ≤ max; qed"));
			CampaignUntil::<T>::insert(&who, term);
		}
		let result;
		#[block]
		{
			result = Pallet::<T>::elect(term);
			Pallet::<T>::freeze_keys(term, &result.0);
		}
		assert!(!result.0.is_empty() || c < size);
		assert!(CommitteeKeys::<T>::contains_key(term), "the keys are frozen");
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(vec![1], 0), crate::mock::Test);
}

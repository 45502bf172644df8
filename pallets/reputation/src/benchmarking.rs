//! Benchmarks of the reputation pallet (frame-benchmarking v2).

use super::*;
use frame_benchmarking::v2::*;
use frame_support::traits::fungible::Mutate;
use frame_system::RawOrigin;
use sp_runtime::Percent;

/// A funded account that is not yet an RNode.
fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId
where
	T::Currency: Mutate<T::AccountId>,
{
	let who: T::AccountId = account(name, index, 0);
	// Enough for any bond the benchmarks make, far from overflowing the total issuance.
	let amount = T::RNodeBond::get().saturating_mul(100u32.into());
	T::Currency::set_balance(&who, amount);
	who
}

/// Makes the RNode list exactly `n` bonded RNodes that all have signals to rank. RNodes of
/// the chain's genesis are dropped from the list first, so that `n` is exact.
fn rnodes<T: Config>(n: u32) -> Vec<T::AccountId>
where
	T::Currency: Mutate<T::AccountId>,
{
	RNodes::<T>::kill();
	(0..n)
		.map(|i| {
			let who = funded::<T>("rnode", i);
			let bond = T::RNodeBond::get().saturating_add(i.into());
			Pallet::<T>::do_bond(&who, bond).expect("the RNode list has room; qed");
			<Pallet<T> as ReputationSink<T::AccountId>>::note(&who, Signal::BlockAuthored);
			<Pallet<T> as ReputationSink<T::AccountId>>::note(&who, Signal::DataContributed(i));
			<Pallet<T> as ReputationSink<T::AccountId>>::note(&who, Signal::ProxyServed(n - i));
			who
		})
		.collect()
}

#[benchmarks(where T::Currency: Mutate<T::AccountId>)]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn bond() {
		rnodes::<T>(T::MaxRNodes::get() - 1);
		let who = funded::<T>("caller", 0);
		let amount = T::RNodeBond::get();
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), amount);
		assert!(Pallet::<T>::is_rnode(&who));
	}

	#[benchmark]
	fn bond_extra() {
		let who = rnodes::<T>(1).remove(0);
		let amount = T::RNodeBond::get();
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), amount);
		assert!(Ledgers::<T>::get(&who).is_some_and(|l| l.active > T::RNodeBond::get()));
	}

	/// Full unbond of the last of `n` RNodes: the RNode list is scanned once.
	#[benchmark]
	fn unbond(n: Linear<1, { T::MaxRNodes::get() }>) {
		let who = rnodes::<T>(n).pop().expect("n ≥ 1; qed");
		let amount = Ledgers::<T>::get(&who).map(|l| l.active).unwrap_or_default();
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), amount);
		assert!(!Pallet::<T>::is_rnode(&who));
	}

	/// Withdraw `c` matured chunks.
	#[benchmark]
	fn withdraw_unbonded(c: Linear<1, { T::MaxUnlockingChunks::get() }>) {
		let who = rnodes::<T>(1).remove(0);
		Ledgers::<T>::mutate(&who, |ledger| {
			let ledger = ledger.as_mut().expect("bonded above; qed");
			for _ in 0..c {
				ledger
					.unlocking
					.try_push(UnlockChunk { amount: 1u32.into(), unlock_at: 0u32.into() })
					.expect("c ≤ MaxUnlockingChunks; qed");
				ledger.active = ledger.active.saturating_sub(1u32.into());
			}
		});
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
		assert!(Ledgers::<T>::get(&who).is_some_and(|l| l.unlocking.is_empty()));
	}

	#[benchmark]
	fn set_weights() {
		let weights = ReputationWeights {
			bond: 10,
			activity: 20,
			maintenance: 30,
			data: 30,
			proxy: 10,
			penalty_per_point: Percent::from_percent(10),
		};
		#[extrinsic_call]
		_(RawOrigin::Root, weights);
		assert_eq!(Weights::<T>::get(), weights);
	}

	/// Recompute the reputation of `n` RNodes.
	#[benchmark]
	fn recompute(n: Linear<0, { T::MaxRNodes::get() }>) {
		let all = rnodes::<T>(n);
		#[block]
		{
			Pallet::<T>::do_recompute();
		}
		assert!(all.iter().all(Reputations::<T>::contains_key));
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(vec![]), crate::mock::Test);
}

//! PLACEHOLDER until `scripts/benchmark.sh pallet_access_control` runs: the pallet's estimates.
#![allow(unused_parens, unused_imports, missing_docs)]
use core::marker::PhantomData;
use frame_support::weights::Weight;
pub struct WeightInfo<T>(PhantomData<T>);
impl<T: frame_system::Config> pallet_access_control::WeightInfo for WeightInfo<T> {
	fn grant(p: u32) -> Weight {
		<() as pallet_access_control::WeightInfo>::grant(p)
	}
	fn revoke(p: u32) -> Weight {
		<() as pallet_access_control::WeightInfo>::revoke(p)
	}
	fn remove_expired(p: u32) -> Weight {
		<() as pallet_access_control::WeightInfo>::remove_expired(p)
	}
	fn register_proxy() -> Weight {
		<() as pallet_access_control::WeightInfo>::register_proxy()
	}
	fn unregister_proxy() -> Weight {
		<() as pallet_access_control::WeightInfo>::unregister_proxy()
	}
	fn withdraw_proxy() -> Weight {
		<() as pallet_access_control::WeightInfo>::withdraw_proxy()
	}
	fn attest_service(n: u32) -> Weight {
		<() as pallet_access_control::WeightInfo>::attest_service(n)
	}
}

//! PLACEHOLDER until `scripts/benchmark.sh pallet_data_registry` runs: the pallet's estimates.
#![allow(unused_parens, unused_imports, missing_docs)]
use core::marker::PhantomData;
use frame_support::weights::Weight;
pub struct WeightInfo<T>(PhantomData<T>);
impl<T: frame_system::Config> pallet_data_registry::WeightInfo for WeightInfo<T> {
	fn register_device(m: u32) -> Weight {
		<() as pallet_data_registry::WeightInfo>::register_device(m)
	}
	fn rotate_device_key() -> Weight {
		<() as pallet_data_registry::WeightInfo>::rotate_device_key()
	}
	fn revoke_device() -> Weight {
		<() as pallet_data_registry::WeightInfo>::revoke_device()
	}
	fn offer_device() -> Weight {
		<() as pallet_data_registry::WeightInfo>::offer_device()
	}
	fn accept_device() -> Weight {
		<() as pallet_data_registry::WeightInfo>::accept_device()
	}
	fn remove_device() -> Weight {
		<() as pallet_data_registry::WeightInfo>::remove_device()
	}
	fn create_stream(n: u32) -> Weight {
		<() as pallet_data_registry::WeightInfo>::create_stream(n)
	}
	fn close_stream() -> Weight {
		<() as pallet_data_registry::WeightInfo>::close_stream()
	}
	fn append_record(c: u32) -> Weight {
		<() as pallet_data_registry::WeightInfo>::append_record(c)
	}
	fn prune_records(n: u32) -> Weight {
		<() as pallet_data_registry::WeightInfo>::prune_records(n)
	}
	fn report_availability(n: u32) -> Weight {
		<() as pallet_data_registry::WeightInfo>::report_availability(n)
	}
}

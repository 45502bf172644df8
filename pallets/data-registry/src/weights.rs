//! Weights of the data-registry pallet.
//!
//! The runtime's weights are measured: `runtime/src/weights/pallet_data_registry.rs`, generated
//! by `scripts/benchmark.sh` from the benchmarks in `benchmarking.rs`. The `()` implementation
//! below is for mock runtimes only: estimates of the same shape (storage accesses, linear
//! growth in the components), not measurements.

#![allow(unused_parens, unused_imports, missing_docs)]

use frame_support::weights::{constants::RocksDbWeight, Weight};

/// Weight functions of the data-registry pallet.
pub trait WeightInfo {
	fn register_device(m: u32) -> Weight;
	fn rotate_device_key() -> Weight;
	fn revoke_device() -> Weight;
	fn offer_device() -> Weight;
	fn accept_device() -> Weight;
	fn remove_device() -> Weight;
	fn create_stream(n: u32) -> Weight;
	fn close_stream() -> Weight;
	fn append_record(c: u32) -> Weight;
	fn prune_records(n: u32) -> Weight;
	fn report_availability(n: u32) -> Weight;
}

impl WeightInfo for () {
	fn register_device(m: u32) -> Weight {
		Weight::from_parts(50_000_000, 4_000)
			.saturating_add(Weight::from_parts(2_000, 1).saturating_mul(m.into()))
			.saturating_add(RocksDbWeight::get().reads(3))
			.saturating_add(RocksDbWeight::get().writes(4))
	}
	fn rotate_device_key() -> Weight {
		Weight::from_parts(20_000_000, 3_000)
			.saturating_add(RocksDbWeight::get().reads(1))
			.saturating_add(RocksDbWeight::get().writes(1))
	}
	fn revoke_device() -> Weight {
		Weight::from_parts(15_000_000, 3_000)
			.saturating_add(RocksDbWeight::get().reads(1))
			.saturating_add(RocksDbWeight::get().writes(1))
	}
	fn offer_device() -> Weight {
		Weight::from_parts(15_000_000, 3_000)
			.saturating_add(RocksDbWeight::get().reads(1))
			.saturating_add(RocksDbWeight::get().writes(1))
	}
	fn accept_device() -> Weight {
		Weight::from_parts(80_000_000, 6_000)
			.saturating_add(RocksDbWeight::get().reads(5))
			.saturating_add(RocksDbWeight::get().writes(5))
	}
	fn remove_device() -> Weight {
		Weight::from_parts(45_000_000, 4_000)
			.saturating_add(RocksDbWeight::get().reads(3))
			.saturating_add(RocksDbWeight::get().writes(3))
	}
	fn create_stream(n: u32) -> Weight {
		Weight::from_parts(50_000_000, 4_000)
			.saturating_add(Weight::from_parts(2_000, 1).saturating_mul(n.into()))
			.saturating_add(RocksDbWeight::get().reads(4))
			.saturating_add(RocksDbWeight::get().writes(5))
	}
	fn close_stream() -> Weight {
		Weight::from_parts(45_000_000, 4_000)
			.saturating_add(RocksDbWeight::get().reads(4))
			.saturating_add(RocksDbWeight::get().writes(4))
	}
	fn append_record(c: u32) -> Weight {
		Weight::from_parts(110_000_000, 6_000)
			.saturating_add(Weight::from_parts(3_000, 1).saturating_mul(c.into()))
			.saturating_add(RocksDbWeight::get().reads(5))
			.saturating_add(RocksDbWeight::get().writes(5))
	}
	fn prune_records(n: u32) -> Weight {
		Weight::from_parts(45_000_000, 4_000)
			.saturating_add(Weight::from_parts(8_000_000, 250).saturating_mul(n.into()))
			.saturating_add(RocksDbWeight::get().reads(4))
			.saturating_add(RocksDbWeight::get().reads(n.into()))
			.saturating_add(RocksDbWeight::get().writes(4))
			.saturating_add(RocksDbWeight::get().writes(n.into()))
	}
	fn report_availability(n: u32) -> Weight {
		Weight::from_parts(20_000_000, 1_000)
			.saturating_add(Weight::from_parts(12_000_000, 1_700).saturating_mul(n.into()))
			.saturating_add(RocksDbWeight::get().reads(1))
			.saturating_add(RocksDbWeight::get().reads((2_u64).saturating_mul(n.into())))
			.saturating_add(RocksDbWeight::get().writes(n.into()))
	}
}

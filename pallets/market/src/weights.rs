//! Weights of the market pallet.
//!
//! The `()` implementation below is for mock runtimes: estimates of the same shape (storage
//! accesses, linear growth in the components), not measurements. A runtime measures its own
//! with the benchmarks in `benchmarking.rs`.

#![allow(unused_parens, unused_imports, missing_docs)]

use frame_support::weights::{constants::RocksDbWeight, Weight};

/// Weight functions of the market pallet.
pub trait WeightInfo {
	/// `b`: bytes of the description (the title, tags and CID at their longest).
	fn create_listing(b: u32) -> Weight;
	/// `b`: bytes of the new description (the rest at its longest).
	fn update_listing(b: u32) -> Weight;
	fn delist() -> Weight;
	fn place_order() -> Weight;
	fn cancel_order() -> Weight;
	/// `n`: intervals settled (each a record lookup, a grant lookup and a payment).
	fn settle(n: u32) -> Weight;
	fn rate() -> Weight;
	fn remove_closed() -> Weight;
}

impl WeightInfo for () {
	fn create_listing(b: u32) -> Weight {
		Weight::from_parts(40_000_000, 4_000)
			.saturating_add(Weight::from_parts(2_000, 1).saturating_mul(b.into()))
			.saturating_add(RocksDbWeight::get().reads(4))
			.saturating_add(RocksDbWeight::get().writes(4))
	}
	fn update_listing(b: u32) -> Weight {
		Weight::from_parts(40_000_000, 4_000)
			.saturating_add(Weight::from_parts(2_000, 1).saturating_mul(b.into()))
			.saturating_add(RocksDbWeight::get().reads(3))
			.saturating_add(RocksDbWeight::get().writes(3))
	}
	fn delist() -> Weight {
		Weight::from_parts(35_000_000, 6_000)
			.saturating_add(RocksDbWeight::get().reads(3))
			.saturating_add(RocksDbWeight::get().writes(3))
	}
	fn place_order() -> Weight {
		Weight::from_parts(60_000_000, 8_000)
			.saturating_add(RocksDbWeight::get().reads(6))
			.saturating_add(RocksDbWeight::get().writes(5))
	}
	fn cancel_order() -> Weight {
		Weight::from_parts(45_000_000, 6_000)
			.saturating_add(RocksDbWeight::get().reads(3))
			.saturating_add(RocksDbWeight::get().writes(4))
	}
	fn settle(n: u32) -> Weight {
		Weight::from_parts(30_000_000, 4_000)
			.saturating_add(Weight::from_parts(60_000_000, 8_000).saturating_mul(n.into()))
			.saturating_add(RocksDbWeight::get().reads(2))
			.saturating_add(RocksDbWeight::get().reads((12 * n).into()))
			.saturating_add(RocksDbWeight::get().writes(2))
			.saturating_add(RocksDbWeight::get().writes((4 * n).into()))
	}
	fn rate() -> Weight {
		Weight::from_parts(40_000_000, 6_000)
			.saturating_add(RocksDbWeight::get().reads(4))
			.saturating_add(RocksDbWeight::get().writes(4))
	}
	fn remove_closed() -> Weight {
		Weight::from_parts(35_000_000, 6_000)
			.saturating_add(RocksDbWeight::get().reads(3))
			.saturating_add(RocksDbWeight::get().writes(3))
	}
}

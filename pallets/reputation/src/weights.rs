//! Weights of the reputation pallet.
//!
//! PROVISIONAL: these figures are estimates written by hand, with the right shape (the
//! storage accesses of each call and the linear growth in `n` RNodes / `c` chunks) but not yet
//! measured. They are to be replaced by the output of
//! `cpchain-node benchmark pallet --pallet pallet_reputation` on the benchmarks in
//! `benchmarking.rs` (see docs/benchmarks.md). `()` uses the same formulas with RocksDB
//! weights, for tests.

#![allow(unused_parens, unused_imports, missing_docs)]

use core::marker::PhantomData;
use frame_support::{
	traits::Get,
	weights::{constants::RocksDbWeight, Weight},
};

/// Weight functions of the reputation pallet.
pub trait WeightInfo {
	fn bond() -> Weight;
	fn bond_extra() -> Weight;
	fn unbond(n: u32) -> Weight;
	fn withdraw_unbonded(c: u32) -> Weight;
	fn set_weights() -> Weight;
	fn recompute(n: u32) -> Weight;
}

/// Weights for the runtime (provisional, see the module docs).
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn bond() -> Weight {
		Weight::from_parts(60_000_000, 4_000)
			.saturating_add(T::DbWeight::get().reads(4))
			.saturating_add(T::DbWeight::get().writes(4))
	}
	fn bond_extra() -> Weight {
		Weight::from_parts(45_000_000, 4_000)
			.saturating_add(T::DbWeight::get().reads(3))
			.saturating_add(T::DbWeight::get().writes(2))
	}
	fn unbond(n: u32) -> Weight {
		Weight::from_parts(40_000_000, 4_000)
			.saturating_add(Weight::from_parts(100_000, 32).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(3))
			.saturating_add(T::DbWeight::get().writes(4))
	}
	fn withdraw_unbonded(c: u32) -> Weight {
		Weight::from_parts(45_000_000, 4_000)
			.saturating_add(Weight::from_parts(50_000, 40).saturating_mul(c.into()))
			.saturating_add(T::DbWeight::get().reads(2))
			.saturating_add(T::DbWeight::get().writes(2))
	}
	fn set_weights() -> Weight {
		Weight::from_parts(10_000_000, 0).saturating_add(T::DbWeight::get().writes(1))
	}
	fn recompute(n: u32) -> Weight {
		Weight::from_parts(20_000_000, 1_000)
			.saturating_add(Weight::from_parts(40_000_000, 2_800).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(2))
			.saturating_add(T::DbWeight::get().reads((4_u64).saturating_mul(n.into())))
			.saturating_add(T::DbWeight::get().writes((3_u64).saturating_mul(n.into())))
	}
}

impl WeightInfo for () {
	fn bond() -> Weight {
		Weight::from_parts(60_000_000, 4_000)
			.saturating_add(RocksDbWeight::get().reads(4))
			.saturating_add(RocksDbWeight::get().writes(4))
	}
	fn bond_extra() -> Weight {
		Weight::from_parts(45_000_000, 4_000)
			.saturating_add(RocksDbWeight::get().reads(3))
			.saturating_add(RocksDbWeight::get().writes(2))
	}
	fn unbond(n: u32) -> Weight {
		Weight::from_parts(40_000_000, 4_000)
			.saturating_add(Weight::from_parts(100_000, 32).saturating_mul(n.into()))
			.saturating_add(RocksDbWeight::get().reads(3))
			.saturating_add(RocksDbWeight::get().writes(4))
	}
	fn withdraw_unbonded(c: u32) -> Weight {
		Weight::from_parts(45_000_000, 4_000)
			.saturating_add(Weight::from_parts(50_000, 40).saturating_mul(c.into()))
			.saturating_add(RocksDbWeight::get().reads(2))
			.saturating_add(RocksDbWeight::get().writes(2))
	}
	fn set_weights() -> Weight {
		Weight::from_parts(10_000_000, 0).saturating_add(RocksDbWeight::get().writes(1))
	}
	fn recompute(n: u32) -> Weight {
		Weight::from_parts(20_000_000, 1_000)
			.saturating_add(Weight::from_parts(40_000_000, 2_800).saturating_mul(n.into()))
			.saturating_add(RocksDbWeight::get().reads(2))
			.saturating_add(RocksDbWeight::get().reads((4_u64).saturating_mul(n.into())))
			.saturating_add(RocksDbWeight::get().writes((3_u64).saturating_mul(n.into())))
	}
}

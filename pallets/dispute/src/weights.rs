//! Weights of the dispute pallet.
//!
//! The `()` implementation below is for mock runtimes: estimates of the same shape (storage
//! accesses, linear growth in the components), not measurements. A runtime measures its own
//! with the benchmarks in `benchmarking.rs`.

#![allow(unused_parens, unused_imports, missing_docs)]

use frame_support::weights::{constants::RocksDbWeight, Weight};

/// Weight functions of the dispute pallet.
pub trait WeightInfo {
	/// Opening: the order read and frozen in the market, the fee held.
	fn open_dispute() -> Weight;
	fn fund() -> Weight;
	fn submit_evidence() -> Weight;
	fn commit_vote() -> Weight;
	fn reveal_vote() -> Weight;
	fn denounce() -> Weight;
	fn appeal() -> Weight;
	/// A round's votes counted into a ruling.
	fn tally() -> Weight;
	/// `j`: seats of every round paid out (with every round's fees and every piece of
	/// evidence removed), the market's settlement of the disputed intervals excluded (the
	/// runtime adds the market's weight).
	fn conclude(j: u32) -> Weight;
	/// `c`: candidate jurors weighed, `j`: draws made (each a stake held, or tried and
	/// refused for a candidate who cannot pay it). Measured with every draw filling a seat,
	/// the dearer kind.
	fn draw_jury(c: u32, j: u32) -> Weight;
}

impl WeightInfo for () {
	fn open_dispute() -> Weight {
		Weight::from_parts(60_000_000, 8_000)
			.saturating_add(RocksDbWeight::get().reads(6))
			.saturating_add(RocksDbWeight::get().writes(6))
	}
	fn fund() -> Weight {
		Weight::from_parts(40_000_000, 6_000)
			.saturating_add(RocksDbWeight::get().reads(4))
			.saturating_add(RocksDbWeight::get().writes(4))
	}
	fn submit_evidence() -> Weight {
		Weight::from_parts(25_000_000, 4_000)
			.saturating_add(RocksDbWeight::get().reads(1))
			.saturating_add(RocksDbWeight::get().writes(2))
	}
	fn commit_vote() -> Weight {
		Weight::from_parts(20_000_000, 4_000)
			.saturating_add(RocksDbWeight::get().reads(2))
			.saturating_add(RocksDbWeight::get().writes(1))
	}
	fn reveal_vote() -> Weight {
		Weight::from_parts(25_000_000, 4_000)
			.saturating_add(RocksDbWeight::get().reads(2))
			.saturating_add(RocksDbWeight::get().writes(2))
	}
	fn denounce() -> Weight {
		Weight::from_parts(45_000_000, 6_000)
			.saturating_add(RocksDbWeight::get().reads(4))
			.saturating_add(RocksDbWeight::get().writes(4))
	}
	fn appeal() -> Weight {
		Weight::from_parts(40_000_000, 6_000)
			.saturating_add(RocksDbWeight::get().reads(3))
			.saturating_add(RocksDbWeight::get().writes(3))
	}
	fn tally() -> Weight {
		Weight::from_parts(15_000_000, 4_000)
			.saturating_add(RocksDbWeight::get().reads(1))
			.saturating_add(RocksDbWeight::get().writes(1))
	}
	fn conclude(j: u32) -> Weight {
		Weight::from_parts(80_000_000, 10_000)
			.saturating_add(Weight::from_parts(30_000_000, 3_000).saturating_mul(j.into()))
			.saturating_add(RocksDbWeight::get().reads(8))
			.saturating_add(RocksDbWeight::get().writes(8))
			.saturating_add(RocksDbWeight::get().reads_writes(3, 3).saturating_mul(j.into()))
	}
	fn draw_jury(c: u32, j: u32) -> Weight {
		Weight::from_parts(30_000_000, 5_000)
			.saturating_add(Weight::from_parts(2_000_000, 200).saturating_mul(c.into()))
			.saturating_add(Weight::from_parts(25_000_000, 3_000).saturating_mul(j.into()))
			.saturating_add(RocksDbWeight::get().reads(3))
			.saturating_add(RocksDbWeight::get().reads(2).saturating_mul(c.into()))
			.saturating_add(RocksDbWeight::get().reads_writes(3, 3).saturating_mul(j.into()))
	}
}

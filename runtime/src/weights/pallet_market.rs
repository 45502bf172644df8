// This file is part of CPChain on Substrate.
// SPDX-License-Identifier: Apache-2.0

//! Weights for `pallet_market`: NOT MEASURED YET. The estimates of the pallet's own `()`
//! implementation, except `settle`, which counts the worst case of its lookups (below), until
//! `scripts/benchmark.sh pallet_market` replaces this file with measured weights.

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]

use frame_support::{traits::Get, weights::Weight};
use core::marker::PhantomData;

/// Weight functions for `pallet_market`.
pub struct WeightInfo<T>(PhantomData<T>);
impl<T: frame_system::Config> pallet_market::WeightInfo for WeightInfo<T> {
	fn create_listing(b: u32) -> Weight {
		<() as pallet_market::WeightInfo>::create_listing(b)
	}
	fn update_listing(b: u32) -> Weight {
		<() as pallet_market::WeightInfo>::update_listing(b)
	}
	fn delist() -> Weight {
		<() as pallet_market::WeightInfo>::delist()
	}
	fn place_order() -> Weight {
		<() as pallet_market::WeightInfo>::place_order()
	}
	fn cancel_order() -> Weight {
		<() as pallet_market::WeightInfo>::cancel_order()
	}
	/// Not the pallet's estimate: each interval may read every grant of the buyer on the
	/// stream (`MaxGrantsPerStream`, 256 here) and search the stream's records (at most 64
	/// reads), so this counts 330 reads and about 120 kB of proof per interval until measured.
	fn settle(n: u32) -> Weight {
		Weight::from_parts(30_000_000, 4_000)
			.saturating_add(Weight::from_parts(80_000_000, 120_000).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(2))
			.saturating_add(T::DbWeight::get().reads((330 * n).into()))
			.saturating_add(T::DbWeight::get().writes(2))
			.saturating_add(T::DbWeight::get().writes((4 * n).into()))
	}
	fn rate() -> Weight {
		<() as pallet_market::WeightInfo>::rate()
	}
	fn remove_closed() -> Weight {
		<() as pallet_market::WeightInfo>::remove_closed()
	}
}

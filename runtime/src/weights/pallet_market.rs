// This file is part of CPChain on Substrate.
// SPDX-License-Identifier: Apache-2.0

//! Weights for `pallet_market`: NOT MEASURED YET. The estimates of the pallet's own `()`
//! implementation, until `scripts/benchmark.sh pallet_market` replaces this file with
//! measured weights.

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
	fn settle(n: u32) -> Weight {
		<() as pallet_market::WeightInfo>::settle(n)
	}
	fn rate() -> Weight {
		<() as pallet_market::WeightInfo>::rate()
	}
	fn remove_closed() -> Weight {
		<() as pallet_market::WeightInfo>::remove_closed()
	}
}

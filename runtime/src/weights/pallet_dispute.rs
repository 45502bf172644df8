// This file is part of CPChain on Substrate.
// SPDX-License-Identifier: Apache-2.0

//! Weights for `pallet_dispute`: NOT MEASURED YET. The estimates of the pallet's own `()`
//! implementation until `scripts/benchmark.sh pallet_dispute` replaces this file with
//! measured weights.

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]

use frame_support::{traits::Get, weights::Weight};
use core::marker::PhantomData;

/// Weight functions for `pallet_dispute`.
pub struct WeightInfo<T>(PhantomData<T>);
impl<T: frame_system::Config> pallet_dispute::WeightInfo for WeightInfo<T> {
	fn open_dispute() -> Weight {
		<() as pallet_dispute::WeightInfo>::open_dispute()
	}
	fn fund() -> Weight {
		<() as pallet_dispute::WeightInfo>::fund()
	}
	fn submit_evidence() -> Weight {
		<() as pallet_dispute::WeightInfo>::submit_evidence()
	}
	fn commit_vote() -> Weight {
		<() as pallet_dispute::WeightInfo>::commit_vote()
	}
	fn reveal_vote() -> Weight {
		<() as pallet_dispute::WeightInfo>::reveal_vote()
	}
	fn denounce() -> Weight {
		<() as pallet_dispute::WeightInfo>::denounce()
	}
	fn appeal() -> Weight {
		<() as pallet_dispute::WeightInfo>::appeal()
	}
	fn tally() -> Weight {
		<() as pallet_dispute::WeightInfo>::tally()
	}
	fn conclude(j: u32) -> Weight {
		<() as pallet_dispute::WeightInfo>::conclude(j)
	}
	fn draw_jury(c: u32, j: u32) -> Weight {
		<() as pallet_dispute::WeightInfo>::draw_jury(c, j)
	}
}

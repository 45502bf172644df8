//! Disputes over market orders (`pallet-dispute`): juries of bonded RNodes (pallet-reputation)
//! drawn with DPoR's randomness (pallet-dpor), rulings settled by the market.

use alloc::vec::Vec;
use cpchain_primitives::{dispute::JurorSource, reputation::ReputationScore};
use frame_support::{parameter_types, traits::ConstU32};
use sp_runtime::Perbill;

use crate::{AccountId, Balance, BlockNumber, Runtime, RuntimeHoldReason, CPC, DAYS, HOURS};

parameter_types! {
	/// What each side pays per juror of a round: 3 CPC for a first jury of three.
	pub const FeePerJuror: Balance = CPC;
	/// What a drawn juror puts up while the dispute runs.
	pub const JurorStake: Balance = 100 * CPC;
	/// What a juror loses for not revealing or voting against the final ruling.
	pub const IncoherencePenalty: Perbill = Perbill::from_percent(20);
	/// Bond beyond twice the RNode minimum adds no weight in a jury draw.
	pub const BondCap: Balance = 2 * super::reputation::RNodeBond::get();
	/// A side has a day to match the other's fee.
	pub const ResponsePeriod: BlockNumber = DAYS;
	/// A day of evidence before the jury is drawn.
	pub const EvidencePeriod: BlockNumber = DAYS;
	/// Jurors have twelve hours to commit, then twelve to reveal.
	pub const CommitPeriod: BlockNumber = 12 * HOURS;
	/// See `CommitPeriod`.
	pub const RevealPeriod: BlockNumber = 12 * HOURS;
	/// A day to appeal a round's ruling.
	pub const AppealPeriod: BlockNumber = DAYS;
}

/// The bonded RNodes, their active bond and their reputation.
pub struct BondedRNodes;
impl JurorSource<AccountId, Balance> for BondedRNodes {
	fn candidates() -> Vec<(AccountId, Balance, ReputationScore)> {
		pallet_reputation::RNodes::<Runtime>::get()
			.into_iter()
			.map(|who| {
				let bond = pallet_reputation::Ledgers::<Runtime>::get(&who).map_or(0, |l| l.active);
				let reputation = pallet_reputation::Reputations::<Runtime>::get(&who);
				(who, bond, reputation)
			})
			.collect()
	}
}

impl pallet_dispute::Config for Runtime {
	type Currency = crate::Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Orders = crate::Market;
	type Jurors = BondedRNodes;
	type Randomness = crate::Dpor;
	type Reputation = crate::Reputation;
	type FeePerJuror = FeePerJuror;
	type JurorStake = JurorStake;
	type IncoherencePenalty = IncoherencePenalty;
	type BondCap = BondCap;
	type InitialJury = ConstU32<3>;
	// 3, 7, 15, 31: three appeals at most, 56 seats in all.
	type MaxJury = ConstU32<31>;
	type MaxCandidates = <Runtime as pallet_reputation::Config>::MaxRNodes;
	type MaxDrawsPerBlock = ConstU32<4>;
	type MaxEvidence = ConstU32<16>;
	type MaxCidLen = ConstU32<{ cpchain_primitives::data::MAX_CID_LEN }>;
	type ResponsePeriod = ResponsePeriod;
	type EvidencePeriod = EvidencePeriod;
	type CommitPeriod = CommitPeriod;
	type RevealPeriod = RevealPeriod;
	type AppealPeriod = AppealPeriod;
	type WeightInfo = crate::weights::pallet_dispute::WeightInfo<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = benchmark_helper::OrdersAndRNodes;
}

#[cfg(feature = "runtime-benchmarks")]
mod benchmark_helper {
	use super::*;
	use cpchain_primitives::{
		data::IntervalRange,
		market::{ListingKind, OrderId, OrderSpan},
	};
	use frame_benchmarking::account;
	use frame_support::traits::fungible::Mutate;
	use frame_system::RawOrigin;
	use pallet_market::BenchmarkHelper as _;

	/// Orders through the market's calls, of a stream made by the market's helper; RNodes
	/// bonded through the reputation pallet's call, with a reputation written as a
	/// recomputation would.
	pub struct OrdersAndRNodes;

	impl pallet_dispute::BenchmarkHelper<AccountId> for OrdersAndRNodes {
		fn order(buyer: &AccountId, seller: &AccountId) -> (OrderId, IntervalRange) {
			let stream =
				super::super::market::benchmark_helper::StreamsRecordsGrants::stream_of(seller, 1);
			let intervals = IntervalRange { first: 0, last: 0 };
			let price = CPC;
			let listing = pallet_market::NextListingId::<Runtime>::get();
			crate::Market::create_listing(
				RawOrigin::Signed(seller.clone()).into(),
				stream,
				ListingKind::Range { intervals },
				price,
				Default::default(),
				Default::default(),
				Default::default(),
				Default::default(),
				None,
			)
			.expect("the stream's funded owner lists it; qed");
			let order = pallet_market::NextOrderId::<Runtime>::get();
			crate::Market::place_order(
				RawOrigin::Signed(buyer.clone()).into(),
				listing,
				OrderSpan::Range(intervals),
				price,
			)
			.expect("a funded buyer orders recorded intervals; qed");
			(order, intervals)
		}

		fn candidates(n: u32) -> Vec<AccountId> {
			// The chain's own RNodes (genesis) make room: the draw weighs exactly `n`.
			pallet_reputation::RNodes::<Runtime>::kill();
			let bond = super::super::reputation::RNodeBond::get();
			(0..n)
				.map(|i| {
					let who: AccountId = account("juror", i, 0);
					crate::Balances::set_balance(&who, 2 * bond + 1_000 * JurorStake::get());
					crate::Reputation::bond(RawOrigin::Signed(who.clone()).into(), bond)
						.expect("a funded account bonds the minimum; qed");
					pallet_reputation::Reputations::<Runtime>::insert(&who, 100);
					who
				})
				.collect()
		}
	}
}

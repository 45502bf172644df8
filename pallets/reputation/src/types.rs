//! Storage types of the reputation pallet.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{traits::Get, BoundedVec};
use scale_info::TypeInfo;
use sp_runtime::Percent;

/// Part of a bond on its way out: released by `withdraw_unbonded` from block `unlock_at` on.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub struct UnlockChunk<Balance, BlockNumber> {
	/// The amount that unlocks.
	pub amount: Balance,
	/// The first block at which it can be withdrawn.
	pub unlock_at: BlockNumber,
}

/// The bond of an RNode. The whole `active + Σ unlocking` amount is held by the currency
/// under [`crate::HoldReason::RNodeBond`].
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
#[scale_info(skip_type_params(MaxChunks))]
pub struct Ledger<Balance, BlockNumber, Nonce, MaxChunks: Get<u32>> {
	/// The bond that admits the account as an RNode; zero once it has unbonded everything.
	pub active: Balance,
	/// Unbonded amounts waiting for their delay to pass.
	pub unlocking: BoundedVec<UnlockChunk<Balance, BlockNumber>, MaxChunks>,
	/// The account nonce at the start of the current reputation window: the number of
	/// transactions sent since is the "activity" signal.
	pub nonce_mark: Nonce,
}

/// Signals gathered for an RNode since the last recomputation.
#[derive(Encode, Decode, Clone, Copy, Default, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
pub struct Activity {
	/// Blocks authored in its slots.
	pub authored: u32,
	/// Slots in which it was due to author a block and did not.
	pub missed: u32,
	/// Data records registered plus data sales.
	pub data: u32,
	/// Re-encryptions served as a proxy.
	pub proxy: u32,
	/// Penalty points; they halve at every recomputation rather than reset, so that a
	/// penalty weighs on the next few terms, not only on the current one.
	pub penalty_points: u32,
}

/// How the dimensions of reputation are combined. A runtime parameter: set at genesis and
/// changed by `set_weights` (root).
///
/// Every dimension gives each RNode a rank score in `0..=100` (100 for the best, ties share
/// the best position); the reputation is `Σ weight × rank`, scaled down by
/// `penalty_per_point` for every penalty point (never below zero).
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
	serde::Serialize,
	serde::Deserialize,
)]
pub struct ReputationWeights {
	/// Weight of the bond rank.
	pub bond: u8,
	/// Weight of the transaction activity rank.
	pub activity: u8,
	/// Weight of the maintenance rank (share of its slots that the RNode filled).
	pub maintenance: u8,
	/// Weight of the data contribution rank (records registered, data sold).
	pub data: u8,
	/// Weight of the proxy service rank (re-encryptions served).
	pub proxy: u8,
	/// Share of the reputation lost per penalty point.
	pub penalty_per_point: Percent,
}

impl ReputationWeights {
	/// The largest weight a single dimension may have.
	pub const MAX_WEIGHT: u8 = 100;

	/// Whether every weight is within `0..=MAX_WEIGHT` and at least one is positive.
	pub fn is_valid(&self) -> bool {
		let all = [self.bond, self.activity, self.maintenance, self.data, self.proxy];
		all.iter().all(|w| *w <= Self::MAX_WEIGHT) && all.iter().any(|w| *w > 0)
	}
}

impl Default for ReputationWeights {
	/// The original CPChain's weights (50/15/10/15/10), with data contribution and proxy
	/// service as real inputs rather than the constant zero of the original, and 20% of the
	/// reputation lost per penalty point.
	fn default() -> Self {
		Self {
			bond: 50,
			activity: 15,
			maintenance: 10,
			data: 15,
			proxy: 10,
			penalty_per_point: Percent::from_percent(20),
		}
	}
}

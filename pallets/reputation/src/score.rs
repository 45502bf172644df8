//! The reputation formula: pure integer functions, no storage, so that they can be tested and
//! reasoned about on their own.

use alloc::vec::Vec;
use cpchain_primitives::reputation::ReputationScore;
use sp_runtime::Percent;

use crate::types::ReputationWeights;

/// The rank score of every value among `values`, in the same order: `100 × (n − i) / n`
/// (rounded down) where `i` is the position of the value when the values are sorted from the
/// largest down, and equal values share the best position. With 12 distinct values the
/// scores are 100, 91, 83, 75, 66, 58, 50, 41, 33, 25, 16, 8 (as on the original CPChain).
/// A zero value scores zero: unlike the original, doing nothing in a dimension earns nothing
/// in it, however many others did nothing too.
///
/// Ranks rather than raw values keep one dimension from drowning the others (a whale's bond,
/// say) and need no normalisation constant.
pub fn rank_scores(values: &[u128]) -> Vec<u32> {
	let n = values.len();
	if n == 0 {
		return Vec::new();
	}
	let mut sorted = values.to_vec();
	sorted.sort_unstable_by(|a, b| b.cmp(a));
	values
		.iter()
		.map(|v| {
			if *v == 0 {
				return 0;
			}
			// The first position holding a value not above `v`, i.e. `v`'s first occurrence.
			let position = sorted.partition_point(|x| x > v);
			// n ≤ u32::MAX in practice (the RNode list is bounded); saturate anyway.
			let above = (n - position) as u64;
			u32::try_from(above.saturating_mul(100) / n as u64).unwrap_or(100)
		})
		.collect()
}

/// The raw maintenance value: the share of its slots that an RNode filled, in parts per
/// billion; zero when it had no slot.
pub fn maintenance_value(authored: u32, missed: u32) -> u128 {
	let slots = u128::from(authored) + u128::from(missed);
	(u128::from(authored) * 1_000_000_000).checked_div(slots).unwrap_or(0)
}

/// The rank scores of one RNode in each dimension.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ranks {
	/// Bond rank.
	pub bond: u32,
	/// Transaction activity rank.
	pub activity: u32,
	/// Maintenance rank.
	pub maintenance: u32,
	/// Data contribution rank.
	pub data: u32,
	/// Proxy service rank.
	pub proxy: u32,
}

/// Combines the ranks of one RNode into its reputation: `Σ weight × rank`, then minus
/// `penalty_per_point` of it for each penalty point (zero at 100% or more).
pub fn combine(ranks: Ranks, penalty_points: u32, weights: &ReputationWeights) -> ReputationScore {
	let weighted = [
		(weights.bond, ranks.bond),
		(weights.activity, ranks.activity),
		(weights.maintenance, ranks.maintenance),
		(weights.data, ranks.data),
		(weights.proxy, ranks.proxy),
	]
	.iter()
	.fold(0u32, |sum, (weight, rank)| sum.saturating_add(u32::from(*weight).saturating_mul(*rank)));
	let lost = u32::from(weights.penalty_per_point.deconstruct()).saturating_mul(penalty_points);
	let kept = Percent::from_percent(100u32.saturating_sub(lost).min(100) as u8);
	kept * weighted
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn ranks_match_the_original_for_twelve_distinct_values() {
		let values: Vec<u128> = (1..=12).rev().collect();
		assert_eq!(rank_scores(&values), [100, 91, 83, 75, 66, 58, 50, 41, 33, 25, 16, 8]);
	}

	#[test]
	fn ranks_keep_input_order_and_share_ties() {
		assert_eq!(rank_scores(&[5, 10, 5, 1]), [75, 100, 75, 25]);
		assert_eq!(rank_scores(&[0, 0, 0]), [0, 0, 0]);
		assert_eq!(rank_scores(&[0, 3, 0, 0]), [0, 100, 0, 0]);
		assert_eq!(rank_scores(&[7]), [100]);
		assert!(rank_scores(&[]).is_empty());
	}

	#[test]
	fn ranks_handle_extreme_values() {
		assert_eq!(rank_scores(&[u128::MAX, 0]), [100, 0]);
		assert_eq!(rank_scores(&[u128::MAX, u128::MAX - 1]), [100, 50]);
	}

	#[test]
	fn maintenance_is_a_share_of_slots() {
		assert_eq!(maintenance_value(0, 0), 0);
		assert_eq!(maintenance_value(3, 1), 750_000_000);
		assert_eq!(maintenance_value(5, 0), 1_000_000_000);
		assert_eq!(maintenance_value(0, 9), 0);
		assert_eq!(maintenance_value(u32::MAX, u32::MAX), 500_000_000);
	}

	#[test]
	fn combine_weighs_ranks_and_applies_penalties() {
		let weights = ReputationWeights::default();
		let best = Ranks { bond: 100, activity: 100, maintenance: 100, data: 100, proxy: 100 };
		assert_eq!(combine(best, 0, &weights), 10_000);
		assert_eq!(combine(best, 1, &weights), 8_000);
		assert_eq!(combine(best, 4, &weights), 2_000);
		assert_eq!(combine(best, 5, &weights), 0);
		assert_eq!(combine(best, u32::MAX, &weights), 0);
		let bond_only = Ranks { bond: 50, ..Default::default() };
		assert_eq!(combine(bond_only, 0, &weights), 2_500);
	}
}

//! The committee election: reputation-weighted sampling without replacement, with a share of
//! the seats drawn from the lower-reputation half so that newcomers can rise. Pure and
//! deterministic: the same candidates, seats and seed always give the same committee.

use alloc::vec::Vec;
use codec::Encode;
use cpchain_primitives::reputation::ReputationScore;
use sp_io::hashing::blake2_256;
use sp_runtime::Percent;

/// How the seats are split.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Split {
	/// Share of the candidates (the lowest-reputation ones) that forms the low partition.
	pub low_share: Percent,
	/// Seats drawn from the low partition (fewer when it has fewer candidates).
	pub low_seats: u32,
}

/// A deterministic stream of random numbers: `blake2_256(domain ‖ seed ‖ counter)`.
struct Stream {
	seed: [u8; 32],
	counter: u64,
}

impl Stream {
	const DOMAIN: &'static [u8] = b"cpchain/committee/election/v1";

	fn next(&mut self) -> u128 {
		let mut input = Vec::with_capacity(Self::DOMAIN.len() + 40);
		input.extend_from_slice(Self::DOMAIN);
		input.extend_from_slice(&self.seed);
		input.extend_from_slice(&self.counter.to_le_bytes());
		self.counter = self.counter.saturating_add(1);
		let hash = blake2_256(&input);
		let mut bytes = [0u8; 16];
		bytes.copy_from_slice(&hash[..16]);
		u128::from_le_bytes(bytes)
	}

	/// A number in `0..bound` (`bound > 0`). The modulo bias is below 2^-64 because the
	/// bound (a sum of at most 2^32 u32 weights) is below 2^64.
	fn below(&mut self, bound: u128) -> u128 {
		self.next() % bound
	}
}

/// Draws up to `seats` distinct entries of `pool`, each draw with probability proportional
/// to its weight among the entries not drawn yet. Zero-weight entries are never drawn, so
/// fewer than `seats` may come back. Removes the drawn entries from `pool`.
fn draw<A>(pool: &mut Vec<(A, ReputationScore)>, seats: usize, stream: &mut Stream) -> Vec<A> {
	let mut chosen = Vec::with_capacity(seats);
	while chosen.len() < seats {
		let total: u128 = pool.iter().map(|(_, w)| u128::from(*w)).sum();
		if total == 0 {
			break;
		}
		let mut x = stream.below(total);
		let position = pool
			.iter()
			.position(|(_, w)| {
				let w = u128::from(*w);
				if x < w {
					true
				} else {
					x -= w;
					false
				}
			})
			.unwrap_or(pool.len() - 1);
		chosen.push(pool.remove(position).0);
	}
	chosen
}

/// Elects `seats` members among `candidates` (account, reputation) with `seed`.
///
/// 1. Candidates are sorted by reputation, then by account (so input order does not matter)
///    and duplicates are dropped.
/// 2. The lowest `low_share` of them form the low partition, the rest the high partition.
/// 3. `low_seats` seats are drawn from the low partition, the others from the high partition,
///    each by reputation-weighted sampling without replacement; if a partition runs short, the
///    remaining seats are drawn from what is left of both.
/// 4. The committee is put in slot order by `blake2_256(seed ‖ account)`, so that neither
///    reputation nor partition decides who leads first.
///
/// Returns fewer than `seats` members only if fewer than `seats` candidates have a positive
/// reputation; the caller then falls back to another committee.
pub fn elect<A: Ord + Clone + Encode>(
	mut candidates: Vec<(A, ReputationScore)>,
	seats: u32,
	split: Split,
	seed: [u8; 32],
) -> Vec<A> {
	// An account listed twice counts once, with its lowest reputation; then order by
	// (reputation, account) so that input order never matters.
	candidates.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
	candidates.dedup_by(|later, first| later.0 == first.0);
	candidates.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));

	let seats = seats as usize;
	let low_count = split.low_share.mul_floor(candidates.len() as u32) as usize;
	let mut high = candidates.split_off(low_count.min(candidates.len()));
	let mut low = candidates;
	let mut stream = Stream { seed, counter: 0 };

	let low_seats = (split.low_seats as usize).min(seats);
	let mut committee = draw(&mut low, low_seats, &mut stream);
	let high_seats = seats.saturating_sub(committee.len());
	committee.extend(draw(&mut high, high_seats, &mut stream));
	if committee.len() < seats {
		// One partition was short: fill from everything left.
		let mut rest = low;
		rest.append(&mut high);
		let missing = seats - committee.len();
		committee.extend(draw(&mut rest, missing, &mut stream));
	}

	committee.sort_by_cached_key(|who| {
		let mut input = seed.to_vec();
		who.encode_to(&mut input);
		blake2_256(&input)
	});
	committee
}

#[cfg(test)]
mod tests {
	use super::*;

	const HALF: Split = Split { low_share: Percent::from_percent(50), low_seats: 1 };

	fn seed(i: u64) -> [u8; 32] {
		blake2_256(&i.to_le_bytes())
	}

	#[test]
	fn same_inputs_same_committee_whatever_the_input_order() {
		let candidates: Vec<(u64, u32)> = (1..=20).map(|i| (i, 100 + i as u32 * 7)).collect();
		let mut reversed = candidates.clone();
		reversed.reverse();
		for s in 0..200 {
			let a = elect(candidates.clone(), 7, HALF, seed(s));
			assert_eq!(a, elect(candidates.clone(), 7, HALF, seed(s)));
			assert_eq!(a, elect(reversed.clone(), 7, HALF, seed(s)));
		}
	}

	#[test]
	fn committees_have_exact_size_and_no_duplicates() {
		for n in 1..=30u64 {
			let candidates: Vec<(u64, u32)> = (1..=n).map(|i| (i, (i as u32 % 5) + 1)).collect();
			for seats in 1..=(n as u32) {
				for s in 0..5 {
					let mut committee = elect(candidates.clone(), seats, HALF, seed(s));
					assert_eq!(committee.len(), seats as usize);
					committee.sort();
					committee.dedup();
					assert_eq!(committee.len(), seats as usize, "no duplicates");
				}
			}
		}
	}

	#[test]
	fn duplicated_candidates_are_counted_once() {
		let candidates = vec![(1u64, 10), (1, 10), (2, 10), (2, 50), (3, 10)];
		for s in 0..50 {
			let mut committee = elect(candidates.clone(), 3, HALF, seed(s));
			committee.sort();
			assert_eq!(committee, vec![1, 2, 3]);
		}
		assert_eq!(elect(candidates, 4, HALF, seed(0)).len(), 3);
	}

	#[test]
	fn zero_reputation_is_never_elected() {
		let candidates = vec![(1u64, 0), (2, 5), (3, 0), (4, 9), (5, 1)];
		for s in 0..500 {
			let committee = elect(candidates.clone(), 3, HALF, seed(s));
			assert!(!committee.contains(&1) && !committee.contains(&3));
			assert_eq!(committee.len(), 3);
		}
		assert_eq!(elect(candidates, 4, HALF, seed(0)).len(), 3, "only 3 are eligible");
	}

	#[test]
	fn the_low_half_always_gets_its_seats() {
		// Low half: 1..=10 with tiny reputations; high half: 11..=20 with big ones. Without the
		// split the low half would almost never be drawn.
		let candidates: Vec<(u64, u32)> =
			(1..=20).map(|i| (i, if i <= 10 { 1 } else { 10_000 })).collect();
		let split = Split { low_share: Percent::from_percent(50), low_seats: 2 };
		for s in 0..500 {
			let committee = elect(candidates.clone(), 7, split, seed(s));
			assert_eq!(committee.iter().filter(|who| **who <= 10).count(), 2);
		}
	}

	#[test]
	fn a_short_partition_is_filled_from_the_other() {
		// 4 candidates, 50% low share → 2 low, 2 high; 3 low seats asked of 2 low candidates.
		let candidates = vec![(1u64, 1), (2, 2), (3, 3), (4, 4)];
		let split = Split { low_share: Percent::from_percent(50), low_seats: 3 };
		for s in 0..100 {
			let mut committee = elect(candidates.clone(), 4, split, seed(s));
			committee.sort();
			assert_eq!(committee, vec![1, 2, 3, 4]);
		}
	}

	#[test]
	fn selection_frequency_grows_with_reputation() {
		// High partition: 11..=20 with reputation proportional to the index. Count how often
		// each is elected over a fixed range of seeds: the ordering must follow reputation,
		// and the top must be chosen far more often than the bottom of the high half.
		let candidates: Vec<(u64, u32)> = (1..=20).map(|i| (i, i as u32 * 10)).collect();
		let mut count = [0u32; 21];
		for s in 0..10_000 {
			for who in elect(candidates.clone(), 4, HALF, seed(s)) {
				count[who as usize] += 1;
			}
		}
		let high = &count[11..=20];
		// Monotone up to sampling noise: the upper five beat the lower five, and the top one
		// beats the bottom one clearly (weights 200 vs 110).
		let (lower, upper): (u32, u32) = (high[..5].iter().sum(), high[5..].iter().sum());
		assert!(upper > lower * 6 / 5, "counts {count:?}");
		assert!(count[20] > count[11] * 5 / 4, "counts {count:?}");
		// The low half gets exactly one seat per election.
		assert_eq!(count[1..=10].iter().sum::<u32>(), 10_000);
		// Within the low half one seat is drawn exactly in proportion: 100/550 against 10/550.
		assert!(count[10] > count[1] * 5, "within the low half too: {count:?}");
	}

	#[test]
	fn the_seed_changes_the_committee() {
		let candidates: Vec<(u64, u32)> = (1..=30).map(|i| (i, 100)).collect();
		let committees: Vec<Vec<u64>> =
			(0..20).map(|s| elect(candidates.clone(), 4, HALF, seed(s))).collect();
		let distinct = committees.iter().filter(|c| *c != &committees[0]).count();
		assert!(distinct >= 15, "different seeds give different committees");
	}
}

//! Block production and finality: DPoR.
//!
//! The client-side engine (`cpchain-consensus-dpor`) lets the committee elected by
//! `pallet-committee` build and BFT-finalise every block; `pallet-dpor` reads each block's
//! pre-digest (author, VRF output, view) in the runtime. Everything consensus-specific in the
//! runtime lives here, in the session keys of `lib.rs` and in `DporApi` in `apis.rs`.

use alloc::vec::Vec;
use cpchain_primitives::{committee::TermIndex, consensus::AuthorityId as DporId};

use crate::{
	configs::committee::MaxCommitteeSize, AccountId, BlockNumber, Committee, Reputation, Runtime,
};

/// The committee of a block as pallet-committee elected it, each member with the `dpor` session
/// key it had when the committee was elected (frozen: see pallet-committee's docs). A member
/// without a key then is left out on both sides, so committee indices in pre-digests and votes
/// always match keys and accounts.
pub struct ElectedCommittee;
impl cpchain_primitives::committee::CommitteeProvider<AccountId> for ElectedCommittee {
	fn committee_of_block(number: u64) -> (TermIndex, Vec<(AccountId, DporId)>) {
		let number = BlockNumber::try_from(number).unwrap_or(BlockNumber::MAX);
		let term = Committee::term_of(number);
		// The keys frozen when the term was elected, not the accounts' current session keys:
		// key changes never move a slot or void an equivocation proof mid-term.
		(term, Committee::frozen_committee(term))
	}
}

impl pallet_dpor::Config for Runtime {
	type Committee = ElectedCommittee;
	type Reputation = Reputation;
	type MaxCommitteeSize = MaxCommitteeSize;
	type WeightInfo = crate::weights::pallet_dpor::WeightInfo<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = benchmark_helper::SetCommittee;
}

#[cfg(feature = "runtime-benchmarks")]
mod benchmark_helper {
	use super::*;
	use crate::SessionKeys;
	use frame_support::BoundedVec;

	/// Writes a committee where `ElectedCommittee` reads it: pallet-committee's members of
	/// the block's term with their frozen `dpor` keys (and the same keys as session keys). The members are
	/// RNodes, so that the reputation system records their penalties (the worst case).
	pub struct SetCommittee;
	impl pallet_dpor::BenchmarkHelper<AccountId> for SetCommittee {
		fn set_committee(height: u64, members: Vec<(AccountId, DporId)>) {
			use pallet_committee::BenchmarkHelper as _;
			let number = BlockNumber::try_from(height).unwrap_or(BlockNumber::MAX);
			let mut accounts = Vec::with_capacity(members.len());
			for (who, key) in &members {
				crate::configs::committee::benchmark_helper::MakeEligible::make_eligible(who);
				pallet_session::NextKeys::<Runtime>::insert(who, SessionKeys { dpor: key.clone() });
				accounts.push(who.clone());
			}
			let term = Committee::term_of(number);
			pallet_committee::Committees::<Runtime>::insert(
				term,
				BoundedVec::truncate_from(accounts),
			);
			// The keys as frozen at the election.
			pallet_committee::CommitteeKeys::<Runtime>::insert(
				term,
				BoundedVec::truncate_from(members),
			);
		}
	}
}

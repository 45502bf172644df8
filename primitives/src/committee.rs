//! Terms and committee membership, shared by the committee pallet (which elects a committee
//! per term), the reputation pallet (which keeps members' bonds), the consensus pallet (which
//! reads each block's committee) and the consensus engine.

use alloc::vec::Vec;

use crate::consensus::AuthorityId;

/// Index of a term: a fixed run of blocks for which one elected committee is in charge.
pub type TermIndex = u32;

/// Whether an account sits in the current committee or in one already elected for a future
/// term. The reputation pallet refuses to release the bond of such an account.
pub trait CommitteeMembership<AccountId> {
	/// `true` if `who` is in the current or an elected future committee.
	fn is_in_committee(who: &AccountId) -> bool;
}

impl<AccountId> CommitteeMembership<AccountId> for () {
	fn is_in_committee(_who: &AccountId) -> bool {
		false
	}
}

/// The committee in charge of a block, as pallet-committee elected it (the runtime implements
/// it over pallet-committee for pallet-dpor).
pub trait CommitteeProvider<AccountId> {
	/// The term of block `number` and its committee, in slot order: each member's account
	/// and consensus key (members without a key are left out, on both sides alike).
	fn committee_of_block(number: u64) -> (TermIndex, Vec<(AccountId, AuthorityId)>);
}

//! RNode admission and reputation (`pallet-reputation`), and what feeds it from block
//! production: `pallet-authorship` credits the author of each block (read from its DPoR
//! pre-digest) with `BlockAuthored`; pallet-dpor reports the leaders voted out before a block
//! (`Impeached`) and equivocations (see `consensus.rs`).

use cpchain_primitives::reputation::{ReputationSink, Signal};
use frame_support::{parameter_types, traits::ConstU32};
use sp_runtime::Perbill;

use crate::{
	AccountId, Balance, Balances, BlockNumber, Committee, Reputation, Runtime, RuntimeHoldReason,
	CPC, MINUTES,
};

parameter_types! {
	/// The minimum bond of an RNode, as on the original CPChain.
	pub const RNodeBond: Balance = 200_000 * CPC;
	/// Blocks between unbonding and withdrawing (100 minutes, as on the original CPChain).
	pub const UnbondDelay: BlockNumber = 100 * MINUTES;
	/// Burnt from an equivocator's bond per proven equivocation: 10% (a member that signs two
	/// blocks for one slot on purpose loses more than a term's rewards; an RNode at the
	/// minimum bond drops out of the RNodes at the first one).
	pub const EquivocationSlash: Perbill = Perbill::from_percent(10);
}

impl pallet_reputation::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Committee = Committee;
	type RNodeBond = RNodeBond;
	type UnbondDelay = UnbondDelay;
	// The original CPChain capped candidates at 100.
	type MaxRNodes = ConstU32<100>;
	type MaxUnlockingChunks = ConstU32<16>;
	type EquivocationSlash = EquivocationSlash;
	type WeightInfo = crate::weights::pallet_reputation::WeightInfo<Runtime>;
}

/// Credits the author of every block in the reputation pallet.
pub struct NoteAuthor;
impl pallet_authorship::EventHandler<AccountId, BlockNumber> for NoteAuthor {
	fn note_author(author: AccountId) {
		<Reputation as ReputationSink<AccountId>>::note(&author, Signal::BlockAuthored);
	}
}

impl pallet_authorship::Config for Runtime {
	type FindAuthor = crate::Dpor;
	type EventHandler = NoteAuthor;
}

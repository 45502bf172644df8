//! Block production and finality.
//!
//! Aura and GRANDPA are the stand-in consensus until the DPoR engine lands. Everything
//! consensus-specific in the runtime lives here, in the session keys of `lib.rs` and in the
//! matching runtime APIs of `apis.rs`, so that DPoR replaces them in one place.

use frame_support::traits::{ConstBool, ConstU32, ConstU64};
use sp_consensus_aura::sr25519::AuthorityId as AuraId;

use crate::{Runtime, RuntimeEvent};

/// The largest authority set either protocol accepts.
pub type MaxAuthorities = ConstU32<32>;

impl pallet_aura::Config for Runtime {
	type AuthorityId = AuraId;
	type DisabledValidators = ();
	type MaxAuthorities = MaxAuthorities;
	type AllowMultipleBlocksPerSlot = ConstBool<false>;
	type SlotDuration = pallet_aura::MinimumPeriodTimesTwo<Runtime>;
}

impl pallet_grandpa::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = ();
	type MaxAuthorities = MaxAuthorities;
	type MaxNominators = ConstU32<0>;
	type MaxSetIdSessionEntries = ConstU64<0>;
	// No equivocation reports: there is no staking to slash. DPoR reports equivocations to
	// the reputation pallet instead.
	type KeyOwnerProof = sp_core::Void;
	type EquivocationReportSystem = ();
}

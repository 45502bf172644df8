//! The committee of each term: campaigns and the reputation-weighted election
//! (`pallet-committee`), and `pallet-session`, which turns each elected committee into the
//! authority set of the DPoR engine (one session is one term).

use cpchain_primitives::consensus::AuthorityId as DporId;
use frame_support::{
	parameter_types,
	traits::{ConstU32, Contains},
};
use sp_runtime::{
	traits::{Convert, ConvertInto, OpaqueKeys},
	Percent,
};

use crate::{
	deposit, AccountId, Balance, Balances, BlockNumber, Committee, Reputation, Runtime,
	RuntimeEvent, SessionKeys, TERM_LENGTH,
};

parameter_types! {
	/// Blocks per term (= per session).
	pub const TermLength: BlockNumber = TERM_LENGTH;
	/// Terms start at block 0.
	pub const TermOffset: BlockNumber = 0;
	/// The lower half of the campaigners by reputation forms the low partition...
	pub const LowReputationShare: Percent = Percent::from_percent(50);
	/// ...from which a quarter of the seats are drawn (2 of 8 on the original CPChain).
	pub const LowReputationSeats: Percent = Percent::from_percent(25);
	/// Held while an account has session keys registered: pays for their storage.
	pub const SessionKeyDeposit: Balance = deposit(1, 128);
}

/// The largest committee (3f + 1 with f = 10).
pub type MaxCommitteeSize = ConstU32<31>;

/// Accounts that registered session keys.
pub struct HasSessionKeys;
impl Contains<AccountId> for HasSessionKeys {
	fn contains(who: &AccountId) -> bool {
		pallet_session::NextKeys::<Runtime>::contains_key(who)
	}
}

/// The DPoR key of an account, from its registered session keys.
pub struct DporKeyOf;
impl Convert<AccountId, Option<DporId>> for DporKeyOf {
	fn convert(who: AccountId) -> Option<DporId> {
		pallet_session::NextKeys::<Runtime>::get(&who).map(|keys| keys.dpor)
	}
}

impl pallet_committee::Config for Runtime {
	type Reputation = Reputation;
	type HasSessionKeys = HasSessionKeys;
	type AuthorityId = DporId;
	type AuthorityOf = DporKeyOf;
	// The accumulator of the VRF outputs in every block's pre-digest (pallet-dpor).
	type Randomness = crate::Dpor;
	type TermLength = TermLength;
	type MaxCommitteeSize = MaxCommitteeSize;
	type MaxCandidates = ConstU32<100>;
	type MaxCampaignTerms = ConstU32<10>;
	type LowReputationShare = LowReputationShare;
	type LowReputationSeats = LowReputationSeats;
	type WeightInfo = crate::weights::pallet_committee::WeightInfo<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = benchmark_helper::MakeEligible;
}

impl pallet_session::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type ValidatorId = AccountId;
	type ValidatorIdOf = ConvertInto;
	type ShouldEndSession = pallet_session::PeriodicSessions<TermLength, TermOffset>;
	type NextSessionRotation = pallet_session::PeriodicSessions<TermLength, TermOffset>;
	type SessionManager = Committee;
	type SessionHandler = <SessionKeys as OpaqueKeys>::KeyTypeIdProviders;
	type Keys = SessionKeys;
	// Nothing is slashed or disabled: misbehaviour lowers reputation instead.
	type DisablingStrategy = ();
	type WeightInfo = ();
	type Currency = Balances;
	type KeyDeposit = SessionKeyDeposit;
}

#[cfg(feature = "runtime-benchmarks")]
pub(crate) mod benchmark_helper {
	use super::*;
	use sp_runtime::traits::{BlakeTwo256, Hash};

	/// Makes an account an RNode (a ledger with the minimum bond; the RNode list is left
	/// alone so that benchmarks can make more candidates than `MaxRNodes`), registers session
	/// keys for it and gives it reputation.
	pub struct MakeEligible;
	impl pallet_committee::BenchmarkHelper<AccountId> for MakeEligible {
		fn make_eligible(who: &AccountId) {
			let bond = super::super::reputation::RNodeBond::get();
			pallet_reputation::Ledgers::<Runtime>::insert(
				who,
				pallet_reputation::Ledger {
					active: bond,
					unlocking: Default::default(),
					nonce_mark: 0,
				},
			);
			let raw = BlakeTwo256::hash_of(who).0;
			let keys = SessionKeys { dpor: sp_core::sr25519::Public::from_raw(raw).into() };
			pallet_session::NextKeys::<Runtime>::insert(who, keys);
			pallet_reputation::Reputations::<Runtime>::insert(who, 1_000);
		}
	}
}

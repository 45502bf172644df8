//! DPoR, runtime half: RNode admission and reputation (`pallet-reputation`), campaigns and
//! the committee election (`pallet-committee`), and `pallet-session`, which turns each
//! elected committee into the authority set of the block-production and finality protocols
//! (one session is one term).
//!
//! Block production feeds reputation through `pallet-authorship` (the author of each block,
//! read from its DPoR pre-digest, gets `BlockAuthored`) and `pallet-dpor` (the leaders voted
//! out before a block get `Impeached`).

use cpchain_primitives::consensus::AuthorityId as DporId;
use cpchain_primitives::dpor::{ReputationSink, Signal};
use frame_support::{
	parameter_types,
	traits::{ConstU32, Contains},
};
use sp_runtime::{
	traits::{Convert, ConvertInto, OpaqueKeys},
	Perbill, Percent,
};

use crate::{
	deposit, AccountId, Balance, Balances, BlockNumber, Committee, Reputation, Runtime,
	RuntimeEvent, RuntimeHoldReason, SessionKeys, CPC, MINUTES, TERM_LENGTH,
};

parameter_types! {
	/// The minimum bond of an RNode, as on the original CPChain.
	pub const RNodeBond: Balance = 200_000 * CPC;
	/// Blocks between unbonding and withdrawing (100 minutes, as on the original CPChain).
	pub const UnbondDelay: BlockNumber = 100 * MINUTES;
	/// Blocks per term (= per session).
	pub const TermLength: BlockNumber = TERM_LENGTH;
	/// Terms start at block 0.
	pub const TermOffset: BlockNumber = 0;
	/// The lower half of the campaigners by reputation forms the low partition...
	pub const LowReputationShare: Percent = Percent::from_percent(50);
	/// ...from which a quarter of the seats are drawn (2 of 8 on the original CPChain).
	pub const LowReputationSeats: Percent = Percent::from_percent(25);
	/// Burnt from an equivocator's bond per proven equivocation: 10% (a member that signs two
	/// blocks for one slot on purpose loses more than a term's rewards; an RNode at the
	/// minimum bond drops out of the RNodes at the first one).
	pub const EquivocationSlash: Perbill = Perbill::from_percent(10);
	/// Held while an account has session keys registered: pays for their storage.
	pub const SessionKeyDeposit: Balance = deposit(1, 128);
}

/// The largest committee (3f + 1 with f = 10).
pub type MaxCommitteeSize = ConstU32<31>;

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
			let bond = RNodeBond::get();
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

//! DPoR, runtime half: RNode admission and reputation (`pallet-reputation`), campaigns and
//! the committee election (`pallet-committee`), and `pallet-session`, which turns each
//! elected committee into the authority set of the block-production and finality protocols
//! (one session is one term).
//!
//! Block production feeds reputation through `pallet-authorship`: the author of each block
//! gets `BlockAuthored`, the owners of the empty Aura slots before it `SlotMissed`.

use cpchain_primitives::dpor::{ReputationSink, Signal};
use frame_support::{
	parameter_types,
	traits::{ConstU32, Contains},
};
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_runtime::{
	traits::{Convert, ConvertInto, OpaqueKeys},
	Percent,
};

use crate::{
	deposit, AccountId, Aura, Balance, Balances, BlockNumber, Committee, Reputation, Runtime,
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
	type WeightInfo = crate::weights::pallet_reputation::WeightInfo<Runtime>;
}

/// Accounts that registered session keys.
pub struct HasSessionKeys;
impl Contains<AccountId> for HasSessionKeys {
	fn contains(who: &AccountId) -> bool {
		pallet_session::NextKeys::<Runtime>::contains_key(who)
	}
}

/// The block-production key of an account, from its registered session keys.
pub struct AuraKeyOf;
impl Convert<AccountId, Option<AuraId>> for AuraKeyOf {
	fn convert(who: AccountId) -> Option<AuraId> {
		pallet_session::NextKeys::<Runtime>::get(&who).map(|keys| keys.aura)
	}
}

impl pallet_committee::Config for Runtime {
	type Reputation = Reputation;
	type HasSessionKeys = HasSessionKeys;
	type AuthorityId = AuraId;
	type AuthorityOf = AuraKeyOf;
	// A hash chain over parent hashes until the DPoR engine provides VRF outputs; see the
	// pallet docs for what that means for the election's trust model.
	type Randomness = pallet_committee::ParentHashAccumulator<Runtime>;
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

/// Credits the author of every block in the reputation pallet, and debits the authorities
/// whose Aura slots since the previous block stayed empty.
pub struct NoteAuthor;
impl pallet_authorship::EventHandler<AccountId, BlockNumber> for NoteAuthor {
	fn note_author(author: AccountId) {
		<Reputation as ReputationSink<AccountId>>::note(&author, Signal::BlockAuthored);
		note_missed_slots();
	}
}

/// The Aura slot of the block being built, from its pre-runtime digest.
fn slot_of_this_block() -> Option<u64> {
	frame_system::Pallet::<Runtime>::digest().logs.iter().find_map(|item| {
		item.pre_runtime_try_to::<sp_consensus_aura::Slot>(&sp_consensus_aura::AURA_ENGINE_ID)
			.map(u64::from)
	})
}

/// Notes `SlotMissed` for the owner of every empty slot between the previous block and this
/// one. pallet-authorship runs before Aura, so `pallet_aura::CurrentSlot` still holds the
/// previous block's slot here. The owner of slot `s` is authority `s mod n`, which is the
/// validator at the same index (as in `pallet_session::FindAccountFromAuthorIndex`). At most
/// one note per authority per block: the work is bounded by the committee size, and a long
/// halt does not wipe out everybody's reputation at once.
fn note_missed_slots() {
	let previous = u64::from(pallet_aura::CurrentSlot::<Runtime>::get());
	// Block 1 has no previous slot to compare with.
	if previous == 0 {
		return;
	}
	let Some(current) = slot_of_this_block() else { return };
	let authorities = pallet_aura::Authorities::<Runtime>::decode_len().unwrap_or(0) as u64;
	if authorities == 0 {
		return;
	}
	let validators = pallet_session::Validators::<Runtime>::get();
	for slot in (previous.saturating_add(1)..current).take(authorities as usize) {
		if let Some(owner) = validators.get((slot % authorities) as usize) {
			<Reputation as ReputationSink<AccountId>>::note(owner, Signal::SlotMissed);
		}
	}
}

impl pallet_authorship::Config for Runtime {
	type FindAuthor = pallet_session::FindAccountFromAuthorIndex<Self, Aura>;
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
			let keys = SessionKeys {
				aura: sp_core::sr25519::Public::from_raw(raw).into(),
				grandpa: sp_core::ed25519::Public::from_raw(raw).into(),
			};
			pallet_session::NextKeys::<Runtime>::insert(who, keys);
			pallet_reputation::Reputations::<Runtime>::insert(who, 1_000);
		}
	}
}

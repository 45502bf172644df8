//! A mock runtime for the committee pallet's unit tests. Reputation, session keys and
//! randomness are plain test doubles so that the election can be steered precisely.

use crate as pallet_committee;
use cpchain_primitives::reputation::{ReputationProvider, ReputationScore};
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU32, ConstU64, Contains, Randomness},
	weights::Weight,
};
use sp_runtime::{traits::Hash, BuildStorage, Percent};

type Block = frame_system::mocking::MockBlock<Test>;
pub type AccountId = u64;

#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Test;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;
	#[runtime::pallet_index(1)]
	pub type Committee = pallet_committee;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

parameter_types! {
	/// RNodes and their reputations.
	pub static RNodeSet: Vec<(AccountId, ReputationScore)> = Vec::new();
	/// Accounts with session keys.
	pub static KeyHolders: Vec<AccountId> = Vec::new();
	/// How many times the election asked for a recomputation.
	pub static Recomputations: u32 = 0;
	/// Mixed into the mock randomness, so that tests can vary the seed.
	pub static SeedSalt: u64 = 0;
}

pub struct MockReputation;
impl ReputationProvider<AccountId> for MockReputation {
	fn is_rnode(who: &AccountId) -> bool {
		RNodeSet::get().iter().any(|(r, _)| r == who)
	}
	fn reputation(who: &AccountId) -> ReputationScore {
		RNodeSet::get().iter().find(|(r, _)| r == who).map(|(_, s)| *s).unwrap_or(0)
	}
	fn recompute() -> Weight {
		Recomputations::set(Recomputations::get() + 1);
		Weight::from_parts(1_000, 0)
	}
}

pub struct MockKeys;
impl Contains<AccountId> for MockKeys {
	fn contains(who: &AccountId) -> bool {
		KeyHolders::get().contains(who)
	}
}

/// Authority keys are the account ids plus 1000, so that tests can tell them apart.
pub struct KeyOf;
impl sp_runtime::traits::Convert<AccountId, Option<u64>> for KeyOf {
	fn convert(who: AccountId) -> Option<u64> {
		KeyHolders::get().contains(&who).then_some(who + 1000)
	}
}

pub struct MockRandomness;
impl Randomness<sp_core::H256, u64> for MockRandomness {
	fn random(subject: &[u8]) -> (sp_core::H256, u64) {
		(sp_runtime::traits::BlakeTwo256::hash_of(&(subject, SeedSalt::get())), 0)
	}
}

impl pallet_committee::Config for Test {
	type Reputation = MockReputation;
	type HasSessionKeys = MockKeys;
	type AuthorityId = u64;
	type AuthorityOf = KeyOf;
	type Randomness = MockRandomness;
	type TermLength = ConstU64<10>;
	type MaxCommitteeSize = ConstU32<4>;
	type MaxCandidates = ConstU32<8>;
	type MaxCampaignTerms = ConstU32<3>;
	type LowReputationShare = LowShare;
	type LowReputationSeats = LowSeats;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MockHelper;
}

parameter_types! {
	pub const LowShare: Percent = Percent::from_percent(50);
	pub const LowSeats: Percent = Percent::from_percent(25);
}

#[cfg(feature = "runtime-benchmarks")]
pub struct MockHelper;
#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId> for MockHelper {
	fn make_eligible(who: &AccountId) {
		RNodeSet::mutate(|s| s.push((*who, 100)));
		KeyHolders::mutate(|k| k.push(*who));
	}
}

/// A chain whose genesis committee is `committee` (elect `size` members; 0 = its size).
pub fn new_test_ext(committee: Vec<AccountId>, size: u32) -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default()
		.build_storage()
		.expect("mock genesis builds");
	pallet_committee::GenesisConfig::<Test> { committee, committee_size: size }
		.assimilate_storage(&mut storage)
		.expect("committee genesis builds");
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		RNodeSet::set(Vec::new());
		KeyHolders::set(Vec::new());
		Recomputations::set(0);
		SeedSalt::set(0);
		// As pallet-session's genesis does (after setting the genesis keys, none here).
		use pallet_session::SessionManager;
		let _ = <Committee as SessionManager<AccountId>>::new_session_genesis(0);
		let _ = <Committee as SessionManager<AccountId>>::new_session_genesis(1);
	});
	ext
}

/// Makes `who` an RNode with keys and reputation `score`.
pub fn eligible(who: AccountId, score: ReputationScore) {
	RNodeSet::mutate(|s| {
		s.retain(|(r, _)| *r != who);
		s.push((who, score));
	});
	KeyHolders::mutate(|k| {
		if !k.contains(&who) {
			k.push(who);
		}
	});
}

/// The test harness of this pallet, the one shape every pallet of the project uses:
/// `ExtBuilder::default()`, the genesis knobs the test needs, then `build_and_execute(|| ..)`,
/// which runs the test on a fresh mock chain and ends by checking the pallet's invariants
/// (`do_try_state`) on the state the test left.
#[derive(Default)]
pub struct ExtBuilder {
	/// The genesis committee.
	committee: Vec<AccountId>,
	/// The committee size to elect (0: the genesis committee's).
	size: u32,
}

impl ExtBuilder {
	/// Makes `committee` the genesis committee.
	pub fn committee(mut self, committee: Vec<AccountId>) -> Self {
		self.committee = committee;
		self
	}

	/// Elects committees of `size` members (0: the genesis committee's size).
	pub fn size(mut self, size: u32) -> Self {
		self.size = size;
		self
	}

	/// The externalities of the mock chain at block 1.
	pub fn build(self) -> sp_io::TestExternalities {
		new_test_ext(self.committee, self.size)
	}

	/// Runs `test` on the chain, then checks the pallet's invariants on what it left.
	pub fn build_and_execute(self, test: impl FnOnce()) {
		self.build().execute_with(|| {
			test();
			crate::Pallet::<Test>::do_try_state().expect("the pallet's invariants hold");
		});
	}
}

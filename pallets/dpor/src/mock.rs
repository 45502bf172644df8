//! A runtime with only frame-system and this pallet; the committee is a test fixture.

use core::cell::RefCell;

use cpchain_primitives::{
	committee::TermIndex,
	consensus::{AuthorityId, AuthorityPair},
	reputation::{ReputationSink, Signal},
};
use frame_support::{derive_impl, traits::ConstU32};
use sp_core::Pair;
use sp_runtime::BuildStorage;

use crate::{self as pallet_dpor};
use cpchain_primitives::committee::CommitteeProvider;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Dpor: pallet_dpor,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

type Extrinsic = frame_system::mocking::MockUncheckedExtrinsic<Test>;

impl<C> frame_system::offchain::CreateTransactionBase<C> for Test
where
	RuntimeCall: From<C>,
{
	type Extrinsic = Extrinsic;
	type RuntimeCall = RuntimeCall;
}

impl<C> frame_system::offchain::CreateBare<C> for Test
where
	RuntimeCall: From<C>,
{
	fn create_bare(call: RuntimeCall) -> Extrinsic {
		Extrinsic::new_bare(call)
	}
}

/// Blocks per term in the tests.
pub const TERM: u64 = 10;

thread_local! {
	/// Signals the pallet reported.
	pub static SIGNALS: RefCell<Vec<(u64, Signal)>> = const { RefCell::new(Vec::new()) };
	/// A committee set by the benchmarks, instead of the four members.
	pub static COMMITTEE: RefCell<Option<Vec<(u64, AuthorityId)>>> = const { RefCell::new(None) };
}

/// The committee key of account `i`.
pub fn pair(i: u64) -> AuthorityPair {
	AuthorityPair::from_seed(&[i as u8; 32])
}

/// Four members, accounts 1..=4, in that slot order, the same for every term (unless the
/// benchmarks set [`COMMITTEE`]).
pub struct FourMembers;
impl CommitteeProvider<u64> for FourMembers {
	fn committee_of_block(number: u64) -> (TermIndex, Vec<(u64, AuthorityId)>) {
		let members = COMMITTEE.with(|c| c.borrow().clone());
		let members = members.unwrap_or_else(|| (1..=4).map(|i| (i, pair(i).public())).collect());
		((number / TERM) as TermIndex, members)
	}
}

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<u64> for FourMembers {
	fn set_committee(_height: u64, members: Vec<(u64, AuthorityId)>) {
		COMMITTEE.with(|c| *c.borrow_mut() = Some(members));
	}
}

/// Records signals.
pub struct RecordSignals;
impl ReputationSink<u64> for RecordSignals {
	fn note(who: &u64, signal: Signal) {
		SIGNALS.with(|s| s.borrow_mut().push((*who, signal)));
	}
}

impl pallet_dpor::Config for Test {
	type Committee = FourMembers;
	type Reputation = RecordSignals;
	type MaxCommitteeSize = ConstU32<4>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = FourMembers;
}

pub fn new_test_ext() -> sp_io::TestExternalities {
	let storage =
		frame_system::GenesisConfig::<Test>::default().build_storage().expect("genesis builds");
	let mut ext = sp_io::TestExternalities::new(storage);
	// Benchmarks sign votes with keystore keys.
	ext.register_extension(sp_keystore::KeystoreExt::new(
		sp_keystore::testing::MemoryKeystore::new(),
	));
	COMMITTEE.with(|c| *c.borrow_mut() = None);
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// The test harness of this pallet, the one shape every pallet of the project uses:
/// `ExtBuilder::default()`, the genesis knobs the test needs, then `build_and_execute(|| ..)`,
/// which runs the test on a fresh mock chain and ends by checking the pallet's invariants
/// (`do_try_state`) on the state the test left.
#[derive(Default)]
pub struct ExtBuilder {}

impl ExtBuilder {
	/// The externalities of the mock chain at block 1.
	pub fn build(self) -> sp_io::TestExternalities {
		new_test_ext()
	}

	/// Runs `test` on the chain, then checks the pallet's invariants on what it left.
	pub fn build_and_execute(self, test: impl FnOnce()) {
		self.build().execute_with(|| {
			test();
			crate::Pallet::<Test>::do_try_state().expect("the pallet's invariants hold");
		});
	}
}

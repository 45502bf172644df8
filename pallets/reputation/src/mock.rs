//! A mock runtime for the reputation pallet's unit tests.

use crate as pallet_reputation;
use cpchain_primitives::committee::CommitteeMembership;
use frame_support::{derive_impl, parameter_types, traits::ConstU32};
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;
pub type AccountId = u64;
pub type Balance = u128;

/// The minimum bond in the mock.
pub const MIN_BOND: Balance = 100;
/// Blocks between unbond and withdraw in the mock.
pub const UNBOND_DELAY: u64 = 10;
/// Every account in the mock starts with this much.
pub const ENDOWMENT: Balance = 1_000;
/// An account with nothing.
pub const PAUPER: AccountId = 99;

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
	pub type Balances = pallet_balances;
	#[runtime::pallet_index(2)]
	pub type Reputation = pallet_reputation;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<Balance>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type Balance = Balance;
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
}

parameter_types! {
	/// The accounts that the mock's committee pallet reports as members.
	pub static CommitteeMembers: Vec<AccountId> = Vec::new();
	pub const RNodeBond: Balance = MIN_BOND;
	pub const UnbondDelay: u64 = UNBOND_DELAY;
	pub const EquivocationSlash: sp_runtime::Perbill = sp_runtime::Perbill::from_percent(10);
}

/// Committee membership read from [`CommitteeMembers`].
pub struct MockCommittee;
impl CommitteeMembership<AccountId> for MockCommittee {
	fn is_in_committee(who: &AccountId) -> bool {
		CommitteeMembers::get().contains(who)
	}
}

impl pallet_reputation::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Committee = MockCommittee;
	type RNodeBond = RNodeBond;
	type UnbondDelay = UnbondDelay;
	type MaxRNodes = ConstU32<4>;
	type MaxUnlockingChunks = ConstU32<2>;
	type EquivocationSlash = EquivocationSlash;
	type WeightInfo = ();
}

/// Accounts 1..=6 hold `ENDOWMENT`; `genesis_rnodes` are bonded at genesis.
pub fn new_test_ext(genesis_rnodes: Vec<(AccountId, Balance)>) -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default()
		.build_storage()
		.expect("mock genesis builds");
	pallet_balances::GenesisConfig::<Test> {
		balances: (1..=6).map(|who| (who, ENDOWMENT)).collect(),
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.expect("balances genesis builds");
	pallet_reputation::GenesisConfig::<Test> { rnodes: genesis_rnodes, weights: None }
		.assimilate_storage(&mut storage)
		.expect("reputation genesis builds");
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		CommitteeMembers::set(Vec::new());
	});
	ext
}

/// Runs every pallet's hooks block by block up to block `n` (finalising the current block
/// first), checking the pallet's invariants after each block's initialisation.
pub fn run_to_block(n: u64) {
	System::run_to_block_with::<AllPalletsWithSystem>(
		n,
		frame_system::RunToBlockHooks::default().after_initialize(|_| {
			crate::Pallet::<Test>::do_try_state().expect("the pallet's invariants hold");
		}),
	);
}

/// The test harness of this pallet, the one shape every pallet of the project uses:
/// `ExtBuilder::default()`, the genesis knobs the test needs, then `build_and_execute(|| ..)`,
/// which runs the test on a fresh mock chain and ends by checking the pallet's invariants
/// (`do_try_state`) on the state the test left.
#[derive(Default)]
pub struct ExtBuilder {
	/// RNodes bonded at genesis, with their bonds.
	rnodes: Vec<(AccountId, Balance)>,
}

impl ExtBuilder {
	/// Bonds `rnodes` at genesis.
	pub fn rnodes(mut self, rnodes: Vec<(AccountId, Balance)>) -> Self {
		self.rnodes = rnodes;
		self
	}

	/// The externalities of the mock chain at block 1.
	pub fn build(self) -> sp_io::TestExternalities {
		new_test_ext(self.rnodes)
	}

	/// Runs `test` on the chain, then checks the pallet's invariants on what it left.
	pub fn build_and_execute(self, test: impl FnOnce()) {
		self.build().execute_with(|| {
			test();
			crate::Pallet::<Test>::do_try_state().expect("the pallet's invariants hold");
		});
	}
}

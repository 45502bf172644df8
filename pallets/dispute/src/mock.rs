//! A mock runtime for the dispute pallet's unit tests: balances with holds, and orders,
//! candidate jurors and randomness from tables the tests fill.

use crate as pallet_dispute;
use cpchain_primitives::{
	data::IntervalRange,
	dispute::{ArbitrableOrders, JurorSource, OrderParties, Ruling},
	market::OrderId,
	reputation::{ReputationScore, ReputationSink, Signal},
};
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU32, Randomness},
	weights::Weight,
};
use sp_runtime::{BuildStorage, DispatchError, DispatchResult, Perbill};

type Block = frame_system::mocking::MockBlock<Test>;
pub type AccountId = u64;
pub type Balance = u128;

pub const ENDOWMENT: Balance = 10_000;
pub const FEE: Balance = 10;
pub const STAKE: Balance = 100;
pub const RESPONSE: u64 = 5;
pub const EVIDENCE: u64 = 3;
pub const COMMIT: u64 = 4;
pub const REVEAL: u64 = 4;
pub const APPEAL: u64 = 5;
pub const MAX_JURY: u32 = 7;
pub const MAX_EVIDENCE: u32 = 4;

pub const BUYER: AccountId = 1;
pub const SELLER: AccountId = 2;
pub const STRANGER: AccountId = 3;
/// An account with nothing.
pub const PAUPER: AccountId = 99;
/// The first candidate juror; candidates are `JUROR..JUROR + n`.
pub const JUROR: AccountId = 10;

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
	pub type Court = pallet_dispute;
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
	/// The open orders of the mock: id, buyer, seller.
	pub static OrderTable: Vec<(OrderId, AccountId, AccountId)> = Vec::new();
	/// The frozen intervals of orders, and the ruling once given.
	pub static FrozenTable: Vec<(OrderId, IntervalRange, Option<Ruling>)> = Vec::new();
	/// The candidate jurors: account, bond, reputation.
	pub static Candidates: Vec<(AccountId, Balance, ReputationScore)> = Vec::new();
	/// What the mock randomness mixes into every seed.
	pub static Seed: u64 = 0;
	/// Every signal reported to the mock reputation system, in order.
	pub static Signals: Vec<(AccountId, Signal)> = Vec::new();
	pub const BondCap: Balance = 1_000;
}

/// Orders from [`OrderTable`]; freezes and rulings into [`FrozenTable`]. Intervals from 100
/// on are "not disputable", like the market's intervals past their settlement block.
pub struct MockOrders;
impl ArbitrableOrders<AccountId> for MockOrders {
	fn parties(order: OrderId) -> Option<OrderParties<AccountId>> {
		OrderTable::get()
			.into_iter()
			.find(|(id, _, _)| *id == order)
			.map(|(_, buyer, seller)| OrderParties { buyer, seller, stream: 0 })
	}
	fn freeze(order: OrderId, intervals: IntervalRange) -> DispatchResult {
		if Self::parties(order).is_none() {
			return Err(DispatchError::Other("unknown order"));
		}
		if FrozenTable::get().iter().any(|(id, _, _)| *id == order) {
			return Err(DispatchError::Other("frozen already"));
		}
		if intervals.last >= 100 {
			return Err(DispatchError::Other("not disputable"));
		}
		FrozenTable::mutate(|t| t.push((order, intervals, None)));
		Ok(())
	}
	fn rule(order: OrderId, ruling: Ruling) -> DispatchResult {
		FrozenTable::mutate(|t| {
			let f = t
				.iter_mut()
				.find(|(id, _, r)| *id == order && r.is_none())
				.ok_or(DispatchError::Other("not frozen"))?;
			f.2 = Some(ruling);
			Ok(())
		})
	}
	fn rule_weight() -> Weight {
		Weight::from_parts(1_000_000, 1_000)
	}
}

/// Candidates from [`Candidates`].
pub struct MockJurors;
impl JurorSource<AccountId, Balance> for MockJurors {
	fn candidates() -> Vec<(AccountId, Balance, ReputationScore)> {
		Candidates::get()
	}
}

/// A hash of the subject and [`Seed`].
pub struct MockRandomness;
impl Randomness<sp_core::H256, u64> for MockRandomness {
	fn random(subject: &[u8]) -> (sp_core::H256, u64) {
		use codec::Encode;
		let hash = sp_io::hashing::blake2_256(&(subject, Seed::get()).encode());
		(sp_core::H256(hash), System::block_number())
	}
}

/// A reputation system that remembers what it was told.
pub struct RecordingReputation;
impl ReputationSink<AccountId> for RecordingReputation {
	fn note(who: &AccountId, signal: Signal) {
		Signals::mutate(|s| s.push((*who, signal)));
	}
}

parameter_types! {
	pub const FeePerJuror: Balance = FEE;
	pub const JurorStake: Balance = STAKE;
	pub const Penalty: Perbill = Perbill::from_percent(20);
	pub const ResponsePeriod: u64 = RESPONSE;
	pub const EvidencePeriod: u64 = EVIDENCE;
	pub const CommitPeriod: u64 = COMMIT;
	pub const RevealPeriod: u64 = REVEAL;
	pub const AppealPeriod: u64 = APPEAL;
}

impl pallet_dispute::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Orders = MockOrders;
	type Jurors = MockJurors;
	type Randomness = MockRandomness;
	type Reputation = RecordingReputation;
	type FeePerJuror = FeePerJuror;
	type JurorStake = JurorStake;
	type IncoherencePenalty = Penalty;
	type BondCap = BondCap;
	type InitialJury = ConstU32<3>;
	type MaxJury = ConstU32<MAX_JURY>;
	type MaxCandidates = ConstU32<32>;
	type MaxDrawsPerBlock = ConstU32<2>;
	type MaxEvidence = ConstU32<MAX_EVIDENCE>;
	type MaxCidLen = ConstU32<64>;
	type ResponsePeriod = ResponsePeriod;
	type EvidencePeriod = EvidencePeriod;
	type CommitPeriod = CommitPeriod;
	type RevealPeriod = RevealPeriod;
	type AppealPeriod = AppealPeriod;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MockBenchmarkHelper;
}

/// Orders in the table, candidates from `JUROR` on.
#[cfg(feature = "runtime-benchmarks")]
pub struct MockBenchmarkHelper;
#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId> for MockBenchmarkHelper {
	fn order(buyer: &AccountId, seller: &AccountId) -> (OrderId, IntervalRange) {
		let id = OrderTable::get().len() as OrderId + 1_000;
		add_order(id, *buyer, *seller);
		(id, IntervalRange { first: 3, last: 4 })
	}
	fn candidates(n: u32) -> Vec<AccountId> {
		use frame_support::traits::fungible::Mutate;
		let jurors: Vec<AccountId> = (0..u64::from(n)).map(|i| 1_000_000 + i).collect();
		for j in &jurors {
			Balances::set_balance(j, 1_000 * STAKE);
		}
		Candidates::set(jurors.iter().map(|j| (*j, 500, 10)).collect());
		jurors
	}
}

/// Adds an open order to the table.
pub fn add_order(order: OrderId, buyer: AccountId, seller: AccountId) {
	OrderTable::mutate(|t| t.push((order, buyer, seller)));
}

/// `n` candidate jurors from [`JUROR`], each with a bond of `bond` and reputation 10.
pub fn candidates(n: u64, bond: Balance) {
	Candidates::set((JUROR..JUROR + n).map(|who| (who, bond, 10)).collect());
}

/// The ruling the mock market got for `order`'s frozen intervals, if any.
pub fn market_ruling(order: OrderId) -> Option<Option<Ruling>> {
	FrozenTable::get().into_iter().find(|(id, _, _)| *id == order).map(|(_, _, r)| r)
}

/// Runs every pallet's hooks block by block up to block `n`, checking the pallet's invariants
/// after each block's initialisation.
pub fn run_to_block(n: u64) {
	System::run_to_block_with::<AllPalletsWithSystem>(
		n,
		frame_system::RunToBlockHooks::default().after_initialize(|_| {
			crate::Pallet::<Test>::do_try_state().expect("the pallet's invariants hold");
		}),
	);
}

/// The test harness: `ExtBuilder::default().build_and_execute(|| ..)` runs the test on a fresh
/// mock chain at block 1 (the parties, a stranger and 40 candidate accounts endowed; order 0
/// between the buyer and the seller; `candidates` jurors) and ends by checking the pallet's
/// invariants on the state the test left.
pub struct ExtBuilder {
	candidates: u64,
	at_genesis: bool,
}

impl Default for ExtBuilder {
	fn default() -> Self {
		Self { candidates: 10, at_genesis: false }
	}
}

impl ExtBuilder {
	/// How many candidate jurors (each bonded 500, reputation 10).
	pub fn candidates(mut self, n: u64) -> Self {
		self.candidates = n;
		self
	}

	/// The chain at block 0, as a real chain's genesis is when the benchmarks run on it: the
	/// benchmark tests start here.
	pub fn at_genesis(mut self) -> Self {
		self.at_genesis = true;
		self
	}

	/// The externalities of the mock chain at block 1 (or 0, [`Self::at_genesis`]).
	pub fn build(self) -> sp_io::TestExternalities {
		let mut t = frame_system::GenesisConfig::<Test>::default().build_storage().expect("valid");
		pallet_balances::GenesisConfig::<Test> {
			balances: [BUYER, SELLER, STRANGER]
				.into_iter()
				.chain(JUROR..JUROR + 40)
				.map(|who| (who, ENDOWMENT))
				.collect(),
			..Default::default()
		}
		.assimilate_storage(&mut t)
		.expect("valid");
		let mut ext = sp_io::TestExternalities::new(t);
		let n = self.candidates;
		ext.execute_with(|| {
			System::set_block_number(1);
			OrderTable::set(Vec::new());
			FrozenTable::set(Vec::new());
			Signals::set(Vec::new());
			Seed::set(0);
			candidates(n, 500);
			add_order(0, BUYER, SELLER);
			if self.at_genesis {
				System::set_block_number(0);
			}
		});
		ext
	}

	/// Runs `test` on the chain, then checks the pallet's invariants on what it left.
	pub fn build_and_execute(self, test: impl FnOnce()) {
		self.build().execute_with(|| {
			test();
			crate::Pallet::<Test>::do_try_state().expect("the pallet's invariants hold");
		});
	}
}

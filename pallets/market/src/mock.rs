//! A mock runtime for the market's unit tests: balances with holds, and streams, records and
//! grants from tables the tests fill.

use crate as pallet_market;
use cpchain_primitives::{
	access::GrantInspect,
	data::{IntervalIndex, IntervalRange, RecordInspect, StreamId, StreamInspect, StreamSummary},
	reputation::{ReputationSink, Signal},
};
use frame_support::{derive_impl, parameter_types, traits::ConstU32};
use sp_keyring::Sr25519Keyring;
use sp_runtime::{traits::IdentityLookup, AccountId32, BuildStorage, Permill};

type Block = frame_system::mocking::MockBlock<Test>;
pub type AccountId = AccountId32;
pub type Balance = u128;

pub const ENDOWMENT: Balance = 10_000;
pub const ED: Balance = 1;
pub const DEPOSIT_BASE: Balance = 10;
pub const DEPOSIT_PER_BYTE: Balance = 1;
pub const ORDER_DEPOSIT: Balance = 5;
pub const MAX_INTERVALS: u32 = 20;
pub const MAX_SETTLE: u32 = 8;
pub const DELIVERY_WINDOW: u64 = 3;
pub const CONFIRM_WINDOW: u64 = 4;
pub const RATING_WINDOW: u64 = 10;

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
	pub type Market = pallet_market;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountId = AccountId;
	type Lookup = IdentityLookup<AccountId>;
	type AccountData = pallet_balances::AccountData<Balance>;
}

parameter_types! {
	pub static ExistentialDeposit: Balance = ED;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type Balance = Balance;
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
	type ExistentialDeposit = ExistentialDeposit;
}

parameter_types! {
	/// Every signal reported to the mock reputation system, in order.
	pub static Signals: Vec<(AccountId, Signal)> = Vec::new();
	/// The streams of the mock: id, owner, next interval.
	pub static StreamTable: Vec<(StreamId, AccountId, IntervalIndex)> = Vec::new();
	/// The records of the mock: stream, intervals, block registered.
	pub static RecordTable: Vec<(StreamId, IntervalRange, u64)> = Vec::new();
	/// The grants of the mock: grantee, stream, intervals, expiry block.
	pub static GrantTable: Vec<(AccountId, StreamId, IntervalRange, u64)> = Vec::new();
	pub static Fee: Permill = Permill::from_percent(10);
	pub const DepositBase: Balance = DEPOSIT_BASE;
	pub const DepositPerByte: Balance = DEPOSIT_PER_BYTE;
	pub const OrderDeposit: Balance = ORDER_DEPOSIT;
	pub const DeliveryWindow: u64 = DELIVERY_WINDOW;
	pub const ConfirmWindow: u64 = CONFIRM_WINDOW;
	pub const RatingWindow: u64 = RATING_WINDOW;
	pub FeeCollector: AccountId = collector();
}

/// Streams read from [`StreamTable`].
pub struct MockStreams;
impl StreamInspect<AccountId> for MockStreams {
	fn stream(stream: StreamId) -> Option<StreamSummary<AccountId>> {
		StreamTable::get()
			.into_iter()
			.find(|(id, _, _)| *id == stream)
			.map(|(_, owner, next_interval)| StreamSummary { owner, next_interval })
	}
}

/// Records read from [`RecordTable`].
pub struct MockRecords;
impl RecordInspect<u64> for MockRecords {
	fn recorded_at(stream: StreamId, interval: IntervalIndex) -> Option<u64> {
		RecordTable::get()
			.into_iter()
			.find(|(s, r, _)| *s == stream && r.contains(interval))
			.map(|(_, _, at)| at)
	}
}

/// Grants read from [`GrantTable`], valid before their expiry block.
pub struct MockGrants;
impl GrantInspect<AccountId> for MockGrants {
	fn is_authorized(grantee: &AccountId, stream: StreamId, interval: IntervalIndex) -> bool {
		let now = System::block_number();
		GrantTable::get().into_iter().any(|(g, s, r, expires)| {
			&g == grantee && s == stream && r.contains(interval) && now < expires
		})
	}
}

/// A reputation system that remembers what it was told.
pub struct RecordingReputation;
impl ReputationSink<AccountId> for RecordingReputation {
	fn note(who: &AccountId, signal: Signal) {
		Signals::mutate(|s| s.push((who.clone(), signal)));
	}
}

impl pallet_market::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Streams = MockStreams;
	type Records = MockRecords;
	type Grants = MockGrants;
	type Reputation = RecordingReputation;
	type MarketFee = Fee;
	type FeeCollector = FeeCollector;
	type ListingDepositBase = DepositBase;
	type ListingDepositPerByte = DepositPerByte;
	type OrderDeposit = OrderDeposit;
	type MaxTitleLen = ConstU32<32>;
	type MaxDescriptionLen = ConstU32<128>;
	type MaxTags = ConstU32<4>;
	type MaxTagLen = ConstU32<12>;
	type MaxCidLen = ConstU32<64>;
	type MaxIntervalsPerOrder = ConstU32<MAX_INTERVALS>;
	type MaxSettlePerCall = ConstU32<MAX_SETTLE>;
	type DeliveryWindow = DeliveryWindow;
	type ConfirmWindow = ConfirmWindow;
	type RatingWindow = RatingWindow;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MockBenchmarkHelper;
}

/// Streams, records and grants in the tables.
#[cfg(feature = "runtime-benchmarks")]
pub struct MockBenchmarkHelper;
#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId> for MockBenchmarkHelper {
	fn stream_of(owner: &AccountId, recorded: IntervalIndex) -> StreamId {
		let id = StreamTable::get().len() as StreamId;
		set_stream(id, owner, recorded);
		if recorded > 0 {
			record(id, IntervalRange { first: 0, last: recorded - 1 }, System::block_number());
		}
		id
	}
	fn deliver(stream: StreamId, _owner: &AccountId, buyer: &AccountId, intervals: IntervalRange) {
		record(stream, intervals, System::block_number());
		grant(buyer, stream, intervals, u64::MAX);
	}
}

pub fn alice() -> AccountId {
	Sr25519Keyring::Alice.to_account_id()
}
pub fn bob() -> AccountId {
	Sr25519Keyring::Bob.to_account_id()
}
pub fn charlie() -> AccountId {
	Sr25519Keyring::Charlie.to_account_id()
}
pub fn dave() -> AccountId {
	Sr25519Keyring::Dave.to_account_id()
}
/// An account with nothing.
pub fn ferdie() -> AccountId {
	Sr25519Keyring::Ferdie.to_account_id()
}
/// Where market fees go (endowed, so that it exists).
pub fn collector() -> AccountId {
	Sr25519Keyring::Eve.to_account_id()
}

/// Adds a stream to the table (replacing one of the same id).
pub fn set_stream(stream: StreamId, owner: &AccountId, next_interval: IntervalIndex) {
	StreamTable::mutate(|t| {
		t.retain(|(id, _, _)| *id != stream);
		t.push((stream, owner.clone(), next_interval));
	});
}

/// Registers a record of `intervals` of `stream` at block `at`, moving the stream's next
/// interval past them.
pub fn record(stream: StreamId, intervals: IntervalRange, at: u64) {
	RecordTable::mutate(|t| t.push((stream, intervals, at)));
	StreamTable::mutate(|t| {
		for s in t.iter_mut().filter(|s| s.0 == stream) {
			s.2 = s.2.max(intervals.last + 1);
		}
	});
}

/// Grants `grantee` `intervals` of `stream` until block `expires`.
pub fn grant(grantee: &AccountId, stream: StreamId, intervals: IntervalRange, expires: u64) {
	GrantTable::mutate(|t| t.push((grantee.clone(), stream, intervals, expires)));
}

/// Removes every grant of `grantee` (as revoking them would).
pub fn revoke_all(grantee: &AccountId) {
	GrantTable::mutate(|t| t.retain(|(g, _, _, _)| g != grantee));
}

/// Test externalities: Alice to Dave and the fee collector endowed, at block 1, where the
/// tests start.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut ext = new_genesis_ext();
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// [`new_test_ext`] at block 0, as a real chain's genesis is when the benchmarks run on it:
/// the benchmark tests start here.
pub fn new_genesis_ext() -> sp_io::TestExternalities {
	let mut t = frame_system::GenesisConfig::<Test>::default().build_storage().expect("valid");
	pallet_balances::GenesisConfig::<Test> {
		balances: [alice(), bob(), charlie(), dave(), collector()]
			.into_iter()
			.map(|who| (who, ENDOWMENT))
			.collect(),
		..Default::default()
	}
	.assimilate_storage(&mut t)
	.expect("valid");
	sp_io::TestExternalities::new(t)
}

/// Runs every pallet's hooks (the market's idle-time sweep included) block by block up to
/// block `n`, checking the pallet's invariants after each block.
pub fn run_to_block(n: u64) {
	System::run_to_block_with::<AllPalletsWithSystem>(
		n,
		frame_system::RunToBlockHooks::default()
			.before_finalize(|bn| {
				use frame_support::traits::OnIdle;
				AllPalletsWithSystem::on_idle(bn, frame_support::weights::Weight::MAX);
			})
			.after_initialize(|_| {
				crate::Pallet::<Test>::do_try_state().expect("the pallet's invariants hold");
			}),
	);
}

/// Moves to block `n` without running the idle-time sweep (what `settle` alone does).
pub fn jump_to_block(n: u64) {
	System::set_block_number(n);
}

/// The test harness of this pallet, the one shape every pallet of the project uses:
/// `ExtBuilder::default()`, the genesis knobs the test needs, then `build_and_execute(|| ..)`,
/// which runs the test on a fresh mock chain and ends by checking the pallet's invariants
/// (`do_try_state`) on the state the test left.
#[derive(Default)]
pub struct ExtBuilder {
	fee: Option<Permill>,
}

impl ExtBuilder {
	/// A market fee other than the mock's 10%.
	pub fn fee(mut self, fee: Permill) -> Self {
		self.fee = Some(fee);
		self
	}

	/// The externalities of the mock chain at block 1.
	pub fn build(self) -> sp_io::TestExternalities {
		new_test_ext()
	}

	/// Runs `test` on the chain, then checks the pallet's invariants on what it left.
	pub fn build_and_execute(self, test: impl FnOnce()) {
		let fee = self.fee.unwrap_or(Permill::from_percent(10));
		self.build().execute_with(|| {
			Signals::mutate(|s| s.clear());
			StreamTable::mutate(|s| s.clear());
			RecordTable::mutate(|s| s.clear());
			GrantTable::mutate(|s| s.clear());
			Fee::set(fee);
			test();
			crate::Pallet::<Test>::do_try_state().expect("the pallet's invariants hold");
		});
	}
}

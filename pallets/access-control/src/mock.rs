//! A mock runtime for the access-control pallet's unit tests: real sr25519 accounts and
//! signatures (the runtime's `MultiSignature`), streams from a table.

use crate as pallet_access_control;
use cpchain_primitives::{
	data::{IntervalIndex, StreamId, StreamInspect, StreamSummary},
	reputation::{ReputationSink, Signal},
};
use frame_support::{derive_impl, parameter_types, traits::ConstU32};
use sp_keyring::Sr25519Keyring;
use sp_runtime::{traits::IdentityLookup, AccountId32, BuildStorage, MultiSignature};

type Block = frame_system::mocking::MockBlock<Test>;
pub type AccountId = AccountId32;
pub type Balance = u128;

pub const GRANT_DEPOSIT: Balance = 7;
pub const PROXY_BOND: Balance = 100;
pub const KEY_DEPOSIT: Balance = 3;
pub const ENDOWMENT: Balance = 1_000;
pub const MAX_PROXIES: u32 = 4;
pub const MAX_GRANTS: u32 = 3;
pub const MAX_FUTURE: IntervalIndex = 10;
pub const UNBOND_DELAY: u64 = 5;
pub const ATTESTATION_PERIOD: u64 = 3;
pub const MAX_RECEIPTS: u32 = 3;
pub const MAX_SERVED: u32 = 50;

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
	pub type AccessControl = pallet_access_control;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountId = AccountId;
	type Lookup = IdentityLookup<AccountId>;
	type AccountData = pallet_balances::AccountData<Balance>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type Balance = Balance;
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
}

parameter_types! {
	/// Every signal reported to the mock reputation system, in order.
	pub static Signals: Vec<(AccountId, Signal)> = Vec::new();
	/// The streams of the mock: id, owner, next interval.
	pub static StreamTable: Vec<(StreamId, AccountId, IntervalIndex)> = Vec::new();
	pub const GrantDeposit: Balance = GRANT_DEPOSIT;
	pub const ProxyBond: Balance = PROXY_BOND;
	pub const KeyDeposit: Balance = KEY_DEPOSIT;
	pub const MaxFutureIntervals: IntervalIndex = MAX_FUTURE;
	pub const ProxyUnbondDelay: u64 = UNBOND_DELAY;
	pub const AttestationPeriod: u64 = ATTESTATION_PERIOD;
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

/// Adds a stream to the table (replacing one of the same id).
pub fn set_stream(stream: StreamId, owner: &AccountId, next_interval: IntervalIndex) {
	StreamTable::mutate(|t| {
		t.retain(|(id, _, _)| *id != stream);
		t.push((stream, owner.clone(), next_interval));
	});
}

/// Removes a stream from the table, as closing it in the registry would.
pub fn close_stream(stream: StreamId) {
	StreamTable::mutate(|t| t.retain(|(id, _, _)| *id != stream));
}

/// A reputation system that remembers what it was told.
pub struct RecordingReputation;
impl ReputationSink<AccountId> for RecordingReputation {
	fn note(who: &AccountId, signal: Signal) {
		Signals::mutate(|s| s.push((who.clone(), signal)));
	}
}

impl pallet_access_control::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Streams = MockStreams;
	type Reputation = RecordingReputation;
	type ReceiptSignature = MultiSignature;
	type GrantDeposit = GrantDeposit;
	type ProxyBond = ProxyBond;
	type KeyDeposit = KeyDeposit;
	type MaxProxiesPerGrant = ConstU32<MAX_PROXIES>;
	type MaxGrantsPerStream = ConstU32<MAX_GRANTS>;
	type MaxFutureIntervals = MaxFutureIntervals;
	type MaxPeerIdLen = ConstU32<64>;
	type ProxyUnbondDelay = ProxyUnbondDelay;
	type AttestationPeriod = AttestationPeriod;
	type MaxReceiptsPerCall = ConstU32<MAX_RECEIPTS>;
	type MaxServedPerPeriod = ConstU32<MAX_SERVED>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MockBenchmarkHelper;
}

/// Streams from the table, signatures from the benchmark keystore.
#[cfg(feature = "runtime-benchmarks")]
pub struct MockBenchmarkHelper;
#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId, MultiSignature> for MockBenchmarkHelper {
	fn stream_of(owner: &AccountId) -> StreamId {
		let id = StreamTable::get().len() as StreamId;
		set_stream(id, owner, 0);
		id
	}
	fn signer() -> AccountId {
		crate::benchmark_keys::sr25519_signer()
	}
	fn sign(signer: &AccountId, message: &[u8]) -> MultiSignature {
		crate::benchmark_keys::sr25519_sign(signer, message)
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
pub fn eve() -> AccountId {
	Sr25519Keyring::Eve.to_account_id()
}
/// An account with nothing.
pub fn ferdie() -> AccountId {
	Sr25519Keyring::Ferdie.to_account_id()
}

/// Test externalities: Alice to Eve endowed, block 1, a keystore for the benchmarks.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut t = frame_system::GenesisConfig::<Test>::default().build_storage().expect("valid");
	pallet_balances::GenesisConfig::<Test> {
		balances: [alice(), bob(), charlie(), dave(), eve()]
			.into_iter()
			.map(|who| (who, ENDOWMENT))
			.collect(),
		..Default::default()
	}
	.assimilate_storage(&mut t)
	.expect("valid");
	let mut ext = sp_io::TestExternalities::new(t);
	ext.register_extension(sp_keystore::KeystoreExt::new(
		sp_keystore::testing::MemoryKeystore::new(),
	));
	ext.execute_with(|| System::set_block_number(1));
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
pub struct ExtBuilder {}

impl ExtBuilder {
	/// The externalities of the mock chain at block 1.
	pub fn build(self) -> sp_io::TestExternalities {
		new_test_ext()
	}

	/// Runs `test` on the chain, then checks the pallet's invariants on what it left.
	pub fn build_and_execute(self, test: impl FnOnce()) {
		self.build().execute_with(|| {
			Signals::mutate(|s| s.clear());
			StreamTable::mutate(|s| s.clear());
			test();
			crate::Pallet::<Test>::do_try_state().expect("the pallet's invariants hold");
		});
	}
}

//! A mock runtime for the data-registry pallet's unit tests.

use crate as pallet_data_registry;
use cpchain_primitives::reputation::{ReputationSink, Signal};
use frame_support::{derive_impl, parameter_types, traits::ConstU32};
use sp_runtime::{
	testing::{TestSignature, TestXt, UintAuthorityId},
	BuildStorage,
};

type Block = frame_system::mocking::MockBlock<Test>;
pub type AccountId = u64;
pub type Balance = u128;

/// Deposits in the mock.
pub const DEVICE_DEPOSIT: Balance = 10;
pub const STREAM_DEPOSIT: Balance = 5;
pub const RECORD_DEPOSIT: Balance = 2;
/// Every account in the mock starts with this much.
pub const ENDOWMENT: Balance = 1_000;
/// An account with nothing.
pub const PAUPER: AccountId = 99;
/// The mock's limits.
pub const MAX_CID: u32 = 64;
pub const MAX_KEYS: u32 = 2;
pub const MAX_STREAMS: u32 = 2;
pub const MAX_PRUNE: u32 = 5;
pub const MAX_RECORDS_PER_BLOCK: u32 = 8;
pub const MAX_REPORTS: u32 = 4;
pub const MAX_REPORTERS: u32 = 2;

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
	pub type DataRegistry = pallet_data_registry;
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
	/// Every signal reported to the mock reputation system, in order.
	pub static Signals: Vec<(AccountId, Signal)> = Vec::new();
	pub const DeviceDeposit: Balance = DEVICE_DEPOSIT;
	pub const StreamDeposit: Balance = STREAM_DEPOSIT;
	pub const RecordDeposit: Balance = RECORD_DEPOSIT;
	/// The accounts that the mock treats as storage nodes.
	pub static StorageNodeAccounts: Vec<AccountId> = vec![11, 12, 13];
}

/// Storage nodes read from [`StorageNodeAccounts`].
pub struct MockStorageNodes;
impl frame_support::traits::Contains<AccountId> for MockStorageNodes {
	fn contains(who: &AccountId) -> bool {
		StorageNodeAccounts::get().contains(who)
	}
}

impl frame_system::offchain::SigningTypes for Test {
	type Public = UintAuthorityId;
	type Signature = TestSignature;
}

/// The off-chain worker's transactions carry their nonce, which tests read back.
pub type Extrinsic = TestXt<RuntimeCall, frame_system::CheckNonce<Test>>;

impl<LocalCall> frame_system::offchain::CreateTransactionBase<LocalCall> for Test
where
	RuntimeCall: From<LocalCall>,
{
	type Extrinsic = Extrinsic;
	type RuntimeCall = RuntimeCall;
}

impl<LocalCall> frame_system::offchain::CreateSignedTransaction<LocalCall> for Test
where
	RuntimeCall: From<LocalCall>,
{
	fn create_signed_transaction<
		C: frame_system::offchain::AppCrypto<Self::Public, Self::Signature>,
	>(
		call: RuntimeCall,
		_public: UintAuthorityId,
		account: AccountId,
		nonce: u32,
	) -> Option<Extrinsic> {
		Some(Extrinsic::new_signed(call, account, (), frame_system::CheckNonce::from(nonce)))
	}
}

/// The mock's storage-node crypto: `UintAuthorityId` keys sign as their own number.
pub struct MockStorageNodeId;
impl frame_system::offchain::AppCrypto<UintAuthorityId, TestSignature> for MockStorageNodeId {
	type RuntimeAppPublic = UintAuthorityId;
	type GenericPublic = UintAuthorityId;
	type GenericSignature = TestSignature;
}

/// A reputation system that remembers what it was told.
pub struct RecordingReputation;
impl ReputationSink<AccountId> for RecordingReputation {
	fn note(who: &AccountId, signal: Signal) {
		Signals::mutate(|s| s.push((*who, signal)));
	}
}

impl pallet_data_registry::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Reputation = RecordingReputation;
	type DeviceDeposit = DeviceDeposit;
	type StreamDeposit = StreamDeposit;
	type RecordDeposit = RecordDeposit;
	type MaxCidLen = ConstU32<MAX_CID>;
	type MaxMetadataLen = ConstU32<32>;
	type MaxNameLen = ConstU32<16>;
	type MaxKeyHistory = ConstU32<MAX_KEYS>;
	type MaxStreamsPerDevice = ConstU32<MAX_STREAMS>;
	type MaxPrunePerCall = ConstU32<MAX_PRUNE>;
	type StorageNodes = MockStorageNodes;
	type AuthorityId = MockStorageNodeId;
	type MaxRecordsPerBlock = ConstU32<MAX_RECORDS_PER_BLOCK>;
	type MaxReportsPerCall = ConstU32<MAX_REPORTS>;
	type MaxReportersPerRecord = ConstU32<MAX_REPORTERS>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MockBenchmarkHelper;
}

/// Storage node 11 of the mock.
#[cfg(feature = "runtime-benchmarks")]
pub struct MockBenchmarkHelper;
#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId> for MockBenchmarkHelper {
	fn storage_node() -> AccountId {
		11
	}
}

/// Test externalities: accounts 1..=4 endowed, block 1, a keystore for the benchmarks.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut t = frame_system::GenesisConfig::<Test>::default().build_storage().expect("valid");
	pallet_balances::GenesisConfig::<Test> {
		balances: (1..=4).map(|who| (who, ENDOWMENT)).collect(),
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
			test();
			crate::Pallet::<Test>::do_try_state().expect("the pallet's invariants hold");
		});
	}
}

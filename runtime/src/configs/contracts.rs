//! ink! smart contracts on `pallet-contracts` (ink! 5, wasm).

use frame_support::{
	parameter_types,
	traits::{ConstBool, ConstU32, Randomness},
};
use frame_system::EnsureSigned;
use sp_runtime::Perbill;

use crate::{
	deposit, Balance, Balances, BlockNumber, Hash, Runtime, RuntimeCall, RuntimeEvent,
	RuntimeHoldReason, Timestamp, TransactionPayment,
};

/// Contracts get no on-chain randomness.
///
/// `seal_random` is deprecated and ink! 5 no longer exposes it; every source a runtime could
/// offer here today (block hashes, collective flip) can be steered by block authors. Rather than
/// hand contracts something that looks random and is not, this returns a fixed value so that any
/// misuse is obvious in testing. DPoR's VRF-based randomness may be offered later, behind this
/// same type.
pub struct NoContractRandomness;

impl Randomness<Hash, BlockNumber> for NoContractRandomness {
	fn random(_subject: &[u8]) -> (Hash, BlockNumber) {
		(Hash::zero(), 0)
	}
}

parameter_types! {
	/// Deposit held per storage item a contract creates.
	pub const DepositPerItem: Balance = deposit(1, 0);
	/// Deposit held per byte of contract storage.
	pub const DepositPerByte: Balance = deposit(0, 1);
	/// Storage deposit limit used when a call does not name one: 1024 items of 1 KiB.
	pub const DefaultDepositLimit: Balance = deposit(1024, 1024 * 1024);
	/// Share of the code deposit locked by a contract that depends on another's code.
	pub const CodeHashLockupDepositPercent: Perbill = Perbill::from_percent(30);
	/// The execution limits: the defaults of `pallet-contracts`, tuned for its runtime memory.
	pub Schedule: pallet_contracts::Schedule<Runtime> = Default::default();
}

impl pallet_contracts::Config for Runtime {
	type Time = Timestamp;
	type Randomness = NoContractRandomness;
	type Currency = Balances;
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type RuntimeHoldReason = RuntimeHoldReason;
	/// Contracts may not dispatch runtime calls: a contract that could call `Sudo` or
	/// `Utility::dispatch_as` would escape every origin check of the chain.
	type CallFilter = frame_support::traits::Nothing;
	type WeightPrice = TransactionPayment;
	type WeightInfo = pallet_contracts::weights::SubstrateWeight<Runtime>;
	type ChainExtension = ();
	type Schedule = Schedule;
	/// Nested call depth of five frames (six with the entry call).
	type CallStack = [pallet_contracts::Frame<Self>; 5];
	type DepositPerByte = DepositPerByte;
	type DefaultDepositLimit = DefaultDepositLimit;
	type DepositPerItem = DepositPerItem;
	type CodeHashLockupDepositPercent = CodeHashLockupDepositPercent;
	type AddressGenerator = pallet_contracts::DefaultAddressGenerator;
	type MaxCodeLen = ConstU32<{ 123 * 1024 }>;
	type MaxStorageKeyLen = ConstU32<128>;
	type MaxTransientStorageSize = ConstU32<{ 1024 * 1024 }>;
	type MaxDelegateDependencies = ConstU32<32>;
	/// The unstable host functions are off: only stable ink! 5 interfaces are available.
	type UnsafeUnstableInterface = ConstBool<false>;
	type MaxDebugBufferLen = ConstU32<{ 2 * 1024 * 1024 }>;
	type UploadOrigin = EnsureSigned<Self::AccountId>;
	type InstantiateOrigin = EnsureSigned<Self::AccountId>;
	type Migrations = ();
	type Debug = ();
	type Environment = ();
	type ApiVersion = ();
	type Xcm = ();
}

//! # CPChain runtime
//!
//! The state transition function of CPChain on Substrate: accounts and the CPC token,
//! transaction fees, batched calls, ink! smart contracts, DPoR consensus (reputation,
//! committee elections, the consensus pallet) and the IoT data layer (data registry, access
//! control); the data market is still to come.
//!
//! This file holds only the types, the version and the pallet list. Pallet configuration lives
//! in [`configs`], runtime APIs in [`apis`] and the genesis presets in
//! [`genesis_config_presets`].
#![cfg_attr(not(feature = "std"), no_std)]
// `#[frame_support::runtime]` expands to a very deep type.
#![recursion_limit = "256"]

#[cfg(feature = "std")]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));

extern crate alloc;

pub mod apis;
#[cfg(feature = "runtime-benchmarks")]
mod benchmarks;
pub mod configs;
pub mod genesis_config_presets;
pub mod weights;

use alloc::{borrow::Cow, vec::Vec};
use sp_runtime::{generic, impl_opaque_keys, traits::BlakeTwo256, MultiAddress};
use sp_version::RuntimeVersion;

pub use cpchain_primitives::{
	currency::*, time::*, AccountId, Balance, BlockNumber, Hash, Header, Nonce, Signature,
};
pub use frame_system::Call as SystemCall;
pub use pallet_balances::Call as BalancesCall;
pub use pallet_timestamp::Call as TimestampCall;
#[cfg(any(feature = "std", test))]
pub use sp_runtime::BuildStorage;

/// Opaque types. These are used by the CLI to instantiate machinery that don't need to know
/// the specifics of the runtime. They can then be made to be agnostic over specific formats
/// of data like extrinsics, allowing for them to continue syncing the network through upgrades
/// to even the core data structures.
pub mod opaque {
	use super::*;

	pub use sp_runtime::OpaqueExtrinsic as UncheckedExtrinsic;

	/// Opaque block header type.
	pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
	/// Opaque block type.
	pub type Block = generic::Block<Header, UncheckedExtrinsic>;
	/// Opaque block identifier type.
	pub type BlockId = generic::BlockId<Block>;
	/// Opaque block hash type.
	pub type Hash = <BlakeTwo256 as sp_runtime::traits::Hash>::Output;
}

impl_opaque_keys! {
	/// The consensus key of a committee member: one sr25519 `dpor` key seals its blocks,
	/// signs its votes and makes the VRF outputs of its blocks.
	pub struct SessionKeys {
		/// DPoR: authoring, voting, VRF.
		pub dpor: Dpor,
	}
}

/// The runtime version. Bump `spec_version` on every change of the state transition function
/// and `transaction_version` on every change of call encoding.
#[sp_version::runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: Cow::Borrowed("cpchain"),
	impl_name: Cow::Borrowed("cpchain-node"),
	authoring_version: 1,
	spec_version: 113,
	impl_version: 1,
	apis: apis::RUNTIME_API_VERSIONS,
	transaction_version: 1,
	system_version: 1,
};

/// The minimum balance an account must keep to exist: one micro-CPC.
pub const EXISTENTIAL_DEPOSIT: Balance = MICRO_CPC;

/// The address format for describing accounts.
pub type Address = MultiAddress<AccountId, ()>;

/// Block type as expected by this runtime.
pub type Block = generic::Block<Header, UncheckedExtrinsic>;

/// A Block signed with a Justification.
pub type SignedBlock = generic::SignedBlock<Block>;

/// BlockId type as expected by this runtime.
pub type BlockId = generic::BlockId<Block>;

/// The transaction extensions that are added to every signed transaction, in order.
pub type TxExtension = (
	frame_system::CheckNonZeroSender<Runtime>,
	frame_system::CheckSpecVersion<Runtime>,
	frame_system::CheckTxVersion<Runtime>,
	frame_system::CheckGenesis<Runtime>,
	frame_system::CheckEra<Runtime>,
	frame_system::CheckNonce<Runtime>,
	frame_system::CheckWeight<Runtime>,
	pallet_transaction_payment::ChargeTransactionPayment<Runtime>,
	frame_system::WeightReclaim<Runtime>,
);

/// Unchecked extrinsic type as expected by this runtime.
pub type UncheckedExtrinsic =
	generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;

/// The payload being signed in transactions.
pub type SignedPayload = generic::SignedPayload<RuntimeCall, TxExtension>;

/// Storage migrations to run on the next runtime upgrade.
type Migrations = (
	pallet_committee::migrations::v1::MigrateV0ToV1<Runtime>,
	pallet_committee::migrations::v2::MigrateV1ToV2<Runtime>,
);

/// Executive: handles dispatch to the various modules.
pub type Executive = frame_executive::Executive<
	Runtime,
	Block,
	frame_system::ChainContext<Runtime>,
	Runtime,
	AllPalletsWithSystem,
	Migrations,
>;

// Pallet indices follow the rule in docs/runtime.md ("Pallets"): grouped by concern, never
// renumbered.
//
// The order of declaration is the order of genesis builds and of block hooks, and it matters
// here: Balances before Reputation (genesis bonds are holds), Committee before Session (the
// session's genesis asks the committee pallet for the first validators), Dpor before Session
// (a block's VRF output is checked against the term randomness that was fixed before the
// block, and the term's randomness is fixed before the session rotates).
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
	pub struct Runtime;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;
	#[runtime::pallet_index(1)]
	pub type Timestamp = pallet_timestamp;
	#[runtime::pallet_index(2)]
	pub type Utility = pallet_utility;
	#[runtime::pallet_index(3)]
	pub type Sudo = pallet_sudo;

	#[runtime::pallet_index(10)]
	pub type Balances = pallet_balances;
	#[runtime::pallet_index(11)]
	pub type TransactionPayment = pallet_transaction_payment;

	#[runtime::pallet_index(22)]
	pub type Authorship = pallet_authorship;
	#[runtime::pallet_index(50)]
	pub type Reputation = pallet_reputation;
	#[runtime::pallet_index(51)]
	pub type Committee = pallet_committee;
	#[runtime::pallet_index(24)]
	pub type Dpor = pallet_dpor;
	#[runtime::pallet_index(23)]
	pub type Session = pallet_session;

	#[runtime::pallet_index(40)]
	pub type Contracts = pallet_contracts;

	#[runtime::pallet_index(60)]
	pub type DataRegistry = pallet_data_registry;
	#[runtime::pallet_index(61)]
	pub type AccessControl = pallet_access_control;
	#[runtime::pallet_index(62)]
	pub type Market = pallet_market;
	#[runtime::pallet_index(63)]
	pub type Dispute = pallet_dispute;
}

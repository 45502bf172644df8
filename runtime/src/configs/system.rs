//! `frame_system`, timestamps, batching and the development-only sudo key.

use frame_support::{
	derive_impl,
	dispatch::DispatchClass,
	parameter_types,
	weights::{
		constants::{ParityDbWeight, WEIGHT_REF_TIME_PER_SECOND},
		Weight,
	},
};
use frame_system::limits::{BlockLength, BlockWeights};
use sp_runtime::Perbill;
use sp_version::RuntimeVersion;

use crate::{
	AccountId, Balance, Block, BlockNumber, Hash, Nonce, OriginCaller, PalletInfo, Runtime,
	RuntimeCall, RuntimeEvent, RuntimeOrigin, RuntimeTask, MILLI_SECS_PER_BLOCK, VERSION,
};

/// Three quarters of a block are for normal transactions; the rest is kept for operational
/// ones (e.g. sudo) and the mandatory inherents.
const NORMAL_DISPATCH_RATIO: Perbill = Perbill::from_percent(75);

parameter_types! {
	/// Number of recent block hashes kept for transaction mortality checks.
	pub const BlockHashCount: BlockNumber = 2400;
	/// The runtime version, exposed as a constant in the metadata.
	pub const Version: RuntimeVersion = VERSION;

	/// One second of compute per 3 second block: the rest of the slot is left for
	/// propagation and import on 2-core machines.
	pub RuntimeBlockWeights: BlockWeights = BlockWeights::with_sensible_defaults(
		Weight::from_parts(WEIGHT_REF_TIME_PER_SECOND, u64::MAX),
		NORMAL_DISPATCH_RATIO,
	);
	/// At most 5 MiB per block.
	pub RuntimeBlockLength: BlockLength = BlockLength::builder()
		.max_length(5 * 1024 * 1024)
		.modify_max_length_for_class(DispatchClass::Normal, |max| *max = NORMAL_DISPATCH_RATIO * *max)
		.build();
	/// The SS58 prefix of CPChain addresses.
	pub const SS58Prefix: u16 = cpchain_primitives::currency::SS58_PREFIX;
}

#[derive_impl(frame_system::config_preludes::SolochainDefaultConfig)]
impl frame_system::Config for Runtime {
	type Block = Block;
	type BlockWeights = RuntimeBlockWeights;
	type BlockLength = RuntimeBlockLength;
	type AccountId = AccountId;
	type Nonce = Nonce;
	type Hash = Hash;
	type BlockHashCount = BlockHashCount;
	/// CPChain nodes store state in ParityDB, so weights use its measured read/write costs.
	type DbWeight = ParityDbWeight;
	type Version = Version;
	type AccountData = pallet_balances::AccountData<Balance>;
	type SS58Prefix = SS58Prefix;
	type MaxConsumers = frame_support::traits::ConstU32<16>;
}

parameter_types! {
	/// Half the block time: a DPoR leader builds a block time after the previous proposal,
	/// so honest blocks are always at least this far apart.
	pub const MinimumPeriod: u64 = MILLI_SECS_PER_BLOCK / 2;
}

impl pallet_timestamp::Config for Runtime {
	/// Milliseconds since the Unix epoch.
	type Moment = u64;
	type OnTimestampSet = ();
	type MinimumPeriod = MinimumPeriod;
	type WeightInfo = pallet_timestamp::weights::SubstrateWeight<Runtime>;
}

impl pallet_utility::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type PalletsOrigin = OriginCaller;
	type WeightInfo = pallet_utility::weights::SubstrateWeight<Runtime>;
}

/// Sudo is compiled in, but only the `development` and `local_testnet` genesis presets set a
/// key: a chain spec without `sudo.key` has no superuser at all.
impl pallet_sudo::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type WeightInfo = pallet_sudo::weights::SubstrateWeight<Runtime>;
}

//! The data layer: devices, streams and records (`pallet-data-registry`), with the off-chain
//! worker that pins records on the storage nodes' IPFS and reports them available.
//!
//! Storage nodes are the RNodes: they are bonded, so availability reports cannot come from
//! throw-away accounts. An RNode takes part by putting a `cpds` key in its node's keystore and
//! naming its IPFS endpoint (see `pallet_data_registry::offchain`).

use cpchain_primitives::reputation::ReputationProvider;
use frame_support::{
	parameter_types,
	traits::{ConstU32, Contains},
};
use sp_runtime::{
	generic::{self, Era},
	traits::{SaturatedConversion, Verify},
	MultiAddress,
};

use crate::{
	configs::BlockHashCount, deposit, AccountId, Balance, Balances, Nonce, Reputation, Runtime,
	RuntimeCall, RuntimeHoldReason, Signature, SignedPayload, System, TxExtension,
	UncheckedExtrinsic,
};

parameter_types! {
	/// A device stores at most about 700 bytes (key history and metadata included).
	pub const DeviceDeposit: Balance = deposit(1, 700);
	/// A stream stores at most about 200 bytes.
	pub const StreamDeposit: Balance = deposit(1, 200);
	/// A record stores at most about 350 bytes, plus its availability entry.
	pub const RecordDeposit: Balance = deposit(2, 350);
}

/// RNodes are the storage nodes.
pub struct RNodes;
impl Contains<AccountId> for RNodes {
	fn contains(who: &AccountId) -> bool {
		<Reputation as ReputationProvider<AccountId>>::is_rnode(who)
	}
}

impl pallet_data_registry::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Reputation = Reputation;
	type DeviceDeposit = DeviceDeposit;
	type StreamDeposit = StreamDeposit;
	type RecordDeposit = RecordDeposit;
	// A CIDv1 in base32 with a SHA-256 multihash is 59 bytes; room for longer hashes.
	type MaxCidLen = ConstU32<{ cpchain_primitives::data::MAX_CID_LEN }>;
	type MaxMetadataLen = ConstU32<256>;
	type MaxNameLen = ConstU32<64>;
	type MaxKeyHistory = ConstU32<8>;
	type MaxStreamsPerDevice = ConstU32<64>;
	type MaxPrunePerCall = ConstU32<100>;
	type StorageNodes = RNodes;
	type AuthorityId = pallet_data_registry::offchain::crypto::StorageNodeId;
	type MaxRecordsPerBlock = ConstU32<256>;
	type MaxReportsPerCall = ConstU32<256>;
	type MaxReportersPerRecord = ConstU32<16>;
	type WeightInfo = crate::weights::pallet_data_registry::WeightInfo<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = benchmark_helper::AnRNode;
}

// Signed transactions from off-chain workers.

impl frame_system::offchain::SigningTypes for Runtime {
	type Public = <Signature as Verify>::Signer;
	type Signature = Signature;
}

impl<C> frame_system::offchain::CreateTransactionBase<C> for Runtime
where
	RuntimeCall: From<C>,
{
	type Extrinsic = UncheckedExtrinsic;
	type RuntimeCall = RuntimeCall;
}

/// Unsigned transactions (DPoR equivocation reports, submitted by the node that saw them).
impl<C> frame_system::offchain::CreateBare<C> for Runtime
where
	RuntimeCall: From<C>,
{
	fn create_bare(call: RuntimeCall) -> UncheckedExtrinsic {
		UncheckedExtrinsic::new_bare(call)
	}
}

impl<C> frame_system::offchain::CreateSignedTransaction<C> for Runtime
where
	RuntimeCall: From<C>,
{
	fn create_signed_transaction<
		A: frame_system::offchain::AppCrypto<Self::Public, Self::Signature>,
	>(
		call: RuntimeCall,
		public: <Signature as Verify>::Signer,
		account: AccountId,
		nonce: Nonce,
	) -> Option<UncheckedExtrinsic> {
		// Valid for about half the block-hash window, from the block the worker ran on.
		let period = BlockHashCount::get().checked_next_power_of_two().map_or(2, |p| p / 2) as u64;
		let current = System::block_number().saturated_into::<u64>().saturating_sub(1);
		let tx_ext: TxExtension = (
			frame_system::CheckNonZeroSender::<Runtime>::new(),
			frame_system::CheckSpecVersion::<Runtime>::new(),
			frame_system::CheckTxVersion::<Runtime>::new(),
			frame_system::CheckGenesis::<Runtime>::new(),
			frame_system::CheckEra::<Runtime>::from(Era::mortal(period, current)),
			frame_system::CheckNonce::<Runtime>::from(nonce),
			frame_system::CheckWeight::<Runtime>::new(),
			pallet_transaction_payment::ChargeTransactionPayment::<Runtime>::from(0),
			frame_system::WeightReclaim::<Runtime>::new(),
		);
		let payload = SignedPayload::new(call, tx_ext).ok()?;
		let signature = codec::Encode::using_encoded(&payload, |bytes| A::sign(bytes, public))?;
		let (call, tx_ext, _) = payload.deconstruct();
		Some(generic::UncheckedExtrinsic::new_signed(
			call,
			MultiAddress::Id(account),
			signature,
			tx_ext,
		))
	}
}

#[cfg(feature = "runtime-benchmarks")]
pub(crate) mod benchmark_helper {
	use super::*;
	use pallet_committee::BenchmarkHelper as _;

	/// Makes an RNode (a storage node) for the data-registry benchmarks.
	pub struct AnRNode;
	impl pallet_data_registry::BenchmarkHelper<AccountId> for AnRNode {
		fn storage_node() -> AccountId {
			let who: AccountId = frame_benchmarking::account("storage-node", 0, 0);
			super::super::committee::benchmark_helper::MakeEligible::make_eligible(&who);
			who
		}
	}

	/// Streams from the data registry, grantee keys from the benchmark keystore.
	pub struct StreamsAndKeys;
	impl pallet_access_control::BenchmarkHelper<AccountId, Signature> for StreamsAndKeys {
		fn stream_of(owner: &AccountId) -> cpchain_primitives::data::StreamId {
			use frame_support::traits::fungible::Mutate;
			use frame_system::RawOrigin;
			let ample = 1_000 * cpchain_primitives::currency::CPC;
			if Balances::free_balance(owner) < ample {
				let _ = Balances::mint_into(owner, ample);
			}
			let origin = || RawOrigin::Signed(owner.clone()).into();
			let device = pallet_data_registry::NextDeviceId::<Runtime>::get();
			let key = cpchain_primitives::data::DeviceKey::Sr25519(
				sp_core::sr25519::Public::from_raw([device as u8; 32]),
			);
			crate::DataRegistry::register_device(origin(), key, Default::default())
				.expect("funded owner; qed");
			let stream = pallet_data_registry::NextStreamId::<Runtime>::get();
			crate::DataRegistry::create_stream(
				origin(),
				device,
				sp_runtime::BoundedVec::truncate_from(b"bench".to_vec()),
				Default::default(),
				cpchain_primitives::data::StreamParams {
					period_ms: 1_000,
					encryption_interval: 1,
					upload_interval: 1,
				},
			)
			.expect("owner's new device; qed");
			stream
		}
		fn signer() -> AccountId {
			pallet_access_control::benchmark_keys::sr25519_signer()
		}
		fn sign(signer: &AccountId, message: &[u8]) -> Signature {
			pallet_access_control::benchmark_keys::sr25519_sign(signer, message)
		}
	}
}

// Access control: grants of stream intervals and the proxies that re-encrypt for grantees.

parameter_types! {
	/// A grant stores at most about 600 bytes (eight proxies) and three index entries.
	pub const GrantDeposit: Balance = deposit(4, 600);
	/// What a proxy puts at stake: 100 CPC, so that registering proxies to farm reputation
	/// costs real money.
	pub const ProxyBond: Balance = 100 * cpchain_primitives::currency::CPC;
	/// Published Umbral keys: one entry of 66 bytes and its deposit.
	pub const KeyDeposit: Balance = deposit(1, 120);
	/// A grant may cover up to about a year of hourly intervals not uploaded yet.
	pub const MaxFutureIntervals: u64 = 24 * 366;
	/// A leaving proxy keeps its bond for a day, so that grants naming it can be replaced.
	pub const ProxyUnbondDelay: crate::BlockNumber = crate::DAYS;
	/// A proxy attests at most once every ten minutes.
	pub const AttestationPeriod: crate::BlockNumber = 10 * crate::MINUTES;
}

impl pallet_access_control::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Streams = crate::DataRegistry;
	type Reputation = Reputation;
	type ReceiptSignature = Signature;
	type GrantDeposit = GrantDeposit;
	type ProxyBond = ProxyBond;
	type KeyDeposit = KeyDeposit;
	type MaxProxiesPerGrant = ConstU32<8>;
	type MaxGrantsPerStream = ConstU32<256>;
	type MaxFutureIntervals = MaxFutureIntervals;
	// An Ed25519 PeerId is 38 bytes, a SHA2-256 one 34.
	type MaxPeerIdLen = ConstU32<64>;
	type ProxyUnbondDelay = ProxyUnbondDelay;
	type AttestationPeriod = AttestationPeriod;
	type MaxReceiptsPerCall = ConstU32<64>;
	type MaxServedPerPeriod = ConstU32<10_000>;
	type WeightInfo = crate::weights::pallet_access_control::WeightInfo<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = benchmark_helper::StreamsAndKeys;
}

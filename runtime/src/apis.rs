//! The runtime APIs that the node and clients (polkadot.js apps, `cpc`) call.

use alloc::vec::Vec;
use cpchain_primitives::consensus::AuthorityId as DporId;
use frame_support::{
	genesis_builder_helper::{build_state, get_preset},
	weights::Weight,
};
use sp_api::impl_runtime_apis;
use sp_core::{crypto::KeyTypeId, OpaqueMetadata};
use sp_runtime::{
	traits::Block as BlockT,
	transaction_validity::{TransactionSource, TransactionValidity},
	ApplyExtrinsicResult,
};
use sp_version::RuntimeVersion;

use crate::{
	AccessControl, AccountId, Balance, Block, BlockNumber, Committee, Contracts, DataRegistry,
	Dispute, Dpor, Executive, Hash, InherentDataExt, Market, Nonce, Runtime, RuntimeCall,
	RuntimeEvent, RuntimeGenesisConfig, SessionKeys, System, TransactionPayment, VERSION,
};

/// Event records as returned by contract dry-runs.
type EventRecord = frame_system::EventRecord<RuntimeEvent, Hash>;

/// Contract dry-runs print their debug buffer only in development, never in block execution.
const CONTRACTS_DEBUG_OUTPUT: pallet_contracts::DebugInfo =
	pallet_contracts::DebugInfo::UnsafeDebug;
/// Dry-runs return the events they would emit, so that UIs can show them before signing.
const CONTRACTS_EVENTS: pallet_contracts::CollectEvents =
	pallet_contracts::CollectEvents::UnsafeCollect;

impl_runtime_apis! {
	impl sp_api::Core<Block> for Runtime {
		fn version() -> RuntimeVersion {
			VERSION
		}

		fn execute_block(block: <Block as BlockT>::LazyBlock) {
			Executive::execute_block(block);
		}

		fn initialize_block(header: &<Block as BlockT>::Header) -> sp_runtime::ExtrinsicInclusionMode {
			Executive::initialize_block(header)
		}
	}

	impl sp_api::Metadata<Block> for Runtime {
		fn metadata() -> OpaqueMetadata {
			OpaqueMetadata::new(Runtime::metadata().into())
		}

		fn metadata_at_version(version: u32) -> Option<OpaqueMetadata> {
			Runtime::metadata_at_version(version)
		}

		fn metadata_versions() -> Vec<u32> {
			Runtime::metadata_versions()
		}
	}

	impl frame_support::view_functions::runtime_api::RuntimeViewFunction<Block> for Runtime {
		fn execute_view_function(
			id: frame_support::view_functions::ViewFunctionId,
			input: Vec<u8>,
		) -> Result<Vec<u8>, frame_support::view_functions::ViewFunctionDispatchError> {
			Runtime::execute_view_function(id, input)
		}
	}

	impl sp_block_builder::BlockBuilder<Block> for Runtime {
		fn apply_extrinsic(extrinsic: <Block as BlockT>::Extrinsic) -> ApplyExtrinsicResult {
			Executive::apply_extrinsic(extrinsic)
		}

		fn finalize_block() -> <Block as BlockT>::Header {
			Executive::finalize_block()
		}

		fn inherent_extrinsics(data: sp_inherents::InherentData) -> Vec<<Block as BlockT>::Extrinsic> {
			data.create_extrinsics()
		}

		fn check_inherents(
			block: <Block as BlockT>::LazyBlock,
			data: sp_inherents::InherentData,
		) -> sp_inherents::CheckInherentsResult {
			data.check_extrinsics(&block)
		}
	}

	impl sp_transaction_pool::runtime_api::TaggedTransactionQueue<Block> for Runtime {
		fn validate_transaction(
			source: TransactionSource,
			tx: <Block as BlockT>::Extrinsic,
			block_hash: <Block as BlockT>::Hash,
		) -> TransactionValidity {
			Executive::validate_transaction(source, tx, block_hash)
		}
	}

	impl sp_offchain::OffchainWorkerApi<Block> for Runtime {
		fn offchain_worker(header: &<Block as BlockT>::Header) {
			Executive::offchain_worker(header)
		}
	}

	#[api_version(3)]
	impl cpchain_primitives::consensus::DporApi<Block, DporId> for Runtime {
		fn committee_for_next_block() -> cpchain_primitives::consensus::Committee<DporId> {
			let next = System::block_number().saturating_add(1);
			let (term, members) = <crate::configs::consensus::ElectedCommittee as cpchain_primitives::committee::CommitteeProvider<AccountId>>::committee_of_block(next.into());
			cpchain_primitives::consensus::Committee {
				term,
				members: members.into_iter().map(|(_, key)| key).collect(),
			}
		}

		fn term_of(block: BlockNumber) -> cpchain_primitives::committee::TermIndex {
			Committee::term_of(block)
		}

		fn term_length() -> BlockNumber {
			crate::TERM_LENGTH
		}

		fn block_time_ms() -> u64 {
			crate::MILLI_SECS_PER_BLOCK
		}

		fn base_view_timeout_ms() -> u64 {
			crate::BASE_VIEW_TIMEOUT_MS
		}

		fn term_randomness() -> [u8; 32] {
			let next = System::block_number().saturating_add(1);
			Dpor::randomness_of_term(Committee::term_of(next))
		}

		fn submit_report_equivocation_unsigned_extrinsic(
			proof: cpchain_primitives::consensus::EquivocationProof,
		) -> Option<()> {
			Dpor::submit_unsigned_equivocation_report(proof)
		}

		fn timestamp_ms() -> u64 {
			pallet_timestamp::Now::<Runtime>::get()
		}

		fn submit_report_seal_equivocation_unsigned_extrinsic(
			proof: cpchain_primitives::consensus::SealEquivocationProof<<Block as sp_runtime::traits::Block>::Header>,
		) -> Option<()> {
			Dpor::submit_unsigned_seal_equivocation_report(proof)
		}
	}

	impl cpchain_primitives::data::DataRegistryApi<Block, AccountId, BlockNumber> for Runtime {
		fn device(
			device: cpchain_primitives::data::DeviceId,
		) -> Option<cpchain_primitives::data::DeviceView<AccountId, BlockNumber>> {
			DataRegistry::device_view(device)
		}

		fn stream(
			stream: cpchain_primitives::data::StreamId,
		) -> Option<cpchain_primitives::data::StreamView<AccountId>> {
			DataRegistry::stream_view(stream)
		}

		fn records(
			stream: cpchain_primitives::data::StreamId,
			from: cpchain_primitives::data::RecordIndex,
			count: u32,
		) -> Vec<cpchain_primitives::data::RecordView<BlockNumber>> {
			DataRegistry::records_view(stream, from, count)
		}
	}

	#[api_version(2)]
	impl cpchain_primitives::access::AccessControlApi<Block, AccountId, BlockNumber> for Runtime {
		fn is_authorized(
			grantee: AccountId,
			stream: cpchain_primitives::data::StreamId,
			interval: cpchain_primitives::data::IntervalIndex,
		) -> bool {
			AccessControl::is_authorized(&grantee, stream, interval)
		}

		fn grant(
			grant: cpchain_primitives::access::GrantId,
		) -> Option<cpchain_primitives::access::GrantView<AccountId, BlockNumber>> {
			AccessControl::grant_view(grant)
		}

		fn grants_by_stream(
			stream: cpchain_primitives::data::StreamId,
		) -> Vec<cpchain_primitives::access::GrantView<AccountId, BlockNumber>> {
			AccessControl::grants_by_stream(stream)
		}

		fn grants_of(
			grantee: AccountId,
		) -> Vec<cpchain_primitives::access::GrantView<AccountId, BlockNumber>> {
			AccessControl::grants_of(&grantee)
		}

		fn proxy(
			proxy: AccountId,
		) -> Option<cpchain_primitives::access::ProxyView<BlockNumber>> {
			AccessControl::proxy_view(&proxy)
		}

		fn umbral_keys(account: AccountId) -> Option<cpchain_primitives::access::UmbralKeys> {
			AccessControl::umbral_keys(&account)
		}

		fn grant_keys(
			grant: cpchain_primitives::access::GrantId,
		) -> Option<cpchain_primitives::access::GrantKeys> {
			AccessControl::grant_keys(grant)
		}
	}

	impl cpchain_primitives::market::MarketApi<Block, AccountId, Balance, BlockNumber> for Runtime {
		fn listing(
			id: cpchain_primitives::market::ListingId,
		) -> Option<cpchain_primitives::market::ListingView<AccountId, Balance, BlockNumber>> {
			Market::listing_view(id)
		}

		fn listings(
			from: cpchain_primitives::market::ListingId,
			max: u32,
		) -> cpchain_primitives::market::Page<
			cpchain_primitives::market::ListingView<AccountId, Balance, BlockNumber>,
		> {
			Market::listings_page(from, max)
		}

		fn order(
			id: cpchain_primitives::market::OrderId,
		) -> Option<cpchain_primitives::market::OrderView<AccountId, Balance, BlockNumber>> {
			Market::order_view(id)
		}

		fn orders(
			from: cpchain_primitives::market::OrderId,
			max: u32,
		) -> cpchain_primitives::market::Page<
			cpchain_primitives::market::OrderView<AccountId, Balance, BlockNumber>,
		> {
			Market::orders_page(from, max)
		}

		fn rating(seller: AccountId) -> (u32, u32) {
			Market::rating_of(&seller)
		}
	}

	impl cpchain_primitives::dispute::DisputeApi<Block, AccountId, Balance, BlockNumber> for Runtime {
		fn dispute(
			id: cpchain_primitives::dispute::DisputeId,
		) -> Option<cpchain_primitives::dispute::DisputeView<AccountId, Balance, BlockNumber>> {
			Dispute::dispute_view(id)
		}

		fn disputes(
			from: cpchain_primitives::dispute::DisputeId,
			max: u32,
		) -> cpchain_primitives::market::Page<
			cpchain_primitives::dispute::DisputeView<AccountId, Balance, BlockNumber>,
		> {
			Dispute::disputes_page(from, max)
		}

		fn dispute_of_order(
			order: cpchain_primitives::market::OrderId,
		) -> Option<cpchain_primitives::dispute::DisputeId> {
			Dispute::dispute_of_order(order)
		}
	}

	impl sp_session::SessionKeys<Block> for Runtime {
		fn generate_session_keys(
			owner: Vec<u8>,
			seed: Option<Vec<u8>>,
		) -> sp_session::OpaqueGeneratedSessionKeys {
			SessionKeys::generate(&owner, seed).into()
		}

		fn decode_session_keys(encoded: Vec<u8>) -> Option<Vec<(Vec<u8>, KeyTypeId)>> {
			SessionKeys::decode_into_raw_public_keys(&encoded)
		}
	}

	impl frame_system_rpc_runtime_api::AccountNonceApi<Block, AccountId, Nonce> for Runtime {
		fn account_nonce(account: AccountId) -> Nonce {
			System::account_nonce(account)
		}
	}

	impl pallet_transaction_payment_rpc_runtime_api::TransactionPaymentApi<Block, Balance> for Runtime {
		fn query_info(
			uxt: <Block as BlockT>::Extrinsic,
			len: u32,
		) -> pallet_transaction_payment_rpc_runtime_api::RuntimeDispatchInfo<Balance> {
			TransactionPayment::query_info(uxt, len)
		}
		fn query_fee_details(
			uxt: <Block as BlockT>::Extrinsic,
			len: u32,
		) -> pallet_transaction_payment::FeeDetails<Balance> {
			TransactionPayment::query_fee_details(uxt, len)
		}
		fn query_weight_to_fee(weight: Weight) -> Balance {
			TransactionPayment::weight_to_fee(weight)
		}
		fn query_length_to_fee(length: u32) -> Balance {
			TransactionPayment::length_to_fee(length)
		}
	}

	impl pallet_transaction_payment_rpc_runtime_api::TransactionPaymentCallApi<Block, Balance, RuntimeCall>
		for Runtime
	{
		fn query_call_info(
			call: RuntimeCall,
			len: u32,
		) -> pallet_transaction_payment::RuntimeDispatchInfo<Balance> {
			TransactionPayment::query_call_info(call, len)
		}
		fn query_call_fee_details(
			call: RuntimeCall,
			len: u32,
		) -> pallet_transaction_payment::FeeDetails<Balance> {
			TransactionPayment::query_call_fee_details(call, len)
		}
		fn query_weight_to_fee(weight: Weight) -> Balance {
			TransactionPayment::weight_to_fee(weight)
		}
		fn query_length_to_fee(length: u32) -> Balance {
			TransactionPayment::length_to_fee(length)
		}
	}

	impl pallet_contracts::ContractsApi<Block, AccountId, Balance, BlockNumber, Hash, EventRecord>
		for Runtime
	{
		fn call(
			origin: AccountId,
			dest: AccountId,
			value: Balance,
			gas_limit: Option<Weight>,
			storage_deposit_limit: Option<Balance>,
			input_data: Vec<u8>,
		) -> pallet_contracts::ContractExecResult<Balance, EventRecord> {
			let gas_limit = gas_limit.unwrap_or(crate::configs::RuntimeBlockWeights::get().max_block);
			Contracts::bare_call(
				origin,
				dest,
				value,
				gas_limit,
				storage_deposit_limit,
				input_data,
				CONTRACTS_DEBUG_OUTPUT,
				CONTRACTS_EVENTS,
				pallet_contracts::Determinism::Enforced,
			)
		}

		fn instantiate(
			origin: AccountId,
			value: Balance,
			gas_limit: Option<Weight>,
			storage_deposit_limit: Option<Balance>,
			code: pallet_contracts::Code<Hash>,
			data: Vec<u8>,
			salt: Vec<u8>,
		) -> pallet_contracts::ContractInstantiateResult<AccountId, Balance, EventRecord> {
			let gas_limit = gas_limit.unwrap_or(crate::configs::RuntimeBlockWeights::get().max_block);
			Contracts::bare_instantiate(
				origin,
				value,
				gas_limit,
				storage_deposit_limit,
				code,
				data,
				salt,
				CONTRACTS_DEBUG_OUTPUT,
				CONTRACTS_EVENTS,
			)
		}

		fn upload_code(
			origin: AccountId,
			code: Vec<u8>,
			storage_deposit_limit: Option<Balance>,
			determinism: pallet_contracts::Determinism,
		) -> pallet_contracts::CodeUploadResult<Hash, Balance> {
			Contracts::bare_upload_code(origin, code, storage_deposit_limit, determinism)
		}

		fn get_storage(address: AccountId, key: Vec<u8>) -> pallet_contracts::GetStorageResult {
			Contracts::get_storage(address, key)
		}
	}

	#[cfg(feature = "runtime-benchmarks")]
	impl frame_benchmarking::Benchmark<Block> for Runtime {
		fn benchmark_metadata(extra: bool) -> (
			Vec<frame_benchmarking::BenchmarkList>,
			Vec<frame_support::traits::StorageInfo>,
		) {
			use frame_benchmarking::{baseline, BenchmarkList};
			use frame_support::traits::StorageInfoTrait;
			use frame_system_benchmarking::Pallet as SystemBench;
			use frame_system_benchmarking::extensions::Pallet as SystemExtensionsBench;
			use baseline::Pallet as BaselineBench;
			use crate::*;

			let mut list = Vec::<BenchmarkList>::new();
			list_benchmarks!(list, extra);

			let storage_info = AllPalletsWithSystem::storage_info();

			(list, storage_info)
		}

		#[allow(non_local_definitions)]
		fn dispatch_benchmark(
			config: frame_benchmarking::BenchmarkConfig
		) -> Result<Vec<frame_benchmarking::BenchmarkBatch>, alloc::string::String> {
			use frame_benchmarking::{baseline, BenchmarkBatch};
			use sp_storage::TrackedStorageKey;
			use frame_system_benchmarking::Pallet as SystemBench;
			use frame_system_benchmarking::extensions::Pallet as SystemExtensionsBench;
			use baseline::Pallet as BaselineBench;
			use crate::*;

			impl frame_system_benchmarking::Config for Runtime {}
			impl baseline::Config for Runtime {}

			use frame_support::traits::WhitelistedStorageKeys;
			let whitelist: Vec<TrackedStorageKey> = AllPalletsWithSystem::whitelisted_storage_keys();

			let mut batches = Vec::<BenchmarkBatch>::new();
			let params = (&config, &whitelist);
			add_benchmarks!(params, batches);

			Ok(batches)
		}
	}

	// Test and local builds only (`scripts/lib/build.sh` builds with it; see docs/runtime.md,
	// "try-runtime"): runs migrations and every pallet's `try_state` on top of a chain's state
	// without changing it. The node is the `state_call` RPC; nothing else is needed.
	#[cfg(feature = "try-runtime")]
	impl frame_try_runtime::TryRuntime<Block> for Runtime {
		fn on_runtime_upgrade(checks: frame_try_runtime::UpgradeCheckSelect) -> (Weight, Weight) {
			let weight = Executive::try_runtime_upgrade(checks)
				.unwrap_or_else(|e| panic!("try-runtime upgrade failed: {e:?}"));
			(weight, crate::configs::RuntimeBlockWeights::get().max_block)
		}

		fn execute_block(
			block: <Block as BlockT>::LazyBlock,
			state_root_check: bool,
			signature_check: bool,
			select: frame_try_runtime::TryStateSelect,
		) -> Weight {
			Executive::try_execute_block(block, state_root_check, signature_check, select)
				.unwrap_or_else(|e| panic!("try-runtime block execution failed: {e:?}"))
		}
	}

	impl sp_genesis_builder::GenesisBuilder<Block> for Runtime {
		fn build_state(config: Vec<u8>) -> sp_genesis_builder::Result {
			build_state::<RuntimeGenesisConfig>(config)
		}

		fn get_preset(id: &Option<sp_genesis_builder::PresetId>) -> Option<Vec<u8>> {
			get_preset::<RuntimeGenesisConfig>(id, crate::genesis_config_presets::get_preset)
		}

		fn preset_names() -> Vec<sp_genesis_builder::PresetId> {
			crate::genesis_config_presets::preset_names()
		}
	}
}

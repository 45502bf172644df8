//! The node service: database, client, transaction pool, network, RPC, off-chain workers and
//! consensus, wired together.
//!
//! Everything consensus-specific (block import checks, authoring, finality, their network
//! protocols) sits behind the few functions of [`crate::consensus`], so that the DPoR engine
//! lives there, not in this file's plumbing.

use std::sync::Arc;

use cpchain_runtime::{apis::RuntimeApi, opaque::Block};
use futures::FutureExt;
use sc_client_api::Backend;
use sc_service::{error::Error as ServiceError, Configuration, TaskManager};
use sc_telemetry::{Telemetry, TelemetryWorker};
use sc_transaction_pool_api::OffchainTransactionPoolFactory;
use sp_runtime::traits::Block as BlockT;

use crate::consensus;

/// The host functions the runtime may call: the standard ones, plus the benchmarking ones
/// when the runtime is built with `runtime-benchmarks` (it then imports them).
#[cfg(not(feature = "runtime-benchmarks"))]
pub(crate) type HostFunctions = sp_io::SubstrateHostFunctions;
/// The host functions the runtime may call: the standard ones, plus the benchmarking ones
/// when the runtime is built with `runtime-benchmarks` (it then imports them).
#[cfg(feature = "runtime-benchmarks")]
pub(crate) type HostFunctions =
	(sp_io::SubstrateHostFunctions, frame_benchmarking::benchmarking::HostFunctions);

/// The client: a full node over the wasm runtime.
pub(crate) type FullClient =
	sc_service::TFullClient<Block, RuntimeApi, sc_executor::WasmExecutor<HostFunctions>>;
/// The database backend (ParityDB unless `--database` says otherwise).
pub(crate) type FullBackend = sc_service::TFullBackend<Block>;
/// The transaction pool.
pub(crate) type FullPool = sc_transaction_pool::TransactionPoolHandle<Block, FullClient>;

/// The parts of the service that the import/export/benchmark subcommands need too. No
/// `SelectChain`: fork choice is DPoR's (`cpchain_consensus_dpor::fork_choice`, at import), and
/// the voter builds on the finalised head.
pub type Service = sc_service::PartialComponents<
	FullClient,
	FullBackend,
	(),
	sc_consensus::DefaultImportQueue<Block>,
	FullPool,
	(consensus::ConsensusLink, Option<Telemetry>),
>;

/// Builds the client, backend, transaction pool and import queue.
pub fn new_partial(config: &Configuration) -> Result<Service, ServiceError> {
	let telemetry = config
		.telemetry_endpoints
		.clone()
		.filter(|x| !x.is_empty())
		.map(|endpoints| -> Result<_, sc_telemetry::Error> {
			let worker = TelemetryWorker::new(16)?;
			let telemetry = worker.handle().new_telemetry(endpoints);
			Ok((worker, telemetry))
		})
		.transpose()?;

	let executor = sc_service::new_wasm_executor::<HostFunctions>(&config.executor);
	let (client, backend, keystore_container, task_manager) =
		sc_service::new_full_parts::<Block, RuntimeApi, _>(
			config,
			telemetry.as_ref().map(|(_, telemetry)| telemetry.handle()),
			executor,
			Vec::new(),
		)?;
	let client = Arc::new(client);

	let telemetry = telemetry.map(|(worker, telemetry)| {
		task_manager.spawn_handle().spawn("telemetry", None, worker.run());
		telemetry
	});

	let transaction_pool = Arc::from(
		sc_transaction_pool::Builder::new(
			task_manager.spawn_essential_handle(),
			client.clone(),
			config.role.is_authority().into(),
		)
		.with_options(config.transaction_pool.clone())
		.with_prometheus(config.prometheus_registry())
		.build(),
	);

	let (import_queue, consensus_link) = consensus::import_queue(consensus::ImportQueueParams {
		client: client.clone(),
		config,
		task_manager: &task_manager,
		transaction_pool: transaction_pool.clone(),
	})?;

	Ok(sc_service::PartialComponents {
		client,
		backend,
		task_manager,
		import_queue,
		keystore_container,
		select_chain: (),
		transaction_pool,
		other: (consensus_link, telemetry),
	})
}

/// Builds and starts a full node: networking, RPC, off-chain workers and the DPoR voter (on
/// every node: it follows and relays; on authorities whose key is in the committee it also
/// votes and leads).
pub fn new_full<N: sc_network::NetworkBackend<Block, <Block as BlockT>::Hash>>(
	config: Configuration,
) -> Result<TaskManager, ServiceError> {
	let sc_service::PartialComponents {
		client,
		backend,
		mut task_manager,
		import_queue,
		keystore_container,
		select_chain: (),
		transaction_pool,
		other: (consensus_link, mut telemetry),
	} = new_partial(&config)?;

	let mut net_config = sc_network::config::FullNetworkConfiguration::<
		Block,
		<Block as BlockT>::Hash,
		N,
	>::new(&config.network, config.prometheus_registry().cloned());
	let metrics = N::register_notification_metrics(config.prometheus_registry());

	let (consensus_network, warp_sync_config) = consensus::register_network_protocols::<N>(
		&config,
		&client,
		&mut net_config,
		metrics.clone(),
	)?;

	let (network, system_rpc_tx, tx_handler_controller, sync_service, _bitswap) =
		sc_service::build_network(sc_service::BuildNetworkParams {
			config: &config,
			net_config,
			client: client.clone(),
			transaction_pool: transaction_pool.clone(),
			spawn_handle: task_manager.spawn_handle(),
			spawn_essential_handle: task_manager.spawn_essential_handle(),
			import_queue,
			block_announce_validator_builder: None,
			warp_sync_config,
			block_relay: None,
			metrics,
			gap_sync_body_policy: None,
		})?;

	if config.offchain_worker.enabled {
		let offchain_workers =
			sc_offchain::OffchainWorkers::new(sc_offchain::OffchainWorkerOptions {
				runtime_api_provider: client.clone(),
				is_validator: config.role.is_authority(),
				keystore: Some(keystore_container.keystore()),
				offchain_db: backend.offchain_storage(),
				transaction_pool: Some(OffchainTransactionPoolFactory::new(
					transaction_pool.clone(),
				)),
				network_provider: Arc::new(network.clone()),
				enable_http_requests: true,
				custom_extensions: |_| vec![],
			})?;
		task_manager.spawn_handle().spawn(
			"offchain-workers-runner",
			"offchain-worker",
			offchain_workers.run(client.clone(), task_manager.spawn_handle()).boxed(),
		);
	}

	let role = config.role;
	let prometheus_registry = config.prometheus_registry().cloned();

	let rpc_extensions_builder = {
		let client = client.clone();
		let pool = transaction_pool.clone();

		Box::new(move |_| {
			let deps = crate::rpc::FullDeps { client: client.clone(), pool: pool.clone() };
			crate::rpc::create_full(deps).map_err(Into::into)
		})
	};

	let _rpc_handlers = sc_service::spawn_tasks(sc_service::SpawnTasksParams {
		network: network.clone(),
		client: client.clone(),
		keystore: keystore_container.keystore(),
		task_manager: &mut task_manager,
		transaction_pool: transaction_pool.clone(),
		rpc_builder: rpc_extensions_builder,
		backend: backend.clone(),
		system_rpc_tx,
		tx_handler_controller,
		sync_service: sync_service.clone(),
		config,
		telemetry: telemetry.as_mut(),
		tracing_execute_block: None,
	})?;

	consensus::start(consensus::StartParams {
		client,
		backend,
		transaction_pool,
		keystore: keystore_container.keystore(),
		network,
		sync_service,
		task_manager: &task_manager,
		link: consensus_link,
		network_parts: consensus_network,
		role,
		prometheus_registry,
		telemetry: telemetry.as_ref().map(|x| x.handle()),
	})?;

	Ok(task_manager)
}

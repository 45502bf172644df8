//! Consensus: DPoR. The elected committee's leader of each (height, view) builds the block,
//! the committee BFT-finalises it before the next one is built (`cpchain-consensus-dpor`).
//!
//! The service talks to consensus only through [`import_queue`], [`register_network_protocols`],
//! [`start`] and [`revert`].

use std::sync::Arc;

use futures::FutureExt;

use cpchain_consensus_dpor::{DporBlockImport, DporParams, DporVerifier};
use cpchain_runtime::opaque::Block;
use sc_client_api::BlockBackend;
use sc_network::{config::FullNetworkConfiguration, service::traits::NotificationService};
use sc_service::{error::Error as ServiceError, Configuration, TaskManager, WarpSyncConfig};
use sp_blockchain::HeaderBackend;
use sp_runtime::traits::{Block as BlockT, NumberFor};

use crate::service::{FullBackend, FullClient, FullPool};

type BlockImport = DporBlockImport<Block, FullClient, FullBackend>;

/// How long finality waits, at most, for the transaction pool to take in a block's import
/// (see [`start`]): a pool that is slow or never processes the block must not stall
/// consensus for longer.
const POOL_ACK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);
/// How long finality waits after the pool took in the import (see [`start`]).
const FINALITY_AFTER_POOL: std::time::Duration = std::time::Duration::from_millis(100);

/// What block import hands over to the voter.
pub struct ConsensusLink {
	block_import: BlockImport,
}

/// What the import queue is built from.
pub struct ImportQueueParams<'a> {
	/// The client.
	pub client: Arc<FullClient>,
	/// The node configuration.
	pub config: &'a Configuration,
	/// Where the verifier runs.
	pub task_manager: &'a TaskManager,
	/// Where seal-equivocation reports go.
	pub transaction_pool: Arc<FullPool>,
}

/// Builds the import queue: the DPoR verifier checks every incoming block's pre-digest,
/// leader, seal and VRF; the DPoR block import finalises blocks that come with a
/// justification, imports justifications that sync fetches and reports leaders that seal two
/// blocks at one view.
pub fn import_queue(
	params: ImportQueueParams<'_>,
) -> Result<(sc_consensus::DefaultImportQueue<Block>, ConsensusLink), ServiceError> {
	let ImportQueueParams { client, config, task_manager, transaction_pool } = params;
	let genesis = client.info().genesis_hash;
	let block_import = DporBlockImport::new(client.clone(), genesis).with_reports(
		sc_transaction_pool_api::OffchainTransactionPoolFactory::new(transaction_pool),
	);
	let import_queue = sc_consensus::BasicQueue::new(
		DporVerifier::new(client, genesis),
		Box::new(block_import.clone()),
		Some(Box::new(block_import.clone())),
		&task_manager.spawn_essential_handle(),
		config.prometheus_registry(),
	);
	Ok((import_queue, ConsensusLink { block_import }))
}

/// The consensus network protocol, registered before the network starts.
pub struct ConsensusNetwork {
	protocol_name: sc_network::ProtocolName,
	notification_service: Box<dyn NotificationService>,
}

/// Registers DPoR's notification protocol (`/<genesis>/dpor/1`). There is no warp sync
/// provider yet: nodes sync in full and check every justification.
pub fn register_network_protocols<N>(
	config: &Configuration,
	client: &Arc<FullClient>,
	net_config: &mut FullNetworkConfiguration<Block, <Block as BlockT>::Hash, N>,
	metrics: sc_network::service::NotificationMetrics,
) -> Result<(ConsensusNetwork, Option<WarpSyncConfig<Block>>), ServiceError>
where
	N: sc_network::NetworkBackend<Block, <Block as BlockT>::Hash>,
{
	// Fast sync imports blocks without their state, so the verifier cannot read the
	// committee at a block's parent and skips the seal and leader checks; warp sync would
	// need a proof of each committee handover, which DPoR does not make yet. Both would let
	// a syncing node accept a chain no committee built.
	if config.network.sync_mode != sc_network::config::SyncMode::Full {
		return Err(ServiceError::Other(format!(
			"--sync {}: DPoR nodes sync in full (`--sync full`, the default); fast and warp sync skip checks this chain relies on",
			if config.network.sync_mode.is_warp() { "warp" } else { "fast" }
		)));
	}
	let genesis_hash = client
		.block_hash(0)
		.ok()
		.flatten()
		.ok_or_else(|| ServiceError::Other("the database has no genesis block".into()))?;
	let protocol_name =
		cpchain_consensus_dpor::protocol_name(&genesis_hash, config.chain_spec.fork_id());
	let (protocol_config, notification_service) =
		cpchain_consensus_dpor::peers_set_config::<Block, N>(
			protocol_name.clone(),
			metrics,
			net_config.peer_store_handle(),
		);
	net_config.add_notification_protocol(protocol_config);
	Ok((ConsensusNetwork { protocol_name, notification_service }, None))
}

/// Everything the voter needs once the network runs.
pub struct StartParams<'a> {
	/// The client.
	pub client: Arc<FullClient>,
	/// The client's backend.
	pub backend: Arc<FullBackend>,
	/// Transactions to put in blocks.
	pub transaction_pool: Arc<FullPool>,
	/// The keystore holding this node's consensus keys.
	pub keystore: sp_keystore::KeystorePtr,
	/// The network service.
	pub network: Arc<dyn sc_network::service::traits::NetworkService>,
	/// The syncing service.
	pub sync_service: Arc<sc_network_sync::SyncingService<Block>>,
	/// Where the consensus tasks run.
	pub task_manager: &'a TaskManager,
	/// The link from block import.
	pub link: ConsensusLink,
	/// The protocol from [`register_network_protocols`].
	pub network_parts: ConsensusNetwork,
	/// Whether this node is an authority (may vote and lead if its key is in a committee).
	pub role: sc_service::Role,
	/// Metrics.
	pub prometheus_registry: Option<substrate_prometheus_endpoint::Registry>,
	/// Telemetry, if enabled.
	pub telemetry: Option<sc_telemetry::TelemetryHandle>,
}

/// Starts the DPoR voter: every node follows and relays; authorities whose key is in the
/// committee also vote and lead.
pub fn start(params: StartParams<'_>) -> Result<(), ServiceError> {
	let StartParams {
		client,
		backend,
		transaction_pool,
		keystore,
		network,
		sync_service,
		task_manager,
		link,
		network_parts,
		role,
		prometheus_registry,
		telemetry,
	} = params;

	// Finality waits until the pool has taken in the block's import, then 100 ms more. This is
	// not what orders a transaction's statuses: either pool processes imports and finality one
	// event at a time, enacts a finalised block it has not seen imported first, and emits
	// `InBlock` before `Finalized` either way (docs/dpor-engine.md, "Transaction status
	// order"). It gives RPC clients the time to fetch the block they were just told about
	// before `Finalized` follows: @polkadot/api drops its `InBlock` report when `Finalized`
	// arrives while it still fetches the block's events. `ready_at` resolves once the pool has
	// processed the block (the acknowledgement; the single-state pool answers at once when it
	// holds no transaction, so none of the block's is still waiting for `InBlock`); it is
	// bounded by `POOL_ACK_TIMEOUT`, and unlike `ready_at_with_timeout` it does no fallback
	// work.
	let pool = transaction_pool.clone();
	let wait_for_pool: cpchain_consensus_dpor::worker::WaitForPool = Arc::new(move |hash| {
		let pool = pool.clone();
		async move {
			use sc_transaction_pool_api::TransactionPool;
			let ack = pool.ready_at(hash).map(drop);
			let timeout = futures_timer::Delay::new(POOL_ACK_TIMEOUT);
			if let futures::future::Either::Right(_) = futures::future::select(ack, timeout).await {
				log::debug!(
					target: "dpor",
					"the transaction pool did not take in {hash} within {POOL_ACK_TIMEOUT:?}"
				);
			}
			futures_timer::Delay::new(FINALITY_AFTER_POOL).await;
		}
		.boxed()
	});
	let env = sc_basic_authorship::ProposerFactory::new(
		task_manager.spawn_handle(),
		client.clone(),
		transaction_pool.clone(),
		prometheus_registry.as_ref(),
		telemetry,
	);
	let voter = cpchain_consensus_dpor::run_dpor(DporParams {
		client,
		backend,
		block_import: link.block_import,
		env,
		network,
		sync: sync_service,
		notification_service: network_parts.notification_service,
		protocol_name: network_parts.protocol_name,
		keystore: role.is_authority().then_some(keystore),
		wait_for_pool: Some(wait_for_pool),
		offchain_tx_pool_factory: Some(
			sc_transaction_pool_api::OffchainTransactionPoolFactory::new(transaction_pool),
		),
		prometheus_registry,
	})
	.map_err(ServiceError::Other)?;
	// Essential: a node whose voter fails stops rather than follow the chain blindly.
	task_manager.spawn_essential_handle().spawn_blocking("dpor-voter", Some("dpor"), voter);
	Ok(())
}

/// Reverts consensus state together with `blocks` blocks. DPoR keeps none that depends on
/// the reverted blocks (the voter state is per height and restarts from the finalised head).
pub fn revert(_client: Arc<FullClient>, _blocks: NumberFor<Block>) -> sp_blockchain::Result<()> {
	Ok(())
}

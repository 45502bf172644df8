//! Consensus: Aura authors blocks, GRANDPA finalises them.
//!
//! This is the stand-in until the DPoR engine lands. The service talks to consensus only
//! through [`import_queue`], [`register_network_protocols`], [`start`] and [`revert`], so the
//! engine swap happens in this module alone.

use std::{sync::Arc, time::Duration};

use cpchain_runtime::opaque::Block;
use sc_client_api::BlockBackend;
use sc_consensus_aura::{
	ImportQueueParams as AuraImportQueueParams, SlotProportion, StartAuraParams,
};
use sc_consensus_grandpa::SharedVoterState;
use sc_network::{config::FullNetworkConfiguration, service::traits::NotificationService};
use sc_service::{error::Error as ServiceError, Configuration, TaskManager, WarpSyncConfig};
use sc_telemetry::TelemetryHandle;
use sc_transaction_pool_api::OffchainTransactionPoolFactory;
use sp_consensus_aura::sr25519::AuthorityPair as AuraPair;
use sp_runtime::traits::{Block as BlockT, NumberFor};

use crate::service::{FullBackend, FullClient, FullPool, FullSelectChain};

/// The minimum period of blocks on which GRANDPA justifications are generated and kept, so
/// that syncing nodes can check finality without replaying every vote.
const GRANDPA_JUSTIFICATION_PERIOD: u32 = 512;

/// How often GRANDPA gossips votes.
const GRANDPA_GOSSIP_DURATION: Duration = Duration::from_millis(333);

type GrandpaBlockImport =
	sc_consensus_grandpa::GrandpaBlockImport<FullBackend, Block, FullClient, FullSelectChain>;

/// What block import hands over to authoring and finality.
pub struct ConsensusLink {
	block_import: GrandpaBlockImport,
	grandpa_link: sc_consensus_grandpa::LinkHalf<Block, FullClient, FullSelectChain>,
}

/// What the import queue is built from.
pub struct ImportQueueParams<'a> {
	/// The client.
	pub client: Arc<FullClient>,
	/// Fork choice.
	pub select_chain: FullSelectChain,
	/// The node configuration.
	pub config: &'a Configuration,
	/// Where the verifier runs.
	pub task_manager: &'a TaskManager,
	/// Telemetry, if enabled.
	pub telemetry: Option<TelemetryHandle>,
}

/// Builds the import queue that checks every incoming block's seal (Aura) and justification
/// (GRANDPA) before it reaches the database.
pub fn import_queue(
	params: ImportQueueParams<'_>,
) -> Result<(sc_consensus::DefaultImportQueue<Block>, ConsensusLink), ServiceError> {
	let ImportQueueParams { client, select_chain, config, task_manager, telemetry } = params;

	let (block_import, grandpa_link) = sc_consensus_grandpa::block_import(
		client.clone(),
		GRANDPA_JUSTIFICATION_PERIOD,
		&client,
		select_chain,
		telemetry.clone(),
	)?;

	let cidp_client = client.clone();
	let import_queue =
		sc_consensus_aura::import_queue::<AuraPair, _, _, _, _, _>(AuraImportQueueParams {
			block_import: block_import.clone(),
			justification_import: Some(Box::new(block_import.clone())),
			client,
			create_inherent_data_providers: move |parent_hash, _| {
				let cidp_client = cidp_client.clone();
				async move {
					let slot_duration = sc_consensus_aura::standalone::slot_duration_at(
						&*cidp_client,
						parent_hash,
					)?;
					let timestamp = sp_timestamp::InherentDataProvider::from_system_time();
					let slot =
						sp_consensus_aura::inherents::InherentDataProvider::from_timestamp_and_slot_duration(
							*timestamp,
							slot_duration,
						);
					Ok((slot, timestamp))
				}
			},
			spawner: &task_manager.spawn_essential_handle(),
			registry: config.prometheus_registry(),
			check_for_equivocation: Default::default(),
			telemetry,
			compatibility_mode: Default::default(),
		})?;

	Ok((import_queue, ConsensusLink { block_import, grandpa_link }))
}

/// The consensus network protocols, registered before the network starts.
pub struct ConsensusNetwork {
	protocol_name: sc_network::ProtocolName,
	notification_service: Box<dyn NotificationService>,
}

/// Registers the finality gossip protocol and returns the warp sync provider, which lets a
/// new node jump to the latest finalised state by following authority set changes.
pub fn register_network_protocols<N>(
	config: &Configuration,
	client: &Arc<FullClient>,
	backend: &Arc<FullBackend>,
	link: &ConsensusLink,
	net_config: &mut FullNetworkConfiguration<Block, <Block as BlockT>::Hash, N>,
	metrics: sc_network::service::NotificationMetrics,
) -> Result<(ConsensusNetwork, Option<WarpSyncConfig<Block>>), ServiceError>
where
	N: sc_network::NetworkBackend<Block, <Block as BlockT>::Hash>,
{
	let genesis_hash = client
		.block_hash(0)
		.ok()
		.flatten()
		.ok_or_else(|| ServiceError::Other("the database has no genesis block".into()))?;
	let protocol_name =
		sc_consensus_grandpa::protocol_standard_name(&genesis_hash, &config.chain_spec);
	let (protocol_config, notification_service) =
		sc_consensus_grandpa::grandpa_peers_set_config::<_, N>(
			protocol_name.clone(),
			metrics,
			net_config.peer_store_handle(),
		);
	net_config.add_notification_protocol(protocol_config);

	let warp_sync = Arc::new(sc_consensus_grandpa::warp_proof::NetworkProvider::new(
		backend.clone(),
		link.grandpa_link.shared_authority_set().clone(),
		Vec::default(),
	));

	Ok((
		ConsensusNetwork { protocol_name, notification_service },
		Some(WarpSyncConfig::WithProvider(warp_sync)),
	))
}

/// Everything authoring and finality need once the network runs.
pub struct StartParams<'a> {
	/// The client.
	pub client: Arc<FullClient>,
	/// Fork choice.
	pub select_chain: FullSelectChain,
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
	/// The protocols from [`register_network_protocols`].
	pub network_parts: ConsensusNetwork,
	/// Whether this node is an authority.
	pub role: sc_service::Role,
	/// Author even while syncing (`--force-authoring`).
	pub force_authoring: bool,
	/// Run the finality voter (not `--no-grandpa`).
	pub enable_finality: bool,
	/// The node's name, for logs.
	pub node_name: String,
	/// Metrics.
	pub prometheus_registry: Option<substrate_prometheus_endpoint::Registry>,
	/// Telemetry, if enabled.
	pub telemetry: Option<TelemetryHandle>,
}

/// Starts block authoring (authorities only) and the finality voter.
pub fn start(params: StartParams<'_>) -> Result<(), ServiceError> {
	let StartParams {
		client,
		select_chain,
		transaction_pool,
		keystore,
		network,
		sync_service,
		task_manager,
		link,
		network_parts,
		role,
		force_authoring,
		enable_finality,
		node_name,
		prometheus_registry,
		telemetry,
	} = params;
	let ConsensusLink { block_import, grandpa_link } = link;

	if role.is_authority() {
		let proposer_factory = sc_basic_authorship::ProposerFactory::new(
			task_manager.spawn_handle(),
			client.clone(),
			transaction_pool.clone(),
			prometheus_registry.as_ref(),
			telemetry.clone(),
		);

		let slot_duration = sc_consensus_aura::slot_duration(&*client)?;

		let aura = sc_consensus_aura::start_aura::<AuraPair, _, _, _, _, _, _, _, _, _, _>(
			StartAuraParams {
				slot_duration,
				client: client.clone(),
				select_chain,
				block_import,
				proposer_factory,
				create_inherent_data_providers: move |_, ()| async move {
					let timestamp = sp_timestamp::InherentDataProvider::from_system_time();
					let slot =
						sp_consensus_aura::inherents::InherentDataProvider::from_timestamp_and_slot_duration(
							*timestamp,
							slot_duration,
						);
					Ok((slot, timestamp))
				},
				force_authoring,
				backoff_authoring_blocks: Option::<()>::None,
				keystore: keystore.clone(),
				sync_oracle: sync_service.clone(),
				justification_sync_link: sync_service.clone(),
				block_proposal_slot_portion: SlotProportion::new(2f32 / 3f32),
				max_block_proposal_slot_portion: None,
				telemetry: telemetry.clone(),
				compatibility_mode: Default::default(),
			},
		)?;

		// Authoring is essential: if it fails, the node stops rather than idling silently.
		task_manager.spawn_essential_handle().spawn_blocking("aura", Some("block-authoring"), aura);
	}

	if enable_finality {
		// A node that does not vote needs no keys for finality.
		let keystore = if role.is_authority() { Some(keystore) } else { None };

		let grandpa_config = sc_consensus_grandpa::Config {
			gossip_duration: GRANDPA_GOSSIP_DURATION,
			justification_generation_period: GRANDPA_JUSTIFICATION_PERIOD,
			name: Some(node_name),
			observer_enabled: false,
			keystore,
			local_role: role,
			telemetry: telemetry.clone(),
			protocol_name: network_parts.protocol_name,
		};

		let grandpa_params = sc_consensus_grandpa::GrandpaParams {
			config: grandpa_config,
			link: grandpa_link,
			network,
			sync: sync_service,
			notification_service: network_parts.notification_service,
			voting_rule: sc_consensus_grandpa::VotingRulesBuilder::default().build(),
			prometheus_registry,
			shared_voter_state: SharedVoterState::empty(),
			telemetry,
			offchain_tx_pool_factory: OffchainTransactionPoolFactory::new(transaction_pool),
		};

		// The voter is essential too: a node that cannot finalise must not pretend to.
		task_manager.spawn_essential_handle().spawn_blocking(
			"grandpa-voter",
			None,
			sc_consensus_grandpa::run_grandpa_voter(grandpa_params)?,
		);
	}

	Ok(())
}

/// Reverts consensus state (GRANDPA's authority set changes) together with `blocks` blocks.
pub fn revert(client: Arc<FullClient>, blocks: NumberFor<Block>) -> sp_blockchain::Result<()> {
	sc_consensus_grandpa::revert(client, blocks)
}

//! # DPoR consensus engine
//!
//! Reputation-elected committees propose and BFT-finalise every block. The protocol is the
//! pure core of `cpchain-dpor-bft` (heights, views, PREPARE/COMMIT with locking, view changes
//! with exponential backoff); this crate adapts it to Substrate:
//!
//! - [`verifier`]: every network block must carry one DPoR pre-digest naming the leader of its
//!   (height, view) in the committee at its parent, that leader's VRF output over the term's
//!   randomness, and its seal;
//! - [`import`]: block and justification import: a block that comes with a DPoR
//!   justification (a quorum of COMMIT signatures) is finalised with it;
//! - [`gossip`]: the `/<genesis>/dpor/1` notification protocol's validator;
//! - [`worker`]: the voter, run by every full node (committee members vote and lead, the
//!   others follow and relay);
//! - [`aux_schema`]: the voter state, persisted before any vote it covers is sent.
//!
//! The committee, the term randomness and the timing come from the runtime's `DporApi` at the
//! parent block: committee changes at term boundaries are decided by the outgoing committee.
#![deny(missing_docs)]

pub mod aux_schema;
pub mod buffers;
pub mod chain;
pub mod gossip;
pub mod import;
pub mod justification;
pub mod messages;
pub mod metrics;
pub mod network;
pub mod verifier;
pub mod worker;

use std::sync::Arc;

use cpchain_primitives::{consensus::AuthorityId, consensus::DporApi};
use sc_client_api::{AuxStore, Backend, BlockchainEvents, Finalizer};
use sc_consensus::BlockImport;
use sc_network::{
	config::{NonReservedPeerMode, SetConfig},
	service::traits::NotificationService,
	NetworkBackend, NotificationMetrics, ProtocolName,
};
use sc_network_gossip::GossipEngine;
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_consensus::Environment;
use sp_core::H256;
use sp_keystore::KeystorePtr;
use sp_runtime::traits::Block as BlockT;

pub use import::DporBlockImport;

/// Fork choice. Every block builds on the finalised head, so competing blocks share a height:
/// the later view wins there (members moved on to it after impeaching the earlier leaders),
/// and a higher height wins over a lower one. Making the later-view block best at import,
/// rather than leaving finality to move the best block, keeps the transaction pool's view of
/// the chain in step (it follows best-block notifications).
pub fn fork_choice<B: BlockT, C: HeaderBackend<B>>(
	client: &C,
	header: &B::Header,
	view: u32,
) -> sc_consensus::ForkChoiceStrategy {
	use sp_runtime::traits::Header as _;
	let info = client.info();
	if *header.parent_hash() != info.finalized_hash {
		// Not on the finalised head: it can never be final (no honest member votes for it,
		// and justifications are accepted on the finalised head only), so it never becomes
		// best either; a member cannot take the best block with a block on an unfinalised
		// one. A node behind by one height takes it as best once its parent is final.
		return sc_consensus::ForkChoiceStrategy::Custom(false);
	}
	let number = *header.number();
	let better = if number != info.best_number {
		number > info.best_number
	} else {
		let best_view = client
			.header(info.best_hash)
			.ok()
			.flatten()
			.and_then(|h| cpchain_primitives::consensus::find_pre_digest(&h))
			.map(|p| p.view);
		best_view.is_some_and(|best| view > best)
	};
	sc_consensus::ForkChoiceStrategy::Custom(better)
}
pub use verifier::DporVerifier;

/// The log target of the engine.
pub const LOG_TARGET: &str = "dpor";

/// The name of the DPoR notification protocol: `/<genesis hash>[/<fork id>]/dpor/1`.
pub fn protocol_name(genesis: &H256, fork_id: Option<&str>) -> ProtocolName {
	let genesis = format!("{genesis:x}");
	match fork_id {
		Some(fork) => format!("/{genesis}/{fork}/dpor/1").into(),
		None => format!("/{genesis}/dpor/1").into(),
	}
}

/// The notification protocol's configuration. Peers are added by the gossip engine as sync
/// connects them (no slots of its own).
pub fn peers_set_config<B: BlockT, N: NetworkBackend<B, <B as BlockT>::Hash>>(
	name: ProtocolName,
	metrics: NotificationMetrics,
	peer_store_handle: Arc<dyn sc_network::peer_store::PeerStoreProvider>,
) -> (N::NotificationProtocolConfig, Box<dyn NotificationService>) {
	N::notification_config(
		name,
		Vec::new(),
		messages::MAX_MESSAGE_SIZE as u64,
		None,
		SetConfig {
			in_peers: 0,
			out_peers: 0,
			reserved_nodes: Vec::new(),
			non_reserved_mode: NonReservedPeerMode::Deny,
		},
		metrics,
		peer_store_handle,
	)
}

/// What the engine needs of the client: the runtime's `DporApi`, headers, import and finality
/// notifications, the aux store and finalisation.
pub trait DporClient<B: BlockT, BE: Backend<B>>:
	ProvideRuntimeApi<B, Api: DporApi<B, AuthorityId>>
	+ HeaderBackend<B>
	+ BlockchainEvents<B>
	+ AuxStore
	+ Finalizer<B, BE>
	+ Send
	+ Sync
	+ 'static
{
}

impl<B, BE, T> DporClient<B, BE> for T
where
	B: BlockT,
	BE: Backend<B>,
	T: ProvideRuntimeApi<B>
		+ HeaderBackend<B>
		+ BlockchainEvents<B>
		+ AuxStore
		+ Finalizer<B, BE>
		+ Send
		+ Sync
		+ 'static,
	T::Api: DporApi<B, AuthorityId>,
{
}

/// What [`run_dpor`] needs.
pub struct DporParams<B: BlockT, BE, C, E, I, N, S> {
	/// The client.
	pub client: Arc<C>,
	/// The client's backend (the voter finds the blocks on the finalised head there).
	pub backend: Arc<BE>,
	/// The block import shared with the import queue.
	pub block_import: I,
	/// Builds blocks (a `ProposerFactory`).
	pub env: E,
	/// The network.
	pub network: N,
	/// The syncing service.
	pub sync: S,
	/// The notification service of [`peers_set_config`].
	pub notification_service: Box<dyn NotificationService>,
	/// The protocol name of [`protocol_name`].
	pub protocol_name: ProtocolName,
	/// The keystore with this node's `dpor` key, if it may be a committee member.
	pub keystore: Option<KeystorePtr>,
	/// Resolves once the transaction pool has taken in a block's import (see
	/// [`worker::WaitForPool`]); `None` finalises at once.
	pub wait_for_pool: Option<worker::WaitForPool>,
	/// Where equivocation reports go (the local transaction pool).
	pub offchain_tx_pool_factory:
		Option<sc_transaction_pool_api::OffchainTransactionPoolFactory<B>>,
	/// Where the voter's metrics go ([`metrics::Metrics`]).
	pub prometheus_registry: Option<substrate_prometheus_endpoint::Registry>,
}

/// The DPoR voter: a future to spawn as an essential task.
pub fn run_dpor<B, C, BE, E, I, N, S>(
	params: DporParams<B, BE, C, E, I, N, S>,
) -> Result<impl std::future::Future<Output = ()> + Send, String>
where
	B: BlockT<Hash = H256>,
	BE: Backend<B> + 'static,
	C: DporClient<B, BE>,
	E: Environment<B> + Send + Sync + 'static,
	E::Proposer: Send,
	I: BlockImport<B> + Clone + Send + Sync + 'static,
	N: sc_network_gossip::Network<B> + Send + Sync + Clone + 'static,
	S: sc_network_gossip::Syncing<B>
		+ sc_consensus::JustificationSyncLink<B>
		+ Send
		+ Sync
		+ Clone
		+ 'static,
{
	let DporParams {
		client,
		backend,
		block_import,
		env,
		network,
		sync,
		notification_service,
		protocol_name,
		keystore,
		offchain_tx_pool_factory,
		wait_for_pool,
		prometheus_registry,
	} = params;
	let validator = gossip::GossipValidator::new(client.info().genesis_hash);
	let justifications: Box<dyn sc_consensus::JustificationSyncLink<B> + Send + Sync> =
		Box::new(sync.clone());
	let gossip = GossipEngine::new(
		network,
		sync,
		notification_service,
		protocol_name,
		validator.clone(),
		None,
	);
	let mut voter = worker::Voter::new(
		client,
		env,
		block_import,
		keystore,
		validator,
		offchain_tx_pool_factory,
		wait_for_pool,
	)
	.map_err(|e| e.to_string())?
	.with_justification_requests(justifications, backend);
	if let Some(registry) = &prometheus_registry {
		match metrics::Metrics::register(registry) {
			Ok(metrics) => voter = voter.with_metrics(metrics),
			Err(e) => log::warn!(target: LOG_TARGET, "DPoR metrics not registered: {e}"),
		}
	}
	Ok(worker::run(voter, network::EngineGossip::new(gossip)))
}

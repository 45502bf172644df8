//! An in-process DPoR network: several voters, each the engine's real [`Voter`] with its own
//! client of the real runtime (ParityDB in a temporary directory), keystore and aux store,
//! connected by an in-memory gossip network that passes every message through the receiving
//! node's real [`GossipValidator`], and by a block relay that puts every block a leader
//! builds through the other nodes' real verifier and block import, as sync would.
//!
//! The network watches what goes over it: every vote an honest member signs is checked
//! against every earlier one of the same (term, height, view, phase), so a double signature
//! anywhere fails the test that caused it.

#![allow(dead_code)]

use std::{
	collections::{HashMap, HashSet},
	sync::{
		atomic::{AtomicBool, Ordering},
		Arc,
	},
	time::Duration,
};

use codec::{Decode, Encode};
use cpchain_consensus_dpor::{
	chain::child_rules,
	gossip::{GossipValidator, Verdict},
	metrics::Metrics,
	network::{Gossip, Incoming},
	worker::{self, Voter, WriteHook},
	DporBlockImport, DporVerifier,
};
use cpchain_primitives::{
	consensus::DPOR_ENGINE_ID,
	consensus::{
		pre_digest_item, seal_payload, vrf_input, AuthorityId, AuthoritySignature, DporMessage,
		MemberIndex, Phase, PreDigest, KEY_TYPE,
	},
};
use cpchain_runtime::opaque::Block;
use futures::{channel::mpsc, future::BoxFuture, prelude::*};
use parking_lot::Mutex;
use sc_block_builder::BlockBuilderBuilder;
use sc_client_api::{BlockBackend, BlockchainEvents};
use sc_consensus::{BlockImport, BlockImportParams, JustificationImport, Verifier};
use sc_network::{PeerId, ReputationChange};
use sp_blockchain::HeaderBackend;
use sp_consensus::{BlockOrigin, Environment, Proposal, ProposeArgs, Proposer};
use sp_core::{crypto::VrfSecret, Pair, H256};
use sp_inherents::InherentDataProvider;
use sp_keyring::Sr25519Keyring;
use sp_keystore::{testing::MemoryKeystore, Keystore, KeystorePtr};
use sp_runtime::{
	traits::{Block as BlockT, Header as HeaderT},
	Digest, DigestItem, OpaqueExtrinsic, RuntimeAppPublic,
};
use sp_tracing::tracing::Instrument;

use crate::common::{executor, new_client, Backend, Client, Header};

/// Local pacing of the voters (the runtime's 3 s blocks and 6 s views, halved). Blocks come
/// no faster than the runtime's minimum timestamp period (1.5 s), so block timestamps keep to
/// the wall clock and the verifier's view bound holds as on a real chain.
pub const BLOCK_TIME_MS: u64 = 1_500;
/// The base view timeout of the voters.
pub const BASE_TIMEOUT_MS: u64 = 3_000;

type Import = DporBlockImport<Block, Client, Backend>;

/// A node of the harness.
pub struct Node {
	/// The member key this node holds.
	pub key: Sr25519Keyring,
	/// Its client.
	pub client: Arc<Client>,
	/// Its client's backend.
	pub backend: Arc<Backend>,
	/// Its block import (the engine's).
	pub import: Import,
	/// Its keystore (kept over restarts, as a keystore on disk would be).
	pub keystore: KeystorePtr,
	/// Its peer id on the in-memory network.
	pub peer: PeerId,
	/// What the node's voter submitted to its transaction pool (equivocation reports).
	pub pool: Arc<RecordingPool>,
	/// The running voter's metrics.
	pub metrics: Mutex<Option<Metrics>>,
	/// The running voter.
	pub task: Mutex<Option<tokio::task::JoinHandle<()>>>,
	/// Whether a voter runs (false: a silent or scripted node).
	pub honest: bool,
	/// How long its voter waits for the transaction pool before finalising a decided block
	/// (read when the voter starts; [`POOL_WAIT`] unless a test sets another).
	pub pool_wait: Mutex<Duration>,
	_dir: tempfile::TempDir,
}

/// One node's place on the in-memory network.
struct Endpoint {
	validator: Arc<GossipValidator>,
	inbox: Option<mpsc::UnboundedSender<Incoming>>,
}

/// Tests that run a network take this lock: a network is four voters on two cores, and a
/// second one beside it would slow both past the timing their tests check.
pub static SERIAL: Mutex<()> = Mutex::new(());

/// The network and what it saw.
pub struct Net {
	/// The nodes, in order.
	pub nodes: Vec<Arc<Node>>,
	endpoints: Mutex<Vec<Endpoint>>,
	/// Every vote an honest member sent: (voter key, term, height, view, phase) -> block.
	signed: Mutex<HashMap<(Vec<u8>, u32, u64, u32, Phase), Option<H256>>>,
	/// Every block an honest member sealed: (node, height, view) -> hash without the seal.
	sealed: Mutex<HashMap<(usize, u32, u32), H256>>,
	/// Double signatures seen (must stay empty).
	pub double_signs: Mutex<Vec<String>>,
	/// The sum of the reputation changes each node's voter reported against each peer.
	pub reputation: Mutex<HashMap<PeerId, i64>>,
	/// Messages the validators let through, and messages they dropped.
	pub delivered: Mutex<u64>,
	/// Messages the validators dropped.
	pub dropped: Mutex<u64>,
	/// Blocks the relay could not import at some node: (block, node, error).
	pub refused: Mutex<Vec<(H256, usize, String)>>,
	genesis: H256,
	stop: AtomicBool,
	/// Nodes cut off from the network until the instant given.
	isolated: Mutex<HashMap<usize, std::time::Instant>>,
	/// Nodes whose messages are lost (they still receive), as if they died before sending.
	muted: Mutex<HashSet<usize>>,
	/// Nodes whose justification requests are answered before the request returns (as a sync
	/// that already holds the answer might), instead of in a task of their own.
	answered_at_once: Mutex<HashSet<usize>>,
}

impl Net {
	/// Four nodes with the keys of `keys` (one client each, one shared wasm compilation);
	/// `honest[i]` says whether node `i` runs a voter.
	pub fn new(honest: [bool; 4]) -> Arc<Self> {
		// `RUST_LOG=dpor=debug` shows what the voters do, each line under its node's span (of
		// the same target).
		sp_tracing::try_init_simple();
		let executor = executor();
		let keys = crate::common::MEMBERS;
		let nodes: Vec<Arc<Node>> = keys
			.iter()
			.zip(honest)
			.map(|(key, honest)| {
				let dir = tempfile::tempdir().expect("a temporary directory");
				let (client, backend) = new_client(&executor, dir.path());
				let genesis = client.info().genesis_hash;
				let keystore: KeystorePtr = Arc::new(MemoryKeystore::new());
				keystore
					.insert(KEY_TYPE, &format!("//{key}"), key.public().as_ref())
					.expect("the member key goes into the keystore");
				let pool = Arc::new(RecordingPool::default());
				let reports =
					sc_transaction_pool_api::OffchainTransactionPoolFactory::new(pool.clone());
				Arc::new(Node {
					key: *key,
					import: DporBlockImport::new(client.clone(), genesis).with_reports(reports),
					client,
					backend,
					keystore,
					peer: PeerId::random(),
					pool,
					metrics: Mutex::new(None),
					task: Mutex::new(None),
					honest,
					pool_wait: Mutex::new(POOL_WAIT),
					_dir: dir,
				})
			})
			.collect();
		let genesis = nodes[0].client.info().genesis_hash;
		let endpoints = nodes
			.iter()
			.map(|_| Endpoint { validator: GossipValidator::new(genesis), inbox: None })
			.collect();
		Arc::new(Self {
			nodes,
			endpoints: Mutex::new(endpoints),
			signed: Mutex::new(HashMap::new()),
			sealed: Mutex::new(HashMap::new()),
			double_signs: Mutex::new(Vec::new()),
			reputation: Mutex::new(HashMap::new()),
			delivered: Mutex::new(0),
			dropped: Mutex::new(0),
			refused: Mutex::new(Vec::new()),
			genesis,
			stop: AtomicBool::new(false),
			isolated: Mutex::new(HashMap::new()),
			muted: Mutex::new(HashSet::new()),
			answered_at_once: Mutex::new(HashSet::new()),
		})
	}

	/// The genesis hash.
	pub fn genesis(&self) -> H256 {
		self.genesis
	}

	/// Starts the block relays of every node and the voters of the honest ones.
	pub fn start(self: &Arc<Self>) {
		for i in 0..self.nodes.len() {
			self.spawn_relay(i);
			if self.nodes[i].honest {
				self.start_voter(i, None);
			}
		}
	}

	/// Stops everything.
	pub fn stop(&self) {
		self.stop.store(true, Ordering::SeqCst);
		for i in 0..self.nodes.len() {
			self.stop_voter(i);
		}
	}

	/// Whether the harness is stopping.
	pub fn stopping(&self) -> bool {
		self.stop.load(Ordering::SeqCst)
	}

	/// Starts (or restarts, after a crash) the voter of node `i` on its database, with a new
	/// gossip validator and inbox (a restarted process has neither).
	pub fn start_voter(self: &Arc<Self>, i: usize, hook: Option<Arc<dyn WriteHook>>) {
		let node = self.nodes[i].clone();
		let validator = GossipValidator::new(self.genesis);
		let (tx, rx) = mpsc::unbounded();
		{
			let mut endpoints = self.endpoints.lock();
			endpoints[i] = Endpoint { validator: validator.clone(), inbox: Some(tx) };
		}
		let factory =
			sc_transaction_pool_api::OffchainTransactionPoolFactory::new(node.pool.clone());
		let registry = substrate_prometheus_endpoint::Registry::new();
		let metrics = Metrics::register(&registry).expect("the metrics register");
		*node.metrics.lock() = Some(metrics.clone());
		let gossip = MemGossip { net: self.clone(), me: i, inbox: rx };
		let link = JustificationLink { net: self.clone(), me: i };
		// Built inside the task: starting writes the voter state too, and a crash there is a
		// crash of the voter, not of the test.
		let task_node = node.clone();
		*task_node.task.lock() = Some(tokio::spawn(
			async move {
				let mut voter = Voter::new(
					node.client.clone(),
					TestEnv(node.client.clone()),
					node.import.clone(),
					Some(node.keystore.clone()),
					validator,
					Some(factory),
					Some(wait_for_pool(*node.pool_wait.lock())),
				)
				.expect("the voter starts")
				.with_justification_requests(Box::new(link), node.backend.clone())
				.with_metrics(metrics);
				if let Some(hook) = hook {
					voter = voter.with_write_hook(hook);
				}
				let voter =
					voter.with_timing(BLOCK_TIME_MS, BASE_TIMEOUT_MS).expect("the voter starts");
				worker::run(voter, gossip).await
			}
			.instrument(sp_tracing::tracing::info_span!(target: "dpor", "node", i)),
		));
	}

	/// Stops node `i`'s voter (as a crash would; its database stays).
	pub fn stop_voter(&self, i: usize) {
		if let Some(task) = self.nodes[i].task.lock().take() {
			task.abort();
		}
	}

	/// Whether node `i`'s voter has stopped (crashed).
	pub fn voter_stopped(&self, i: usize) -> bool {
		self.nodes[i].task.lock().as_ref().is_none_or(|t| t.is_finished())
	}

	/// Cuts node `i` off the gossip network for `time`: what it sends is lost (a vote it signs
	/// is still checked for double signing: a signature is evidence whether or not it arrived)
	/// and it receives nothing, so its views time out.
	pub fn isolate(&self, i: usize, time: Duration) {
		self.isolated.lock().insert(i, std::time::Instant::now() + time);
	}

	/// Loses what node `i` sends from now until [`Net::unmute`] (it still receives): what a
	/// crash before its outgoing messages left would lose. A vote it signs meanwhile is still
	/// checked for double signing.
	pub fn mute(&self, i: usize) {
		self.muted.lock().insert(i);
	}

	/// Answers node `i`'s justification requests before the request returns: the voter's
	/// chain moves under it while it is still asking (see `JustificationLink`).
	pub fn answer_justification_requests_at_once(&self, i: usize) {
		self.answered_at_once.lock().insert(i);
	}

	/// Ends [`Net::mute`] for node `i`.
	pub fn unmute(&self, i: usize) {
		self.muted.lock().remove(&i);
	}

	fn is_isolated(&self, i: usize) -> bool {
		self.isolated.lock().get(&i).is_some_and(|until| std::time::Instant::now() < *until)
	}

	/// Sends `message` from node `from` to every other node through its validator.
	pub fn broadcast(&self, from: usize, message: Vec<u8>) {
		if self.nodes[from].honest {
			self.check_double_sign(from, &message);
		}
		if self.is_isolated(from) || self.muted.lock().contains(&from) {
			return;
		}
		let peer = self.nodes[from].peer;
		let endpoints = self.endpoints.lock();
		for (j, endpoint) in endpoints.iter().enumerate() {
			if j == from || self.is_isolated(j) {
				continue;
			}
			let Some(inbox) = &endpoint.inbox else { continue };
			match endpoint.validator.check(&peer, &message) {
				Verdict::Keep | Verdict::ProcessOnly => {
					*self.delivered.lock() += 1;
					let _ = inbox.unbounded_send((message.clone(), Some(peer)));
				}
				Verdict::Discard => *self.dropped.lock() += 1,
			}
		}
	}

	fn check_double_sign(&self, from: usize, message: &[u8]) {
		let Ok(DporMessage::Vote(vote)) = DporMessage::decode(&mut &message[..]) else { return };
		let d = &vote.data;
		// A node may relay votes other members signed (a decided height's COMMIT votes after
		// a restart): only its own signatures are its votes.
		let signer: AuthorityId = self.nodes[from].key.public().into();
		if !signer.verify(&d.signing_payload(&self.genesis), &vote.signature) {
			return;
		}
		let phase = d.phase;
		let key = (self.nodes[from].key.public().0.to_vec(), d.term, d.height, d.view, phase);
		let mut signed = self.signed.lock();
		match signed.get(&key) {
			Some(block) if *block != d.block => self.double_signs.lock().push(format!(
				"{} signed {:?} and {:?} at term {} height {} view {} phase {phase:?}",
				self.nodes[from].key, block, d.block, d.term, d.height, d.view
			)),
			Some(_) => {}
			None => {
				signed.insert(key, d.block);
			}
		}
	}

	/// Records a block that honest node `from` sealed; a second one with other contents at
	/// the same (height, view) is a double sign (the chain slashes it as seal equivocation).
	fn check_double_seal(&self, from: usize, block: &Block) {
		let header = block.header();
		let Some(pre) = cpchain_primitives::consensus::find_pre_digest(header) else { return };
		let Some((pre_header, _)) = cpchain_primitives::consensus::split_seal(header.clone())
		else {
			return;
		};
		let key = (from, *header.number(), pre.view);
		let mut sealed = self.sealed.lock();
		match sealed.get(&key) {
			Some(hash) if *hash != pre_header.hash() => self.double_signs.lock().push(format!(
				"{} sealed {hash:?} and {:?} at height {} view {}",
				self.nodes[from].key,
				pre_header.hash(),
				header.number(),
				pre.view
			)),
			Some(_) => {}
			None => {
				sealed.insert(key, pre_header.hash());
			}
		}
	}

	/// The sum of reputation changes honest voters reported against node `i`.
	pub fn reputation_of(&self, i: usize) -> i64 {
		self.reputation.lock().get(&self.nodes[i].peer).copied().unwrap_or(0)
	}

	fn spawn_relay(self: &Arc<Self>, i: usize) {
		let net = self.clone();
		tokio::spawn(async move {
			let mut imports = net.nodes[i].client.import_notification_stream();
			while let Some(n) = imports.next().await {
				if net.stopping() {
					return;
				}
				if n.origin != BlockOrigin::Own {
					continue;
				}
				let Ok(Some(block)) = net.nodes[i].client.block(n.hash) else { continue };
				if net.nodes[i].honest {
					net.check_double_seal(i, &block.block);
				}
				for j in 0..net.nodes.len() {
					if j != i && !net.is_isolated(i) && !net.is_isolated(j) {
						let _ = net.deliver_block(j, block.block.clone()).await;
					}
				}
			}
		});
	}

	/// Puts `block` through node `j`'s verifier and block import, as a block announced by a
	/// peer; refusals are recorded and returned.
	pub async fn deliver_block(&self, j: usize, block: Block) -> Result<(), String> {
		let node = &self.nodes[j];
		let hash = block.header().hash();
		let (header, body) = block.deconstruct();
		let mut params = BlockImportParams::new(BlockOrigin::NetworkBroadcast, header);
		params.body = Some(body);
		let result = async {
			let params = DporVerifier::<Block, Client>::new(node.client.clone(), self.genesis)
				.verify(params)
				.await?;
			node.import.import_block(params).await.map(drop).map_err(|e| e.to_string())
		}
		.await;
		if let Err(e) = &result {
			self.refused.lock().push((hash, j, e.clone()));
		}
		result
	}

	/// Hands node `i` the blocks it missed (after [`Net::isolate`]): those of the best chain of
	/// the node furthest ahead, as block announcements would once a partition heals.
	pub async fn catch_up(&self, i: usize) {
		let Some(source) = (0..self.nodes.len())
			.filter(|&k| k != i)
			.max_by_key(|&k| self.nodes[k].client.info().best_number)
		else {
			return;
		};
		let source = &self.nodes[source].client;
		let from = self.nodes[i].client.info().finalized_number + 1;
		for number in from..=source.info().best_number {
			let Ok(Some(hash)) = source.hash(number) else { return };
			if self.nodes[i].client.header(hash).ok().flatten().is_some() {
				continue;
			}
			let Ok(Some(block)) = source.block(hash) else { return };
			let _ = self.deliver_block(i, block.block).await;
		}
	}

	/// The finalised number of node `i`.
	pub fn finalized(&self, i: usize) -> u64 {
		self.nodes[i].client.info().finalized_number.into()
	}

	/// Waits until every honest node has finalised `height`, or panics after `timeout`.
	pub async fn wait_finalized(&self, height: u64, timeout: Duration) {
		let start = std::time::Instant::now();
		loop {
			let behind: Vec<_> = (0..self.nodes.len())
				.filter(|&i| self.nodes[i].honest && self.finalized(i) < height)
				.map(|i| (self.nodes[i].key, self.finalized(i)))
				.collect();
			if behind.is_empty() {
				return;
			}
			if start.elapsed() > timeout {
				let refused = self.refused.lock();
				panic!(
					"not finalised #{height} within {timeout:?}: {behind:?}; {} blocks refused, the last: {:?}",
					refused.len(),
					refused.iter().rev().take(8).collect::<Vec<_>>()
				);
			}
			tokio::time::sleep(Duration::from_millis(100)).await;
		}
	}

	/// Waits until every honest node has finalised `by` blocks more than the node furthest
	/// ahead has now, or panics after `timeout`.
	pub async fn wait_all_advance(&self, by: u64, timeout: Duration) {
		let top = (0..self.nodes.len()).map(|i| self.finalized(i)).max().unwrap_or(0);
		self.wait_finalized(top + by, timeout).await;
	}

	/// Panics unless every honest node finalised the same block at every height both reached.
	pub fn assert_one_chain(&self) {
		let honest: Vec<_> = self.nodes.iter().filter(|n| n.honest).collect();
		let top = honest.iter().map(|n| u64::from(n.client.info().finalized_number)).min();
		for height in 1..=top.unwrap_or(0) {
			let hashes: Vec<_> = honest
				.iter()
				.map(|n| n.client.hash(height as u32).expect("db").expect("finalised"))
				.collect();
			assert!(hashes.windows(2).all(|w| w[0] == w[1]), "two blocks final at #{height}");
		}
	}
}

/// How long a voter waits before finalising a decided block, unless a test sets another.
pub const POOL_WAIT: Duration = Duration::from_millis(300);

/// Like the node, finalises a while after deciding (the node waits for its transaction pool,
/// up to about a second): a crash can hit between persisting the next height and finalising.
fn wait_for_pool(wait: Duration) -> worker::WaitForPool {
	Arc::new(move |_| tokio::time::sleep(wait).boxed())
}

/// Node `me`'s side of the in-memory network.
struct MemGossip {
	net: Arc<Net>,
	me: usize,
	inbox: mpsc::UnboundedReceiver<Incoming>,
}

impl Gossip for MemGossip {
	fn next_message(&mut self) -> BoxFuture<'_, Option<Incoming>> {
		self.inbox.next().boxed()
	}

	fn broadcast(&mut self, message: Vec<u8>) {
		self.net.broadcast(self.me, message);
	}

	fn report(&mut self, who: PeerId, change: ReputationChange) {
		*self.net.reputation.lock().entry(who).or_default() += i64::from(change.value);
	}
}

/// Serves a node's justification requests from the other nodes' databases (what sync does).
struct JustificationLink {
	net: Arc<Net>,
	me: usize,
}

impl sc_consensus::JustificationSyncLink<Block> for JustificationLink {
	fn request_justification(&self, hash: &H256, number: u32) {
		let (net, me, hash) = (self.net.clone(), self.me, *hash);
		if net.is_isolated(me) {
			// Lost; the voter asks again.
			return;
		}
		let answer = async move {
			for (k, other) in net.nodes.iter().enumerate() {
				if k == me {
					continue;
				}
				let Ok(Some(justifications)) = other.client.justifications(hash) else { continue };
				let Some(encoded) = justifications.get(DPOR_ENGINE_ID) else { continue };
				let mut import = net.nodes[me].import.clone();
				let j = (DPOR_ENGINE_ID, encoded.clone());
				if import.import_justification(hash, number, j).await.is_ok() {
					return;
				}
			}
		};
		if self.net.answered_at_once.lock().contains(&me) {
			// The import does not wait on anything the runtime drives.
			futures::executor::block_on(answer);
		} else {
			tokio::spawn(answer);
		}
	}

	fn clear_justification_requests(&self) {}
}

/// Records what the voter and the block import submit to the local pool.
#[derive(Default)]
pub struct RecordingPool {
	/// The submitted transactions.
	pub submitted: Mutex<Vec<OpaqueExtrinsic>>,
}

/// The equivocation reports a node submitted, by kind.
#[derive(Default, Debug)]
pub struct Reports {
	/// Of two votes (`report_equivocation`).
	pub votes: usize,
	/// Of two sealed blocks (`report_seal_equivocation`): (leader index, height, view).
	pub seals: Vec<(MemberIndex, u64, u32)>,
	/// Anything else.
	pub other: usize,
}

impl RecordingPool {
	/// The submitted transactions, decoded as the runtime's calls.
	pub fn reports(&self) -> Reports {
		let mut reports = Reports::default();
		for xt in self.submitted.lock().iter() {
			let decoded = cpchain_runtime::UncheckedExtrinsic::decode(&mut &xt.encode()[..]);
			match decoded.map(|xt| xt.function) {
				Ok(cpchain_runtime::RuntimeCall::Dpor(
					pallet_dpor::Call::report_equivocation { .. },
				)) => reports.votes += 1,
				Ok(cpchain_runtime::RuntimeCall::Dpor(
					pallet_dpor::Call::report_seal_equivocation { proof },
				)) => {
					let offence = proof.offence().expect("the runtime checked the proof");
					reports.seals.push((offence.author, offence.height, offence.view));
				}
				_ => reports.other += 1,
			}
		}
		reports
	}
}

impl sc_transaction_pool_api::LocalTransactionPool for RecordingPool {
	type Block = Block;
	type Hash = H256;
	type Error = sc_transaction_pool_api::error::Error;

	fn submit_local(&self, _at: H256, xt: OpaqueExtrinsic) -> Result<H256, Self::Error> {
		let hash =
			<sp_runtime::traits::BlakeTwo256 as sp_runtime::traits::Hash>::hash(&xt.encode());
		self.submitted.lock().push(xt);
		Ok(hash)
	}
}

/// Builds blocks with the runtime's block builder: inherents only.
#[derive(Clone)]
pub struct TestEnv(pub Arc<Client>);

/// A proposer of [`TestEnv`].
pub struct TestProposer {
	client: Arc<Client>,
	parent: Header,
}

impl Environment<Block> for TestEnv {
	type Proposer = TestProposer;
	type CreateProposer = future::Ready<Result<TestProposer, sp_consensus::Error>>;
	type Error = sp_consensus::Error;

	fn init(&mut self, parent: &Header) -> Self::CreateProposer {
		future::ready(Ok(TestProposer { client: self.0.clone(), parent: parent.clone() }))
	}
}

impl Proposer<Block> for TestProposer {
	type Error = sp_consensus::Error;
	type Proposal = future::Ready<Result<Proposal<Block>, Self::Error>>;

	fn propose(self, args: ProposeArgs<Block>) -> Self::Proposal {
		let err = |e: sp_blockchain::Error| sp_consensus::Error::ClientImport(e.to_string());
		let build = || {
			let mut builder = BlockBuilderBuilder::new(&*self.client)
				.on_parent_block(self.parent.hash())
				.with_parent_block_number(*self.parent.number())
				.with_inherent_digests(args.inherent_digests)
				.build()
				.map_err(err)?;
			for xt in builder.create_inherents(args.inherent_data).map_err(err)? {
				builder.push(xt).map_err(err)?;
			}
			let built = builder.build().map_err(err)?;
			Ok(Proposal { block: built.block, storage_changes: built.storage_changes })
		};
		future::ready(build())
	}
}

/// A sealed block on `parent` by `author` (slot `index`) at `view`: what a (possibly
/// byzantine) member makes by hand. `timestamp_ms` makes siblings differ.
pub async fn sealed_block(
	client: &Client,
	genesis: H256,
	parent: H256,
	view: u32,
	index: MemberIndex,
	author: Sr25519Keyring,
	timestamp_ms: u64,
) -> Block {
	let parent_number = client.number(parent).expect("db").expect("known parent");
	let height = u64::from(parent_number) + 1;
	let rules = child_rules::<Block, Client>(client, parent).expect("DporApi answers");
	let input = vrf_input(&rules.randomness, rules.committee.term, height);
	let vrf = author.pair().vrf_sign(&input.into_sign_data());
	let pre = PreDigest { term: rules.committee.term, view, author: index, vrf };
	let mut builder = BlockBuilderBuilder::new(client)
		.on_parent_block(parent)
		.with_parent_block_number(parent_number)
		.with_inherent_digests(Digest { logs: vec![pre_digest_item(&pre)] })
		.build()
		.expect("a block builder");
	let data = sp_timestamp::InherentDataProvider::new(timestamp_ms.into())
		.create_inherent_data()
		.await
		.expect("timestamp inherent data");
	for xt in builder.create_inherents(data).expect("inherents") {
		builder.push(xt).expect("inherents apply");
	}
	let (mut header, body) = builder.build().expect("the block builds").block.deconstruct();
	let signature = author.pair().sign(&seal_payload(&genesis, &header.hash()));
	header
		.digest_mut()
		.push(DigestItem::Seal(DPOR_ENGINE_ID, AuthoritySignature::from(signature).encode()));
	Block::new(header, body)
}

/// The slot of `key` in the committee for the child of `parent`.
pub fn slot_of(client: &Client, parent: H256, key: Sr25519Keyring) -> MemberIndex {
	let rules = child_rules::<Block, Client>(client, parent).expect("DporApi answers");
	rules
		.committee
		.members
		.iter()
		.position(|m| {
			let raw: &sp_core::sr25519::Public = m.as_ref();
			*raw == key.public()
		})
		.expect("a member") as MemberIndex
}

/// Silences the panics the crash tests inject (they are the crashes, not failures).
pub fn quiet_injected_panics() {
	let default = std::panic::take_hook();
	std::panic::set_hook(Box::new(move |info| {
		let injected =
			info.payload().downcast_ref::<String>().is_some_and(|s| s.starts_with(INJECTED))
				|| info.payload().downcast_ref::<&str>().is_some_and(|s| s.starts_with(INJECTED));
		if !injected {
			default(info);
		}
	}));
}

/// The prefix of an injected crash's panic message.
pub const INJECTED: &str = "injected crash";

//! The DPoR voter: drives the BFT core with gossip messages, block imports, finality and
//! timers, and performs its actions (persist, sign and gossip, build a block, finalise).
//!
//! Every full node runs it: committee members vote and lead, the others follow as observers
//! (the core with no member index), relaying messages and finalising from the COMMIT quorums
//! they see.
//!
//! The leader's block building is in [`authoring`], finality (and finishing a height decided
//! before a restart) in [`finality`]; this module drives the core, which holds the signed
//! votes of the height, signs this member's votes through [`VoteSigner`], and performs its
//! actions.

pub mod authoring;
#[cfg(feature = "byzantine")]
mod byzantine;
mod finality;

use std::{
	collections::HashSet,
	sync::Arc,
	time::{Duration, Instant},
};

use codec::Encode;
use cpchain_dpor_bft::{Action, Core, Event, Message, Phase, Signer, Step, View, Vote, VoterState};
use cpchain_primitives::{
	committee::TermIndex,
	consensus::DporApi,
	consensus::{
		find_pre_digest, leader, AuthorityId, AuthoritySignature, DporJustification, DporMessage,
		EquivocationProof, Height, MemberIndex, PreDigest, ProposalData, SignedProposal, VoteData,
		KEY_TYPE,
	},
};
use futures::{
	future::{BoxFuture, FusedFuture},
	prelude::*,
	stream::FuturesUnordered,
};
use sc_client_api::Backend;
use sc_consensus::BlockImport;
use sc_transaction_pool_api::OffchainTransactionPoolFactory;
use sp_api::ApiExt;
use sp_application_crypto::ByteArray;
use sp_consensus::Environment;
use sp_core::H256;
use sp_keystore::KeystorePtr;
use sp_runtime::traits::{Block as BlockT, Header as HeaderT, NumberFor, UniqueSaturatedInto};

use crate::{
	aux_schema,
	buffers::{within_window, FutureMessages, Offered, PendingProposals},
	chain::{child_rules, ChildRules, RulesError},
	gossip::{GossipValidator, Round},
	messages::{check_message, core_proposal, core_vote, wire_vote},
	metrics::Metrics,
	network::Gossip,
	DporClient, LOG_TARGET,
};

use authoring::{build_block, own_block, Built};

/// Resolves once the transaction pool has taken in the import of a block (bounded by the
/// node). Finality waits for it: not for the order of a transaction's statuses, which the
/// pool guarantees itself (`InBlock` before `Finalized`), but so that RPC clients that fetch a
/// block when told a transaction is in it have time to fetch it before `Finalized` follows (see
/// docs/dpor-engine.md, "Transaction status order").
pub type WaitForPool = Arc<dyn Fn(H256) -> BoxFuture<'static, ()> + Send + Sync>;

/// How many blocks on the finalised head the voter asks sync to fetch justifications for.
/// Honest members make one block per view; more than one child means leaders were impeached,
/// and a block above the height being decided names the one to ask for anyway
/// ([`Voter::note_block_above`]).
pub const MAX_REQUESTED_CHILDREN: usize = 4;

/// Why the voter cannot start a height.
#[derive(Debug, thiserror::Error)]
pub enum Error {
	/// The runtime's `DporApi` did not answer at the finalised head.
	#[error(transparent)]
	Rules(#[from] RulesError),
	/// The runtime names no committee for the height.
	#[error("no committee for height {0}")]
	NoCommittee(Height),
	/// The voter state could not be read from the aux store.
	#[error("cannot read the voter state: {0}")]
	Store(sp_blockchain::Error),
}

/// A durable write of the voter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Write {
	/// The voter state of a height (and the signed votes behind it), written before any vote
	/// or proposal it covers is sent.
	VoterState {
		/// The state's height.
		height: Height,
		/// Its view.
		view: View,
		/// The last vote it covers: (height, view, phase).
		last_vote: Option<(Height, View, Phase)>,
	},
	/// The finality of the block of a height (`finalize_block`).
	Finalize {
		/// The block's height.
		height: Height,
	},
	/// The block this member sealed as the leader of (height, view), recorded before it is
	/// imported.
	OwnBlock {
		/// The block's height.
		height: Height,
		/// Its view.
		view: View,
	},
}

/// Called around every durable write of the voter. The node has none; tests crash the voter
/// at a write (by panicking in [`WriteHook::before`] or [`WriteHook::after`]) or make a write
/// fail, and restart it on the same database.
pub trait WriteHook: Send + Sync {
	/// Before `write`; an error fails the write without performing it.
	fn before(&self, write: Write) -> Result<(), String>;
	/// After `write` succeeded.
	fn after(&self, write: Write);
}

/// Signs the core's votes with this member's session key from the keystore, over the
/// domain-separated payload of a vote of the core's term.
pub struct VoteSigner {
	keystore: Option<KeystorePtr>,
	key: Option<AuthorityId>,
	term: TermIndex,
	genesis: H256,
}

impl VoteSigner {
	/// A signer of `key`'s votes in `term` (`key: None`: an observer, which signs nothing).
	pub fn new(
		keystore: Option<KeystorePtr>,
		key: Option<AuthorityId>,
		term: TermIndex,
		genesis: H256,
	) -> Self {
		Self { keystore, key, term, genesis }
	}
}

impl Signer<H256> for VoteSigner {
	type Signature = AuthoritySignature;

	fn sign(&self, vote: &Vote<H256>) -> Option<AuthoritySignature> {
		let (keystore, key) = (self.keystore.as_ref()?, self.key.as_ref()?);
		let data = VoteData {
			term: self.term,
			height: vote.height,
			view: vote.view,
			phase: vote.phase,
			block: vote.block,
		};
		match keystore.sr25519_sign(KEY_TYPE, key.as_ref(), &data.signing_payload(&self.genesis)) {
			Ok(Some(signature)) => Some(signature.into()),
			Ok(None) => {
				log::error!(target: LOG_TARGET, "the keystore lost the session key {key}: not voting");
				None
			}
			Err(e) => {
				log::error!(target: LOG_TARGET, "cannot sign a vote, not voting: {e}");
				None
			}
		}
	}
}

/// Everything the voter needs.
pub struct Voter<B: BlockT, C, BE, E, I> {
	client: Arc<C>,
	env: Arc<futures::lock::Mutex<E>>,
	block_import: I,
	keystore: Option<KeystorePtr>,
	genesis: H256,
	validator: Arc<GossipValidator>,
	/// The height being decided and the finalised block below it.
	height: Height,
	finalized: H256,
	rules: ChildRules,
	me: Option<(MemberIndex, AuthorityId)>,
	core: Core<H256, VoteSigner>,
	/// Submits equivocation reports to the local transaction pool.
	offchain_tx_pool_factory: Option<OffchainTransactionPoolFactory<B>>,
	wait_for_pool: Option<WaitForPool>,
	/// Blocks to finalise (with their justifications) once the pool has seen them.
	finalizations: Vec<(H256, DporJustification)>,
	/// Proposals of this height whose block is not imported yet (bounded: one per view).
	pending_proposals: PendingProposals,
	pending_finality: Option<(H256, DporJustification)>,
	/// The justification of the height this node just decided, until it is written with the
	/// first voter state of the next height ([`aux_schema::read_decided`]).
	decided: Option<DporJustification>,
	/// Checked messages of the next height (bounded: one per slot, views of the window).
	future: FutureMessages,
	timers: FuturesUnordered<BoxFuture<'static, (Height, View, Step)>>,
	started_builds: HashSet<(Height, View)>,
	/// When this node saw the proposal that was finalised at the previous height: the leader
	/// builds one block time after it.
	last_proposal_seen: Option<(Height, Instant)>,
	outbox: Vec<DporMessage>,
	/// Blocks the core asked for, not handed to the run loop yet.
	build_requests: Vec<(Height, View)>,
	/// Set when a write of the voter state failed, cleared by the next write that succeeds:
	/// meanwhile nothing is signed or sent, because the core's state (and with it what it
	/// would re-broadcast on a tick) is not on disk, and a restart would forget it.
	not_voting: bool,
	/// The height of a stored state above the height being decided (see
	/// [`aux_schema::Resume::Observe`]): no state below it is written over it.
	floor: Option<Height>,
	/// Counts the cores made for a new committee (or a new member index): builds the previous
	/// core asked for are dropped when it changes, not built with the new index.
	generation: u64,
	/// Asks sync for justifications (the block of a height this node could not finalise by
	/// votes while the chain went on).
	justifications: Option<Box<dyn sc_consensus::JustificationSyncLink<B> + Send + Sync>>,
	/// The blocks on the finalised head it asks for: their justifications are the only ones
	/// a node can import (see [`Voter::request_next_justifications`]).
	backend: Option<Arc<BE>>,
	/// Called around durable writes (tests only).
	hook: Option<Arc<dyn WriteHook>>,
	/// The block of the height being decided that an imported block above it builds on.
	stalled: Option<(Height, H256)>,
	/// (block time, base view timeout) in ms instead of the runtime's (tests only).
	timing: Option<(u64, u64)>,
	metrics: Option<Metrics>,
	/// Plays the byzantine member (feature `byzantine`, see [`byzantine`]).
	#[cfg(feature = "byzantine")]
	byzantine: bool,
	/// Counts the blocks the byzantine member invented.
	#[cfg(feature = "byzantine")]
	invented: u64,
	_block: std::marker::PhantomData<(B, BE)>,
}

impl<B, C, BE, E, I> Voter<B, C, BE, E, I>
where
	B: BlockT<Hash = H256>,
	BE: Backend<B>,
	C: DporClient<B, BE>,
	E: Environment<B> + Send + 'static,
	I: BlockImport<B> + Clone + Send + Sync + 'static,
{
	/// A voter starting at the client's finalised head.
	pub fn new(
		client: Arc<C>,
		env: E,
		block_import: I,
		keystore: Option<KeystorePtr>,
		validator: Arc<GossipValidator>,
		offchain_tx_pool_factory: Option<OffchainTransactionPoolFactory<B>>,
		wait_for_pool: Option<WaitForPool>,
	) -> Result<Self, Error> {
		let info = client.info();
		let rules = child_rules::<B, C>(&client, info.finalized_hash).map_err(Error::Rules)?;
		let mut voter = Self {
			genesis: info.genesis_hash,
			height: 0,
			finalized: info.finalized_hash,
			core: Core::new(
				1,
				None,
				rules.base_timeout_ms,
				VoterState::at(0),
				VoteSigner::new(None, None, 0, info.genesis_hash),
			),
			rules,
			client,
			env: Arc::new(futures::lock::Mutex::new(env)),
			block_import,
			keystore,
			validator,
			me: None,
			offchain_tx_pool_factory,
			wait_for_pool,
			finalizations: Vec::new(),
			pending_proposals: PendingProposals::default(),
			pending_finality: None,
			decided: None,
			future: FutureMessages::default(),
			timers: FuturesUnordered::new(),
			started_builds: HashSet::new(),
			last_proposal_seen: None,
			outbox: Vec::new(),
			build_requests: Vec::new(),
			not_voting: false,
			floor: None,
			generation: 0,
			justifications: None,
			backend: None,
			hook: None,
			stalled: None,
			timing: None,
			metrics: None,
			#[cfg(feature = "byzantine")]
			byzantine: byzantine::enabled(),
			#[cfg(feature = "byzantine")]
			invented: 0,
			_block: std::marker::PhantomData,
		};
		#[cfg(feature = "byzantine")]
		if voter.byzantine {
			log::warn!(target: LOG_TARGET, "{} is set: this node equivocates and floods its peers when it is a member", byzantine::ENV);
		}
		let number: u64 = info.finalized_number.unique_saturated_into();
		voter.enter_height(number.saturating_add(1), info.finalized_hash, true)?;
		Ok(voter)
	}

	/// Lets the voter ask sync for justifications; `backend` is where it finds the blocks on
	/// the finalised head.
	pub fn with_justification_requests(
		mut self,
		link: Box<dyn sc_consensus::JustificationSyncLink<B> + Send + Sync>,
		backend: Arc<BE>,
	) -> Self {
		self.justifications = Some(link);
		self.backend = Some(backend);
		self.request_next_justifications();
		self
	}

	/// Asks sync for the justifications of the blocks on the finalised head (at most
	/// [`MAX_REQUESTED_CHILDREN`]: normally one; more are blocks of later views).
	///
	/// Block import asks only for a block whose parent is final when it arrives: a
	/// justification on an unfinalised parent is refused as early, and sync would ask again
	/// at once, without end (thousands of refusals a minute on a node a few heights behind).
	/// So a block that came before its parent's finality is asked for here, once that parent
	/// is final, and a node catching up asks for one height after the other. Sync drops
	/// duplicate requests, and requests for blocks that finality leaves behind.
	fn request_next_justifications(&self) {
		let (Some(link), Some(backend)) = (&self.justifications, &self.backend) else { return };
		let Ok(number) = <NumberFor<B>>::try_from(self.height) else { return };
		use sp_blockchain::Backend as _;
		let children = match backend.blockchain().children(self.finalized) {
			Ok(children) => children,
			Err(e) => {
				log::debug!(target: LOG_TARGET, "children of {}: {e}", self.finalized);
				return;
			}
		};
		for hash in children.into_iter().take(MAX_REQUESTED_CHILDREN) {
			log::trace!(target: LOG_TARGET, "asking sync for the justification of #{} {hash}", self.height);
			link.request_justification(&hash, number);
		}
	}

	/// Calls `hook` around every durable write (for crash tests).
	pub fn with_write_hook(mut self, hook: Arc<dyn WriteHook>) -> Self {
		self.hook = Some(hook);
		self
	}

	/// Paces this voter with `block_time_ms` and `base_timeout_ms` instead of the runtime's
	/// values, so that tests run many heights quickly. Only the local pacing changes (when to
	/// build, when a view times out); what blocks and votes are valid does not.
	pub fn with_timing(mut self, block_time_ms: u64, base_timeout_ms: u64) -> Result<Self, Error> {
		self.timing = Some((block_time_ms, base_timeout_ms));
		self.enter_height(self.height, self.finalized, true)?;
		Ok(self)
	}

	/// Reports the voter's position and buffers to Prometheus.
	pub fn with_metrics(mut self, metrics: Metrics) -> Self {
		self.metrics = Some(metrics);
		self.update_metrics();
		self
	}

	fn update_metrics(&self) {
		let Some(m) = &self.metrics else { return };
		m.height.set(self.height);
		m.view.set(self.core.state().view.into());
		m.votes.set(self.core.held_votes() as u64);
		m.pending_proposals.set(self.pending_proposals.len() as u64);
		m.future_messages.set(self.future.len() as u64);
	}

	/// The rules for the child of `parent`, with the test timing if set.
	fn rules_at(&self, parent: H256) -> Result<ChildRules, Error> {
		let mut rules = child_rules::<B, C>(&self.client, parent).map_err(Error::Rules)?;
		if let Some((block_time_ms, base_timeout_ms)) = self.timing {
			rules.block_time_ms = block_time_ms;
			rules.base_timeout_ms = base_timeout_ms;
		}
		Ok(rules)
	}

	/// A node that missed a height's COMMIT votes (gossiped before it was connected, say)
	/// while the chain went on cannot finalise that height by votes any more, and a
	/// justification of a later block cannot finalise it either (only blocks on the finalised
	/// head are). So, while its best chain is ahead of the height it decides, it asks sync for
	/// the justification of that height's block on the best chain (sync drops duplicate
	/// requests, and the request once the block is finalised).
	///
	/// Blocks above the height being decided are not made best (they are not on the finalised
	/// head), so the block to ask for is also taken from them: the ancestor at this height of
	/// an imported block above it ([`Voter::on_imported`]).
	fn request_stalled_justification(&self) {
		let Some(link) = &self.justifications else { return };
		let Ok(number) = <NumberFor<B>>::try_from(self.height) else { return };
		let info = self.client.info();
		let best: u64 = info.best_number.unique_saturated_into();
		// An observer below a stored state of a later height knows the chain is final above
		// it, even before it imports a block there.
		let hash = match self.stalled {
			Some((height, hash)) if height == self.height => Some(hash),
			_ if best > self.height || self.floor.is_some() => {
				self.client.hash(number).ok().flatten()
			}
			_ => None,
		};
		if let Some(hash) = hash {
			log::debug!(target: LOG_TARGET, "height {} is behind the chain: asking sync for the justification of {hash}", self.height);
			link.request_justification(&hash, number);
		}
	}

	/// Notes the ancestor at the height being decided of `header`, a block above it: the
	/// network finalised that ancestor (honest leaders build on the finalised head only).
	fn note_block_above(&mut self, header: &B::Header) {
		let mut header = header.clone();
		// Bounded: a block this far ahead is sync's business, not this voter's.
		for _ in 0..64 {
			let number: u64 = (*header.number()).unique_saturated_into();
			if number <= self.height {
				return;
			}
			if number == self.height + 1 {
				if self.stalled.is_none_or(|(h, _)| h != self.height) {
					self.stalled = Some((self.height, *header.parent_hash()));
					self.request_stalled_justification();
				}
				return;
			}
			match self.client.header(*header.parent_hash()) {
				Ok(Some(parent)) => header = parent,
				_ => return,
			}
		}
	}

	/// This node's index and key in `committee`, if its keystore holds a member's key.
	fn find_me(&self, rules: &ChildRules) -> Option<(MemberIndex, AuthorityId)> {
		let keystore = self.keystore.as_ref()?;
		rules.committee.members.iter().enumerate().find_map(|(i, key)| {
			keystore
				.has_keys(&[(key.to_raw_vec(), KEY_TYPE)])
				.then(|| (i as MemberIndex, key.clone()))
		})
	}

	/// Starts deciding `height` on top of the finalised block `finalized`.
	fn enter_height(&mut self, height: Height, finalized: H256, fresh: bool) -> Result<(), Error> {
		let rules = self.rules_at(finalized)?;
		let mut me = self.find_me(&rules);
		let same_committee = !fresh && rules.committee == self.rules.committee && me == self.me;
		self.height = height;
		self.finalized = finalized;
		if self.floor.is_some_and(|floor| height >= floor) {
			self.floor = None;
		}
		self.validator.set_round(Round { height, committee: rules.committee.clone(), view: 0 });
		// Only proposals of the height being decided are kept: all of them are older now.
		self.pending_proposals.clear();
		self.started_builds.retain(|(h, _)| *h >= height);
		if self.pending_finality.as_ref().is_some_and(|(_, j)| j.height < height) {
			self.pending_finality = None;
		}
		let n = rules.committee.members.len() as u32;
		if n == 0 {
			return Err(Error::NoCommittee(height));
		}
		let mut decided_before_stop = None;
		let actions = if same_committee {
			// The core moves on by itself after finalising; sync may have been faster.
			if self.core.state().height < height {
				self.core.on_event(Event::Synced { height: height - 1 })
			} else {
				Vec::new()
			}
		} else {
			let term = rules.committee.term;
			let key = me.as_ref().map(|(_, key)| key.clone());
			// A state stored before the upgrade to signed core votes has this member's last
			// vote signed again (the same vote).
			let resign = VoteSigner::new(self.keystore.clone(), key, term, self.genesis);
			let stored = aux_schema::read_voter_state(&*self.client, term, &|v| resign.sign(v))
				.map_err(Error::Store)?;
			let state = match aux_schema::resume(stored, height) {
				aux_schema::Resume::Stored(state) => state,
				aux_schema::Resume::Fresh => VoterState::at(height),
				aux_schema::Resume::Observe { stored } => {
					log::warn!(
						target: LOG_TARGET,
						"height {height}: this node persisted height {stored} before it stopped; observing, without voting or building, until the chain is final there"
					);
					me = None;
					self.floor = Some(stored);
					decided_before_stop = self.stored_decision(height, &rules)?;
					VoterState::at(height)
				}
			};
			log::info!(
				target: LOG_TARGET,
				"height {height}: term {}, {n} members, {}",
				rules.committee.term,
				match &me {
					Some((i, _)) => format!("member {i}"),
					None => "observer".into(),
				}
			);
			// Builds the previous core asked for were for its committee and index.
			self.build_requests.clear();
			self.started_builds.clear();
			self.generation = self.generation.wrapping_add(1);
			let signer = VoteSigner::new(
				self.keystore.clone(),
				me.as_ref().map(|(_, key)| key.clone()),
				rules.committee.term,
				self.genesis,
			);
			self.core =
				Core::new(n, me.as_ref().map(|(i, _)| *i), rules.base_timeout_ms, state, signer);
			self.core.start()
		};
		self.rules = rules;
		self.me = me;
		self.perform(actions);
		if let Some(justification) = decided_before_stop {
			self.finish_decided(justification);
		}
		self.validator.set_view(self.core.state().view);
		// Replay what arrived early.
		for message in self.future.take() {
			self.on_message(message, None);
		}
		self.request_next_justifications();
		Ok(())
	}

	/// A message from gossip (`sender: None`: from this node's buffer).
	fn on_message(&mut self, message: DporMessage, _sender: Option<sc_network::PeerId>) {
		let height = message.height();
		if height == self.height.saturating_add(1) {
			// Kept only if it verifies against this term's committee (the next height is
			// almost always in the same term); unverified messages would let any peer fill
			// the buffer with junk.
			let next = height;
			match check_message(&message, next, &self.rules.committee, &self.genesis) {
				Ok(()) => {
					if self.future.offer(message) == Offered::SlotTaken {
						log::debug!(target: LOG_TARGET, "a second message for one slot of height {next}: the first is kept");
					}
				}
				Err(e) => {
					log::debug!(target: LOG_TARGET, "dropped message of height {next}: {e:?}")
				}
			}
			return;
		}
		if height != self.height {
			return;
		}
		if let Err(e) = check_message(&message, height, &self.rules.committee, &self.genesis) {
			log::debug!(target: LOG_TARGET, "dropped message of height {height}: {e:?}");
			return;
		}
		let view = crate::buffers::Slot::of(&message).view();
		if !within_window(view, self.core.state().view) {
			// The core ignores it too; storing it would let one member grow the vote maps
			// without bound.
			log::debug!(target: LOG_TARGET, "dropped message of view {view}, beyond the window");
			return;
		}
		match message {
			DporMessage::Vote(vote) => {
				let actions = self.core.on_event(Event::Vote(core_vote(&vote)));
				self.perform(actions);
			}
			DporMessage::Proposal(proposal) => {
				if self.pending_proposals.offer(proposal, self.core.state().view)
					== Offered::SlotTaken
				{
					log::debug!(target: LOG_TARGET, "a second proposal for view {view} at height {height}: the first is kept");
				}
				self.deliver_proposals();
			}
		}
	}

	/// Hands the core the proposals whose blocks are imported and fit: built on the finalised
	/// head at this height, by the leader of the view they were first proposed in.
	fn deliver_proposals(&mut self) {
		let pending = self.pending_proposals.take();
		let n = self.rules.committee.members.len() as u32;
		for proposal in pending {
			let header = match self.client.header(proposal.data.block) {
				Ok(Some(header)) => header,
				_ => {
					// Still importing (or never coming): kept while its view is in the window.
					self.pending_proposals.put_back(proposal, self.core.state().view);
					continue;
				}
			};
			let number: u64 = (*header.number()).unique_saturated_into();
			let built_view = proposal.data.valid_view.unwrap_or(proposal.data.view);
			let fits = number == self.height
				&& *header.parent_hash() == self.finalized
				&& find_pre_digest(&header).is_some_and(|pre: PreDigest| {
					pre.view == built_view && pre.author == leader(number, built_view, n)
				});
			if !fits {
				log::debug!(target: LOG_TARGET, "proposal of a block that does not fit: {:?}", proposal.data);
				continue;
			}
			if self.last_proposal_seen.is_none_or(|(h, _)| h < self.height) {
				self.last_proposal_seen = Some((self.height, Instant::now()));
			}
			let actions = self.core.on_event(Event::Proposal(core_proposal(&proposal)));
			self.perform(actions);
		}
	}

	fn on_imported(&mut self, hash: H256) {
		if let Ok(Some(header)) = self.client.header(hash) {
			let number: u64 = (*header.number()).unique_saturated_into();
			if number > self.height {
				self.note_block_above(&header);
			}
		}
		if !self.pending_proposals.is_empty() {
			self.deliver_proposals();
		}
		if self.pending_finality.as_ref().is_some_and(|(h, _)| *h == hash) {
			if let Some(pending) = self.pending_finality.take() {
				self.finalizations.push(pending);
			}
		}
	}

	/// Catches up with the client's finalised head if it is at or above the height being
	/// decided: a finality notification sent before the voter listened (see [`run`]) is
	/// never sent again, and without this the voter would keep deciding, and asking sync for,
	/// a height its node has finalised (a justification the node refuses as outdated).
	fn follow_finality(&mut self) {
		let info = self.client.info();
		let number: u64 = info.finalized_number.unique_saturated_into();
		if number >= self.height {
			log::debug!(target: LOG_TARGET, "the chain is final at #{number}, above the height {} this voter decided: following it", self.height);
			self.on_finalized(number, info.finalized_hash);
		}
	}

	fn on_finalized(&mut self, number: Height, hash: H256) {
		if number < self.height {
			return;
		}
		if let Err(e) = self.enter_height(number.saturating_add(1), hash, false) {
			log::error!(target: LOG_TARGET, "cannot start height {}: {e}", number + 1);
		}
	}

	fn sign(&self, payload: &[u8]) -> Option<cpchain_primitives::consensus::AuthoritySignature> {
		let (_, key) = self.me.as_ref()?;
		let keystore = self.keystore.as_ref()?;
		let signature = keystore.sr25519_sign(KEY_TYPE, key.as_ref(), payload).ok().flatten()?;
		Some(signature.into())
	}

	fn perform(&mut self, actions: Vec<Action<H256, AuthoritySignature>>) {
		let term = self.rules.committee.term;
		for action in actions {
			match action {
				Action::Persist(state) if self.floor.is_some_and(|f| state.height < f) => {
					// Observing below a stored state of a later height: keep that one.
					log::trace!(target: LOG_TARGET, "not persisting height {} below the stored state", state.height);
				}
				Action::Persist(state) => {
					let decided = self
						.decided
						.as_ref()
						.filter(|j| j.height.saturating_add(1) == state.height);
					let write = Write::VoterState {
						height: state.height,
						view: state.view,
						last_vote: state
							.last_vote
							.as_ref()
							.map(|v| (v.vote.height, v.vote.view, v.vote.phase)),
					};
					let written =
						self.hook.as_ref().map_or(Ok(()), |hook| hook.before(write)).and_then(
							|()| {
								aux_schema::write_voter_state(&*self.client, &state, decided)
									.map_err(|e| e.to_string())
							},
						);
					match written {
						Ok(()) => {
							if self.decided.as_ref().is_some_and(|j| j.height < state.height) {
								self.decided = None;
							}
							if let Some(hook) = &self.hook {
								hook.after(write);
							}
							if self.not_voting {
								log::info!(target: LOG_TARGET, "the voter state is persisted again: voting");
							}
							self.not_voting = false;
						}
						Err(e) => {
							// Without the state on disk, sending the votes it covers could make
							// a restarted node sign twice: nothing is sent until a later write
							// succeeds (timers, builds and finality go on).
							log::error!(target: LOG_TARGET, "cannot persist the voter state, not voting: {e}");
							self.not_voting = true;
							if let Some(m) = &self.metrics {
								m.failed_writes.inc();
							}
						}
					}
				}
				Action::Broadcast(_) if self.not_voting => {
					log::debug!(target: LOG_TARGET, "not sending: the voter state is not persisted");
				}
				Action::Broadcast(Message::Vote(vote)) => {
					self.outbox.push(DporMessage::Vote(wire_vote(term, &vote)));
					#[cfg(feature = "byzantine")]
					self.byzantine_equivocate(&vote.vote);
				}
				Action::Broadcast(Message::Proposal(p)) => {
					let justification =
						p.justification.iter().map(|v| wire_vote(term, v)).collect();
					let data = ProposalData {
						term,
						height: p.height,
						view: p.view,
						block: p.block,
						valid_view: p.valid_view,
					};
					let Some(signature) = self.sign(&data.signing_payload(&self.genesis)) else {
						continue;
					};
					self.outbox.push(DporMessage::Proposal(SignedProposal {
						data,
						justification,
						proposer: p.proposer,
						signature,
					}));
				}
				Action::BuildBlock { height, view } => {
					if self.started_builds.insert((height, view)) {
						self.build_requests.push((height, view));
					}
				}
				Action::ScheduleTimeout { height, view, step, after_ms } => {
					self.timers.push(
						futures_timer::Delay::new(Duration::from_millis(after_ms))
							.map(move |_| (height, view, step))
							.boxed(),
					);
				}
				Action::Finalize { height, block, justification } => {
					self.on_decided(height, block, &justification)
				}
				Action::Equivocation { first, second } => {
					let (a, b) = (&first.vote, &second.vote);
					log::warn!(
						target: LOG_TARGET,
						"member {} equivocated at height {} view {}: {:?} and {:?}",
						a.voter, a.height, a.view, a.block, b.block
					);
					self.report_equivocation(EquivocationProof {
						first: wire_vote(term, &first),
						second: wire_vote(term, &second),
					});
				}
			}
		}
		// The gossip validator relays messages within the window of the core's view.
		self.validator.set_view(self.core.state().view);
		self.update_metrics();
	}

	/// Submits an equivocation report through the runtime (an unsigned transaction in the
	/// local pool; the runtime checks the proof again when the transaction is included).
	fn report_equivocation(&self, proof: EquivocationProof) {
		let Some(factory) = &self.offchain_tx_pool_factory else { return };
		let best = self.client.info().best_hash;
		let mut api = self.client.runtime_api();
		api.register_extension(factory.offchain_transaction_pool(best));
		match api.submit_report_equivocation_unsigned_extrinsic(best, proof) {
			Ok(Some(())) => {
				log::info!(target: LOG_TARGET, "equivocation report submitted");
				if let Some(m) = &self.metrics {
					m.equivocations_reported.inc();
				}
			}
			Ok(None) => {
				log::warn!(target: LOG_TARGET, "the runtime refused the equivocation report")
			}
			Err(e) => log::warn!(target: LOG_TARGET, "cannot report an equivocation: {e}"),
		}
	}
}

/// Runs the voter until the network shuts down.
pub async fn run<B, C, BE, E, I, G>(mut voter: Voter<B, C, BE, E, I>, mut gossip: G)
where
	G: Gossip,
	B: BlockT<Hash = H256>,
	BE: Backend<B>,
	C: DporClient<B, BE>,
	E: Environment<B> + Send + 'static,
	I: BlockImport<B> + Clone + Send + Sync + 'static,
{
	let mut imports = voter.client.import_notification_stream();
	let mut finality = voter.client.finality_notification_stream();
	// The chain may have been finalised past the height the voter read when it was built (a
	// justification it asked for meanwhile): that notification went to no one.
	voter.follow_finality();
	let tick_every = Duration::from_millis(voter.rules.base_timeout_ms.max(500));
	let mut tick = futures_timer::Delay::new(tick_every);
	let mut building: futures::future::Fuse<BoxFuture<'static, Built>> =
		futures::future::Fuse::terminated();
	let mut queued_builds: Vec<(Height, View)> = Vec::new();
	let mut generation = voter.generation;
	let mut finalizing = FuturesUnordered::<BoxFuture<'static, (H256, DporJustification)>>::new();

	loop {
		if generation != voter.generation {
			// A new committee (or index): what the previous core asked for is void.
			queued_builds.clear();
			generation = voter.generation;
		}
		queued_builds.append(&mut voter.build_requests);
		if building.is_terminated() {
			// Builds of the next height wait until this one is final.
			queued_builds.retain(|(h, _)| *h >= voter.height);
			queued_builds.sort();
			let due = queued_builds.iter().rposition(|(h, _)| *h == voter.height);
			if let Some((height, view)) = due.map(|i| queued_builds.remove(i)) {
				queued_builds.retain(|(h, _)| *h > height);
				if let (Some((author, key)), Some(keystore)) =
					(voter.me.clone(), voter.keystore.clone())
				{
					let not_before = match voter.last_proposal_seen {
						Some((h, at)) if h + 1 == height && view == 0 => {
							at + Duration::from_millis(voter.rules.block_time_ms)
						}
						_ => Instant::now(),
					};
					if let Some(hash) =
						own_block::<B, C>(&*voter.client, height, view, voter.finalized)
					{
						// Sealed and imported before a restart: the same block again, never
						// a second one at this view.
						log::info!(target: LOG_TARGET, "proposing #{height} {hash} again, sealed at view {view} before a restart");
						building = futures::future::ready(Ok((height, view, hash))).boxed().fuse();
					} else {
						building = build_block::<B, C, E, I>(
							voter.client.clone(),
							voter.env.clone(),
							voter.block_import.clone(),
							keystore,
							key,
							author,
							voter.genesis,
							voter.rules.clone(),
							voter.finalized,
							height,
							view,
							not_before,
							voter.hook.clone(),
						)
						.boxed()
						.fuse();
					}
				}
			}
		}

		enum Input<B: BlockT> {
			Message(Vec<u8>, Option<sc_network::PeerId>),
			Imported(H256),
			Finalized(B::Header),
			Timeout(Height, View, Step),
			Tick,
			Built(Built),
			Finalize(H256, DporJustification),
			Stop,
		}
		let input: Input<B> = futures::select! {
			m = gossip.next_message().fuse() => match m {
				Some((message, sender)) => Input::Message(message, sender),
				None => Input::Stop,
			},
			n = imports.next() => match n {
				Some(n) => Input::Imported(n.hash),
				None => Input::Stop,
			},
			n = finality.next() => match n {
				Some(n) => Input::Finalized(n.header),
				None => Input::Stop,
			},
			t = voter.timers.select_next_some() => Input::Timeout(t.0, t.1, t.2),
			_ = (&mut tick).fuse() => Input::Tick,
			b = building => Input::Built(b),
			f = finalizing.select_next_some() => Input::Finalize(f.0, f.1),
		};

		let mut actions = Vec::new();
		match input {
			Input::Stop => {
				log::info!(target: LOG_TARGET, "network gone: the DPoR voter stops");
				return;
			}
			Input::Message(data, sender) => {
				if let Ok(message) = <DporMessage as codec::Decode>::decode(&mut &data[..]) {
					voter.on_message(message, sender);
				}
			}
			Input::Imported(hash) => voter.on_imported(hash),
			Input::Finalized(header) => {
				let number: u64 = (*header.number()).unique_saturated_into();
				if number >= voter.height {
					if let Some((h, _)) = voter.last_proposal_seen {
						if h < number {
							voter.last_proposal_seen = Some((number, Instant::now()));
						}
					}
				}
				voter.on_finalized(number, header.hash());
			}
			Input::Timeout(height, view, step) => {
				actions = voter.core.on_event(Event::Timeout { height, view, step });
			}
			Input::Tick => {
				tick.reset(tick_every);
				voter.follow_finality();
				voter.request_stalled_justification();
				actions = voter.core.on_event(Event::Tick);
				#[cfg(feature = "byzantine")]
				voter.byzantine_flood();
				// A leader whose build failed tries again.
				if building.is_terminated() {
					if let Some((h, v)) = leader_due(&voter) {
						queued_builds.push((h, v));
					}
				}
			}
			Input::Built(Ok((height, view, hash))) => {
				log::info!(target: LOG_TARGET, "built #{height} {hash} at view {view}");
				voter.last_proposal_seen = Some((height, Instant::now()));
				actions = voter.core.on_event(Event::BlockBuilt { height, view, block: hash });
			}
			Input::Built(Err(e)) => log::warn!(target: LOG_TARGET, "block building failed: {e}"),
			Input::Finalize(block, justification) => voter.finalize(block, justification),
		}
		voter.perform(actions);
		for (block, justification) in std::mem::take(&mut voter.finalizations) {
			match &voter.wait_for_pool {
				Some(wait) => {
					finalizing.push(wait(block).map(move |_| (block, justification)).boxed())
				}
				None => voter.finalize(block, justification),
			}
		}

		for message in std::mem::take(&mut voter.outbox) {
			gossip.broadcast(message.encode());
			// A committee of one (or a core that counts its own votes) needs nothing back;
			// others receive the message through gossip.
		}
		for (who, change) in voter.validator.take_reports() {
			gossip.report(who, change);
		}
	}
}

/// The (height, view) this node must build now as the leader, if its core waits for it.
fn leader_due<B, C, BE, E, I>(voter: &Voter<B, C, BE, E, I>) -> Option<(Height, View)>
where
	B: BlockT,
{
	let (me, _) = voter.me.as_ref()?;
	let state = voter.core.state();
	let n = voter.rules.committee.members.len() as u32;
	(state.step == Step::Propose
		&& state.height == voter.height
		&& leader(state.height, state.view, n) == *me
		&& state
			.last_proposal
			.as_ref()
			.is_none_or(|p| (p.height, p.view) != (state.height, state.view)))
	.then_some((state.height, state.view))
}

//! The state machine. Rule names in comments refer to the lines of Algorithm 1 in "The latest
//! gossip on BFT consensus" (Buchman, Kwon, Milosevic, 2018), which this follows.

use alloc::collections::{BTreeMap, BTreeSet, VecDeque};
use alloc::vec::Vec;

use crate::{
	leader, max_faulty, quorum,
	types::*,
	votes::{Added, VoteBook},
};

/// How far ahead of its current view a member keeps messages: bounds the memory a byzantine
/// member can make it use (at most one vote per view, phase and voter is kept).
pub const MAX_VIEWS_AHEAD: View = 64;
/// How many messages of the next height a member keeps until it gets there.
pub const MAX_FUTURE_MESSAGES: usize = 4096;
/// How many of the latest views' own messages a tick re-sends.
pub const RESEND_VIEWS: View = 8;

/// The signature of a core's signer.
type Sig<K, B> = <K as Signer<B>>::Signature;

/// One member's (or observer's) BFT state machine for one committee; `K` signs this member's
/// votes.
pub struct Core<B, K: Signer<B>> {
	n: u32,
	me: Option<MemberIndex>,
	base_timeout_ms: u64,
	signer: K,
	state: VoterState<B, Sig<K, B>>,
	proposals: BTreeMap<View, Proposal<B, Sig<K, B>>>,
	book: VoteBook<B, Sig<K, B>>,
	future: VecDeque<Message<B, Sig<K, B>>>,
	/// Views whose once-only rules have fired.
	prepare_timeout_set: BTreeSet<View>,
	commit_timeout_set: BTreeSet<View>,
	prepared_seen: BTreeSet<View>,
	proposed: bool,
	/// This member's own proposals and votes of the current height, to re-send on ticks.
	own: Vec<Message<B, Sig<K, B>>>,
}

impl<B: Clone + Eq + Ord + core::fmt::Debug, K: Signer<B>> Core<B, K> {
	/// A core for a committee of `n` (> 0) in which this node is member `me` (`None`: an
	/// observer that follows but never votes), resuming from `state` (use
	/// [`VoterState::at`] for a fresh start), signing its votes with `signer`. Call
	/// [`Core::start`] next.
	pub fn new(
		n: u32,
		me: Option<MemberIndex>,
		base_timeout_ms: u64,
		state: VoterState<B, Sig<K, B>>,
		signer: K,
	) -> Self {
		Self {
			n: n.max(1),
			me: me.filter(|m| *m < n.max(1)),
			base_timeout_ms,
			signer,
			state,
			proposals: BTreeMap::new(),
			book: VoteBook::new(),
			future: VecDeque::new(),
			prepare_timeout_set: BTreeSet::new(),
			commit_timeout_set: BTreeSet::new(),
			prepared_seen: BTreeSet::new(),
			proposed: false,
			own: Vec::new(),
		}
	}

	/// The voter state (what [`Action::Persist`] last asked to store, or newer).
	pub fn state(&self) -> &VoterState<B, Sig<K, B>> {
		&self.state
	}

	/// How many signed votes of the current height the core holds (at most one per view,
	/// phase and voter, views bounded by [`MAX_VIEWS_AHEAD`]).
	pub fn held_votes(&self) -> usize {
		self.book.len()
	}

	/// Enters the current view of the current height; after a restart, re-sends the last vote
	/// this member signed.
	pub fn start(&mut self) -> Vec<Action<B, Sig<K, B>>> {
		let mut actions = Vec::new();
		let height = self.state.height;
		if let Some(vote) = self.state.last_vote.clone().filter(|v| v.vote.height == height) {
			let _ = self.book.add(&vote);
			self.own.push(Message::Vote(vote.clone()));
			actions.push(Action::Broadcast(Message::Vote(vote)));
		}
		let (view, step) = (self.state.view, self.state.step);
		self.start_view(view, &mut actions);
		// A restarted member does not go back to an earlier step of its view, and it needs
		// its timeouts again to leave a view that others finished without it.
		self.state.step = step;
		if step >= Step::Prepare {
			self.schedule(Step::Prepare, &mut actions);
		}
		if step == Step::Commit {
			self.schedule(Step::Commit, &mut actions);
		}
		self.process(&mut actions);
		actions
	}

	/// Handles one event.
	pub fn on_event(&mut self, event: Event<B, Sig<K, B>>) -> Vec<Action<B, Sig<K, B>>> {
		let mut actions = Vec::new();
		match event {
			Event::Proposal(p) => self.on_message(Message::Proposal(p), &mut actions),
			Event::Vote(v) => self.on_message(Message::Vote(v), &mut actions),
			Event::BlockBuilt { height, view, block } => {
				if height == self.state.height
					&& view == self.state.view
					&& self.is_leader(view)
					&& !self.proposed
				{
					self.propose(block, None, Vec::new(), &mut actions);
				}
			}
			Event::Tick => {
				let from = self.state.view.saturating_sub(RESEND_VIEWS - 1);
				for message in &self.own {
					if message.position().1 >= from {
						actions.push(Action::Broadcast(message.clone()));
					}
				}
			}
			Event::Synced { height } => {
				if height >= self.state.height {
					self.advance(height, &mut actions);
				}
			}
			Event::Timeout { height, view, step } => {
				if height == self.state.height && view == self.state.view {
					self.on_timeout(step, &mut actions);
				}
			}
		}
		self.process(&mut actions);
		actions
	}

	fn is_leader(&self, view: View) -> bool {
		self.me == Some(leader(self.state.height, view, self.n))
	}

	/// The timeout of a step at `view`: `base × (view + 1)`. It grows linearly, as
	/// Tendermint's does, so that after the network settles the views soon last long enough
	/// for a proposal and two phases, without the hour-long views of a doubling timeout (at
	/// view 10 a doubling timeout of 6 s waits 102 minutes, this one 66 s).
	pub(crate) fn timeout(&self, view: View) -> u64 {
		self.base_timeout_ms.saturating_mul(u64::from(view).saturating_add(1))
	}

	fn schedule(&self, step: Step, actions: &mut Vec<Action<B, Sig<K, B>>>) {
		actions.push(Action::ScheduleTimeout {
			height: self.state.height,
			view: self.state.view,
			step,
			after_ms: self.timeout(self.state.view),
		});
	}

	/// StartRound.
	fn start_view(&mut self, view: View, actions: &mut Vec<Action<B, Sig<K, B>>>) {
		self.state.view = view;
		self.state.step = Step::Propose;
		self.proposed = false;
		actions.push(Action::Persist(self.state.clone()));
		if self.is_leader(view) {
			let resent = self
				.state
				.last_proposal
				.clone()
				.filter(|p| p.height == self.state.height && p.view == view);
			match resent {
				Some(p) => {
					self.proposed = true;
					self.proposals.entry(view).or_insert_with(|| p.clone());
					actions.push(Action::Broadcast(Message::Proposal(p)));
				}
				None => self.lead(view, actions),
			}
		}
		self.schedule(Step::Propose, actions);
	}

	/// The leader's part of StartRound: re-propose the block it saw prepared, or a new one.
	fn lead(&mut self, view: View, actions: &mut Vec<Action<B, Sig<K, B>>>) {
		match self.state.valid.clone() {
			Some(p) => self.propose(p.block, Some(p.view), p.votes, actions),
			None => actions.push(Action::BuildBlock { height: self.state.height, view }),
		}
	}

	fn propose(
		&mut self,
		block: B,
		valid_view: Option<View>,
		justification: Vec<Signed<B, Sig<K, B>>>,
		actions: &mut Vec<Action<B, Sig<K, B>>>,
	) {
		let Some(me) = self.me else { return };
		let proposal = Proposal {
			height: self.state.height,
			view: self.state.view,
			block,
			valid_view,
			justification,
			proposer: me,
		};
		self.proposed = true;
		self.proposals.entry(proposal.view).or_insert_with(|| proposal.clone());
		self.state.last_proposal = Some(proposal.clone());
		self.own.push(Message::Proposal(proposal.clone()));
		actions.push(Action::Persist(self.state.clone()));
		actions.push(Action::Broadcast(Message::Proposal(proposal)));
	}

	/// Signs and sends a vote of the current height and view, unless this member already
	/// signed one for this or a later (height, view, phase), or cannot sign.
	fn vote(&mut self, phase: Phase, block: Option<B>, actions: &mut Vec<Action<B, Sig<K, B>>>) {
		let Some(me) = self.me else { return };
		let vote =
			Vote { height: self.state.height, view: self.state.view, phase, block, voter: me };
		if let Some(Signed { vote: last, .. }) = &self.state.last_vote {
			if (last.height, last.view, last.phase) >= (vote.height, vote.view, vote.phase) {
				return;
			}
		}
		let Some(signature) = self.signer.sign(&vote) else { return };
		let vote = Signed { vote, signature };
		self.state.last_vote = Some(vote.clone());
		let _ = self.book.add(&vote);
		self.own.push(Message::Vote(vote.clone()));
		actions.push(Action::Persist(self.state.clone()));
		actions.push(Action::Broadcast(Message::Vote(vote)));
	}

	fn on_message(
		&mut self,
		message: Message<B, Sig<K, B>>,
		actions: &mut Vec<Action<B, Sig<K, B>>>,
	) {
		let (height, view) = message.position();
		if height == self.state.height.saturating_add(1) {
			if self.future.len() < MAX_FUTURE_MESSAGES {
				self.future.push_back(message);
			}
			return;
		}
		if height != self.state.height || view > self.state.view.saturating_add(MAX_VIEWS_AHEAD) {
			return;
		}
		match message {
			Message::Proposal(p) => {
				if p.proposer == leader(p.height, p.view, self.n) && self.well_justified(&p) {
					for vote in &p.justification {
						if let Added::Conflict(first) = self.book.add(vote) {
							actions.push(Action::Equivocation { first, second: vote.clone() });
						}
					}
					self.proposals.entry(p.view).or_insert(p);
				}
			}
			Message::Vote(v) => {
				if v.vote.voter >= self.n {
					return;
				}
				if let Added::Conflict(first) = self.book.add(&v) {
					actions.push(Action::Equivocation { first, second: v });
				}
			}
		}
	}

	/// A fresh proposal has no justification; a re-proposal of a block prepared at an earlier
	/// view carries a quorum of distinct PREPARE votes for it at that view.
	fn well_justified(&self, p: &Proposal<B, Sig<K, B>>) -> bool {
		match p.valid_view {
			None => p.justification.is_empty(),
			Some(vr) => {
				let mut voters: Vec<MemberIndex> =
					p.justification.iter().map(|v| v.vote.voter).collect();
				voters.sort_unstable();
				voters.dedup();
				vr < p.view
					&& voters.len() == p.justification.len()
					&& voters.len() as u32 >= quorum(self.n)
					&& p.justification.iter().map(|v| &v.vote).all(|v| {
						v.height == p.height
							&& v.view == vr && v.phase == Phase::Prepare
							&& v.block.as_ref() == Some(&p.block)
							&& v.voter < self.n
					})
			}
		}
	}

	fn on_timeout(&mut self, step: Step, actions: &mut Vec<Action<B, Sig<K, B>>>) {
		match step {
			// OnTimeoutPropose: the leader was silent, late or invalid.
			Step::Propose if self.state.step == Step::Propose => {
				self.vote(Phase::Prepare, None, actions);
				self.state.step = Step::Prepare;
			}
			// OnTimeoutPrevote.
			Step::Prepare if self.state.step == Step::Prepare => {
				self.vote(Phase::Commit, None, actions);
				self.state.step = Step::Commit;
			}
			// OnTimeoutPrecommit: the view failed; the next leader's turn (the impeachment).
			Step::Commit => {
				let next = self.state.view.saturating_add(1);
				self.start_view(next, actions);
			}
			_ => {}
		}
	}

	/// Applies every rule that the state enables, until none does.
	fn process(&mut self, actions: &mut Vec<Action<B, Sig<K, B>>>) {
		let q = quorum(self.n);
		loop {
			// Line 49: a quorum of COMMIT votes for a block in any view of this height decides.
			let decided = self
				.book
				.views()
				.into_iter()
				.find_map(|view| self.book.committed(self.state.height, view, q));
			if let Some((block, justification)) = decided {
				self.decide(block, justification, actions);
				continue;
			}
			// Line 55: f + 1 members are in a later view: join the latest such view.
			let current = self.state.view;
			let later = self
				.book
				.views()
				.into_iter()
				.filter(|v| *v > current && self.book.voters(*v) > max_faulty(self.n))
				.max();
			if let Some(view) = later {
				self.start_view(view, actions);
				continue;
			}
			if !self.step_once(q, actions) {
				break;
			}
		}
	}

	/// One rule of the current view; whether one fired.
	fn step_once(&mut self, q: u32, actions: &mut Vec<Action<B, Sig<K, B>>>) -> bool {
		let view = self.state.view;
		let proposal = self.proposals.get(&view).cloned();
		if self.state.step == Step::Propose {
			if let Some(p) = &proposal {
				let prepare = match p.valid_view {
					// Line 22: a fresh proposal: prepare it unless locked on another block.
					None => self.state.locked.as_ref().is_none_or(|(_, b)| *b == p.block),
					// Line 28: a re-proposal of a block prepared in view `vr`, which its
					// justification proves.
					Some(vr) => {
						self.state.locked.as_ref().is_none_or(|(lv, b)| *lv <= vr || *b == p.block)
					}
				};
				let block = prepare.then(|| p.block.clone());
				self.vote(Phase::Prepare, block, actions);
				self.state.step = Step::Prepare;
				return true;
			}
		}
		// Line 34: a quorum of PREPARE votes of any kind: start the prepare timeout.
		if self.state.step == Step::Prepare
			&& self.book.count_any(view, Phase::Prepare) >= q
			&& self.prepare_timeout_set.insert(view)
		{
			self.schedule(Step::Prepare, actions);
			return true;
		}
		// Line 36: the proposal is prepared by a quorum: lock on it and commit to it.
		if let Some(p) = &proposal {
			if self.state.step >= Step::Prepare
				&& self.book.count(view, Phase::Prepare, &Some(p.block.clone())) >= q
				&& self.prepared_seen.insert(view)
			{
				if self.state.step == Step::Prepare {
					self.state.locked = Some((view, p.block.clone()));
					self.vote(Phase::Commit, Some(p.block.clone()), actions);
					self.state.step = Step::Commit;
				}
				let votes = self.book.votes_for(self.state.height, view, Phase::Prepare, &p.block);
				self.state.valid = Some(Prepared { view, block: p.block.clone(), votes });
				return true;
			}
		}
		// Line 44: a quorum prepared nothing: commit to nothing.
		if self.state.step == Step::Prepare && self.book.count(view, Phase::Prepare, &None) >= q {
			self.vote(Phase::Commit, None, actions);
			self.state.step = Step::Commit;
			return true;
		}
		// Not in the paper: a quorum of COMMIT votes for nothing ends the view at once. At most
		// f of those voters are byzantine and the others commit to nothing only, so at most
		// n - q + f = 2f < q members can commit to a block in this view: nothing can be decided
		// in it, and the commit timeout would only delay the next leader (a silent leader
		// would cost two timeouts instead of one).
		if self.book.count(view, Phase::Commit, &None) >= q {
			self.start_view(view.saturating_add(1), actions);
			return true;
		}
		// Line 47: a quorum of COMMIT votes of any kind: start the commit timeout.
		if self.book.count_any(view, Phase::Commit) >= q && self.commit_timeout_set.insert(view) {
			self.schedule(Step::Commit, actions);
			return true;
		}
		false
	}

	fn decide(
		&mut self,
		block: B,
		justification: Vec<Signed<B, Sig<K, B>>>,
		actions: &mut Vec<Action<B, Sig<K, B>>>,
	) {
		let height = self.state.height;
		actions.push(Action::Finalize { height, block, justification });
		self.advance(height, actions);
	}

	/// Moves past the finalised `height`.
	fn advance(&mut self, height: Height, actions: &mut Vec<Action<B, Sig<K, B>>>) {
		let last_vote = self.state.last_vote.take();
		let last_proposal = self.state.last_proposal.take();
		self.state =
			VoterState { last_vote, last_proposal, ..VoterState::at(height.saturating_add(1)) };
		self.proposals.clear();
		self.book = VoteBook::new();
		self.prepare_timeout_set.clear();
		self.commit_timeout_set.clear();
		self.prepared_seen.clear();
		self.own.clear();
		self.start_view(0, actions);
		let next = self.state.height;
		let buffered: Vec<Message<B, Sig<K, B>>> = self.future.drain(..).collect();
		for message in buffered {
			if message.position().0 == next {
				self.on_message(message, actions);
			}
		}
	}
}

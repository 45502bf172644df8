//! The BFT core in a seeded network simulator: random delays and reordering, a partition that
//! heals at a random global stabilisation time (GST), members that crash and restart from
//! their persisted state, and byzantine members (silent; equivocating leaders and voters;
//! voters in stale views and heights). Over thousands of seeds and committee sizes 1, 2, 3, 4,
//! 7 and 10 it checks:
//!
//! - agreement: honest members never finalise two different blocks at one height;
//! - validity: every finalised block was proposed;
//! - justifications: a quorum of distinct COMMIT votes for the block at its height, each
//!   carrying its voter's signature over exactly that vote (the core hands out the signed
//!   votes it counted, never another vote's signature); equivocation proofs likewise;
//! - no double signing: an honest member never signs two different votes for one height,
//!   view and phase, across restarts;
//! - liveness: once the network is stable and every crashed member is back (with at most f
//!   byzantine members), every honest member finalises the target height.
//!
//! Time is virtual: a run is a priority queue of deliveries, so a test of thousands of runs
//! takes seconds and every failure replays from its seed.

use std::{
	cmp::Reverse,
	collections::{BTreeMap, BTreeSet, BinaryHeap},
};

use cpchain_dpor_bft::*;

type Block = u64;

/// A signature in the simulation: who signed what. Nobody can sign for another member; the
/// delivery refuses a vote whose signature is not its voter's over exactly that vote, as the
/// node's message checks do.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Sig {
	by: MemberIndex,
	over: Vote<Block>,
}

/// A member's key.
struct Key(MemberIndex);

impl Signer<Block> for Key {
	type Signature = Sig;
	fn sign(&self, vote: &Vote<Block>) -> Option<Sig> {
		Some(Sig { by: self.0, over: vote.clone() })
	}
}

type Msg = Message<Block, Sig>;
type Act = Action<Block, Sig>;
type State = VoterState<Block, Sig>;
type SignedVote = Signed<Block, Sig>;

/// `vote` signed by its voter (what any member, byzantine ones too, can do for itself).
fn signed(vote: Vote<Block>) -> SignedVote {
	SignedVote { signature: Sig { by: vote.voter, over: vote.clone() }, vote }
}

/// Whether `v` carries its voter's signature over exactly its vote.
fn verifies(v: &SignedVote) -> bool {
	v.signature.by == v.vote.voter && v.signature.over == v.vote
}

/// The node's message checks: every signature of the message verifies.
fn checked(m: &Msg) -> bool {
	match m {
		Message::Vote(v) => verifies(v),
		Message::Proposal(p) => p.justification.iter().all(verifies),
	}
}

/// SplitMix64: a small, good, seedable generator (no dependency needed for a test).
struct Rng(u64);

impl Rng {
	fn next(&mut self) -> u64 {
		self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
		let mut z = self.0;
		z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
		z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
		z ^ (z >> 31)
	}

	fn below(&mut self, n: u64) -> u64 {
		self.next() % n.max(1)
	}

	fn chance(&mut self, percent: u64) -> bool {
		self.below(100) < percent
	}
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Behaviour {
	Honest,
	/// Never sends anything.
	Silent,
	/// Proposes two blocks to two halves of the committee and votes for both, also in stale
	/// views and heights.
	Equivocating,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Delivery {
	Message(Msg),
	Timeout { height: Height, view: View, step: Step, epoch: u32 },
	Built { height: Height, view: View, epoch: u32 },
	Restart,
	Tick,
}

struct Node {
	core: Core<Block, Key>,
	behaviour: Behaviour,
	persisted: State,
	/// Restarts so far: deliveries scheduled before a crash are void.
	epoch: u32,
	down: bool,
	finalized: BTreeMap<Height, Block>,
	/// Every vote this member signed, across restarts.
	signed: BTreeMap<(Height, View, Phase), Option<Block>>,
	/// The latest (height, view) a byzantine member has heard of.
	heard: (Height, View),
}

struct Scenario {
	n: u32,
	byzantine: Vec<Behaviour>,
	gst: u64,
	crash: Option<(MemberIndex, u64, u64)>,
	target: Height,
}

/// What happened over the runs, to show that the scenarios exercise what they claim.
#[derive(Default, Debug)]
struct Coverage {
	runs: u64,
	finalized: u64,
	view_changes: u64,
	equivocations: u64,
	restarts: u64,
	syncs: u64,
}

struct Sim {
	coverage: Coverage,
	now: u64,
	seq: u64,
	/// (time, sequence) of pending deliveries; the deliveries by sequence.
	queue: BinaryHeap<Reverse<(u64, u64)>>,
	pending: BTreeMap<u64, (MemberIndex, Delivery)>,
	rng: Rng,
	nodes: Vec<Node>,
	proposed: BTreeSet<Block>,
	next_block: Block,
	gst: u64,
	n: u32,
}

const BASE_TIMEOUT_MS: u64 = 1_000;

impl Sim {
	fn new(seed: u64, s: &Scenario) -> Self {
		let mut nodes = Vec::new();
		for i in 0..s.n {
			let behaviour = s.byzantine.get(i as usize).copied().unwrap_or(Behaviour::Honest);
			nodes.push(Node {
				core: Core::new(s.n, Some(i), BASE_TIMEOUT_MS, VoterState::at(1), Key(i)),
				behaviour,
				persisted: VoterState::at(1),
				epoch: 0,
				down: false,
				finalized: BTreeMap::new(),
				signed: BTreeMap::new(),
				heard: (1, 0),
			});
		}
		let mut sim = Sim {
			coverage: Coverage::default(),
			now: 0,
			seq: 0,
			queue: BinaryHeap::new(),
			pending: BTreeMap::new(),
			rng: Rng(seed),
			nodes,
			proposed: BTreeSet::new(),
			next_block: 1,
			gst: s.gst,
			n: s.n,
		};
		for i in 0..s.n {
			if sim.nodes[i as usize].behaviour == Behaviour::Honest {
				let actions = sim.nodes[i as usize].core.start();
				sim.perform(i, actions);
			}
		}
		for i in 0..s.n {
			let first = sim.rng.below(BASE_TIMEOUT_MS);
			sim.at(first, i, Delivery::Tick);
		}
		if let Some((who, at, back)) = s.crash {
			sim.at(at, who, Delivery::Restart); // the first "restart" event crashes it
			sim.at(back, who, Delivery::Restart);
		}
		sim
	}

	fn at(&mut self, time: u64, to: MemberIndex, delivery: Delivery) {
		self.seq += 1;
		self.queue.push(Reverse((time, self.seq)));
		self.pending.insert(self.seq, (to, delivery));
	}

	/// Network delay: up to 3 s, or held until after GST, before it; 5 to 200 ms after.
	fn delay(&mut self) -> u64 {
		if self.now < self.gst {
			if self.rng.chance(30) {
				return self.gst - self.now + self.rng.below(200);
			}
			return 5 + self.rng.below(3_000);
		}
		5 + self.rng.below(200)
	}

	fn send(&mut self, from: MemberIndex, to: MemberIndex, message: Msg) {
		if from == to {
			return;
		}
		let when = self.now + self.delay();
		self.at(when, to, Delivery::Message(message));
	}

	fn broadcast(&mut self, from: MemberIndex, message: Msg) {
		for to in 0..self.n {
			self.send(from, to, message.clone());
		}
	}

	fn perform(&mut self, who: MemberIndex, actions: Vec<Act>) {
		let q = quorum(self.n);
		for action in actions {
			let node = &mut self.nodes[who as usize];
			match action {
				Action::Persist(state) => node.persisted = state,
				Action::Broadcast(message) => {
					assert!(
						checked(&message),
						"member {who} sent a signature that does not verify"
					);
					if let Message::Vote(Signed { vote: v, .. }) = &message {
						assert_eq!(v.voter, who);
						let key = (v.height, v.view, v.phase);
						if let Some(earlier) = node.signed.insert(key, v.block) {
							assert_eq!(
								earlier, v.block,
								"member {who} signed two votes for {key:?}"
							);
						}
						// Signed after the persisted state covered it (re-sent votes are older).
						let last = node
							.persisted
							.last_vote
							.as_ref()
							.map(|l| (l.vote.height, l.vote.view, l.vote.phase));
						assert!(last >= Some(key), "member {who} sent a vote it had not persisted");
					}
					if let Message::Proposal(p) = &message {
						self.proposed.insert(p.block);
					}
					self.broadcast(who, message);
				}
				Action::BuildBlock { height, view } => {
					let epoch = node.epoch;
					let when = self.now + 1 + self.rng.below(50);
					self.at(when, who, Delivery::Built { height, view, epoch });
				}
				Action::ScheduleTimeout { height, view, step, after_ms } => {
					if step == Step::Propose && view > 0 {
						self.coverage.view_changes += 1;
					}
					let epoch = node.epoch;
					self.at(
						self.now + after_ms,
						who,
						Delivery::Timeout { height, view, step, epoch },
					);
				}
				Action::Finalize { height, block, justification } => {
					let voters: Vec<MemberIndex> =
						justification.iter().map(|v| v.vote.voter).collect();
					assert!(voters.len() as u32 >= q, "a justification without a quorum");
					assert!(
						voters.windows(2).all(|w| w[0] < w[1]),
						"duplicate or unordered signers"
					);
					let view = justification.first().map(|v| v.vote.view);
					assert!(justification.iter().all(|v| v.vote.height == height
						&& Some(v.vote.view) == view
						&& v.vote.phase == Phase::Commit
						&& v.vote.block == Some(block)));
					assert!(
						justification.iter().all(verifies),
						"a justification carries a signature that is not its vote's"
					);
					assert!(self.proposed.contains(&block), "finalised a block nobody proposed");
					if let Some(earlier) = node.finalized.insert(height, block) {
						assert_eq!(earlier, block, "member {who} finalised height {height} twice");
					}
					self.coverage.finalized += 1;
				}
				Action::Equivocation { first, second } => {
					self.coverage.equivocations += 1;
					assert!(verifies(&first) && verifies(&second), "a proof that does not verify");
					let (first, second) = (first.vote, second.vote);
					assert_eq!(
						(first.voter, first.height, first.view, first.phase),
						(second.voter, second.height, second.view, second.phase)
					);
					assert_ne!(first.block, second.block);
					let culprit = self.nodes[first.voter as usize].behaviour;
					assert_eq!(culprit, Behaviour::Equivocating, "an honest member was reported");
				}
			}
		}
	}

	/// A byzantine member's move on each of its ticks: equivocate in the latest view it has
	/// heard of (two proposals if it leads, two votes in each phase) and replay votes into
	/// stale views and heights.
	fn misbehave(&mut self, who: MemberIndex) {
		if self.nodes[who as usize].behaviour != Behaviour::Equivocating {
			return;
		}
		let (height, view) = self.nodes[who as usize].heard;
		let (a, b) = (self.next_block, self.next_block + 1);
		self.next_block += 2;
		if leader(height, view, self.n) == who {
			self.proposed.insert(a);
			self.proposed.insert(b);
			for to in 0..self.n {
				let block = if to % 2 == 0 { a } else { b };
				let p = Proposal {
					height,
					view,
					block,
					valid_view: None,
					justification: Vec::new(),
					proposer: who,
				};
				self.send(who, to, Message::Proposal(p));
			}
		}
		for phase in [Phase::Prepare, Phase::Commit] {
			for to in 0..self.n {
				let block = if to % 2 == 0 { Some(a) } else { Some(b) };
				let v = Vote { height, view, phase, block, voter: who };
				self.send(who, to, Message::Vote(signed(v.clone())));
				let stale = Vote {
					height: height.saturating_sub(1),
					view: view.saturating_sub(1),
					phase,
					block: None,
					voter: who,
				};
				self.send(who, to, Message::Vote(signed(stale)));
				// A vote in another member's name, under its own signature, and one with a
				// signature over another vote: the checks drop both.
				let other = (who + 1) % self.n;
				let forged = Signed {
					vote: Vote { voter: other, ..v.clone() },
					signature: Sig { by: who, over: Vote { voter: other, ..v.clone() } },
				};
				self.send(who, to, Message::Vote(forged));
				let moved = Signed {
					vote: Vote { block: None, ..v.clone() },
					signature: signed(v).signature,
				};
				self.send(who, to, Message::Vote(moved));
			}
		}
	}

	fn step(&mut self) -> bool {
		let Some(Reverse((time, seq))) = self.queue.pop() else { return false };
		let Some((who, delivery)) = self.pending.remove(&seq) else { return true };
		self.now = time;
		let idx = who as usize;
		if self.nodes[idx].behaviour != Behaviour::Honest {
			match &delivery {
				Delivery::Message(m) => {
					let seen = m.position();
					let heard = &mut self.nodes[idx].heard;
					*heard = (*heard).max(seen);
				}
				Delivery::Tick => {
					self.at(self.now + BASE_TIMEOUT_MS / 4, who, Delivery::Tick);
					self.misbehave(who);
				}
				_ => {}
			}
			return true;
		}
		let actions = match delivery {
			Delivery::Restart if !self.nodes[idx].down => {
				self.nodes[idx].down = true;
				self.nodes[idx].epoch += 1;
				return true;
			}
			Delivery::Restart => self.restart(who),
			Delivery::Tick => {
				self.at(self.now + BASE_TIMEOUT_MS, who, Delivery::Tick);
				if self.nodes[idx].down {
					return true;
				}
				let mut actions = self.sync(who);
				actions.extend(self.nodes[idx].core.on_event(Event::Tick));
				actions
			}
			_ if self.nodes[idx].down => return true,
			Delivery::Message(m) if !checked(&m) => return true,
			Delivery::Message(Message::Proposal(p)) => {
				self.nodes[idx].core.on_event(Event::Proposal(p))
			}
			Delivery::Message(Message::Vote(v)) => self.nodes[idx].core.on_event(Event::Vote(v)),
			Delivery::Timeout { height, view, step, epoch } if epoch == self.nodes[idx].epoch => {
				self.nodes[idx].core.on_event(Event::Timeout { height, view, step })
			}
			Delivery::Built { height, view, epoch } if epoch == self.nodes[idx].epoch => {
				let block = self.next_block;
				self.next_block += 1;
				self.nodes[idx].core.on_event(Event::BlockBuilt { height, view, block })
			}
			_ => return true,
		};
		self.perform(who, actions);
		true
	}

	/// A crashed member comes back from its persisted state; block sync hands it what the
	/// others finalised meanwhile.
	fn restart(&mut self, who: MemberIndex) -> Vec<Act> {
		let idx = who as usize;
		self.coverage.restarts += 1;
		self.nodes[idx].down = false;
		let state = self.nodes[idx].persisted.clone();
		self.nodes[idx].core = Core::new(self.n, Some(who), BASE_TIMEOUT_MS, state, Key(who));
		let mut actions = self.nodes[idx].core.start();
		actions.extend(self.sync(who));
		actions
	}

	/// Block sync: a member behind the others imports the blocks they finalised, with their
	/// justifications, and its core moves on.
	fn sync(&mut self, who: MemberIndex) -> Vec<Act> {
		let idx = who as usize;
		let from = self.nodes[idx].core.state().height;
		let synced: BTreeMap<Height, Block> =
			self.honest().flat_map(|n| n.finalized.range(from..).map(|(h, b)| (*h, *b))).collect();
		let Some(top) = synced.keys().next_back().copied() else { return Vec::new() };
		self.coverage.syncs += 1;
		for (height, block) in synced {
			if let Some(own) = self.nodes[idx].finalized.insert(height, block) {
				assert_eq!(own, block, "sync disagrees with what member {who} finalised");
			}
		}
		self.nodes[idx].core.on_event(Event::Synced { height: top })
	}

	fn honest(&self) -> impl Iterator<Item = &Node> {
		self.nodes.iter().filter(|n| n.behaviour == Behaviour::Honest)
	}

	fn all_reached(&self, target: Height) -> bool {
		self.honest().all(|n| n.finalized.contains_key(&target))
	}

	fn check_agreement(&self) {
		let mut decided: BTreeMap<Height, Block> = BTreeMap::new();
		for node in self.honest() {
			for (h, b) in &node.finalized {
				let first = decided.entry(*h).or_insert(*b);
				assert_eq!(first, b, "two blocks finalised at height {h}");
			}
		}
	}
}

fn scenario(seed: u64, n: u32) -> Scenario {
	let mut rng = Rng(seed ^ 0xA5A5_5A5A);
	let f = max_faulty(n) as usize;
	let byzantine_count = if f == 0 { 0 } else { rng.below(f as u64 + 1) as usize };
	let byzantine = (0..n)
		.map(|i| {
			if (i as usize) < byzantine_count {
				if rng.chance(50) {
					Behaviour::Silent
				} else {
					Behaviour::Equivocating
				}
			} else {
				Behaviour::Honest
			}
		})
		.collect();
	let gst = rng.below(10_000);
	// One honest member may crash and come back (beyond f for a while: liveness resumes on
	// its return).
	let crash = (n > 1 && rng.chance(50)).then(|| {
		let who = byzantine_count as u32 + rng.below(u64::from(n) - byzantine_count as u64) as u32;
		let at = rng.below(8_000);
		(who.min(n - 1), at, at + 1 + rng.below(6_000))
	});
	Scenario { n, byzantine, gst, crash, target: 4 }
}

fn run(seed: u64, n: u32, total: &mut Coverage) {
	let s = scenario(seed, n);
	let crash_over = s.crash.map_or(0, |(_, _, back)| back);
	let mut sim = Sim::new(seed, &s);
	// Generous virtual time: timeouts grow with every view while the network is bad.
	let deadline = s.gst.max(crash_over) + 3_600_000;
	let mut steps = 0u64;
	while sim.now <= deadline && !sim.all_reached(s.target) {
		if !sim.step() {
			break;
		}
		steps += 1;
		assert!(steps < 5_000_000, "seed {seed}, n {n}: runaway simulation at {} ms", sim.now);
	}
	sim.check_agreement();
	assert!(
		sim.all_reached(s.target),
		"seed {seed}, n {n}: no liveness; heights {:?}, byzantine {:?}, crash {:?}, gst {}",
		sim.honest().map(|n| n.core.state().height).collect::<Vec<_>>(),
		s.byzantine,
		s.crash,
		s.gst
	);
	let c = &sim.coverage;
	total.runs += 1;
	total.finalized += c.finalized;
	total.view_changes += c.view_changes;
	total.equivocations += c.equivocations;
	total.restarts += c.restarts;
	total.syncs += c.syncs;
}

/// Seeds per committee size (`DPOR_SIM_SEEDS` overrides, e.g. for a longer soak).
fn seeds() -> u64 {
	std::env::var("DPOR_SIM_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(500)
}

#[test]
fn safe_and_live_over_many_seeds() {
	for n in [1, 2, 3, 4, 7, 10] {
		let mut total = Coverage::default();
		for seed in 0..seeds() {
			run(seed * 7919 + u64::from(n), n, &mut total);
		}
		eprintln!("n = {n}: {total:?}");
		assert!(total.finalized >= total.runs * 4, "every run finalises its target heights");
		if n > 1 {
			assert!(total.view_changes > 0, "some leaders were voted out");
			assert!(total.restarts > 0 && total.syncs > 0, "some members crashed and caught up");
		}
		if n >= 4 {
			assert!(total.equivocations > 0, "equivocations were seen and reported");
		}
	}
}

#[test]
fn a_committee_of_one_finalises_alone() {
	let mut core = Core::new(1, Some(0), 1_000, VoterState::at(1), Key(0));
	let actions = core.start();
	assert!(actions.contains(&Action::BuildBlock { height: 1, view: 0 }));
	let actions = core.on_event(Event::BlockBuilt { height: 1, view: 0, block: 42u64 });
	let finalized = actions.iter().find_map(|a| match a {
		Action::Finalize { height, block, justification } => {
			Some((*height, *block, justification.clone()))
		}
		_ => None,
	});
	let vote = Vote { height: 1, view: 0, phase: Phase::Commit, block: Some(42), voter: 0 };
	assert_eq!(finalized, Some((1, 42, vec![signed(vote)])), "its own signed COMMIT");
	assert_eq!(core.state().height, 2);
	assert!(actions.contains(&Action::BuildBlock { height: 2, view: 0 }));
}

#[test]
fn a_restarted_member_never_signs_again_for_a_view() {
	// Member 1 of 4 prepares block 7 at height 1, view 0, then restarts from its state.
	let mut core = Core::new(4, Some(1), 1_000, VoterState::at(1), Key(1));
	let _ = core.start();
	// Height 1, view 0: member 1 leads; its block is late, the view times out: it prepares
	// nothing.
	let actions = core.on_event(Event::Timeout { height: 1, view: 0, step: Step::Propose });
	let persisted = actions
		.iter()
		.rev()
		.find_map(|a| match a {
			Action::Persist(s) => Some(s.clone()),
			_ => None,
		})
		.expect("persisted before the vote");
	assert_eq!(
		persisted.last_vote.as_ref().map(|v| (v.vote.view, v.vote.phase, v.vote.block)),
		Some((0, Phase::Prepare, None))
	);
	let sent = persisted.last_vote.clone().expect("a vote");
	let mut restarted = Core::new(4, Some(1), 1_000, persisted, Key(1));
	let actions = restarted.start();
	// It re-sends the same vote, and nothing else for that phase.
	let votes: Vec<_> = actions
		.iter()
		.filter_map(|a| match a {
			Action::Broadcast(Message::Vote(v)) => Some(v.clone()),
			_ => None,
		})
		.collect();
	assert_eq!(votes, vec![sent], "the same signed vote");
	// A proposal for view 0 arriving now cannot make it prepare block 7.
	let late = Proposal {
		height: 1,
		view: 0,
		block: 7u64,
		valid_view: None,
		justification: vec![],
		proposer: 1,
	};
	let actions = restarted.on_event(Event::Proposal(late));
	assert!(!actions.iter().any(
		|a| matches!(a, Action::Broadcast(Message::Vote(v)) if v.vote.phase == Phase::Prepare)
	));
}

/// Member 0 of 4 at height 1 (leader: member 1), after the leader's silence: it has prepared
/// and committed nothing. Returns the core and the actions of delivering `commits` (voter,
/// block) as COMMIT votes of view 0.
fn after_commits(commits: &[(MemberIndex, Option<u64>)]) -> (Core<u64, Key>, Vec<Act>) {
	let mut core = Core::new(4, Some(0), 1_000, VoterState::at(1), Key(0));
	let _ = core.start();
	let _ = core.on_event(Event::Timeout { height: 1, view: 0, step: Step::Propose });
	for voter in [2, 3] {
		let vote = Vote { height: 1, view: 0, phase: Phase::Prepare, block: None, voter };
		let _ = core.on_event(Event::Vote(signed(vote)));
	}
	assert_eq!(core.state().step, Step::Commit, "a quorum prepared nothing: commit nothing");
	let mut actions = Vec::new();
	for &(voter, block) in commits {
		let vote = Vote { height: 1, view: 0, phase: Phase::Commit, block, voter };
		actions.extend(core.on_event(Event::Vote(signed(vote))));
	}
	(core, actions)
}

#[test]
fn a_quorum_committing_nothing_hands_over_to_the_next_leader_at_once() {
	// With its own, three COMMIT votes for nothing: no block can be decided in view 0.
	let (core, actions) = after_commits(&[(2, None), (3, None)]);
	assert_eq!(core.state().view, 1, "the next view starts without the commit timeout");
	assert!(!actions
		.iter()
		.any(|a| matches!(a, Action::ScheduleTimeout { view: 0, step: Step::Commit, .. })));
	assert!(actions.iter().any(|a| matches!(a, Action::ScheduleTimeout { view: 1, .. })));
}

#[test]
fn mixed_commit_votes_still_wait_for_the_commit_timeout() {
	// Nothing, nothing, block 9: a quorum of COMMIT votes, but a fourth vote for block 9
	// could still come from a byzantine member that also voted for nothing.
	let (core, actions) = after_commits(&[(2, None), (3, Some(9))]);
	assert_eq!(core.state().view, 0);
	assert!(actions
		.iter()
		.any(|a| matches!(a, Action::ScheduleTimeout { view: 0, step: Step::Commit, .. })));
}

#[test]
fn malformed_or_foreign_messages_change_nothing() {
	let mut core = Core::new(4, Some(0), 1_000, VoterState::at(5), Key(0));
	let _ = core.start();
	let before = core.state().clone();
	for event in [
		// Not the leader of (5, 0): leader(5, 0, 4) = 1.
		Event::Proposal(Proposal {
			height: 5,
			view: 0,
			block: 1u64,
			valid_view: None,
			justification: vec![],
			proposer: 3,
		}),
		// A voter outside the committee.
		Event::Vote(signed(Vote {
			height: 5,
			view: 0,
			phase: Phase::Prepare,
			block: Some(1),
			voter: 9,
		})),
		// Far-future view, stale height, far-future height.
		Event::Vote(signed(Vote {
			height: 5,
			view: 10_000,
			phase: Phase::Commit,
			block: Some(1),
			voter: 2,
		})),
		Event::Vote(signed(Vote {
			height: 4,
			view: 0,
			phase: Phase::Commit,
			block: Some(1),
			voter: 2,
		})),
		Event::Vote(signed(Vote {
			height: 90,
			view: 0,
			phase: Phase::Commit,
			block: Some(1),
			voter: 2,
		})),
		// A re-proposal whose valid view is not earlier than its view, or without a quorum of
		// distinct PREPARE votes for the block.
		Event::Proposal(Proposal {
			height: 5,
			view: 0,
			block: 1u64,
			valid_view: Some(0),
			justification: vec![],
			proposer: 1,
		}),
		Event::Proposal(Proposal {
			height: 5,
			view: 1,
			block: 1u64,
			valid_view: Some(0),
			justification: vec![
				signed(Vote {
					height: 5,
					view: 0,
					phase: Phase::Prepare,
					block: Some(1),
					voter: 1,
				}),
				signed(Vote {
					height: 5,
					view: 0,
					phase: Phase::Prepare,
					block: Some(1),
					voter: 1,
				}),
				signed(Vote {
					height: 5,
					view: 0,
					phase: Phase::Prepare,
					block: Some(2),
					voter: 3,
				}),
			],
			proposer: 2,
		}),
		// A timeout of another view.
		Event::Timeout { height: 5, view: 3, step: Step::Commit },
	] {
		let actions = core.on_event(event);
		assert!(actions.is_empty(), "{actions:?}");
	}
	assert_eq!(core.state(), &before);
}

#[test]
fn justifications_and_proofs_carry_the_signatures_of_the_votes_they_are_made_of() {
	// Member 0 of 4 at height 1, view 0: members 2, 1 and 3 commit block 7, and member 2
	// also signs a COMMIT for block 8, which the core reports and does not count.
	let mut core = Core::new(4, Some(0), 1_000, VoterState::at(1), Key(0));
	let _ = core.start();
	let commit = |voter, block| {
		signed(Vote { height: 1, view: 0, phase: Phase::Commit, block: Some(block), voter })
	};
	let mut actions = core.on_event(Event::Vote(commit(2, 7)));
	actions.extend(core.on_event(Event::Vote(commit(2, 8))));
	assert_eq!(core.held_votes(), 1, "the second vote of a slot is evidence, not a vote");
	actions.extend(core.on_event(Event::Vote(commit(1, 7))));
	actions.extend(core.on_event(Event::Vote(commit(3, 7))));
	let proof = actions.iter().find_map(|a| match a {
		Action::Equivocation { first, second } => Some((first.clone(), second.clone())),
		_ => None,
	});
	assert_eq!(proof, Some((commit(2, 7), commit(2, 8))), "both signed votes");
	let justification = actions.iter().find_map(|a| match a {
		Action::Finalize { height: 1, block: 7, justification } => Some(justification.clone()),
		_ => None,
	});
	assert_eq!(
		justification,
		Some(vec![commit(1, 7), commit(2, 7), commit(3, 7)]),
		"the counted votes' signatures, in member order"
	);
}

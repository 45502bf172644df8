//! Crashes at every durable write of the voter (as CometBFT's WAL crash tests do), on four
//! honest members in the real adapters (`harness/mod.rs`): a member's voter dies just before
//! or just after the k-th write from now (a voter state, the record of a block it sealed, or
//! the finality of a block), or one write fails and the voter dies at the next, or it dies
//! right after importing a block it sealed, before proposing it; it restarts at once on the
//! same database. The network checks every vote sent and every block sealed, across all
//! restarts: no member may sign two different votes for one (term, height, view, phase) or
//! seal two different blocks for one (height, view), and all members must keep one chain and
//! keep finalising.
//!
//! Which member crashes, at which write and how comes from the scenario number; set
//! `DPOR_CRASH_SCENARIOS` for more (each takes a few seconds).
//!
//! Two crashes the scenarios reach only by chance are also played on purpose: a member that
//! decides a height in the batch that casts its own COMMIT, and dies after persisting the next
//! height but before that batch is sent, while a fourth member is down: the others need that
//! COMMIT, and only the crashed member has it; and a member whose finalisation of height `h`
//! lags (its pool is slow) so that it votes at `h + 1` first, and dies there, before it has
//! finalised `h`: restarted, it must neither vote again at `h` nor sign anything new at
//! `h + 1` that differs from what it signed before.

mod common;
mod harness;

use std::{
	sync::{
		atomic::{AtomicUsize, Ordering},
		Arc,
	},
	time::Duration,
};

use cpchain_consensus_dpor::{
	aux_schema,
	worker::{Write, WriteHook},
};
use cpchain_dpor_bft::{Height, Phase};
use harness::{quiet_injected_panics, Net, INJECTED};
use parking_lot::Mutex;

fn runtime() -> tokio::runtime::Runtime {
	tokio::runtime::Builder::new_multi_thread()
		.worker_threads(2)
		.enable_all()
		.build()
		.expect("a runtime")
}

#[test]
fn a_member_restarted_after_any_write_never_signs_twice() {
	let _serial = harness::SERIAL.lock();
	quiet_injected_panics();
	runtime().block_on(crashes());
}

#[test]
fn a_member_that_decided_before_its_commit_left_lets_the_others_finalise_after_its_restart() {
	let _serial = harness::SERIAL.lock();
	quiet_injected_panics();
	runtime().block_on(decided_then_crashed());
}

#[test]
fn a_member_that_voted_ahead_of_its_own_finality_restarts_without_signing_twice() {
	let _serial = harness::SERIAL.lock();
	quiet_injected_panics();
	runtime().block_on(voted_ahead_then_crashed());
}

/// Restarts `member`'s voter at once on its database, cut off from the others for longer than
/// a view lasts, then hands it the blocks it missed: its view times out while it is alone, so
/// what it signs then differs from what it signed before the crash unless the state it resumed
/// from covers everything it sent.
async fn restart_cut_off(net: &Arc<Net>, member: usize) {
	let cut_off = Duration::from_millis(harness::BASE_TIMEOUT_MS + 500);
	net.isolate(member, cut_off);
	net.start_voter(member, None);
	tokio::time::sleep(cut_off).await;
	net.catch_up(member).await;
}

/// Stops the network and checks what every test of this file promises: one chain, and no
/// member signed twice across all its restarts.
fn stop_and_check(net: &Net) {
	net.stop();
	net.assert_one_chain();
	assert!(net.double_signs.lock().is_empty(), "{:?}", net.double_signs.lock());
}

/// Waits until `member`'s voter has crashed; after `timeout`, fails with `why()` and every
/// member's finalised height.
async fn wait_crashed(net: &Net, member: usize, timeout: Duration, why: impl Fn() -> String) {
	let start = std::time::Instant::now();
	while !net.voter_stopped(member) {
		assert!(
			start.elapsed() < timeout,
			"{}; finalised {:?}",
			why(),
			(0..4).map(|i| net.finalized(i)).collect::<Vec<_>>()
		);
		tokio::time::sleep(Duration::from_millis(20)).await;
	}
}

/// How the voter dies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
	/// Before the write reaches the database.
	Before,
	/// After the write, before anything else happens.
	After,
	/// The write fails (the voter goes on, not voting), and the voter dies before the next.
	FailThenCrash,
	/// After its next block is sealed, recorded and imported (and relayed), before the voter
	/// proposes it: at the write that follows the record (the countdown is not used).
	AfterOwnBlock,
}

/// Crashes the voter at the `countdown`-th write from now.
struct Crash {
	countdown: AtomicUsize,
	kind: Kind,
	/// The writes seen, and the one the voter died at.
	seen: Mutex<Vec<Write>>,
	failed: Mutex<bool>,
	/// A block of this member was recorded (for [`Kind::AfterOwnBlock`]).
	sealed: Mutex<bool>,
}

impl Crash {
	fn new(countdown: usize, kind: Kind) -> Arc<Self> {
		Arc::new(Self {
			countdown: AtomicUsize::new(countdown),
			kind,
			seen: Mutex::new(Vec::new()),
			failed: Mutex::new(false),
			sealed: Mutex::new(false),
		})
	}

	/// Whether `write` is the one: the countdown ran out and, for a failed write, it is the
	/// state that covers a new PREPARE vote (the write whose failure must keep that vote
	/// unsent: after the restart the view times out and the member votes PREPARE nil there).
	fn due(&self, write: Write) -> bool {
		self.countdown.load(Ordering::SeqCst) == 1
			&& (self.kind != Kind::FailThenCrash
				|| matches!(write, Write::VoterState { height, view, last_vote: Some((h, v, Phase::Prepare)) } if h == height && v == view))
	}
}

impl WriteHook for Crash {
	fn before(&self, write: Write) -> Result<(), String> {
		self.seen.lock().push(write);
		if self.kind == Kind::AfterOwnBlock {
			if *self.sealed.lock() {
				panic!("{INJECTED} after sealing and importing a block, before {write:?}");
			}
			return Ok(());
		}
		if *self.failed.lock() {
			panic!("{INJECTED} before the write after a failed one: {write:?}");
		}
		if self.due(write) {
			match self.kind {
				Kind::Before => panic!("{INJECTED} before {write:?}"),
				Kind::After | Kind::AfterOwnBlock => {}
				Kind::FailThenCrash => {
					*self.failed.lock() = true;
					return Err(format!("injected failure of {write:?}"));
				}
			}
		} else if self.countdown.load(Ordering::SeqCst) > 1 {
			self.countdown.fetch_sub(1, Ordering::SeqCst);
		}
		Ok(())
	}

	fn after(&self, write: Write) {
		if self.kind == Kind::AfterOwnBlock && matches!(write, Write::OwnBlock { .. }) {
			*self.sealed.lock() = true;
		}
		if self.kind == Kind::After && self.due(write) {
			panic!("{INJECTED} after {write:?}");
		}
	}
}

async fn crashes() {
	let scenarios: usize =
		std::env::var("DPOR_CRASH_SCENARIOS").ok().and_then(|s| s.parse().ok()).unwrap_or(16);
	let net = Net::new([true; 4]);
	net.start();
	net.wait_finalized(2, Duration::from_secs(60)).await;
	let kinds = [Kind::Before, Kind::After, Kind::FailThenCrash, Kind::AfterOwnBlock];
	let mut crashed = 0;
	for s in 0..scenarios {
		let member = s % 4;
		let kind = kinds[(s / 4) % kinds.len()];
		// 1..=6 writes ahead: a height makes about three (PREPARE, COMMIT, the next height's
		// state), a finalisation and, at its leader, the record of its block, so this lands
		// on each of them over the scenarios.
		let countdown = 1 + (s * 7 / 3) % 6;
		let crash = Crash::new(countdown, kind);
		net.stop_voter(member);
		net.start_voter(member, Some(crash.clone()));
		wait_crashed(&net, member, Duration::from_secs(60), || {
			format!("scenario {s}: no crash; writes {:?}", crash.seen.lock())
		})
		.await;
		crashed += 1;
		let seen = crash.seen.lock().clone();
		eprintln!(
			"scenario {s}: member {member} crashed ({kind:?}, write {countdown}); writes {seen:?}"
		);
		// Then the chain must go on with it.
		restart_cut_off(&net, member).await;
		net.wait_all_advance(2, Duration::from_secs(90)).await;
		assert!(net.double_signs.lock().is_empty(), "{:?}", net.double_signs.lock());
	}
	assert_eq!(crashed, scenarios);
	stop_and_check(&net);
}

/// Loses everything the member sends from its first COMMIT for a block on (as if the batch
/// that casts it never left the node), and kills the member once it persists the next height:
/// it decided the height with its own COMMIT, which nobody else received.
struct DecidedThenCrash {
	net: Arc<Net>,
	member: usize,
	/// The height of the COMMIT that was lost.
	armed: Mutex<Option<Height>>,
}

impl WriteHook for DecidedThenCrash {
	fn before(&self, _write: Write) -> Result<(), String> {
		Ok(())
	}

	fn after(&self, write: Write) {
		let Write::VoterState { height, last_vote, .. } = write else { return };
		let armed = *self.armed.lock();
		match armed {
			None if last_vote.is_some_and(|(h, _, phase)| h == height && phase == Phase::Commit) => {
				let client = &self.net.nodes[self.member].client;
				// (A version 2 state: the term and signer only matter to a version 1 one.)
				let state = aux_schema::read_voter_state(&**client, 0, &|_| None).expect("reads");
				if state.and_then(|s| s.last_vote).is_some_and(|v| v.vote.block.is_some()) {
					// Still before the batch is sent: the outbox is flushed after it.
					self.net.mute(self.member);
					*self.armed.lock() = Some(height);
				}
			}
			Some(armed) if height > armed => panic!(
				"{INJECTED} after persisting height {height}, having decided {armed} with a COMMIT that never left"
			),
			_ => {}
		}
	}
}

async fn decided_then_crashed() {
	let net = Net::new([true; 4]);
	net.start();
	net.wait_finalized(2, Duration::from_secs(60)).await;
	let (member, down) = (0, 3);
	// Down: the three others need every one of their COMMIT votes for a quorum.
	net.stop_voter(down);
	net.stop_voter(member);
	let hook = Arc::new(DecidedThenCrash { net: net.clone(), member, armed: Mutex::new(None) });
	net.start_voter(member, Some(hook.clone()));
	wait_crashed(&net, member, Duration::from_secs(90), || {
		format!("no crash; lost COMMIT at {:?}", hook.armed.lock())
	})
	.await;
	let decided = hook.armed.lock().expect("it crashed after a lost COMMIT");
	let live = [0, 1, 2];
	assert!(
		live.iter().all(|&i| net.finalized(i) < decided),
		"#{decided} was finalised before the restart: the others had the COMMIT"
	);
	net.unmute(member);
	net.start_voter(member, None);
	let start = std::time::Instant::now();
	while live.iter().any(|&i| net.finalized(i) < decided + 2) {
		assert!(
			start.elapsed() < Duration::from_secs(60),
			"#{decided} and the next height not finalised by the three live members: {:?}",
			(0..4).map(|i| net.finalized(i)).collect::<Vec<_>>()
		);
		tokio::time::sleep(Duration::from_millis(100)).await;
	}
	// The member that was down catches up and votes again.
	net.start_voter(down, None);
	net.catch_up(down).await;
	net.wait_all_advance(2, Duration::from_secs(90)).await;
	stop_and_check(&net);
}

/// Kills the member right after it persists a vote at a height above the one after its
/// finalised head: it voted at `h + 1` while `h`, decided, was not final on its node yet.
struct VotedAheadThenCrash {
	net: Arc<Net>,
	member: usize,
	/// (the height voted at, the member's finalised height then).
	fired: Mutex<Option<(Height, u64)>>,
}

impl WriteHook for VotedAheadThenCrash {
	fn before(&self, _write: Write) -> Result<(), String> {
		Ok(())
	}

	fn after(&self, write: Write) {
		let Write::VoterState { height, last_vote: Some((voted, _, _)), .. } = write else {
			return;
		};
		let finalized = self.net.finalized(self.member);
		if voted == height && height > finalized + 1 {
			*self.fired.lock() = Some((height, finalized));
			panic!("{INJECTED} after voting at {height} with #{finalized} its last final block");
		}
	}
}

async fn voted_ahead_then_crashed() {
	let net = Net::new([true; 4]);
	net.start();
	net.wait_finalized(2, Duration::from_secs(60)).await;
	let member = 1;
	net.stop_voter(member);
	// Its pool holds every decided block back for longer than the next block takes to come,
	// so the member votes at h + 1 before it finalises h.
	*net.nodes[member].pool_wait.lock() =
		Duration::from_millis(2 * harness::BLOCK_TIME_MS + harness::BASE_TIMEOUT_MS);
	let hook = Arc::new(VotedAheadThenCrash { net: net.clone(), member, fired: Mutex::new(None) });
	net.start_voter(member, Some(hook.clone()));
	wait_crashed(&net, member, Duration::from_secs(90), || {
		"the member never voted ahead of its finality".into()
	})
	.await;
	let (voted, finalized) = hook.fired.lock().expect("it crashed after voting ahead");
	eprintln!("member {member} voted at {voted} and crashed with #{finalized} final");
	// Restarted with a prompt pool and cut off for longer than a view: whatever it signs
	// again at `voted - 1` or `voted` after its timeouts must agree with what it signed.
	*net.nodes[member].pool_wait.lock() = harness::POOL_WAIT;
	restart_cut_off(&net, member).await;
	net.wait_all_advance(2, Duration::from_secs(90)).await;
	stop_and_check(&net);
}

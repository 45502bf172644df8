//! A member behind the chain catches up by justifications: cut off for several heights, as
//! soon as it has the blocks; restarted, even when its chain is finalised before its voter
//! listens. Four real voters over the in-memory network of `harness`, each with a client of
//! the real runtime.
//!
//! A node that missed a height's votes can finalise it only with a justification, and only
//! the justification of a block on its finalised head (`import.rs`). Block import asks sync
//! for the next block to finalise only (`tests/runtime.rs`: a request for every block made
//! sync ask again without end); the voter asks for the blocks on its new finalised head each
//! time it finalises one (`Voter::request_next_justifications`). The first test guards the
//! outcome: a member five heights behind is final at the others' height within three block
//! times of getting the blocks. (It passes with that request of the voter disabled too: in
//! this harness, where nothing plays sync's retries, another path of the voter finds the
//! next block soon enough; see docs/dpor-engine.md.)

mod common;
mod harness;

use std::time::Duration;

use harness::Net;

fn runtime() -> tokio::runtime::Runtime {
	tokio::runtime::Builder::new_multi_thread()
		.worker_threads(2)
		.enable_all()
		.build()
		.expect("a runtime")
}

#[test]
fn a_member_behind_by_several_heights_catches_up_at_once() {
	let _serial = harness::SERIAL.lock();
	runtime().block_on(catch_up());
}

#[test]
fn a_member_whose_chain_is_finalised_before_its_voter_listens_still_follows_it() {
	let _serial = harness::SERIAL.lock();
	runtime().block_on(finalised_before_listening());
}

async fn catch_up() {
	let net = Net::new([true; 4]);
	net.start();
	net.wait_finalized(2, Duration::from_secs(60)).await;

	// Dave misses the votes (and blocks) of several heights; the other three are a quorum.
	let lag_heights = 5;
	let cut_off = Duration::from_millis(harness::BLOCK_TIME_MS * (lag_heights + 1));
	net.isolate(3, cut_off);
	tokio::time::sleep(cut_off).await;
	let behind = net.finalized(3);
	let top = (0..3).map(|i| net.finalized(i)).min().unwrap_or(0);
	assert!(top >= behind + 3, "Dave is not behind enough to test anything: {behind} vs {top}");

	// The partition heals: Dave gets the blocks, and must be final at the others' height
	// within a few block times (not one height per new block of the chain).
	net.catch_up(3).await;
	let deadline = std::time::Instant::now() + Duration::from_millis(harness::BLOCK_TIME_MS * 3);
	while net.finalized(3) < top && std::time::Instant::now() < deadline {
		tokio::time::sleep(Duration::from_millis(50)).await;
	}
	let caught_up = net.finalized(3);
	net.stop();
	assert!(
		caught_up >= top,
		"Dave finalised {caught_up} within three block times of getting the blocks; the others were at {top} (it was at {behind})"
	);
	net.assert_one_chain();
}

/// A voter reads the finalised head when it starts, asks sync for the justification of the
/// block on it, and only then listens for finality. A member restarted behind the chain whose
/// first request is answered in between (here: before the request returns, as a sync holding
/// the answer may) must not wait for a notification that was sent to nobody: it saw the
/// chain stay where it was and asked, on every tick, for a justification its node refuses
/// as outdated (the stall of about 1 run in 10 of the test of `tests/crash.rs` that restarts
/// a member down for the whole scenario; this test makes it happen every time).
async fn finalised_before_listening() {
	let net = Net::new([true; 4]);
	net.start();
	net.wait_finalized(2, Duration::from_secs(60)).await;
	net.stop_voter(3);
	let stopped_at = net.finalized(3);
	let start = std::time::Instant::now();
	while (0..3).any(|i| net.finalized(i) < stopped_at + 3) {
		assert!(start.elapsed() < Duration::from_secs(60), "the three others do not go on");
		tokio::time::sleep(Duration::from_millis(50)).await;
	}
	// Down, Dave's node still imported the blocks the others relayed; nothing finalised them.
	assert_eq!(net.finalized(3), stopped_at, "Dave's node finalised blocks without its voter");
	net.answer_justification_requests_at_once(3);
	net.start_voter(3, None);
	net.wait_all_advance(2, Duration::from_secs(30)).await;
	net.stop();
	net.assert_one_chain();
}

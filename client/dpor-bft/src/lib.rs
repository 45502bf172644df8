//! # DPoR's BFT core
//!
//! A committee of `n` members agrees on one block per height, and finalises it before the next
//! height starts. The algorithm is Tendermint's (Buchman, Kwon, Milosevic, 2018) in the
//! vocabulary of CPChain's LBFT: at height `h` and view `v` the leader is member
//! `(h + v) mod n`; it proposes a block, members vote in two phases, PREPARE (prevote) and
//! COMMIT (precommit), and a quorum `q = n - ⌊(n - 1) / 3⌋` of COMMIT votes for one block
//! finalises it, those votes being the justification. A member that sees a quorum of PREPARE
//! votes for a block *locks* on it and from then on prepares only that block, unless a later
//! quorum of PREPARE votes unlocks it: this is what keeps two blocks from ever being finalised
//! at one height, across view changes too. A silent, late or invalid leader is voted out (the
//! impeachment) by timeouts that grow linearly with the view; `⌊(n - 1) / 3⌋ + 1` votes of a
//! later view pull a member forward.
//!
//! The core is a pure state machine: [`Core::on_event`] takes an [`Event`] (a checked proposal,
//! a vote whose signature the caller verified, a built block, a timeout) and returns
//! [`Action`]s (persist the voter state, broadcast, build a block, schedule a timeout, finalise,
//! report an equivocation). It owns no clock, network, keys or storage, so it runs unchanged in
//! the node and in the seeded network simulator of its tests.
//!
//! The caller must perform [`Action::Persist`] before any broadcast that follows it in the same
//! action list: a member restarted from its last persisted [`VoterState`] never signs two
//! different votes for one height, view and phase.
//!
//! Votes travel signed ([`Signed`]): the caller verifies every signature before a vote reaches
//! the core, and gives the core a [`Signer`] for its own votes. The signature is opaque to the
//! core, which keeps the signed vote it counted and hands exactly those back, so that a
//! justification ([`Action::Finalize`]), a re-proposal's PREPARE quorum and an equivocation
//! proof ([`Action::Equivocation`]) carry the signatures of the votes that made them.
//!
//! The vocabulary ([`Height`], [`View`], [`MemberIndex`], [`Phase`], [`leader`], [`quorum`]) is
//! the one of the whole chain: `cpchain-primitives` re-exports it (with SCALE encoding, feature
//! `codec`), so the runtime and the engine compute the same leader and quorum.
#![cfg_attr(not(feature = "std"), no_std)]
#![deny(missing_docs)]

extern crate alloc;

mod core;
mod types;
mod votes;

pub use crate::core::{Core, MAX_VIEWS_AHEAD};
pub use types::*;

/// The quorum of a committee of `n`: `n - ⌊(n - 1) / 3⌋` (2f + 1 for n = 3f + 1; 1 for n = 1).
pub fn quorum(n: u32) -> u32 {
	n - n.saturating_sub(1) / 3
}

/// How many faulty members a committee of `n` tolerates: `⌊(n - 1) / 3⌋`.
pub fn max_faulty(n: u32) -> u32 {
	n.saturating_sub(1) / 3
}

/// The leader of height `height` at view `view` in a committee of `n` (n > 0).
pub fn leader(height: Height, view: View, n: u32) -> MemberIndex {
	let n = u64::from(n.max(1));
	((height % n + u64::from(view) % n) % n) as MemberIndex
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn quorums_intersect_in_an_honest_member() {
		for n in 1..=100u32 {
			let (q, f) = (quorum(n), max_faulty(n));
			assert!(2 * q > n + f, "two quorums share more than f members (n = {n})");
			assert!(q + f <= n, "the honest members alone form a quorum (n = {n})");
		}
		assert_eq!((quorum(1), quorum(4), quorum(7), quorum(10)), (1, 3, 5, 7));
	}

	#[test]
	fn leaders_rotate_with_height_and_view() {
		assert_eq!(leader(0, 0, 4), 0);
		assert_eq!(leader(5, 0, 4), 1);
		assert_eq!(leader(5, 2, 4), 3);
		assert_eq!(
			leader(u64::MAX, u32::MAX, 7),
			((u64::MAX % 7 + u64::from(u32::MAX) % 7) % 7) as u32
		);
	}

	/// Signs nothing (timeouts need no signature).
	struct NoKey;

	impl Signer<u8> for NoKey {
		type Signature = ();
		fn sign(&self, _: &Vote<u8>) -> Option<()> {
			None
		}
	}

	#[test]
	fn timeouts_grow_linearly_with_the_view_and_never_overflow() {
		let core = Core::new(4, Some(0), 6_000, VoterState::at(1), NoKey);
		assert_eq!(core.timeout(0), 6_000);
		assert_eq!(core.timeout(1), 12_000);
		assert_eq!(core.timeout(10), 66_000, "66 s at view 10, not 102 minutes");
		assert_eq!(core.timeout(u32::MAX), 6_000 * (u64::from(u32::MAX) + 1));
		let huge = Core::new(4, Some(0), u64::MAX, VoterState::at(1), NoKey);
		assert_eq!(huge.timeout(3), u64::MAX);
	}
}

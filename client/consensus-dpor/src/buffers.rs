//! The voter's bounded buffers of gossip messages, and the one view window that the core, the
//! gossip validator and the worker share.
//!
//! Every message a buffer keeps has a *slot*: a proposal the slot of its view, a vote the slot
//! of its (view, phase, voter). A slot holds one message and the first one stays, so what one
//! member can occupy is bounded by the slots it may sign for: a leader the views it leads, a
//! voter its own votes. Views are bounded by the window: at most [`VIEW_WINDOW`] views past
//! the core's current view (and, for proposals still waiting for their block, as many before
//! it), because the core itself ignores anything further ahead. Bounds, for a committee of
//! `n`, with `W` = [`VIEW_WINDOW`]:
//!
//! - proposals waiting for their block: at most `2W + 1` (one per view);
//! - messages of the next height (checked before they are kept): at most `(W + 1)(2n + 1)`,
//!   proposals and votes of views `0..=W`;
//! - votes of the current height: those of views up to `view + W`, one per (view, phase,
//!   voter), i.e. at most `2n` per view; views below the current one grow only as views
//!   time out.

use std::collections::BTreeMap;

use cpchain_dpor_bft::{View, MAX_VIEWS_AHEAD};
use cpchain_primitives::consensus::{DporMessage, MemberIndex, Phase, SignedProposal};

/// How many views past the current one a message may be for and still be kept or relayed:
/// the core's own bound.
pub const VIEW_WINDOW: View = MAX_VIEWS_AHEAD;

/// Whether a message for `view` is inside the window of a voter at `current`.
pub fn within_window(view: View, current: View) -> bool {
	view <= current.saturating_add(VIEW_WINDOW)
}

/// The slot of a message within one height.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum Slot {
	/// The proposal of a view (signed by the view's leader).
	Proposal(View),
	/// A vote: view, phase and voter.
	Vote(View, Phase, MemberIndex),
}

impl Slot {
	/// The slot of `message`.
	pub fn of(message: &DporMessage) -> Self {
		match message {
			DporMessage::Proposal(p) => Self::Proposal(p.data.view),
			DporMessage::Vote(v) => Self::Vote(v.data.view, v.data.phase, v.voter),
		}
	}

	/// The view of the slot.
	pub fn view(&self) -> View {
		match self {
			Self::Proposal(view) | Self::Vote(view, ..) => *view,
		}
	}
}

/// What happened to a message offered to a buffer.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Offered {
	/// Kept.
	Kept,
	/// The same message is kept already.
	Duplicate,
	/// Its slot holds another message (the first one stays).
	SlotTaken,
	/// Outside the view window.
	OutOfWindow,
}

/// Proposals of the current height whose block is not imported yet: one per view, for views
/// within [`VIEW_WINDOW`] of the core's view on either side.
#[derive(Default)]
pub struct PendingProposals {
	by_view: BTreeMap<View, SignedProposal>,
}

impl PendingProposals {
	/// Offers `proposal` (already checked: its signer leads its view) at core view `current`.
	pub fn offer(&mut self, proposal: SignedProposal, current: View) -> Offered {
		let view = proposal.data.view;
		if !within_window(view, current) || view < current.saturating_sub(VIEW_WINDOW) {
			return Offered::OutOfWindow;
		}
		match self.by_view.get(&view) {
			Some(kept) if *kept == proposal => Offered::Duplicate,
			Some(_) => Offered::SlotTaken,
			None => {
				self.by_view.insert(view, proposal);
				Offered::Kept
			}
		}
	}

	/// Takes every kept proposal, in view order.
	pub fn take(&mut self) -> Vec<SignedProposal> {
		std::mem::take(&mut self.by_view).into_values().collect()
	}

	/// Puts back a proposal taken by [`PendingProposals::take`] whose block is still missing,
	/// unless the core's view `current` has moved past the window.
	pub fn put_back(&mut self, proposal: SignedProposal, current: View) {
		let _ = self.offer(proposal, current);
	}

	/// Forgets everything (a new height).
	pub fn clear(&mut self) {
		self.by_view.clear();
	}

	/// How many proposals are kept.
	pub fn len(&self) -> usize {
		self.by_view.len()
	}

	/// Whether none is kept.
	pub fn is_empty(&self) -> bool {
		self.by_view.is_empty()
	}
}

/// Messages of the next height, kept (checked) until the voter gets there: one per slot, for
/// views `0..=VIEW_WINDOW` (a height starts at view 0).
#[derive(Default)]
pub struct FutureMessages {
	by_slot: BTreeMap<Slot, DporMessage>,
}

impl FutureMessages {
	/// Offers `message` (already checked against the next height's committee).
	pub fn offer(&mut self, message: DporMessage) -> Offered {
		let slot = Slot::of(&message);
		if !within_window(slot.view(), 0) {
			return Offered::OutOfWindow;
		}
		match self.by_slot.get(&slot) {
			Some(kept) if *kept == message => Offered::Duplicate,
			Some(_) => Offered::SlotTaken,
			None => {
				self.by_slot.insert(slot, message);
				Offered::Kept
			}
		}
	}

	/// Takes every kept message: proposals first, then votes, each in view order.
	pub fn take(&mut self) -> Vec<DporMessage> {
		std::mem::take(&mut self.by_slot).into_values().collect()
	}

	/// How many messages are kept.
	pub fn len(&self) -> usize {
		self.by_slot.len()
	}

	/// Whether none is kept.
	pub fn is_empty(&self) -> bool {
		self.by_slot.is_empty()
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use cpchain_primitives::consensus::{AuthorityPair, ProposalData, SignedVote, VoteData};
	use sp_core::{Pair, H256};

	fn proposal(view: View, block: u8) -> SignedProposal {
		let pair = AuthorityPair::from_seed(&[1; 32]);
		let data = ProposalData {
			term: 1,
			height: 9,
			view,
			block: H256::repeat_byte(block),
			valid_view: None,
		};
		let signature = pair.sign(&data.signing_payload(&H256::zero()));
		SignedProposal { data, justification: Vec::new(), proposer: 0, signature }
	}

	fn vote(view: View, voter: MemberIndex, block: u8) -> DporMessage {
		let pair = AuthorityPair::from_seed(&[1; 32]);
		let data = VoteData {
			term: 1,
			height: 10,
			view,
			phase: Phase::Prepare,
			block: Some(H256::repeat_byte(block)),
		};
		let signature = pair.sign(&data.signing_payload(&H256::zero()));
		DporMessage::Vote(SignedVote { data, voter, signature })
	}

	#[test]
	fn a_leader_flooding_proposals_occupies_only_its_own_views() {
		// A byzantine member leads every 4th view of a committee of 4 and signs proposals for
		// random blocks in each view it leads, several per view, far ahead too.
		let mut pending = PendingProposals::default();
		for view in (1..10_000).step_by(4) {
			for block in 0..3u8 {
				let _ = pending.offer(proposal(view, 100 + block), 0);
			}
		}
		assert!(pending.len() <= (VIEW_WINDOW as usize) / 4 + 1, "{} kept", pending.len());
		// The honest leaders' proposals of views 0, 2 and 3 still find their slots.
		let honest = proposal(0, 7);
		assert_eq!(pending.offer(honest.clone(), 0), Offered::Kept);
		for view in [2, 3] {
			assert_eq!(pending.offer(proposal(view, 7), 0), Offered::Kept);
		}
		// One proposal per view: a second, different one for view 1 is not kept; the same
		// one again (gossip delivers it twice) is a duplicate.
		assert_eq!(pending.offer(proposal(1, 8), 0), Offered::SlotTaken);
		assert_eq!(pending.offer(honest, 0), Offered::Duplicate);
	}

	#[test]
	fn pending_proposals_stay_within_the_window_as_views_move() {
		let mut pending = PendingProposals::default();
		assert_eq!(pending.offer(proposal(VIEW_WINDOW + 1, 1), 0), Offered::OutOfWindow);
		assert_eq!(pending.offer(proposal(VIEW_WINDOW, 1), 0), Offered::Kept);
		assert_eq!(pending.offer(proposal(3, 1), 0), Offered::Kept);
		// The core moved on: what is too old is not put back.
		let current = 3 + VIEW_WINDOW + 1;
		for p in pending.take() {
			pending.put_back(p, current);
		}
		let views: Vec<View> = pending.take().iter().map(|p| p.data.view).collect();
		assert_eq!(views, vec![VIEW_WINDOW]);
		// The most one height can hold.
		for view in 0..10 * VIEW_WINDOW {
			let _ = pending.offer(proposal(view, 1), 2 * VIEW_WINDOW);
		}
		assert_eq!(pending.len(), 2 * VIEW_WINDOW as usize + 1);
	}

	#[test]
	fn next_height_messages_are_one_per_slot_within_the_window() {
		let mut future = FutureMessages::default();
		// A member floods votes for every view and block it can think of.
		for view in 0..1_000 {
			for block in 0..4u8 {
				let _ = future.offer(vote(view, 3, block));
			}
		}
		assert_eq!(future.len(), VIEW_WINDOW as usize + 1, "one per view of the window");
		// Other members' votes and the leaders' proposals still have their slots.
		assert_eq!(future.offer(vote(0, 1, 9)), Offered::Kept);
		assert_eq!(future.offer(DporMessage::Proposal(proposal(0, 9))), Offered::Kept);
		assert_eq!(future.offer(vote(0, 3, 9)), Offered::SlotTaken, "the first vote stays");
		// Proposals come out first.
		assert!(matches!(future.take().first(), Some(DporMessage::Proposal(_))));
		assert!(future.is_empty());
	}

	#[test]
	fn the_window_follows_the_current_view() {
		assert!(within_window(0, 0));
		assert!(within_window(VIEW_WINDOW, 0));
		assert!(!within_window(VIEW_WINDOW + 1, 0));
		assert!(within_window(u32::MAX, u32::MAX - 1));
		assert!(!within_window(u32::MAX, 0));
	}
}

//! The core's vocabulary: heights, views, votes, proposals, events and actions.

use alloc::vec::Vec;
/// A block height: the core finalises exactly one block per height.
pub type Height = u64;
/// A view (round) within a height; each view has its own leader.
pub type View = u32;
/// A member's position in the height's committee.
pub type MemberIndex = u32;

/// The two voting phases.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(
	feature = "codec",
	derive(
		codec::Encode,
		codec::Decode,
		codec::DecodeWithMemTracking,
		codec::MaxEncodedLen,
		scale_info::TypeInfo
	)
)]
pub enum Phase {
	/// First phase (prevote): "this proposal is valid and I am not locked on another".
	#[cfg_attr(feature = "codec", codec(index = 0))]
	Prepare,
	/// Second phase (precommit): "a quorum prepared this block"; a quorum of these finalises.
	#[cfg_attr(feature = "codec", codec(index = 1))]
	Commit,
}

/// Where a member is within a view.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
	/// Waiting for the leader's proposal.
	Propose,
	/// Prepared; waiting for a quorum of PREPARE votes.
	Prepare,
	/// Committed (or committed to nothing); waiting for a quorum of COMMIT votes.
	Commit,
}

/// What a member votes. `block: None` is a vote for nothing (the leader failed this view).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Vote<B> {
	/// The height.
	pub height: Height,
	/// The view.
	pub view: View,
	/// The phase.
	pub phase: Phase,
	/// The block voted for, or `None`.
	pub block: Option<B>,
	/// The voter's committee index.
	pub voter: MemberIndex,
}

/// A vote with its voter's signature. The core never looks into the signature: the caller
/// verifies it before the vote reaches the core (and signs the core's own votes, through
/// [`Signer`]), and the core hands back exactly the signed votes it counted, in
/// justifications, re-proposals and equivocation proofs.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Signed<B, S> {
	/// The vote.
	pub vote: Vote<B>,
	/// The voter's signature over it.
	pub signature: S,
}

/// Signs this member's votes for the core.
pub trait Signer<B> {
	/// The signature.
	type Signature: Clone + Eq + core::fmt::Debug;

	/// This member's signature over `vote`, or `None` if it cannot sign (then the core does
	/// not vote: a vote it cannot prove is not sent, counted or remembered).
	fn sign(&self, vote: &Vote<B>) -> Option<Self::Signature>;
}

/// A leader's proposal.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Proposal<B, S> {
	/// The height.
	pub height: Height,
	/// The view.
	pub view: View,
	/// The proposed block.
	pub block: B,
	/// The view in which a quorum prepared this block, if the leader re-proposes a block it
	/// saw prepared (it must, to unlock members locked in earlier views).
	pub valid_view: Option<View>,
	/// With `valid_view`: the quorum of PREPARE votes for the block at that view (the proof
	/// that unlocks members locked earlier; empty otherwise). Members cannot rely on having
	/// seen those votes themselves: a byzantine member may have sent each of them a
	/// different vote.
	pub justification: Vec<Signed<B, S>>,
	/// The proposer's committee index.
	pub proposer: MemberIndex,
}

/// A block prepared by a quorum at a view, with the quorum's PREPARE votes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Prepared<B, S> {
	/// The view.
	pub view: View,
	/// The block.
	pub block: B,
	/// The signed PREPARE votes.
	pub votes: Vec<Signed<B, S>>,
}

/// What members send each other.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Message<B, S> {
	/// A proposal.
	Proposal(Proposal<B, S>),
	/// A signed vote.
	Vote(Signed<B, S>),
}

impl<B, S> Message<B, S> {
	/// The message's height and view.
	pub fn position(&self) -> (Height, View) {
		match self {
			Message::Proposal(p) => (p.height, p.view),
			Message::Vote(v) => (v.vote.height, v.vote.view),
		}
	}
}

/// What happens to the core.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event<B, S> {
	/// A proposal the caller has checked: signed by its proposer, every vote of its
	/// justification signed by its voter, the block well-formed and built on the finalised
	/// head. (Invalid proposals are dropped by the caller; the view's timeout then votes the
	/// leader out.)
	Proposal(Proposal<B, S>),
	/// A vote whose signature the caller verified against the voter's committee key.
	Vote(Signed<B, S>),
	/// The block that [`Action::BuildBlock`] asked for.
	BlockBuilt {
		/// The height it was asked for.
		height: Height,
		/// The view it was asked for.
		view: View,
		/// The block.
		block: B,
	},
	/// The chain finalised `height` without this core (block sync imported the block with its
	/// justification): move on to the next height.
	Synced {
		/// The finalised height.
		height: Height,
	},
	/// Time to re-send: the caller sends this periodically (about every base timeout), and the
	/// core re-broadcasts its own proposal and votes of the latest views of this height (the
	/// same signed messages, nothing new). Gossip loses messages to members that restart or
	/// lag; without re-sending, two members can each wait forever for the other's vote.
	Tick,
	/// A timeout that [`Action::ScheduleTimeout`] asked for has expired.
	Timeout {
		/// Its height.
		height: Height,
		/// Its view.
		view: View,
		/// The step it guards.
		step: Step,
	},
}

/// What the caller must do, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action<B, S> {
	/// Store the voter state durably before performing any later action of the list.
	Persist(VoterState<B, S>),
	/// Send to every member (and deliver to this core too if it is one: the core has already
	/// counted its own votes). Votes come signed; the caller signs a proposal itself.
	Broadcast(Message<B, S>),
	/// Build a block on the finalised head for this height and view, then report it with
	/// [`Event::BlockBuilt`].
	BuildBlock {
		/// The height.
		height: Height,
		/// The view.
		view: View,
	},
	/// Report [`Event::Timeout`] after this many milliseconds.
	ScheduleTimeout {
		/// The height.
		height: Height,
		/// The view.
		view: View,
		/// The step it guards.
		step: Step,
		/// The delay.
		after_ms: u64,
	},
	/// The block is final at this height; the votes are its justification: a quorum of
	/// signed COMMIT votes for it at one view from distinct members, in voter order, exactly
	/// the votes the core counted.
	Finalize {
		/// The height.
		height: Height,
		/// The block.
		block: B,
		/// The signed COMMIT votes.
		justification: Vec<Signed<B, S>>,
	},
	/// A member signed two different votes for one height, view and phase: both signed votes,
	/// the proof.
	Equivocation {
		/// The vote seen first.
		first: Signed<B, S>,
		/// The conflicting vote.
		second: Signed<B, S>,
	},
}

/// What a member must remember across restarts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VoterState<B, S> {
	/// The height being decided.
	pub height: Height,
	/// The current view.
	pub view: View,
	/// The step within the view.
	pub step: Step,
	/// The block this member is locked on, with the view of the lock.
	pub locked: Option<(View, B)>,
	/// The latest block this member saw prepared by a quorum, with the votes.
	pub valid: Option<Prepared<B, S>>,
	/// The last vote this member signed: it never signs another for the same or an earlier
	/// (height, view, phase), and re-sends this one (the same signed message) after a restart.
	pub last_vote: Option<Signed<B, S>>,
	/// The last proposal this member made as a leader: after a restart it re-sends it rather
	/// than propose a second block for the same view.
	pub last_proposal: Option<Proposal<B, S>>,
}

impl<B, S> VoterState<B, S> {
	/// The state of a member that starts at `height` (view 0, nothing locked).
	pub fn at(height: Height) -> Self {
		Self {
			height,
			view: 0,
			step: Step::Propose,
			locked: None,
			valid: None,
			last_vote: None,
			last_proposal: None,
		}
	}
}

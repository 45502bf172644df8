//! The votes of one height: at most one per (view, phase, voter), conflicting ones reported.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use crate::types::{MemberIndex, Phase, View, Vote};

/// What adding a vote did.
pub(crate) enum Added<B> {
	/// A new vote.
	New,
	/// The same vote again.
	Duplicate,
	/// The voter had voted differently: the first vote.
	Conflict(Vote<B>),
}

/// The votes of the current height.
pub(crate) struct VoteBook<B> {
	votes: BTreeMap<(View, Phase), BTreeMap<MemberIndex, Option<B>>>,
}

impl<B: Clone + Eq> VoteBook<B> {
	pub(crate) fn new() -> Self {
		Self { votes: BTreeMap::new() }
	}

	/// Adds `vote` (for the book's height).
	pub(crate) fn add(&mut self, vote: &Vote<B>) -> Added<B> {
		let by_voter = self.votes.entry((vote.view, vote.phase)).or_default();
		match by_voter.get(&vote.voter) {
			None => {
				by_voter.insert(vote.voter, vote.block.clone());
				Added::New
			}
			Some(block) if *block == vote.block => Added::Duplicate,
			Some(block) => Added::Conflict(Vote { block: block.clone(), ..vote.clone() }),
		}
	}

	/// Votes in `view`/`phase` for `block` (`None`: for nothing).
	pub(crate) fn count(&self, view: View, phase: Phase, block: &Option<B>) -> u32 {
		self.votes
			.get(&(view, phase))
			.map_or(0, |v| v.values().filter(|b| *b == block).count() as u32)
	}

	/// Votes in `view`/`phase`, for anything.
	pub(crate) fn count_any(&self, view: View, phase: Phase) -> u32 {
		self.votes.get(&(view, phase)).map_or(0, |v| v.len() as u32)
	}

	/// Distinct voters of `view`, in either phase.
	pub(crate) fn voters(&self, view: View) -> u32 {
		let mut voters: Vec<MemberIndex> = [Phase::Prepare, Phase::Commit]
			.iter()
			.filter_map(|p| self.votes.get(&(view, *p)))
			.flat_map(|v| v.keys().copied())
			.collect();
		voters.sort_unstable();
		voters.dedup();
		voters.len() as u32
	}

	/// The views that have votes, in order.
	pub(crate) fn views(&self) -> Vec<View> {
		let mut views: Vec<View> = self.votes.keys().map(|(v, _)| *v).collect();
		views.dedup();
		views
	}

	/// The votes of `view`/`phase` for `block`.
	pub(crate) fn votes_for(
		&self,
		height: u64,
		view: View,
		phase: Phase,
		block: &B,
	) -> Vec<Vote<B>> {
		self.votes.get(&(view, phase)).map_or_else(Vec::new, |votes| {
			votes
				.iter()
				.filter(|(_, b)| b.as_ref() == Some(block))
				.map(|(voter, b)| Vote { height, view, phase, block: b.clone(), voter: *voter })
				.collect()
		})
	}

	/// A block with at least `quorum` COMMIT votes in `view`, with those votes.
	pub(crate) fn committed(
		&self,
		height: u64,
		view: View,
		quorum: u32,
	) -> Option<(B, Vec<Vote<B>>)> {
		let votes = self.votes.get(&(view, Phase::Commit))?;
		let blocks: Vec<&B> = votes.values().flatten().collect();
		blocks.into_iter().find_map(|block| {
			let justification = self.votes_for(height, view, Phase::Commit, block);
			(justification.len() as u32 >= quorum).then(|| (block.clone(), justification))
		})
	}
}

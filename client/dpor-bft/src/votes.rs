//! The votes of one height: at most one signed vote per (view, phase, voter), conflicting ones
//! reported with both signatures.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use crate::types::{MemberIndex, Phase, Signed, View, Vote};

/// What adding a vote did.
pub(crate) enum Added<B, S> {
	/// A new vote.
	New,
	/// The same vote again (its signature may differ: signatures can be randomised).
	Duplicate,
	/// The voter had voted differently: its first signed vote.
	Conflict(Signed<B, S>),
}

/// The signed votes of the current height: the first one of each (view, phase, voter).
pub(crate) struct VoteBook<B, S> {
	votes: BTreeMap<(View, Phase), BTreeMap<MemberIndex, (Option<B>, S)>>,
}

impl<B: Clone + Eq, S: Clone> VoteBook<B, S> {
	pub(crate) fn new() -> Self {
		Self { votes: BTreeMap::new() }
	}

	/// How many votes are held.
	pub(crate) fn len(&self) -> usize {
		self.votes.values().map(BTreeMap::len).sum()
	}

	/// Adds `signed` (for the book's height).
	pub(crate) fn add(&mut self, signed: &Signed<B, S>) -> Added<B, S> {
		let vote = &signed.vote;
		let by_voter = self.votes.entry((vote.view, vote.phase)).or_default();
		match by_voter.get(&vote.voter) {
			None => {
				by_voter.insert(vote.voter, (vote.block.clone(), signed.signature.clone()));
				Added::New
			}
			Some((block, _)) if *block == vote.block => Added::Duplicate,
			Some((block, signature)) => Added::Conflict(Signed {
				vote: Vote { block: block.clone(), ..vote.clone() },
				signature: signature.clone(),
			}),
		}
	}

	/// Votes in `view`/`phase` for `block` (`None`: for nothing).
	pub(crate) fn count(&self, view: View, phase: Phase, block: &Option<B>) -> u32 {
		self.votes
			.get(&(view, phase))
			.map_or(0, |v| v.values().filter(|(b, _)| b == block).count() as u32)
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

	/// The signed votes of `view`/`phase` for `block`, in voter order.
	pub(crate) fn votes_for(
		&self,
		height: u64,
		view: View,
		phase: Phase,
		block: &B,
	) -> Vec<Signed<B, S>> {
		self.votes.get(&(view, phase)).map_or_else(Vec::new, |votes| {
			votes
				.iter()
				.filter(|(_, (b, _))| b.as_ref() == Some(block))
				.map(|(voter, (b, signature))| Signed {
					vote: Vote { height, view, phase, block: b.clone(), voter: *voter },
					signature: signature.clone(),
				})
				.collect()
		})
	}

	/// A block with at least `quorum` COMMIT votes in `view`, with those signed votes.
	pub(crate) fn committed(
		&self,
		height: u64,
		view: View,
		quorum: u32,
	) -> Option<(B, Vec<Signed<B, S>>)> {
		let votes = self.votes.get(&(view, Phase::Commit))?;
		let blocks: Vec<&B> = votes.values().filter_map(|(b, _)| b.as_ref()).collect();
		blocks.into_iter().find_map(|block| {
			let justification = self.votes_for(height, view, Phase::Commit, block);
			(justification.len() as u32 >= quorum).then(|| (block.clone(), justification))
		})
	}
}

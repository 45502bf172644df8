//! A byzantine member, to test the honest ones on a real network (cargo feature `byzantine`;
//! never in a build anybody runs as a member). The feature alone changes nothing: a member
//! misbehaves only if its process has `CPCHAIN_DPOR_BYZANTINE=1` in its environment. Then its
//! voter, besides everything an honest voter does,
//!
//! - signs a second, conflicting vote for every vote it sends (for nothing if the vote is for
//!   a block, for a block that does not exist otherwise) and sends both: equivocation, which
//!   the honest members report and the chain slashes;
//! - on every tick, signs and sends proposals for blocks that do not exist in every view it
//!   leads within the window of the current view, at this height and the next: the flood
//!   that once halted the chain (defect 1 of the review);
//! - on every tick, sends next-height votes with signatures that do not verify: the junk
//!   that once filled the next-height buffer (defect 3).
//!
//! `zombienet/byzantine.zndsl` runs it as Dave (`scripts/zombienet.sh byzantine`).

use codec::Encode;
use cpchain_dpor_bft::{View, Vote};
use cpchain_primitives::consensus::{
	leader, AuthoritySignature, DporMessage, ProposalData, SignedProposal, SignedVote, VoteData,
};
use sc_client_api::Backend;
use sc_consensus::BlockImport;
use sp_consensus::Environment;
use sp_core::H256;
use sp_runtime::traits::Block as BlockT;

use super::Voter;
use crate::{buffers::VIEW_WINDOW, DporClient, LOG_TARGET};

/// The environment variable that turns a member built with the feature byzantine.
pub const ENV: &str = "CPCHAIN_DPOR_BYZANTINE";

/// Next-height junk messages per tick.
const JUNK_PER_TICK: u32 = 64;

/// Whether this process plays the byzantine member.
pub fn enabled() -> bool {
	std::env::var(ENV).is_ok_and(|v| v == "1")
}

/// A block hash nobody built: the n-th of this member's inventions.
fn invented(n: u64) -> H256 {
	<sp_runtime::traits::BlakeTwo256 as sp_runtime::traits::Hash>::hash(
		&(b"cpchain/dpor/byzantine", n).encode(),
	)
}

impl<B, C, BE, E, I> Voter<B, C, BE, E, I>
where
	B: BlockT<Hash = H256>,
	BE: Backend<B>,
	C: DporClient<B, BE>,
	E: Environment<B> + Send + 'static,
	I: BlockImport<B> + Clone + Send + Sync + 'static,
{
	/// Beside `vote`, which it sends: a conflicting vote of the same (height, view, phase).
	pub(super) fn byzantine_equivocate(&mut self, vote: &Vote<H256>) {
		if !self.byzantine {
			return;
		}
		self.invented = self.invented.wrapping_add(1);
		let block = match vote.block {
			Some(_) => None,
			None => Some(invented(self.invented)),
		};
		let data = VoteData {
			term: self.rules.committee.term,
			height: vote.height,
			view: vote.view,
			phase: vote.phase,
			block,
		};
		let Some(signature) = self.sign(&data.signing_payload(&self.genesis)) else { return };
		log::debug!(target: LOG_TARGET, "byzantine: a second {:?} vote at {}/{}", vote.phase, vote.height, vote.view);
		self.outbox.push(DporMessage::Vote(SignedVote { data, voter: vote.voter, signature }));
	}

	/// The tick's flood: proposals for invented blocks in every view this member leads within
	/// the window, at this height and the next, and unsigned next-height votes.
	pub(super) fn byzantine_flood(&mut self) {
		if !self.byzantine {
			return;
		}
		let Some((me, _)) = self.me.clone() else { return };
		let n = self.rules.committee.members.len() as u32;
		let from: View = self.core.state().view;
		let mut sent = 0;
		for height in [self.height, self.height.saturating_add(1)] {
			for view in from..from.saturating_add(VIEW_WINDOW) {
				if leader(height, view, n) != me {
					continue;
				}
				self.invented = self.invented.wrapping_add(1);
				let data = ProposalData {
					term: self.rules.committee.term,
					height,
					view,
					block: invented(self.invented),
					valid_view: None,
				};
				let Some(signature) = self.sign(&data.signing_payload(&self.genesis)) else {
					return;
				};
				self.outbox.push(DporMessage::Proposal(SignedProposal {
					data,
					justification: Vec::new(),
					proposer: me,
					signature,
				}));
				sent += 1;
			}
		}
		for voter in 0..JUNK_PER_TICK {
			self.invented = self.invented.wrapping_add(1);
			let data = VoteData {
				term: self.rules.committee.term,
				height: self.height.saturating_add(1),
				view: voter,
				phase: cpchain_dpor_bft::Phase::Prepare,
				block: Some(invented(self.invented)),
			};
			let signature =
				AuthoritySignature::from(sp_core::sr25519::Signature::from_raw([7u8; 64]));
			self.outbox.push(DporMessage::Vote(SignedVote { data, voter: voter % n, signature }));
		}
		log::debug!(target: LOG_TARGET, "byzantine: {sent} proposals of invented blocks and {JUNK_PER_TICK} unsigned votes");
	}
}

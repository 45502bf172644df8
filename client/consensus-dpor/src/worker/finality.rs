//! Finality: a height the core decided becomes a justification (the signatures of the COMMIT
//! quorum the core counted, checked before anything is finalised) and, once the transaction
//! pool has seen the block, the client's finalised head; a height decided before a restart is
//! finished from the justification stored with the next height's state.

use cpchain_primitives::consensus::{DporJustification, DporMessage, Height, SignedVote};
use sc_client_api::Backend;
use sc_consensus::BlockImport;
use sp_consensus::Environment;
use sp_core::H256;
use sp_runtime::traits::Block as BlockT;

use super::{Error, Voter, Write};
use crate::{
	aux_schema, chain::ChildRules, justification, messages::CoreVote, DporClient, LOG_TARGET,
};

impl<B, C, BE, E, I> Voter<B, C, BE, E, I>
where
	B: BlockT<Hash = H256>,
	BE: Backend<B>,
	C: DporClient<B, BE>,
	E: Environment<B> + Send + 'static,
	I: BlockImport<B> + Clone + Send + Sync + 'static,
{
	/// The core decided `block` at `height` with the signed COMMIT votes `quorum` (one per
	/// member, in member order): queues its finality with their signatures, if they make a
	/// justification any node accepts (a check kept although the core hands out exactly the
	/// verified votes it counted: this node must never finalise what it cannot prove), and
	/// keeps the justification for the next write of the voter state.
	pub(super) fn on_decided(&mut self, height: Height, block: H256, quorum: &[CoreVote]) {
		let justification = DporJustification {
			term: self.rules.committee.term,
			height,
			view: quorum.first().map(|v| v.vote.view).unwrap_or(0),
			block,
			signatures: quorum.iter().map(|v| (v.vote.voter, v.signature.clone())).collect(),
		};
		match justification::verify(
			&justification,
			block,
			height,
			&self.rules.committee,
			&self.genesis,
		) {
			Ok(()) => {
				self.decided = Some(justification.clone());
				self.finalizations.push((block, justification));
			}
			Err(e) => log::error!(
				target: LOG_TARGET,
				"the COMMIT quorum of #{height} {block} does not make a valid justification ({e:?}): not finalising; waiting for sync"
			),
		}
	}

	/// The justification of `height` this node stored when it decided the height before it
	/// stopped, if there is one and it verifies against the committee of `rules`.
	pub(super) fn stored_decision(
		&self,
		height: Height,
		rules: &ChildRules,
	) -> Result<Option<DporJustification>, Error> {
		let Some(decided) = aux_schema::read_decided(&*self.client).map_err(Error::Store)? else {
			return Ok(None);
		};
		if decided.height != height {
			return Ok(None);
		}
		match justification::verify(
			&decided,
			decided.block,
			height,
			&rules.committee,
			&self.genesis,
		) {
			Ok(()) => Ok(Some(decided)),
			Err(e) => {
				log::warn!(target: LOG_TARGET, "height {height}: the stored justification does not verify ({e:?}); observing");
				Ok(None)
			}
		}
	}

	/// Finishes a height this node decided before it stopped: finalises the block with the
	/// stored justification, and sends the COMMIT votes in it again. This node's own COMMIT
	/// may never have left it (it decided in the batch that cast it, and stopped before the
	/// batch was sent), and without it the others may lack a quorum. Nothing is signed anew:
	/// these are the signatures that decided the height.
	pub(super) fn finish_decided(&mut self, justification: DporJustification) {
		log::info!(
			target: LOG_TARGET,
			"height {}: decided #{} before the restart; finalising it and sending its {} COMMIT votes again",
			justification.height,
			justification.block,
			justification.signatures.len()
		);
		let data = justification.vote_data();
		for (voter, signature) in &justification.signatures {
			let vote =
				SignedVote { data: data.clone(), voter: *voter, signature: signature.clone() };
			self.outbox.push(DporMessage::Vote(vote));
		}
		self.finalizations.push((justification.block, justification));
	}

	/// Finalises `block` with `justification` (later, once imported, if it is not yet).
	pub(super) fn finalize(&mut self, block: H256, justification: DporJustification) {
		if justification.height < self.height {
			return;
		}
		match self.client.header(block) {
			Ok(Some(_)) => {}
			_ => {
				self.pending_finality = Some((block, justification));
				return;
			}
		}
		let encoded = justification::encode(&justification);
		let write = Write::Finalize { height: justification.height };
		if let Some(Err(e)) = self.hook.as_ref().map(|hook| hook.before(write)) {
			log::warn!(target: LOG_TARGET, "cannot finalise #{} {block}: {e}", justification.height);
			return;
		}
		match self.client.finalize_block(block, Some(encoded), true) {
			Ok(()) => {
				if let Some(hook) = &self.hook {
					hook.after(write);
				}
				log::debug!(target: LOG_TARGET, "finalised #{} {block}", justification.height);
				// Move on now rather than when the notification comes round.
				self.on_finalized(justification.height, block);
			}
			Err(e) => {
				log::warn!(target: LOG_TARGET, "cannot finalise #{} {block}: {e}", justification.height)
			}
		}
	}
}

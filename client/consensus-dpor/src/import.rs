//! Block import and justification import: a block that arrives with a DPoR justification
//! (block sync, or a member's own finalisation) is finalised with it once the justification
//! checks out against the committee at the block's parent, and only if that parent is the
//! finalised head; a network block without one asks sync to fetch it.
//!
//! Why the finalised head: finalising a block finalises its ancestors, and the committee that
//! signs a justification is read from the state at the block's parent. A justification on an
//! unfinalised parent would let whoever built that parent choose the committee (a former
//! member can build a fork alone, elect sybils on it and have them sign), and finalise every
//! unjustified block below. DPoR finalises every height before the next, so nothing honest
//! needs more: a justification that comes early (its parent not final yet) is answered as
//! outdated, without a penalty, and sync asks again.

use std::{marker::PhantomData, sync::Arc};

use cpchain_primitives::dpor::DPOR_ENGINE_ID;
use sc_client_api::backend::Backend;
use sc_consensus::{
	BlockCheckParams, BlockImport, BlockImportParams, ImportResult, JustificationImport,
};
use sp_consensus::{BlockOrigin, Error as ConsensusError};
use sp_core::H256;
use sp_runtime::{
	traits::{Block as BlockT, Header as HeaderT, NumberFor, UniqueSaturatedInto},
	Justification,
};

use crate::{chain::child_rules, justification, DporClient, LOG_TARGET};

/// DPoR's block import: wraps the client's.
pub struct DporBlockImport<B, C, BE> {
	client: Arc<C>,
	genesis: H256,
	_phantom: PhantomData<(B, BE)>,
}

impl<B, C, BE> Clone for DporBlockImport<B, C, BE> {
	fn clone(&self) -> Self {
		Self { client: self.client.clone(), genesis: self.genesis, _phantom: PhantomData }
	}
}

impl<B, C, BE> DporBlockImport<B, C, BE>
where
	B: BlockT<Hash = H256>,
	BE: Backend<B>,
	C: DporClient<B, BE>,
{
	/// Wraps `client`, the chain with genesis `genesis`.
	pub fn new(client: Arc<C>, genesis: H256) -> Self {
		Self { client, genesis, _phantom: PhantomData }
	}

	/// Checks `encoded` against the committee at `parent` and finalises `hash` with it.
	/// Blocks at or below the finalised height are left alone (`Ok(false)`); a block whose
	/// parent is not the finalised head is [`FinalizeError::NotOnFinalizedHead`].
	pub fn finalize_with(
		&self,
		hash: H256,
		number: NumberFor<B>,
		parent: H256,
		encoded: Justification,
	) -> Result<bool, FinalizeError> {
		let info = self.client.info();
		if number <= info.finalized_number {
			return Ok(false);
		}
		if parent != info.finalized_hash {
			return Err(FinalizeError::NotOnFinalizedHead);
		}
		let decoded =
			justification::decode(&encoded).map_err(|e| FinalizeError::Invalid(e.to_string()))?;
		let rules = child_rules::<B, C>(&self.client, parent).map_err(FinalizeError::Invalid)?;
		justification::verify(
			&decoded,
			hash,
			number.unique_saturated_into(),
			&rules.committee,
			&self.genesis,
		)
		.map_err(|e| FinalizeError::Invalid(format!("justification of #{number} {hash}: {e}")))?;
		self.client
			.finalize_block(hash, Some(encoded), true)
			.map_err(|e| FinalizeError::Invalid(format!("finalising #{number} {hash}: {e}")))?;
		log::debug!(target: LOG_TARGET, "finalised #{number} {hash} with an imported justification");
		Ok(true)
	}
}

/// Why a justification did not finalise its block.
#[derive(Debug, PartialEq, Eq)]
pub enum FinalizeError {
	/// The block's parent is not the finalised head (yet): nothing was checked.
	NotOnFinalizedHead,
	/// The justification does not hold, or the block could not be finalised.
	Invalid(String),
}

impl core::fmt::Display for FinalizeError {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		match self {
			Self::NotOnFinalizedHead => f.write_str("its parent is not the finalised head"),
			Self::Invalid(why) => f.write_str(why),
		}
	}
}

#[async_trait::async_trait]
impl<B, C, BE> BlockImport<B> for DporBlockImport<B, C, BE>
where
	B: BlockT<Hash = H256>,
	BE: Backend<B>,
	C: DporClient<B, BE>,
	for<'a> &'a C: BlockImport<B, Error = ConsensusError>,
{
	type Error = ConsensusError;

	async fn check_block(&self, block: BlockCheckParams<B>) -> Result<ImportResult, Self::Error> {
		(&*self.client).check_block(block).await
	}

	async fn import_block(
		&self,
		mut block: BlockImportParams<B>,
	) -> Result<ImportResult, Self::Error> {
		let hash = block.post_hash();
		let number = *block.header.number();
		let parent = *block.header.parent_hash();
		let own = block.origin == BlockOrigin::Own;
		let justification = block
			.justifications
			.take()
			.and_then(|j| j.into_justification(DPOR_ENGINE_ID))
			.map(|bytes| (DPOR_ENGINE_ID, bytes));

		let mut result = (&*self.client).import_block(block).await?;
		if let ImportResult::Imported(aux) = &mut result {
			match justification {
				Some(justification) => {
					match self.finalize_with(hash, number, parent, justification) {
						Ok(_) => {}
						Err(FinalizeError::NotOnFinalizedHead) => {
							log::debug!(target: LOG_TARGET, "block #{number} {hash}: its justification waits for its parent's finality");
							aux.needs_justification = true;
						}
						Err(e) => {
							log::warn!(target: LOG_TARGET, "block #{number} {hash} came with a bad justification: {e}");
							aux.bad_justification = true;
							aux.needs_justification = true;
						}
					}
				}
				// Members finalise through votes; everybody else can also fetch the
				// justification. (A member that misses a height's votes asks sync itself: see
				// the voter's stalled-height request. The aux of its own blocks never reaches
				// sync, since it imports them directly.)
				None if !own => aux.needs_justification = true,
				None => {}
			}
		}
		Ok(result)
	}
}

#[async_trait::async_trait]
impl<B, C, BE> JustificationImport<B> for DporBlockImport<B, C, BE>
where
	B: BlockT<Hash = H256>,
	BE: Backend<B>,
	C: DporClient<B, BE>,
{
	type Error = ConsensusError;

	async fn on_start(&mut self) -> Vec<(B::Hash, NumberFor<B>)> {
		// Ask peers for the justification of the best block if it is not final yet.
		let info = self.client.info();
		if info.best_number > info.finalized_number {
			vec![(info.best_hash, info.best_number)]
		} else {
			Vec::new()
		}
	}

	async fn import_justification(
		&mut self,
		hash: B::Hash,
		number: NumberFor<B>,
		justification: Justification,
	) -> Result<(), Self::Error> {
		if number <= self.client.info().finalized_number {
			return Err(ConsensusError::OutdatedJustification);
		}
		let header = self
			.client
			.header(hash)
			.map_err(|e| ConsensusError::ClientImport(e.to_string()))?
			.ok_or_else(|| ConsensusError::ClientImport(format!("unknown block {hash}")))?;
		match self.finalize_with(hash, number, *header.parent_hash(), justification) {
			Ok(_) => Ok(()),
			// Early, not wrong: sync asks again (an outdated justification costs the peer
			// nothing; a failed one disconnects it).
			Err(FinalizeError::NotOnFinalizedHead) => Err(ConsensusError::OutdatedJustification),
			Err(FinalizeError::Invalid(e)) => Err(ConsensusError::ClientImport(e)),
		}
	}
}

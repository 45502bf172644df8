//! Block import and justification import: a block that arrives with a DPoR justification
//! (block sync, or a member's own finalisation) is finalised with it once the justification
//! checks out against the committee at the block's parent; a network block without one asks
//! sync to fetch it.

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
	/// Blocks at or below the finalised height are left alone (`Ok(false)`).
	pub fn finalize_with(
		&self,
		hash: H256,
		number: NumberFor<B>,
		parent: H256,
		encoded: Justification,
	) -> Result<bool, String> {
		if number <= self.client.info().finalized_number {
			return Ok(false);
		}
		let decoded = justification::decode(&encoded).map_err(|e| e.to_string())?;
		let rules = child_rules::<B, C>(&self.client, parent)?;
		justification::verify(
			&decoded,
			hash,
			number.unique_saturated_into(),
			&rules.committee,
			&self.genesis,
		)
		.map_err(|e| format!("justification of #{number} {hash}: {e}"))?;
		self.client
			.finalize_block(hash, Some(encoded), true)
			.map_err(|e| format!("finalising #{number} {hash}: {e}"))?;
		log::debug!(target: LOG_TARGET, "finalised #{number} {hash} with an imported justification");
		Ok(true)
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
					if let Err(e) = self.finalize_with(hash, number, parent, justification) {
						log::warn!(target: LOG_TARGET, "block #{number} {hash} came with a bad justification: {e}");
						aux.bad_justification = true;
						aux.needs_justification = true;
					}
				}
				// Members finalise through votes; everybody else can also fetch the justification.
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
		self.finalize_with(hash, number, *header.parent_hash(), justification)
			.map(|_| ())
			.map_err(ConsensusError::ClientImport)
	}
}

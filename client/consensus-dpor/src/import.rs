//! Block import and justification import: a block that arrives with a DPoR justification
//! (block sync, or a member's own finalisation) is finalised with it once the justification
//! checks out against the committee at the block's parent, and only if that parent is the
//! finalised head; a network block without one asks sync to fetch it if it is the next block to
//! finalise (the voter asks for a later one once its parent is final).
//!
//! Why the finalised head: finalising a block finalises its ancestors, and the committee that
//! signs a justification is read from the state at the block's parent. A justification on an
//! unfinalised parent would let whoever built that parent choose the committee (a former
//! member can build a fork alone, elect sybils on it and have them sign), and finalise every
//! unjustified block below. DPoR finalises every height before the next, so nothing honest
//! needs more: a justification that comes early (its parent not final yet) is answered as
//! outdated, without a penalty.
//!
//! Seal equivocation: a leader may make one block per (height, view). A second one by the same
//! leader is imported (with a warning: it is the evidence, and honest peers that saw it first
//! vote for it) and both headers are reported on chain (`report_seal_equivocation`, through
//! `DporApi` version 3 and the local pool, when the import was given the pool), every further
//! one is dropped as if its state were missing, so that one
//! member cannot make every node execute blocks without end. Dropped without a penalty: an
//! honest peer may relay a sibling it received first. Blocks that come with a justification
//! are always imported (a quorum decided them). The index is in memory and bounded by
//! [`MAX_SEALED`] (height, view) pairs above the finalised head.

use std::{collections::BTreeMap, marker::PhantomData, sync::Arc};

use cpchain_primitives::{
	consensus::{find_pre_digest, AuthorityId, Height, SealEquivocationProof},
	consensus::{DporApi, DPOR_ENGINE_ID},
};
use parking_lot::Mutex;
use sc_client_api::backend::Backend;
use sc_consensus::{
	BlockCheckParams, BlockImport, BlockImportParams, ImportResult, JustificationImport,
};
use sc_transaction_pool_api::OffchainTransactionPoolFactory;
use sp_api::ApiExt;
use sp_consensus::{BlockOrigin, Error as ConsensusError};
use sp_core::H256;
use sp_runtime::{
	traits::{Block as BlockT, Header as HeaderT, NumberFor, UniqueSaturatedInto},
	Justification,
};

use crate::{
	chain::{child_rules, RulesError},
	justification, DporClient, LOG_TARGET,
};

/// How many (height, view) pairs above the finalised head the seal index holds.
pub const MAX_SEALED: usize = 4096;

/// How many blocks one leader may have imported at one (height, view): the honest one and
/// one more, the evidence of equivocation.
pub const MAX_BLOCKS_PER_VIEW: usize = 2;

/// The blocks imported per (height, view), above the finalised head.
#[derive(Default)]
pub struct SealIndex {
	blocks: BTreeMap<(Height, u32), Vec<H256>>,
}

/// What the index says about a new block.
#[derive(Debug, PartialEq, Eq)]
pub enum Sealed {
	/// The first block of its (height, view), or one seen before.
	Fine,
	/// A second block of its (height, view): the leader equivocated (the first is given).
	Equivocation(H256),
	/// Beyond [`MAX_BLOCKS_PER_VIEW`], or the index is full: not imported.
	Refused,
}

impl SealIndex {
	/// Notes `hash` at (`height`, `view`), the finalised height being `finalized`.
	pub fn note(&mut self, height: Height, view: u32, hash: H256, finalized: Height) -> Sealed {
		self.blocks = self.blocks.split_off(&(finalized.saturating_add(1), 0));
		let full = self.blocks.len() >= MAX_SEALED;
		match self.blocks.get_mut(&(height, view)) {
			Some(blocks) if blocks.contains(&hash) => Sealed::Fine,
			Some(blocks) if blocks.len() < MAX_BLOCKS_PER_VIEW => {
				blocks.push(hash);
				Sealed::Equivocation(blocks[0])
			}
			Some(_) => Sealed::Refused,
			None if full => Sealed::Refused,
			None => {
				self.blocks.insert((height, view), vec![hash]);
				Sealed::Fine
			}
		}
	}
}

/// DPoR's block import: wraps the client's.
pub struct DporBlockImport<B: BlockT, C, BE> {
	client: Arc<C>,
	genesis: H256,
	sealed: Arc<Mutex<SealIndex>>,
	/// Where seal-equivocation reports go (none: they are only logged).
	reports: Option<OffchainTransactionPoolFactory<B>>,
	_phantom: PhantomData<BE>,
}

impl<B: BlockT, C, BE> Clone for DporBlockImport<B, C, BE> {
	fn clone(&self) -> Self {
		Self {
			client: self.client.clone(),
			genesis: self.genesis,
			sealed: self.sealed.clone(),
			reports: self.reports.clone(),
			_phantom: PhantomData,
		}
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
		Self { client, genesis, sealed: Default::default(), reports: None, _phantom: PhantomData }
	}

	/// Reports seal equivocations through the local transaction pool of `factory`.
	pub fn with_reports(mut self, factory: OffchainTransactionPoolFactory<B>) -> Self {
		self.reports = Some(factory);
		self
	}

	/// Submits a report of the leader that sealed both `first` (imported earlier) and
	/// `second`, through the runtime at the best block.
	fn report_seal_equivocation(&self, first: H256, second: B::Header) {
		let Some(factory) = &self.reports else { return };
		let first = match self.client.header(first) {
			Ok(Some(header)) => header,
			// Its import failed after it was noted: nothing to prove with.
			_ => return,
		};
		let best = self.client.info().best_hash;
		let mut api = self.client.runtime_api();
		match api.api_version::<dyn DporApi<B, AuthorityId>>(best) {
			Ok(Some(version)) if version >= 3 => {}
			_ => {
				log::debug!(target: LOG_TARGET, "the runtime takes no seal-equivocation reports");
				return;
			}
		}
		api.register_extension(factory.offchain_transaction_pool(best));
		let proof = SealEquivocationProof { first, second };
		match api.submit_report_seal_equivocation_unsigned_extrinsic(best, proof) {
			Ok(Some(())) => log::info!(target: LOG_TARGET, "seal-equivocation report submitted"),
			Ok(None) => {
				log::warn!(target: LOG_TARGET, "the runtime refused the seal-equivocation report")
			}
			Err(e) => log::warn!(target: LOG_TARGET, "cannot report a seal equivocation: {e}"),
		}
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
		let rules = child_rules::<B, C>(&self.client, parent)?;
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
#[derive(Debug, thiserror::Error)]
pub enum FinalizeError {
	/// The block's parent is not the finalised head (yet): nothing was checked.
	#[error("its parent is not the finalised head")]
	NotOnFinalizedHead,
	/// The committee at the parent could not be read.
	#[error(transparent)]
	Rules(#[from] RulesError),
	/// The justification does not hold, or the block could not be finalised.
	#[error("{0}")]
	Invalid(String),
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

		if justification.is_none() {
			if let Some(pre) = find_pre_digest(&block.header) {
				let finalized: Height = self.client.info().finalized_number.unique_saturated_into();
				let height: Height = number.unique_saturated_into();
				let noted = self.sealed.lock().note(height, pre.view, hash, finalized);
				match noted {
					Sealed::Fine => {}
					Sealed::Equivocation(first) => {
						log::warn!(
							target: LOG_TARGET,
							"member {} made two blocks at height {height} view {}: {first} and {hash}",
							pre.author,
							pre.view
						);
						self.report_seal_equivocation(first, block.post_header());
					}
					Sealed::Refused => {
						log::debug!(target: LOG_TARGET, "block #{number} {hash}: another block of its leader at view {}, dropped", pre.view);
						return Ok(ImportResult::MissingState);
					}
				}
			}
		}

		let mut result = (&*self.client).import_block(block).await?;
		if let ImportResult::Imported(aux) = &mut result {
			// Only the next block to finalise asks sync for its justification: a later one's
			// would be refused as early, and sync asks again at once, without end (thousands
			// of refusals a minute on a node behind by a few heights). The voter asks for a
			// later one once its parent is final (`Voter::request_next_justifications`).
			let next_to_finalise = parent == self.client.info().finalized_hash;
			match justification {
				Some(justification) => {
					match self.finalize_with(hash, number, parent, justification) {
						Ok(_) => {}
						Err(FinalizeError::NotOnFinalizedHead) => {
							log::debug!(target: LOG_TARGET, "block #{number} {hash}: its justification came before its parent's finality; the voter asks for it again once the parent is final");
						}
						Err(e) => {
							log::warn!(target: LOG_TARGET, "block #{number} {hash} came with a bad justification: {e}");
							aux.bad_justification = true;
							aux.needs_justification = next_to_finalise;
						}
					}
				}
				// Members finalise through votes; everybody else can also fetch the
				// justification. (The aux of a member's own blocks never reaches sync, since
				// it imports them directly.)
				None if !own => aux.needs_justification = next_to_finalise,
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
		// Ask peers for the justification of the next block to finalise, if one is known
		// (not the best block's: it would be refused as early while its ancestors are not
		// final; the voter asks for the following ones).
		let info = self.client.info();
		if info.best_number <= info.finalized_number {
			return Vec::new();
		}
		let next = info.finalized_number + 1u32.into();
		match self.client.hash(next) {
			Ok(Some(hash)) => vec![(hash, next)],
			_ => Vec::new(),
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
			Err(e) => Err(ConsensusError::ClientImport(e.to_string())),
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_leader_gets_one_block_per_view_and_one_more_as_evidence() {
		let mut index = SealIndex::default();
		let block = |b: u8| H256::repeat_byte(b);
		assert_eq!(index.note(5, 0, block(1), 4), Sealed::Fine);
		assert_eq!(index.note(5, 0, block(1), 4), Sealed::Fine, "the same block again");
		assert_eq!(index.note(5, 1, block(2), 4), Sealed::Fine, "another view");
		assert_eq!(index.note(5, 0, block(3), 4), Sealed::Equivocation(block(1)));
		assert_eq!(index.note(5, 0, block(3), 4), Sealed::Fine, "the evidence again");
		for b in 4..20 {
			assert_eq!(index.note(5, 0, block(b), 4), Sealed::Refused);
		}
		// Finality forgets what is below it.
		assert_eq!(index.note(6, 0, block(30), 5), Sealed::Fine);
		assert_eq!(index.blocks.len(), 1);
	}

	#[test]
	fn the_index_is_bounded() {
		let mut index = SealIndex::default();
		for view in 0..MAX_SEALED as u32 {
			assert_eq!(index.note(1, view, H256::repeat_byte(1), 0), Sealed::Fine);
		}
		assert_eq!(index.note(2, 0, H256::repeat_byte(2), 0), Sealed::Refused);
		assert_eq!(index.blocks.len(), MAX_SEALED);
	}
}

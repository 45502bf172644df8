//! What the engine reads from the runtime at a block: the committee in charge of the next
//! block, the randomness of its term, and the timing parameters.

use cpchain_primitives::{
	consensus::AuthorityId,
	consensus::{Committee, DporApi},
};
use sp_api::{ApiExt, ProvideRuntimeApi};
use sp_runtime::traits::Block as BlockT;

/// The committee, randomness and timing that apply to the child of a block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChildRules {
	/// The committee of the child's term, in slot order.
	pub committee: Committee<AuthorityId>,
	/// The VRF input randomness of the child's term.
	pub randomness: [u8; 32],
	/// The target block time in milliseconds.
	pub block_time_ms: u64,
	/// The base view timeout in milliseconds.
	pub base_timeout_ms: u64,
	/// The parent's timestamp in milliseconds (`None` from runtimes before `DporApi` v2).
	pub parent_timestamp_ms: Option<u64>,
}

/// The runtime's `DporApi` did not answer at a block (its state pruned or missing, or a
/// runtime without the API).
#[derive(Debug, thiserror::Error)]
#[error("DporApi::{call} at {at}: {source}")]
pub struct RulesError {
	/// The block asked at.
	pub at: String,
	/// The call that failed.
	pub call: &'static str,
	/// What the runtime API said.
	pub source: sp_api::ApiError,
}

/// Reads [`ChildRules`] from the runtime state at `parent`.
pub fn child_rules<B, C>(client: &C, parent: B::Hash) -> Result<ChildRules, RulesError>
where
	B: BlockT,
	C: ProvideRuntimeApi<B>,
	C::Api: DporApi<B, AuthorityId>,
{
	let api = client.runtime_api();
	let err = |call| move |source| RulesError { at: parent.to_string(), call, source };
	let version =
		api.api_version::<dyn DporApi<B, AuthorityId>>(parent).map_err(err("api_version"))?;
	let parent_timestamp_ms = match version {
		Some(v) if v >= 2 => Some(api.timestamp_ms(parent).map_err(err("timestamp_ms"))?),
		_ => None,
	};
	Ok(ChildRules {
		committee: api.committee_for_next_block(parent).map_err(err("committee_for_next_block"))?,
		randomness: api.term_randomness(parent).map_err(err("term_randomness"))?,
		block_time_ms: api.block_time_ms(parent).map_err(err("block_time_ms"))?,
		base_timeout_ms: api.base_view_timeout_ms(parent).map_err(err("base_view_timeout_ms"))?,
		parent_timestamp_ms,
	})
}

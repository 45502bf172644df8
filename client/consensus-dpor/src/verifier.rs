//! The verifier of the import queue: every block from the network must carry one DPoR
//! pre-digest naming the leader of its (height, view) in the committee at its parent, a VRF
//! output by that leader over its term's randomness, and the leader's seal over the header.

use std::{marker::PhantomData, sync::Arc};

use codec::Decode;
use cpchain_primitives::{
	consensus::{
		find_pre_digest, leader, seal_payload, vrf_input, AuthorityId, AuthoritySignature,
		PreDigest,
	},
	dpor::{DporApi, DPOR_ENGINE_ID},
};
use sc_consensus::{BlockImportParams, ForkChoiceStrategy, Verifier};
use sp_api::ProvideRuntimeApi;
use sp_core::{crypto::VrfPublic, H256};
use sp_runtime::{
	traits::{Block as BlockT, Header as HeaderT, UniqueSaturatedInto},
	DigestItem, RuntimeAppPublic,
};

use crate::chain::{child_rules, ChildRules};

/// Why a header is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum HeaderError {
	/// The last digest item is not a DPoR seal that decodes.
	MissingSeal,
	/// No DPoR pre-digest, several, or one that does not decode.
	MissingPreDigest,
	/// The pre-digest names another term than the parent's committee serves.
	WrongTerm {
		/// In the pre-digest.
		claimed: u32,
		/// At the parent.
		expected: u32,
	},
	/// The committee at the parent is empty.
	NoCommittee,
	/// The author is not the leader of the block's (height, view).
	WrongLeader {
		/// In the pre-digest.
		author: u32,
		/// The leader.
		leader: u32,
	},
	/// The seal does not verify with the leader's key.
	BadSeal,
	/// The VRF output does not verify with the leader's key.
	BadVrf,
}

impl std::fmt::Display for HeaderError {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		match self {
			Self::MissingSeal => write!(f, "no DPoR seal"),
			Self::MissingPreDigest => write!(f, "no single valid DPoR pre-digest"),
			Self::WrongTerm { claimed, expected } =>
				write!(f, "pre-digest names term {claimed}, the parent's committee serves {expected}"),
			Self::NoCommittee => write!(f, "no committee at the parent"),
			Self::WrongLeader { author, leader } =>
				write!(f, "author {author} is not the leader {leader} of this height and view"),
			Self::BadSeal => write!(f, "bad seal"),
			Self::BadVrf => write!(f, "bad VRF output"),
		}
	}
}

/// A header that passed [`check_header`]: without its seal, the seal, and the pre-digest.
pub struct CheckedHeader<H> {
	/// The header as the runtime built it (seal removed).
	pub pre_header: H,
	/// The seal digest item.
	pub seal: DigestItem,
	/// The pre-digest.
	pub pre_digest: PreDigest,
}

/// Checks a sealed header against the rules at its parent.
pub fn check_header<H: HeaderT<Hash = H256>>(
	mut header: H,
	rules: &ChildRules,
	genesis: &H256,
) -> Result<CheckedHeader<H>, HeaderError> {
	let seal = header.digest_mut().pop().ok_or(HeaderError::MissingSeal)?;
	let signature = match &seal {
		DigestItem::Seal(id, bytes) if *id == DPOR_ENGINE_ID =>
			AuthoritySignature::decode(&mut &bytes[..]).map_err(|_| HeaderError::MissingSeal)?,
		_ => return Err(HeaderError::MissingSeal),
	};
	let pre = find_pre_digest(&header).ok_or(HeaderError::MissingPreDigest)?;
	let committee = &rules.committee;
	if pre.term != committee.term {
		return Err(HeaderError::WrongTerm { claimed: pre.term, expected: committee.term });
	}
	let n = committee.members.len() as u32;
	if n == 0 {
		return Err(HeaderError::NoCommittee);
	}
	let height: u64 = (*header.number()).unique_saturated_into();
	let expected = leader(height, pre.view, n);
	if pre.author != expected {
		return Err(HeaderError::WrongLeader { author: pre.author, leader: expected });
	}
	let key: &AuthorityId = &committee.members[expected as usize];
	let pre_hash = header.hash();
	if !key.verify(&seal_payload(genesis, &pre_hash), &signature) {
		return Err(HeaderError::BadSeal);
	}
	let input = vrf_input(&rules.randomness, pre.term, height);
	let public: &sp_core::sr25519::Public = key.as_ref();
	if !public.vrf_verify(&input.into_sign_data(), &pre.vrf) {
		return Err(HeaderError::BadVrf);
	}
	Ok(CheckedHeader { pre_header: header, seal, pre_digest: pre })
}

/// The import queue's verifier.
pub struct DporVerifier<B, C> {
	client: Arc<C>,
	genesis: H256,
	_block: PhantomData<B>,
}

impl<B, C> DporVerifier<B, C> {
	/// A verifier for the chain with genesis `genesis`.
	pub fn new(client: Arc<C>, genesis: H256) -> Self {
		Self { client, genesis, _block: PhantomData }
	}
}

#[async_trait::async_trait]
impl<B, C> Verifier<B> for DporVerifier<B, C>
where
	B: BlockT<Hash = H256>,
	C: ProvideRuntimeApi<B> + sp_blockchain::HeaderBackend<B> + Send + Sync,
	C::Api: DporApi<B, AuthorityId>,
{
	async fn verify(&self, mut block: BlockImportParams<B>) -> Result<BlockImportParams<B>, String> {
		// State imports (warp and state sync) come without the parent's state to check with.
		if block.with_state() || block.state_action.skip_execution_checks() {
			block.fork_choice = Some(ForkChoiceStrategy::LongestChain);
			return Ok(block);
		}
		let hash = block.header.hash();
		let parent = *block.header.parent_hash();
		let rules = child_rules::<B, C>(&self.client, parent)?;
		let checked = check_header(block.header.clone(), &rules, &self.genesis)
			.map_err(|e| format!("DPoR block {hash}: {e}"))?;
		block.fork_choice =
			Some(crate::fork_choice::<B, C>(&*self.client, &checked.pre_header, checked.pre_digest.view));
		block.header = checked.pre_header;
		block.post_digests.push(checked.seal);
		block.post_hash = Some(hash);
		Ok(block)
	}
}

//! The verifier of the import queue: every block from the network must carry one DPoR
//! pre-digest naming the leader of its (height, view) in the committee at its parent, a VRF
//! output by that leader over its term's randomness, and the leader's seal over the header.

use std::{marker::PhantomData, sync::Arc};

use codec::Encode;
use cpchain_primitives::{
	consensus::{
		find_pre_digest, leader, seal_payload, split_seal, vrf_input, AuthorityId, PreDigest,
	},
	consensus::{DporApi, DPOR_ENGINE_ID},
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
	/// The last digest item is not a DPoR seal of exactly one signature.
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
	/// The view could not have been reached yet: too little time has passed since the parent.
	ImplausibleView {
		/// In the pre-digest.
		view: u32,
		/// The highest view reachable in the time since the parent.
		max: u32,
	},
}

impl std::fmt::Display for HeaderError {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		match self {
			Self::MissingSeal => write!(f, "no DPoR seal of exactly one signature"),
			Self::MissingPreDigest => write!(f, "no single valid DPoR pre-digest"),
			Self::WrongTerm { claimed, expected } => write!(
				f,
				"pre-digest names term {claimed}, the parent's committee serves {expected}"
			),
			Self::NoCommittee => write!(f, "no committee at the parent"),
			Self::WrongLeader { author, leader } => {
				write!(f, "author {author} is not the leader {leader} of this height and view")
			}
			Self::BadSeal => write!(f, "bad seal"),
			Self::BadVrf => write!(f, "bad VRF output"),
			Self::ImplausibleView { view, max } => write!(
				f,
				"view {view} cannot have been reached since the parent (at most view {max})"
			),
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
	header: H,
	rules: &ChildRules,
	genesis: &H256,
) -> Result<CheckedHeader<H>, HeaderError> {
	// The runtime reads seals the same way (a seal is exactly one signature).
	let (header, signature) = split_seal(header).ok_or(HeaderError::MissingSeal)?;
	let seal = DigestItem::Seal(DPOR_ENGINE_ID, signature.encode());
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

/// How far a node's clock may be ahead of a block's timestamp (pallet-timestamp accepts
/// timestamps up to 30 s ahead of the checking node) and behind, in milliseconds.
pub const CLOCK_SLACK_MS: u64 = 60_000;

/// The highest view a committee of `n` can have reached `elapsed_ms` after the parent.
///
/// Every `n` consecutive views hold at least one led by an honest member, and honest members
/// leave such a view only when its proposal timeout runs out (at least `base_timeout_ms`; a
/// valid proposal is decided instead, and `f` members cannot pull an honest one forward). So
/// reaching view `v` takes at least `⌊v / n⌋ × base_timeout_ms`.
pub fn max_view(elapsed_ms: u64, base_timeout_ms: u64, n: u32) -> u32 {
	let windows = elapsed_ms / base_timeout_ms.max(1);
	let views = windows.saturating_add(1).saturating_mul(u64::from(n.max(1))).saturating_sub(1);
	u32::try_from(views).unwrap_or(u32::MAX)
}

/// Checks that the block's `view` is reachable by `now_ms` (this node's clock) given its
/// parent's timestamp: a member that makes blocks at views of its choosing (up to `u32::MAX`)
/// would otherwise win every node's fork choice, which prefers later views.
pub fn check_view(view: u32, rules: &ChildRules, now_ms: u64) -> Result<(), HeaderError> {
	let Some(parent) = rules.parent_timestamp_ms else { return Ok(()) };
	let elapsed = now_ms.saturating_add(CLOCK_SLACK_MS).saturating_sub(parent);
	let n = rules.committee.members.len() as u32;
	let max = max_view(elapsed, rules.base_timeout_ms, n);
	if view > max {
		return Err(HeaderError::ImplausibleView { view, max });
	}
	Ok(())
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
	C::Api: DporApi<B, AuthorityId> + sp_block_builder::BlockBuilder<B>,
{
	async fn verify(
		&self,
		mut block: BlockImportParams<B>,
	) -> Result<BlockImportParams<B>, String> {
		// State imports (warp and state sync) come without the parent's state to check with.
		if block.with_state() || block.state_action.skip_execution_checks() {
			block.fork_choice = Some(ForkChoiceStrategy::LongestChain);
			return Ok(block);
		}
		let hash = block.header.hash();
		let parent = *block.header.parent_hash();
		let rules = child_rules::<B, C>(&self.client, parent).map_err(|e| e.to_string())?;
		let checked = check_header(block.header.clone(), &rules, &self.genesis)
			.map_err(|e| format!("DPoR block {hash}: {e}"))?;
		let now_ms = std::time::SystemTime::now()
			.duration_since(std::time::UNIX_EPOCH)
			.map(|d| d.as_millis() as u64)
			.unwrap_or(0);
		check_view(checked.pre_digest.view, &rules, now_ms)
			.map_err(|e| format!("DPoR block {hash}: {e}"))?;
		// The inherents (the timestamp: not too far in the future) are checked here, before
		// any member votes for the block.
		if let Some(body) = block.body.clone() {
			let provider = sp_timestamp::InherentDataProvider::from_system_time();
			let check = B::new(checked.pre_header.clone(), body);
			sp_block_builder::check_inherents(self.client.clone(), parent, check, &provider)
				.await
				.map_err(|e| format!("DPoR block {hash}: inherents refused: {e:?}"))?;
		}
		block.fork_choice = Some(crate::fork_choice::<B, C>(
			&*self.client,
			&checked.pre_header,
			checked.pre_digest.view,
		));
		block.header = checked.pre_header;
		block.post_digests.push(checked.seal);
		block.post_hash = Some(hash);
		Ok(block)
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use cpchain_primitives::{
		consensus::Committee,
		consensus::{pre_digest_item, AuthorityPair},
	};
	use sp_core::{crypto::VrfSecret, Pair};
	use sp_runtime::{generic::Header, traits::BlakeTwo256};

	type TestHeader = Header<u32, BlakeTwo256>;

	fn pairs() -> Vec<AuthorityPair> {
		(1..=4u8).map(|i| AuthorityPair::from_seed(&[i; 32])).collect()
	}

	fn rules(pairs: &[AuthorityPair]) -> ChildRules {
		ChildRules {
			committee: Committee { term: 2, members: pairs.iter().map(|p| p.public()).collect() },
			randomness: [9; 32],
			block_time_ms: 3_000,
			base_timeout_ms: 6_000,
			parent_timestamp_ms: Some(1_000_000),
		}
	}

	#[test]
	fn views_are_bounded_by_the_time_since_the_parent() {
		let pairs = pairs();
		let rules = rules(&pairs);
		let parent = 1_000_000;
		// Right after the parent (within the clock slack): up to ten windows of four views.
		let windows = CLOCK_SLACK_MS / 6_000;
		let at_once = max_view(CLOCK_SLACK_MS, 6_000, 4);
		assert_eq!(u64::from(at_once), (windows + 1) * 4 - 1);
		assert_eq!(check_view(at_once, &rules, parent), Ok(()));
		assert_eq!(
			check_view(at_once + 1, &rules, parent),
			Err(HeaderError::ImplausibleView { view: at_once + 1, max: at_once })
		);
		// A member's block at view 4·10⁹ needs ~190 years of timeouts.
		assert!(check_view(4_000_000_000, &rules, parent + 3_600_000).is_err());
		// An hour later, views up to about 2,400 are possible.
		assert_eq!(max_view(3_600_000 + CLOCK_SLACK_MS, 6_000, 4), 2_443);
		// A parent from a runtime without timestamps: not checked.
		let mut old = rules.clone();
		old.parent_timestamp_ms = None;
		assert_eq!(check_view(u32::MAX, &old, 0), Ok(()));
		// Degenerate parameters never panic.
		assert_eq!(max_view(u64::MAX, 0, 0), u32::MAX);
		assert_eq!(max_view(0, 6_000, u32::MAX), u32::MAX - 1);
	}

	/// A header of `number` at `view` by member `author`, VRF by `vrf_by`, sealed by `seal_by`.
	fn header(
		pairs: &[AuthorityPair],
		number: u32,
		view: u32,
		author: u32,
		vrf_by: usize,
		seal_by: usize,
	) -> TestHeader {
		let genesis = H256::repeat_byte(1);
		let vrf = pairs[vrf_by]
			.as_ref()
			.vrf_sign(&vrf_input(&[9; 32], 2, number.into()).into_sign_data());
		let mut header = TestHeader::new(
			number,
			Default::default(),
			Default::default(),
			H256::repeat_byte(5),
			Default::default(),
		);
		header.digest_mut().push(pre_digest_item(&PreDigest { term: 2, view, author, vrf }));
		let signature = pairs[seal_by].sign(&seal_payload(&genesis, &header.hash()));
		header.digest_mut().push(DigestItem::Seal(DPOR_ENGINE_ID, signature.encode()));
		header
	}

	#[test]
	fn the_leaders_sealed_header_passes_and_every_fault_is_named() {
		let pairs = pairs();
		let rules = rules(&pairs);
		let genesis = H256::repeat_byte(1);
		// Height 6, view 1: leader (6 + 1) mod 4 = 3.
		let good = header(&pairs, 6, 1, 3, 3, 3);
		let checked = check_header(good.clone(), &rules, &genesis).map_err(|e| e.to_string());
		let checked = checked.expect("the leader's header passes");
		assert_eq!(checked.pre_digest.author, 3);
		assert_eq!(checked.pre_header.digest().logs().len(), 1, "the seal is removed");

		assert_eq!(
			check_header(header(&pairs, 6, 1, 2, 2, 2), &rules, &genesis).err(),
			Some(HeaderError::WrongLeader { author: 2, leader: 3 })
		);
		assert_eq!(
			check_header(header(&pairs, 6, 1, 3, 3, 0), &rules, &genesis).err(),
			Some(HeaderError::BadSeal)
		);
		assert_eq!(
			check_header(header(&pairs, 6, 1, 3, 1, 3), &rules, &genesis).err(),
			Some(HeaderError::BadVrf)
		);
		// Sealed for another chain.
		assert_eq!(
			check_header(good.clone(), &rules, &H256::repeat_byte(2)).err(),
			Some(HeaderError::BadSeal)
		);
		// Another term's committee.
		let mut next = rules.clone();
		next.committee.term = 3;
		assert_eq!(
			check_header(good.clone(), &next, &genesis).err(),
			Some(HeaderError::WrongTerm { claimed: 2, expected: 3 })
		);
		// No seal; a seal of another engine; no pre-digest.
		let mut unsealed = good.clone();
		unsealed.digest_mut().pop();
		assert_eq!(
			check_header(unsealed.clone(), &rules, &genesis).err(),
			Some(HeaderError::MissingSeal)
		);
		let mut foreign = unsealed.clone();
		foreign.digest_mut().push(DigestItem::Seal(*b"aura", vec![0; 64]));
		assert_eq!(check_header(foreign, &rules, &genesis).err(), Some(HeaderError::MissingSeal));
		// A relaying peer appends a byte to the leader's seal: same signed content, another
		// block hash, a second block of the leader's (height, view) that nobody sealed.
		let mut malleated = good.clone();
		if let Some(DigestItem::Seal(_, bytes)) = malleated.digest_mut().logs.last_mut() {
			bytes.push(0);
		}
		assert_ne!(malleated.hash(), good.hash());
		assert_eq!(check_header(malleated, &rules, &genesis).err(), Some(HeaderError::MissingSeal));
		let mut bare = TestHeader::new(
			6,
			Default::default(),
			Default::default(),
			H256::repeat_byte(5),
			Default::default(),
		);
		let signature = pairs[3].sign(&seal_payload(&genesis, &bare.hash()));
		bare.digest_mut().push(DigestItem::Seal(DPOR_ENGINE_ID, signature.encode()));
		assert_eq!(check_header(bare, &rules, &genesis).err(), Some(HeaderError::MissingPreDigest));
		// An empty committee checks nothing in.
		let mut empty = rules.clone();
		empty.committee.members.clear();
		assert_eq!(check_header(good, &empty, &genesis).err(), Some(HeaderError::NoCommittee));
	}
}

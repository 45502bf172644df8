//! The leader's part: build, seal and import the block of a (height, view). The sealed
//! block's hash is recorded (aux store) before the import, so that a leader restarted after
//! this point re-proposes it ([`own_block`]) instead of sealing a second block at the view.

use std::{
	sync::Arc,
	time::{Duration, Instant},
};

use codec::Encode;
use cpchain_dpor_bft::View;
use cpchain_primitives::{
	consensus::DPOR_ENGINE_ID,
	consensus::{
		pre_digest_item, seal_payload, vrf_input, AuthorityId, Height, MemberIndex, PreDigest,
		KEY_TYPE,
	},
};
use sc_client_api::AuxStore;
use sc_consensus::{BlockImport, BlockImportParams, StateAction, StorageChanges};
use sp_blockchain::HeaderBackend;
use sp_consensus::{BlockOrigin, Environment, ProposeArgs, Proposer};
use sp_core::H256;
use sp_inherents::InherentDataProvider;
use sp_keystore::KeystorePtr;
use sp_runtime::{
	traits::{Block as BlockT, Header as HeaderT},
	Digest, DigestItem,
};

use super::{Write, WriteHook};
use crate::{aux_schema, chain::ChildRules};

/// Why the leader's block was not built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
	/// The client could not read the parent.
	#[error("client: {0}")]
	Client(sp_blockchain::Error),
	/// The parent is not known.
	#[error("unknown parent {0}")]
	UnknownParent(H256),
	/// The inherent data (the timestamp) could not be made.
	#[error("inherent data: {0}")]
	Inherents(sp_inherents::Error),
	/// The keystore failed.
	#[error("keystore: {0}")]
	Keystore(sp_keystore::Error),
	/// The member's DPoR key is no longer in the keystore.
	#[error("the DPoR key left the keystore")]
	KeyGone,
	/// The proposer failed (the error of the node's proposer type, as text: the voter is
	/// generic over it).
	#[error("proposer: {0}")]
	Proposer(String),
	/// The block import refused the block (its error type is the caller's, as text).
	#[error("import: {0}")]
	Import(String),
	/// The sealed block could not be recorded: it was not imported (a leader that could
	/// forget its block could seal a second one after a restart).
	#[error("recording the sealed block: {0}")]
	Store(sp_blockchain::Error),
	/// A test's write hook failed the record of the sealed block (not imported either).
	#[error("recording the sealed block: {0}")]
	Hook(String),
}

/// A block the leader built: its height, view and hash.
pub type Built = Result<(Height, View, H256), BuildError>;

/// The block this member sealed at (`height`, `view`) on `parent` before a restart, if it
/// was imported: the leader proposes it again. (A block recorded but not imported never left
/// the node: the import announces it.)
pub fn own_block<B, C>(client: &C, height: Height, view: View, parent: H256) -> Option<H256>
where
	B: BlockT<Hash = H256>,
	C: HeaderBackend<B> + AuxStore,
{
	let (h, v, hash) = aux_schema::read_own_block(client).ok().flatten()?;
	let header = client.header(hash).ok().flatten()?;
	(h == height && v == view && *header.parent_hash() == parent).then_some(hash)
}

/// Builds, seals, records and imports the block of (`height`, `view`) on `parent`.
pub async fn build_block<B, C, E, I>(
	client: Arc<C>,
	env: Arc<futures::lock::Mutex<E>>,
	block_import: I,
	keystore: KeystorePtr,
	key: AuthorityId,
	author: MemberIndex,
	genesis: H256,
	rules: ChildRules,
	parent: H256,
	height: Height,
	view: View,
	not_before: Instant,
	hook: Option<Arc<dyn WriteHook>>,
) -> Built
where
	B: BlockT<Hash = H256>,
	C: HeaderBackend<B> + AuxStore,
	E: Environment<B>,
	I: BlockImport<B>,
{
	let now = Instant::now();
	if not_before > now {
		futures_timer::Delay::new(not_before - now).await;
	}
	let parent_header = client
		.header(parent)
		.map_err(BuildError::Client)?
		.ok_or(BuildError::UnknownParent(parent))?;
	let inherent_data = sp_timestamp::InherentDataProvider::from_system_time()
		.create_inherent_data()
		.await
		.map_err(BuildError::Inherents)?;
	let input = vrf_input(&rules.randomness, rules.committee.term, height);
	let vrf = keystore
		.sr25519_vrf_sign(KEY_TYPE, key.as_ref(), &input.into_sign_data())
		.map_err(BuildError::Keystore)?
		.ok_or(BuildError::KeyGone)?;
	let pre = PreDigest { term: rules.committee.term, view, author, vrf };
	let proposer = env
		.lock()
		.await
		.init(&parent_header)
		.await
		.map_err(|e| BuildError::Proposer(e.to_string()))?;
	let max_duration =
		Duration::from_millis(rules.block_time_ms / 3).max(Duration::from_millis(200));
	let proposal = proposer
		.propose(ProposeArgs {
			inherent_data,
			inherent_digests: Digest { logs: vec![pre_digest_item(&pre)] },
			max_duration,
			..Default::default()
		})
		.await
		.map_err(|e| BuildError::Proposer(e.to_string()))?;
	let (header, body) = proposal.block.deconstruct();
	let pre_hash = header.hash();
	let signature = keystore
		.sr25519_sign(KEY_TYPE, key.as_ref(), &seal_payload(&genesis, &pre_hash))
		.map_err(BuildError::Keystore)?
		.ok_or(BuildError::KeyGone)?;
	let mut params = BlockImportParams::new(BlockOrigin::Own, header);
	params.post_digests.push(DigestItem::Seal(DPOR_ENGINE_ID, signature.encode()));
	params.body = Some(body);
	params.state_action =
		StateAction::ApplyChanges(StorageChanges::Changes(proposal.storage_changes));
	params.fork_choice = Some(crate::fork_choice::<B, C>(&*client, &params.header, view));
	let hash = params.post_hash();
	let write = Write::OwnBlock { height, view };
	if let Some(hook) = &hook {
		hook.before(write).map_err(BuildError::Hook)?;
	}
	aux_schema::write_own_block(&*client, height, view, hash).map_err(BuildError::Store)?;
	if let Some(hook) = &hook {
		hook.after(write);
	}
	block_import.import_block(params).await.map_err(|e| BuildError::Import(e.to_string()))?;
	Ok((height, view, hash))
}

//! The engine's adapters in-process on the real CPChain runtime: a client on a ParityDB in a
//! temporary directory with the `local` preset (Alice, Bob, Charlie and Dave, one committee),
//! blocks built by the runtime itself, sealed with the members' dev keys, then put through the
//! DPoR verifier, block import and justification import as a syncing node would.

use std::sync::Arc;

use codec::Encode;
use cpchain_consensus_dpor::{
	chain::{child_rules, ChildRules},
	justification, DporBlockImport, DporVerifier,
};
use cpchain_primitives::{
	consensus::DporApi,
	consensus::DPOR_ENGINE_ID,
	consensus::{
		leader, pre_digest_item, seal_payload, vrf_input, AuthoritySignature, DporJustification,
		EquivocationProof, MemberIndex, Phase, PreDigest, SignedVote, VoteData,
	},
};
use cpchain_runtime::opaque::Block;
use sc_block_builder::BlockBuilderBuilder;
use sc_client_api::BlockBackend;
use sc_consensus::{
	BlockImport, BlockImportParams, ImportResult, ImportedAux, JustificationImport, Verifier,
};
use sp_api::{ApiExt, ProvideRuntimeApi};
use sp_blockchain::HeaderBackend;
use sp_consensus::{BlockOrigin, Error as ConsensusError};
use sp_core::{crypto::VrfSecret, sr25519, Pair, H256};
use sp_inherents::InherentDataProvider;
use sp_keyring::Sr25519Keyring;
use sp_runtime::{
	traits::{Block as BlockT, Header as HeaderT},
	transaction_validity::{TransactionSource, TransactionValidityError},
	Digest, DigestItem, Justifications,
};
use sp_transaction_pool::runtime_api::TaggedTransactionQueue;

mod common;
use common::{executor, new_client, Backend, Client, Header, MEMBERS};

/// A client of the real runtime on its own database.
struct TestNode {
	client: Arc<Client>,
	genesis: H256,
	_dir: tempfile::TempDir,
}

impl TestNode {
	fn new() -> Self {
		let dir = tempfile::tempdir().expect("a temporary directory");
		let (client, _) = new_client(&executor(), dir.path());
		let genesis = client.info().genesis_hash;
		Self { client, genesis, _dir: dir }
	}

	fn rules(&self, parent: H256) -> ChildRules {
		child_rules::<Block, Client>(&*self.client, parent).expect("DporApi answers")
	}

	/// The member whose key is at slot `index` of the committee at `parent`.
	fn member(&self, parent: H256, index: MemberIndex) -> Sr25519Keyring {
		let key = self.rules(parent).committee.members[index as usize].clone();
		let raw: &sr25519::Public = key.as_ref();
		*MEMBERS.iter().find(|m| m.public() == *raw).expect("a local member")
	}

	/// The leader of (`height`, `view`) on `parent` and its committee index.
	fn leader(&self, parent: H256, height: u64, view: u32) -> (MemberIndex, Sr25519Keyring) {
		let n = self.rules(parent).committee.members.len() as u32;
		let index = leader(height, view, n);
		(index, self.member(parent, index))
	}
}

/// How a test block is made; each field can be bent to make it invalid.
struct Recipe {
	/// The pre-digest's author index; the leader's if `None`.
	author: Option<MemberIndex>,
	/// Who makes the VRF output; the author if `None`.
	vrf_by: Option<Sr25519Keyring>,
	/// Who seals; the author if `None`.
	seal_by: Option<Sr25519Keyring>,
	/// Whether the block has a pre-digest.
	pre_digest: bool,
	/// Whether the block is sealed.
	sealed: bool,
	/// The term in the pre-digest; the parent's committee's if `None`.
	term: Option<u32>,
	/// Added to the current time in the timestamp inherent.
	timestamp_offset_ms: u64,
	/// Transactions after the inherents.
	extrinsics: Vec<<Block as BlockT>::Extrinsic>,
}

impl Default for Recipe {
	fn default() -> Self {
		Self {
			author: None,
			vrf_by: None,
			seal_by: None,
			pre_digest: true,
			sealed: true,
			term: None,
			timestamp_offset_ms: 0,
			extrinsics: Vec::new(),
		}
	}
}

/// A block built by the runtime on `parent` at view 0 as `recipe` says, as it arrives from
/// the network: the sealed header and the body.
async fn make_block(node: &TestNode, parent: H256, recipe: Recipe) -> Block {
	let parent_number = node.client.number(parent).expect("db").expect("known parent");
	let height = u64::from(parent_number) + 1;
	let rules = node.rules(parent);
	let (leader_index, _) = node.leader(parent, height, 0);
	let author = recipe.author.unwrap_or(leader_index);
	let author_key = node.member(parent, author);
	let term = recipe.term.unwrap_or(rules.committee.term);
	let input = vrf_input(&rules.randomness, rules.committee.term, height);
	let vrf = recipe.vrf_by.unwrap_or(author_key).pair().vrf_sign(&input.into_sign_data());
	let mut logs = Vec::new();
	if recipe.pre_digest {
		logs.push(pre_digest_item(&PreDigest { term, view: 0, author, vrf }));
	}

	let mut builder = BlockBuilderBuilder::new(&*node.client)
		.on_parent_block(parent)
		.with_parent_block_number(parent_number)
		.with_inherent_digests(Digest { logs })
		.build()
		.expect("a block builder");
	let now = sp_timestamp::Timestamp::current().as_millis() + recipe.timestamp_offset_ms;
	let data = sp_timestamp::InherentDataProvider::new(now.into())
		.create_inherent_data()
		.await
		.expect("timestamp inherent data");
	for xt in builder.create_inherents(data).expect("inherents") {
		builder.push(xt).expect("inherents apply");
	}
	for xt in recipe.extrinsics {
		builder.push(xt).expect("the transaction applies");
	}
	let (mut header, body) = builder.build().expect("the block builds").block.deconstruct();
	if recipe.sealed {
		let pre_hash = header.hash();
		let signature = recipe
			.seal_by
			.unwrap_or(author_key)
			.pair()
			.sign(&seal_payload(&node.genesis, &pre_hash));
		header
			.digest_mut()
			.push(DigestItem::Seal(DPOR_ENGINE_ID, AuthoritySignature::from(signature).encode()));
	}
	Block::new(header, body)
}

fn network_params(block: Block) -> BlockImportParams<Block> {
	let (header, body) = block.deconstruct();
	let mut params = BlockImportParams::new(BlockOrigin::NetworkBroadcast, header);
	params.body = Some(body);
	params
}

async fn verify(node: &TestNode, block: Block) -> Result<BlockImportParams<Block>, String> {
	DporVerifier::<Block, Client>::new(node.client.clone(), node.genesis)
		.verify(network_params(block))
		.await
}

/// A COMMIT justification for `block` (at view 0 of `header`'s height) signed by the
/// committee members at the given slots, in that order.
fn justification_by(node: &TestNode, header: &Header, slots: &[MemberIndex]) -> DporJustification {
	let parent = *header.parent_hash();
	let height = u64::from(*header.number());
	let term = node.rules(parent).committee.term;
	let block = header.hash();
	let data = VoteData { term, height, view: 0, phase: Phase::Commit, block: Some(block) };
	let payload = data.signing_payload(&node.genesis);
	let signatures = slots
		.iter()
		.map(|&slot| {
			(slot, AuthoritySignature::from(node.member(parent, slot).pair().sign(&payload)))
		})
		.collect();
	DporJustification { term, height, view: 0, block, signatures }
}

fn block_import(node: &TestNode) -> DporBlockImport<Block, Client, Backend> {
	DporBlockImport::new(node.client.clone(), node.genesis)
}

/// Imports `params`, which must be a new block; what the import says about it.
async fn import_new(
	import: &DporBlockImport<Block, Client, Backend>,
	params: BlockImportParams<Block>,
) -> ImportedAux {
	match import.import_block(params).await.expect("imports") {
		ImportResult::Imported(aux) => aux,
		other => panic!("unexpected import result {other:?}"),
	}
}

#[test]
fn a_leaders_block_is_verified_imported_and_finalised_by_a_quorum_justification() {
	futures::executor::block_on(leaders_block_is_verified_imported_and_finalised());
}

async fn leaders_block_is_verified_imported_and_finalised() {
	let node = TestNode::new();
	let genesis = node.genesis;
	let rules = node.rules(genesis);
	assert_eq!(rules.committee.members.len(), 4, "the local preset has four members");

	// Block 1 by the leader of (1, 0) passes the verifier and is imported, not final yet.
	let block = make_block(&node, genesis, Recipe::default()).await;
	let header = block.header().clone();
	let hash = header.hash();
	let mut import = block_import(&node);
	let checked = verify(&node, block).await.expect("the leader's block verifies");
	assert_eq!(checked.post_hash(), hash);
	let aux = import_new(&import, checked).await;
	assert!(aux.needs_justification, "a network block without one asks sync for it");
	assert_eq!(node.client.info().best_hash, hash);
	assert_eq!(node.client.info().finalized_number, 0);

	// Justifications short of a quorum (3 of 4), with a signer twice, out of order, or signed
	// by a non-member are refused, and the block stays unfinalised.
	let mut bad = vec![
		("two signatures", justification_by(&node, &header, &[0, 1])),
		("a signer twice", justification_by(&node, &header, &[0, 1, 1])),
		("signers out of order", justification_by(&node, &header, &[2, 0, 1])),
	];
	let mut foreign = justification_by(&node, &header, &[0, 1, 2]);
	let payload = foreign.vote_data().signing_payload(&genesis);
	foreign.signatures[2].1 = Sr25519Keyring::Eve.pair().sign(&payload).into();
	bad.push(("a non-member's signature", foreign));
	let mut other_block = justification_by(&node, &header, &[0, 1, 2]);
	other_block.block = H256::repeat_byte(9);
	bad.push(("another block's justification", other_block));
	for (what, j) in bad {
		let result =
			import.import_justification(hash, *header.number(), justification::encode(&j)).await;
		assert!(result.is_err(), "{what}: accepted");
		assert_eq!(node.client.info().finalized_number, 0, "{what}: finalised");
	}

	// A quorum finalises it, and the client stores the justification (which block requests
	// serve to syncing peers).
	let good = justification::encode(&justification_by(&node, &header, &[0, 2, 3]));
	import
		.import_justification(hash, *header.number(), good.clone())
		.await
		.expect("a quorum justification is imported");
	assert_eq!(node.client.info().finalized_hash, hash);
	let stored = node.client.justifications(hash).expect("db").expect("stored");
	assert_eq!(stored.get(DPOR_ENGINE_ID), Some(&good.1));
	assert!(matches!(
		import.import_justification(hash, *header.number(), good).await,
		Err(ConsensusError::OutdatedJustification)
	));

	// Block 2 arrives from sync with its justification: finalised on import.
	let block = make_block(&node, hash, Recipe::default()).await;
	let header = block.header().clone();
	let hash = header.hash();
	let j = justification::encode(&justification_by(&node, &header, &[1, 2, 3]));
	let mut params = verify(&node, block).await.expect("verifies");
	params.justifications = Some(Justifications::from(j));
	let aux = import_new(&import, params).await;
	assert!(!aux.bad_justification && !aux.needs_justification);
	assert_eq!(node.client.info().finalized_hash, hash);
	assert!(node.client.justifications(hash).expect("db").is_some());

	// Block 3 with a justification short of a quorum: imported, flagged, not finalised.
	let block = make_block(&node, hash, Recipe::default()).await;
	let header = block.header().clone();
	let j = justification::encode(&justification_by(&node, &header, &[0, 1]));
	let mut params = verify(&node, block).await.expect("verifies");
	params.justifications = Some(Justifications::from(j));
	let aux = import_new(&import, params).await;
	assert!(aux.bad_justification && aux.needs_justification);
	assert_eq!(node.client.info().finalized_hash, hash);
	assert_eq!(node.client.info().best_hash, header.hash());
}

#[test]
fn a_justification_finalises_nothing_unless_its_parent_is_the_finalised_head() {
	futures::executor::block_on(justification_on_unfinalised_parent());
}

async fn justification_on_unfinalised_parent() {
	// Blocks 1 and 2 arrive without justifications, then a quorum justification of block 2.
	// Finalising 2 would finalise 1 with no justification of its own, and the committee that
	// signed 2's was read from the state of an unfinalised block (a fork's builder chooses it).
	let node = TestNode::new();
	let mut import = block_import(&node);
	let one = make_block(&node, node.genesis, Recipe::default()).await;
	let (one_header, one_hash) = (one.header().clone(), one.header().hash());
	let params = verify(&node, one).await.expect("verifies");
	assert!(import_new(&import, params).await.needs_justification);
	let two = make_block(&node, one_hash, Recipe::default()).await;
	let (two_header, two_hash) = (two.header().clone(), two.header().hash());
	let justification_of_two =
		justification::encode(&justification_by(&node, &two_header, &[0, 1, 2]));
	// Arriving with its block, the early justification finalises nothing and is not held
	// against the block; sync is not asked for it (it would be refused as early again): the
	// voter asks once it decides height 2.
	let mut params = verify(&node, two).await.expect("verifies");
	params.justifications = Some(Justifications::from(justification_of_two.clone()));
	let aux = import_new(&import, params).await;
	assert!(!aux.needs_justification && !aux.bad_justification);
	assert_eq!(node.client.info().finalized_number, 0);
	// Imported on its own, it is answered as outdated (no penalty for the peer), and block 1
	// stays unfinalised.
	assert!(matches!(
		import.import_justification(two_hash, 2, justification_of_two.clone()).await,
		Err(ConsensusError::OutdatedJustification)
	));
	assert_eq!(
		node.client.info().finalized_number,
		0,
		"nothing finalised below an unjustified block"
	);
	// In order, both finalise.
	let justification_of_one =
		justification::encode(&justification_by(&node, &one_header, &[1, 2, 3]));
	import.import_justification(one_hash, 1, justification_of_one).await.expect("block 1");
	import.import_justification(two_hash, 2, justification_of_two).await.expect("then block 2");
	assert_eq!(node.client.info().finalized_hash, two_hash);
}

#[test]
fn only_the_next_block_to_finalise_asks_sync_for_its_justification() {
	futures::executor::block_on(next_block_to_finalise_asks());
}

async fn next_block_to_finalise_asks() {
	// A node behind the chain imports blocks 1, 2, 3 without justifications. If each asked
	// sync for its justification, those of 2 and 3 would be refused as early (their parents
	// are not final), and sync would ask again at once, without end: a storm of requests and
	// refusals on every peer for as long as the node is behind. Only block 1, whose parent is
	// the finalised head, asks.
	let node = TestNode::new();
	let import = block_import(&node);
	let mut parent = node.genesis;
	for number in 1..=3u32 {
		let block = make_block(&node, parent, Recipe::default()).await;
		parent = block.header().hash();
		let params = verify(&node, block).await.expect("verifies");
		let aux = import_new(&import, params).await;
		assert_eq!(aux.needs_justification, number == 1, "block {number}");
		assert!(!aux.bad_justification);
	}
	assert_eq!(node.client.info().finalized_number, 0);
	// Blocks on an unfinalised parent are never made best (fork choice).
	assert_eq!(node.client.info().best_number, 1);
}

#[test]
fn the_verifier_refuses_what_a_leader_did_not_make() {
	futures::executor::block_on(verifier_refuses_what_a_leader_did_not_make());
}

async fn verifier_refuses_what_a_leader_did_not_make() {
	let node = TestNode::new();
	let genesis = node.genesis;
	let (leader_index, leader_key) = node.leader(genesis, 1, 0);
	let other_index = (leader_index + 1) % 4;
	let other = node.member(genesis, other_index);
	let term = node.rules(genesis).committee.term;

	let cases = [
		(
			"no pre-digest",
			Recipe { pre_digest: false, ..Default::default() },
			"no single valid DPoR pre-digest",
		),
		("no seal", Recipe { sealed: false, ..Default::default() }, "no DPoR seal"),
		(
			"another member in the leader's place",
			Recipe { author: Some(other_index), ..Default::default() },
			"is not the leader",
		),
		(
			"sealed by another member",
			Recipe { seal_by: Some(other), ..Default::default() },
			"bad seal",
		),
		(
			"sealed by a non-member",
			Recipe { seal_by: Some(Sr25519Keyring::Eve), ..Default::default() },
			"bad seal",
		),
		(
			"another member's VRF output",
			Recipe { vrf_by: Some(other), ..Default::default() },
			"bad VRF output",
		),
		("another term", Recipe { term: Some(term + 1), ..Default::default() }, "names term"),
		(
			"a timestamp a minute ahead",
			Recipe { timestamp_offset_ms: 60_000, ..Default::default() },
			"inherents refused",
		),
	];
	for (what, recipe, expected) in cases {
		let block = make_block(&node, genesis, recipe).await;
		match verify(&node, block).await {
			Ok(_) => panic!("{what}: accepted"),
			Err(e) => assert!(e.contains(expected), "{what}: refused for another reason: {e}"),
		}
	}
	assert_ne!(leader_key, other);
	// The same recipe with nothing bent passes: the refusals above are the bent parts'.
	verify(&node, make_block(&node, genesis, Recipe::default()).await)
		.await
		.expect("the leader's block verifies");
	assert_eq!(node.client.info().best_number, 0, "the verifier imports nothing");
}

/// A local transaction pool that validates like the node's (source `Local`) and keeps what it
/// accepts.
#[derive(Clone)]
struct CapturePool {
	client: Arc<Client>,
	accepted: Arc<parking_lot::Mutex<Vec<<Block as BlockT>::Extrinsic>>>,
}

impl sc_transaction_pool_api::LocalTransactionPool for CapturePool {
	type Block = Block;
	type Hash = H256;
	type Error = sc_transaction_pool_api::error::Error;

	fn submit_local(
		&self,
		at: H256,
		xt: <Block as BlockT>::Extrinsic,
	) -> Result<H256, Self::Error> {
		let validity = self
			.client
			.runtime_api()
			.validate_transaction(at, TransactionSource::Local, xt.clone(), at)
			.expect("the runtime answers");
		validity.map_err(|e| match e {
			TransactionValidityError::Invalid(e) => Self::Error::InvalidTransaction(e),
			TransactionValidityError::Unknown(e) => Self::Error::UnknownTransaction(e),
		})?;
		self.accepted.lock().push(xt.clone());
		Ok(sp_io::hashing::blake2_256(&xt.encode()).into())
	}
}

/// The events of block `hash`.
fn events(node: &TestNode, hash: H256) -> Vec<cpchain_runtime::RuntimeEvent> {
	use codec::Decode;
	use sc_client_api::StorageProvider;
	let key = [sp_io::hashing::twox_128(b"System"), sp_io::hashing::twox_128(b"Events")].concat();
	let raw = node
		.client
		.storage(hash, &sp_core::storage::StorageKey(key.to_vec()))
		.expect("state")
		.expect("events");
	Vec::<frame_system::EventRecord<cpchain_runtime::RuntimeEvent, H256>>::decode(&mut &raw.0[..])
		.expect("events decode")
		.into_iter()
		.map(|r| r.event)
		.collect()
}

#[test]
fn an_equivocation_becomes_an_on_chain_report_that_punishes_the_member() {
	futures::executor::block_on(equivocation_becomes_an_on_chain_report());
}

async fn equivocation_becomes_an_on_chain_report() {
	let node = TestNode::new();
	let genesis = node.genesis;
	let pool = CapturePool { client: node.client.clone(), accepted: Default::default() };
	let report = |at: H256, proof: EquivocationProof| {
		let mut api = node.client.runtime_api();
		api.register_extension(
			sc_transaction_pool_api::OffchainTransactionPoolFactory::new(pool.clone())
				.offchain_transaction_pool(at),
		);
		api.submit_report_equivocation_unsigned_extrinsic(at, proof).expect("DporApi answers")
	};

	// Charlie signs COMMIT for two different blocks at height 1, view 0.
	let slot = node.rules(genesis).committee.members.iter().position(|k| {
		let raw: &sr25519::Public = k.as_ref();
		*raw == Sr25519Keyring::Charlie.public()
	});
	let voter = slot.expect("Charlie is a member") as MemberIndex;
	let term = node.rules(genesis).committee.term;
	let vote = |block: u8| {
		let data = VoteData {
			term,
			height: 1,
			view: 0,
			phase: Phase::Commit,
			block: Some(H256::repeat_byte(block)),
		};
		let signature = Sr25519Keyring::Charlie.pair().sign(&data.signing_payload(&genesis));
		SignedVote { data, voter, signature: signature.into() }
	};
	let proof = EquivocationProof { first: vote(1), second: vote(2) };

	// Two votes for one block are no equivocation: the runtime refuses to submit it.
	let same = EquivocationProof { first: vote(1), second: vote(1) };
	assert_eq!(report(genesis, same), None);
	assert!(pool.accepted.lock().is_empty());

	// The real one enters the pool as a local transaction; from outside it is refused.
	assert_eq!(report(genesis, proof.clone()), Some(()));
	let xt = pool.accepted.lock().pop().expect("the report is in the pool");
	let external = node
		.client
		.runtime_api()
		.validate_transaction(genesis, TransactionSource::External, xt.clone(), genesis)
		.expect("runtime answers");
	assert!(external.is_err(), "reports are accepted from the local node only");

	// A leader includes it: the member is punished, once.
	let block =
		make_block(&node, genesis, Recipe { extrinsics: vec![xt], ..Default::default() }).await;
	let hash = block.header().hash();
	let params = verify(&node, block).await.expect("verifies");
	import_new(&block_import(&node), params).await;
	let charlie = Sr25519Keyring::Charlie.to_account_id();
	let events = events(&node, hash);
	assert!(
		events.contains(&cpchain_runtime::RuntimeEvent::Dpor(
			pallet_dpor::Event::EquivocationReported { who: charlie.clone(), height: 1, view: 0 }
		)),
		"the report landed on chain: {events:?}"
	);
	assert!(
		events.iter().any(|e| matches!(
			e,
			cpchain_runtime::RuntimeEvent::Reputation(pallet_reputation::Event::Penalised {
				who,
				signal: cpchain_primitives::reputation::Signal::Equivocated,
				..
			}) if *who == charlie
		)),
		"the reputation system penalised the member: {events:?}"
	);
	assert_eq!(report(hash, proof), None, "an equivocation is punished once");
}

//! One byzantine member against three honest ones, all in the real adapters (see
//! `harness/mod.rs`). The byzantine member (Dave) runs no honest voter, so the honest three
//! are exactly a quorum: every attack that delays any of them shows as lost finality. It
//! signs with its real key and attacks the way the defects 1–5 describe:
//!
//! - floods of proposals for blocks that do not exist, in every view it leads within and
//!   beyond the window, for this height and the next (defect 1: this halted the chain);
//! - conflicting votes in the window and votes at views up to `u32::MAX` (defect 2);
//! - next-height messages in honest members' slots without valid signatures (defect 3);
//! - proposals out of turn;
//! - blocks at a view time cannot have reached, and blocks on an unfinalised parent
//!   (defects 4 and 5);
//! - many sibling blocks at the one (height, view) it leads early enough to be valid: one
//!   member making every node execute blocks without end (seal equivocation).
//!
//! The honest members must keep finalising through a term boundary (one chain), never sign
//! twice, keep their buffers within the documented bounds, report the equivocations and lower
//! the attacker's reputation, and import none of its invalid blocks as best or final.

mod common;
mod harness;

use std::{sync::Arc, time::Duration};

use codec::Encode;
use cpchain_consensus_dpor::{buffers::VIEW_WINDOW, chain::child_rules};
use cpchain_primitives::{
	consensus::DPOR_ENGINE_ID,
	consensus::{
		leader, AuthorityPair, AuthoritySignature, DporMessage, Phase, ProposalData,
		SignedProposal, SignedVote, VoteData,
	},
};
use cpchain_runtime::opaque::Block;
use harness::{sealed_block, slot_of, Net};
use sc_client_api::BlockBackend;
use sc_consensus::JustificationImport;
use sp_blockchain::HeaderBackend;
use sp_core::{Pair, H256};
use sp_runtime::traits::Block as BlockT;

/// The byzantine node (Dave).
const BYZANTINE: usize = 3;
/// Sibling blocks the attacker makes at one (height, view).
const SIBLINGS: u64 = 6;
/// Past the first term boundary (terms are 20 blocks).
const TARGET: u64 = 24;

#[test]
fn one_byzantine_member_neither_halts_nor_exhausts_nor_forks_the_honest_members() {
	let runtime = tokio::runtime::Builder::new_multi_thread()
		.worker_threads(2)
		.enable_all()
		.build()
		.expect("a runtime");
	runtime.block_on(byzantine());
}

/// What the attacker did.
#[derive(Default, Debug)]
struct Attack {
	proposals: u64,
	votes: u64,
	junk: u64,
	/// Blocks that must never be final (or best) at an honest node.
	bad_blocks: Vec<H256>,
	/// Sibling blocks made at one (height, view), per height.
	siblings: Vec<Vec<H256>>,
}

/// The largest values each honest voter's buffers reached.
#[derive(Default, Debug, Clone, Copy)]
struct Peaks {
	votes: u64,
	pending_proposals: u64,
	future_messages: u64,
	view: u64,
}

async fn byzantine() {
	let net = Net::new([true, true, true, false]);
	net.start();
	let attacker = tokio::spawn(attack(net.clone()));
	let sampler = tokio::spawn(sample(net.clone()));
	net.wait_finalized(TARGET, Duration::from_secs(300)).await;
	net.stop();
	let attack = attacker.await.expect("the attacker ran");
	let peaks = sampler.await.expect("the sampler ran");
	eprintln!("attack: {attack:?}");
	eprintln!("peaks: {peaks:?}");
	eprintln!(
		"delivered {} dropped {} refused blocks {}",
		*net.delivered.lock(),
		*net.dropped.lock(),
		net.refused.lock().len()
	);

	net.assert_one_chain();
	assert!(net.double_signs.lock().is_empty(), "{:?}", net.double_signs.lock());

	// The attack was real: far more than any buffer holds.
	assert!(attack.proposals > 10 * (2 * u64::from(VIEW_WINDOW) + 1), "{attack:?}");
	assert!(attack.votes > 10_000, "{attack:?}");

	// Bounds of docs/dpor-engine.md ("Bounds"), n = 4, W = VIEW_WINDOW.
	let n = 4u64;
	let w = u64::from(VIEW_WINDOW);
	assert!(peaks.pending_proposals <= 2 * w + 1, "{peaks:?}");
	assert!(peaks.future_messages <= (w + 1) * (2 * n + 1), "{peaks:?}");
	assert!(peaks.votes <= 2 * 2 * n * (w + 1 + peaks.view), "{peaks:?}");

	// Reported: equivocation reports went to the honest nodes' pools, and the attacker's
	// reputation fell at every honest node's network.
	let reports: Vec<_> = net.nodes[..3].iter().map(|n| n.pool.reports()).collect();
	eprintln!("reports: {reports:?}");
	assert!(reports.iter().map(|r| r.votes).sum::<usize>() > 0, "no vote equivocation report");
	// Its siblings were reported as seal equivocations, all of them by it, at every honest
	// node; nothing else went to the pools.
	for r in &reports {
		assert!(!r.seals.is_empty(), "{reports:?}");
		assert!(r.seals.iter().all(|(leader, _, _)| *leader == BYZANTINE as u32), "{reports:?}");
		assert_eq!(r.other, 0, "{reports:?}");
	}
	assert!(net.reputation_of(BYZANTINE) < 0, "reputation {}", net.reputation_of(BYZANTINE));

	// Of its siblings, each honest node imported the first and one more (the evidence).
	assert!(!attack.siblings.is_empty());
	for node in &net.nodes[..3] {
		for siblings in &attack.siblings {
			let imported = siblings
				.iter()
				.filter(|s| node.client.header(**s).ok().flatten().is_some())
				.count();
			assert!((1..=2).contains(&imported), "{} imported {imported} siblings", node.key);
		}
	}

	// None of its invalid blocks is final or best anywhere honest.
	assert!(!attack.bad_blocks.is_empty());
	for node in &net.nodes[..3] {
		let info = node.client.info();
		for bad in &attack.bad_blocks {
			assert_ne!(info.best_hash, *bad, "{} made a byzantine block best", node.key);
			if let Ok(Some(number)) = node.client.number(*bad) {
				assert_ne!(
					node.client.hash(number).expect("db"),
					Some(*bad),
					"final at {}",
					node.key
				);
			}
		}
	}
}

/// Samples the honest voters' metrics.
async fn sample(net: Arc<Net>) -> Peaks {
	let mut peaks = Peaks::default();
	while !net.stopping() {
		for node in &net.nodes[..3] {
			if let Some(m) = node.metrics.lock().as_ref() {
				peaks.votes = peaks.votes.max(m.votes.get());
				peaks.pending_proposals = peaks.pending_proposals.max(m.pending_proposals.get());
				peaks.future_messages = peaks.future_messages.max(m.future_messages.get());
				peaks.view = peaks.view.max(m.view.get());
			}
		}
		tokio::time::sleep(Duration::from_millis(20)).await;
	}
	peaks
}

fn random(round: u64, tag: u64, view: u32) -> H256 {
	<sp_runtime::traits::BlakeTwo256 as sp_runtime::traits::Hash>::hash(
		&(b"byzantine", round, tag, view).encode(),
	)
}

async fn attack(net: Arc<Net>) -> Attack {
	let me = net.nodes[BYZANTINE].clone();
	let pair = AuthorityPair::from_string(&format!("//{}", me.key), None).expect("a dev key");
	let genesis = net.genesis();
	let mut attack = Attack::default();
	let mut round = 0u64;
	let mut blocks_at = 0u64;
	while !net.stopping() {
		round += 1;
		follow_finality(&net).await;
		let info = me.client.info();
		let finalized = info.finalized_hash;
		let h = u64::from(info.finalized_number) + 1;
		let Ok(rules) = child_rules::<Block, _>(&*me.client, finalized) else { continue };
		let n = rules.committee.members.len() as u32;
		let term = rules.committee.term;
		let idx = slot_of(&me.client, finalized, me.key);
		let send = |m: DporMessage| net.broadcast(BYZANTINE, m.encode());
		let proposal = |height, view, block, proposer| {
			let data = ProposalData { term, height, view, block, valid_view: None };
			let signature = pair.sign(&data.signing_payload(&genesis));
			DporMessage::Proposal(SignedProposal {
				data,
				justification: vec![],
				proposer,
				signature,
			})
		};
		let vote = |height, view, phase, block| {
			let data = VoteData { term, height, view, phase, block };
			let signature = pair.sign(&data.signing_payload(&genesis));
			DporMessage::Vote(SignedVote { data, voter: idx, signature })
		};

		// Proposals for blocks that do not exist, in every view it leads (and beyond the
		// window), this height and the next; and out of turn, in another leader's name.
		for height in [h, h + 1] {
			for view in 0..=VIEW_WINDOW + 8 {
				let block = random(round, 1, view);
				if leader(height, view, n) == idx {
					send(proposal(height, view, block, idx));
				} else {
					send(proposal(height, view, block, leader(height, view, n)));
				}
				attack.proposals += 1;
			}
		}
		// Conflicting votes in the window; votes far beyond it.
		for view in 0..4 {
			for phase in [Phase::Prepare, Phase::Commit] {
				for tag in [2, 3] {
					send(vote(h, view, phase, Some(random(round, tag, view))));
					attack.votes += 1;
				}
			}
		}
		for view in (VIEW_WINDOW + 1..VIEW_WINDOW + 40).chain([1_000, u32::MAX / 2, u32::MAX]) {
			send(vote(h, view, Phase::Prepare, Some(random(round, 4, view))));
			send(vote(h + 1, view, Phase::Commit, None));
			attack.votes += 2;
		}
		// Next-height messages in honest members' slots, without valid signatures.
		for voter in (0..n).filter(|v| *v != idx) {
			for view in 0..8 {
				let data = VoteData {
					term,
					height: h + 1,
					view,
					phase: Phase::Prepare,
					block: Some(random(round, 5, view)),
				};
				let signature = AuthoritySignature::from(sp_core::sr25519::Signature::from_raw(
					[round as u8; 64],
				));
				send(DporMessage::Vote(SignedVote { data, voter, signature }));
				attack.junk += 1;
			}
		}

		// Once per height: a block at a view time cannot have reached, and a block on the
		// best block if that is not final.
		if h != blocks_at {
			blocks_at = h;
			let now = sp_timestamp::Timestamp::current().as_millis();
			let huge = (4_000_000_000u32..).find(|v| leader(h, *v, n) == idx).expect("a view");
			let block = sealed_block(&me.client, genesis, finalized, huge, idx, me.key, now).await;
			attack.bad_blocks.push(block.header().hash());
			for j in 0..3 {
				assert!(net.deliver_block(j, block.clone()).await.is_err(), "view {huge} imported");
			}
			// Siblings at the first view it leads (views 0..n are always plausible).
			let view = (0..n).find(|v| leader(h, *v, n) == idx).expect("a view");
			let mut siblings = Vec::new();
			for k in 0..SIBLINGS {
				let at = now + k;
				let block =
					sealed_block(&me.client, genesis, finalized, view, idx, me.key, at).await;
				siblings.push(block.header().hash());
				for j in 0..3 {
					let _ = net.deliver_block(j, block.clone()).await;
				}
			}
			attack.siblings.push(siblings);
			let best = me.client.info();
			if best.best_number > best.finalized_number {
				let parent = best.best_hash;
				let height = u64::from(best.best_number) + 1;
				let slot = slot_of(&me.client, parent, me.key);
				let view = (0..).find(|v| leader(height, *v, n) == slot).expect("a view");
				let block =
					sealed_block(&me.client, genesis, parent, view, slot, me.key, now).await;
				attack.bad_blocks.push(block.header().hash());
				for j in 0..3 {
					let _ = net.deliver_block(j, block.clone()).await;
				}
			}
		}
		tokio::time::sleep(Duration::from_millis(100)).await;
	}
	attack
}

/// The byzantine node runs no voter: it takes finality from an honest node's justifications
/// (as sync would), so that it attacks the height the others decide.
async fn follow_finality(net: &Net) {
	let me = &net.nodes[BYZANTINE];
	let source = &net.nodes[0].client;
	let mut import = me.import.clone();
	loop {
		let next = me.client.info().finalized_number + 1;
		if next > source.info().finalized_number {
			return;
		}
		let Ok(Some(hash)) = source.hash(next) else { return };
		let Ok(Some(justifications)) = source.justifications(hash) else { return };
		let Some(encoded) = justifications.get(DPOR_ENGINE_ID) else { return };
		if me.client.header(hash).ok().flatten().is_none() {
			let Ok(Some(block)) = source.block(hash) else { return };
			let _ = net.deliver_block(BYZANTINE, block.block).await;
		}
		if import.import_justification(hash, next, (DPOR_ENGINE_ID, encoded.clone())).await.is_err()
		{
			return;
		}
	}
}

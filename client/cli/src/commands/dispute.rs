//! `cpc market dispute` and `cpc market vote`: disputes over an order's intervals, and juror
//! votes under commit–reveal.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context as _, Result};
use cpchain_primitives::{
	data::IntervalRange,
	dispute::{commitment, DisputeView, Party, Phase},
	market::{Page, MAX_PAGE},
};
use cpchain_storage::Storage;
use rand_core::{OsRng, RngCore};
use serde_json::json;
use sp_core::{crypto::AccountId32, H256};

use super::address;
use crate::{
	chain::{AccountSigner, Call, Chain},
	cli::{format_amount, AccountArg, DisputeArgs, DisputeCommand, Side, VoteCommand},
	context::Context,
	records::BlockNumber,
};

/// A dispute as the runtime API shows it.
type Dispute = DisputeView<AccountId32, u128, BlockNumber>;

/// The largest evidence file `cpc` puts on IPFS: evidence is a document for jurors to read,
/// not the data itself (which they read through their grant).
const MAX_EVIDENCE_BYTES: u64 = 1 << 20;

pub async fn dispute(ctx: &Context, command: DisputeCommand) -> Result<()> {
	match command {
		DisputeCommand::Open { account, order, intervals } => {
			let intervals = IntervalRange { first: intervals.0, last: intervals.1 };
			let chain = ctx.chain().await?;
			let done = chain
				.submit(
					&signer(ctx, &account)?,
					&[Call::new("Dispute", "open_dispute", (order, intervals))],
				)
				.await?;
			let (id, _, _, claimant, fee, respond_by): (
				u64,
				u64,
				IntervalRange,
				Party,
				u128,
				BlockNumber,
			) = done.first("Dispute", "DisputeOpened")?;
			ctx.emit(
				format!(
					"dispute {id} opened as the {} over intervals {}..={} of order {order}: {} paid; the other side must match it by block #{respond_by} (block #{})",
					side_name(claimant),
					intervals.first,
					intervals.last,
					format_amount(fee),
					done.block
				),
				json!({ "dispute": id, "order": order, "fee": fee.to_string(), "respond_by": respond_by, "block": done.block }),
			);
			Ok(())
		}
		DisputeCommand::Fund(args) => {
			let done = submit(ctx, &args, "fund").await?;
			let (_, round, draw_at): (u64, u32, BlockNumber) = done.first("Dispute", "Funded")?;
			ctx.emit(
				format!(
					"dispute {}: round {round} paid by both sides; its jury is drawn at block #{draw_at} (block #{})",
					args.dispute, done.block
				),
				json!({ "dispute": args.dispute, "round": round, "draw_at": draw_at, "block": done.block }),
			);
			Ok(())
		}
		DisputeCommand::Evidence { account, dispute, file } => {
			evidence(ctx, &account, dispute, &file).await
		}
		DisputeCommand::Appeal(args) => {
			let done = submit(ctx, &args, "appeal").await?;
			let (_, round, _, fee, respond_by): (u64, u32, Party, u128, BlockNumber) =
				done.first("Dispute", "Appealed")?;
			ctx.emit(
				format!(
					"dispute {}: appealed to round {round} for {}; the other side must match it by block #{respond_by} (block #{})",
					args.dispute,
					format_amount(fee),
					done.block
				),
				json!({ "dispute": args.dispute, "round": round, "fee": fee.to_string(), "respond_by": respond_by, "block": done.block }),
			);
			Ok(())
		}
		DisputeCommand::Advance(args) => {
			let done = submit(ctx, &args, "advance").await?;
			let ruled: Vec<(u64, u32, Option<Party>, (u32, u32), BlockNumber)> =
				done.find("Dispute", "RoundRuled")?;
			let ended: Vec<(u64, u64, Option<Party>, bool, u128, u128, u128)> =
				done.find("Dispute", "DisputeConcluded")?;
			let (text, value) = if let Some(&(_, _, ruling, by_default, to_jurors, _, burnt)) =
				ended.first()
			{
				(
					format!(
						"dispute {} ended: {}{}; {} of the loser's fees to jurors, {} burnt (block #{})",
						args.dispute,
						ruling_text(ruling),
						if by_default { " by default (a fee not matched)" } else { "" },
						format_amount(to_jurors),
						format_amount(burnt),
						done.block
					),
					json!({ "dispute": args.dispute, "ended": true, "ruling": ruling.map(side_name), "by_default": by_default, "block": done.block }),
				)
			} else if let Some(&(_, round, ruling, votes, appeal_until)) = ruled.first() {
				(
					format!(
						"dispute {}: round {round} ruled {} ({} for the buyer, {} for the seller); appeals until block #{appeal_until} (block #{})",
						args.dispute,
						ruling_text(ruling),
						votes.0,
						votes.1,
						done.block
					),
					json!({ "dispute": args.dispute, "ended": false, "round": round, "ruling": ruling.map(side_name), "votes": [votes.0, votes.1], "appeal_until": appeal_until, "block": done.block }),
				)
			} else {
				bail!("the transaction moved dispute {} on, but emitted no ruling", args.dispute)
			};
			ctx.emit(text, value);
			Ok(())
		}
		DisputeCommand::Show { dispute } => show(ctx, dispute).await,
	}
}

pub async fn vote(ctx: &Context, command: VoteCommand) -> Result<()> {
	match command {
		VoteCommand::Commit { account, dispute, side } => {
			let juror = ctx.account(&account.account)?;
			let chain = ctx.chain().await?;
			let d = current(&chain, dispute).await?;
			let round = seated_round(&d, &juror.account_id())?;
			let now = chain.finalized_number().await?;
			match d.phase {
				Phase::Voting { commit_until, .. } if now < u64::from(commit_until) => {}
				phase => bail!("dispute {dispute} takes no commitment now: {}", phase_text(&phase)),
			}
			let vote = match side {
				Side::Buyer => Party::Buyer,
				Side::Seller => Party::Seller,
			};
			let mut salt = [0u8; 32];
			OsRng.fill_bytes(&mut salt);
			// Kept before the commitment goes out: a commitment whose salt is lost can never
			// be revealed.
			let path = salt_path(ctx, dispute, round, &juror.account_id());
			save_vote(&path, vote, &salt)?;
			let c = commitment(dispute, round, &juror.account_id(), vote, &salt);
			let done = chain
				.submit(
					&signer(ctx, &account)?,
					&[Call::new("Dispute", "commit_vote", (dispute, c))],
				)
				.await?;
			ctx.emit(
				format!(
					"dispute {dispute}: vote committed for the {} (salt kept in {}; reveal it after the commit period) (block #{})",
					side_name(vote),
					path.display(),
					done.block
				),
				json!({ "dispute": dispute, "round": round, "block": done.block }),
			);
			Ok(())
		}
		VoteCommand::Reveal(args) => {
			let juror = ctx.account(&args.account.account)?;
			let chain = ctx.chain().await?;
			let d = current(&chain, args.dispute).await?;
			let round = seated_round(&d, &juror.account_id())?;
			// Never before the reveal opens, as judged by the finalised block: a reveal sent
			// early fails, but shows the vote and salt to anyone, who may then denounce it.
			let now = chain.finalized_number().await?;
			match d.phase {
				Phase::Voting { commit_until, reveal_until }
					if now >= u64::from(commit_until) && now < u64::from(reveal_until) => {}
				Phase::Voting { commit_until, .. } if now < u64::from(commit_until) => bail!(
					"the reveal of dispute {} opens at block #{commit_until} (finalised: #{now}); revealing earlier would show your vote",
					args.dispute
				),
				phase => bail!("dispute {} takes no reveal now: {}", args.dispute, phase_text(&phase)),
			}
			let path = salt_path(ctx, args.dispute, round, &juror.account_id());
			let (vote, salt) = load_vote(&path)?;
			let done = chain
				.submit(
					&signer(ctx, &args.account)?,
					&[Call::new("Dispute", "reveal_vote", (args.dispute, vote, salt))],
				)
				.await?;
			std::fs::remove_file(&path)
				.with_context(|| format!("removing the revealed vote {}", path.display()))?;
			ctx.emit(
				format!(
					"dispute {}: vote for the {} revealed (block #{})",
					args.dispute,
					side_name(vote),
					done.block
				),
				json!({ "dispute": args.dispute, "round": round, "vote": side_name(vote), "block": done.block }),
			);
			Ok(())
		}
	}
}

fn signer(ctx: &Context, account: &AccountArg) -> Result<AccountSigner> {
	Ok(AccountSigner(ctx.account(&account.account)?.pair))
}

async fn submit(
	ctx: &Context,
	args: &DisputeArgs,
	call: &'static str,
) -> Result<crate::chain::Included> {
	ctx.chain()
		.await?
		.submit(&signer(ctx, &args.account)?, &[Call::new("Dispute", call, args.dispute)])
		.await
}

async fn evidence(ctx: &Context, account: &AccountArg, dispute: u64, file: &Path) -> Result<()> {
	let size = std::fs::metadata(file)
		.with_context(|| format!("reading the evidence {}", file.display()))?
		.len();
	if size > MAX_EVIDENCE_BYTES {
		bail!(
			"{} is {size} bytes; evidence is at most {MAX_EVIDENCE_BYTES} bytes (point to larger files from a JSON document)",
			file.display()
		);
	}
	let bytes =
		std::fs::read(file).with_context(|| format!("reading the evidence {}", file.display()))?;
	let hash = H256(cpchain_crypto::blake2_256(&[&bytes]));
	let chain = ctx.chain().await?;
	// Checked first, so that nothing goes to IPFS for a dispute that is not running.
	let d = current(&chain, dispute).await?;
	let me = ctx.account(&account.account)?.account_id();
	if me != d.buyer && me != d.seller {
		bail!("only the buyer and the seller of dispute {dispute} submit evidence");
	}
	let cid = ctx.storage()?.put(bytes).await.context("putting the evidence on IPFS")?;
	let done = chain
		.submit(
			&signer(ctx, account)?,
			&[Call::new("Dispute", "submit_evidence", (dispute, hash, cid.as_bytes().to_vec()))],
		)
		.await?;
	ctx.emit(
		format!("dispute {dispute}: evidence {cid} submitted (block #{})", done.block),
		json!({ "dispute": dispute, "cid": cid, "hash": format!("{hash:?}"), "block": done.block }),
	);
	Ok(())
}

/// Dispute `id`, which must be running.
async fn current(chain: &Chain, id: u64) -> Result<Dispute> {
	let d: Option<Dispute> = chain.runtime_api("DisputeApi_dispute", id).await?;
	d.ok_or_else(|| anyhow!("no running dispute {id} (never opened, or ended)"))
}

/// The current round of `d`, if `juror` sits in it.
fn seated_round(d: &Dispute, juror: &AccountId32) -> Result<u32> {
	let round = (d.rounds.len() as u32).saturating_sub(1);
	if !d.jurors.iter().any(|s| &s.juror == juror && s.round == round) {
		bail!("{} is not a juror of round {round} of dispute {}", address(juror), d.id);
	}
	Ok(round)
}

/// Where a juror's vote and salt wait for the reveal.
fn salt_path(ctx: &Context, dispute: u64, round: u32, juror: &AccountId32) -> PathBuf {
	ctx.global.data_dir.join("votes").join(format!("{dispute}-{round}-{}.json", address(juror)))
}

fn save_vote(path: &Path, vote: Party, salt: &[u8; 32]) -> Result<()> {
	use std::io::Write as _;
	let dir = path.parent().ok_or_else(|| anyhow!("no directory for {}", path.display()))?;
	std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
	let body = json!({ "vote": side_name(vote), "salt": hex::encode(salt) }).to_string();
	let mut options = std::fs::OpenOptions::new();
	options.write(true).create(true).truncate(true);
	#[cfg(unix)]
	{
		use std::os::unix::fs::OpenOptionsExt as _;
		// The salt is the vote's secret until the reveal: readable by its owner only.
		options.mode(0o600);
	}
	let mut f = options.open(path).with_context(|| format!("writing {}", path.display()))?;
	f.write_all(body.as_bytes()).with_context(|| format!("writing {}", path.display()))?;
	f.sync_all().with_context(|| format!("writing {}", path.display()))
}

fn load_vote(path: &Path) -> Result<(Party, [u8; 32])> {
	let body = std::fs::read_to_string(path).with_context(|| {
		format!(
			"reading {} (the vote was committed elsewhere, or revealed already)",
			path.display()
		)
	})?;
	let v: serde_json::Value =
		serde_json::from_str(&body).with_context(|| format!("parsing {}", path.display()))?;
	let vote = match v["vote"].as_str() {
		Some("buyer") => Party::Buyer,
		Some("seller") => Party::Seller,
		other => bail!("{}: vote {other:?} is neither buyer nor seller", path.display()),
	};
	let salt = hex::decode(v["salt"].as_str().unwrap_or_default())
		.ok()
		.and_then(|s| <[u8; 32]>::try_from(s).ok())
		.ok_or_else(|| anyhow!("{}: the salt is not 32 bytes of hex", path.display()))?;
	Ok((vote, salt))
}

fn side_name(party: Party) -> &'static str {
	match party {
		Party::Buyer => "buyer",
		Party::Seller => "seller",
	}
}

fn ruling_text(ruling: Option<Party>) -> String {
	match ruling {
		Some(p) => format!("for the {}", side_name(p)),
		None => "for nobody (the ordinary settlement rule applies)".into(),
	}
}

fn phase_text(phase: &Phase<BlockNumber>) -> String {
	match phase {
		Phase::Funding { party, until } => {
			format!("waiting for the {} to match the fee by block #{until}", side_name(*party))
		}
		Phase::Evidence { draw_at } => format!("evidence; the jury is drawn at block #{draw_at}"),
		Phase::Voting { commit_until, reveal_until } => format!(
			"voting: commit before block #{commit_until}, reveal before block #{reveal_until}"
		),
		Phase::Appealable { ruling, until } => {
			format!("ruled {}; appeals before block #{until}", ruling_text(*ruling))
		}
	}
}

async fn show(ctx: &Context, only: Option<u64>) -> Result<()> {
	let chain = ctx.chain().await?;
	let disputes: Vec<Dispute> = match only {
		Some(id) => vec![current(&chain, id).await?],
		None => {
			let mut items = Vec::new();
			let mut from = Some(0u64);
			while let Some(start) = from {
				let page: Page<Dispute> =
					chain.runtime_api("DisputeApi_disputes", (start, MAX_PAGE)).await?;
				items.extend(page.items);
				from = page.next;
			}
			items
		}
	};
	let text = if disputes.is_empty() {
		"no running disputes".to_string()
	} else {
		disputes
			.iter()
			.map(|d| {
				format!(
					"{}  order {}  intervals {}..={}  opened by the {}  round {}  jurors {}  evidence {}  {}",
					d.id,
					d.order,
					d.intervals.first,
					d.intervals.last,
					side_name(d.claimant),
					d.rounds.len().saturating_sub(1),
					d.jurors.len(),
					d.evidence.len(),
					phase_text(&d.phase)
				)
			})
			.collect::<Vec<_>>()
			.join("\n")
	};
	let json: Vec<_> = disputes
		.iter()
		.map(|d| {
			json!({
				"dispute": d.id,
				"order": d.order,
				"intervals": [d.intervals.first, d.intervals.last],
				"claimant": side_name(d.claimant),
				"buyer": address(&d.buyer),
				"seller": address(&d.seller),
				"round": d.rounds.len().saturating_sub(1),
				"phase": phase_text(&d.phase),
				"tally": [d.tally.0, d.tally.1],
				"jurors": d.jurors.iter().map(|s| json!({
					"juror": address(&s.juror),
					"round": s.round,
					"committed": s.committed,
					"vote": s.vote.map(side_name),
					"denounced": s.denounced,
				})).collect::<Vec<_>>(),
				"evidence": d.evidence.iter().map(|e| json!({
					"by": side_name(e.by),
					"hash": format!("{:?}", e.hash),
					"cid": String::from_utf8_lossy(&e.cid),
				})).collect::<Vec<_>>(),
			})
		})
		.collect();
	ctx.emit(text, json!({ "disputes": json }));
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_saved_vote_reads_back_and_is_private_to_its_owner() {
		let dir = std::env::temp_dir().join(format!("cpc-vote-{}", std::process::id()));
		let path = dir.join("votes").join("7-0-x.json");
		save_vote(&path, Party::Seller, &[9; 32]).expect("saves");
		assert_eq!(load_vote(&path).expect("loads"), (Party::Seller, [9; 32]));
		#[cfg(unix)]
		{
			use std::os::unix::fs::PermissionsExt as _;
			let mode = std::fs::metadata(&path).expect("exists").permissions().mode();
			assert_eq!(mode & 0o077, 0, "the salt is readable by others: {mode:o}");
		}
		std::fs::write(&path, r#"{"vote":"maybe","salt":"00"}"#).expect("writes");
		assert!(load_vote(&path).is_err());
		std::fs::write(&path, r#"{"vote":"buyer","salt":"0011"}"#).expect("writes");
		assert!(load_vote(&path).is_err(), "a short salt is refused");
		let _ = std::fs::remove_dir_all(&dir);
	}
}

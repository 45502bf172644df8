//! `cpc market`: listings, orders into escrow, delivery by grant, settlement, ratings.

use anyhow::{anyhow, bail, Context as _, Result};
use cpchain_primitives::{
	data::IntervalRange,
	market::{
		ListingKind, ListingView, OrderSpan, OrderStatus, OrderView, Page, MAX_DESCRIPTION_LEN,
		MAX_PAGE, MAX_TAGS, MAX_TAG_LEN, MAX_TITLE_LEN,
	},
	time::MILLI_SECS_PER_BLOCK,
};
use cpchain_storage::Storage;
use serde_json::json;
use sp_core::{crypto::AccountId32, H256};

use super::{access, address};
use crate::{
	chain::{parse_address, AccountSigner, Call, Chain},
	cli::{
		format_amount, AccountArg, BuyArgs, DeliverArgs, GrantArgs, ListArgs, MarketCommand,
		SettleArgs,
	},
	context::Context,
	records::{self, BlockNumber},
};

/// A listing as the runtime API shows it.
type Listing = ListingView<AccountId32, u128, BlockNumber>;
/// An order as the runtime API shows it.
type Order = OrderView<AccountId32, u128, BlockNumber>;

pub async fn run(ctx: &Context, command: MarketCommand) -> Result<()> {
	match command {
		MarketCommand::List(args) => list(ctx, args).await,
		MarketCommand::Delist { account, listing } => {
			let done = submit(ctx, &account, Call::new("Market", "delist", listing)).await?;
			ctx.emit(
				format!("listing {listing} removed; its deposit is back (block #{done})"),
				json!({ "listing": listing, "block": done }),
			);
			Ok(())
		}
		MarketCommand::Listings { seller } => listings(ctx, seller).await,
		MarketCommand::Buy(args) => buy(ctx, args).await,
		MarketCommand::Orders { buyer, seller } => orders(ctx, buyer, seller).await,
		MarketCommand::Deliver(args) => deliver(ctx, args).await,
		MarketCommand::Confirm(args) => settle(ctx, args, "confirm").await,
		MarketCommand::Settle(args) => settle(ctx, args, "settle").await,
		MarketCommand::Cancel { account, order } => {
			let chain = ctx.chain().await?;
			let signer = signer(ctx, &account)?;
			let done = chain.submit(&signer, &[Call::new("Market", "cancel_order", order)]).await?;
			let (_, intervals, refund, removed): (u64, u32, u128, bool) =
				done.first("Market", "OrderCancelled")?;
			ctx.emit(
				format!(
					"order {order}: {intervals} intervals that had not started cancelled, {} back to you{} (block #{})",
					format_amount(refund),
					if removed { "; the order is gone" } else { "" },
					done.block
				),
				json!({ "order": order, "intervals": intervals, "refund": refund.to_string(), "removed": removed, "block": done.block }),
			);
			Ok(())
		}
		MarketCommand::Dispute(c) => super::dispute::dispute(ctx, c).await,
		MarketCommand::Vote(c) => super::dispute::vote(ctx, c).await,
		MarketCommand::Rate { account, order, score } => {
			let done = submit(ctx, &account, Call::new("Market", "rate", (order, score))).await?;
			ctx.emit(
				format!("rated the seller of order {order}: {score} of 5 (block #{done})"),
				json!({ "order": order, "score": score, "block": done }),
			);
			Ok(())
		}
	}
}

fn signer(ctx: &Context, account: &AccountArg) -> Result<AccountSigner> {
	Ok(AccountSigner(ctx.account(&account.account)?.pair))
}

/// Submits one call signed by `account`; returns the block it was finalised in.
async fn submit(ctx: &Context, account: &AccountArg, call: Call) -> Result<u64> {
	let signer = signer(ctx, account)?;
	Ok(ctx.chain().await?.submit(&signer, &[call]).await?.block)
}

/// Checks a listing's words against the runtime's bounds, so that a long title fails here
/// with its length rather than as an undecodable transaction.
fn check_text(title: &str, description: &str, tags: &[String]) -> Result<()> {
	let check = |what: &str, text: &str, max: u32| {
		if text.len() > max as usize {
			bail!("{what} is {} bytes long; the chain keeps at most {max}", text.len());
		}
		Ok(())
	};
	check("the title", title, MAX_TITLE_LEN)?;
	check("the description", description, MAX_DESCRIPTION_LEN)?;
	if tags.len() > MAX_TAGS as usize {
		bail!("{} tags; a listing has at most {MAX_TAGS}", tags.len());
	}
	for tag in tags {
		check(&format!("tag {tag:?}"), tag, MAX_TAG_LEN)?;
	}
	if title.trim().is_empty() {
		bail!("the title is empty: buyers find listings by it");
	}
	Ok(())
}

async fn list(ctx: &Context, args: ListArgs) -> Result<()> {
	let tags: Vec<String> =
		args.tags.iter().map(|t| t.trim().to_string()).filter(|t| !t.is_empty()).collect();
	check_text(&args.title, &args.description, &tags)?;
	let terms = std::fs::read(&args.terms)
		.with_context(|| format!("reading the licence terms {}", args.terms.display()))?;
	let licence_hash = H256(cpchain_crypto::blake2_256(&[&terms]));
	let account = ctx.account(&args.account.account)?;
	let chain = ctx.chain().await?;
	let stream = records::stream(&chain, args.stream).await?;
	if stream.owner != account.account_id() {
		bail!(
			"stream {} belongs to {}, not to {}: only a stream's owner lists it",
			args.stream,
			address(&stream.owner),
			args.account.account
		);
	}
	let kind: ListingKind<BlockNumber> = match args.intervals {
		Some((first, last)) => {
			if last >= stream.next_interval {
				bail!(
					"stream {} has recorded intervals up to {} only: list those (or sell the coming ones with --subscription)",
					args.stream,
					stream.next_interval.saturating_sub(1)
				);
			}
			ListingKind::Range { intervals: IntervalRange { first, last } }
		}
		None => {
			let interval_ms = stream
				.params
				.period_ms
				.saturating_mul(u64::from(stream.params.encryption_interval));
			let interval_blocks =
				match args.interval_blocks {
					Some(blocks) => blocks,
					None => u32::try_from(interval_ms.div_ceil(MILLI_SECS_PER_BLOCK).max(1))
						.map_err(|_| {
							anyhow!("the stream's encryption interval is too long to sell by subscription")
						})?,
				};
			if interval_blocks == 0 {
				bail!("--interval-blocks must be at least 1");
			}
			ListingKind::Subscription {
				start: args.start.unwrap_or(stream.next_interval),
				max_intervals: args.max_intervals,
				interval_blocks,
			}
		}
	};
	let terms_cid = if args.publish_terms {
		let storage = ctx.storage()?;
		Some(storage.put(terms).await.context("putting the licence terms on IPFS")?.into_bytes())
	} else {
		None
	};
	let tags: Vec<Vec<u8>> = tags.into_iter().map(String::into_bytes).collect();
	let call = Call::new(
		"Market",
		"create_listing",
		(
			args.stream,
			kind,
			args.price,
			args.title.as_bytes(),
			args.description.as_bytes(),
			&tags,
			licence_hash,
			terms_cid.as_ref(),
		),
	);
	let done = chain.submit(&AccountSigner(account.pair.clone()), &[call]).await?;
	let (id, _, _, _, _, deposit): (u64, AccountId32, u64, ListingKind<BlockNumber>, u128, u128) =
		done.first("Market", "ListingCreated")?;
	ctx.emit(
		format!(
			"listing {id}: {} of stream {} at {} an interval; deposit {} held until you delist (block #{})",
			describe_kind(&kind),
			args.stream,
			format_amount(args.price),
			format_amount(deposit),
			done.block
		),
		json!({
			"listing": id,
			"price": args.price.to_string(),
			"deposit": deposit.to_string(),
			"licence_hash": format!("{licence_hash:?}"),
			"terms_cid": terms_cid.map(|c| String::from_utf8_lossy(&c).into_owned()),
			"block": done.block,
		}),
	);
	Ok(())
}

fn describe_kind(kind: &ListingKind<BlockNumber>) -> String {
	match kind {
		ListingKind::Range { intervals } => {
			format!("intervals {}..={}", intervals.first, intervals.last)
		}
		ListingKind::Subscription { start, max_intervals, interval_blocks } => format!(
			"a subscription to {max_intervals} intervals from {start}, one every {interval_blocks} blocks"
		),
	}
}

/// Every item of a paged runtime API `method`, page by page.
async fn all<T: codec::Decode>(chain: &Chain, method: &str) -> Result<Vec<T>> {
	let mut items = Vec::new();
	let mut from = Some(0u64);
	while let Some(start) = from {
		let page: Page<T> = chain.runtime_api(method, (start, MAX_PAGE)).await?;
		items.extend(page.items);
		from = page.next;
	}
	Ok(items)
}

async fn listings(ctx: &Context, seller: Option<String>) -> Result<()> {
	let seller = seller.as_deref().map(parse_address).transpose()?;
	let chain = ctx.chain().await?;
	let listings: Vec<Listing> = all::<Listing>(&chain, "MarketApi_listings")
		.await?
		.into_iter()
		.filter(|l| seller.as_ref().is_none_or(|s| *s == l.seller))
		.collect();
	let text = if listings.is_empty() {
		"no listings".to_string()
	} else {
		listings
			.iter()
			.map(|l| {
				format!(
					"{}  {}  stream {}  {}  {} an interval  seller {}{}",
					l.id,
					String::from_utf8_lossy(&l.title),
					l.stream,
					describe_kind(&l.kind),
					format_amount(l.price),
					address(&l.seller),
					if l.tags.is_empty() {
						String::new()
					} else {
						let tags: Vec<_> =
							l.tags.iter().map(|t| String::from_utf8_lossy(t)).collect();
						format!("  [{}]", tags.join(", "))
					}
				)
			})
			.collect::<Vec<_>>()
			.join("\n")
	};
	let json: Vec<_> = listings
		.iter()
		.map(|l| {
			json!({
				"listing": l.id,
				"seller": address(&l.seller),
				"stream": l.stream,
				"kind": describe_kind(&l.kind),
				"price": l.price.to_string(),
				"title": String::from_utf8_lossy(&l.title),
				"description": String::from_utf8_lossy(&l.description),
				"tags": l.tags.iter().map(|t| String::from_utf8_lossy(t).into_owned()).collect::<Vec<_>>(),
				"licence_hash": format!("{:?}", l.licence_hash),
				"terms_cid": l.terms_cid.as_ref().map(|c| String::from_utf8_lossy(c).into_owned()),
			})
		})
		.collect();
	ctx.emit(text, json!({ "listings": json }));
	Ok(())
}

async fn buy(ctx: &Context, args: BuyArgs) -> Result<()> {
	let account = ctx.account(&args.account.account)?;
	let chain = ctx.chain().await?;
	let listing: Listing =
		chain.runtime_api::<Option<Listing>>("MarketApi_listing", args.listing).await?.ok_or_else(
			|| anyhow!("listing {} does not exist (see `cpc market listings`)", args.listing),
		)?;
	if listing.seller == account.account_id() {
		bail!("listing {} is your own", args.listing);
	}
	let span = match (args.intervals, args.next, &listing.kind) {
		(Some((first, last)), None, ListingKind::Range { .. }) => {
			OrderSpan::Range(IntervalRange { first, last })
		}
		(None, Some(count), ListingKind::Subscription { .. }) => OrderSpan::Next(count),
		(Some(_), _, ListingKind::Subscription { .. }) => {
			bail!(
				"listing {} is a subscription: buy the next intervals with --next N",
				args.listing
			)
		}
		(_, Some(_), ListingKind::Range { .. }) => {
			bail!(
				"listing {} sells recorded intervals: name them with --intervals A..=B",
				args.listing
			)
		}
		_ => bail!("say which intervals: --intervals A..=B or --next N"),
	};
	let max_price = args.max_price.unwrap_or(listing.price);
	let done = chain
		.submit(
			&AccountSigner(account.pair.clone()),
			&[Call::new("Market", "place_order", (args.listing, span, max_price))],
		)
		.await?;
	type Placed = (u64, u64, AccountId32, AccountId32, u64, IntervalRange, u128, u128, u128);
	let (order, _, _, seller, stream, intervals, price, held, deposit): Placed =
		done.first("Market", "OrderPlaced")?;
	ctx.emit(
		format!(
			"order {order}: intervals {}..={} of stream {stream} at {} each; {} held in escrow and a deposit of {} (block #{}). The seller ({}) delivers with `cpc market deliver --order {order}`",
			intervals.first,
			intervals.last,
			format_amount(price),
			format_amount(held),
			format_amount(deposit),
			done.block,
			address(&seller),
		),
		json!({
			"order": order,
			"stream": stream,
			"intervals": [intervals.first, intervals.last],
			"price": price.to_string(),
			"held": held.to_string(),
			"deposit": deposit.to_string(),
			"block": done.block,
		}),
	);
	Ok(())
}

async fn orders(ctx: &Context, buyer: Option<String>, seller: Option<String>) -> Result<()> {
	let buyer = buyer.as_deref().map(parse_address).transpose()?;
	let seller = seller.as_deref().map(parse_address).transpose()?;
	let chain = ctx.chain().await?;
	let orders: Vec<Order> = all::<Order>(&chain, "MarketApi_orders")
		.await?
		.into_iter()
		.filter(|o| buyer.as_ref().is_none_or(|b| *b == o.buyer))
		.filter(|o| seller.as_ref().is_none_or(|s| *s == o.seller))
		.collect();
	let status = |o: &Order| {
		let status = match (o.status, o.next) {
			(OrderStatus::Closed(at), _) => format!("closed at block {at}"),
			(OrderStatus::Open, Some(next)) => format!(
				"open: interval {} due by block {}, settles from block {}",
				next.interval, next.due, next.settles_at
			),
			(OrderStatus::Open, None) => "open".into(),
		};
		match o.disputed {
			Some(d) => format!("{status}; intervals {}..={} disputed", d.first, d.last),
			None => status,
		}
	};
	let text = if orders.is_empty() {
		"no orders".to_string()
	} else {
		orders
			.iter()
			.map(|o| {
				format!(
					"{}  listing {}  stream {}  intervals {}..={}  {} settled of {}  paid {}, refunded {}, held {}  buyer {}  {}",
					o.id,
					o.listing,
					o.stream,
					o.intervals.first,
					o.intervals.last,
					o.settled,
					o.ordered,
					format_amount(o.paid),
					format_amount(o.refunded),
					format_amount(o.held),
					address(&o.buyer),
					status(o)
				)
			})
			.collect::<Vec<_>>()
			.join("\n")
	};
	let json: Vec<_> = orders
		.iter()
		.map(|o| {
			json!({
				"order": o.id,
				"listing": o.listing,
				"buyer": address(&o.buyer),
				"seller": address(&o.seller),
				"stream": o.stream,
				"intervals": [o.intervals.first, o.intervals.last],
				"price": o.price.to_string(),
				"settled": o.settled,
				"paid": o.paid.to_string(),
				"refunded": o.refunded.to_string(),
				"held": o.held.to_string(),
				"closed": matches!(o.status, OrderStatus::Closed(_)),
				"disputed": o.disputed.map(|d| [d.first, d.last]),
				"status": status(o),
			})
		})
		.collect();
	ctx.emit(text, json!({ "orders": json }));
	Ok(())
}

async fn deliver(ctx: &Context, args: DeliverArgs) -> Result<()> {
	let chain = ctx.chain().await?;
	let order: Order = chain
		.runtime_api::<Option<Order>>("MarketApi_order", args.order)
		.await?
		.ok_or_else(|| anyhow!("order {} does not exist (see `cpc market orders`)", args.order))?;
	if matches!(order.status, OrderStatus::Closed(_)) {
		bail!("order {} is settled already: nothing to deliver", args.order);
	}
	let me = ctx.account(&args.account.account)?.account_id();
	if order.seller != me {
		bail!(
			"order {} is sold by {}, not by {}",
			args.order,
			address(&order.seller),
			args.account.account
		);
	}
	access::grant(
		ctx,
		GrantArgs {
			account: args.account,
			stream: order.stream,
			grantee: address(&order.buyer),
			grantee_key: None,
			intervals: (order.intervals.first, order.intervals.last),
			expires_in: args.expires_in,
			proxies: args.proxies,
			threshold: args.threshold,
		},
	)
	.await
}

/// `confirm` (the buyer accepts) or `settle` (anyone, what is due).
async fn settle(ctx: &Context, args: SettleArgs, call: &'static str) -> Result<()> {
	let order = args.order;
	let chain = ctx.chain().await?;
	let done = chain
		.submit(&signer(ctx, &args.account)?, &[Call::new("Market", call, (order, args.max))])
		.await?;
	let settled: Vec<(u64, u32, u32, u128, u128, u128)> = done.find("Market", "Settled")?;
	let (paid, refunded, to_seller, fee, refund) =
		settled.iter().fold((0u32, 0u32, 0u128, 0u128, 0u128), |acc, (_, p, r, s, f, b)| {
			(acc.0 + p, acc.1 + r, acc.2 + s, acc.3 + f, acc.4 + b)
		});
	let closed = !done.find::<(u64, u128, u128)>("Market", "OrderClosed")?.is_empty();
	ctx.emit(
		format!(
			"order {order}: {paid} intervals paid ({} to the seller, {} market fee), {refunded} refunded ({}){} (block #{})",
			format_amount(to_seller),
			format_amount(fee),
			format_amount(refund),
			if closed { "; the order is settled in full" } else { "" },
			done.block
		),
		json!({
			"order": order,
			"paid": paid,
			"refunded": refunded,
			"to_seller": to_seller.to_string(),
			"fee": fee.to_string(),
			"refund": refund.to_string(),
			"closed": closed,
			"block": done.block,
		}),
	);
	Ok(())
}

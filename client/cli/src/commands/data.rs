//! `cpc ingest`, `cpc fetch` and `cpc verify`.

use std::{
	fs::File,
	io::{BufReader, Write},
	path::Path,
};

use anyhow::{anyhow, bail, Context as _, Result};
use serde_json::json;

use super::address;
use crate::{
	chain::AccountSigner,
	cli::{FetchArgs, IngestArgs, VerifyArgs},
	context::Context,
	fetch,
	ingest::{self, Ingest, Summary},
	readings::{self, Format},
	records,
};

fn format_of(path: &Path, explicit: Option<Format>) -> Format {
	explicit.unwrap_or(match path.extension().and_then(|e| e.to_str()) {
		Some("csv") => Format::Csv,
		_ => Format::Jsonl,
	})
}

pub async fn ingest(ctx: &Context, args: IngestArgs) -> Result<()> {
	let account = ctx.account(&args.account.account)?;
	let device = match &args.device_key {
		Some(name) => Some(ctx.keystore().device(name, &ctx.password(false)?)?.1),
		None => None,
	};
	let chain = ctx.chain().await?;
	let storage = ctx.storage()?;
	let view = records::stream(&chain, args.stream).await?;
	if view.owner != account.account_id() {
		bail!(
			"stream {} belongs to {}, not to {} ({})",
			args.stream,
			address(&view.owner),
			args.account.account,
			address(&account.account_id())
		);
	}
	let mut summary = Summary::default();
	let mut journal =
		ingest::reconcile(&chain, &ctx.global.data_dir, args.stream, &view, &mut summary).await?;
	if summary.recovered > 0 {
		eprintln!("{} records of the interrupted run were on chain already", summary.recovered);
	}
	if summary.rebuilt > 0 {
		eprintln!(
			"{} records of the interrupted run never reached the chain: rebuilding them",
			summary.rebuilt
		);
	}
	let format = format_of(&args.input, args.format);
	let (input, length): (Box<dyn std::io::BufRead>, Option<u64>) = if args.input == Path::new("-")
	{
		(Box::new(BufReader::new(std::io::stdin())), None)
	} else {
		let file = File::open(&args.input)
			.with_context(|| format!("cannot open {}", args.input.display()))?;
		let length = file.metadata().ok().map(|m| m.len());
		(Box::new(BufReader::new(file)), length)
	};
	let bar = ctx.progress(None, "ingesting");
	let _ = length;
	let progress = |s: &Summary| {
		bar.set_message(format!(
			"ingesting: {} readings, {} blocks, {} records",
			s.readings, s.blocks, s.records
		));
		bar.tick();
	};
	let signer = AccountSigner(account.pair.clone());
	let run = Ingest {
		chain: &chain,
		storage: &storage,
		stream: args.stream,
		params: view.params,
		signer: &signer,
		owner: &account.umbral,
		device: device.as_ref(),
		batch: args.batch as usize,
		on_error: args.on_error,
		hold_partial: args.hold_partial,
		progress: &progress,
	};
	let recovered = (summary.recovered, summary.rebuilt);
	let result =
		run.run(&mut journal, readings::read(input, format, args.time_field.clone())).await;
	bar.finish_and_clear();
	let mut summary = result?;
	(summary.recovered, summary.rebuilt) = recovered;
	ctx.emit(
		format!(
			"ingested {} readings into {} blocks and {} records ({} bytes on IPFS); {} readings were already on chain, {} bad lines skipped; stream {} now has {} records",
			summary.readings,
			summary.blocks,
			summary.records,
			summary.bytes,
			summary.already_ingested,
			summary.bad_lines,
			args.stream,
			summary.next_record
		),
		json!(summary),
	);
	Ok(())
}

pub async fn fetch(ctx: &Context, args: FetchArgs) -> Result<()> {
	let account = ctx.account(&args.account.account)?;
	let chain = ctx.chain().await?;
	let storage = ctx.storage()?;
	let bar = ctx.progress(Some(0), "fetching records");
	let progress = |done: u64, total: u64| {
		bar.set_length(total);
		bar.set_position(done);
	};
	// Readings go to a private temporary file beside the output first (mode 0600, a unique
	// name), so that a failed or killed fetch leaves no partial plaintext under the output's
	// name, and nobody else can read it meanwhile.
	let mut file = match &args.out {
		Some(path) => Some(crate::files::PrivateFile::beside(path)?),
		None => None,
	};
	let mut sink: Box<dyn Write + '_> = match file.as_mut() {
		Some(file) => Box::new(std::io::BufWriter::new(file)),
		None => Box::new(std::io::stdout().lock()),
	};
	let result = fetch::fetch(
		&chain,
		&storage,
		&ctx.global.data_dir,
		&account,
		args.stream,
		args.intervals,
		&mut sink,
		&progress,
	)
	.await;
	drop(sink);
	bar.finish_and_clear();
	let fetched = result?;
	if let Some(file) = file {
		file.commit()?;
	}
	let message = format!(
		"fetched intervals {}..={} of stream {} as {}: {} records, {} blocks, {} bytes of readings, all verified",
		fetched.intervals.0, fetched.intervals.1, args.stream, fetched.role, fetched.records, fetched.blocks, fetched.bytes
	);
	if args.out.is_some() || ctx.global.json {
		ctx.emit(message, json!(fetched));
	} else {
		eprintln!("{message}");
	}
	Ok(())
}

pub async fn verify(ctx: &Context, args: VerifyArgs) -> Result<()> {
	let chain = ctx.chain().await?;
	let storage = ctx.storage()?;
	let bar = ctx.progress(Some(0), "verifying records");
	let progress = |done: u64, total: u64| {
		bar.set_length(total);
		bar.set_position(done);
	};
	let result = fetch::verify(&chain, &storage, args.stream, &progress).await;
	bar.finish_and_clear();
	let (stream, checked) = result?;
	let failed: Vec<_> = checked.iter().filter(|c| c.error.is_some()).collect();
	let mut text = format!(
		"stream {}: {} records checked ({}..{}), {} failed",
		args.stream,
		checked.len(),
		stream.first_record,
		stream.next_record,
		failed.len()
	);
	for c in &failed {
		text.push_str(&format!(
			"\n  record {} ({}): {}",
			c.record,
			c.cid,
			c.error.as_deref().unwrap_or_default()
		));
	}
	ctx.emit(text, json!({ "stream": args.stream, "checked": checked.len(), "failed": failed.len(), "records": checked }));
	if !failed.is_empty() {
		return Err(anyhow!("{} of {} records do not verify", failed.len(), checked.len()));
	}
	Ok(())
}

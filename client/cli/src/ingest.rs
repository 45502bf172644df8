//! `cpc ingest`: readings in, encrypted uploads on IPFS and records on chain out.
//!
//! Readings are cut into blocks by period `T` (a block holds the readings of one period),
//! blocks are chained by hash and sealed with the key of their encryption interval (`e`
//! blocks), and every `u` blocks become one upload: stored on IPFS (and pinned), then
//! registered on chain as a record naming its CID, content hash, Merkle root and intervals,
//! signed by the device key if one is given. Records are submitted `--batch` at a time as one
//! all-or-nothing transaction, after the journal has written them down (see
//! [`crate::journal`]), so that an interruption at any point loses nothing and duplicates
//! nothing: the next run reconciles with the chain and continues from the first period that is
//! not on chain.

use anyhow::{anyhow, Context, Result};
use cpchain_crypto::{
	blake2_256,
	block::{BlockChainer, DataBlock},
	cipher::IntervalKey,
	keys::{OwnerKeys, WrappedKey},
	wire,
};
use cpchain_primitives::data::{
	record_signing_payload, DeviceSignature, IntervalRange, RecordPreimage, StreamParams,
};
use cpchain_storage::Storage;
use sp_core::{Pair, H256};

use crate::{
	chain::{Call, Chain},
	cli::OnError,
	journal::{ChainEnd, Hex32, Journal, OpenKey, Pending, Point, Reconciled},
	keystore::DeviceKeyPair,
	readings::Reading,
	records::NewRecord,
	upload::{seal_block, Upload, WrappedIntervalKey, MAGIC, VERSION},
};

/// What an ingest did.
#[derive(Debug, Default, serde::Serialize)]
pub struct Summary {
	/// Readings read and ingested now.
	pub readings: u64,
	/// Readings skipped because their period is already on chain.
	pub already_ingested: u64,
	/// Bad lines skipped (`--on-error skip`).
	pub bad_lines: u64,
	/// Blocks built.
	pub blocks: u64,
	/// Records registered.
	pub records: u64,
	/// Bytes uploaded to IPFS.
	pub bytes: u64,
	/// Pending records of an earlier run found on chain.
	pub recovered: u64,
	/// Pending records of an earlier run that never reached the chain (rebuilt).
	pub rebuilt: u64,
	/// The stream's next record index afterwards.
	pub next_record: u64,
}

/// The interval key in use, with its wrapped form.
struct CurrentKey {
	interval: u64,
	key: IntervalKey,
	wrapped: WrappedIntervalKey,
}

/// Everything ingest needs.
pub struct Ingest<'a, S> {
	/// The chain.
	pub chain: &'a Chain,
	/// Where uploads go.
	pub storage: &'a S,
	/// The stream.
	pub stream: u64,
	/// Its parameters.
	pub params: StreamParams,
	/// The owner's account.
	pub signer: &'a crate::chain::AccountSigner,
	/// The owner's Umbral keys.
	pub owner: &'a OwnerKeys,
	/// The device key, to sign records.
	pub device: Option<&'a DeviceKeyPair>,
	/// Records per transaction.
	pub batch: usize,
	/// What to do with bad lines.
	pub on_error: OnError,
	/// Keep the trailing, unfinished block for the next run.
	pub hold_partial: bool,
	/// Called with the summary after every registered batch and every 1,000 readings.
	pub progress: &'a dyn Fn(&Summary),
}

/// The state while building.
struct Builder {
	chainer: BlockChainer,
	/// Period of the block being filled, and its readings.
	period: Option<u64>,
	lines: Vec<u8>,
	last_time_ms: u64,
	/// Blocks of the upload being filled, with their plaintext (for nothing but sealing).
	upload: Vec<(DataBlock, u64)>,
	key: Option<CurrentKey>,
	/// The state after the last upload handed to the journal.
	head: Point,
	/// The calls of the journal's pending records.
	calls: Vec<Call>,
}

impl<S: Storage + Sync> Ingest<'_, S> {
	/// Runs over `input` until its end.
	pub async fn run(
		&self,
		journal: &mut Journal,
		readings: impl Iterator<Item = Result<Reading, crate::readings::BadLine>>,
	) -> Result<Summary> {
		let mut summary = Summary::default();
		let head = journal.committed.clone();
		let key = match &head.open_key {
			None => None,
			Some(open) => Some(self.reopen(open)?),
		};
		let mut b = Builder {
			chainer: BlockChainer::new(
				self.stream,
				self.params.encryption_interval,
				head.next_block,
				head.last_block_hash.0,
			)?,
			period: None,
			lines: Vec::new(),
			last_time_ms: head.last_time_ms,
			upload: Vec::new(),
			key,
			head,
			calls: Vec::new(),
		};
		let start_period = b.head.next_period;
		let u = self.params.upload_interval as usize;
		for reading in readings {
			let reading = match reading {
				Ok(r) => r,
				Err(bad) => match self.on_error {
					OnError::Fail => {
						return Err(anyhow!(
							"{bad}; stopped there ({} records registered before it; nothing of the unfinished upload reached the chain). Fix the line, or pass --on-error skip, and run again to continue",
							summary.records
						))
					},
					OnError::Skip => {
						eprintln!("skipped {bad}");
						summary.bad_lines += 1;
						continue;
					},
				},
			};
			let period = reading.time_ms / self.params.period_ms;
			if period < start_period {
				summary.already_ingested += 1;
				continue;
			}
			if b.period.is_some_and(|p| p != period) {
				self.close_block(&mut b, &mut summary)?;
				if b.upload.len() >= u {
					self.close_upload(&mut b, journal, &mut summary).await?;
				}
			}
			b.period = Some(period);
			b.lines.extend_from_slice(reading.json.as_bytes());
			b.lines.push(b'\n');
			b.last_time_ms = reading.time_ms;
			summary.readings += 1;
			if summary.readings % 1000 == 0 {
				(self.progress)(&summary);
			}
		}
		if !self.hold_partial && b.period.is_some() {
			self.close_block(&mut b, &mut summary)?;
		}
		if !b.upload.is_empty() {
			self.close_upload(&mut b, journal, &mut summary).await?;
		}
		self.submit(&mut b, journal, &mut summary).await?;
		summary.next_record = journal.committed.next_record;
		Ok(summary)
	}

	fn reopen(&self, open: &OpenKey) -> Result<CurrentKey> {
		let wrapped = WrappedIntervalKey {
			interval: open.interval,
			capsule: hex::decode(&open.capsule).context("damaged journal")?,
			ciphertext: hex::decode(&open.ciphertext).context("damaged journal")?,
		};
		let key = self
			.owner
			.unwrap(&wrapped.wrapped()?)
			.map_err(|_| anyhow!("the journal's interval key does not open with this account's Umbral key: is this the stream owner's account?"))?;
		Ok(CurrentKey { interval: open.interval, key, wrapped })
	}

	fn close_block(&self, b: &mut Builder, summary: &mut Summary) -> Result<()> {
		let Some(period) = b.period.take() else { return Ok(()) };
		let block = b.chainer.push(std::mem::take(&mut b.lines));
		b.upload.push((block, period));
		summary.blocks += 1;
		Ok(())
	}

	async fn close_upload(
		&self,
		b: &mut Builder,
		journal: &mut Journal,
		summary: &mut Summary,
	) -> Result<()> {
		let blocks = std::mem::take(&mut b.upload);
		let (Some((first, _)), Some((last, last_period))) = (blocks.first(), blocks.last()) else {
			return Ok(());
		};
		let intervals = IntervalRange { first: first.interval, last: last.interval };
		let last_period = *last_period;
		let mut keys: Vec<WrappedIntervalKey> = Vec::new();
		let mut sealed = Vec::with_capacity(blocks.len());
		for (block, _) in &blocks {
			let current = match b.key.take() {
				Some(k) if k.interval == block.interval => k,
				_ => {
					let key = IntervalKey::generate();
					let wrapped: WrappedKey = self.owner.wrap(&key)?;
					CurrentKey {
						interval: block.interval,
						wrapped: WrappedIntervalKey::new(block.interval, &wrapped)?,
						key,
					}
				}
			};
			if keys.last().map(|k| k.interval) != Some(current.interval) {
				keys.push(current.wrapped.clone());
			}
			sealed.push(seal_block(&current.key, block)?);
			b.key = Some(current);
		}
		let head = &b.head;
		let upload = Upload {
			magic: MAGIC,
			version: VERSION,
			stream: self.stream,
			record: head.next_record,
			owner_key: wire::public_key_to_bytes(&self.owner.public_key()),
			owner_verifying_key: wire::public_key_to_bytes(&self.owner.verifying_key()),
			keys,
			blocks: sealed,
		};
		let merkle_root =
			upload.merkle_root().ok_or_else(|| anyhow!("an upload without blocks"))?;
		let bytes = upload.to_bytes();
		let size = bytes.len() as u64;
		let content_hash = blake2_256(&[&bytes]);
		let cid = self.storage.put(bytes).await.context("storing the upload on IPFS")?;
		let record = NewRecord {
			cid: cid.clone().into_bytes(),
			content_hash: H256(content_hash),
			merkle_root: H256(merkle_root),
			size,
			intervals,
			timestamp_ms: b.last_time_ms,
			prev: H256(head.last_record_hash.0),
		};
		let hash = RecordPreimage {
			stream: self.stream,
			index: head.next_record,
			cid: &record.cid,
			content_hash: record.content_hash,
			merkle_root: record.merkle_root,
			size,
			intervals,
			timestamp_ms: record.timestamp_ms,
			prev: record.prev,
		}
		.hash();
		let signature = self.device.map(|d| sign(d, journal.genesis.0, hash));
		let open_key = b.key.as_ref().map(|k| OpenKey {
			interval: k.interval,
			capsule: hex::encode(&k.wrapped.capsule),
			ciphertext: hex::encode(&k.wrapped.ciphertext),
		});
		let after = Point {
			next_block: b.chainer.next_index(),
			last_block_hash: Hex32(b.chainer.last_hash()),
			next_period: last_period.saturating_add(1),
			next_record: head.next_record.saturating_add(1),
			last_record_hash: Hex32(hash.0),
			last_time_ms: b.last_time_ms,
			open_key,
		};
		summary.bytes += size;
		journal.pending.push(Pending {
			record_hash: Hex32(hash.0),
			cid,
			after: after.clone(),
			valid_until: 0,
		});
		b.calls.push(Call::new("DataRegistry", "append_record", (self.stream, record, signature)));
		b.head = after;
		if journal.pending.len() >= self.batch {
			self.submit(b, journal, summary).await?;
		}
		Ok(())
	}

	/// Submits the journal's pending records as one transaction.
	async fn submit(
		&self,
		b: &mut Builder,
		journal: &mut Journal,
		summary: &mut Summary,
	) -> Result<()> {
		if journal.pending.is_empty() {
			return Ok(());
		}
		let calls = std::mem::take(&mut b.calls);
		let count = journal.pending.len() as u64;
		// The journal names the records, and how long their transaction may still land,
		// before it is sent: a crash at any later point is recovered by `reconcile`.
		self.chain
			.submit_with(self.signer, &calls, |valid_until| {
				journal.pending.iter_mut().for_each(|p| p.valid_until = valid_until);
				journal.save()
			})
			.await
			.context(
				"registering records (run the same command again: it finds out what reached the chain)",
			)?;
		let last = journal.pending.last().map(|p| p.after.clone()).unwrap_or_default();
		journal.committed = last;
		journal.pending.clear();
		journal.save()?;
		summary.records += count;
		(self.progress)(summary);
		Ok(())
	}
}

/// The device's signature over a record.
pub fn sign(device: &DeviceKeyPair, genesis: [u8; 32], record_hash: H256) -> DeviceSignature {
	let payload = record_signing_payload(H256(genesis), record_hash);
	match device {
		DeviceKeyPair::Sr25519(p) => DeviceSignature::Sr25519(p.sign(&payload)),
		DeviceKeyPair::Ed25519(p) => DeviceSignature::Ed25519(p.sign(&payload)),
		DeviceKeyPair::Ecdsa(p) => DeviceSignature::Ecdsa(p.sign(&payload)),
	}
}

/// Reconciles the journal with the chain, reporting what it found.
pub async fn reconcile(
	chain: &Chain,
	data_dir: &std::path::Path,
	stream: u64,
	view: &crate::records::Stream,
	summary_note: &mut Summary,
) -> Result<Journal> {
	let end = |v: &crate::records::Stream| ChainEnd {
		next_record: v.next_record,
		last_record_hash: v.last_record_hash.0,
	};
	let mut journal = Journal::open(&data_dir.join("ingest"), chain.genesis(), stream, end(view))?;
	let mut end_now = end(view);
	let mut told = false;
	loop {
		let finalized = chain.finalized_number().await?;
		if !journal.in_flight(end_now, finalized) {
			break;
		}
		if !told {
			let until = journal.pending.iter().map(|p| p.valid_until).max().unwrap_or_default();
			eprintln!(
				"the interrupted run's transaction may still land (until block {until}; finalised: {finalized}): waiting for it"
			);
			told = true;
		}
		tokio::time::sleep(std::time::Duration::from_secs(2)).await;
		end_now = end(&crate::records::stream(chain, stream).await?);
	}
	match journal.reconcile(end_now)? {
		Reconciled::Clean => {}
		Reconciled::Included(n) => summary_note.recovered = n as u64,
		Reconciled::Dropped(n) => summary_note.rebuilt = n as u64,
	}
	Ok(journal)
}

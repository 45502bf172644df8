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
	record_signing_payload, DeviceSignature, IntervalRange, StreamParams,
};
use cpchain_storage::Storage;
use sp_core::{Pair, H256};

use crate::{
	chain::{Call, Chain},
	journal::{ChainEnd, Hex32, Journal, OpenKey, Pending, Point, Reconciled},
	keystore::DeviceKeyPair,
	readings::Reading,
	records::NewRecord,
	upload::{seal_block, Upload, WrappedIntervalKey, MAGIC, VERSION},
};

/// What to do with a line that is not a reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OnError {
	/// Stop at the first bad line (nothing of the unfinished upload reaches the chain).
	Fail,
	/// Report the line on stderr and go on.
	Skip,
}

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
	/// Wall-clock seconds of the whole run.
	pub seconds: f64,
	/// Seconds spent blocked on the chain (waiting for transactions to finalise while no
	/// upload could be built); the rest is the data path: reading, encrypting, storing.
	pub chain_wait_seconds: f64,
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
	/// Blocks of the upload being filled.
	upload: Vec<Filled>,
	/// The last upload sealed, on its way to IPFS.
	stored: Option<Stored>,
	/// The record index of the next upload sealed.
	next_upload: u64,
	key: Option<CurrentKey>,
	/// The state after the last upload handed to the journal.
	head: Point,
	/// The calls of the pending records not sent yet.
	calls: Vec<Call>,
	/// Transactions sent and not yet settled, oldest first.
	in_flight: std::collections::VecDeque<InFlight>,
	/// The nonce of the next transaction (fetched before the first).
	nonce: Option<u64>,
}

/// A block of the upload being filled.
struct Filled {
	block: DataBlock,
	/// Its period (`time / T`).
	period: u64,
	/// The device time of its last reading.
	last_time_ms: u64,
}

/// An upload sealed and being stored: everything its record needs but the CID.
struct Stored {
	put: tokio::task::JoinHandle<Result<String, cpchain_storage::StorageError>>,
	index: u64,
	size: u64,
	content_hash: [u8; 32],
	merkle_root: [u8; 32],
	intervals: IntervalRange,
	timestamp_ms: u64,
	next_block: u64,
	last_block_hash: [u8; 32],
	next_period: u64,
	open_key: Option<OpenKey>,
}

/// A transaction sent and not yet settled.
struct InFlight {
	/// How many records it registers (the oldest pending ones).
	records: usize,
	handle: tokio::task::JoinHandle<Result<()>>,
}

/// How many transactions of records may travel at once.
pub const MAX_IN_FLIGHT: usize = 8;

impl<S: Storage + Clone + Send + Sync + 'static> Ingest<'_, S> {
	/// Runs over `input` until its end.
	pub async fn run(
		&self,
		journal: &mut Journal,
		readings: impl Iterator<Item = Result<Reading, crate::readings::BadLine>>,
	) -> Result<Summary> {
		let started = std::time::Instant::now();
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
			stored: None,
			next_upload: head.next_record,
			key,
			head,
			calls: Vec::new(),
			in_flight: Default::default(),
			nonce: None,
		};
		let start_period = b.head.next_period;
		let u = self.params.upload_interval as usize;
		for reading in readings {
			let reading = match reading {
				Ok(r) => r,
				Err(bad) => match self.on_error {
					OnError::Fail => {
						// Complete uploads before the line are registered; the unfinished one
						// is not.
						self.finish(&mut b, journal, &mut summary).await?;
						return Err(anyhow!(
							"{bad}; stopped there ({} records registered before it; nothing of the unfinished upload reached the chain). Fix the line, or pass --on-error skip, and run again to continue",
							summary.records
						));
					}
					OnError::Skip => {
						eprintln!("skipped {bad}");
						summary.bad_lines += 1;
						continue;
					}
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
		self.finish(&mut b, journal, &mut summary).await?;
		summary.next_record = journal.committed.next_record;
		summary.seconds = started.elapsed().as_secs_f64();
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
		b.upload.push(Filled { block, period, last_time_ms: b.last_time_ms });
		summary.blocks += 1;
		Ok(())
	}

	/// Closes the upload being filled: seals it now and sends it to IPFS in the background,
	/// then registers the *previous* upload, whose CID has had the time to arrive. Storing
	/// one upload overlaps with building the next.
	async fn close_upload(
		&self,
		b: &mut Builder,
		journal: &mut Journal,
		summary: &mut Summary,
	) -> Result<()> {
		let Some(sealed) = self.seal_upload(b)? else { return Ok(()) };
		summary.bytes += sealed.size;
		if let Some(previous) = b.stored.replace(sealed) {
			self.register(previous, b, journal, summary).await?;
		}
		Ok(())
	}

	/// Seals the blocks of the upload being filled and starts storing it.
	fn seal_upload(&self, b: &mut Builder) -> Result<Option<Stored>> {
		let blocks = std::mem::take(&mut b.upload);
		let (Some(first), Some(last)) = (blocks.first(), blocks.last()) else {
			return Ok(None);
		};
		let intervals = IntervalRange { first: first.block.interval, last: last.block.interval };
		let (last_period, timestamp_ms) = (last.period, last.last_time_ms);
		let mut keys: Vec<WrappedIntervalKey> = Vec::new();
		let mut sealed = Vec::with_capacity(blocks.len());
		for filled in &blocks {
			let block = &filled.block;
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
		let index = b.next_upload;
		b.next_upload = index.saturating_add(1);
		let upload = Upload {
			magic: MAGIC,
			version: VERSION,
			stream: self.stream,
			record: index,
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
		let storage = self.storage.clone();
		let put = tokio::spawn(async move { storage.put(bytes).await });
		Ok(Some(Stored {
			put,
			index,
			size,
			content_hash,
			merkle_root,
			intervals,
			timestamp_ms,
			next_block: b.chainer.next_index(),
			last_block_hash: b.chainer.last_hash(),
			next_period: last_period.saturating_add(1),
			open_key: b.key.as_ref().map(|k| OpenKey {
				interval: k.interval,
				capsule: hex::encode(&k.wrapped.capsule),
				ciphertext: hex::encode(&k.wrapped.ciphertext),
			}),
		}))
	}

	/// Waits for a stored upload's CID and turns it into the next record: its call joins the
	/// batch and the journal's pending records.
	async fn register(
		&self,
		stored: Stored,
		b: &mut Builder,
		journal: &mut Journal,
		summary: &mut Summary,
	) -> Result<()> {
		let cid = stored
			.put
			.await
			.map_err(|e| anyhow!("the upload task failed: {e}"))?
			.context("storing the upload on IPFS")?;
		// The chain would refuse the record (`InvalidCid`), and with it the whole batch.
		if !cpchain_primitives::data::is_cid_string(cid.as_bytes()) {
			return Err(anyhow!(
				"IPFS answered {cid:?} for upload {}, which is not a CID the chain accepts \
				 (1 to {} letters and digits)",
				stored.index,
				cpchain_primitives::data::MAX_CID_LEN
			));
		}
		let head = &b.head;
		if stored.index != head.next_record {
			return Err(anyhow!(
				"uploads out of order ({} after {})",
				stored.index,
				head.next_record
			));
		}
		let record = NewRecord {
			cid: cid.clone().into_bytes(),
			content_hash: H256(stored.content_hash),
			merkle_root: H256(stored.merkle_root),
			size: stored.size,
			intervals: stored.intervals,
			timestamp_ms: stored.timestamp_ms,
			prev: H256(head.last_record_hash.0),
		};
		let hash = record.hash(self.stream, stored.index);
		let signature = self.device.map(|d| sign(d, journal.genesis.0, hash));
		let after = Point {
			next_block: stored.next_block,
			last_block_hash: Hex32(stored.last_block_hash),
			next_period: stored.next_period,
			next_record: stored.index.saturating_add(1),
			last_record_hash: Hex32(hash.0),
			last_time_ms: stored.timestamp_ms,
			open_key: stored.open_key,
		};
		journal.pending.push(Pending {
			record_hash: Hex32(hash.0),
			cid,
			after: after.clone(),
			valid_until: 0,
		});
		b.calls.push(Call::new("DataRegistry", "append_record", (self.stream, record, signature)));
		b.head = after;
		if b.calls.len() >= self.batch {
			self.submit(b, journal, summary).await?;
		}
		Ok(())
	}

	/// Sends the records built since the last batch as one transaction, without waiting for
	/// it: up to [`MAX_IN_FLIGHT`] transactions travel at once (consecutive nonces, so the
	/// chain takes them in order), while the next uploads are built. The journal names the
	/// records, and how long their transaction may still land, before it is sent.
	async fn submit(
		&self,
		b: &mut Builder,
		journal: &mut Journal,
		summary: &mut Summary,
	) -> Result<()> {
		if b.calls.is_empty() {
			return Ok(());
		}
		let calls = std::mem::take(&mut b.calls);
		let records = calls.len();
		let checkpoint = self.chain.checkpoint().await?;
		let first = journal.pending.len().saturating_sub(records);
		journal.pending[first..].iter_mut().for_each(|p| p.valid_until = checkpoint.valid_until());
		journal.save()?;
		let nonce = match b.nonce {
			Some(n) => n,
			None => self.chain.nonce(self.signer).await?,
		};
		b.nonce = Some(nonce.saturating_add(1));
		let (chain, signer) = (self.chain.clone(), self.signer.clone());
		let handle = tokio::spawn(async move {
			chain.submit_at(&signer, &calls, checkpoint, Some(nonce)).await.map(|_| ())
		});
		b.in_flight.push_back(InFlight { records, handle });
		while b.in_flight.len() >= MAX_IN_FLIGHT {
			self.settle_oldest(b, journal, summary).await?;
		}
		Ok(())
	}

	/// Waits for the oldest transaction in flight; on success its records are committed in
	/// the journal. On failure the later transactions are awaited too (they build on the
	/// failed records, so the chain refuses them) and ingest stops.
	async fn settle_oldest(
		&self,
		b: &mut Builder,
		journal: &mut Journal,
		summary: &mut Summary,
	) -> Result<()> {
		let Some(oldest) = b.in_flight.pop_front() else { return Ok(()) };
		let waiting = std::time::Instant::now();
		let joined = oldest.handle.await;
		summary.chain_wait_seconds += waiting.elapsed().as_secs_f64();
		let outcome = match joined {
			Ok(outcome) => outcome,
			Err(e) => Err(anyhow!("the submission task failed: {e}")),
		};
		if let Err(e) = outcome {
			for later in b.in_flight.drain(..) {
				let _ = later.handle.await;
			}
			if crate::chain::is_not_applied(&e) {
				// The oldest transaction certainly did not apply, and every later one chains
				// from its records: none of the pending records can reach the chain.
				journal.pending.clear();
				journal.save()?;
			}
			return Err(e.context(
				"registering records (run the same command again: it finds out what reached the chain)",
			));
		}
		let done = oldest.records.min(journal.pending.len());
		if let Some(last) = done.checked_sub(1).and_then(|i| journal.pending.get(i)) {
			journal.committed = last.after.clone();
		}
		journal.pending.drain(..done);
		journal.save()?;
		summary.records += done as u64;
		(self.progress)(summary);
		Ok(())
	}

	/// Sends what is left and waits for every transaction in flight.
	async fn finish(
		&self,
		b: &mut Builder,
		journal: &mut Journal,
		summary: &mut Summary,
	) -> Result<()> {
		if let Some(stored) = b.stored.take() {
			self.register(stored, b, journal, summary).await?;
		}
		self.submit(b, journal, summary).await?;
		while !b.in_flight.is_empty() {
			self.settle_oldest(b, journal, summary).await?;
		}
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

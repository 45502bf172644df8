//! The off-chain worker that lets storage nodes pin registered records on their local IPFS
//! and report them available on chain.
//!
//! A node takes part when two things are set on it, both by its operator:
//! - the IPFS RPC endpoint (Kubo's or js-ipfs's HTTP API, e.g. `http://127.0.0.1:5001`) in
//!   the node's persistent off-chain storage under [`IPFS_ENDPOINT_KEY`] (raw UTF-8 bytes; set
//!   with the `offchain_localStorageSet` RPC, as `scripts/run.sh` does);
//! - a storage-node key of type [`crypto::KEY_TYPE`] in the node's keystore
//!   (`author_insertKey`), whose account the runtime accepts as a storage node.
//!
//! ## What one run does
//!
//! After each imported block the worker queues the records that block registered, in the
//! node's persistent off-chain storage ([`QUEUE_KEY`], at most [`MAX_QUEUE`] entries; the
//! oldest are dropped beyond that). Then, unless another run holds the worker's lock, it works
//! through the queue for at most [`BUDGET_MS`]; what it does not reach is carried over to the
//! next block. For each record it:
//!
//! 1. drops it if the record is gone, this node has reported it already (on chain), or it has
//!    all its reporters;
//! 2. refuses records larger than [`MAX_PIN_BYTES`], asks the daemon for the object's size
//!    (`files/stat`, which reads only the root block) and refuses an object whose size is not
//!    the record's (or whose DAG claims far more bytes than that): attacker-chosen CIDs are
//!    never pinned blind;
//! 3. pins it (`pin/add`), and reports every record it pinned in one signed
//!    `report_availability` transaction.
//!
//! An unreachable CID is retried in later runs, [`MAX_ATTEMPTS`] times in all; a refused one
//! is dropped at once. A reported record stays queued until the report is seen on chain; if
//! it is not after [`RETRY_AFTER_BLOCKS`] blocks (the transaction was dropped), it is reported
//! again. Reports are signed with a nonce the worker keeps itself ([`NONCE_KEY`]): the chain's
//! nonce does not count transactions still in the pool, so two reports in flight would
//! otherwise carry the same nonce and one would be dropped. The kept nonce falls back to the
//! chain's when the chain has caught up with it, or when the chain's nonce has not moved for
//! [`NONCE_RESYNC_BLOCKS`] blocks (a report was lost, and the nonces after it would wait for
//! it forever).
//!
//! The size reported by `files/stat` is what the DAG's root block claims; `pin/add` fetches
//! what the DAG really links. A DAG that lies about its size is therefore not stopped here,
//! only by readers (`cpc` reads at most a record's registered size) and by the daemon's own
//! limits; an honest object of the wrong size, the common attack and accident, is.

use crate::{Availability, Call, Config, NewRecords, Records, LOG_TARGET};
use alloc::{collections::btree_set::BTreeSet, string::String, vec::Vec};
use codec::{Decode, Encode};
use cpchain_primitives::data::{is_cid_string, RecordIndex, StreamId};
use frame_support::{traits::Get, BoundedVec};
use frame_system::{
	offchain::{CreateSignedTransaction, Signer, SubmitTransaction},
	pallet_prelude::BlockNumberFor,
};
use sp_core::offchain::{Duration, StorageKind, Timestamp};
use sp_runtime::{
	offchain::{
		http,
		storage::StorageValueRef,
		storage_lock::{StorageLock, Time},
	},
	traits::{One, Saturating, UniqueSaturatedInto},
};

/// Key of the IPFS RPC endpoint in the node's persistent off-chain storage.
pub const IPFS_ENDPOINT_KEY: &[u8] = b"cpchain::ipfs-api";

/// Key of the queue of records to pin and report, in persistent off-chain storage.
pub const QUEUE_KEY: &[u8] = b"cpchain::data-registry::pin-queue";

/// Key of the nonce of the next availability report, in persistent off-chain storage.
pub const NONCE_KEY: &[u8] = b"cpchain::data-registry::report-nonce";

/// Key of the lock that keeps two runs of the worker from working on the queue at once.
const LOCK_KEY: &[u8] = b"cpchain::data-registry::worker-lock";

/// The most records queued; beyond this the oldest are dropped (and logged).
pub const MAX_QUEUE: usize = 1024;

/// How long one run works through the queue before it leaves the rest for the next block.
pub const BUDGET_MS: u64 = 10_000;

/// How long one size query may take (it reads the root block, from the network if need be).
pub const STAT_TIMEOUT_MS: u64 = 3_000;

/// How long one pin request may take. Pinning a CID the daemon does not have makes it search
/// the network; an offline daemon then waits until this deadline.
pub const PIN_TIMEOUT_MS: u64 = 10_000;

/// The largest record a storage node pins (the largest upload `cpc` reads).
pub const MAX_PIN_BYTES: u64 = 256 * 1024 * 1024;

/// How many runs may find a record's CID unreachable before it is dropped.
pub const MAX_ATTEMPTS: u8 = 3;

/// Blocks after a report after which a record it named, still not reported on chain, is
/// reported again.
pub const RETRY_AFTER_BLOCKS: u32 = 10;

/// Blocks without any report of this node landing after which the nonce it keeps is given up
/// for the chain's (shorter than [`RETRY_AFTER_BLOCKS`], so a report sent again after one was
/// lost uses the lost one's nonce).
pub const NONCE_RESYNC_BLOCKS: u32 = 5;

/// The storage-node key of the off-chain worker.
pub mod crypto {
	use sp_core::crypto::KeyTypeId;
	use sp_runtime::{
		app_crypto::{app_crypto, sr25519},
		MultiSignature, MultiSigner,
	};

	/// Key type of storage-node keys in the node's keystore ("cpds": CPChain data storage).
	pub const KEY_TYPE: KeyTypeId = KeyTypeId(*b"cpds");

	app_crypto!(sr25519, KEY_TYPE);

	/// The storage node's signing identity, for runtimes whose accounts are `MultiSigner`s.
	pub struct StorageNodeId;

	impl frame_system::offchain::AppCrypto<MultiSigner, MultiSignature> for StorageNodeId {
		type RuntimeAppPublic = Public;
		type GenericSignature = sp_core::sr25519::Signature;
		type GenericPublic = sp_core::sr25519::Public;
	}
}

/// Why a record was not pinned (logged, never stored on chain).
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum PinError {
	/// The CID has characters that no CID string has (it would not make a valid URL).
	MalformedCid,
	/// The endpoint is not UTF-8.
	MalformedEndpoint,
	/// The request could not be sent or did not finish before the deadline.
	Unreachable,
	/// The daemon answered with this HTTP status.
	Status(u16),
	/// The daemon answered 200 but did not name the CID as pinned.
	NotPinned,
	/// The daemon's answer to a size query has no size.
	NoSize,
	/// The record is larger than this node pins ([`MAX_PIN_BYTES`]).
	TooLarge { size: u64 },
	/// The object's size is not the record's.
	SizeMismatch { registered: u64, object: u64, claimed_dag: u64 },
}

impl PinError {
	/// Whether trying again later may succeed.
	pub fn is_transient(&self) -> bool {
		matches!(self, Self::Unreachable | Self::Status(500..=599))
	}
}

/// An object's size as the daemon reports it.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub struct ObjectSize {
	/// The file's size (UnixFS) or the raw block's.
	pub size: u64,
	/// What the DAG claims to hold in all, framing included.
	pub cumulative: u64,
}

/// What the worker needs from an IPFS daemon.
pub trait Ipfs {
	/// The size of `cid`'s object.
	fn stat(&self, cid: &[u8], deadline: Timestamp) -> Result<ObjectSize, PinError>;
	/// Pins `cid`.
	fn pin(&self, cid: &[u8], deadline: Timestamp) -> Result<(), PinError>;
}

/// The clock of the worker (the off-chain timestamp; tests move it).
pub trait Clock {
	/// Now.
	fn now(&self) -> Timestamp;
}

/// One queued record.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
pub struct Pending {
	/// The record's stream.
	pub stream: StreamId,
	/// The record's index.
	pub index: RecordIndex,
	/// Runs that found its CID unreachable.
	pub attempts: u8,
	/// The block at which a report naming it was sent, if one was.
	pub reported_at: Option<u32>,
}

impl Pending {
	fn new((stream, index): (StreamId, RecordIndex)) -> Self {
		Self { stream, index, attempts: 0, reported_at: None }
	}

	fn key(&self) -> (StreamId, RecordIndex) {
		(self.stream, self.index)
	}
}

/// Where a queued record stands on chain, for this node.
#[derive(Debug, PartialEq, Eq, Clone)]
pub enum OnChain {
	/// No such record (never appended, or pruned).
	Gone,
	/// This node's report of it is on chain.
	ReportedByMe,
	/// It has all the reporters it can have.
	Full,
	/// It can be reported: its CID and registered size.
	Open { cid: Vec<u8>, size: u64 },
}

/// The outcome of working through a queue.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Worked {
	/// The records pinned, to report now.
	pub pinned: Vec<(StreamId, RecordIndex)>,
	/// The queue to keep: every entry not finished with, in order.
	pub queue: Vec<Pending>,
	/// Entries dropped, with why (for the log).
	pub dropped: Vec<((StreamId, RecordIndex), PinError)>,
}

/// Works through `queue` at block `now` until `budget_end` or until `max_report` records are
/// pinned; `on_chain` says where each record stands. Pure apart from `ipfs` and `clock`, so
/// that every decision is unit-tested.
pub fn work(
	queue: Vec<Pending>,
	now: u32,
	ipfs: &impl Ipfs,
	clock: &impl Clock,
	budget_end: Timestamp,
	max_report: usize,
	on_chain: impl Fn(StreamId, RecordIndex) -> OnChain,
) -> Worked {
	let mut out = Worked::default();
	// Entries retried after a failure go to the back, so new records are not starved.
	let mut retry_later = Vec::new();
	let mut entries = queue.into_iter();
	for mut entry in entries.by_ref() {
		let (cid, size) = match on_chain(entry.stream, entry.index) {
			OnChain::Gone | OnChain::ReportedByMe | OnChain::Full => continue,
			OnChain::Open { cid, size } => (cid, size),
		};
		if entry.reported_at.is_some_and(|at| now < at.saturating_add(RETRY_AFTER_BLOCKS)) {
			// Reported; its report may still land.
			out.queue.push(entry);
			continue;
		}
		if out.pinned.len() >= max_report || clock.now() >= budget_end {
			out.queue.push(entry);
			break;
		}
		let deadline = |ms: u64| {
			let d = clock.now().add(Duration::from_millis(ms));
			if d > budget_end {
				budget_end
			} else {
				d
			}
		};
		let checked = if size > MAX_PIN_BYTES {
			Err(PinError::TooLarge { size })
		} else {
			ipfs.stat(&cid, deadline(STAT_TIMEOUT_MS)).and_then(|object| {
				// UnixFS framing adds well under 1/16 of the data, plus the root node.
				let dag_bound = size.saturating_add(size / 16).saturating_add(64 * 1024);
				if object.size == size && object.cumulative <= dag_bound {
					Ok(())
				} else {
					Err(PinError::SizeMismatch {
						registered: size,
						object: object.size,
						claimed_dag: object.cumulative,
					})
				}
			})
		};
		match checked.and_then(|()| ipfs.pin(&cid, deadline(PIN_TIMEOUT_MS))) {
			Ok(()) => {
				out.pinned.push(entry.key());
				entry.reported_at = Some(now);
				out.queue.push(entry);
			}
			Err(error) if error.is_transient() => {
				entry.attempts = entry.attempts.saturating_add(1);
				if entry.attempts >= MAX_ATTEMPTS {
					out.dropped.push((entry.key(), error));
				} else {
					retry_later.push(entry);
				}
			}
			Err(error) => out.dropped.push((entry.key(), error)),
		}
	}
	out.queue.extend(entries);
	out.queue.extend(retry_later);
	out
}

/// The worker's entry point, called by the pallet's `offchain_worker` hook.
pub fn run<T: Config>(now: BlockNumberFor<T>) {
	let Some(endpoint) =
		sp_io::offchain::local_storage_get(StorageKind::PERSISTENT, IPFS_ENDPOINT_KEY)
	else {
		log::debug!(target: LOG_TARGET, "no IPFS endpoint set: not pinning");
		return;
	};
	let signer = Signer::<T, T::AuthorityId>::any_account();
	let Some(account) = signer.accounts_from_keys().next() else {
		log::debug!(target: LOG_TARGET, "no storage-node key in the keystore: not pinning");
		return;
	};
	let now: u32 = now.unique_saturated_into();
	enqueue(NewRecords::<T>::get().into_iter());

	// One run at a time; a run that dies releases the lock when its deadline passes.
	let mut lock = StorageLock::<Time>::with_deadline(
		LOCK_KEY,
		Duration::from_millis(BUDGET_MS.saturating_add(PIN_TIMEOUT_MS)),
	);
	let Ok(_guard) = lock.try_lock() else {
		log::debug!(target: LOG_TARGET, "another run works on the queue; this block's records are queued");
		return;
	};
	let snapshot = queue();
	if snapshot.is_empty() {
		return;
	}
	let seen: BTreeSet<_> = snapshot.iter().map(Pending::key).collect();
	let ipfs = HttpIpfs { endpoint: &endpoint };
	let budget_end = OffchainClock.now().add(Duration::from_millis(BUDGET_MS));
	let max_report = T::MaxReportsPerCall::get() as usize;
	let max_reporters = T::MaxReportersPerRecord::get() as usize;
	let mut worked = work(snapshot, now, &ipfs, &OffchainClock, budget_end, max_report, |s, i| {
		let Some(record) = Records::<T>::get(s, i) else { return OnChain::Gone };
		let holders = Availability::<T>::get(s, i);
		if holders.contains(&account.id) {
			OnChain::ReportedByMe
		} else if holders.len() >= max_reporters {
			OnChain::Full
		} else {
			OnChain::Open { cid: record.cid.into_inner(), size: record.size }
		}
	});
	for ((stream, index), error) in &worked.dropped {
		log::warn!(target: LOG_TARGET, "not pinning record {index} of stream {stream}: {error:?}");
	}
	if !worked.pinned.is_empty() {
		let count = worked.pinned.len();
		let reports: BoundedVec<_, T::MaxReportsPerCall> =
			BoundedVec::truncate_from(worked.pinned.clone());
		match send_report::<T>(&account, reports, now) {
			Ok(nonce) => log::info!(
				target: LOG_TARGET,
				"pinned {count} record(s), availability reported (nonce {nonce:?})"
			),
			Err(why) => {
				log::warn!(target: LOG_TARGET, "the availability report was not sent: {why}");
				// Report them in the next run.
				let sent: BTreeSet<_> = worked.pinned.iter().copied().collect();
				for entry in worked.queue.iter_mut().filter(|e| sent.contains(&e.key())) {
					entry.reported_at = None;
				}
			}
		}
	}
	store_worked(&seen, worked.queue);
}

/// Appends `records` to the queue (once each), dropping the oldest entries beyond
/// [`MAX_QUEUE`].
fn enqueue(records: impl Iterator<Item = (StreamId, RecordIndex)>) {
	let records: Vec<_> = records.collect();
	if records.is_empty() {
		return;
	}
	mutate_queue(|queue| {
		let known: BTreeSet<_> = queue.iter().map(Pending::key).collect();
		queue.extend(records.iter().copied().filter(|r| !known.contains(r)).map(Pending::new));
		let excess = queue.len().saturating_sub(MAX_QUEUE);
		if excess > 0 {
			log::warn!(target: LOG_TARGET, "pin queue full: dropping its {excess} oldest record(s)");
			queue.drain(..excess);
		}
	});
}

/// Replaces the entries of `seen` in the stored queue by `kept`, keeping the entries other
/// runs queued meanwhile.
fn store_worked(seen: &BTreeSet<(StreamId, RecordIndex)>, kept: Vec<Pending>) {
	mutate_queue(|queue| {
		let added: Vec<_> = queue.drain(..).filter(|e| !seen.contains(&e.key())).collect();
		queue.extend(kept.iter().cloned());
		queue.extend(added);
		let excess = queue.len().saturating_sub(MAX_QUEUE);
		queue.drain(..excess);
	});
}

/// The stored queue (empty if none, or if it does not decode).
pub fn queue() -> Vec<Pending> {
	StorageValueRef::persistent(QUEUE_KEY).get::<Vec<Pending>>().ok().flatten().unwrap_or_default()
}

/// Changes the stored queue atomically (compare and set, retried a few times when another
/// run changed it in between).
fn mutate_queue(f: impl Fn(&mut Vec<Pending>)) {
	let store = StorageValueRef::persistent(QUEUE_KEY);
	for _ in 0..8 {
		let result = store.mutate(|old: Result<Option<Vec<Pending>>, _>| -> Result<_, ()> {
			let mut queue = old.ok().flatten().unwrap_or_default();
			f(&mut queue);
			Ok(queue)
		});
		if result.is_ok() {
			return;
		}
	}
	log::warn!(target: LOG_TARGET, "could not update the pin queue (contended)");
}

/// Signs and submits a report with the kept nonce; returns the nonce used.
fn send_report<T: Config>(
	account: &frame_system::offchain::Account<T>,
	reports: BoundedVec<(StreamId, RecordIndex), T::MaxReportsPerCall>,
	now: u32,
) -> Result<T::Nonce, &'static str> {
	let chain = frame_system::Pallet::<T>::account_nonce(&account.id);
	let store = StorageValueRef::persistent(NONCE_KEY);
	// (next nonce, the chain's nonce when last seen, the block since which it has not moved)
	let kept = store.get::<(T::Nonce, T::Nonce, u32)>().ok().flatten();
	let since = match kept {
		Some((_, seen, since)) if seen == chain => since,
		_ => now,
	};
	let nonce = match kept {
		// Reports in flight that the chain is still taking: continue after them.
		Some((next, ..)) if next > chain && now < since.saturating_add(NONCE_RESYNC_BLOCKS) => next,
		// None in flight, or the chain stopped taking them (one was lost): the chain's.
		_ => chain,
	};
	let call = Call::<T>::report_availability { reports };
	let xt = <T as CreateSignedTransaction<Call<T>>>::create_signed_transaction::<T::AuthorityId>(
		call.into(),
		account.public.clone(),
		account.id.clone(),
		nonce,
	)
	.ok_or("the runtime could not sign it")?;
	SubmitTransaction::<T, Call<T>>::submit_transaction(xt)
		.map_err(|()| "the transaction pool refused it")?;
	store.set(&(nonce.saturating_add(One::one()), chain, since));
	Ok(nonce)
}

/// The off-chain worker's clock.
struct OffchainClock;

impl Clock for OffchainClock {
	fn now(&self) -> Timestamp {
		sp_io::offchain::timestamp()
	}
}

/// The daemon's RPC API over the off-chain worker's HTTP client.
pub struct HttpIpfs<'a> {
	/// The RPC endpoint, e.g. `http://127.0.0.1:5001`.
	pub endpoint: &'a [u8],
}

impl HttpIpfs<'_> {
	/// POSTs `/api/v0/<path><cid>` and returns the body of a 200 answer.
	fn post(&self, path: &str, cid: &[u8], deadline: Timestamp) -> Result<Vec<u8>, PinError> {
		if !is_cid_string(cid) {
			return Err(PinError::MalformedCid);
		}
		let endpoint =
			core::str::from_utf8(self.endpoint).map_err(|_| PinError::MalformedEndpoint)?;
		let cid = core::str::from_utf8(cid).map_err(|_| PinError::MalformedCid)?;
		let mut url = String::from(endpoint.trim_end_matches('/'));
		url.push_str("/api/v0/");
		url.push_str(path);
		url.push_str(cid);
		// No body chunks: writing an empty chunk ends the body, so a `vec![vec![]]` body would
		// end it twice.
		let pending = http::Request::post(&url, Vec::<&[u8]>::new())
			.deadline(deadline)
			.send()
			.map_err(|_| PinError::Unreachable)?;
		let response = pending
			.try_wait(deadline)
			.map_err(|_| PinError::Unreachable)?
			.map_err(|_| PinError::Unreachable)?;
		if response.code != 200 {
			return Err(PinError::Status(response.code));
		}
		// Bounded: a daemon's answer to these requests is a few hundred bytes.
		Ok(response.body().take(64 * 1024).collect())
	}
}

impl Ipfs for HttpIpfs<'_> {
	fn stat(&self, cid: &[u8], deadline: Timestamp) -> Result<ObjectSize, PinError> {
		let body = self.post("files/stat?arg=/ipfs/", cid, deadline)?;
		let size = json_number(&body, b"\"Size\":").ok_or(PinError::NoSize)?;
		let cumulative = json_number(&body, b"\"CumulativeSize\":").ok_or(PinError::NoSize)?;
		Ok(ObjectSize { size, cumulative })
	}

	fn pin(&self, cid: &[u8], deadline: Timestamp) -> Result<(), PinError> {
		let body = self.post("pin/add?arg=", cid, deadline)?;
		// Kubo and js-ipfs answer `{"Pins":["<cid>"]}`, the CID possibly in another multibase
		// than the one asked for (js-ipfs answers base58btc), so any pinned entry counts: the
		// request named exactly one CID.
		const PINNED: &[u8] = b"\"Pins\":[\"";
		if body.windows(PINNED.len()).any(|w| w == PINNED) {
			Ok(())
		} else {
			Err(PinError::NotPinned)
		}
	}
}

/// The number after the first `key` (e.g. `"Size":`) in a JSON text, if any.
fn json_number(body: &[u8], key: &[u8]) -> Option<u64> {
	let at = body.windows(key.len()).position(|w| w == key)?.saturating_add(key.len());
	let rest = body.get(at..)?;
	let rest = &rest[rest.iter().take_while(|c| c.is_ascii_whitespace()).count()..];
	let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
	if digits == 0 || digits > 20 {
		return None;
	}
	core::str::from_utf8(&rest[..digits]).ok()?.parse().ok()
}

/// Pins `cid` on the IPFS daemon at `endpoint` within [`PIN_TIMEOUT_MS`].
pub fn pin(endpoint: &[u8], cid: &[u8]) -> Result<(), PinError> {
	let deadline = sp_io::offchain::timestamp().add(Duration::from_millis(PIN_TIMEOUT_MS));
	HttpIpfs { endpoint }.pin(cid, deadline)
}

#[cfg(test)]
mod tests {
	use super::*;
	use core::cell::{Cell, RefCell};
	use std::collections::BTreeMap;

	/// A daemon whose answers tests script; each request costs `cost_ms` on the clock.
	struct FakeIpfs<'a> {
		clock: &'a FakeClock,
		cost_ms: u64,
		objects: BTreeMap<Vec<u8>, Result<ObjectSize, PinError>>,
		pins: RefCell<Vec<Vec<u8>>>,
		stats: RefCell<Vec<Vec<u8>>>,
	}

	struct FakeClock(Cell<u64>);

	impl Clock for FakeClock {
		fn now(&self) -> Timestamp {
			Timestamp::from_unix_millis(self.0.get())
		}
	}

	impl Ipfs for FakeIpfs<'_> {
		fn stat(&self, cid: &[u8], _: Timestamp) -> Result<ObjectSize, PinError> {
			self.clock.0.set(self.clock.0.get() + self.cost_ms);
			self.stats.borrow_mut().push(cid.to_vec());
			self.objects.get(cid).copied().unwrap_or(Err(PinError::Unreachable))
		}
		fn pin(&self, cid: &[u8], _: Timestamp) -> Result<(), PinError> {
			self.clock.0.set(self.clock.0.get() + self.cost_ms);
			self.pins.borrow_mut().push(cid.to_vec());
			Ok(())
		}
	}

	fn cid(i: u64) -> Vec<u8> {
		alloc::format!("bafy{i}").into_bytes()
	}

	/// Records 0..n of stream 0, each 1,000 bytes, stored as such on the daemon.
	fn daemon(clock: &FakeClock, n: u64) -> FakeIpfs<'_> {
		let objects =
			(0..n).map(|i| (cid(i), Ok(ObjectSize { size: 1_000, cumulative: 1_011 }))).collect();
		FakeIpfs { clock, cost_ms: 0, objects, pins: RefCell::default(), stats: RefCell::default() }
	}

	fn open(_: StreamId, i: RecordIndex) -> OnChain {
		OnChain::Open { cid: cid(i), size: 1_000 }
	}

	fn queued(n: u64) -> Vec<Pending> {
		(0..n).map(|i| Pending::new((0, i))).collect()
	}

	fn end(clock: &FakeClock) -> Timestamp {
		clock.now().add(Duration::from_millis(BUDGET_MS))
	}

	#[test]
	fn pins_what_is_open_and_forgets_what_is_done() {
		let clock = FakeClock(Cell::new(0));
		let ipfs = daemon(&clock, 5);
		let on_chain = |s, i| match i {
			1 => OnChain::Gone,
			2 => OnChain::ReportedByMe,
			3 => OnChain::Full,
			_ => open(s, i),
		};
		let worked = work(queued(5), 7, &ipfs, &clock, end(&clock), 256, on_chain);
		assert_eq!(worked.pinned, vec![(0, 0), (0, 4)]);
		assert_eq!(*ipfs.pins.borrow(), vec![cid(0), cid(4)]);
		// Pinned records stay queued, marked reported, until their report is on chain.
		let reported: Vec<_> = worked.queue.iter().map(|e| (e.index, e.reported_at)).collect();
		assert_eq!(reported, vec![(0, Some(7)), (4, Some(7))]);
		assert!(worked.dropped.is_empty());
	}

	#[test]
	fn objects_of_another_size_are_never_pinned() {
		let clock = FakeClock(Cell::new(0));
		let mut ipfs = daemon(&clock, 4);
		// The registered CID names a bigger object, a smaller one, and a DAG that claims to
		// hold far more than its file.
		ipfs.objects
			.insert(cid(0), Ok(ObjectSize { size: 5_000_000_000, cumulative: 5_000_000_000 }));
		ipfs.objects.insert(cid(1), Ok(ObjectSize { size: 10, cumulative: 10 }));
		ipfs.objects.insert(cid(2), Ok(ObjectSize { size: 1_000, cumulative: 9_000_000 }));
		let worked = work(queued(4), 1, &ipfs, &clock, end(&clock), 256, open);
		assert_eq!(worked.pinned, vec![(0, 3)]);
		assert_eq!(*ipfs.pins.borrow(), vec![cid(3)], "nothing else was pinned");
		let dropped: Vec<_> = worked.dropped.iter().map(|(k, _)| k.1).collect();
		assert_eq!(dropped, vec![0, 1, 2]);
		assert!(matches!(
			worked.dropped[0].1,
			PinError::SizeMismatch { object: 5_000_000_000, .. }
		));
		// A record registered as larger than this node pins is not even asked about.
		let huge = |_, _| OnChain::Open { cid: cid(9), size: MAX_PIN_BYTES + 1 };
		let worked = work(queued(1), 1, &ipfs, &clock, end(&clock), 256, huge);
		assert_eq!(worked.dropped, vec![((0, 0), PinError::TooLarge { size: MAX_PIN_BYTES + 1 })]);
		assert!(!ipfs.stats.borrow().contains(&cid(9)));
	}

	#[test]
	fn unreachable_cids_are_retried_a_few_times_behind_new_records() {
		let clock = FakeClock(Cell::new(0));
		let mut ipfs = daemon(&clock, 3);
		ipfs.objects.remove(&cid(0));
		let mut queue = queued(3);
		for run in 1..=MAX_ATTEMPTS {
			let worked = work(queue, u32::from(run), &ipfs, &clock, end(&clock), 256, open);
			queue = worked.queue;
			if run < MAX_ATTEMPTS {
				// Retried later, behind the others.
				assert_eq!(queue.last().map(|e| (e.index, e.attempts)), Some((0, run)));
			} else {
				assert_eq!(worked.dropped, vec![((0, 0), PinError::Unreachable)]);
			}
		}
		assert!(queue.iter().all(|e| e.index != 0), "dropped after {MAX_ATTEMPTS} attempts");
		assert_eq!(ipfs.pins.borrow().iter().filter(|c| **c == cid(1)).count(), 1);
	}

	#[test]
	fn work_stops_at_the_budget_and_carries_the_rest_over() {
		let clock = FakeClock(Cell::new(0));
		let mut ipfs = daemon(&clock, 256);
		// 256 records, each costing 100 ms to check and 100 ms to pin: a run gets through
		// BUDGET_MS / 200 ms of them.
		ipfs.cost_ms = 100;
		let per_run = (BUDGET_MS / 200) as usize;
		let mut queue = queued(256);
		let mut pinned = Vec::new();
		let mut runs = 0;
		while pinned.len() < 256 {
			runs += 1;
			let worked = work(queue, runs, &ipfs, &clock, end(&clock), 256, open);
			assert!(worked.pinned.len() <= per_run, "run {runs} pinned {}", worked.pinned.len());
			assert!(!worked.pinned.is_empty(), "every run makes progress");
			pinned.extend(worked.pinned);
			// What was pinned is reported; the chain takes the report.
			queue = worked.queue.into_iter().filter(|e| e.reported_at.is_none()).collect();
			assert!(runs < 100);
		}
		assert_eq!(runs as usize, 256usize.div_ceil(per_run));
		let unique: BTreeSet<_> = pinned.iter().collect();
		assert_eq!(unique.len(), 256, "each record pinned once, none lost");
	}

	#[test]
	fn a_report_holds_at_most_max_report_records() {
		let clock = FakeClock(Cell::new(0));
		let ipfs = daemon(&clock, 10);
		let worked = work(queued(10), 1, &ipfs, &clock, end(&clock), 4, open);
		assert_eq!(worked.pinned.len(), 4);
		assert_eq!(worked.queue.len(), 10, "the rest wait for the next run");
	}

	#[test]
	fn a_report_that_did_not_land_is_sent_again() {
		let clock = FakeClock(Cell::new(0));
		let ipfs = daemon(&clock, 1);
		let worked = work(queued(1), 10, &ipfs, &clock, end(&clock), 4, open);
		assert_eq!(worked.pinned, vec![(0, 0)]);
		// Not on chain yet: left alone while the report may land...
		let again =
			work(worked.queue, 10 + RETRY_AFTER_BLOCKS - 1, &ipfs, &clock, end(&clock), 4, open);
		assert!(again.pinned.is_empty());
		// ...and reported again once it cannot have.
		let later = work(again.queue, 10 + RETRY_AFTER_BLOCKS, &ipfs, &clock, end(&clock), 4, open);
		assert_eq!(later.pinned, vec![(0, 0)]);
	}

	#[test]
	fn sizes_are_read_from_either_daemons_answer() {
		let kubo = br#"{"Hash":"bafy","Size":1000,"CumulativeSize":1011,"Blocks":1,"Type":"file"}"#;
		assert_eq!(json_number(kubo, b"\"Size\":"), Some(1000));
		assert_eq!(json_number(kubo, b"\"CumulativeSize\":"), Some(1011));
		let js = br#"{"Hash":"Qm","CumulativeSize":1011,"SizeLocal":3, "Size": 1000}"#;
		assert_eq!(json_number(js, b"\"Size\":"), Some(1000));
		assert_eq!(json_number(br#"{"Size":-1}"#, b"\"Size\":"), None);
		assert_eq!(json_number(br#"{"Size":"#, b"\"Size\":"), None);
		assert_eq!(json_number(br#"{"Size":123456789012345678901234}"#, b"\"Size\":"), None);
	}
}

//! The ingest journal: where a stream's ingest stands, kept on disk so that an interrupted
//! ingest resumes without losing or duplicating records.
//!
//! Before records are submitted, the journal writes them as *pending*, each with the state the
//! stream reaches once it is on chain. On the next start, the journal is reconciled with the
//! chain: a pending record whose hash is the stream's last record hash on chain was included
//! (the journal advances to it); if the chain still ends where the journal's committed state
//! ends, the pending records were never included and are dropped (their blocks are rebuilt
//! from the same readings). Anything else means another writer appended to the stream, and
//! ingest stops rather than fork the hash chain.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use crate::files::{create_private_dir, write_atomically};

/// A 32-byte hash as `0x` hex in JSON.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Hex32(pub [u8; 32]);

impl Serialize for Hex32 {
	fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
		s.serialize_str(&format!("0x{}", hex::encode(self.0)))
	}
}

impl<'de> Deserialize<'de> for Hex32 {
	fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
		let text = String::deserialize(d)?;
		let bytes = hex::decode(text.trim_start_matches("0x")).map_err(serde::de::Error::custom)?;
		let array: [u8; 32] =
			bytes.try_into().map_err(|_| serde::de::Error::custom("expected 32 bytes"))?;
		Ok(Hex32(array))
	}
}

/// An interval key wrapped for the owner, kept while its interval may continue in the next
/// upload (only the owner's Umbral secret opens it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenKey {
	/// The interval.
	pub interval: u64,
	/// The capsule, hex.
	pub capsule: String,
	/// The wrapped key, hex.
	pub ciphertext: String,
}

/// Where a stream stands: its block chain and its record chain.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Point {
	/// The index of the next data block.
	pub next_block: u64,
	/// The hash of the last data block (zero before the first).
	pub last_block_hash: Hex32,
	/// The first period (`time / T`) not yet ingested: earlier readings are already on chain.
	pub next_period: u64,
	/// The index of the next record.
	pub next_record: u64,
	/// The hash of the last record (zero before the first).
	pub last_record_hash: Hex32,
	/// The device time of the last reading ingested.
	pub last_time_ms: u64,
	/// The key of the last interval, if blocks of it were ingested.
	pub open_key: Option<OpenKey>,
}

/// A record submitted but not yet known to be on chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
	/// The record's hash.
	pub record_hash: Hex32,
	/// Its upload's CID.
	pub cid: String,
	/// The stream's state once the record is on chain.
	pub after: Point,
	/// The last block at which the record's transaction can still be included (it is
	/// mortal); 0 before it is sent.
	#[serde(default)]
	pub valid_until: u64,
}

/// The journal of one stream.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journal {
	/// The chain's genesis hash: a journal never applies to another chain.
	pub genesis: Hex32,
	/// The stream.
	pub stream: u64,
	/// The state known to be on chain.
	pub committed: Point,
	/// Records submitted after `committed`, in order.
	pub pending: Vec<Pending>,
	#[serde(skip)]
	path: PathBuf,
}

/// What the chain says about the stream's end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainEnd {
	/// The index the next record gets.
	pub next_record: u64,
	/// The hash of the last record.
	pub last_record_hash: [u8; 32],
}

/// How a reconciliation went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reconciled {
	/// Nothing was pending.
	Clean,
	/// This many pending records were found on chain.
	Included(usize),
	/// This many pending records never reached the chain and will be rebuilt.
	Dropped(usize),
}

impl Journal {
	/// The journal file of `stream` on the chain with `genesis`, under `dir`.
	pub fn path(dir: &Path, genesis: [u8; 32], stream: u64) -> PathBuf {
		dir.join(format!("{}-stream-{stream}.json", hex::encode(&genesis[..8])))
	}

	/// Loads the journal, or starts one for a stream that has no records on chain yet.
	pub fn open(dir: &Path, genesis: [u8; 32], stream: u64, chain: ChainEnd) -> Result<Self> {
		let path = Self::path(dir, genesis, stream);
		match std::fs::read(&path) {
			Ok(bytes) => {
				let mut journal: Journal = serde_json::from_slice(&bytes)
					.with_context(|| format!("{} is not an ingest journal", path.display()))?;
				if journal.genesis.0 != genesis || journal.stream != stream {
					bail!("{} belongs to another chain or stream", path.display());
				}
				journal.path = path;
				Ok(journal)
			}
			Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
				if chain.next_record != 0 {
					bail!(
						"stream {stream} already has {} records on chain, but this data directory has no \
						 ingest journal for it: ingest continues a stream only from the data directory \
						 that started it (its block chain and interval keys are there)",
						chain.next_record
					);
				}
				create_private_dir(dir)?;
				Ok(Journal {
					genesis: Hex32(genesis),
					stream,
					committed: Point::default(),
					pending: Vec::new(),
					path,
				})
			}
			Err(e) => bail!("cannot read {}: {e}", path.display()),
		}
	}

	/// How many of the pending records the chain has (`None`: the chain ends somewhere this
	/// journal did not write).
	fn landed(&self, chain: ChainEnd) -> Option<usize> {
		if self.committed.last_record_hash.0 == chain.last_record_hash
			&& self.committed.next_record == chain.next_record
		{
			return Some(0);
		}
		self.pending
			.iter()
			.position(|p| {
				p.record_hash.0 == chain.last_record_hash
					&& p.after.next_record == chain.next_record
			})
			.map(|at| at + 1)
	}

	/// Whether a pending record that the chain does not have yet may still land: its
	/// transaction was sent and is not dead at block `finalized`. Reconciling now would drop
	/// it (and its nonce would collide with the next run's), so the caller waits.
	pub fn in_flight(&self, chain: ChainEnd, finalized: u64) -> bool {
		match self.landed(chain) {
			Some(landed) => self.pending[landed..].iter().any(|p| finalized <= p.valid_until),
			None => false,
		}
	}

	/// Brings the journal in line with the chain (see the module docs) and saves it. Call it
	/// when [`Journal::in_flight`] is false.
	pub fn reconcile(&mut self, chain: ChainEnd) -> Result<Reconciled> {
		let outcome = match self.landed(chain) {
			Some(0) => {
				let dropped = self.pending.len();
				self.pending.clear();
				if dropped == 0 {
					Reconciled::Clean
				} else {
					Reconciled::Dropped(dropped)
				}
			}
			Some(landed) => {
				self.committed = self.pending[landed - 1].after.clone();
				self.pending.clear();
				Reconciled::Included(landed)
			}
			None => bail!(
				"stream {} on chain ends at record {} with hash 0x{}, which this journal did not write: \
				 another writer appended to the stream, so ingest stops rather than fork its hash chain",
				self.stream,
				chain.next_record,
				hex::encode(chain.last_record_hash)
			),
		};
		self.save()?;
		Ok(outcome)
	}

	/// Writes the journal (atomically).
	pub fn save(&self) -> Result<()> {
		write_atomically(&self.path, &serde_json::to_vec_pretty(self)?)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn point(records: u64) -> Point {
		Point {
			next_block: records * 10,
			next_record: records,
			last_record_hash: Hex32([records as u8; 32]),
			..Point::default()
		}
	}

	fn end(records: u64) -> ChainEnd {
		ChainEnd {
			next_record: records,
			last_record_hash: if records == 0 { [0; 32] } else { [records as u8; 32] },
		}
	}

	fn pending(records: u64) -> Pending {
		Pending {
			record_hash: Hex32([records as u8; 32]),
			cid: format!("cid{records}"),
			after: point(records),
			valid_until: 40,
		}
	}

	#[test]
	fn pending_records_found_on_chain_are_committed_and_others_dropped() {
		let dir = tempfile::tempdir().expect("temp dir");
		let mut j = Journal::open(dir.path(), [1; 32], 7, end(0)).expect("fresh stream");
		assert_eq!(j.reconcile(end(0)).expect("clean"), Reconciled::Clean);
		j.pending = vec![pending(1), pending(2), pending(3)];
		j.save().expect("saves");

		// Two of three made it (the process died in between).
		let mut again = Journal::open(dir.path(), [1; 32], 7, end(2)).expect("loads");
		assert_eq!(again.pending.len(), 3);
		assert_eq!(again.reconcile(end(2)).expect("reconciles"), Reconciled::Included(2));
		assert_eq!(again.committed, point(2));

		// Records 1..=3 were sent; 1 landed, 2 and 3 may still land until block 40.
		let mut flying = Journal::open(dir.path(), [1; 32], 8, end(0)).expect("fresh");
		flying.pending = vec![pending(1), pending(2), pending(3)];
		assert!(flying.in_flight(end(1), 40), "2 and 3 may still land");
		assert!(!flying.in_flight(end(3), 40), "all landed");
		assert!(!flying.in_flight(end(1), 41), "2 and 3 are dead");
		flying.pending[1].valid_until = 0; // never sent
		flying.pending[2].valid_until = 0;
		assert!(!flying.in_flight(end(1), 5), "unsent records do not land");

		again.pending = vec![pending(3)];
		assert!(again.in_flight(end(2), 40), "its transaction may still land at block 40");
		assert!(!again.in_flight(end(2), 41), "dead after block 40");
		assert!(!again.in_flight(end(3), 20), "it landed");
		assert_eq!(again.reconcile(end(2)).expect("reconciles"), Reconciled::Dropped(1));
		assert!(again.pending.is_empty());
		let saved = Journal::open(dir.path(), [1; 32], 7, end(2)).expect("loads");
		assert_eq!(saved.committed, point(2), "the reconciliation was saved");
	}

	#[test]
	fn foreign_writers_and_missing_journals_stop_ingest() {
		let dir = tempfile::tempdir().expect("temp dir");
		let err = Journal::open(dir.path(), [1; 32], 7, end(4)).expect_err("fails").to_string();
		assert!(err.contains("no ingest journal"), "{err}");
		let mut j = Journal::open(dir.path(), [1; 32], 7, end(0)).expect("fresh");
		let err = j.reconcile(end(1)).expect_err("fails").to_string();
		assert!(err.contains("another writer"), "{err}");
		j.save().expect("saves");
		assert!(
			Journal::open(dir.path(), [2; 32], 7, end(0)).is_ok(),
			"another chain has its own file"
		);
	}
}

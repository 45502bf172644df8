//! The off-chain worker that lets storage nodes pin newly registered records on their local
//! IPFS and report them available on chain.
//!
//! A node takes part when two things are set on it, both by its operator:
//! - the IPFS RPC endpoint (Kubo's or js-ipfs's HTTP API, e.g. `http://127.0.0.1:5001`) in
//!   the node's persistent off-chain storage under [`IPFS_ENDPOINT_KEY`] (raw UTF-8 bytes; set
//!   with the `offchain_localStorageSet` RPC, as `scripts/run.sh` does);
//! - a storage-node key of type [`crypto::KEY_TYPE`] in the node's keystore
//!   (`author_insertKey`), whose account the runtime accepts as a storage node.
//!
//! After each imported block the worker pins the records that block registered
//! (`POST /api/v0/pin/add?arg=<cid>`) and sends one signed `report_availability` transaction
//! for those it pinned. The chain bounds what it accepts: reports from storage nodes only, at
//! most `MaxReportsPerCall` records per report, one report per record and reporter. A node
//! that was offline when a block was imported does not catch up on that block's records.

use crate::{Call, Config, NewRecords, Records, LOG_TARGET};
use alloc::{string::String, vec::Vec};
use frame_support::BoundedVec;
use frame_system::offchain::{SendSignedTransaction, Signer};
use sp_core::offchain::{Duration, StorageKind};
use sp_runtime::offchain::http;

/// Key of the IPFS RPC endpoint in the node's persistent off-chain storage.
pub const IPFS_ENDPOINT_KEY: &[u8] = b"cpchain::ipfs-api";

/// How long one pin request may take. Pinning a CID the daemon does not have makes it search
/// the network; an offline daemon then waits until this deadline.
const PIN_TIMEOUT_MS: u64 = 10_000;

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

/// Why a pin failed (logged, never stored).
#[derive(Debug, PartialEq, Eq)]
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
}

/// The worker's entry point, called by the pallet's `offchain_worker` hook.
pub fn run<T: Config>() {
	let records = NewRecords::<T>::get();
	if records.is_empty() {
		return;
	}
	let Some(endpoint) =
		sp_io::offchain::local_storage_get(StorageKind::PERSISTENT, IPFS_ENDPOINT_KEY)
	else {
		log::debug!(target: LOG_TARGET, "no IPFS endpoint set: not pinning");
		return;
	};
	let signer = Signer::<T, T::AuthorityId>::any_account();
	if !signer.can_sign() {
		log::debug!(target: LOG_TARGET, "no storage-node key in the keystore: not pinning");
		return;
	}

	let mut pinned: BoundedVec<_, T::MaxReportsPerCall> = BoundedVec::new();
	for (stream, index) in records {
		let Some(record) = Records::<T>::get(stream, index) else { continue };
		match pin(&endpoint, &record.cid) {
			Ok(()) => {
				if pinned.try_push((stream, index)).is_err() {
					break;
				}
			}
			Err(error) => log::warn!(
				target: LOG_TARGET,
				"could not pin record {index} of stream {stream}: {error:?}"
			),
		}
	}
	if pinned.is_empty() {
		return;
	}
	let count = pinned.len();
	match signer.send_signed_transaction(|_| Call::report_availability { reports: pinned.clone() })
	{
		Some((_, Ok(()))) => {
			log::info!(target: LOG_TARGET, "pinned {count} record(s), availability reported")
		}
		Some((_, Err(()))) => {
			log::warn!(target: LOG_TARGET, "the availability report was not accepted by the pool")
		}
		None => log::warn!(target: LOG_TARGET, "no account could sign the availability report"),
	}
}

/// Whether a CID string can go into a URL as is: CIDv0 (base58) and CIDv1 (base32, base36)
/// strings are alphanumeric.
pub fn is_cid_string(cid: &[u8]) -> bool {
	!cid.is_empty() && cid.iter().all(|c| c.is_ascii_alphanumeric())
}

/// Pins `cid` on the IPFS daemon at `endpoint`.
pub fn pin(endpoint: &[u8], cid: &[u8]) -> Result<(), PinError> {
	if !is_cid_string(cid) {
		return Err(PinError::MalformedCid);
	}
	let endpoint = core::str::from_utf8(endpoint).map_err(|_| PinError::MalformedEndpoint)?;
	let cid = core::str::from_utf8(cid).map_err(|_| PinError::MalformedCid)?;
	let mut url = String::from(endpoint.trim_end_matches('/'));
	url.push_str("/api/v0/pin/add?arg=");
	url.push_str(cid);

	let deadline = sp_io::offchain::timestamp().add(Duration::from_millis(PIN_TIMEOUT_MS));
	// No body chunks: writing an empty chunk ends the body, so a `vec![vec![]]` body would end
	// it twice.
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
	// Kubo and js-ipfs answer `{"Pins":["<cid>"]}`, the CID possibly in another multibase
	// than the one asked for (js-ipfs answers base58btc), so any pinned entry counts: the
	// request named exactly one CID.
	let body: Vec<u8> = response.body().collect();
	const PINNED: &[u8] = b"\"Pins\":[\"";
	if body.windows(PINNED.len()).any(|w| w == PINNED) {
		Ok(())
	} else {
		Err(PinError::NotPinned)
	}
}

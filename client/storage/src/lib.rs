//! # CPChain data plane: where ciphertext lives
//!
//! A small [`Storage`] trait (put, get, pin, has) and [`IpfsStorage`], its implementation over
//! an IPFS daemon's RPC API (Kubo's, which js-ipfs serves too) through
//! `ipfs-api-backend-hyper`. Only ciphertext is ever stored: encryption happens before `put`
//! (see `cpchain-crypto`), and readers check what `get` returns against the on-chain hashes.
//!
//! Transient failures (connection refused or reset while the daemon starts or restarts) are
//! retried with exponential backoff; a daemon that stays unreachable gives
//! [`StorageError::Unreachable`] naming the endpoint. Errors that the daemon answers (a bad
//! CID, say) are not retried. Reads time out, because an offline daemon looks for a missing
//! CID forever, and are bounded: [`Storage::get`] takes the most bytes the caller will accept
//! (for an upload, the size its record registers on chain), asks the daemon for one byte
//! more, stops reading as soon as more arrive and answers [`StorageError::TooLarge`]. A CID
//! on chain is chosen by whoever registered it, so the object behind it may be of any size;
//! a read holds at most `max_len` bytes and one chunk more in memory.
#![deny(missing_docs)]

mod retry;

use std::{future::Future, io::Cursor, time::Duration};

use futures::TryStreamExt;
use ipfs_api_backend_hyper::{request, IpfsApi, IpfsClient, TryFromUri};

pub use retry::RetryPolicy;

/// What can go wrong with storage.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
	/// The endpoint is not an `http://host:port` URL.
	#[error("not an IPFS RPC endpoint URL: {0}")]
	InvalidEndpoint(String),
	/// The daemon did not answer, after retries.
	#[error("the IPFS daemon at {endpoint} is unreachable ({attempts} attempts): {reason}")]
	Unreachable {
		/// The endpoint tried.
		endpoint: String,
		/// How many attempts were made.
		attempts: u32,
		/// The last error.
		reason: String,
	},
	/// The daemon refused the request (for example a malformed CID).
	#[error("the IPFS daemon refused the request: {0}")]
	Refused(String),
	/// The content was not found in time (an offline daemon without the blocks).
	#[error("{cid} was not found within {timeout:?}")]
	NotFound {
		/// The CID asked for.
		cid: String,
		/// How long we waited.
		timeout: Duration,
	},
	/// The daemon answered something this client does not understand.
	#[error("unexpected answer from the IPFS daemon: {0}")]
	Protocol(String),
	/// The content is larger than the caller accepts; reading stopped there.
	#[error("{cid} is larger than the {limit} bytes expected; reading stopped")]
	TooLarge {
		/// The CID asked for.
		cid: String,
		/// The most bytes the caller accepted.
		limit: u64,
	},
}

/// Where ciphertext lives: content-addressed blobs.
pub trait Storage {
	/// Stores `data` and pins it; returns its CID (CIDv1, base32).
	fn put(&self, data: Vec<u8>) -> impl Future<Output = Result<String, StorageError>> + Send;
	/// The bytes of `cid`, if there are at most `max_len` of them; [`StorageError::TooLarge`]
	/// otherwise, without reading (or holding) much more than `max_len` bytes.
	fn get(
		&self,
		cid: &str,
		max_len: u64,
	) -> impl Future<Output = Result<Vec<u8>, StorageError>> + Send;
	/// Pins `cid`, so that garbage collection keeps it.
	fn pin(&self, cid: &str) -> impl Future<Output = Result<(), StorageError>> + Send;
	/// Whether `cid` is pinned here.
	fn has(&self, cid: &str) -> impl Future<Output = Result<bool, StorageError>> + Send;
}

/// [`Storage`] on an IPFS daemon's RPC API (cheap to clone: clones share the HTTP client).
#[derive(Clone)]
pub struct IpfsStorage {
	client: IpfsClient,
	endpoint: String,
	retry: RetryPolicy,
	read_timeout: Duration,
}

impl IpfsStorage {
	/// Storage on the daemon at `endpoint` (e.g. `http://127.0.0.1:5001`), with the default
	/// retry policy and a 30 s read timeout.
	pub fn new(endpoint: &str) -> Result<Self, StorageError> {
		let client = IpfsClient::from_str(endpoint)
			.map_err(|e| StorageError::InvalidEndpoint(format!("{endpoint}: {e}")))?;
		Ok(Self {
			client,
			endpoint: endpoint.to_owned(),
			retry: RetryPolicy::default(),
			read_timeout: Duration::from_secs(30),
		})
	}

	/// The same storage with another retry policy.
	pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
		self.retry = retry;
		self
	}

	/// The same storage with another read timeout.
	pub fn with_read_timeout(mut self, timeout: Duration) -> Self {
		self.read_timeout = timeout;
		self
	}

	/// Runs `call` with retries on transient errors.
	async fn run<T, F, Fut>(&self, call: F) -> Result<T, StorageError>
	where
		F: Fn() -> Fut,
		Fut: Future<Output = Result<T, ipfs_api_backend_hyper::Error>>,
	{
		self.retry
			.run(call, |error| match error {
				ipfs_api_backend_hyper::Error::Client(_) => Err(error.to_string()),
				ipfs_api_backend_hyper::Error::Api(api) => Ok(StorageError::Refused(api.message)),
				other => Ok(StorageError::Protocol(other.to_string())),
			})
			.await
			.map_err(|failure| match failure {
				retry::Failure::Final(error) => error,
				retry::Failure::Exhausted { attempts, last } => StorageError::Unreachable {
					endpoint: self.endpoint.clone(),
					attempts,
					reason: last,
				},
			})
	}
}

impl Storage for IpfsStorage {
	async fn put(&self, data: Vec<u8>) -> Result<String, StorageError> {
		let response = self
			.run(|| {
				let options =
					request::Add { cid_version: Some(1), pin: Some(true), ..Default::default() };
				self.client.add_with_options(Cursor::new(data.clone()), options)
			})
			.await?;
		Ok(response.hash)
	}

	async fn get(&self, cid: &str, max_len: u64) -> Result<Vec<u8>, StorageError> {
		// One byte more than accepted tells "exactly max_len" from "larger".
		let ask = usize::try_from(max_len.saturating_add(1)).unwrap_or(usize::MAX);
		let read = self.run(|| async move {
			let mut chunks = self.client.cat_range(cid, 0, ask);
			let mut bytes = Vec::new();
			while let Some(chunk) = chunks.try_next().await? {
				// The daemon may ignore the length it was asked for: count here too.
				if (bytes.len() as u64).saturating_add(chunk.len() as u64) > max_len {
					return Ok(None);
				}
				bytes.extend_from_slice(&chunk);
			}
			Ok(Some(bytes))
		});
		tokio::time::timeout(self.read_timeout, read)
			.await
			.map_err(|_| StorageError::NotFound {
				cid: cid.to_owned(),
				timeout: self.read_timeout,
			})??
			.ok_or_else(|| StorageError::TooLarge { cid: cid.to_owned(), limit: max_len })
	}

	async fn pin(&self, cid: &str) -> Result<(), StorageError> {
		let pin = self.run(|| self.client.pin_add(cid, true));
		tokio::time::timeout(self.read_timeout, pin)
			.await
			.map_err(|_| StorageError::NotFound {
				cid: cid.to_owned(),
				timeout: self.read_timeout,
			})?
			.map(|_| ())
	}

	async fn has(&self, cid: &str) -> Result<bool, StorageError> {
		match self.run(|| self.client.pin_ls(Some(cid), None)).await {
			Ok(response) => Ok(!response.keys.is_empty()),
			// The daemon answers "not pinned" as an error.
			Err(StorageError::Refused(message)) if message.contains("not pinned") => Ok(false),
			Err(error) => Err(error),
		}
	}
}

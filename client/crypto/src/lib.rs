//! # CPChain data plane: the owner's and the grantee's cryptography
//!
//! Everything here runs on the user's side; the chain and IPFS never see plaintext or keys.
//!
//! - [`block`]: readings cut into data blocks, each naming the hash of the one before.
//! - [`merkle`]: the Merkle root over an upload's blocks (it goes on chain with the record)
//!   and proofs that one block belongs to an upload.
//! - [`cipher`]: a fresh key per encryption interval; each block sealed with
//!   XChaCha20-Poly1305, bound to its stream, interval and index.
//! - [`keys`]: Umbral threshold proxy re-encryption: interval keys wrapped for the owner,
//!   grants as key fragments for `n` proxies with threshold `m`, verified capsule fragments
//!   opened by the grantee.
//! - [`wire`]: byte encodings of capsules, fragments and public keys.
//!
//! The on-chain side is in `primitives/src/data.rs` (record hash) and
//! `pallets/access-control` (who may read which interval).
#![deny(missing_docs)]

pub mod block;
pub mod cipher;
pub mod hash;
pub mod keys;
pub mod merkle;
pub mod wire;

pub use hash::{blake2_256, Hash};

/// What can go wrong in the data plane's cryptography.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
	/// A parameter is out of range.
	#[error("invalid parameter: {0}")]
	InvalidParameter(&'static str),
	/// Blocks do not continue the hash chain at this index.
	#[error("the hash chain breaks at block {index}")]
	BrokenChain {
		/// The first block that does not follow.
		index: u64,
	},
	/// Encryption failed.
	#[error("encryption failed")]
	Encryption,
	/// The ciphertext does not open with this key at this place: wrong key, or altered or
	/// misplaced data.
	#[error("decryption failed: wrong key, or the data was altered or moved")]
	Decryption,
	/// Bytes that are not a key.
	#[error("not a valid key")]
	InvalidKey,
	/// A key or capsule fragment that does not come from the expected grant.
	#[error("a key or capsule fragment does not verify against the grant")]
	InvalidFragment,
	/// Too few capsule fragments to open the key (fewer than the grant's threshold).
	#[error("not enough capsule fragments to open the key")]
	NotEnoughFragments,
}

//! Per-interval symmetric encryption of data blocks: XChaCha20-Poly1305.
//!
//! Each encryption interval has its own random 256-bit key, so granting interval `i` gives
//! away nothing else. Each block is sealed on its own with a random 192-bit nonce (random
//! nonces of this size never collide in practice, and no counter has to survive a restart)
//! and associated data that binds the ciphertext to its stream, interval and block index: a
//! ciphertext moved to another place fails to open. Blocks are sealed one at a time, so
//! memory stays bounded by the block size however large an upload is.

use chacha20poly1305::{
	aead::{Aead, KeyInit, Payload},
	XChaCha20Poly1305, XNonce,
};
use rand_core::{OsRng, RngCore};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::Error;

/// Domain tag of the associated data.
pub const AEAD_DOMAIN: &[u8] = b"cpchain/block-aead/v1";
/// Length of the nonce that precedes each sealed block.
pub const NONCE_LEN: usize = 24;
/// Length of the authentication tag that ends each sealed block.
pub const TAG_LEN: usize = 16;
/// Length of an interval key.
pub const KEY_LEN: usize = 32;

/// The symmetric key of one encryption interval. Zeroized on drop; never printed.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct IntervalKey([u8; KEY_LEN]);

impl IntervalKey {
	/// A new random key from the operating system's generator.
	pub fn generate() -> Self {
		let mut key = [0u8; KEY_LEN];
		OsRng.fill_bytes(&mut key);
		Self(key)
	}

	/// The key with these bytes (as unwrapped from a capsule).
	pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
		let key: [u8; KEY_LEN] = bytes.try_into().map_err(|_| Error::InvalidKey)?;
		Ok(Self(key))
	}

	/// The key's bytes, for wrapping in a capsule only.
	pub(crate) fn expose(&self) -> &[u8; KEY_LEN] {
		&self.0
	}
}

impl core::fmt::Debug for IntervalKey {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		f.write_str("IntervalKey(<secret>)")
	}
}

/// Where a sealed block belongs: what the associated data binds.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Place {
	/// The stream id.
	pub stream: u64,
	/// The encryption interval.
	pub interval: u64,
	/// The block index.
	pub block: u64,
}

impl Place {
	fn associated_data(&self) -> Vec<u8> {
		let mut aad = Vec::with_capacity(AEAD_DOMAIN.len() + 24);
		aad.extend_from_slice(AEAD_DOMAIN);
		aad.extend_from_slice(&self.stream.to_le_bytes());
		aad.extend_from_slice(&self.interval.to_le_bytes());
		aad.extend_from_slice(&self.block.to_le_bytes());
		aad
	}
}

/// Seals `plaintext` for `place`: nonce, then ciphertext and tag.
pub fn seal(key: &IntervalKey, place: Place, plaintext: &[u8]) -> Result<Vec<u8>, Error> {
	let mut nonce = [0u8; NONCE_LEN];
	OsRng.fill_bytes(&mut nonce);
	seal_with_nonce(key, place, &nonce, plaintext)
}

fn seal_with_nonce(
	key: &IntervalKey,
	place: Place,
	nonce: &[u8; NONCE_LEN],
	plaintext: &[u8],
) -> Result<Vec<u8>, Error> {
	let cipher = XChaCha20Poly1305::new(key.expose().into());
	let aad = place.associated_data();
	let ciphertext = cipher
		.encrypt(XNonce::from_slice(nonce), Payload { msg: plaintext, aad: &aad })
		.map_err(|_| Error::Encryption)?;
	let mut sealed = Vec::with_capacity(NONCE_LEN + ciphertext.len());
	sealed.extend_from_slice(nonce);
	sealed.extend_from_slice(&ciphertext);
	Ok(sealed)
}

/// Opens a block sealed for `place`; fails if the key, the place or any byte is wrong.
pub fn open(key: &IntervalKey, place: Place, sealed: &[u8]) -> Result<Vec<u8>, Error> {
	if sealed.len() < NONCE_LEN + TAG_LEN {
		return Err(Error::Decryption);
	}
	let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
	let cipher = XChaCha20Poly1305::new(key.expose().into());
	let aad = place.associated_data();
	cipher
		.decrypt(XNonce::from_slice(nonce), Payload { msg: ciphertext, aad: &aad })
		.map_err(|_| Error::Decryption)
}

#[cfg(test)]
mod tests {
	use super::*;
	use proptest::prelude::*;

	const PLACE: Place = Place { stream: 1, interval: 2, block: 3 };

	proptest! {
		#[test]
		fn round_trips_any_size(data in proptest::collection::vec(any::<u8>(), 0..4096)) {
			let key = IntervalKey::generate();
			let sealed = seal(&key, PLACE, &data).expect("seals");
			prop_assert_eq!(sealed.len(), data.len() + NONCE_LEN + TAG_LEN);
			prop_assert_eq!(open(&key, PLACE, &sealed).expect("opens"), data);
		}

		#[test]
		fn any_flipped_bit_is_detected(
			data in proptest::collection::vec(any::<u8>(), 1..512),
			bit in any::<proptest::sample::Index>(),
		) {
			let key = IntervalKey::generate();
			let mut sealed = seal(&key, PLACE, &data).expect("seals");
			let bit = bit.index(sealed.len() * 8);
			sealed[bit / 8] ^= 1 << (bit % 8);
			prop_assert_eq!(open(&key, PLACE, &sealed), Err(Error::Decryption));
		}
	}

	#[test]
	fn wrong_key_or_place_fails() {
		let key = IntervalKey::generate();
		let sealed = seal(&key, PLACE, b"22.5 C").expect("seals");
		assert_eq!(open(&IntervalKey::generate(), PLACE, &sealed), Err(Error::Decryption));
		for other in [
			Place { stream: 9, ..PLACE },
			Place { interval: 9, ..PLACE },
			Place { block: 9, ..PLACE },
		] {
			assert_eq!(open(&key, other, &sealed), Err(Error::Decryption), "{other:?}");
		}
		assert_eq!(open(&key, PLACE, &sealed[..NONCE_LEN + TAG_LEN - 1]), Err(Error::Decryption));
	}

	#[test]
	fn nonces_are_fresh_and_keys_do_not_print() {
		let key = IntervalKey::generate();
		assert_ne!(
			seal(&key, PLACE, b"x").expect("seals"),
			seal(&key, PLACE, b"x").expect("seals")
		);
		assert_eq!(format!("{key:?}"), "IntervalKey(<secret>)");
		assert!(IntervalKey::from_bytes(&[0; 31]).is_err());
	}
}

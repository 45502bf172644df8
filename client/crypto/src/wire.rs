//! Byte encodings of the Umbral objects that leave the process: capsules in uploads, key
//! fragments sent to proxies, capsule fragments sent back, public keys on chain.
//!
//! Capsules and fragments use `umbral-pre`'s own serialisation (MessagePack), so other Umbral
//! implementations can read them; public keys are compressed secp256k1 points (33 bytes), the
//! form the access-control pallet stores. Decoding never trusts its input: every decoder
//! returns an error for bytes that are not a valid object, and fragments still have to be
//! verified before use (see [`crate::keys`]).

use umbral_pre::{Capsule, CapsuleFrag, DefaultDeserialize, DefaultSerialize, KeyFrag, PublicKey};

use crate::Error;

/// Length of a compressed public key.
pub const PUBLIC_KEY_LEN: usize = 33;

/// A public key as 33 bytes.
pub fn public_key_to_bytes(key: &PublicKey) -> [u8; PUBLIC_KEY_LEN] {
	let bytes = key.to_compressed_bytes();
	let mut out = [0u8; PUBLIC_KEY_LEN];
	// A compressed secp256k1 point is always 33 bytes.
	out.copy_from_slice(&bytes[..PUBLIC_KEY_LEN.min(bytes.len())]);
	out
}

/// The public key with these 33 bytes.
pub fn public_key_from_bytes(bytes: &[u8]) -> Result<PublicKey, Error> {
	PublicKey::try_from_compressed_bytes(bytes).map_err(|_| Error::InvalidKey)
}

fn encode<T: DefaultSerialize>(value: &T) -> Result<Vec<u8>, Error> {
	value.to_bytes().map(Vec::from).map_err(|_| Error::Encryption)
}

/// A capsule's bytes.
pub fn capsule_to_bytes(capsule: &Capsule) -> Result<Vec<u8>, Error> {
	encode(capsule)
}

/// The capsule with these bytes.
pub fn capsule_from_bytes(bytes: &[u8]) -> Result<Capsule, Error> {
	Capsule::from_bytes(bytes).map_err(|_| Error::InvalidFragment)
}

/// A key fragment's bytes.
pub fn key_fragment_to_bytes(fragment: &KeyFrag) -> Result<Vec<u8>, Error> {
	encode(fragment)
}

/// The key fragment with these bytes (still to be verified).
pub fn key_fragment_from_bytes(bytes: &[u8]) -> Result<KeyFrag, Error> {
	KeyFrag::from_bytes(bytes).map_err(|_| Error::InvalidFragment)
}

/// A capsule fragment's bytes.
pub fn capsule_fragment_to_bytes(fragment: &CapsuleFrag) -> Result<Vec<u8>, Error> {
	encode(fragment)
}

/// The capsule fragment with these bytes (still to be verified).
pub fn capsule_fragment_from_bytes(bytes: &[u8]) -> Result<CapsuleFrag, Error> {
	CapsuleFrag::from_bytes(bytes).map_err(|_| Error::InvalidFragment)
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::{
		cipher::IntervalKey,
		keys::{OwnerKeys, ProxyShare},
	};

	#[test]
	fn objects_survive_their_encoding_and_garbage_is_refused() {
		let owner = OwnerKeys::generate();
		let grantee = OwnerKeys::generate().grantee();
		let pk = public_key_to_bytes(&owner.public_key());
		assert_eq!(public_key_from_bytes(&pk).expect("decodes"), owner.public_key());
		assert!(public_key_from_bytes(&[7u8; 33]).is_err());

		let wrapped = owner.wrap(&IntervalKey::generate()).expect("wraps");
		let capsule = capsule_from_bytes(&capsule_to_bytes(&wrapped.capsule).expect("encodes"))
			.expect("decodes");
		assert_eq!(capsule, wrapped.capsule);

		let kfrag = owner.grant(&grantee.public_key(), 1, 1).expect("grants").remove(0);
		let kfrag = key_fragment_from_bytes(&key_fragment_to_bytes(&kfrag).expect("encodes"))
			.expect("decodes");
		let share = ProxyShare::accept(
			kfrag,
			&owner.verifying_key(),
			&owner.public_key(),
			&grantee.public_key(),
		)
		.expect("verifies after the round trip");
		let cfrag = share.reencrypt(&capsule);
		let cfrag =
			capsule_fragment_from_bytes(&capsule_fragment_to_bytes(&cfrag).expect("encodes"))
				.expect("decodes");
		let key = grantee
			.open(&wrapped, vec![cfrag], &owner.verifying_key(), &owner.public_key())
			.expect("opens");
		assert_eq!(key, owner.unwrap(&wrapped).expect("unwraps"));

		assert!(capsule_from_bytes(b"not a capsule").is_err());
		assert!(key_fragment_from_bytes(&[0u8; 10]).is_err());
		assert!(capsule_fragment_from_bytes(&[]).is_err());
	}

	#[test]
	fn keys_rebuilt_from_their_seed_are_the_same_keys() {
		let owner = OwnerKeys::generate();
		let again = OwnerKeys::from_seed(owner.seed().as_ref()).expect("32 bytes");
		assert_eq!(again.public_key(), owner.public_key());
		assert_eq!(again.verifying_key(), owner.verifying_key());
		assert_ne!(owner.public_key(), owner.verifying_key(), "distinct derived keys");
		assert!(OwnerKeys::from_seed(&[1u8; 31]).is_err());
	}
}

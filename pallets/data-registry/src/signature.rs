//! Verification of device signatures (the DPKI half of the registry).

use cpchain_primitives::data::{DeviceKey, DeviceSignature};

/// Whether `signature` is `key`'s signature over `message`.
///
/// A signature verifies only under its own scheme: an sr25519 signature is never checked
/// against an ed25519 key of the same bytes, and the reverse.
pub fn verify(key: &DeviceKey, signature: &DeviceSignature, message: &[u8]) -> bool {
	match (key, signature) {
		(DeviceKey::Sr25519(public), DeviceSignature::Sr25519(sig)) => {
			sp_io::crypto::sr25519_verify(sig, message, public)
		}
		(DeviceKey::Ed25519(public), DeviceSignature::Ed25519(sig)) => {
			sp_io::crypto::ed25519_verify(sig, message, public)
		}
		(DeviceKey::Ecdsa(public), DeviceSignature::Ecdsa(sig)) => {
			sp_io::crypto::ecdsa_verify(sig, message, public)
		}
		_ => false,
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use sp_core::{ecdsa, ed25519, sr25519, Pair};

	const MESSAGE: &[u8] = b"a record hash";

	fn check<P: Pair>(
		pair: P,
		key: impl Fn(P::Public) -> DeviceKey,
		sig: impl Fn(P::Signature) -> DeviceSignature,
	) {
		let good = sig(pair.sign(MESSAGE));
		assert!(verify(&key(pair.public()), &good, MESSAGE));
		assert!(!verify(&key(pair.public()), &good, b"another message"));
		let (other, _) = P::generate();
		assert!(!verify(&key(other.public()), &good, MESSAGE));
	}

	#[test]
	fn each_scheme_verifies_its_own_signatures_only() {
		sp_io::TestExternalities::default().execute_with(|| {
			check(sr25519::Pair::from_seed(&[1; 32]), DeviceKey::Sr25519, DeviceSignature::Sr25519);
			check(ed25519::Pair::from_seed(&[2; 32]), DeviceKey::Ed25519, DeviceSignature::Ed25519);
			check(ecdsa::Pair::from_seed(&[3; 32]), DeviceKey::Ecdsa, DeviceSignature::Ecdsa);
		});
	}

	#[test]
	fn a_signature_of_another_scheme_never_verifies() {
		sp_io::TestExternalities::default().execute_with(|| {
			let ed = ed25519::Pair::from_seed(&[4; 32]);
			let sig = DeviceSignature::Ed25519(ed.sign(MESSAGE));
			// The same 32 bytes read as an sr25519 key: must not accept an ed25519 signature.
			let as_sr = DeviceKey::Sr25519(sr25519::Public::from_raw(ed.public().0));
			assert!(!verify(&as_sr, &sig, MESSAGE));
			assert!(verify(&DeviceKey::Ed25519(ed.public()), &sig, MESSAGE));
		});
	}
}

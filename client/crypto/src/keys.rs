//! All key handling of the data plane: interval keys wrapped in Umbral capsules for the owner,
//! grants as key fragments for proxies, re-encryption by proxies, and opening by grantees.
//!
//! "Encrypt once, authorise many": the owner wraps each interval key once, under its own
//! Umbral public key. To grant, the owner makes `n` key fragments towards the grantee's
//! public key, one per proxy, any `m` of which suffice. A proxy turns the capsule into a
//! capsule fragment for the grantee without learning the key; the grantee verifies each
//! fragment (it must come from the owner's grant to this grantee) and opens the capsule with
//! `m` of them. Secret keys live in `umbral_pre::SecretKey` (zeroized on drop) and interval
//! keys in [`IntervalKey`]; neither implements `Display`, and `Debug` hides them.

use umbral_pre::{
	decrypt_original, decrypt_reencrypted, encrypt, generate_kfrags, reencrypt, Capsule,
	CapsuleFrag, KeyFrag, PublicKey, SecretKey, SecretKeyFactory, Signer, VerifiedKeyFrag,
};
use zeroize::Zeroizing;

use crate::{cipher::IntervalKey, Error};

/// Length of the seed that all of an account's Umbral keys derive from.
pub const SEED_LEN: usize = 32;
/// Label of the delegating (and receiving) key derived from a seed.
const DELEGATING_LABEL: &[u8] = b"cpchain/umbral/delegating/v1";
/// Label of the grant-signing key derived from a seed.
const SIGNING_LABEL: &[u8] = b"cpchain/umbral/signing/v1";
/// Domain of the seed derived from an account's secret key (see
/// [`OwnerKeys::from_account_secret`]).
const ACCOUNT_SEED_LABEL: &[u8] = b"cpchain/umbral/seed-from-account/v1";

/// An interval key wrapped for the owner: an Umbral capsule and the encrypted key.
#[derive(Clone, PartialEq, Debug)]
pub struct WrappedKey {
	/// The capsule that proxies re-encrypt.
	pub capsule: Capsule,
	/// The interval key, encrypted under the capsule's key.
	pub ciphertext: Box<[u8]>,
}

/// The data owner's keys: the Umbral key pair that interval keys are wrapped under, and the
/// signing key that makes grants verifiable. Both derive from one 32-byte seed (the only thing
/// a key store keeps), under distinct labels. The same key pair receives re-encrypted keys
/// when the account is a grantee ([`OwnerKeys::grantee`]).
pub struct OwnerKeys {
	seed: Zeroizing<[u8; SEED_LEN]>,
	secret: SecretKey,
	signer: Signer,
}

impl core::fmt::Debug for OwnerKeys {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		f.debug_struct("OwnerKeys").field("public", &self.public_key()).finish_non_exhaustive()
	}
}

impl OwnerKeys {
	/// New random keys.
	pub fn generate() -> Self {
		let mut seed = Zeroizing::new([0u8; SEED_LEN]);
		rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, seed.as_mut());
		Self::from_seed(seed.as_ref()).expect("the seed has the right length; qed")
	}

	/// The keys derived from `seed` (which must come from a secure random source).
	pub fn from_seed(seed: &[u8]) -> Result<Self, Error> {
		let seed: [u8; SEED_LEN] = seed.try_into().map_err(|_| Error::InvalidKey)?;
		let seed = Zeroizing::new(seed);
		let factory = SecretKeyFactory::from_secure_randomness(seed.as_ref())
			.map_err(|_| Error::InvalidKey)?;
		let secret = factory.make_key(DELEGATING_LABEL);
		let signer = Signer::new(factory.make_key(SIGNING_LABEL));
		Ok(Self { seed, secret, signer })
	}

	/// The keys of an account, derived from its secret key (for sr25519, the 64 bytes of
	/// `Pair::to_raw_vec`): the same secret, imported anywhere, gives the same Umbral keys, so
	/// a lost key file does not lose the interval keys wrapped under them. The seed is
	/// BLAKE2b-256 of a domain label and the secret; the secret is uniformly random (or as
	/// strong as its mnemonic), and the label keeps the seed apart from every other use of it.
	pub fn from_account_secret(secret: &[u8]) -> Self {
		let seed = Zeroizing::new(crate::hash::blake2_256(&[ACCOUNT_SEED_LABEL, secret]));
		Self::from_seed(seed.as_ref()).expect("the seed has the right length; qed")
	}

	/// The seed, for a key store to encrypt and keep. Zeroized when dropped.
	pub fn seed(&self) -> Zeroizing<[u8; SEED_LEN]> {
		self.seed.clone()
	}

	/// The same account in the grantee's role: it opens keys re-encrypted towards
	/// [`OwnerKeys::public_key`].
	pub fn grantee(&self) -> GranteeKeys {
		GranteeKeys { secret: self.secret.clone() }
	}

	/// The public key that interval keys are wrapped under (the "delegating" key).
	pub fn public_key(&self) -> PublicKey {
		self.secret.public_key()
	}

	/// The key that verifies this owner's grants.
	pub fn verifying_key(&self) -> PublicKey {
		self.signer.verifying_key()
	}

	/// Wraps `key` under the owner's public key.
	pub fn wrap(&self, key: &IntervalKey) -> Result<WrappedKey, Error> {
		let (capsule, ciphertext) =
			encrypt(&self.public_key(), key.expose()).map_err(|_| Error::Encryption)?;
		Ok(WrappedKey { capsule, ciphertext })
	}

	/// Unwraps a key wrapped by this owner.
	pub fn unwrap(&self, wrapped: &WrappedKey) -> Result<IntervalKey, Error> {
		let bytes = decrypt_original(&self.secret, &wrapped.capsule, &wrapped.ciphertext)
			.map_err(|_| Error::Decryption)?;
		IntervalKey::from_bytes(&bytes)
	}

	/// Grants `grantee`: `shares` key fragments, one per proxy, any `threshold` of which open
	/// the owner's capsules for the grantee. Each fragment is signed and names both keys, so
	/// proxies and the grantee can check where it comes from.
	pub fn grant(
		&self,
		grantee: &PublicKey,
		threshold: u8,
		shares: u8,
	) -> Result<Vec<KeyFrag>, Error> {
		if threshold == 0 || threshold > shares {
			return Err(Error::InvalidParameter("the threshold must be in 1..=shares"));
		}
		let fragments = generate_kfrags(
			&self.secret,
			grantee,
			&self.signer,
			threshold.into(),
			shares.into(),
			true,
			true,
		);
		Ok(fragments.iter().map(|f| f.clone().unverify()).collect())
	}
}

/// A proxy's share of one grant: a key fragment it has verified.
pub struct ProxyShare {
	fragment: VerifiedKeyFrag,
}

impl core::fmt::Debug for ProxyShare {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		f.write_str("ProxyShare(<key fragment>)")
	}
}

impl ProxyShare {
	/// Accepts `fragment` after checking that the owner (`verifying_key`) made it from
	/// `owner` towards `grantee`.
	pub fn accept(
		fragment: KeyFrag,
		verifying_key: &PublicKey,
		owner: &PublicKey,
		grantee: &PublicKey,
	) -> Result<Self, Error> {
		let fragment = fragment
			.verify(verifying_key, Some(owner), Some(grantee))
			.map_err(|_| Error::InvalidFragment)?;
		Ok(Self { fragment })
	}

	/// Re-encrypts `capsule` for the grantee.
	pub fn reencrypt(&self, capsule: &Capsule) -> CapsuleFrag {
		reencrypt(capsule, self.fragment.clone()).unverify()
	}
}

/// A grantee's keys.
pub struct GranteeKeys {
	secret: SecretKey,
}

impl core::fmt::Debug for GranteeKeys {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		f.debug_struct("GranteeKeys").field("public", &self.public_key()).finish_non_exhaustive()
	}
}

impl GranteeKeys {
	/// New random keys.
	pub fn generate() -> Self {
		Self { secret: SecretKey::random() }
	}

	/// The public key that grants are made towards.
	pub fn public_key(&self) -> PublicKey {
		self.secret.public_key()
	}

	/// Opens a wrapped interval key with capsule fragments from the proxies. Every fragment is
	/// verified first (made from this owner's grant to this grantee, for this capsule); a bad
	/// one fails the call. Fewer fragments than the grant's threshold do not open the key.
	pub fn open(
		&self,
		wrapped: &WrappedKey,
		fragments: Vec<CapsuleFrag>,
		verifying_key: &PublicKey,
		owner: &PublicKey,
	) -> Result<IntervalKey, Error> {
		if fragments.is_empty() {
			return Err(Error::NotEnoughFragments);
		}
		let me = self.public_key();
		let verified = fragments
			.into_iter()
			.map(|f| {
				f.verify(&wrapped.capsule, verifying_key, owner, &me)
					.map_err(|_| Error::InvalidFragment)
			})
			.collect::<Result<Vec<_>, _>>()?;
		let bytes = decrypt_reencrypted(
			&self.secret,
			owner,
			&wrapped.capsule,
			verified,
			&wrapped.ciphertext,
		)
		.map_err(|_| Error::NotEnoughFragments)?;
		IntervalKey::from_bytes(&bytes)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn keys_from_an_account_secret_are_recovered_from_it_alone() {
		let secret = [7u8; 64];
		let a = OwnerKeys::from_account_secret(&secret);
		let b = OwnerKeys::from_account_secret(&secret);
		assert_eq!(a.public_key(), b.public_key());
		assert_eq!(a.verifying_key(), b.verifying_key());
		// A key wrapped for the first opens with the second.
		let key = IntervalKey::generate();
		let wrapped = a.wrap(&key).expect("wraps");
		assert_eq!(b.unwrap(&wrapped).expect("opens"), key);
		// Another secret, or the secret used directly as a seed, gives other keys.
		assert_ne!(OwnerKeys::from_account_secret(&[8u8; 64]).public_key(), a.public_key());
		let direct = OwnerKeys::from_seed(&secret[..SEED_LEN]).expect("a seed");
		assert_ne!(direct.public_key(), a.public_key());
	}

	struct World {
		owner: OwnerKeys,
		grantee: GranteeKeys,
		key: IntervalKey,
		wrapped: WrappedKey,
		shares: Vec<ProxyShare>,
	}

	/// An owner with one wrapped key, and `n` proxies holding a `m`-of-`n` grant to a grantee.
	fn world(m: u8, n: u8) -> World {
		let owner = OwnerKeys::generate();
		let grantee = GranteeKeys::generate();
		let key = IntervalKey::generate();
		let wrapped = owner.wrap(&key).expect("wraps");
		let shares = owner
			.grant(&grantee.public_key(), m, n)
			.expect("valid threshold")
			.into_iter()
			.map(|f| {
				ProxyShare::accept(
					f,
					&owner.verifying_key(),
					&owner.public_key(),
					&grantee.public_key(),
				)
				.expect("the owner's fragment verifies")
			})
			.collect();
		World { owner, grantee, key, wrapped, shares }
	}

	fn fragments(w: &World, count: usize) -> Vec<CapsuleFrag> {
		w.shares.iter().take(count).map(|s| s.reencrypt(&w.wrapped.capsule)).collect()
	}

	#[test]
	fn the_owner_unwraps_its_own_keys() {
		let w = world(1, 1);
		assert_eq!(w.owner.unwrap(&w.wrapped).expect("unwraps"), w.key);
		assert!(OwnerKeys::generate().unwrap(&w.wrapped).is_err(), "another owner cannot");
	}

	#[test]
	fn m_fragments_open_and_m_minus_one_do_not() {
		let w = world(3, 5);
		let (vk, pk) = (w.owner.verifying_key(), w.owner.public_key());
		assert_eq!(w.grantee.open(&w.wrapped, fragments(&w, 3), &vk, &pk).expect("opens"), w.key);
		assert_eq!(w.grantee.open(&w.wrapped, fragments(&w, 5), &vk, &pk).expect("opens"), w.key);
		assert_eq!(
			w.grantee.open(&w.wrapped, fragments(&w, 2), &vk, &pk),
			Err(Error::NotEnoughFragments)
		);
		assert_eq!(w.grantee.open(&w.wrapped, vec![], &vk, &pk), Err(Error::NotEnoughFragments));
	}

	#[test]
	fn fragments_for_another_grantee_or_capsule_fail_verification() {
		let w = world(1, 2);
		let (vk, pk) = (w.owner.verifying_key(), w.owner.public_key());
		let stranger = GranteeKeys::generate();
		assert_eq!(
			stranger.open(&w.wrapped, fragments(&w, 1), &vk, &pk),
			Err(Error::InvalidFragment)
		);
		// A fragment of another capsule.
		let other = w.owner.wrap(&IntervalKey::generate()).expect("wraps");
		let foreign = vec![w.shares[0].reencrypt(&other.capsule)];
		assert_eq!(w.grantee.open(&w.wrapped, foreign, &vk, &pk), Err(Error::InvalidFragment));
		// A proxy refuses a fragment that names another grantee.
		let fragment = w.owner.grant(&w.grantee.public_key(), 1, 1).expect("valid").remove(0);
		assert!(ProxyShare::accept(fragment, &vk, &pk, &stranger.public_key()).is_err());
	}

	#[test]
	fn a_key_opened_for_one_interval_does_not_open_another() {
		use crate::cipher::{open, seal, Place};
		let w = world(1, 1);
		let (vk, pk) = (w.owner.verifying_key(), w.owner.public_key());
		let other_key = IntervalKey::generate();
		let place = Place { stream: 0, interval: 6, block: 60 };
		let sealed = seal(&other_key, place, b"interval 6").expect("seals");
		let opened = w.grantee.open(&w.wrapped, fragments(&w, 1), &vk, &pk).expect("opens");
		assert_eq!(open(&opened, place, &sealed), Err(Error::Decryption));
	}

	#[test]
	fn invalid_thresholds_are_refused_and_secrets_do_not_print() {
		let owner = OwnerKeys::generate();
		let grantee = GranteeKeys::generate();
		assert!(owner.grant(&grantee.public_key(), 0, 3).is_err());
		assert!(owner.grant(&grantee.public_key(), 4, 3).is_err());
		let printed = format!("{owner:?} {grantee:?}");
		assert!(!printed.contains("secret"), "{printed}");
	}
}

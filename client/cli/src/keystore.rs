//! Keys on disk, encrypted with a password.
//!
//! One JSON file per key under `<data-dir>/keys/`. Public parts (scheme, public key, address,
//! Umbral public keys) are stored in clear so that `cpc key list` needs no password; the
//! secret part (the secret URI and, for accounts, the Umbral seed) is encrypted with
//! XChaCha20-Poly1305 under a key derived from the password with scrypt, with the file's
//! public header as associated data, so a header cannot be swapped onto another secret.
//! Files are written to a temporary name and renamed, so a crash never leaves half a key.
//! Secrets are zeroized after use and never printed.
//!
//! An account's Umbral keys are derived from its secret key
//! ([`OwnerKeys::from_account_secret`]): importing the same secret URI or mnemonic into any
//! key store gives the same Umbral keys, so a lost key file loses no data. Key files written
//! before (random Umbral seeds) keep their stored seed and keep working; the data wrapped for
//! them opens only with those files.

use std::{fs, path::PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use chacha20poly1305::{
	aead::{Aead, KeyInit, Payload},
	XChaCha20Poly1305, XNonce,
};
use cpchain_crypto::{keys::OwnerKeys, wire};
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use sp_core::{crypto::Ss58Codec, ecdsa, ed25519, sr25519, Pair};
use zeroize::Zeroizing;

use crate::files;

/// What a key is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
	/// An account: signs transactions, owns devices and streams, receives grants.
	Account,
	/// A device key (DPKI): signs records.
	Device,
}

/// Signature schemes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
	/// Schnorrkel/Ristretto.
	Sr25519,
	/// Ed25519.
	Ed25519,
	/// secp256k1 ECDSA.
	Ecdsa,
}

/// scrypt cost of new key files: N = 2^17, r = 8, p = 1 (128 MiB; 0.3 s per unlock, measured
/// on a 2-core machine), the minimum OWASP's password storage guidance names for scrypt.
const SCRYPT_LOG_N: u8 = 17;
const SCRYPT_R: u32 = 8;
const SCRYPT_P: u32 = 1;
/// The most memory a key file may make scrypt use (1 GiB): the parameters are read from the
/// file before anything is authenticated, so a tampered file must not make `cpc` allocate
/// without bound.
const SCRYPT_MAX_MEMORY: u64 = 1 << 30;
/// Format of new key files: the scrypt parameters and salt are authenticated with the header.
const FORMAT_VERSION: u32 = 2;
/// Files written before: only the header is authenticated; still read.
const FORMAT_VERSION_1: u32 = 1;

/// The public header of a stored key.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct KeyInfo {
	/// File format version.
	pub version: u32,
	/// The key's name in the store.
	pub name: String,
	/// What the key is for.
	pub kind: Kind,
	/// Its signature scheme.
	pub scheme: Scheme,
	/// Its public key, hex.
	pub public: String,
	/// The account's SS58 address (accounts only).
	#[serde(skip_serializing_if = "Option::is_none", default)]
	pub address: Option<String>,
	/// The account's Umbral public key, hex (accounts only): grants are made towards it.
	#[serde(skip_serializing_if = "Option::is_none", default)]
	pub umbral_public: Option<String>,
	/// The account's Umbral verifying key, hex (accounts only).
	#[serde(skip_serializing_if = "Option::is_none", default)]
	pub umbral_verifying: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct Sealed {
	kdf: String,
	log_n: u8,
	r: u32,
	p: u32,
	salt: String,
	nonce: String,
	ciphertext: String,
}

#[derive(Serialize, Deserialize)]
struct StoredKey {
	#[serde(flatten)]
	info: KeyInfo,
	crypto: Sealed,
}

/// The encrypted part of a key file; wiped from memory when dropped.
#[derive(Serialize, Deserialize, zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
struct Secret {
	suri: String,
	#[serde(skip_serializing_if = "Option::is_none", default)]
	umbral_seed: Option<String>,
}

/// An unlocked account: its signing pair and its Umbral keys.
pub struct Account {
	/// The account's sr25519 pair (accounts are sr25519).
	pub pair: sr25519::Pair,
	/// The account's Umbral keys.
	pub umbral: OwnerKeys,
}

impl Account {
	/// The account id.
	pub fn account_id(&self) -> sp_core::crypto::AccountId32 {
		self.pair.public().into()
	}
}

/// An unlocked device key.
pub enum DeviceKeyPair {
	/// sr25519.
	Sr25519(sr25519::Pair),
	/// Ed25519.
	Ed25519(ed25519::Pair),
	/// ECDSA.
	Ecdsa(ecdsa::Pair),
}

/// The key store in a directory.
pub struct KeyStore {
	dir: PathBuf,
}

fn valid_name(name: &str) -> Result<()> {
	if name.is_empty()
		|| name.len() > 64
		|| !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
	{
		bail!("key names are 1 to 64 letters, digits, '-' or '_' (got {name:?})");
	}
	Ok(())
}

fn derive_key(
	password: &str,
	salt: &[u8],
	log_n: u8,
	r: u32,
	p: u32,
) -> Result<Zeroizing<[u8; 32]>> {
	let params = scrypt::Params::new(log_n, r, p, 32)
		.map_err(|e| anyhow!("invalid scrypt parameters in the key file: {e}"))?;
	let mut key = Zeroizing::new([0u8; 32]);
	scrypt::scrypt(password.as_bytes(), salt, &params, key.as_mut())
		.map_err(|e| anyhow!("scrypt failed: {e}"))?;
	Ok(key)
}

/// Refuses scrypt parameters that are too weak to be ours or would make scrypt use more than
/// [`SCRYPT_MAX_MEMORY`], before any work is done with them.
fn check_scrypt_params(log_n: u8, r: u32, p: u32) -> Result<()> {
	let memory = 128u64.saturating_mul(u64::from(r)).checked_shl(u32::from(log_n));
	if !(14..=20).contains(&log_n)
		|| !(1..=16).contains(&r)
		|| !(1..=4).contains(&p)
		|| memory.is_none_or(|m| m > SCRYPT_MAX_MEMORY)
	{
		bail!("scrypt parameters out of bounds (log_n {log_n}, r {r}, p {p})");
	}
	Ok(())
}

/// The associated data of a format-1 file: its header.
fn header_aad(info: &KeyInfo) -> Result<Vec<u8>> {
	Ok(serde_json::to_vec(info)?)
}

/// The associated data of a format-2 file: its header, the scrypt parameters and the salt, so
/// that none of them can be changed without the file failing to open.
fn aad(info: &KeyInfo, log_n: u8, r: u32, p: u32, salt: &[u8]) -> Result<Vec<u8>> {
	let mut aad = header_aad(info)?;
	aad.extend_from_slice(b"\0scrypt");
	aad.push(log_n);
	aad.extend_from_slice(&r.to_le_bytes());
	aad.extend_from_slice(&p.to_le_bytes());
	aad.extend_from_slice(salt);
	Ok(aad)
}

impl KeyStore {
	/// The store in `dir` (created on first write).
	pub fn new(dir: impl Into<PathBuf>) -> Self {
		Self { dir: dir.into() }
	}

	fn path(&self, name: &str) -> PathBuf {
		self.dir.join(format!("{name}.json"))
	}

	/// Adds a key from a secret URI (`//Alice`, a mnemonic, `0x` seed, with derivations).
	/// Accounts are sr25519, with Umbral keys derived from their secret. Fails if the name is
	/// taken.
	pub fn add(
		&self,
		name: &str,
		kind: Kind,
		scheme: Scheme,
		suri: &str,
		password: &str,
	) -> Result<KeyInfo> {
		valid_name(name)?;
		if kind == Kind::Account && scheme != Scheme::Sr25519 {
			bail!(
				"accounts are sr25519 (the chain's account scheme); device keys may use any scheme"
			);
		}
		let path = self.path(name);
		if path.exists() {
			bail!("a key named {name:?} already exists in {}", self.dir.display());
		}
		let bad_suri = || anyhow!("not a valid secret URI or mnemonic for {scheme:?}");
		let mut account_secret = None;
		let public = match scheme {
			Scheme::Sr25519 => {
				let pair = sr25519::Pair::from_string(suri, None).map_err(|_| bad_suri())?;
				account_secret = Some(Zeroizing::new(pair.to_raw_vec()));
				pair.public().0.to_vec()
			}
			Scheme::Ed25519 => {
				ed25519::Pair::from_string(suri, None).map_err(|_| bad_suri())?.public().0.to_vec()
			}
			Scheme::Ecdsa => {
				ecdsa::Pair::from_string(suri, None).map_err(|_| bad_suri())?.public().0.to_vec()
			}
		};
		let (address, umbral, umbral_seed) =
			if let (Kind::Account, Some(secret)) = (kind, account_secret.as_ref()) {
				let mut raw = [0u8; 32];
				raw.copy_from_slice(&public);
				let address = sr25519::Public::from_raw(raw).to_ss58check();
				let umbral = OwnerKeys::from_account_secret(secret);
				let seed = hex::encode(umbral.seed().as_ref());
				(Some(address), Some(umbral), Some(seed))
			} else {
				(None, None, None)
			};
		let info = KeyInfo {
			version: FORMAT_VERSION,
			name: name.to_owned(),
			kind,
			scheme,
			public: format!("0x{}", hex::encode(&public)),
			address,
			umbral_public: umbral
				.as_ref()
				.map(|u| hex::encode(wire::public_key_to_bytes(&u.public_key()))),
			umbral_verifying: umbral
				.as_ref()
				.map(|u| hex::encode(wire::public_key_to_bytes(&u.verifying_key()))),
		};
		let secret =
			Zeroizing::new(serde_json::to_vec(&Secret { suri: suri.to_owned(), umbral_seed })?);
		let mut salt = [0u8; 32];
		OsRng.fill_bytes(&mut salt);
		let mut nonce = [0u8; 24];
		OsRng.fill_bytes(&mut nonce);
		let key = derive_key(password, &salt, SCRYPT_LOG_N, SCRYPT_R, SCRYPT_P)?;
		let aad = aad(&info, SCRYPT_LOG_N, SCRYPT_R, SCRYPT_P, &salt)?;
		let ciphertext = XChaCha20Poly1305::new(key.as_ref().into())
			.encrypt(XNonce::from_slice(&nonce), Payload { msg: &secret, aad: &aad })
			.map_err(|_| anyhow!("encrypting the key failed"))?;
		let stored = StoredKey {
			info: info.clone(),
			crypto: Sealed {
				kdf: "scrypt".into(),
				log_n: SCRYPT_LOG_N,
				r: SCRYPT_R,
				p: SCRYPT_P,
				salt: hex::encode(salt),
				nonce: hex::encode(nonce),
				ciphertext: hex::encode(ciphertext),
			},
		};
		files::create_private_dir(&self.dir)
			.with_context(|| format!("cannot create the key store {}", self.dir.display()))?;
		files::write_atomically(&path, &serde_json::to_vec_pretty(&stored)?)?;
		Ok(info)
	}

	fn load(&self, name: &str) -> Result<StoredKey> {
		valid_name(name)?;
		let path = self.path(name);
		let bytes = files::read_secret_file(&path).map_err(|e| match e.kind() {
			std::io::ErrorKind::NotFound => anyhow!(
				"no key named {name:?} in {} (see `cpc key list`, `cpc key create`)",
				self.dir.display()
			),
			_ => anyhow!("cannot read {}: {e}", path.display()),
		})?;
		serde_json::from_slice(&bytes)
			.with_context(|| format!("{} is not a cpc key file", path.display()))
	}

	/// The public header of a key.
	pub fn info(&self, name: &str) -> Result<KeyInfo> {
		Ok(self.load(name)?.info)
	}

	/// All keys, by name.
	pub fn list(&self) -> Result<Vec<KeyInfo>> {
		let entries = match fs::read_dir(&self.dir) {
			Ok(entries) => entries,
			Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
			Err(e) => bail!("cannot read the key store {}: {e}", self.dir.display()),
		};
		let mut keys = Vec::new();
		for entry in entries {
			let path = entry?.path();
			let Some(name) =
				path.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_suffix(".json"))
			else {
				continue;
			};
			keys.push(self.info(name)?);
		}
		keys.sort_by(|a, b| a.name.cmp(&b.name));
		Ok(keys)
	}

	fn unlock(&self, name: &str, password: &str) -> Result<(KeyInfo, Secret)> {
		let stored = self.load(name)?;
		let c = &stored.crypto;
		if c.kdf != "scrypt" || ![FORMAT_VERSION, FORMAT_VERSION_1].contains(&stored.info.version) {
			bail!("key {name:?} uses an unknown format");
		}
		check_scrypt_params(c.log_n, c.r, c.p)
			.with_context(|| format!("key file of {name:?} refused"))?;
		let bad = || anyhow!("key file of {name:?} is damaged");
		let salt = hex::decode(&c.salt).map_err(|_| bad())?;
		let nonce = hex::decode(&c.nonce).map_err(|_| bad())?;
		let ciphertext = hex::decode(&c.ciphertext).map_err(|_| bad())?;
		if nonce.len() != 24 {
			return Err(bad());
		}
		let key = derive_key(password, &salt, c.log_n, c.r, c.p)?;
		let aad = if stored.info.version == FORMAT_VERSION_1 {
			header_aad(&stored.info)?
		} else {
			aad(&stored.info, c.log_n, c.r, c.p, &salt)?
		};
		let plain = Zeroizing::new(
			XChaCha20Poly1305::new(key.as_ref().into())
				.decrypt(XNonce::from_slice(&nonce), Payload { msg: &ciphertext, aad: &aad })
				.map_err(|_| {
					anyhow!("wrong password for key {name:?} (or its file was altered)")
				})?,
		);
		let secret: Secret = serde_json::from_slice(&plain).map_err(|_| bad())?;
		Ok((stored.info, secret))
	}

	/// Unlocks an account.
	pub fn account(&self, name: &str, password: &str) -> Result<Account> {
		let (info, secret) = self.unlock(name, password)?;
		if info.kind != Kind::Account {
			bail!("{name:?} is a {:?} key, not an account", info.kind);
		}
		let pair = sr25519::Pair::from_string(&secret.suri, None)
			.map_err(|_| anyhow!("the stored secret of {name:?} is not valid"))?;
		let seed = Zeroizing::new(
			hex::decode(secret.umbral_seed.as_deref().unwrap_or_default())
				.map_err(|_| anyhow!("the stored Umbral seed of {name:?} is not valid"))?,
		);
		let umbral = OwnerKeys::from_seed(&seed)
			.map_err(|_| anyhow!("the stored Umbral seed of {name:?} is not valid"))?;
		Ok(Account { pair, umbral })
	}

	/// Unlocks a device key.
	pub fn device(&self, name: &str, password: &str) -> Result<(KeyInfo, DeviceKeyPair)> {
		let (info, secret) = self.unlock(name, password)?;
		let bad = || anyhow!("the stored secret of {name:?} is not valid");
		let pair = match info.scheme {
			Scheme::Sr25519 => DeviceKeyPair::Sr25519(
				sr25519::Pair::from_string(&secret.suri, None).map_err(|_| bad())?,
			),
			Scheme::Ed25519 => DeviceKeyPair::Ed25519(
				ed25519::Pair::from_string(&secret.suri, None).map_err(|_| bad())?,
			),
			Scheme::Ecdsa => DeviceKeyPair::Ecdsa(
				ecdsa::Pair::from_string(&secret.suri, None).map_err(|_| bad())?,
			),
		};
		Ok((info, pair))
	}
}

/// A new random secret phrase (BIP-39, 12 words) for `scheme`.
pub fn generate_phrase(scheme: Scheme) -> Zeroizing<String> {
	Zeroizing::new(match scheme {
		Scheme::Sr25519 => sr25519::Pair::generate_with_phrase(None).1,
		Scheme::Ed25519 => ed25519::Pair::generate_with_phrase(None).1,
		Scheme::Ecdsa => ecdsa::Pair::generate_with_phrase(None).1,
	})
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn keys_round_trip_and_wrong_passwords_fail() {
		let dir = tempfile::tempdir().expect("temp dir");
		let store = KeyStore::new(dir.path().join("keys"));
		let info =
			store.add("alice", Kind::Account, Scheme::Sr25519, "//Alice", "pw").expect("adds");
		assert_eq!(
			info.address.as_deref(),
			Some("5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY")
		);
		let account = store.account("alice", "pw").expect("unlocks");
		assert_eq!(account.pair.public(), sp_keyring::Sr25519Keyring::Alice.public());
		let umbral = hex::encode(wire::public_key_to_bytes(&account.umbral.public_key()));
		assert_eq!(info.umbral_public.as_deref(), Some(umbral.as_str()));
		let err = store.account("alice", "wrong").err().expect("fails").to_string();
		assert!(err.contains("wrong password"), "{err}");
		assert!(
			store.add("alice", Kind::Account, Scheme::Sr25519, "//Bob", "pw").is_err(),
			"name taken"
		);
		assert!(store.add("bad name", Kind::Account, Scheme::Sr25519, "//Bob", "pw").is_err());
		assert!(store.add("dev", Kind::Account, Scheme::Ed25519, "//Bob", "pw").is_err());
		assert!(store.add("dev", Kind::Device, Scheme::Ed25519, "not a suri", "pw").is_err());
		let err = store.account("nobody", "pw").err().expect("fails").to_string();
		assert!(err.contains("no key named"), "{err}");

		store.add("sensor", Kind::Device, Scheme::Ecdsa, "//Sensor", "pw2").expect("adds");
		assert!(matches!(
			store.device("sensor", "pw2").expect("unlocks").1,
			DeviceKeyPair::Ecdsa(_)
		));
		assert!(store.account("sensor", "pw2").is_err(), "a device key is not an account");
		let names: Vec<_> = store.list().expect("lists").into_iter().map(|k| k.name).collect();
		assert_eq!(names, ["alice", "sensor"]);
		let file = fs::read_to_string(dir.path().join("keys/alice.json")).expect("reads");
		assert!(!file.contains("Alice"), "the secret URI is not stored in clear");
	}

	#[test]
	fn the_same_secret_gives_the_same_umbral_keys_in_any_key_store() {
		let (one, two) =
			(tempfile::tempdir().expect("temp dir"), tempfile::tempdir().expect("dir"));
		let (a, b) = (KeyStore::new(one.path()), KeyStore::new(two.path()));
		let phrase = generate_phrase(Scheme::Sr25519);
		let first = a.add("owner", Kind::Account, Scheme::Sr25519, &phrase, "pw").expect("adds");
		let again = b.add("again", Kind::Account, Scheme::Sr25519, &phrase, "other").expect("adds");
		assert_eq!(first.umbral_public, again.umbral_public);
		assert_eq!(first.umbral_verifying, again.umbral_verifying);
		let (x, y) = (
			a.account("owner", "pw").expect("unlocks"),
			b.account("again", "other").expect("unlocks"),
		);
		assert_eq!(x.umbral.public_key(), y.umbral.public_key());
		// A derivation of the same phrase is another account with other Umbral keys.
		let derived = format!("{}//data", phrase.as_str());
		let other = b.add("other", Kind::Account, Scheme::Sr25519, &derived, "pw").expect("adds");
		assert_ne!(other.umbral_public, first.umbral_public);
	}

	/// Rewrites one field of the `crypto` part of key `name`'s file.
	fn tamper(dir: &std::path::Path, name: &str, field: &str, value: serde_json::Value) {
		let path = dir.join(format!("{name}.json"));
		let mut file: serde_json::Value =
			serde_json::from_slice(&fs::read(&path).expect("reads")).expect("JSON");
		file["crypto"][field] = value;
		fs::write(&path, serde_json::to_vec(&file).expect("encodes")).expect("writes");
	}

	#[test]
	fn tampered_scrypt_parameters_are_refused() {
		let dir = tempfile::tempdir().expect("temp dir");
		let store = KeyStore::new(dir.path());
		for name in ["huge", "weak", "salt"] {
			store.add(name, Kind::Account, Scheme::Sr25519, "//Dave", "pw").expect("adds");
		}
		// Parameters that would make scrypt allocate 2^40 × 1 KiB: refused before any work.
		tamper(dir.path(), "huge", "log_n", 40.into());
		let error = format!("{:#}", store.account("huge", "pw").err().expect("refused"));
		assert!(error.contains("scrypt parameters out of bounds"), "{error}");
		tamper(dir.path(), "huge", "log_n", 17.into());
		tamper(dir.path(), "huge", "r", 100_000.into());
		let error = format!("{:#}", store.account("huge", "pw").err().expect("refused"));
		assert!(error.contains("scrypt parameters out of bounds"), "{error}");
		// Weaker parameters, or another salt, within bounds: the file no longer opens, since
		// they are authenticated with it.
		tamper(dir.path(), "weak", "log_n", 14.into());
		let error = format!("{:#}", store.account("weak", "pw").err().expect("refused"));
		assert!(error.contains("wrong password"), "{error}");
		tamper(dir.path(), "salt", "salt", hex::encode([9u8; 32]).into());
		assert!(store.account("salt", "pw").is_err());
	}

	#[test]
	fn key_files_are_private_and_never_read_through_links() {
		let dir = tempfile::tempdir().expect("temp dir");
		let keys = dir.path().join("keys");
		let store = KeyStore::new(&keys);
		store.add("owner", Kind::Account, Scheme::Sr25519, "//Eve", "pw").expect("adds");
		files::check_mode(&keys, files::DIR_MODE).expect("the key store is 0700");
		files::check_mode(&keys.join("owner.json"), files::FILE_MODE).expect("the key is 0600");
		// A key file replaced by a link to another file is refused, not followed.
		fs::rename(keys.join("owner.json"), dir.path().join("elsewhere.json")).expect("moves");
		std::os::unix::fs::symlink(dir.path().join("elsewhere.json"), keys.join("owner.json"))
			.expect("links");
		let error = format!("{:#}", store.account("owner", "pw").err().expect("refused"));
		assert!(error.contains("not a regular file"), "{error}");
	}

	#[test]
	fn a_key_file_with_a_random_umbral_seed_keeps_its_keys() {
		// Written by cpc before Umbral keys were derived from the account's secret.
		let dir = tempfile::tempdir().expect("temp dir");
		fs::write(dir.path().join("legacy.json"), include_str!("testdata/legacy-account.json"))
			.expect("writes");
		let store = KeyStore::new(dir.path());
		let info = store.info("legacy").expect("reads");
		let account = store.account("legacy", "pw").expect("unlocks");
		assert_eq!(account.pair.public(), sp_keyring::Sr25519Keyring::Charlie.public());
		let umbral = hex::encode(wire::public_key_to_bytes(&account.umbral.public_key()));
		assert_eq!(info.umbral_public.as_deref(), Some(umbral.as_str()), "its stored keys");
		let derived = OwnerKeys::from_account_secret(&account.pair.to_raw_vec());
		assert_ne!(derived.public_key(), account.umbral.public_key(), "not the derived keys");
	}

	#[test]
	fn a_swapped_header_does_not_unlock() {
		let dir = tempfile::tempdir().expect("temp dir");
		let store = KeyStore::new(dir.path());
		store.add("a", Kind::Device, Scheme::Sr25519, "//A", "pw").expect("adds");
		let path = dir.path().join("a.json");
		let text = fs::read_to_string(&path).expect("reads").replace("\"device\"", "\"account\"");
		fs::write(&path, text).expect("writes");
		assert!(store.account("a", "pw").is_err());
	}
}

//! Keys on disk, encrypted with a password.
//!
//! One JSON file per key under `<data-dir>/keys/`. Public parts (scheme, public key, address,
//! Umbral public keys) are stored in clear so that `cpc key list` needs no password; the
//! secret part (the secret URI and, for accounts, the Umbral seed) is encrypted with
//! XChaCha20-Poly1305 under a key derived from the password with scrypt, with the file's
//! public header as associated data, so a header cannot be swapped onto another secret.
//! Files are written to a temporary name and renamed, so a crash never leaves half a key.
//! Secrets are zeroized after use and never printed.

use std::{
	fs,
	path::{Path, PathBuf},
};

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

/// scrypt cost: 2^15 iterations, r = 8, p = 1 (about 32 MiB and a fraction of a second).
const SCRYPT_LOG_N: u8 = 15;
const SCRYPT_R: u32 = 8;
const SCRYPT_P: u32 = 1;
const FORMAT_VERSION: u32 = 1;

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

#[derive(Serialize, Deserialize)]
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

fn header_aad(info: &KeyInfo) -> Result<Vec<u8>> {
	Ok(serde_json::to_vec(info)?)
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
	/// Accounts are sr25519 and get fresh Umbral keys. Fails if the name is taken.
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
		let public = match scheme {
			Scheme::Sr25519 => {
				sr25519::Pair::from_string(suri, None).map_err(|_| bad_suri())?.public().0.to_vec()
			}
			Scheme::Ed25519 => {
				ed25519::Pair::from_string(suri, None).map_err(|_| bad_suri())?.public().0.to_vec()
			}
			Scheme::Ecdsa => {
				ecdsa::Pair::from_string(suri, None).map_err(|_| bad_suri())?.public().0.to_vec()
			}
		};
		let (address, umbral, umbral_seed) = if kind == Kind::Account {
			let mut raw = [0u8; 32];
			raw.copy_from_slice(&public);
			let address = sr25519::Public::from_raw(raw).to_ss58check();
			let umbral = OwnerKeys::generate();
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
		let aad = header_aad(&info)?;
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
		fs::create_dir_all(&self.dir)
			.with_context(|| format!("cannot create the key store {}", self.dir.display()))?;
		write_atomically(&path, &serde_json::to_vec_pretty(&stored)?)?;
		Ok(info)
	}

	fn load(&self, name: &str) -> Result<StoredKey> {
		valid_name(name)?;
		let path = self.path(name);
		let bytes = fs::read(&path).map_err(|e| match e.kind() {
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
		if c.kdf != "scrypt" || stored.info.version != FORMAT_VERSION {
			bail!("key {name:?} uses an unknown format");
		}
		let bad = || anyhow!("key file of {name:?} is damaged");
		let salt = hex::decode(&c.salt).map_err(|_| bad())?;
		let nonce = hex::decode(&c.nonce).map_err(|_| bad())?;
		let ciphertext = hex::decode(&c.ciphertext).map_err(|_| bad())?;
		if nonce.len() != 24 {
			return Err(bad());
		}
		let key = derive_key(password, &salt, c.log_n, c.r, c.p)?;
		let aad = header_aad(&stored.info)?;
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

/// Writes `bytes` to `path` through a temporary file and a rename, so readers see the old or
/// the new content, never a part.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
	use std::io::Write;
	let tmp = path.with_extension("tmp");
	let mut file =
		fs::File::create(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
	file.write_all(bytes)?;
	file.sync_all()?;
	drop(file);
	fs::rename(&tmp, path).with_context(|| format!("cannot replace {}", path.display()))?;
	Ok(())
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

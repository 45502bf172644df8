//! What every command needs: the key store, the password, the chain, IPFS and the output.

use std::io::IsTerminal;

use anyhow::{anyhow, bail, Context as _, Result};
use cpchain_storage::IpfsStorage;
use indicatif::{ProgressBar, ProgressStyle};
use zeroize::Zeroizing;

use crate::{
	chain::Chain,
	cli::Global,
	keystore::{Account, KeyStore},
};

/// The environment variable that may hold the key store password.
pub const PASSWORD_ENV: &str = "CPC_PASSWORD";

/// Shared state of one invocation.
pub struct Context {
	/// The global options.
	pub global: Global,
}

impl Context {
	/// The key store under the data directory.
	pub fn keystore(&self) -> KeyStore {
		KeyStore::new(self.global.data_dir.join("keys"))
	}

	/// The password: from --password-file, else CPC_PASSWORD, else asked on the terminal
	/// (twice when `new`).
	pub fn password(&self, new: bool) -> Result<Zeroizing<String>> {
		if let Some(path) = &self.global.password_file {
			let text =
				Zeroizing::new(std::fs::read_to_string(path).with_context(|| {
					format!("cannot read the password file {}", path.display())
				})?);
			return Ok(Zeroizing::new(text.lines().next().unwrap_or_default().to_owned()));
		}
		if let Ok(password) = std::env::var(PASSWORD_ENV) {
			return Ok(Zeroizing::new(password));
		}
		if !std::io::stdin().is_terminal() {
			bail!("no password: set {PASSWORD_ENV} or pass --password-file (there is no terminal to ask on)");
		}
		let first = Zeroizing::new(rpassword::prompt_password("key store password: ")?);
		if new {
			let again = Zeroizing::new(rpassword::prompt_password("repeat the password: ")?);
			if first != again {
				bail!("the passwords differ");
			}
		}
		Ok(first)
	}

	/// Unlocks an account.
	pub fn account(&self, name: &str) -> Result<Account> {
		self.keystore().account(name, &self.password(false)?)
	}

	/// Connects to the node.
	pub async fn chain(&self) -> Result<Chain> {
		Chain::connect(&self.global.node).await
	}

	/// The IPFS daemon.
	pub fn storage(&self) -> Result<IpfsStorage> {
		IpfsStorage::new(&self.global.ipfs).map_err(|e| anyhow!("{e} (see --ipfs)"))
	}

	/// Prints the outcome: `text` for people, `json` with --json.
	pub fn emit(&self, text: impl std::fmt::Display, json: serde_json::Value) {
		if self.global.json {
			println!("{json}");
		} else {
			println!("{text}");
		}
	}

	/// A progress bar on stderr (hidden with --json or when stderr is not a terminal).
	pub fn progress(&self, length: Option<u64>, message: &'static str) -> ProgressBar {
		if self.global.json || !std::io::stderr().is_terminal() {
			return ProgressBar::hidden();
		}
		match length {
			Some(len) => {
				let bar = ProgressBar::new(len);
				bar.set_style(
					ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} {elapsed_precise}")
						.unwrap_or_else(|_| ProgressStyle::default_bar())
						.progress_chars("=> "),
				);
				bar.set_message(message);
				bar
			}
			None => {
				let bar = ProgressBar::new_spinner();
				bar.set_message(message);
				bar
			}
		}
	}
}

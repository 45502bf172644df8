//! `cpc key`.

use anyhow::{anyhow, Context as _, Result};
use serde_json::json;

use crate::{
	cli::KeyCommand,
	context::Context,
	keystore::{generate_phrase, KeyInfo},
};

fn describe(info: &KeyInfo) -> String {
	let mut text =
		format!("{} ({:?}, {:?})\n  public: {}", info.name, info.kind, info.scheme, info.public);
	if let Some(address) = &info.address {
		text.push_str(&format!("\n  address: {address}"));
	}
	if let Some(umbral) = &info.umbral_public {
		text.push_str(&format!("\n  umbral_public: {umbral}"));
	}
	text
}

pub fn run(ctx: &Context, command: KeyCommand) -> Result<()> {
	let store = ctx.keystore();
	match command {
		KeyCommand::Create { name, kind, scheme } => {
			let phrase = generate_phrase(scheme);
			let info = store.add(&name, kind, scheme, &phrase, &ctx.password(true)?)?;
			ctx.emit(format!("created {}", describe(&info)), json!(info));
		}
		KeyCommand::Import { name, suri, suri_file, kind, scheme } => {
			let suri = match (suri, suri_file) {
				(Some(s), _) => zeroize::Zeroizing::new(s),
				(None, Some(path)) => {
					let text = zeroize::Zeroizing::new(
						std::fs::read_to_string(&path)
							.with_context(|| format!("cannot read {}", path.display()))?,
					);
					zeroize::Zeroizing::new(
						text.lines().next().unwrap_or_default().trim().to_owned(),
					)
				}
				(None, None) => return Err(anyhow!("give --suri or --suri-file")),
			};
			let info = store.add(&name, kind, scheme, &suri, &ctx.password(true)?)?;
			ctx.emit(format!("imported {}", describe(&info)), json!(info));
		}
		KeyCommand::List => {
			let keys = store.list()?;
			let text = if keys.is_empty() {
				format!("no keys in {} (see `cpc key create`)", ctx.global.data_dir.display())
			} else {
				keys.iter().map(describe).collect::<Vec<_>>().join("\n")
			};
			ctx.emit(text, json!(keys));
		}
		KeyCommand::Show { name } => {
			let info = store.info(&name)?;
			ctx.emit(describe(&info), json!(info));
		}
		// Needs the chain: commands::run hands it to `access::publish_keys`.
		KeyCommand::Publish { .. } => {
			return Err(anyhow!("`cpc key publish` is run by commands::access"))
		}
	}
	Ok(())
}

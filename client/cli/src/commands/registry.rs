//! `cpc device` and `cpc stream`.

use anyhow::{anyhow, bail, Result};
use cpchain_primitives::data::{DeviceKey, DeviceStatus, StreamParams};
use serde_json::json;
use sp_core::{crypto::AccountId32, ecdsa, ed25519, sr25519};

use super::address;
use crate::{
	chain::{AccountSigner, Call},
	cli::{DeviceCommand, StreamCommand},
	context::Context,
	keystore::{Kind, Scheme},
	records,
};

/// The on-chain form of a stored device key's public part.
fn device_key(ctx: &Context, name: &str) -> Result<DeviceKey> {
	let info = ctx.keystore().info(name)?;
	if info.kind != Kind::Device {
		bail!("{name:?} is an account key; devices take `--kind device` keys");
	}
	let bytes = hex::decode(info.public.trim_start_matches("0x"))
		.map_err(|_| anyhow!("the key file of {name:?} is damaged"))?;
	let damaged = || anyhow!("the key file of {name:?} is damaged");
	Ok(match info.scheme {
		Scheme::Sr25519 => {
			DeviceKey::Sr25519(sr25519::Public::from_raw(bytes.try_into().map_err(|_| damaged())?))
		}
		Scheme::Ed25519 => {
			DeviceKey::Ed25519(ed25519::Public::from_raw(bytes.try_into().map_err(|_| damaged())?))
		}
		Scheme::Ecdsa => {
			DeviceKey::Ecdsa(ecdsa::Public::from_raw(bytes.try_into().map_err(|_| damaged())?))
		}
	})
}

fn key_text(key: &DeviceKey) -> String {
	match key {
		DeviceKey::Sr25519(k) => format!("sr25519 0x{}", hex::encode(k.0)),
		DeviceKey::Ed25519(k) => format!("ed25519 0x{}", hex::encode(k.0)),
		DeviceKey::Ecdsa(k) => format!("ecdsa 0x{}", hex::encode(k.0)),
	}
}

pub async fn device(ctx: &Context, command: DeviceCommand) -> Result<()> {
	let chain = ctx.chain().await?;
	match command {
		DeviceCommand::Register { account, key, metadata } => {
			let key = device_key(ctx, &key)?;
			let signer = AccountSigner(ctx.account(&account.account)?.pair);
			let done = chain
				.submit(
					&signer,
					&[Call::new("DataRegistry", "register_device", (key, metadata.into_bytes()))],
				)
				.await?;
			let (id, _, _): (u64, AccountId32, DeviceKey) =
				done.first("DataRegistry", "DeviceRegistered")?;
			ctx.emit(
				format!(
					"registered device {id} with key {} (block #{})",
					key_text(&key),
					done.block
				),
				json!({ "device": id, "block": done.block }),
			);
		}
		DeviceCommand::Rotate { account, device, key } => {
			let key = device_key(ctx, &key)?;
			let signer = AccountSigner(ctx.account(&account.account)?.pair);
			let done = chain
				.submit(&signer, &[Call::new("DataRegistry", "rotate_device_key", (device, key))])
				.await?;
			ctx.emit(
				format!("device {device} now has key {} (block #{})", key_text(&key), done.block),
				json!({ "device": device, "block": done.block }),
			);
		}
		DeviceCommand::Revoke { account, device } => {
			let signer = AccountSigner(ctx.account(&account.account)?.pair);
			let done = chain
				.submit(&signer, &[Call::new("DataRegistry", "revoke_device", device)])
				.await?;
			ctx.emit(
				format!("revoked device {device} (block #{})", done.block),
				json!({ "device": device, "block": done.block }),
			);
		}
		DeviceCommand::Show { device } => {
			let d = records::device(&chain, device).await?;
			let status = match d.status {
				DeviceStatus::Active => "active".to_owned(),
				DeviceStatus::Revoked(at) => format!("revoked at block {at}"),
			};
			ctx.emit(
				format!(
					"device {device}\n  owner: {}\n  key: {}\n  status: {status}\n  streams: {}\n  earlier keys: {}",
					address(&d.owner),
					key_text(&d.key),
					d.streams,
					d.retired_keys.len()
				),
				json!({
					"device": device,
					"owner": address(&d.owner),
					"key": key_text(&d.key),
					"status": status,
					"streams": d.streams,
					"retired_keys": d.retired_keys.len(),
					"metadata": String::from_utf8_lossy(&d.metadata),
				}),
			);
		}
	}
	Ok(())
}

pub async fn stream(ctx: &Context, command: StreamCommand) -> Result<()> {
	let chain = ctx.chain().await?;
	match command {
		StreamCommand::Create {
			account,
			device,
			name,
			schema,
			period_ms,
			encryption_interval,
			upload_interval,
		} => {
			let params = StreamParams { period_ms, encryption_interval, upload_interval };
			if !params.is_valid() {
				bail!("--period-ms, --encryption-interval and --upload-interval must all be above zero");
			}
			let signer = AccountSigner(ctx.account(&account.account)?.pair);
			let done = chain
				.submit(
					&signer,
					&[Call::new(
						"DataRegistry",
						"create_stream",
						(device, name.into_bytes(), schema.into_bytes(), params),
					)],
				)
				.await?;
			let (id, _, _): (u64, u64, AccountId32) =
				done.first("DataRegistry", "StreamCreated")?;
			ctx.emit(
				format!("created stream {id} of device {device} (block #{})", done.block),
				json!({ "stream": id, "block": done.block }),
			);
		}
		StreamCommand::Show { stream, records: with_records } => {
			let s = records::stream(&chain, stream).await?;
			let list =
				if with_records { records::records(&chain, &s, stream).await? } else { Vec::new() };
			let mut text = format!(
				"stream {stream}: {}\n  device: {}\n  owner: {}\n  schema: {}\n  T = {} ms, e = {} blocks, u = {} blocks\n  records: {}..{} (next interval {})\n  last record hash: {:?}",
				String::from_utf8_lossy(&s.name),
				s.device,
				address(&s.owner),
				String::from_utf8_lossy(&s.schema),
				s.params.period_ms,
				s.params.encryption_interval,
				s.params.upload_interval,
				s.first_record,
				s.next_record,
				s.next_interval,
				s.last_record_hash
			);
			for r in &list {
				text.push_str(&format!(
					"\n  #{} intervals {}..={} {} bytes {}{}",
					r.index,
					r.intervals.first,
					r.intervals.last,
					r.size,
					String::from_utf8_lossy(&r.cid),
					if r.device_signed { " (device-signed)" } else { "" }
				));
			}
			let json_records: Vec<_> = list
				.iter()
				.map(|r| {
					json!({
						"index": r.index,
						"cid": String::from_utf8_lossy(&r.cid),
						"content_hash": format!("{:?}", r.content_hash),
						"merkle_root": format!("{:?}", r.merkle_root),
						"size": r.size,
						"intervals": [r.intervals.first, r.intervals.last],
						"timestamp_ms": r.timestamp_ms,
						"hash": format!("{:?}", r.hash),
						"device_signed": r.device_signed,
						"registered_at": r.registered_at,
					})
				})
				.collect();
			ctx.emit(
				text,
				json!({
					"stream": stream,
					"name": String::from_utf8_lossy(&s.name),
					"device": s.device,
					"owner": address(&s.owner),
					"period_ms": s.params.period_ms,
					"encryption_interval": s.params.encryption_interval,
					"upload_interval": s.params.upload_interval,
					"first_record": s.first_record,
					"next_record": s.next_record,
					"next_interval": s.next_interval,
					"last_record_hash": format!("{:?}", s.last_record_hash),
					"records": json_records,
				}),
			);
		}
	}
	Ok(())
}

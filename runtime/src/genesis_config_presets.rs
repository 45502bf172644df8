//! Genesis presets: `development` (Alice alone) and `local_testnet` (Alice, Bob, Charlie, Dave).
//!
//! The node's chain specs only name a preset; all genesis logic lives here, in the runtime,
//! so that `build-spec`, zombienet and `chain-spec-builder` see the same genesis.

use crate::{
	configs::reputation::RNodeBond, AccountId, BalancesConfig, CommitteeConfig, ReputationConfig,
	RuntimeGenesisConfig, SessionConfig, SessionKeys, SudoConfig, CPC,
};
use alloc::{vec, vec::Vec};
use cpchain_primitives::consensus::AuthorityId as DporId;
use frame_support::build_struct_json_patch;
use serde_json::Value;
use sp_genesis_builder::{self, PresetId};
use sp_keyring::Sr25519Keyring;

/// What each endowed development account starts with: one million CPC.
pub const ENDOWMENT: crate::Balance = 1_000_000 * CPC;

/// One genesis authority: its account (an RNode bonded at genesis, a member of the genesis
/// committee) and its consensus keys.
struct Authority {
	account: AccountId,
	dpor: DporId,
}

impl Authority {
	/// The account and the `dpor` key of a development keyring member (the same sr25519 key:
	/// `--alice` and zombienet put it in the node's keystore).
	fn from_keyring(sr: Sr25519Keyring) -> Self {
		Self { account: sr.to_account_id(), dpor: sr.public().into() }
	}

	fn session_keys(&self) -> SessionKeys {
		SessionKeys { dpor: self.dpor.clone() }
	}
}

fn testnet_genesis(
	authorities: Vec<Authority>,
	endowed_accounts: Vec<AccountId>,
	root: AccountId,
) -> Value {
	build_struct_json_patch!(RuntimeGenesisConfig {
		balances: BalancesConfig {
			balances: endowed_accounts.into_iter().map(|k| (k, ENDOWMENT)).collect::<Vec<_>>(),
		},
		// The genesis committee's `dpor` keys are its session keys.
		session: SessionConfig {
			keys: authorities
				.iter()
				.map(|a| (a.account.clone(), a.account.clone(), a.session_keys()))
				.collect::<Vec<_>>(),
		},
		reputation: ReputationConfig {
			rnodes: authorities
				.iter()
				.map(|a| (a.account.clone(), RNodeBond::get()))
				.collect::<Vec<_>>(),
		},
		committee: CommitteeConfig {
			committee: authorities.iter().map(|a| a.account.clone()).collect::<Vec<_>>(),
		},
		sudo: SudoConfig { key: Some(root) },
	})
}

/// A single-node chain: Alice authors and finalises every block.
pub fn development_config_genesis() -> Value {
	testnet_genesis(
		vec![Authority::from_keyring(Sr25519Keyring::Alice)],
		vec![
			Sr25519Keyring::Alice.to_account_id(),
			Sr25519Keyring::Bob.to_account_id(),
			Sr25519Keyring::AliceStash.to_account_id(),
			Sr25519Keyring::BobStash.to_account_id(),
		],
		Sr25519Keyring::Alice.to_account_id(),
	)
}

/// A four-authority chain for local multi-node testing (zombienet `local.toml`).
pub fn local_config_genesis() -> Value {
	testnet_genesis(
		vec![
			Authority::from_keyring(Sr25519Keyring::Alice),
			Authority::from_keyring(Sr25519Keyring::Bob),
			Authority::from_keyring(Sr25519Keyring::Charlie),
			Authority::from_keyring(Sr25519Keyring::Dave),
		],
		Sr25519Keyring::iter()
			.filter(|v| v != &Sr25519Keyring::One && v != &Sr25519Keyring::Two)
			.map(|v| v.to_account_id())
			.collect::<Vec<_>>(),
		Sr25519Keyring::Alice.to_account_id(),
	)
}

/// The JSON patch of the preset `id`, if there is one.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		sp_genesis_builder::DEV_RUNTIME_PRESET => development_config_genesis(),
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => local_config_genesis(),
		_ => return None,
	};
	Some(
		serde_json::to_string(&patch)
			.expect("serialization to json is expected to work; qed")
			.into_bytes(),
	)
}

/// The names of the presets this runtime offers.
pub fn preset_names() -> Vec<PresetId> {
	vec![
		PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET),
		PresetId::from(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET),
	]
}

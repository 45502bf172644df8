//! Helpers shared by the runtime's integration tests.

use cpchain_runtime::{RuntimeGenesisConfig, System};
use sp_runtime::BuildStorage;

/// Builds the genesis storage of a preset exactly as the node does: apply the preset's JSON
/// patch to the default `RuntimeGenesisConfig`.
pub fn genesis_ext(preset: &str) -> sp_io::TestExternalities {
	let patch = cpchain_runtime::genesis_config_presets::get_preset(&preset.into())
		.unwrap_or_else(|| panic!("preset {preset} exists"));
	let mut config = serde_json::to_value(RuntimeGenesisConfig::default()).expect("serialises");
	let patch: serde_json::Value = serde_json::from_slice(&patch).expect("preset is JSON");
	json_merge(&mut config, patch);
	let config: RuntimeGenesisConfig = serde_json::from_value(config).expect("valid genesis");
	let storage = config.build_storage().expect("genesis builds");
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}

fn json_merge(a: &mut serde_json::Value, b: serde_json::Value) {
	match (a, b) {
		(serde_json::Value::Object(a), serde_json::Value::Object(b)) => {
			for (k, v) in b {
				json_merge(a.entry(k).or_insert(serde_json::Value::Null), v);
			}
		}
		(a, b) => *a = b,
	}
}

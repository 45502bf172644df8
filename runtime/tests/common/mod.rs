//! Helpers shared by the runtime's integration tests.

use cpchain_primitives::data::{record_signing_payload, DeviceSignature, IntervalRange};
use cpchain_runtime::{DataRegistry, Runtime, RuntimeGenesisConfig, RuntimeOrigin, System};
use frame_support::{assert_ok, BoundedVec};
use sp_core::{crypto::Pair as _, sr25519, H256};
use sp_keyring::Sr25519Keyring;
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

/// Appends record `index`, covering `intervals`, to stream 0 as Alice (its owner in the tests),
/// signed by `device` and chained to `prev`; returns its hash.
// Used by some of the test crates that include this module, not all.
#[allow(dead_code)]
pub fn append_signed(
	device: &sr25519::Pair,
	index: u64,
	intervals: IntervalRange,
	prev: H256,
) -> H256 {
	let record =
		pallet_data_registry::NewRecord::<<Runtime as pallet_data_registry::Config>::MaxCidLen> {
			cid: BoundedVec::truncate_from(format!("bafkreirecord{index}").into_bytes()),
			content_hash: H256::repeat_byte(index as u8 + 1),
			merkle_root: H256::repeat_byte(0xaa),
			size: 1_024,
			intervals,
			timestamp_ms: 1_000 * (index + 1),
			prev,
		};
	let hash = record.hash(0, index);
	let genesis = H256::from_slice(System::block_hash(0).as_ref());
	let signature = device.sign(&record_signing_payload(genesis, hash));
	assert_ok!(DataRegistry::append_record(
		RuntimeOrigin::signed(Sr25519Keyring::Alice.to_account_id()),
		0,
		record,
		Some(DeviceSignature::Sr25519(signature)),
	));
	hash
}

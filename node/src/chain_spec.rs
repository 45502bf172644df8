//! Chain specifications. They only name a genesis preset of the runtime and add the chain
//! properties that wallets read; all genesis logic lives in the runtime.

use cpchain_primitives::currency::{SS58_PREFIX, TOKEN_DECIMALS, TOKEN_SYMBOL};
use cpchain_runtime::WASM_BINARY;
use sc_service::{ChainType, Properties};

/// A chain specification of CPChain.
pub type ChainSpec = sc_service::GenericChainSpec;

/// `system_properties` as polkadot.js apps expects them.
pub fn chain_properties() -> Properties {
	let mut properties = Properties::new();
	properties.insert("tokenSymbol".into(), TOKEN_SYMBOL.into());
	properties.insert("tokenDecimals".into(), TOKEN_DECIMALS.into());
	properties.insert("ss58Format".into(), SS58_PREFIX.into());
	properties
}

fn wasm_binary() -> Result<&'static [u8], String> {
	WASM_BINARY.ok_or_else(|| {
		"The runtime wasm is missing: the node was built with SKIP_WASM_BUILD".to_string()
	})
}

/// `--dev`: Alice alone authors and finalises.
pub fn development_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm_binary()?, None)
		.with_name("CPChain Development")
		.with_id("cpchain_dev")
		.with_protocol_id("cpc")
		.with_chain_type(ChainType::Development)
		.with_properties(chain_properties())
		.with_genesis_config_preset_name(sp_genesis_builder::DEV_RUNTIME_PRESET)
		.build())
}

/// `--chain local`: four authorities, Alice, Bob, Charlie and Dave.
pub fn local_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm_binary()?, None)
		.with_name("CPChain Local Testnet")
		.with_id("cpchain_local")
		.with_protocol_id("cpc")
		.with_chain_type(ChainType::Local)
		.with_properties(chain_properties())
		.with_genesis_config_preset_name(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET)
		.build())
}

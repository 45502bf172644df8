//! What the integration tests share: a client of the real CPChain runtime on its own ParityDB
//! with the `local` preset (Alice, Bob, Charlie and Dave, one committee).

#![allow(dead_code)]

use std::sync::Arc;

use cpchain_runtime::{apis::RuntimeApi, opaque::Block};
use sc_client_api::execution_extensions::ExecutionExtensions;
use sp_keyring::Sr25519Keyring;
use sp_runtime::traits::Block as BlockT;

pub type Executor = sc_executor::WasmExecutor<sp_io::SubstrateHostFunctions>;
pub type Client = sc_service::TFullClient<Block, RuntimeApi, Executor>;
pub type Backend = sc_service::TFullBackend<Block>;
pub type Header = <Block as BlockT>::Header;

/// The four members of the `local` preset.
pub const MEMBERS: [Sr25519Keyring; 4] =
	[Sr25519Keyring::Alice, Sr25519Keyring::Bob, Sr25519Keyring::Charlie, Sr25519Keyring::Dave];

/// A wasm executor; clones share its compiled runtime, so many clients compile it once.
pub fn executor() -> Executor {
	// The runtime may be built with benchmarking host functions it never calls here.
	Executor::builder().with_allow_missing_host_functions(true).build()
}

/// A new client of the real runtime at genesis in `dir`, and its backend.
pub fn new_client(executor: &Executor, dir: &std::path::Path) -> (Arc<Client>, Arc<Backend>) {
	let wasm = cpchain_runtime::WASM_BINARY
		.expect("the runtime's wasm is built (do not set SKIP_WASM_BUILD for this test)");
	let mut storage = sc_chain_spec::GenesisConfigBuilderRuntimeCaller::<
		sp_io::SubstrateHostFunctions,
	>::new(wasm)
	.get_storage_for_named_preset(Some(&sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET.into()))
	.expect("the local preset builds");
	storage.top.insert(sp_core::storage::well_known_keys::CODE.to_vec(), wasm.to_vec());
	let backend: Arc<Backend> = sc_service::new_db_backend(sc_client_db::DatabaseSettings {
		trie_cache_maximum_size: None,
		state_pruning: None,
		source: sc_client_db::DatabaseSource::ParityDb { path: dir.join("db") },
		blocks_pruning: sc_client_db::BlocksPruning::KeepAll,
		pruning_filters: Vec::new(),
		metrics_registry: None,
	})
	.expect("the database opens");
	let genesis_builder =
		sc_service::GenesisBlockBuilder::new(&storage, true, backend.clone(), executor.clone())
			.expect("the genesis block builds");
	let client = sc_service::new_client::<_, Block, RuntimeApi, _>(
		backend.clone(),
		executor.clone(),
		genesis_builder,
		Default::default(),
		Default::default(),
		ExecutionExtensions::new(None, Arc::new(executor.clone())),
		Box::new(sp_core::testing::TaskExecutor::new()),
		None,
		None,
		sc_service::ClientConfig::default(),
	)
	.expect("the client starts");
	(Arc::new(client), backend)
}

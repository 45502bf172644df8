//! Weights of the CPChain pallets measured on this project's reference machine by
//! `scripts/benchmark.sh` (see docs/benchmarks.md). The polkadot-sdk pallets use their own
//! published `SubstrateWeight`s.

pub mod pallet_access_control;
pub mod pallet_committee;
pub mod pallet_data_registry;
pub mod pallet_dispute;
pub mod pallet_dpor;
pub mod pallet_market;
pub mod pallet_reputation;

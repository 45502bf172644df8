//! The pallets whose extrinsics `cpchain-node benchmark pallet` measures.

frame_benchmarking::define_benchmarks!(
	[frame_benchmarking, BaselineBench::<Runtime>]
	[frame_system, SystemBench::<Runtime>]
	[frame_system_extensions, SystemExtensionsBench::<Runtime>]
	[pallet_balances, Balances]
	[pallet_timestamp, Timestamp]
	[pallet_sudo, Sudo]
	[pallet_utility, Utility]
	[pallet_contracts, Contracts]
	[pallet_reputation, Reputation]
	[pallet_committee, Committee]
	[pallet_dpor, Dpor]
	[pallet_data_registry, DataRegistry]
	[pallet_access_control, AccessControl]
	[pallet_market, Market]
	[pallet_dispute, Dispute]
);

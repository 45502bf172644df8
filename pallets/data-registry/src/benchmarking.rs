//! Benchmarks of the data-registry pallet (frame-benchmarking v2).
//!
//! Each benchmark sets up the worst case its extrinsic can meet: full key histories, the
//! longest names and CIDs, a device signature to verify, and as many records as one call
//! may prune.

use super::*;
use cpchain_primitives::data::{record_signing_payload, IntervalRange};
use frame_benchmarking::v2::*;
use frame_support::traits::fungible::Mutate;
use frame_system::RawOrigin;
use sp_core::crypto::KeyTypeId;

/// The key type under which benchmarks generate device keys in the benchmark keystore.
const DEVICE_KEY_TYPE: KeyTypeId = KeyTypeId(*b"cpdv");

/// A funded account.
fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId
where
	T::Currency: Mutate<T::AccountId>,
{
	let who: T::AccountId = account(name, index, 0);
	let per_item = T::DeviceDeposit::get()
		.saturating_add(T::StreamDeposit::get())
		.saturating_add(T::RecordDeposit::get());
	// Room for every deposit a benchmark takes, far from overflowing the total issuance.
	let amount =
		per_item.saturating_mul(10_000u32.into()).saturating_add(T::Currency::minimum_balance());
	T::Currency::set_balance(&who, amount);
	who
}

/// `len` bytes of `fill`.
fn bytes<S: Get<u32>>(len: u32, fill: u8) -> BoundedVec<u8, S> {
	BoundedVec::truncate_from(alloc::vec![fill; len as usize])
}

/// A device with a fresh sr25519 key from the keystore, its longest metadata and a full key
/// history but one; returns the device id and its key.
fn device<T: Config>(owner: &T::AccountId) -> (DeviceId, sp_core::sr25519::Public) {
	let public = sp_io::crypto::sr25519_generate(DEVICE_KEY_TYPE, None);
	let device = NextDeviceId::<T>::get();
	let first = if T::MaxKeyHistory::get() > 0 {
		sp_io::crypto::sr25519_generate(DEVICE_KEY_TYPE, None)
	} else {
		public
	};
	Pallet::<T>::register_device(
		RawOrigin::Signed(owner.clone()).into(),
		DeviceKey::Sr25519(first),
		bytes(T::MaxMetadataLen::get(), b'm'),
	)
	.expect("funded owner can register; qed");
	for _ in 1..T::MaxKeyHistory::get() {
		let key = DeviceKey::Sr25519(sp_io::crypto::sr25519_generate(DEVICE_KEY_TYPE, None));
		Pallet::<T>::rotate_device_key(RawOrigin::Signed(owner.clone()).into(), device, key)
			.expect("history has room; qed");
	}
	// The last rotation installs the key that the benchmarks sign with.
	if T::MaxKeyHistory::get() > 0 {
		Pallet::<T>::rotate_device_key(
			RawOrigin::Signed(owner.clone()).into(),
			device,
			DeviceKey::Sr25519(public),
		)
		.expect("history has room for one more; qed");
	}
	(device, public)
}

/// A stream of a new device of `owner`, with the longest name and schema.
fn stream<T: Config>(owner: &T::AccountId) -> (StreamId, sp_core::sr25519::Public) {
	let (device, public) = device::<T>(owner);
	let stream = NextStreamId::<T>::get();
	Pallet::<T>::create_stream(
		RawOrigin::Signed(owner.clone()).into(),
		device,
		bytes(T::MaxNameLen::get(), b'n'),
		bytes(T::MaxNameLen::get(), b's'),
		StreamParams { period_ms: 1_000, encryption_interval: 1, upload_interval: 1 },
	)
	.expect("the device has room for a stream; qed");
	(stream, public)
}

/// The next record of `stream`, with a CID of `cid_len` bytes.
fn next_record<T: Config>(stream: StreamId, cid_len: u32) -> NewRecordOf<T> {
	let s = Streams::<T>::get(stream).expect("the stream exists; qed");
	NewRecordOf::<T> {
		cid: bytes(cid_len.max(1), b'c'),
		content_hash: H256::repeat_byte(1),
		merkle_root: H256::repeat_byte(2),
		size: 1 << 20,
		intervals: IntervalRange { first: s.next_interval, last: s.next_interval },
		timestamp_ms: s.last_timestamp_ms.saturating_add(1),
		prev: s.last_record_hash,
	}
}

/// Appends `n` records to `stream`.
fn records<T: Config>(owner: &T::AccountId, stream: StreamId, n: u32) {
	for _ in 0..n {
		// Setup may append more records than one block takes.
		NewRecords::<T>::kill();
		let record = next_record::<T>(stream, T::MaxCidLen::get());
		Pallet::<T>::append_record(RawOrigin::Signed(owner.clone()).into(), stream, record, None)
			.expect("a funded owner appends the chained record; qed");
	}
}

#[benchmarks(where T::Currency: Mutate<T::AccountId>)]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register_device(m: Linear<0, { T::MaxMetadataLen::get() }>) {
		let owner = funded::<T>("owner", 0);
		let key = DeviceKey::Sr25519(sp_io::crypto::sr25519_generate(DEVICE_KEY_TYPE, None));
		let device = NextDeviceId::<T>::get();
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), key, bytes(m, b'm'));
		assert!(Devices::<T>::contains_key(device));
	}

	#[benchmark]
	fn rotate_device_key() {
		let owner = funded::<T>("owner", 0);
		let device = NextDeviceId::<T>::get();
		Pallet::<T>::register_device(
			RawOrigin::Signed(owner.clone()).into(),
			DeviceKey::Sr25519(sp_io::crypto::sr25519_generate(DEVICE_KEY_TYPE, None)),
			bytes(T::MaxMetadataLen::get(), b'm'),
		)
		.expect("funded; qed");
		// A history one short of full: the rotation decodes and re-encodes the longest one.
		for _ in 1..T::MaxKeyHistory::get() {
			let key = DeviceKey::Sr25519(sp_io::crypto::sr25519_generate(DEVICE_KEY_TYPE, None));
			Pallet::<T>::rotate_device_key(RawOrigin::Signed(owner.clone()).into(), device, key)
				.expect("history has room; qed");
		}
		let key = DeviceKey::Sr25519(sp_io::crypto::sr25519_generate(DEVICE_KEY_TYPE, None));
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), device, key);
		assert_eq!(Devices::<T>::get(device).map(|d| d.key), Some(key));
	}

	#[benchmark]
	fn revoke_device() {
		let owner = funded::<T>("owner", 0);
		let (device, _) = device::<T>(&owner);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), device);
		assert!(matches!(
			Devices::<T>::get(device).map(|d| d.status),
			Some(DeviceStatus::Revoked(_))
		));
	}

	#[benchmark]
	fn offer_device() {
		let owner = funded::<T>("owner", 0);
		let to = funded::<T>("buyer", 0);
		let (device, _) = device::<T>(&owner);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), device, Some(to.clone()));
		assert_eq!(Devices::<T>::get(device).and_then(|d| d.offered_to), Some(to));
	}

	#[benchmark]
	fn accept_device() {
		let owner = funded::<T>("owner", 0);
		let to = funded::<T>("buyer", 0);
		let (stream, _) = stream::<T>(&owner);
		records::<T>(&owner, stream, 1);
		let device = Streams::<T>::get(stream).expect("created; qed").device;
		Pallet::<T>::offer_device(RawOrigin::Signed(owner).into(), device, Some(to.clone()))
			.expect("owner offers; qed");
		#[extrinsic_call]
		_(RawOrigin::Signed(to.clone()), device);
		assert_eq!(Devices::<T>::get(device).map(|d| d.owner), Some(to));
	}

	#[benchmark]
	fn remove_device() {
		let owner = funded::<T>("owner", 0);
		let (device, _) = device::<T>(&owner);
		Pallet::<T>::revoke_device(RawOrigin::Signed(owner.clone()).into(), device)
			.expect("owner revokes; qed");
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), device);
		assert!(!Devices::<T>::contains_key(device));
	}

	#[benchmark]
	fn create_stream(n: Linear<1, { T::MaxNameLen::get() }>) {
		let owner = funded::<T>("owner", 0);
		let (device, _) = device::<T>(&owner);
		let stream = NextStreamId::<T>::get();
		let params = StreamParams { period_ms: 1_000, encryption_interval: 4, upload_interval: 8 };
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), device, bytes(n, b'n'), bytes(n, b's'), params);
		assert!(Streams::<T>::contains_key(stream));
	}

	#[benchmark]
	fn close_stream() {
		let owner = funded::<T>("owner", 0);
		let (stream, _) = stream::<T>(&owner);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), stream);
		assert!(!Streams::<T>::contains_key(stream));
	}

	/// A signed record (sr25519 verification) with a CID of `c` bytes.
	#[benchmark]
	fn append_record(c: Linear<1, { T::MaxCidLen::get() }>) {
		let owner = funded::<T>("owner", 0);
		let (stream, public) = stream::<T>(&owner);
		records::<T>(&owner, stream, 1);
		let record = next_record::<T>(stream, c);
		let s = Streams::<T>::get(stream).expect("created; qed");
		let hash = record.hash(stream, s.next_record);
		let payload = record_signing_payload(Pallet::<T>::genesis_hash(), hash);
		let signature = sp_io::crypto::sr25519_sign(DEVICE_KEY_TYPE, &public, &payload)
			.expect("the key was generated in the keystore; qed");
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), stream, record, Some(DeviceSignature::Sr25519(signature)));
		assert_eq!(Streams::<T>::get(stream).map(|s| s.last_record_hash), Some(hash));
	}

	#[benchmark]
	fn prune_records(n: Linear<1, { T::MaxPrunePerCall::get() }>) {
		let owner = funded::<T>("owner", 0);
		let (stream, _) = stream::<T>(&owner);
		records::<T>(&owner, stream, n);
		for index in 0..n as u64 {
			let holders: BoundedVec<T::AccountId, T::MaxReportersPerRecord> =
				BoundedVec::truncate_from(alloc::vec![account("holder", 0, 0)]);
			Availability::<T>::insert(stream, index, holders);
		}
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), stream, n);
		assert_eq!(Streams::<T>::get(stream).map(|s| s.first_record), Some(n as u64));
	}

	/// A report of `n` records, each already held by all but one of the storage nodes it can
	/// have (the duplicate check reads the longest list).
	#[benchmark]
	fn report_availability(n: Linear<1, { T::MaxReportsPerCall::get() }>) {
		let owner = funded::<T>("owner", 0);
		let (stream, _) = stream::<T>(&owner);
		records::<T>(&owner, stream, n);
		let holders: BoundedVec<T::AccountId, T::MaxReportersPerRecord> = BoundedVec::truncate_from(
			(1..T::MaxReportersPerRecord::get()).map(|i| account("holder", i, 0)).collect(),
		);
		for index in 0..n as u64 {
			Availability::<T>::insert(stream, index, holders.clone());
		}
		let reporter = T::BenchmarkHelper::storage_node();
		let reports: BoundedVec<_, T::MaxReportsPerCall> =
			BoundedVec::truncate_from((0..n as u64).map(|index| (stream, index)).collect());
		#[extrinsic_call]
		_(RawOrigin::Signed(reporter.clone()), reports);
		assert!(Availability::<T>::get(stream, 0).contains(&reporter));
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}

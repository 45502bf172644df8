//! The data layer on the real runtime: device → stream → records → grant → `is_authorized`
//! → service receipt → revoke, through the runtime APIs that applications and proxies call.

mod common;

use common::{append_signed as append, genesis_ext};
use cpchain_primitives::{
	access::{
		receipt_payload, runtime_decl_for_access_control_api::AccessControlApiV2, GrantKeys,
		UmbralKeys,
	},
	data::{
		runtime_decl_for_data_registry_api::DataRegistryApiV1, DeviceKey, DeviceStatus,
		IntervalRange, StreamParams,
	},
};
use cpchain_runtime::{
	AccessControl, AccountId, Balances, Block, BlockNumber, DataRegistry, Runtime, RuntimeOrigin,
	System,
};
use frame_support::{
	assert_noop, assert_ok,
	traits::fungible::{InspectHold, Mutate},
	BoundedVec,
};
use sp_core::{crypto::Pair as _, sr25519, H256};
use sp_genesis_builder::DEV_RUNTIME_PRESET;
use sp_keyring::Sr25519Keyring;

fn signed(who: &Sr25519Keyring) -> RuntimeOrigin {
	RuntimeOrigin::signed(who.to_account_id())
}

fn genesis() -> H256 {
	H256::from_slice(System::block_hash(0).as_ref())
}

#[test]
fn device_stream_records_grant_authorize_attest_revoke() {
	genesis_ext(DEV_RUNTIME_PRESET).execute_with(|| {
		let (alice, bob, charlie) =
			(Sr25519Keyring::Alice, Sr25519Keyring::Bob, Sr25519Keyring::Charlie);
		let device = sr25519::Pair::from_string("//device-0", None).expect("valid seed");

		// Device and stream.
		assert_ok!(DataRegistry::register_device(
			signed(&alice),
			DeviceKey::Sr25519(device.public()),
			BoundedVec::truncate_from(b"thermometer, lab 3".to_vec()),
		));
		assert_ok!(DataRegistry::create_stream(
			signed(&alice),
			0,
			BoundedVec::truncate_from(b"temperature".to_vec()),
			BoundedVec::truncate_from(b"celsius-f32".to_vec()),
			StreamParams { period_ms: 60_000, encryption_interval: 60, upload_interval: 60 },
		));

		// Two device-signed records, chained.
		let first = append(&device, 0, IntervalRange { first: 0, last: 0 }, H256::zero());
		let second = append(&device, 1, IntervalRange { first: 1, last: 1 }, first);
		let records = Runtime::records(0, 0, 10);
		assert_eq!(records.iter().map(|r| r.hash).collect::<Vec<_>>(), vec![first, second]);
		assert!(records.iter().all(|r| r.device_signed));
		let stream = Runtime::stream(0).expect("stream exists");
		assert_eq!((stream.next_record, stream.last_record_hash), (2, second));

		// Charlie becomes a proxy.
		let bond = cpchain_runtime::configs::data::ProxyBond::get();
		Balances::mint_into(&charlie.to_account_id(), 2 * bond).expect("mints");
		let mut peer_id = vec![0x12, 0x20];
		peer_id.extend([7u8; 32]);
		let mut key = [9u8; 33];
		key[0] = 0x03;
		assert_ok!(AccessControl::register_proxy(
			signed(&charlie),
			BoundedVec::truncate_from(peer_id.clone()),
			key
		));
		let proxy = Runtime::proxy(charlie.to_account_id()).expect("registered");
		assert_eq!((proxy.peer_id, proxy.reencryption_key), (peer_id, key));

		// Alice and Bob publish their Umbral keys; the grant keeps a copy.
		let umbral = |fill: u8| {
			let (mut public, mut verifying) = ([fill; 33], [fill + 1; 33]);
			(public[0], verifying[0]) = (0x02, 0x03);
			UmbralKeys { public, verifying }
		};
		assert_ok!(AccessControl::set_umbral_keys(signed(&alice), umbral(10)));
		assert_ok!(AccessControl::set_umbral_keys(signed(&bob), umbral(20)));
		assert_eq!(Runtime::umbral_keys(bob.to_account_id()), Some(umbral(20)));

		// Alice grants Bob the two uploaded intervals until block 50; Bob may not read
		// interval 2, and nobody else may read anything.
		assert_ok!(AccessControl::grant(
			signed(&alice),
			0,
			bob.to_account_id(),
			IntervalRange { first: 0, last: 1 },
			50,
			BoundedVec::truncate_from(vec![charlie.to_account_id()]),
			1,
		));
		let deposit = cpchain_runtime::configs::data::GrantDeposit::get();
		assert_eq!(
			Balances::balance_on_hold(
				&pallet_access_control::HoldReason::GrantDeposit.into(),
				&alice.to_account_id()
			),
			deposit
		);
		let authorized = |who: &Sr25519Keyring, interval| {
			<Runtime as AccessControlApiV2<Block, AccountId, BlockNumber>>::is_authorized(
				who.to_account_id(),
				0,
				interval,
			)
		};
		assert!(authorized(&bob, 0) && authorized(&bob, 1));
		assert!(!authorized(&bob, 2));
		assert!(!authorized(&charlie, 0));
		let grants = Runtime::grants_of(bob.to_account_id());
		assert_eq!(grants.len(), 1);
		assert_eq!(
			Runtime::grant_keys(0),
			Some(GrantKeys { grantor: umbral(10), grantee: umbral(20).public })
		);
		assert_eq!(Runtime::grants_by_stream(0), grants);

		// Bob's receipt for Charlie's service, signed with Bob's account key.
		let message = receipt_payload(genesis(), 0, &charlie.to_account_id(), 3);
		let receipt = pallet_access_control::Receipt {
			grant: 0,
			total_served: 3,
			signature: bob.sign(&message).into(),
		};
		assert_ok!(AccessControl::attest_service(
			signed(&charlie),
			BoundedVec::truncate_from(vec![receipt])
		));
		assert_eq!(Runtime::proxy(charlie.to_account_id()).expect("registered").served, 3);

		// Revocation takes effect at once and returns the deposit.
		assert_ok!(AccessControl::revoke(signed(&alice), 0));
		assert!(!authorized(&bob, 0));
		assert!(Runtime::grant(0).is_none());
		assert!(Runtime::grant_keys(0).is_none());
		assert_eq!(
			Balances::balance_on_hold(
				&pallet_access_control::HoldReason::GrantDeposit.into(),
				&alice.to_account_id()
			),
			0
		);
	});
}

#[test]
fn revoked_devices_and_foreign_streams_are_refused() {
	genesis_ext(DEV_RUNTIME_PRESET).execute_with(|| {
		let (alice, bob) = (Sr25519Keyring::Alice, Sr25519Keyring::Bob);
		let device = sr25519::Pair::from_string("//device-1", None).expect("valid seed");
		assert_ok!(DataRegistry::register_device(
			signed(&alice),
			DeviceKey::Sr25519(device.public()),
			Default::default(),
		));
		assert_ok!(DataRegistry::create_stream(
			signed(&alice),
			0,
			BoundedVec::truncate_from(b"humidity".to_vec()),
			Default::default(),
			StreamParams { period_ms: 1_000, encryption_interval: 1, upload_interval: 1 },
		));
		// Bob cannot grant Alice's stream.
		assert_noop!(
			AccessControl::grant(
				signed(&bob),
				0,
				alice.to_account_id(),
				IntervalRange { first: 0, last: 0 },
				50,
				BoundedVec::truncate_from(vec![alice.to_account_id()]),
				1,
			),
			pallet_access_control::Error::<Runtime>::NotStreamOwner
		);
		// A revoked device appends nothing.
		assert_ok!(DataRegistry::revoke_device(signed(&alice), 0));
		assert_noop!(
			DataRegistry::append_record(
				signed(&alice),
				0,
				pallet_data_registry::NewRecord {
					cid: BoundedVec::truncate_from(b"bafkreirecord".to_vec()),
					content_hash: H256::repeat_byte(1),
					merkle_root: H256::repeat_byte(2),
					size: 1,
					intervals: IntervalRange { first: 0, last: 0 },
					timestamp_ms: 1,
					prev: H256::zero(),
				},
				None,
			),
			pallet_data_registry::Error::<Runtime>::DeviceRevoked
		);
		assert!(Runtime::device(0).is_some_and(|d| matches!(d.status, DeviceStatus::Revoked(_))));
	});
}

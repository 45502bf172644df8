//! Unit tests of the data-registry pallet on the mock runtime.

use crate::{mock::*, testing_utils::*, Error, Event, HoldReason, NewRecordOf, Records, Streams};
use codec::{Decode, Encode};
use cpchain_primitives::{
	data::{
		record_signing_payload, DeviceKey, DeviceSignature, DeviceStatus, IntervalRange,
		RecordInspect, StreamInspect, StreamParams,
	},
	reputation::Signal,
};
use frame_support::{
	assert_noop, assert_ok,
	traits::fungible::{InspectHold, Mutate},
	BoundedVec,
};
use sp_core::{ecdsa, ed25519, sr25519, Pair, H256};

const OWNER: AccountId = 1;
const OTHER: AccountId = 2;

fn sr_pair(seed: u8) -> sr25519::Pair {
	sr25519::Pair::from_seed(&[seed; 32])
}

fn sr_key(seed: u8) -> DeviceKey {
	DeviceKey::Sr25519(sr_pair(seed).public())
}

fn held(who: AccountId) -> Balance {
	Balances::balance_on_hold(&HoldReason::DataDeposit.into(), &who)
}

fn bounded<S: frame_support::traits::Get<u32>>(bytes: &[u8]) -> BoundedVec<u8, S> {
	bytes.to_vec().try_into().expect("short enough")
}

fn params() -> StreamParams {
	// 4 blocks per key, 8 blocks per upload: one upload spans at most 8/4 + 1 = 3 intervals.
	StreamParams { period_ms: 1_000, encryption_interval: 4, upload_interval: 8 }
}

/// Registers a device with sr25519 key `seed` for `owner`; returns its id.
fn device_of(owner: AccountId, seed: u8) -> u64 {
	assert_register_device(owner, sr_key(seed), b"thermometer")
}

/// A device of OWNER with one stream; returns (device, stream).
fn setup() -> (u64, u64) {
	let device = device_of(OWNER, 7);
	let stream = assert_create_stream(OWNER, device, b"temperature", b"json/v1", params());
	(device, stream)
}

/// The next record of `stream` covering `first..=last`, chained to the stream's last record.
fn next_record(stream: u64, first: u64, last: u64) -> NewRecordOf<Test> {
	let s = Streams::<Test>::get(stream).expect("stream exists");
	NewRecordOf::<Test> {
		cid: bounded(format!("bafy{stream}x{}", s.next_record).as_bytes()),
		content_hash: H256::repeat_byte(s.next_record as u8 + 1),
		merkle_root: H256::repeat_byte(0xaa),
		size: 1_024,
		intervals: IntervalRange { first, last },
		timestamp_ms: s.last_timestamp_ms + 1,
		prev: s.last_record_hash,
	}
}

fn record_hash(stream: u64, r: &NewRecordOf<Test>) -> H256 {
	let s = Streams::<Test>::get(stream).expect("stream exists");
	r.hash(stream, s.next_record)
}

fn genesis() -> H256 {
	System::block_hash(0)
}

fn append(stream: u64, first: u64, last: u64) -> H256 {
	assert_append_record(OWNER, stream, next_record(stream, first, last), None)
}

// ---- devices ----

#[test]
fn register_device_holds_the_deposit_and_counts_ids() {
	ExtBuilder::default().build_and_execute(|| {
		assert_eq!(device_of(OWNER, 1), 0);
		System::assert_last_event(
			Event::DeviceRegistered { device: 0, owner: OWNER, key: sr_key(1) }.into(),
		);
		assert_eq!(device_of(OWNER, 2), 1);
		assert_eq!(held(OWNER), 2 * DEVICE_DEPOSIT);
		let view = DataRegistry::device_view(1).expect("registered");
		assert_eq!(view.owner, OWNER);
		assert_eq!(view.status, DeviceStatus::Active);
		assert_eq!(view.metadata, b"thermometer".to_vec());
	});
}

#[test]
fn register_device_needs_the_deposit() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			DataRegistry::register_device(RuntimeOrigin::signed(PAUPER), sr_key(1), bounded(b"")),
			Error::<Test>::InsufficientBalance
		);
	});
}

#[test]
fn rotate_keeps_the_old_key_as_history() {
	ExtBuilder::default().build_and_execute(|| {
		let device = device_of(OWNER, 1);
		run_to_block(5);
		let ed = DeviceKey::Ed25519(ed25519::Pair::from_seed(&[2; 32]).public());
		assert_rotate_device_key(OWNER, device, ed);
		System::assert_last_event(
			Event::DeviceKeyRotated { device, old: sr_key(1), new: ed }.into(),
		);
		let view = DataRegistry::device_view(device).expect("registered");
		assert_eq!(view.key, ed);
		assert_eq!(view.retired_keys, vec![(sr_key(1), 5)]);
	});
}

#[test]
fn rotate_errors() {
	ExtBuilder::default().build_and_execute(|| {
		let device = device_of(OWNER, 1);
		let rotate = |who, device, key| {
			DataRegistry::rotate_device_key(RuntimeOrigin::signed(who), device, key)
		};
		assert_noop!(rotate(OWNER, 9, sr_key(2)), Error::<Test>::UnknownDevice);
		assert_noop!(rotate(OTHER, device, sr_key(2)), Error::<Test>::NotOwner);
		assert_noop!(rotate(OWNER, device, sr_key(1)), Error::<Test>::SameKey);
		for seed in 2..2 + MAX_KEYS as u8 {
			assert_ok!(rotate(OWNER, device, sr_key(seed)));
		}
		assert_noop!(rotate(OWNER, device, sr_key(100)), Error::<Test>::KeyHistoryFull);
		assert_revoke_device(OWNER, device);
		assert_noop!(rotate(OWNER, device, sr_key(101)), Error::<Test>::DeviceRevoked);
	});
}

#[test]
fn revoke_stops_records_and_streams() {
	ExtBuilder::default().build_and_execute(|| {
		let (device, stream) = setup();
		assert_noop!(
			DataRegistry::revoke_device(RuntimeOrigin::signed(OTHER), device),
			Error::<Test>::NotOwner
		);
		run_to_block(3);
		assert_revoke_device(OWNER, device);
		System::assert_last_event(Event::DeviceRevoked { device }.into());
		assert_eq!(
			DataRegistry::device_view(device).expect("kept").status,
			DeviceStatus::Revoked(3)
		);
		assert_noop!(
			DataRegistry::revoke_device(RuntimeOrigin::signed(OWNER), device),
			Error::<Test>::DeviceRevoked
		);
		assert_noop!(
			DataRegistry::append_record(
				RuntimeOrigin::signed(OWNER),
				stream,
				next_record(stream, 0, 0),
				None
			),
			Error::<Test>::DeviceRevoked
		);
		assert_noop!(
			DataRegistry::create_stream(
				RuntimeOrigin::signed(OWNER),
				device,
				bounded(b"x"),
				bounded(b""),
				params()
			),
			Error::<Test>::DeviceRevoked
		);
	});
}

#[test]
fn transfer_moves_ownership_and_every_deposit() {
	ExtBuilder::default().build_and_execute(|| {
		let (device, stream) = setup();
		append(stream, 0, 0);
		let total = DEVICE_DEPOSIT + STREAM_DEPOSIT + RECORD_DEPOSIT;
		assert_eq!(held(OWNER), total);

		assert_noop!(
			DataRegistry::accept_device(RuntimeOrigin::signed(OTHER), device),
			Error::<Test>::NotOffered
		);
		assert_noop!(
			DataRegistry::offer_device(RuntimeOrigin::signed(OTHER), device, Some(3)),
			Error::<Test>::NotOwner
		);
		assert_noop!(
			DataRegistry::offer_device(RuntimeOrigin::signed(OWNER), device, Some(OWNER)),
			Error::<Test>::SelfTransfer
		);
		assert_noop!(
			DataRegistry::offer_device(RuntimeOrigin::signed(OWNER), 9, Some(OTHER)),
			Error::<Test>::UnknownDevice
		);
		assert_offer_device(OWNER, device, Some(OTHER));
		System::assert_last_event(Event::DeviceOffered { device, to: Some(OTHER) }.into());
		// Another account cannot take it.
		assert_noop!(
			DataRegistry::accept_device(RuntimeOrigin::signed(3), device),
			Error::<Test>::NotOffered
		);
		assert_accept_device(OTHER, device);
		System::assert_last_event(
			Event::DeviceTransferred { device, from: OWNER, to: OTHER }.into(),
		);
		assert_eq!(held(OWNER), 0);
		assert_eq!(held(OTHER), total);
		assert_eq!(DataRegistry::stream(stream).expect("exists").owner, OTHER);

		// The old owner lost its rights; the new owner continues the hash chain.
		assert_noop!(
			DataRegistry::append_record(
				RuntimeOrigin::signed(OWNER),
				stream,
				next_record(stream, 0, 1),
				None
			),
			Error::<Test>::NotOwner
		);
		assert_append_record(OTHER, stream, next_record(stream, 0, 1), None);
	});
}

#[test]
fn an_offer_can_be_withdrawn_and_accepting_needs_the_deposit() {
	ExtBuilder::default().build_and_execute(|| {
		let device = device_of(OWNER, 1);
		assert_offer_device(OWNER, device, Some(OTHER));
		assert_offer_device(OWNER, device, None);
		System::assert_last_event(Event::DeviceOffered { device, to: None }.into());
		assert_noop!(
			DataRegistry::accept_device(RuntimeOrigin::signed(OTHER), device),
			Error::<Test>::NotOffered
		);
		assert_offer_device(OWNER, device, Some(PAUPER));
		assert_noop!(
			DataRegistry::accept_device(RuntimeOrigin::signed(PAUPER), device),
			Error::<Test>::InsufficientBalance
		);
		assert_eq!(held(OWNER), DEVICE_DEPOSIT);
	});
}

#[test]
fn remove_device_needs_revocation_and_no_streams() {
	ExtBuilder::default().build_and_execute(|| {
		let (device, stream) = setup();
		let remove = |who| DataRegistry::remove_device(RuntimeOrigin::signed(who), device);
		assert_noop!(remove(OWNER), Error::<Test>::DeviceNotRevoked);
		assert_revoke_device(OWNER, device);
		assert_noop!(remove(OTHER), Error::<Test>::NotOwner);
		assert_noop!(remove(OWNER), Error::<Test>::DeviceHasStreams);
		assert_close_stream(OWNER, stream);
		assert_ok!(remove(OWNER));
		System::assert_last_event(Event::DeviceRemoved { device }.into());
		assert_eq!(held(OWNER), 0);
		assert!(DataRegistry::device_view(device).is_none());
		assert_noop!(remove(OWNER), Error::<Test>::UnknownDevice);
	});
}

// ---- streams ----

#[test]
fn create_stream_holds_the_deposit() {
	ExtBuilder::default().build_and_execute(|| {
		let (device, stream) = setup();
		System::assert_last_event(Event::StreamCreated { stream, device, owner: OWNER }.into());
		assert_eq!(held(OWNER), DEVICE_DEPOSIT + STREAM_DEPOSIT);
		let view = DataRegistry::stream_view(stream).expect("created");
		assert_eq!(view.name, b"temperature".to_vec());
		assert_eq!(view.params, params());
		assert_eq!((view.first_record, view.next_record, view.next_interval), (0, 0, 0));
		assert_eq!(DataRegistry::device_view(device).expect("exists").streams, 1);
	});
}

#[test]
fn create_stream_errors() {
	ExtBuilder::default().build_and_execute(|| {
		let device = device_of(OWNER, 1);
		let create = |who, device, name: &[u8], params| {
			DataRegistry::create_stream(
				RuntimeOrigin::signed(who),
				device,
				bounded(name),
				bounded(b"s"),
				params,
			)
		};
		assert_noop!(create(OWNER, 9, b"n", params()), Error::<Test>::UnknownDevice);
		assert_noop!(create(OTHER, device, b"n", params()), Error::<Test>::NotOwner);
		assert_noop!(create(OWNER, device, b"", params()), Error::<Test>::EmptyName);
		for zero in [
			StreamParams { period_ms: 0, ..params() },
			StreamParams { encryption_interval: 0, ..params() },
			StreamParams { upload_interval: 0, ..params() },
		] {
			assert_noop!(create(OWNER, device, b"n", zero), Error::<Test>::InvalidStreamParams);
		}
		for _ in 0..MAX_STREAMS {
			assert_ok!(create(OWNER, device, b"n", params()));
		}
		assert_noop!(create(OWNER, device, b"n", params()), Error::<Test>::TooManyStreams);
		let poor = device_of(3, 1);
		Balances::set_balance(&3, 1);
		assert_noop!(create(3, poor, b"n", params()), Error::<Test>::InsufficientBalance);
	});
}

#[test]
fn close_stream_needs_an_empty_stream() {
	ExtBuilder::default().build_and_execute(|| {
		let (device, stream) = setup();
		append(stream, 0, 0);
		let close = |who| DataRegistry::close_stream(RuntimeOrigin::signed(who), stream);
		assert_noop!(close(OWNER), Error::<Test>::StreamNotEmpty);
		assert_prune_records(OWNER, stream, 1);
		assert_noop!(close(OTHER), Error::<Test>::NotOwner);
		assert_ok!(close(OWNER));
		System::assert_last_event(Event::StreamClosed { stream }.into());
		assert_eq!(held(OWNER), DEVICE_DEPOSIT);
		assert_eq!(DataRegistry::device_view(device).expect("exists").streams, 0);
		assert_noop!(close(OWNER), Error::<Test>::UnknownStream);
	});
}

// ---- records ----

#[test]
fn records_form_a_hash_chain() {
	ExtBuilder::default().build_and_execute(|| {
		let (_, stream) = setup();
		let first = append(stream, 0, 1);
		System::assert_last_event(
			Event::RecordAppended {
				stream,
				index: 0,
				hash: first,
				cid: bounded(format!("bafy{stream}x0").as_bytes()),
				content_hash: H256::repeat_byte(1),
				device_signed: false,
			}
			.into(),
		);
		// The next upload continues interval 1 (split interval) and goes on to 3.
		let second = append(stream, 1, 3);
		let records = DataRegistry::records_view(stream, 0, 10);
		assert_eq!(records.len(), 2);
		assert_eq!((records[0].prev, records[0].hash), (H256::zero(), first));
		assert_eq!((records[1].prev, records[1].hash), (first, second));
		let view = DataRegistry::stream_view(stream).expect("exists");
		assert_eq!((view.next_record, view.last_record_hash, view.next_interval), (2, second, 4));
		assert_eq!(held(OWNER), DEVICE_DEPOSIT + STREAM_DEPOSIT + 2 * RECORD_DEPOSIT);
		assert_eq!(
			Signals::get(),
			vec![(OWNER, Signal::DataContributed(1)), (OWNER, Signal::DataContributed(1))]
		);
	});
}

#[test]
fn a_wrong_previous_hash_breaks_the_chain() {
	ExtBuilder::default().build_and_execute(|| {
		let (_, stream) = setup();
		append(stream, 0, 0);
		for prev in [H256::zero(), H256::repeat_byte(3)] {
			let r = NewRecordOf::<Test> { prev, ..next_record(stream, 1, 1) };
			assert_noop!(
				DataRegistry::append_record(RuntimeOrigin::signed(OWNER), stream, r, None),
				Error::<Test>::BrokenHashChain
			);
		}
	});
}

#[test]
fn bad_records_are_refused() {
	ExtBuilder::default().build_and_execute(|| {
		let (_, stream) = setup();
		append(stream, 2, 3);
		let refuse = |r: NewRecordOf<Test>, error: Error<Test>| {
			assert_noop!(
				DataRegistry::append_record(RuntimeOrigin::signed(OWNER), stream, r, None),
				error
			);
		};
		let ok = || next_record(stream, 3, 4);
		refuse(NewRecordOf::<Test> { cid: bounded(b""), ..ok() }, Error::<Test>::EmptyCid);
		refuse(NewRecordOf::<Test> { size: 0, ..ok() }, Error::<Test>::EmptyRecord);
		refuse(
			NewRecordOf::<Test> { intervals: IntervalRange { first: 5, last: 4 }, ..ok() },
			Error::<Test>::InvalidIntervalRange,
		);
		// The last record ended in interval 3: starting at 2 goes back.
		refuse(next_record(stream, 2, 4), Error::<Test>::IntervalsOutOfOrder);
		// One upload spans at most 8 / 4 + 1 = 3 intervals.
		refuse(next_record(stream, 3, 6), Error::<Test>::IntervalsBeyondUpload);
		assert_append_record(OWNER, stream, next_record(stream, 3, 5), None);
		let back = NewRecordOf::<Test> { timestamp_ms: 0, ..next_record(stream, 5, 5) };
		refuse(back, Error::<Test>::TimestampInPast);
	});
}

#[test]
fn append_checks_stream_owner_and_balance() {
	ExtBuilder::default().build_and_execute(|| {
		let (_, stream) = setup();
		let r = next_record(stream, 0, 0);
		assert_noop!(
			DataRegistry::append_record(RuntimeOrigin::signed(OWNER), 42, r.clone(), None),
			Error::<Test>::UnknownStream
		);
		assert_noop!(
			DataRegistry::append_record(RuntimeOrigin::signed(OTHER), stream, r.clone(), None),
			Error::<Test>::NotOwner
		);
		Balances::set_balance(&OWNER, 1);
		assert_noop!(
			DataRegistry::append_record(RuntimeOrigin::signed(OWNER), stream, r, None),
			Error::<Test>::InsufficientBalance
		);
	});
}

#[test]
fn oversized_cids_do_not_decode() {
	ExtBuilder::default().build_and_execute(|| {
		let (_, stream) = setup();
		let r = next_record(stream, 0, 0);
		// The same fields with a CID one byte longer than allowed, as a malicious client would
		// encode them: the transaction cannot even be decoded.
		let field_tuple = |cid: Vec<u8>| {
			(cid, r.content_hash, r.merkle_root, r.size, r.intervals, r.timestamp_ms, r.prev)
				.encode()
		};
		let at_limit = field_tuple(vec![b'a'; MAX_CID as usize]);
		assert!(NewRecordOf::<Test>::decode(&mut &at_limit[..]).is_ok());
		let over = field_tuple(vec![b'a'; MAX_CID as usize + 1]);
		assert!(NewRecordOf::<Test>::decode(&mut &over[..]).is_err());
	});
}

/// Appends the next record of `stream` with `sign(payload)` as device signature.
fn append_signed(
	stream: u64,
	genesis: H256,
	sign: impl Fn(&[u8]) -> DeviceSignature,
) -> sp_runtime::DispatchResult {
	let r = next_record(stream, 0, 0);
	let payload = record_signing_payload(genesis, record_hash(stream, &r));
	DataRegistry::append_record(RuntimeOrigin::signed(OWNER), stream, r, Some(sign(&payload)))
}

#[test]
fn device_signatures_are_checked_in_every_scheme() {
	ExtBuilder::default().build_and_execute(|| {
		let (device, stream) = setup();
		let sr = sr_pair(7);
		assert_ok!(append_signed(stream, genesis(), |m| DeviceSignature::Sr25519(sr.sign(m))));
		assert!(DataRegistry::records_view(stream, 0, 1)[0].device_signed);

		let ed = ed25519::Pair::from_seed(&[8; 32]);
		assert_rotate_device_key(OWNER, device, DeviceKey::Ed25519(ed.public()));
		assert_ok!(append_signed(stream, genesis(), |m| DeviceSignature::Ed25519(ed.sign(m))));

		let ec = ecdsa::Pair::from_seed(&[9; 32]);
		assert_rotate_device_key(OWNER, device, DeviceKey::Ecdsa(ec.public()));
		assert_ok!(append_signed(stream, genesis(), |m| DeviceSignature::Ecdsa(ec.sign(m))));
		assert_eq!(DataRegistry::stream_view(stream).expect("exists").next_record, 3);
	});
}

#[test]
fn bad_device_signatures_are_refused() {
	ExtBuilder::default().build_and_execute(|| {
		let (device, stream) = setup();
		let current = sr_pair(7);
		let stranger = sr_pair(8);
		// Signed by another key.
		assert_noop!(
			append_signed(stream, genesis(), |m| DeviceSignature::Sr25519(stranger.sign(m))),
			Error::<Test>::BadDeviceSignature
		);
		// Signed for another chain.
		assert_noop!(
			append_signed(stream, H256::repeat_byte(1), |m| DeviceSignature::Sr25519(
				current.sign(m)
			)),
			Error::<Test>::BadDeviceSignature
		);
		// Signed over other record contents.
		assert_noop!(
			append_signed(stream, genesis(), |_| DeviceSignature::Sr25519(
				current.sign(b"something else")
			)),
			Error::<Test>::BadDeviceSignature
		);
		// Signed by a key that was rotated out.
		assert_rotate_device_key(OWNER, device, sr_key(9));
		assert_noop!(
			append_signed(stream, genesis(), |m| DeviceSignature::Sr25519(current.sign(m))),
			Error::<Test>::BadDeviceSignature
		);
		assert_ok!(append_signed(stream, genesis(), |m| DeviceSignature::Sr25519(
			sr_pair(9).sign(m)
		)));
	});
}

#[test]
fn prune_releases_the_oldest_records_and_the_chain_goes_on() {
	ExtBuilder::default().build_and_execute(|| {
		let (_, stream) = setup();
		for i in 0..4 {
			append(stream, i, i);
		}
		assert_prune_records(OWNER, stream, 3);
		System::assert_last_event(Event::RecordsPruned { stream, from: 0, to: 3 }.into());
		assert_eq!(held(OWNER), DEVICE_DEPOSIT + STREAM_DEPOSIT + RECORD_DEPOSIT);
		assert!(Records::<Test>::get(stream, 2).is_none());
		assert!(Records::<Test>::get(stream, 3).is_some());
		let view = DataRegistry::records_view(stream, 0, 10);
		assert_eq!(view.iter().map(|r| r.index).collect::<Vec<_>>(), vec![3]);

		append(stream, 4, 4);
		// Pruning more than is stored removes what there is.
		assert_prune_records(OWNER, stream, 5);
		System::assert_last_event(Event::RecordsPruned { stream, from: 3, to: 5 }.into());
		assert_eq!(held(OWNER), DEVICE_DEPOSIT + STREAM_DEPOSIT);
		assert_noop!(
			DataRegistry::prune_records(RuntimeOrigin::signed(OWNER), stream, 1),
			Error::<Test>::NothingToPrune
		);
	});
}

#[test]
fn prune_errors() {
	ExtBuilder::default().build_and_execute(|| {
		let (_, stream) = setup();
		append(stream, 0, 0);
		let prune =
			|who, stream, n| DataRegistry::prune_records(RuntimeOrigin::signed(who), stream, n);
		assert_noop!(prune(OWNER, stream, 0), Error::<Test>::InvalidPruneCount);
		assert_noop!(prune(OWNER, stream, MAX_PRUNE + 1), Error::<Test>::InvalidPruneCount);
		assert_noop!(prune(OWNER, 42, 1), Error::<Test>::UnknownStream);
		assert_noop!(prune(OTHER, stream, 1), Error::<Test>::NotOwner);
	});
}

#[test]
fn pruning_stays_possible_after_revocation() {
	ExtBuilder::default().build_and_execute(|| {
		let (device, stream) = setup();
		append(stream, 0, 0);
		assert_revoke_device(OWNER, device);
		assert_prune_records(OWNER, stream, 1);
		assert_close_stream(OWNER, stream);
		assert_remove_device(OWNER, device);
		assert_eq!(held(OWNER), 0);
		assert_eq!(Balances::free_balance(OWNER), ENDOWMENT);
	});
}

#[test]
fn record_queries_page_and_skip_missing() {
	ExtBuilder::default().build_and_execute(|| {
		let (_, stream) = setup();
		for i in 0..5 {
			append(stream, i, i);
		}
		let indices = |from, count| {
			DataRegistry::records_view(stream, from, count)
				.iter()
				.map(|r| r.index)
				.collect::<Vec<_>>()
		};
		assert_eq!(indices(1, 2), vec![1, 2]);
		assert_eq!(indices(3, 100), vec![3, 4]);
		assert_eq!(indices(9, 1), Vec::<u64>::new());
		assert_eq!(indices(0, u32::MAX).len(), 5);
		assert!(DataRegistry::records_view(42, 0, 10).is_empty());
	});
}

#[test]
fn stream_inspect_reports_owner_and_progress() {
	ExtBuilder::default().build_and_execute(|| {
		let (_, stream) = setup();
		append(stream, 0, 2);
		let summary = <DataRegistry as StreamInspect<AccountId>>::stream(stream).expect("exists");
		assert_eq!((summary.owner, summary.next_interval), (OWNER, 3));
		assert!(<DataRegistry as StreamInspect<AccountId>>::stream(42).is_none());
	});
}

#[test]
fn record_inspect_finds_the_record_of_an_interval_across_gaps_overlaps_and_pruning() {
	ExtBuilder::default().build_and_execute(|| {
		let (_, stream) = setup();
		let at = |interval| <DataRegistry as RecordInspect<u64>>::recorded_at(stream, interval);
		// Records 0..=2 (block 1), 2..=4 (block 2, sharing interval 2), 7..=9 (block 3, after
		// a gap) and 9..=9 (block 4).
		append(stream, 0, 2);
		run_to_block(2);
		append(stream, 2, 4);
		run_to_block(3);
		append(stream, 7, 9);
		run_to_block(4);
		append(stream, 9, 9);
		let found: Vec<_> = (0..=10).map(at).collect();
		assert_eq!(
			found,
			vec![
				Some(1),
				Some(1),
				Some(1),
				Some(2),
				Some(2),
				None,
				None,
				Some(3),
				Some(3),
				Some(3),
				None
			]
		);
		// Pruned records no longer count.
		assert_prune_records(OWNER, stream, 1);
		assert_eq!(at(0), None);
		assert_eq!(at(2), Some(2));
		assert_eq!(<DataRegistry as RecordInspect<u64>>::recorded_at(42, 0), None);
	});
}

#[test]
fn max_intervals_per_record_rounds_up() {
	let span = |e, u| {
		crate::Pallet::<Test>::max_intervals_per_record(&StreamParams {
			period_ms: 1,
			encryption_interval: e,
			upload_interval: u,
		})
	};
	assert_eq!(span(4, 8), 3);
	assert_eq!(span(4, 9), 4);
	assert_eq!(span(10, 1), 2);
	assert_eq!(span(1, 1), 2);
}

#[test]
fn cids_must_be_cid_strings() {
	ExtBuilder::default().build_and_execute(|| {
		let (_, stream) = setup();
		for cid in [&b"bafy/../x"[..], b"Qm x", b"bafy\0", b"bafy?arg=evil"] {
			let r = NewRecordOf::<Test> { cid: bounded(cid), ..next_record(stream, 0, 0) };
			assert_noop!(
				DataRegistry::append_record(RuntimeOrigin::signed(OWNER), stream, r, None),
				Error::<Test>::InvalidCid
			);
		}
	});
}

#[test]
fn records_per_block_are_bounded_and_the_queue_clears_each_block() {
	ExtBuilder::default().build_and_execute(|| {
		let (_, stream) = setup();
		for i in 0..MAX_RECORDS_PER_BLOCK as u64 {
			append(stream, i, i);
		}
		assert_eq!(crate::NewRecords::<Test>::get().len() as u32, MAX_RECORDS_PER_BLOCK);
		let n = MAX_RECORDS_PER_BLOCK as u64;
		assert_noop!(
			DataRegistry::append_record(
				RuntimeOrigin::signed(OWNER),
				stream,
				next_record(stream, n, n),
				None
			),
			Error::<Test>::TooManyRecordsInBlock
		);
		run_to_block(2);
		assert!(crate::NewRecords::<Test>::get().is_empty());
		append(stream, n, n);
		assert_eq!(crate::NewRecords::<Test>::get().into_inner(), vec![(stream, n)]);
	});
}

// ---- availability reports ----

fn report(who: AccountId, reports: &[(u64, u64)]) -> sp_runtime::DispatchResult {
	DataRegistry::report_availability(
		RuntimeOrigin::signed(who),
		reports.to_vec().try_into().expect("short enough"),
	)
}

#[test]
fn storage_nodes_report_records_available() {
	ExtBuilder::default().build_and_execute(|| {
		let (_, stream) = setup();
		append(stream, 0, 0);
		append(stream, 1, 1);
		Signals::mutate(|s| s.clear());
		assert_ok!(report(11, &[(stream, 0), (stream, 1)]));
		System::assert_last_event(Event::RecordAvailable { stream, index: 1, reporter: 11 }.into());
		assert_ok!(report(12, &[(stream, 0)]));
		assert_eq!(crate::Availability::<Test>::get(stream, 0).into_inner(), vec![11, 12]);
		assert_eq!(
			Signals::get(),
			vec![(11, Signal::DataContributed(2)), (12, Signal::DataContributed(1))]
		);
		// Pruning forgets who held the record.
		assert_prune_records(OWNER, stream, 1);
		assert!(crate::Availability::<Test>::get(stream, 0).is_empty());
		assert_eq!(crate::Availability::<Test>::get(stream, 1).into_inner(), vec![11]);
	});
}

#[test]
fn bad_availability_reports_are_refused() {
	ExtBuilder::default().build_and_execute(|| {
		let (_, stream) = setup();
		append(stream, 0, 0);
		assert_noop!(report(OWNER, &[(stream, 0)]), Error::<Test>::NotStorageNode);
		assert_noop!(report(11, &[]), Error::<Test>::EmptyReport);
		assert_noop!(report(11, &[(stream, 1)]), Error::<Test>::UnknownRecord);
		assert_noop!(report(11, &[(42, 0)]), Error::<Test>::UnknownRecord);
		// A report whose every entry is bad changes nothing.
		assert_ok!(report(11, &[(stream, 0)]));
		assert_noop!(report(11, &[(stream, 0)]), Error::<Test>::DuplicateReport);
		assert_ok!(report(12, &[(stream, 0)]));
		assert_noop!(report(13, &[(stream, 0)]), Error::<Test>::TooManyReporters);
		assert_noop!(report(13, &[(42, 0), (stream, 0)]), Error::<Test>::UnknownRecord);
	});
}

#[test]
fn one_bad_entry_does_not_void_a_report() {
	ExtBuilder::default().build_and_execute(|| {
		let (_, stream) = setup();
		for i in 0..4 {
			append(stream, i, i);
		}
		// Record 0 has all its reporters (two in the mock), as liars could arrange.
		assert_ok!(report(11, &[(stream, 0)]));
		assert_ok!(report(12, &[(stream, 0)]));
		Signals::mutate(|s| s.clear());
		System::reset_events();
		// Storage node 13's report (of the most entries a report may have): a full record, an
		// unknown one, a good one named twice. The good one lands, each bad one is refused with
		// its reason; a second report lands another good one next to a bad one.
		assert_ok!(report(13, &[(stream, 0), (stream, 9), (stream, 1), (stream, 1)]));
		assert_ok!(report(13, &[(stream, 1), (stream, 2)]));
		assert_eq!(crate::Availability::<Test>::get(stream, 1).into_inner(), vec![13]);
		assert_eq!(crate::Availability::<Test>::get(stream, 2).into_inner(), vec![13]);
		assert_eq!(crate::Availability::<Test>::get(stream, 0).into_inner(), vec![11, 12]);
		let refused = |index, error: Error<Test>| {
			System::assert_has_event(
				Event::ReportEntryRefused { stream, index, reporter: 13, error: error.into() }
					.into(),
			)
		};
		refused(0, Error::<Test>::TooManyReporters);
		refused(9, Error::<Test>::UnknownRecord);
		refused(1, Error::<Test>::DuplicateReport);
		System::assert_has_event(Event::RecordAvailable { stream, index: 2, reporter: 13 }.into());
		// Only what was accepted counts for reputation.
		assert_eq!(
			Signals::get(),
			vec![(13, Signal::DataContributed(1)), (13, Signal::DataContributed(1))]
		);
	});
}

// ---- the off-chain worker ----

mod offchain_worker {
	use super::*;
	use crate::offchain::{pin, PinError, IPFS_ENDPOINT_KEY};
	use sp_core::offchain::{
		testing::{PendingRequest, TestOffchainExt, TestTransactionPoolExt},
		OffchainDbExt, OffchainWorkerExt, StorageKind, TransactionPoolExt,
	};
	use sp_runtime::testing::UintAuthorityId;

	const ENDPOINT: &str = "http://127.0.0.1:5001";

	/// Externalities with an off-chain worker, a transaction pool and the key of storage node
	/// 11; returns them with the off-chain and pool states.
	fn worker_ext() -> (
		sp_io::TestExternalities,
		std::sync::Arc<parking_lot::RwLock<sp_core::offchain::testing::OffchainState>>,
		std::sync::Arc<parking_lot::RwLock<sp_core::offchain::testing::PoolState>>,
	) {
		let mut ext = new_test_ext();
		let (offchain, state) = TestOffchainExt::new();
		let (pool, pool_state) = TestTransactionPoolExt::new();
		ext.register_extension(OffchainDbExt::new(offchain.clone()));
		ext.register_extension(OffchainWorkerExt::new(offchain));
		ext.register_extension(TransactionPoolExt::new(pool));
		UintAuthorityId::set_all_keys(vec![11u64]);
		(ext, state, pool_state)
	}

	fn expect(
		state: &parking_lot::RwLock<sp_core::offchain::testing::OffchainState>,
		path: &str,
		response: &str,
	) {
		state.write().expect_request(PendingRequest {
			method: "POST".into(),
			uri: format!("{ENDPOINT}/api/v0/{path}"),
			body: vec![],
			response: Some(response.as_bytes().to_vec()),
			sent: true,
			..Default::default()
		});
	}

	/// The daemon holds `cid` at the size of the test records (1,024 bytes) and pins it.
	fn expect_pin(
		state: &parking_lot::RwLock<sp_core::offchain::testing::OffchainState>,
		cid: &str,
		response: &str,
	) {
		expect(state, &format!("files/stat?arg=/ipfs/{cid}"), SIZE_1024);
		expect(state, &format!("pin/add?arg={cid}"), response);
	}

	const SIZE_1024: &str = r#"{"Hash":"x","Size":1024,"CumulativeSize":1035,"Type":"file"}"#;

	fn pinned(cid: &str) -> String {
		format!("{{\"Pins\":[\"{cid}\"]}}")
	}

	fn set_endpoint() {
		sp_io::offchain::local_storage_set(
			StorageKind::PERSISTENT,
			IPFS_ENDPOINT_KEY,
			ENDPOINT.as_bytes(),
		);
	}

	/// The reports sent so far, oldest first, with their nonces.
	fn sent(
		pool: &parking_lot::RwLock<sp_core::offchain::testing::PoolState>,
	) -> Vec<(u32, Vec<(u64, u64)>)> {
		pool.read()
			.transactions
			.iter()
			.map(|tx| {
				let tx = Extrinsic::decode(&mut &tx[..]).expect("a valid extrinsic");
				let sp_runtime::generic::Preamble::Signed(who, _, nonce) = tx.preamble else {
					panic!("a signed transaction")
				};
				assert_eq!(who, 11, "signed by the storage node");
				let RuntimeCall::DataRegistry(crate::Call::report_availability { reports }) =
					tx.function
				else {
					panic!("an availability report")
				};
				(nonce.0, reports.into_inner())
			})
			.collect()
	}

	/// The next block: its hooks run, so the previous block's new records are forgotten, as
	/// on chain.
	fn next_block() -> u64 {
		let n = System::block_number() + 1;
		run_to_block(n);
		n
	}

	#[test]
	fn pins_new_records_and_reports_them_in_one_transaction() {
		let (mut ext, state, pool_state) = worker_ext();
		ext.execute_with(|| {
			set_endpoint();
			let (_, stream) = setup();
			append(stream, 0, 0);
			append(stream, 1, 1);
			let cid = |i| format!("bafy{stream}x{i}");
			expect_pin(&state, &cid(0), &pinned(&cid(0)));
			expect_pin(&state, &cid(1), &pinned(&cid(1)));

			crate::offchain::run::<Test>(System::block_number());

			assert_eq!(sent(&pool_state), vec![(0, vec![(stream, 0), (stream, 1)])]);
		});
	}

	#[test]
	fn reports_only_what_the_daemon_pinned() {
		let (mut ext, state, pool_state) = worker_ext();
		ext.execute_with(|| {
			set_endpoint();
			let (_, stream) = setup();
			append(stream, 0, 0);
			expect_pin(&state, &format!("bafy{stream}x0"), "{\"Pins\":[]}");
			crate::offchain::run::<Test>(System::block_number());
			assert!(pool_state.read().transactions.is_empty());
			assert!(crate::offchain::queue().is_empty(), "a refused pin is not retried");
		});
	}

	#[test]
	fn an_object_larger_than_its_record_is_never_pinned() {
		let (mut ext, state, pool_state) = worker_ext();
		ext.execute_with(|| {
			set_endpoint();
			let (_, stream) = setup();
			append(stream, 0, 0);
			append(stream, 1, 1);
			// Record 0's CID names a 4 GiB object; no pin request may follow (an unexpected
			// request fails the test).
			expect(
				&state,
				&format!("files/stat?arg=/ipfs/bafy{stream}x0"),
				r#"{"Size":4294967296,"CumulativeSize":4294967296}"#,
			);
			expect_pin(&state, &format!("bafy{stream}x1"), &pinned("x"));
			crate::offchain::run::<Test>(System::block_number());
			assert_eq!(sent(&pool_state), vec![(0, vec![(stream, 1)])]);
		});
	}

	#[test]
	fn two_reports_in_flight_carry_consecutive_nonces_and_both_land() {
		let (mut ext, state, pool_state) = worker_ext();
		ext.execute_with(|| {
			set_endpoint();
			let (_, stream) = setup();
			append(stream, 0, 0);
			expect_pin(&state, &format!("bafy{stream}x0"), &pinned("a"));
			crate::offchain::run::<Test>(System::block_number());
			// The first report is still in the pool (the chain's nonce of node 11 is 0) when
			// the next block registers another record.
			next_block();
			append(stream, 1, 1);
			expect_pin(&state, &format!("bafy{stream}x1"), &pinned("b"));
			crate::offchain::run::<Test>(System::block_number());
			assert_eq!(
				sent(&pool_state),
				vec![(0, vec![(stream, 0)]), (1, vec![(stream, 1)])],
				"consecutive nonces; the first record is not reported twice"
			);
			// Both land: the chain takes them in nonce order.
			for (_, reports) in sent(&pool_state) {
				assert_report_availability(11, &reports);
				frame_system::Pallet::<Test>::inc_account_nonce(11);
			}
			// Landed reports leave the queue; nothing more is sent.
			next_block();
			crate::offchain::run::<Test>(System::block_number());
			assert!(crate::offchain::queue().is_empty());
			assert_eq!(pool_state.read().transactions.len(), 2);
		});
	}

	#[test]
	fn a_lost_report_is_sent_again_with_the_lost_ones_nonce() {
		let (mut ext, state, pool_state) = worker_ext();
		ext.execute_with(|| {
			set_endpoint();
			let (_, stream) = setup();
			append(stream, 0, 0);
			expect_pin(&state, &format!("bafy{stream}x0"), &pinned("a"));
			let start = System::block_number();
			crate::offchain::run::<Test>(start);
			assert_eq!(sent(&pool_state), vec![(0, vec![(stream, 0)])]);
			// The pool drops the report; it never lands. While it still could, nothing is
			// sent again.
			pool_state.write().transactions.clear();
			let retry = start + u64::from(crate::offchain::RETRY_AFTER_BLOCKS);
			while System::block_number() + 1 < retry {
				next_block();
				crate::offchain::run::<Test>(System::block_number());
			}
			assert!(pool_state.read().transactions.is_empty());
			// Then the record is pinned and reported again, with nonce 0: the chain's nonce has
			// not moved, so the kept one (1) would wait for the lost report forever.
			next_block();
			expect_pin(&state, &format!("bafy{stream}x0"), &pinned("a"));
			crate::offchain::run::<Test>(System::block_number());
			assert_eq!(sent(&pool_state), vec![(0, vec![(stream, 0)])]);
		});
	}

	#[test]
	fn does_nothing_without_an_endpoint_or_a_key() {
		let (mut ext, _state, pool_state) = worker_ext();
		ext.execute_with(|| {
			let (_, stream) = setup();
			append(stream, 0, 0);
			// No endpoint: no request (an unexpected request would fail the test).
			crate::offchain::run::<Test>(System::block_number());
			set_endpoint();
			// No storage-node key: no request either.
			UintAuthorityId::set_all_keys(Vec::<u64>::new());
			crate::offchain::run::<Test>(System::block_number());
			assert!(pool_state.read().transactions.is_empty());
			assert!(crate::offchain::queue().is_empty(), "nothing queued for nobody");
		});
	}

	#[test]
	fn malformed_cids_are_never_sent() {
		let (mut ext, _state, _pool) = worker_ext();
		ext.execute_with(|| {
			assert_eq!(pin(ENDPOINT.as_bytes(), b"a/../b"), Err(PinError::MalformedCid));
			assert_eq!(pin(ENDPOINT.as_bytes(), b""), Err(PinError::MalformedCid));
			assert_eq!(pin(&[0xff, 0xfe], b"bafy"), Err(PinError::MalformedEndpoint));
		});
	}
}

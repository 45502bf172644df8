//! Call helpers of the tests: each `assert_<call>` snapshots the pallet's whole state and the
//! funds of every test account, dispatches the call (which must succeed), snapshots again and
//! checks that the call changed exactly what it should and emitted its events.
//!
//! The expected snapshot is built from the first one by hand and compared whole, so a call
//! that also changes something it should not (another stream's records, another owner's
//! hold, a reputation signal) fails the helper, not only a call that forgets part of its work
//! (the shape of Astar's `testing_utils`).

use crate::{
	mock::*, Availability, DeviceOf, Devices, Error, Event, HoldReason, NewRecordOf, NewRecords,
	NextDeviceId, NextStreamId, RecordOf, Records, StreamOf, Streams,
};
use alloc::collections::BTreeMap;
use cpchain_pallet_test_utils::{assert_transition, StateSnapshot};
use cpchain_primitives::{
	data::{
		DeviceId, DeviceKey, DeviceSignature, DeviceStatus, RecordIndex, StreamId, StreamParams,
	},
	reputation::Signal,
};
use frame_support::{
	traits::fungible::{Inspect, InspectHold},
	BoundedVec,
};
use sp_core::H256;
use sp_runtime::DispatchError;

/// The pallet's whole state, the free and held funds of every test account and the
/// reputation signals sent.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
	pub next_device_id: DeviceId,
	pub next_stream_id: StreamId,
	pub devices: BTreeMap<DeviceId, DeviceOf<Test>>,
	pub streams: BTreeMap<StreamId, StreamOf<Test>>,
	pub records: BTreeMap<(StreamId, RecordIndex), RecordOf<Test>>,
	pub new_records: Vec<(StreamId, RecordIndex)>,
	pub availability: BTreeMap<(StreamId, RecordIndex), Vec<AccountId>>,
	/// (free, held as data deposits) of the endowed accounts, the storage nodes and `PAUPER`.
	pub funds: BTreeMap<AccountId, (Balance, Balance)>,
	pub signals: Vec<(AccountId, Signal)>,
}

impl StateSnapshot for Snapshot {
	fn take() -> Self {
		Self {
			next_device_id: NextDeviceId::<Test>::get(),
			next_stream_id: NextStreamId::<Test>::get(),
			devices: Devices::<Test>::iter().collect(),
			streams: Streams::<Test>::iter().collect(),
			records: Records::<Test>::iter().map(|(s, i, r)| ((s, i), r)).collect(),
			new_records: NewRecords::<Test>::get().into_inner(),
			availability: Availability::<Test>::iter()
				.map(|(s, i, h)| ((s, i), h.into_inner()))
				.collect(),
			funds: (1..=4)
				.chain([11, 12, 13, PAUPER])
				.map(|who| {
					let held = Balances::balance_on_hold(
						&RuntimeHoldReason::DataRegistry(HoldReason::DataDeposit),
						&who,
					);
					(who, (Balances::balance(&who), held))
				})
				.collect(),
			signals: Signals::get(),
		}
	}
}

impl Snapshot {
	/// Moves `amount` of `who`'s funds from free to held.
	fn hold(&mut self, who: AccountId, amount: Balance) {
		let (free, held) = self.funds.get_mut(&who).expect("a test account");
		*free -= amount;
		*held += amount;
	}

	/// Moves `amount` of `who`'s funds from held to free.
	fn release(&mut self, who: AccountId, amount: Balance) {
		let (free, held) = self.funds.get_mut(&who).expect("a test account");
		*free += amount;
		*held -= amount;
	}

	fn device(&mut self, device: DeviceId) -> &mut DeviceOf<Test> {
		self.devices.get_mut(&device).expect("the device exists")
	}
}

fn bounded<S: frame_support::traits::Get<u32>>(bytes: &[u8]) -> BoundedVec<u8, S> {
	bytes.to_vec().try_into().expect("short enough")
}

/// `owner` registers a device with `key`; returns its id.
pub fn assert_register_device(owner: AccountId, key: DeviceKey, metadata: &[u8]) -> DeviceId {
	let before = Snapshot::take();
	let device = before.next_device_id;
	let metadata = bounded(metadata);
	assert_transition(
		before,
		|| DataRegistry::register_device(RuntimeOrigin::signed(owner), key, metadata.clone()),
		|s| {
			s.next_device_id += 1;
			s.devices.insert(
				device,
				DeviceOf::<Test> {
					owner,
					key,
					retired_keys: BoundedVec::new(),
					status: DeviceStatus::Active,
					metadata: metadata.clone(),
					offered_to: None,
					streams: 0,
					deposit: DEVICE_DEPOSIT,
					own_deposit: DEVICE_DEPOSIT,
				},
			);
			s.hold(owner, DEVICE_DEPOSIT);
		},
	);
	System::assert_last_event(Event::DeviceRegistered { device, owner, key }.into());
	device
}

/// `who` replaces the key of `device` with `new`; the old one is retired now.
pub fn assert_rotate_device_key(who: AccountId, device: DeviceId, new: DeviceKey) {
	let now = System::block_number();
	let before = Snapshot::take();
	let old = before.devices[&device].key;
	assert_transition(
		before,
		|| DataRegistry::rotate_device_key(RuntimeOrigin::signed(who), device, new),
		|s| {
			let d = s.device(device);
			d.retired_keys.try_push((old, now)).expect("room in the history");
			d.key = new;
		},
	);
	System::assert_last_event(Event::DeviceKeyRotated { device, old, new }.into());
}

/// `who` revokes `device`.
pub fn assert_revoke_device(who: AccountId, device: DeviceId) {
	let now = System::block_number();
	assert_transition(
		Snapshot::take(),
		|| DataRegistry::revoke_device(RuntimeOrigin::signed(who), device),
		|s| s.device(device).status = DeviceStatus::Revoked(now),
	);
	System::assert_last_event(Event::DeviceRevoked { device }.into());
}

/// `who` offers `device` to `to` (`None`: withdraws the offer).
pub fn assert_offer_device(who: AccountId, device: DeviceId, to: Option<AccountId>) {
	assert_transition(
		Snapshot::take(),
		|| DataRegistry::offer_device(RuntimeOrigin::signed(who), device, to),
		|s| s.device(device).offered_to = to,
	);
	System::assert_last_event(Event::DeviceOffered { device, to }.into());
}

/// `who` accepts `device` and takes its whole deposit over from the previous owner.
pub fn assert_accept_device(who: AccountId, device: DeviceId) {
	let before = Snapshot::take();
	let from = before.devices[&device].owner;
	let deposit = before.devices[&device].deposit;
	assert_transition(
		before,
		|| DataRegistry::accept_device(RuntimeOrigin::signed(who), device),
		|s| {
			let d = s.device(device);
			d.owner = who;
			d.offered_to = None;
			s.hold(who, deposit);
			s.release(from, deposit);
		},
	);
	System::assert_last_event(Event::DeviceTransferred { device, from, to: who }.into());
}

/// `who` removes its revoked, stream-less `device`.
pub fn assert_remove_device(who: AccountId, device: DeviceId) {
	assert_transition(
		Snapshot::take(),
		|| DataRegistry::remove_device(RuntimeOrigin::signed(who), device),
		|s| {
			let d = s.devices.remove(&device).expect("the device exists");
			s.release(who, d.deposit);
		},
	);
	System::assert_last_event(Event::DeviceRemoved { device }.into());
}

/// `who` creates a stream of `device`; returns its id.
pub fn assert_create_stream(
	who: AccountId,
	device: DeviceId,
	name: &[u8],
	schema: &[u8],
	params: StreamParams,
) -> StreamId {
	let before = Snapshot::take();
	let stream = before.next_stream_id;
	let (name, schema) = (bounded(name), bounded(schema));
	assert_transition(
		before,
		|| {
			DataRegistry::create_stream(
				RuntimeOrigin::signed(who),
				device,
				name.clone(),
				schema.clone(),
				params,
			)
		},
		|s| {
			s.next_stream_id += 1;
			let d = s.device(device);
			d.streams += 1;
			d.deposit += STREAM_DEPOSIT;
			s.streams.insert(
				stream,
				StreamOf::<Test> {
					device,
					name: name.clone(),
					schema: schema.clone(),
					params,
					first_record: 0,
					next_record: 0,
					last_record_hash: H256::zero(),
					next_interval: 0,
					last_timestamp_ms: 0,
					deposit: STREAM_DEPOSIT,
					own_deposit: STREAM_DEPOSIT,
				},
			);
			s.hold(who, STREAM_DEPOSIT);
		},
	);
	System::assert_last_event(Event::StreamCreated { stream, device, owner: who }.into());
	stream
}

/// `who` closes the empty `stream`.
pub fn assert_close_stream(who: AccountId, stream: StreamId) {
	assert_transition(
		Snapshot::take(),
		|| DataRegistry::close_stream(RuntimeOrigin::signed(who), stream),
		|s| {
			let closed = s.streams.remove(&stream).expect("the stream exists");
			let d = s.device(closed.device);
			d.streams -= 1;
			d.deposit -= closed.deposit;
			s.release(who, closed.deposit);
		},
	);
	System::assert_last_event(Event::StreamClosed { stream }.into());
}

/// `who` appends `record` to `stream`; returns the record's hash.
pub fn assert_append_record(
	who: AccountId,
	stream: StreamId,
	record: NewRecordOf<Test>,
	signature: Option<DeviceSignature>,
) -> H256 {
	let now = System::block_number();
	let before = Snapshot::take();
	let index = before.streams[&stream].next_record;
	let hash = record.hash(stream, index);
	let device_signed = signature.is_some();
	let new = record.clone();
	assert_transition(
		before,
		|| DataRegistry::append_record(RuntimeOrigin::signed(who), stream, record, signature),
		|s| {
			let st = s.streams.get_mut(&stream).expect("the stream exists");
			st.next_record = index + 1;
			st.last_record_hash = hash;
			st.next_interval = st.next_interval.max(new.intervals.last + 1);
			st.last_timestamp_ms = new.timestamp_ms;
			st.deposit += RECORD_DEPOSIT;
			let device = st.device;
			s.device(device).deposit += RECORD_DEPOSIT;
			s.records.insert(
				(stream, index),
				RecordOf::<Test> {
					cid: new.cid.clone(),
					content_hash: new.content_hash,
					merkle_root: new.merkle_root,
					size: new.size,
					intervals: new.intervals,
					timestamp_ms: new.timestamp_ms,
					prev: new.prev,
					hash,
					device_signed,
					registered_at: now,
					deposit: RECORD_DEPOSIT,
				},
			);
			s.new_records.push((stream, index));
			s.hold(who, RECORD_DEPOSIT);
			s.signals.push((who, Signal::DataContributed(1)));
		},
	);
	System::assert_last_event(
		Event::RecordAppended {
			stream,
			index,
			hash,
			cid: new.cid.clone(),
			content_hash: new.content_hash,
			device_signed,
		}
		.into(),
	);
	hash
}

/// `who` prunes up to `count` of the oldest records of `stream`; returns the range pruned.
pub fn assert_prune_records(who: AccountId, stream: StreamId, count: u32) -> (u64, u64) {
	let before = Snapshot::take();
	let from = before.streams[&stream].first_record;
	let to = before.streams[&stream].next_record.min(from + u64::from(count));
	assert_transition(
		before,
		|| DataRegistry::prune_records(RuntimeOrigin::signed(who), stream, count),
		|s| {
			let released: Balance =
				(from..to).map(|i| s.records.remove(&(stream, i)).expect("stored").deposit).sum();
			s.availability.retain(|(st, i), _| *st != stream || !(from..to).contains(i));
			let st = s.streams.get_mut(&stream).expect("the stream exists");
			st.first_record = to;
			st.deposit -= released;
			let device = st.device;
			s.device(device).deposit -= released;
			s.release(who, released);
		},
	);
	System::assert_last_event(Event::RecordsPruned { stream, from, to }.into());
	(from, to)
}

/// Storage node `who` reports `reports` pinned; each entry stands on its own (at least one
/// must be accepted). Returns how many were.
pub fn assert_report_availability(who: AccountId, reports: &[(StreamId, RecordIndex)]) -> u32 {
	let before = Snapshot::take();
	// Each entry against the state the entries before it left.
	let mut holders = before.availability.clone();
	let mut events: Vec<RuntimeEvent> = Vec::new();
	let mut accepted = 0;
	for &(stream, index) in reports {
		let refused = if !before.records.contains_key(&(stream, index)) {
			Some(Error::<Test>::UnknownRecord)
		} else {
			let entry = holders.entry((stream, index)).or_default();
			if entry.contains(&who) {
				Some(Error::<Test>::DuplicateReport)
			} else if entry.len() >= MAX_REPORTERS as usize {
				Some(Error::<Test>::TooManyReporters)
			} else {
				entry.push(who);
				None
			}
		};
		events.push(match refused {
			None => {
				accepted += 1;
				Event::RecordAvailable { stream, index, reporter: who }.into()
			}
			Some(error) => Event::ReportEntryRefused {
				stream,
				index,
				reporter: who,
				error: DispatchError::from(error),
			}
			.into(),
		});
	}
	holders.retain(|_, h| !h.is_empty());
	let first_event = System::events().len();
	assert_transition(
		before,
		|| {
			DataRegistry::report_availability(
				RuntimeOrigin::signed(who),
				BoundedVec::truncate_from(reports.to_vec()),
			)
		},
		|s| {
			s.availability = holders;
			s.signals.push((who, Signal::DataContributed(accepted)));
		},
	);
	let emitted: Vec<RuntimeEvent> =
		System::events().into_iter().skip(first_event).map(|r| r.event).collect();
	assert_eq!(emitted, events, "one event per entry, in order");
	accepted
}

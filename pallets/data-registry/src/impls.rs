//! The pallet's own logic behind its calls: ownership and record checks, deposits, the views
//! of the runtime API, the invariants of `try_state`, and [`StreamInspect`] and
//! [`RecordInspect`] for other pallets.

use alloc::vec::Vec;
use cpchain_primitives::data::{
	is_cid_string, DeviceId, DeviceStatus, DeviceView, IntervalIndex, RecordIndex, RecordInspect,
	RecordView, StreamId, StreamInspect, StreamParams, StreamSummary, StreamView,
};
use frame_support::{
	ensure,
	traits::{fungible::MutateHold, tokens::Precision},
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_core::H256;
use sp_runtime::{traits::Zero, DispatchResult};

use crate::{
	BalanceOf, Config, DeviceOf, Devices, Error, HoldReason, NewRecordOf, Pallet, Records,
	StreamOf, Streams, MAX_RECORDS_PER_QUERY,
};

impl<T: Config> Pallet<T> {
	/// The device behind `entry` if `who` owns it and it is in service.
	pub(crate) fn owned_active<'a>(
		entry: Option<&'a mut DeviceOf<T>>,
		who: &T::AccountId,
	) -> Result<&'a mut DeviceOf<T>, Error<T>> {
		let d = entry.ok_or(Error::<T>::UnknownDevice)?;
		ensure!(&d.owner == who, Error::<T>::NotOwner);
		ensure!(d.status == DeviceStatus::Active, Error::<T>::DeviceRevoked);
		Ok(d)
	}

	/// The checks of a new record against its stream that need no signature.
	pub(crate) fn check_record(s: &StreamOf<T>, r: &NewRecordOf<T>) -> Result<(), Error<T>> {
		ensure!(!r.cid.is_empty(), Error::<T>::EmptyCid);
		ensure!(is_cid_string(&r.cid), Error::<T>::InvalidCid);
		ensure!(r.size > 0, Error::<T>::EmptyRecord);
		ensure!(r.intervals.is_valid(), Error::<T>::InvalidIntervalRange);
		// The last record's final interval may continue; anything before it may not.
		ensure!(
			r.intervals.first >= s.next_interval.saturating_sub(1),
			Error::<T>::IntervalsOutOfOrder
		);
		let max_span = Self::max_intervals_per_record(&s.params);
		ensure!(
			r.intervals.last.saturating_sub(r.intervals.first) < max_span,
			Error::<T>::IntervalsBeyondUpload
		);
		ensure!(r.timestamp_ms >= s.last_timestamp_ms, Error::<T>::TimestampInPast);
		ensure!(r.prev == s.last_record_hash, Error::<T>::BrokenHashChain);
		Ok(())
	}

	/// How many intervals one upload can touch: `u` blocks of which every `e` share a key
	/// span at most `ceil(u / e)` intervals, plus one when the upload starts mid-interval.
	pub fn max_intervals_per_record(params: &StreamParams) -> IntervalIndex {
		let u = params.upload_interval as u64;
		let e = (params.encryption_interval as u64).max(1);
		u.div_ceil(e).saturating_add(1)
	}

	/// The genesis hash, which binds device signatures to this chain.
	pub(crate) fn genesis_hash() -> H256 {
		frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero())
	}

	pub(crate) fn hold(who: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		if amount.is_zero() {
			return Ok(());
		}
		T::Currency::hold(&HoldReason::DataDeposit.into(), who, amount)
			.map_err(|_| Error::<T>::InsufficientBalance.into())
	}

	pub(crate) fn release(who: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		if amount.is_zero() {
			return Ok(());
		}
		T::Currency::release(&HoldReason::DataDeposit.into(), who, amount, Precision::Exact)
			.map(|_| ())
	}

	/// A device as the runtime API shows it.
	pub fn device_view(device: DeviceId) -> Option<DeviceView<T::AccountId, BlockNumberFor<T>>> {
		Devices::<T>::get(device).map(|d| DeviceView {
			owner: d.owner,
			key: d.key,
			retired_keys: d.retired_keys.into_inner(),
			status: d.status,
			offered_to: d.offered_to,
			metadata: d.metadata.into_inner(),
			streams: d.streams,
		})
	}

	/// A stream as the runtime API shows it.
	pub fn stream_view(stream: StreamId) -> Option<StreamView<T::AccountId>> {
		let s = Streams::<T>::get(stream)?;
		let owner = Devices::<T>::get(s.device)?.owner;
		Some(StreamView {
			device: s.device,
			owner,
			name: s.name.into_inner(),
			schema: s.schema.into_inner(),
			params: s.params,
			first_record: s.first_record,
			next_record: s.next_record,
			last_record_hash: s.last_record_hash,
			next_interval: s.next_interval,
		})
	}

	/// Stored records `from..from + count` of a stream (at most [`MAX_RECORDS_PER_QUERY`]).
	pub fn records_view(
		stream: StreamId,
		from: RecordIndex,
		count: u32,
	) -> Vec<RecordView<BlockNumberFor<T>>> {
		let Some(s) = Streams::<T>::get(stream) else { return Vec::new() };
		let start = from.max(s.first_record);
		let end = from.saturating_add(count.min(MAX_RECORDS_PER_QUERY) as u64).min(s.next_record);
		(start..end)
			.filter_map(|index| {
				Records::<T>::get(stream, index).map(|r| RecordView {
					index,
					cid: r.cid.into_inner(),
					content_hash: r.content_hash,
					merkle_root: r.merkle_root,
					size: r.size,
					intervals: r.intervals,
					timestamp_ms: r.timestamp_ms,
					prev: r.prev,
					hash: r.hash,
					device_signed: r.device_signed,
					registered_at: r.registered_at,
				})
			})
			.collect()
	}

	/// Checks the pallet's invariants: ids below their counters, stored records exactly
	/// `first_record..next_record` of each stream and linked by hash, deposits adding up per
	/// stream, per device and per owner.
	#[cfg(any(feature = "try-runtime", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use crate::{Availability, NextDeviceId, NextStreamId};
		use alloc::collections::btree_map::BTreeMap;
		use frame_support::traits::fungible::InspectHold;
		use sp_runtime::traits::Saturating;
		let mut streams_of: BTreeMap<DeviceId, (u32, BalanceOf<T>)> = BTreeMap::new();
		for (id, s) in Streams::<T>::iter() {
			ensure!(id < NextStreamId::<T>::get(), "stream id not below the counter");
			ensure!(Devices::<T>::contains_key(s.device), "stream of an unknown device");
			ensure!(s.first_record <= s.next_record, "stream record range reversed");
			let mut sum = s.own_deposit;
			let mut prev: Option<H256> = None;
			for index in s.first_record..s.next_record {
				let r = Records::<T>::get(id, index).ok_or("stored record missing")?;
				if let Some(prev) = prev {
					ensure!(r.prev == prev, "records not linked by hash");
				}
				prev = Some(r.hash);
				sum = sum.saturating_add(r.deposit);
			}
			if let Some(last) = prev {
				ensure!(last == s.last_record_hash, "last record hash mismatch");
			}
			ensure!(sum == s.deposit, "stream deposit does not add up");
			let entry = streams_of.entry(s.device).or_insert((0, Zero::zero()));
			entry.0 = entry.0.saturating_add(1);
			entry.1 = entry.1.saturating_add(s.deposit);
		}
		let stored: usize = Records::<T>::iter_keys().count();
		let expected: u64 =
			Streams::<T>::iter_values().map(|s| s.next_record - s.first_record).sum();
		ensure!(stored as u64 == expected, "records outside their stream's range");
		for (stream, index, holders) in Availability::<T>::iter() {
			ensure!(Records::<T>::contains_key(stream, index), "availability of a pruned record");
			ensure!(!holders.is_empty(), "empty availability entry");
		}
		let mut held: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		for (id, d) in Devices::<T>::iter() {
			ensure!(id < NextDeviceId::<T>::get(), "device id not below the counter");
			let (streams, deposits) = streams_of.get(&id).copied().unwrap_or_default();
			ensure!(d.streams == streams, "device stream count mismatch");
			ensure!(d.deposit == d.own_deposit.saturating_add(deposits), "device deposit mismatch");
			let entry = held.entry(d.owner.clone()).or_insert(Zero::zero());
			*entry = entry.saturating_add(d.deposit);
		}
		for (who, amount) in held {
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::DataDeposit.into(), &who) == amount,
				"held deposit differs from the registry's"
			);
		}
		Ok(())
	}
}

impl<T: Config> StreamInspect<T::AccountId> for Pallet<T> {
	fn stream(stream: StreamId) -> Option<StreamSummary<T::AccountId>> {
		let s = Streams::<T>::get(stream)?;
		let owner = Devices::<T>::get(s.device)?.owner;
		Some(StreamSummary { owner, next_interval: s.next_interval })
	}
}

impl<T: Config> RecordInspect<BlockNumberFor<T>> for Pallet<T> {
	/// A binary search over the stream's stored records: at most ⌈log₂ n⌉ + 1 reads for `n`
	/// records. Records are appended in interval order (a record starts no earlier than the
	/// last interval of the one before), so their last intervals never decrease and the first
	/// record whose last interval reaches `interval` is the only one that can cover it.
	fn recorded_at(stream: StreamId, interval: IntervalIndex) -> Option<BlockNumberFor<T>> {
		let s = Streams::<T>::get(stream)?;
		let (mut low, mut high) = (s.first_record, s.next_record);
		while low < high {
			let mid = low + (high - low) / 2;
			match Records::<T>::get(stream, mid) {
				Some(r) if r.intervals.last < interval => low = mid + 1,
				Some(_) => high = mid,
				// Not reachable while `try_state` holds (every index of the range is stored).
				None => return None,
			}
		}
		Records::<T>::get(stream, low)
			.filter(|r| r.intervals.contains(interval))
			.map(|r| r.registered_at)
	}
}

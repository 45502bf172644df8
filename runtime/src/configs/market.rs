//! The data market (`pallet-market`): listings of stream intervals, orders paid into escrow,
//! settlement per interval against the data registry's records and access control's grants.

use frame_support::{parameter_types, traits::ConstU32};
use sp_runtime::Permill;

use crate::{deposit, AccountId, Balance, BlockNumber, Runtime, RuntimeHoldReason, DAYS, MINUTES};

parameter_types! {
	/// A listing's entry without its text: seller, stream, kind, price, deposit.
	pub const ListingDepositBase: Balance = deposit(1, 120);
	/// Each byte of a listing's title, description, tags and terms.
	pub const ListingDepositPerByte: Balance = deposit(0, 1);
	/// An order stores about 250 bytes until it is removed.
	pub const OrderDeposit: Balance = deposit(1, 250);
	/// No market fee yet: sellers get the whole price. A fee needs `FeeCollector` to be an
	/// account that exists, or payments smaller than the existential deposit would be refunded.
	pub const MarketFee: Permill = Permill::zero();
	/// Where fees would go: the market's own account.
	pub FeeCollector: AccountId =
		sp_runtime::traits::AccountIdConversion::into_account_truncating(&frame_support::PalletId(*b"cp/mrket"));
	/// A record is due ten minutes after its interval ends (uploads are batched and pinned).
	pub const DeliveryWindow: BlockNumber = 10 * MINUTES;
	/// The buyer has an hour after that to confirm or complain before silence is acceptance.
	pub const ConfirmWindow: BlockNumber = 60 * MINUTES;
	/// A buyer rates the seller within a week of the order closing.
	pub const RatingWindow: BlockNumber = 7 * DAYS;
}

impl pallet_market::Config for Runtime {
	type Currency = crate::Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Streams = crate::DataRegistry;
	type Records = crate::DataRegistry;
	type Grants = crate::AccessControl;
	type Reputation = crate::Reputation;
	type MarketFee = MarketFee;
	type FeeCollector = FeeCollector;
	type ListingDepositBase = ListingDepositBase;
	type ListingDepositPerByte = ListingDepositPerByte;
	type OrderDeposit = OrderDeposit;
	type MaxTitleLen = ConstU32<{ cpchain_primitives::market::MAX_TITLE_LEN }>;
	type MaxDescriptionLen = ConstU32<{ cpchain_primitives::market::MAX_DESCRIPTION_LEN }>;
	type MaxTags = ConstU32<{ cpchain_primitives::market::MAX_TAGS }>;
	type MaxTagLen = ConstU32<{ cpchain_primitives::market::MAX_TAG_LEN }>;
	type MaxCidLen = ConstU32<{ cpchain_primitives::data::MAX_CID_LEN }>;
	// A year of hourly intervals.
	type MaxIntervalsPerOrder = ConstU32<{ 24 * 366 }>;
	// Each interval may read every grant of the buyer on the stream (up to 256) before it
	// finds the one that covers it: a call settles few intervals.
	type MaxSettlePerCall = ConstU32<16>;
	type DeliveryWindow = DeliveryWindow;
	type ConfirmWindow = ConfirmWindow;
	type RatingWindow = RatingWindow;
	type WeightInfo = crate::weights::pallet_market::WeightInfo<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = benchmark_helper::StreamsRecordsGrants;
}

#[cfg(feature = "runtime-benchmarks")]
pub(crate) mod benchmark_helper {
	use super::*;
	use cpchain_primitives::data::{IntervalIndex, IntervalRange, StreamId};
	use frame_support::traits::Get;
	use frame_system::RawOrigin;
	use pallet_access_control::BenchmarkHelper as _;
	use sp_core::H256;

	/// Streams and records through the data registry's calls; grants written into access
	/// control's storage as `grant` would (its Umbral keys and proxies play no part in
	/// `is_authorized`), with the worst case for the lookup: as many grants of the buyer on
	/// the stream as the stream may have, of which only the one the lookup meets last covers
	/// the intervals.
	pub struct StreamsRecordsGrants;

	fn append(owner: &AccountId, stream: StreamId, upto: IntervalIndex) {
		loop {
			let Some(s) = pallet_data_registry::Streams::<Runtime>::get(stream) else { return };
			if s.next_interval > upto {
				return;
			}
			// Setup may append more records than one block takes.
			pallet_data_registry::NewRecords::<Runtime>::kill();
			let record = pallet_data_registry::NewRecordOf::<Runtime> {
				cid: sp_runtime::BoundedVec::truncate_from(b"bafybench".to_vec()),
				content_hash: H256::repeat_byte(1),
				merkle_root: H256::repeat_byte(2),
				size: 1 << 20,
				intervals: IntervalRange { first: s.next_interval, last: s.next_interval },
				timestamp_ms: s.last_timestamp_ms.saturating_add(1),
				prev: s.last_record_hash,
			};
			crate::DataRegistry::append_record(
				RawOrigin::Signed(owner.clone()).into(),
				stream,
				record,
				None,
			)
			.expect("a funded owner appends the chained record; qed");
		}
	}

	impl pallet_market::BenchmarkHelper<AccountId> for StreamsRecordsGrants {
		fn stream_of(owner: &AccountId, recorded: IntervalIndex) -> StreamId {
			let stream = super::super::data::benchmark_helper::StreamsAndKeys::stream_of(owner);
			if recorded > 0 {
				append(owner, stream, recorded - 1);
			}
			stream
		}

		fn deliver(
			stream: StreamId,
			owner: &AccountId,
			buyer: &AccountId,
			intervals: IntervalRange,
		) {
			use pallet_access_control::{Grant, Grants, GrantsOf, NextGrantId};
			append(owner, stream, intervals.last);
			let max = <Runtime as pallet_access_control::Config>::MaxGrantsPerStream::get();
			for i in 0..max {
				let id = NextGrantId::<Runtime>::get();
				NextGrantId::<Runtime>::put(id + 1);
				// Every grant lies beyond the intervals, until one is made to cover them below.
				let past = intervals.last + 1 + IntervalIndex::from(i);
				Grants::<Runtime>::insert(
					id,
					Grant {
						stream,
						grantor: owner.clone(),
						grantee: buyer.clone(),
						intervals: IntervalRange { first: past, last: past },
						expires_at: BlockNumber::MAX,
						proxies: Default::default(),
						threshold: 1,
						deposit: 0,
					},
				);
				GrantsOf::<Runtime>::insert((buyer, stream, id), ());
			}
			// The lookup walks the buyer's grants on the stream in the order of their hashed
			// keys and stops at the first that covers the interval: the one it meets last
			// covers them, so that every interval reads every grant.
			if let Some(last) = GrantsOf::<Runtime>::iter_key_prefix((buyer, stream)).last() {
				Grants::<Runtime>::mutate(last, |g| {
					if let Some(g) = g {
						g.intervals = intervals;
					}
				});
			}
		}
	}
}

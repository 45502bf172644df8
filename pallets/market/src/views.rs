//! What the runtime API (`MarketApi`) shows: listings and orders as plain views, read in
//! bounded pages.

use cpchain_primitives::market::{
	ListingId, ListingView, NextSettlement, OrderId, OrderStatus, OrderView, Page,
};
use frame_system::pallet_prelude::BlockNumberFor;

use crate::{BalanceOf, Config, Frozen, Listing, Listings, Order, Orders, Pallet, Resumed};

impl<T: Config> Pallet<T> {
	/// Listing `id` as the runtime API shows it.
	pub fn listing_view(
		id: ListingId,
	) -> Option<ListingView<T::AccountId, BalanceOf<T>, BlockNumberFor<T>>> {
		Listings::<T>::get(id).map(|l| Self::to_listing_view(id, l))
	}

	/// The listings among ids `from ..= from + max - 1` (`max` capped at [`cpchain_primitives::market::MAX_PAGE`]).
	pub fn listings_page(
		from: ListingId,
		max: u32,
	) -> Page<ListingView<T::AccountId, BalanceOf<T>, BlockNumberFor<T>>> {
		Page::of(from, max, crate::NextListingId::<T>::get(), Self::listing_view)
	}

	/// Order `id` as the runtime API shows it.
	pub fn order_view(
		id: OrderId,
	) -> Option<OrderView<T::AccountId, BalanceOf<T>, BlockNumberFor<T>>> {
		Orders::<T>::get(id).map(|o| Self::to_order_view(id, o))
	}

	/// The orders among ids `from ..= from + max - 1` (`max` capped at [`cpchain_primitives::market::MAX_PAGE`]).
	pub fn orders_page(
		from: OrderId,
		max: u32,
	) -> Page<OrderView<T::AccountId, BalanceOf<T>, BlockNumberFor<T>>> {
		Page::of(from, max, crate::NextOrderId::<T>::get(), Self::order_view)
	}

	fn to_listing_view(
		id: ListingId,
		l: Listing<T>,
	) -> ListingView<T::AccountId, BalanceOf<T>, BlockNumberFor<T>> {
		ListingView {
			id,
			seller: l.seller,
			stream: l.stream,
			kind: l.kind,
			price: l.price,
			title: l.text.title.into_inner(),
			description: l.text.description.into_inner(),
			tags: l.text.tags.into_iter().map(|t| t.into_inner()).collect(),
			licence_hash: l.text.licence_hash,
			terms_cid: l.text.terms_cid.map(|c| c.into_inner()),
			deposit: l.deposit,
		}
	}

	fn to_order_view(
		id: OrderId,
		o: Order<T>,
	) -> OrderView<T::AccountId, BalanceOf<T>, BlockNumberFor<T>> {
		let next = (o.status == OrderStatus::Open && o.settled < o.count()).then(|| {
			let k = o.settled;
			NextSettlement {
				interval: o.intervals.first.saturating_add(k.into()),
				due: Self::due_at(&o, k),
				settles_at: Self::settles_after_dispute(&o, k, Resumed::<T>::get(id)),
			}
		});
		OrderView {
			id,
			listing: o.listing,
			buyer: o.buyer,
			seller: o.seller,
			stream: o.stream,
			intervals: o.intervals,
			ordered: o.ordered,
			price: o.price,
			settled: o.settled,
			held: o.held,
			paid: o.paid,
			refunded: o.refunded,
			rated: o.rated,
			status: o.status,
			next,
			disputed: Frozen::<T>::get(id).map(|f| f.intervals),
		}
	}
}

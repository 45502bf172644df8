//! Shared `no_std` types and constants of CPChain on Substrate.
//!
//! The runtime, the node and the off-chain clients all name accounts, balances and blocks
//! through these aliases, so that a change here changes them everywhere at once.
#![cfg_attr(not(feature = "std"), no_std)]
#![deny(missing_docs)]

extern crate alloc;

pub mod access;
pub mod committee;
pub mod consensus;
pub mod data;
pub mod dispute;
pub mod market;
pub mod reputation;

use sp_runtime::{
	generic,
	traits::{BlakeTwo256, IdentifyAccount, Verify},
	MultiSignature,
};

/// An index to a block.
pub type BlockNumber = u32;

/// Alias to 512-bit hash when used in the context of a transaction signature on the chain.
pub type Signature = MultiSignature;

/// Some way of identifying an account on the chain. We intentionally make it equivalent
/// to the public key of our transaction signing scheme.
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;

/// Balance of an account, in the smallest unit (10^-18 CPC).
pub type Balance = u128;

/// Index of a transaction in the chain.
pub type Nonce = u32;

/// A hash of some data used by the chain.
pub type Hash = sp_core::H256;

/// Block header type as expected by this runtime.
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;

/// Token and address constants that wallets (polkadot.js apps) read from `system_properties`.
pub mod currency {
	use super::Balance;

	/// The ticker of the native token.
	pub const TOKEN_SYMBOL: &str = "CPC";
	/// Decimal places of the native token: 1 CPC = 10^18 units, as on the original CPChain.
	pub const TOKEN_DECIMALS: u8 = 18;
	/// The SS58 address prefix. 42 is the generic Substrate prefix: CPChain has no registered
	/// prefix of its own yet, and 42 keeps every wallet and tool working out of the box.
	pub const SS58_PREFIX: u16 = 42;

	/// One CPC in units.
	pub const CPC: Balance = 1_000_000_000_000_000_000;
	/// One thousandth of a CPC.
	pub const MILLI_CPC: Balance = CPC / 1_000;
	/// One millionth of a CPC.
	pub const MICRO_CPC: Balance = CPC / 1_000_000;

	/// Storage deposit for `items` storage items holding `bytes` bytes in all.
	pub const fn deposit(items: u32, bytes: u32) -> Balance {
		(items as Balance) * 10 * MILLI_CPC + (bytes as Balance) * 10 * MICRO_CPC
	}
}

/// Block time and the number of blocks in common time spans.
pub mod time {
	use super::BlockNumber;

	/// Target block time in milliseconds.
	///
	/// A DPoR leader builds its block this long after the previous one was proposed
	/// (`pallet_timestamp::MinimumPeriod` is half of it).
	pub const MILLI_SECS_PER_BLOCK: u64 = 3_000;

	/// Blocks per minute.
	pub const MINUTES: BlockNumber = 60_000 / (MILLI_SECS_PER_BLOCK as BlockNumber);
	/// Blocks per hour.
	pub const HOURS: BlockNumber = MINUTES * 60;
	/// Blocks per day.
	pub const DAYS: BlockNumber = HOURS * 24;

	/// Blocks per DPoR term: one committee serves this long, and one election runs per term.
	/// Short (one minute) so that elections are visible on local test networks; a public
	/// network would use hours.
	pub const TERM_LENGTH: BlockNumber = MINUTES;

	/// The base time a committee member waits for a view's block before it votes to change
	/// the view (doubled at each consecutive view change).
	pub const BASE_VIEW_TIMEOUT_MS: u64 = 2 * MILLI_SECS_PER_BLOCK;
}

#[cfg(test)]
mod tests {
	use super::currency::*;

	#[test]
	fn deposit_grows_with_items_and_bytes() {
		assert_eq!(deposit(0, 0), 0);
		assert!(deposit(1, 0) > deposit(0, 1));
		assert_eq!(deposit(2, 100), 2 * deposit(1, 0) + deposit(0, 100));
	}

	#[test]
	fn units_are_consistent() {
		assert_eq!(CPC, 10u128.pow(TOKEN_DECIMALS as u32));
		assert_eq!(MILLI_CPC * 1_000, CPC);
		assert_eq!(MICRO_CPC * 1_000, MILLI_CPC);
	}
}

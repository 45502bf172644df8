//! The reputation system's shared vocabulary: the signals pallets report about accounts and
//! the scores the committee election reads.
//!
//! The pallets talk to each other only through the small traits below, so that the data,
//! market and dispute pallets can feed reputation without depending on the reputation pallet,
//! and so that the committee pallet can be tested against any reputation source.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_runtime::Weight;

/// A reputation score. Scores are only compared with each other and used as sampling weights,
/// so the unit is arbitrary; see the reputation pallet for how it is computed.
pub type ReputationScore = u32;

/// Something an account did that the chain's reputation system takes into account.
///
/// Other pallets report signals through [`ReputationSink`]; the reputation pallet counts them
/// for RNodes and ignores them for everybody else.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
)]
pub enum Signal {
	/// The account authored a block in its slot.
	#[codec(index = 0)]
	BlockAuthored,
	/// The account was due to author a block and did not.
	#[codec(index = 1)]
	SlotMissed,
	/// The account registered this many data records (data registry).
	#[codec(index = 2)]
	DataContributed(u32),
	/// The account sold data this many times (market).
	#[codec(index = 3)]
	DataSold(u32),
	/// The account served this many attested re-encryptions as a proxy (access control).
	#[codec(index = 4)]
	ProxyServed(u32),
	/// The account, as a committee leader, was impeached (its view was changed away).
	#[codec(index = 5)]
	Impeached,
	/// The account lost a market dispute.
	#[codec(index = 6)]
	DisputeLost,
	/// The account was reported for signing two conflicting consensus votes.
	#[codec(index = 7)]
	Equivocated,
}

impl Signal {
	/// Whether the signal is a penalty rather than a contribution.
	pub fn is_penalty(&self) -> bool {
		matches!(self, Signal::Impeached | Signal::DisputeLost | Signal::Equivocated)
	}
}

/// Where pallets report reputation signals. `()` ignores them (for runtimes and tests without
/// a reputation system).
pub trait ReputationSink<AccountId> {
	/// Records that `who` did `signal`. Never fails: accounts that the reputation system does
	/// not track are ignored.
	fn note(who: &AccountId, signal: Signal);
}

impl<AccountId> ReputationSink<AccountId> for () {
	fn note(_who: &AccountId, _signal: Signal) {}
}

/// Read access to the reputation system, for the committee election.
pub trait ReputationProvider<AccountId> {
	/// Whether `who` is an admitted RNode (bonded at least the minimum) right now.
	fn is_rnode(who: &AccountId) -> bool;
	/// The reputation of `who` as of the last recomputation; zero for non-RNodes.
	fn reputation(who: &AccountId) -> ReputationScore;
	/// Recomputes the reputation of every RNode from the signals gathered since the last
	/// recomputation, and starts a new window. Called once per term, before the election.
	/// Returns the weight it used.
	fn recompute() -> Weight;
}

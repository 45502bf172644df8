//! The gossip validator of `/<genesis>/dpor/1`: drops malformed, oversized, stale,
//! far-future (in height, or in view beyond [`VIEW_WINDOW`](crate::buffers::VIEW_WINDOW)), replayed (another term) and
//! badly signed messages (lowering the sender's reputation for all but stale ones), and keeps
//! valid messages of the current height so that every node, committee member or not, relays
//! them. Messages of the next height are checked against this term's committee before the
//! worker gets them (and are not relayed): unverified ones would let any peer fill the
//! worker's buffer.

use std::sync::Arc;

use codec::Decode;
use cpchain_primitives::{
	consensus::Committee,
	consensus::{AuthorityId, DporMessage, Height},
};
use parking_lot::{Mutex, RwLock};
use sc_network::{PeerId, ReputationChange};
use sc_network_gossip::{ValidationResult, Validator, ValidatorContext};
use sp_core::H256;
use sp_runtime::traits::{Block as BlockT, Hash as HashT};

use crate::{
	buffers::{within_window, Slot},
	messages::{check_message, MessageError, MAX_MESSAGE_SIZE},
};
use cpchain_dpor_bft::View;

/// The reputation cost of a message that does not decode or is too large.
pub const COST_MALFORMED: ReputationChange = ReputationChange::new(-500, "DPoR: malformed message");
/// The reputation cost of a message with a bad signature or signer.
pub const COST_BAD_SIGNATURE: ReputationChange =
	ReputationChange::new(-1000, "DPoR: bad signature");
/// The reputation cost of a message of the current height for another term: no honest node
/// sends one (a height's term is fixed), so it is a replay.
pub const COST_REPLAY: ReputationChange =
	ReputationChange::new(-1000, "DPoR: message of another term");
/// The reputation cost of a message far ahead of the chain.
pub const COST_FUTURE: ReputationChange = ReputationChange::new(-100, "DPoR: far-future message");
/// The reputation gain of a new valid message.
pub const BENEFIT_VALID: ReputationChange = ReputationChange::new(10, "DPoR: valid message");

/// The single gossip topic of DPoR messages (they expire by height, not by topic).
pub fn topic<B: BlockT>() -> B::Hash {
	<<B::Header as sp_runtime::traits::Header>::Hashing as HashT>::hash(b"cpchain/dpor/messages/1")
}

/// What the validator checks against: the height being decided and its committee.
#[derive(Clone)]
pub struct Round {
	/// The height being decided (finalised height + 1).
	pub height: Height,
	/// Its committee.
	pub committee: Committee<AuthorityId>,
	/// The voter's current view at this height (messages are relayed up to
	/// [`VIEW_WINDOW`](crate::buffers::VIEW_WINDOW) views past it).
	pub view: View,
}

/// The gossip validator.
pub struct GossipValidator {
	genesis: H256,
	round: RwLock<Option<Round>>,
	reports: Mutex<Vec<(PeerId, ReputationChange)>>,
}

impl GossipValidator {
	/// A validator for the chain with genesis `genesis`, accepting nothing until
	/// [`GossipValidator::set_round`].
	pub fn new(genesis: H256) -> Arc<Self> {
		Arc::new(Self { genesis, round: RwLock::new(None), reports: Mutex::new(Vec::new()) })
	}

	/// Moves to a new height.
	pub fn set_round(&self, round: Round) {
		*self.round.write() = Some(round);
	}

	/// Moves to a new view of the current height.
	pub fn set_view(&self, view: View) {
		if let Some(round) = self.round.write().as_mut() {
			round.view = view;
		}
	}

	/// The reputation changes decided since the last call, for the network to apply.
	pub fn take_reports(&self) -> Vec<(PeerId, ReputationChange)> {
		std::mem::take(&mut *self.reports.lock())
	}

	fn report(&self, who: &PeerId, change: ReputationChange) {
		let mut reports = self.reports.lock();
		// Bounded: a flood of bad messages cannot grow this without limit between drains.
		if reports.len() < 1024 {
			reports.push((*who, change));
		}
	}

	/// Decides what to do with `data` from `sender` (exposed for tests).
	pub fn check(&self, sender: &PeerId, data: &[u8]) -> Verdict {
		if data.len() > MAX_MESSAGE_SIZE {
			self.report(sender, COST_MALFORMED);
			return Verdict::Discard;
		}
		let mut bytes = data;
		let Ok(message) = DporMessage::decode(&mut bytes) else {
			self.report(sender, COST_MALFORMED);
			return Verdict::Discard;
		};
		if !bytes.is_empty() {
			self.report(sender, COST_MALFORMED);
			return Verdict::Discard;
		}
		let Some(round) = self.round.read().clone() else { return Verdict::Discard };
		let height = message.height();
		if height < round.height {
			// Stale: the sender may simply lag; no penalty.
			return Verdict::Discard;
		}
		if height > round.height.saturating_add(1) {
			self.report(sender, COST_FUTURE);
			return Verdict::Discard;
		}
		// A new height starts at view 0.
		let current_view = if height == round.height { round.view } else { 0 };
		if !within_window(Slot::of(&message).view(), current_view) {
			self.report(sender, COST_FUTURE);
			return Verdict::Discard;
		}
		if height == round.height {
			return match check_message(&message, height, &round.committee, &self.genesis) {
				Ok(()) => {
					self.report(sender, BENEFIT_VALID);
					Verdict::Keep
				}
				Err(MessageError::WrongTerm) => {
					self.report(sender, COST_REPLAY);
					Verdict::Discard
				}
				Err(_) => {
					self.report(sender, COST_BAD_SIGNATURE);
					Verdict::Discard
				}
			};
		}
		// The next height: checked against this term's committee, then handed to the worker
		// only (not relayed before this node gets there). A message of another term cannot be
		// checked yet (the next committee is not on chain in a form the node trusts before
		// the term starts): dropped without a penalty; its sender re-broadcasts.
		match check_message(&message, height, &round.committee, &self.genesis) {
			Ok(()) => {
				self.report(sender, BENEFIT_VALID);
				Verdict::ProcessOnly
			}
			Err(MessageError::WrongTerm) => Verdict::Discard,
			Err(_) => {
				self.report(sender, COST_BAD_SIGNATURE);
				Verdict::Discard
			}
		}
	}
}

/// What the validator decided.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
	/// Valid for the current height: deliver and relay.
	Keep,
	/// The next height: deliver to the worker only.
	ProcessOnly,
	/// Drop.
	Discard,
}

impl<B: BlockT> Validator<B> for GossipValidator {
	fn validate(
		&self,
		_context: &mut dyn ValidatorContext<B>,
		sender: &PeerId,
		data: &[u8],
	) -> ValidationResult<B::Hash> {
		match self.check(sender, data) {
			Verdict::Keep => ValidationResult::ProcessAndKeep(topic::<B>()),
			Verdict::ProcessOnly => ValidationResult::ProcessAndDiscard(topic::<B>()),
			Verdict::Discard => ValidationResult::Discard,
		}
	}

	fn message_expired<'a>(&'a self) -> Box<dyn FnMut(B::Hash, &[u8]) -> bool + 'a> {
		let current = self.round.read().as_ref().map(|r| r.height).unwrap_or(0);
		Box::new(move |_topic, mut data| match DporMessage::decode(&mut data) {
			Ok(message) => message.height() < current,
			Err(_) => true,
		})
	}
}

//! What the voter needs from the network: the DPoR messages other nodes send (already passed
//! by the [gossip validator](crate::gossip)), a way to gossip its own, and a way to report
//! peers. The node uses Substrate's gossip engine; tests plug in an in-memory network of
//! several voters (`tests/byzantine.rs`).

use futures::{future::BoxFuture, prelude::*};
use sc_network::{PeerId, ReputationChange};
use sc_network_gossip::{GossipEngine, TopicNotification};
use sp_runtime::traits::Block as BlockT;

use crate::gossip::topic;

/// A DPoR message as it arrived, with the peer that sent it (`None`: this node).
pub type Incoming = (Vec<u8>, Option<PeerId>);

/// The voter's network.
pub trait Gossip: Send {
	/// The next message the validator let through; `None` once the network is gone (the
	/// voter stops). Must be cancel-safe: the voter drops the future when another input wins.
	fn next_message(&mut self) -> BoxFuture<'_, Option<Incoming>>;
	/// Gossips an encoded message of this node to its peers.
	fn broadcast(&mut self, message: Vec<u8>);
	/// Applies a reputation change decided by the validator.
	fn report(&mut self, who: PeerId, change: ReputationChange);
}

/// Substrate's gossip engine on the DPoR topic.
pub struct EngineGossip<B: BlockT> {
	engine: GossipEngine<B>,
	incoming: futures::channel::mpsc::Receiver<TopicNotification>,
}

impl<B: BlockT> EngineGossip<B> {
	/// Subscribes to the DPoR topic of `engine`.
	pub fn new(mut engine: GossipEngine<B>) -> Self {
		let incoming = engine.messages_for(topic::<B>());
		Self { engine, incoming }
	}
}

impl<B: BlockT> Gossip for EngineGossip<B> {
	fn next_message(&mut self) -> BoxFuture<'_, Option<Incoming>> {
		async move {
			// The engine future drives the network and resolves when it shuts down.
			futures::select! {
				_ = (&mut self.engine).fuse() => None,
				m = self.incoming.next() => m.map(|n| (n.message, n.sender)),
			}
		}
		.boxed()
	}

	fn broadcast(&mut self, message: Vec<u8>) {
		self.engine.gossip_message(topic::<B>(), message, false);
	}

	fn report(&mut self, who: PeerId, change: ReputationChange) {
		self.engine.report(who, change);
	}
}

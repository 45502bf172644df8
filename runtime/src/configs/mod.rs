//! Configuration of every pallet in the runtime, one module per concern.

pub mod committee;
pub mod consensus;
pub mod contracts;
pub mod data;
pub mod dispute;
pub mod market;
pub mod monetary;
pub mod reputation;
pub mod system;

pub use system::{BlockHashCount, RuntimeBlockLength, RuntimeBlockWeights};

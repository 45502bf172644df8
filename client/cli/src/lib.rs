//! The CPChain data plane as a library: what `cpc` is built from, and what the proxy network
//! and the market indexer reuse.
//!
//! - [`upload`]: the format of an upload (what a record's CID holds) and its checks;
//! - [`fetch`]: bounded downloads checked against their records, and reading streams back;
//! - [`ingest`] and [`journal`]: cutting readings into encrypted uploads, resumably;
//! - [`proxy`]: the re-encryption proxy's rules ([`proxy::ProxyService`], [`proxy::LocalProxy`]);
//! - [`chain`] and [`records`]: the node over RPC, in the runtime's own types;
//! - [`keystore`] and [`files`]: encrypted key files and private, crash-safe files;
//! - [`readings`]: the input formats (JSON lines, CSV).
//!
//! The command line itself (argument parsing and output) is the `cpc` binary in `main.rs`.

pub mod chain;
pub mod fetch;
pub mod files;
pub mod ingest;
pub mod journal;
pub mod keystore;
pub mod proxy;
pub mod readings;
pub mod records;
pub mod upload;

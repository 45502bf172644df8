//! `IpfsStorage` against a real IPFS daemon on loopback, started with `scripts/ipfs.sh` on free
//! ports in a temporary repository (`./scripts/setup.sh --with-js` installs it when Kubo is not
//! on `PATH`).

use std::{
	net::TcpListener,
	path::{Path, PathBuf},
	process::Command,
	time::Duration,
};

use cpchain_storage::{IpfsStorage, RetryPolicy, Storage, StorageError};

/// A daemon that stops when dropped.
struct Daemon {
	env: Vec<(&'static str, String)>,
	dir: PathBuf,
	api_url: String,
}

fn free_port() -> u16 {
	TcpListener::bind("127.0.0.1:0")
		.and_then(|l| l.local_addr())
		.map(|a| a.port())
		.expect("a free loopback port")
}

fn script() -> PathBuf {
	Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/ipfs.sh")
}

impl Daemon {
	fn start() -> Self {
		let dir = std::env::temp_dir().join(format!("cpchain-storage-test-{}", std::process::id()));
		let api_port = free_port();
		let env = vec![
			("IPFS_PATH", dir.join("repo").display().to_string()),
			("IPFS_API_PORT", api_port.to_string()),
			("IPFS_GATEWAY_PORT", free_port().to_string()),
			("IPFS_SWARM_PORT", free_port().to_string()),
			("IPFS_RPC_PORT", free_port().to_string()),
		];
		let status = Command::new(script())
			.arg("start")
			.envs(env.iter().map(|(k, v)| (*k, v.as_str())))
			.status()
			.expect("scripts/ipfs.sh runs");
		assert!(status.success(), "the IPFS daemon starts (run ./scripts/setup.sh --with-js)");
		Self { env, dir, api_url: format!("http://127.0.0.1:{api_port}") }
	}
}

impl Drop for Daemon {
	fn drop(&mut self) {
		let _ = Command::new(script())
			.arg("stop")
			.envs(self.env.iter().map(|(k, v)| (*k, v.as_str())))
			.status();
		let _ = std::fs::remove_dir_all(&self.dir);
	}
}

/// Pseudo-random bytes (xorshift), so that every run stores new content.
fn bytes(len: usize, seed: u64) -> Vec<u8> {
	let mut x = seed | 1;
	(0..len)
		.map(|_| {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			x as u8
		})
		.collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_get_pin_has_against_a_real_daemon() {
	let daemon = Daemon::start();
	let storage = IpfsStorage::new(&daemon.api_url)
		.expect("valid endpoint")
		.with_read_timeout(Duration::from_secs(5));

	// A round trip of 1 MiB (several IPFS chunks), bit-exact, pinned.
	let seed = std::process::id() as u64;
	let data = bytes(1 << 20, seed);
	let cid = storage.put(data.clone()).await.expect("stores");
	// A CIDv1 (a CIDv0 is base58 starting "Qm"), in the daemon's multibase: Kubo answers
	// base32 ("b..."), js-ipfs base58btc ("z...").
	assert!(cid.starts_with('b') || cid.starts_with('z'), "a CIDv1: {cid}");
	assert!(cid.bytes().all(|c| c.is_ascii_alphanumeric()), "usable on chain: {cid}");
	assert_eq!(storage.get(&cid).await.expect("reads"), data);
	assert!(storage.has(&cid).await.expect("answers"));
	storage.pin(&cid).await.expect("pinning twice is fine");

	// The same bytes give the same CID; other bytes another.
	assert_eq!(storage.put(data).await.expect("stores"), cid);
	assert_ne!(storage.put(bytes(100, seed + 1)).await.expect("stores"), cid);

	// A valid CID whose content this offline daemon does not have.
	let absent = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";
	assert!(!storage.has(absent).await.expect("answers"));
	let missing = IpfsStorage::new(&daemon.api_url)
		.expect("valid endpoint")
		.with_read_timeout(Duration::from_secs(2));
	assert!(matches!(missing.get(absent).await, Err(StorageError::NotFound { .. })));

	// A malformed CID is refused, not retried.
	assert!(matches!(storage.get("not-a-cid").await, Err(StorageError::Refused(_))));
}

#[tokio::test]
async fn an_unreachable_daemon_is_reported_after_retries() {
	let endpoint = format!("http://127.0.0.1:{}", free_port());
	let storage = IpfsStorage::new(&endpoint).expect("valid endpoint").with_retry(RetryPolicy {
		attempts: 3,
		initial_backoff: Duration::from_millis(10),
		max_backoff: Duration::from_millis(20),
	});
	match storage.put(b"x".to_vec()).await {
		Err(StorageError::Unreachable { endpoint: e, attempts: 3, .. }) => assert_eq!(e, endpoint),
		other => panic!("expected Unreachable, got {other:?}"),
	}
	assert!(matches!(IpfsStorage::new("not a url"), Err(StorageError::InvalidEndpoint(_))));
}

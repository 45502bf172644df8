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
	// `cargo test` sets the variable when it runs the test too: prefer that, so a binary built
	// in another checkout that shares the target directory finds this checkout's script.
	let manifest_dir =
		std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into());
	Path::new(&manifest_dir).join("../../scripts/ipfs.sh")
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
	assert_eq!(storage.get(&cid, data.len() as u64).await.expect("reads"), data);
	// An object larger than the caller accepts is refused, by one byte or by far.
	for limit in [data.len() as u64 - 1, 1000, 0] {
		assert!(
			matches!(
				storage.get(&cid, limit).await,
				Err(StorageError::TooLarge { limit: l, .. }) if l == limit
			),
			"{limit} bytes accepted"
		);
	}
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
	assert!(matches!(missing.get(absent, 1 << 20).await, Err(StorageError::NotFound { .. })));

	// A malformed CID is refused, not retried.
	assert!(matches!(storage.get("not-a-cid", 1 << 20).await, Err(StorageError::Refused(_))));
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

/// A daemon that answers every request with an endless body, ignoring the length it was
/// asked for: the worst an object (or a broken daemon) can do to a reader.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_object_is_refused_after_the_accepted_length() {
	use std::io::{Read, Write};
	let listener = TcpListener::bind("127.0.0.1:0").expect("binds");
	let endpoint = format!("http://{}", listener.local_addr().expect("has an address"));
	let server = std::thread::spawn(move || {
		let (mut socket, _) = listener.accept().expect("accepts");
		// A reader that stops reading without hanging up ends the test too (as a failure).
		socket.set_write_timeout(Some(Duration::from_secs(10))).expect("sets a timeout");
		let mut request = [0u8; 4096];
		let _ = socket.read(&mut request);
		let _ = socket.write_all(
			b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\
			  Transfer-Encoding: chunked\r\n\r\n",
		);
		let chunk = [7u8; 1 << 16];
		let mut sent: u64 = 0;
		// Until the reader hangs up, or far more than it could ever buffer.
		while sent < 1 << 32 {
			let head = format!("{:x}\r\n", chunk.len());
			if socket.write_all(head.as_bytes()).is_err()
				|| socket.write_all(&chunk).is_err()
				|| socket.write_all(b"\r\n").is_err()
			{
				break;
			}
			sent += chunk.len() as u64;
		}
		sent
	});
	let storage = IpfsStorage::new(&endpoint).expect("valid endpoint");
	let limit = 1 << 20;
	match storage.get("bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy", limit).await {
		Err(StorageError::TooLarge { limit: l, .. }) => assert_eq!(l, limit),
		other => panic!("expected TooLarge, got {:?}", other.map(|b| b.len())),
	}
	drop(storage);
	let sent = server.join().expect("the server ends once the reader hangs up");
	// What the server got out before the reader hung up: the accepted length, a chunk, and
	// what the sockets' buffers hold; nowhere near the 4 GiB it would have sent.
	assert!(sent < 64 << 20, "the reader took {sent} bytes");
}

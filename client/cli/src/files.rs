//! Files as a tool that keeps secrets writes them.
//!
//! Everything `cpc` writes under its data directory (key files, key fragments, ingest
//! journals with interval keys) and the plaintext it writes for the user is private to the
//! user: directories are created with mode 0700 and files with 0600, whatever the umask.
//! Files are written to a fresh temporary file (a unique name, created exclusively, in the
//! target's directory), synced, renamed over the target and the directory synced, so a crash
//! leaves the old content or the new, never a part, and a rename that the directory lost. Key
//! files are read only if they are regular files, never through a symbolic link.

use std::{
	fs,
	io::Write,
	os::unix::fs::{DirBuilderExt, PermissionsExt},
	path::{Path, PathBuf},
};

use anyhow::{Context, Result};

/// Mode of every directory `cpc` creates.
pub const DIR_MODE: u32 = 0o700;
/// Mode of every file `cpc` writes.
pub const FILE_MODE: u32 = 0o600;

/// Creates `dir` and its missing parents with mode 0700; an existing `dir` is made 0700.
pub fn create_private_dir(dir: &Path) -> Result<()> {
	fs::DirBuilder::new()
		.recursive(true)
		.mode(DIR_MODE)
		.create(dir)
		.with_context(|| format!("cannot create {}", dir.display()))?;
	fs::set_permissions(dir, fs::Permissions::from_mode(DIR_MODE))
		.with_context(|| format!("cannot make {} private", dir.display()))
}

fn parent(path: &Path) -> &Path {
	match path.parent() {
		Some(p) if !p.as_os_str().is_empty() => p,
		_ => Path::new("."),
	}
}

/// Syncs a directory, so that a rename inside it survives a crash.
fn sync_dir(dir: &Path) -> Result<()> {
	fs::File::open(dir)
		.and_then(|d| d.sync_all())
		.with_context(|| format!("cannot sync {}", dir.display()))
}

/// A private file being written; it replaces its target on [`PrivateFile::commit`] and
/// disappears if dropped before.
pub struct PrivateFile {
	file: tempfile::NamedTempFile,
	target: PathBuf,
}

impl PrivateFile {
	/// A new temporary file (mode 0600, a unique name) beside `target`.
	pub fn beside(target: &Path) -> Result<Self> {
		let file = tempfile::Builder::new()
			.prefix(".cpc-")
			.suffix(".tmp")
			.permissions(fs::Permissions::from_mode(FILE_MODE))
			.tempfile_in(parent(target))
			.with_context(|| format!("cannot write beside {}", target.display()))?;
		Ok(Self { file, target: target.to_owned() })
	}

	/// Syncs the file, renames it over the target and syncs the directory.
	pub fn commit(self) -> Result<()> {
		self.file.as_file().sync_all()?;
		let target = self.target;
		self.file
			.persist(&target)
			.map_err(|e| e.error)
			.with_context(|| format!("cannot replace {}", target.display()))?;
		sync_dir(parent(&target))
	}
}

impl PrivateFile {
	/// [`PrivateFile::commit`], unless the target exists: then the target is left alone and
	/// the result is `false`. Atomic (a hard link): of two writers, one wins.
	pub fn commit_new(self) -> Result<bool> {
		self.file.as_file().sync_all()?;
		let target = self.target;
		match self.file.persist_noclobber(&target) {
			Ok(_) => {}
			Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => return Ok(false),
			Err(e) => {
				return Err(e.error).with_context(|| format!("cannot create {}", target.display()))
			}
		}
		sync_dir(parent(&target))?;
		Ok(true)
	}
}

impl Write for PrivateFile {
	fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
		self.file.write(buf)
	}
	fn flush(&mut self) -> std::io::Result<()> {
		self.file.flush()
	}
}

/// Writes `bytes` to `path` (mode 0600) through a temporary file and a rename, so readers see
/// the old or the new content, never a part.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
	let mut file = PrivateFile::beside(path)?;
	file.write_all(bytes).with_context(|| format!("cannot write {}", path.display()))?;
	file.commit()
}

/// Writes `bytes` to a new file `path` (mode 0600) as [`write_atomically`] does, unless `path`
/// exists: then nothing is written and the result is `false`.
pub fn write_new(path: &Path, bytes: &[u8]) -> Result<bool> {
	let mut file = PrivateFile::beside(path)?;
	file.write_all(bytes).with_context(|| format!("cannot write {}", path.display()))?;
	file.commit_new()
}

/// Reads a file that holds secrets, refusing anything but a regular file (a symbolic link
/// could point the key store at a file an attacker controls or make it read another one).
pub fn read_secret_file(path: &Path) -> std::io::Result<Vec<u8>> {
	let meta = fs::symlink_metadata(path)?;
	if !meta.file_type().is_file() {
		return Err(std::io::Error::new(
			std::io::ErrorKind::InvalidInput,
			format!("{} is not a regular file (a symbolic link?)", path.display()),
		));
	}
	fs::read(path)
}

/// Fails unless `path` exists with exactly `mode`.
#[cfg(test)]
pub fn check_mode(path: &Path, mode: u32) -> Result<()> {
	let actual = fs::symlink_metadata(path)
		.with_context(|| format!("cannot stat {}", path.display()))?
		.permissions()
		.mode()
		& 0o777;
	if actual != mode {
		anyhow::bail!("{} has mode {actual:o}, not {mode:o}", path.display());
	}
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn files_and_directories_are_private_and_replaced_whole() {
		let root = tempfile::tempdir().expect("temp dir");
		let dir = root.path().join("a/b");
		create_private_dir(&dir).expect("creates");
		check_mode(&dir, DIR_MODE).expect("0700");
		let path = dir.join("secret.json");
		write_atomically(&path, b"one").expect("writes");
		check_mode(&path, FILE_MODE).expect("0600");
		write_atomically(&path, b"two").expect("replaces");
		assert_eq!(fs::read(&path).expect("reads"), b"two");
		// Nothing but the file is left in the directory: no temporary files.
		let names: Vec<_> =
			fs::read_dir(&dir).expect("lists").map(|e| e.expect("entry").file_name()).collect();
		assert_eq!(names, ["secret.json"]);

		// A file dropped before its commit leaves the target alone and disappears.
		let mut abandoned = PrivateFile::beside(&path).expect("creates");
		abandoned.write_all(b"half").expect("writes");
		drop(abandoned);
		assert_eq!(fs::read(&path).expect("reads"), b"two");
		assert_eq!(fs::read_dir(&dir).expect("lists").count(), 1);
	}

	#[test]
	fn a_new_file_never_replaces_an_existing_one() {
		let root = tempfile::tempdir().expect("temp dir");
		let path = root.path().join("fragment.json");
		assert!(write_new(&path, b"first").expect("writes"));
		check_mode(&path, FILE_MODE).expect("0600");
		assert!(!write_new(&path, b"second").expect("no error"));
		assert_eq!(fs::read(&path).expect("reads"), b"first");
		assert_eq!(fs::read_dir(root.path()).expect("lists").count(), 1, "no temporary left");
	}

	#[test]
	fn secrets_are_not_read_through_symbolic_links() {
		let root = tempfile::tempdir().expect("temp dir");
		let real = root.path().join("real.json");
		fs::write(&real, b"{}").expect("writes");
		let link = root.path().join("link.json");
		std::os::unix::fs::symlink(&real, &link).expect("links");
		assert!(read_secret_file(&real).is_ok());
		let error = read_secret_file(&link).expect_err("refused");
		assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
		assert!(read_secret_file(root.path()).is_err(), "a directory is not a key file");
	}
}

//! The on-disk formats (see the crate docs) and the durable write and shred primitives.
//!
//! Everything here is called with the store's write lock held, so one store never races itself
//! on a file; nothing here coordinates two stores over one directory.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use chacha20poly1305::{KeyInit, XChaCha20Poly1305};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::error::KeyStoreError;
use crate::sealed::KeyId;

/// Bytes in a key file: the 16-byte key id, then the 32-byte key.
pub(crate) const KEY_FILE_LEN: usize = 16 + KEY_LEN;
/// Bytes in a key.
pub(crate) const KEY_LEN: usize = 32;
/// Bytes in a tombstone: the forget time (i64 big-endian), then the destroyed key's id.
pub(crate) const TOMBSTONE_LEN: usize = 8 + 16;

pub(crate) const KEY_EXT: &str = "key";
pub(crate) const TOMBSTONE_EXT: &str = "forgotten";
const TMP_SUFFIX: &str = ".tmp";

/// SHA-256 of a subject id: the cache key and, hex-encoded, the file stem. Hashing keeps subject
/// ids out of file names (and out of the cache, though that matters less).
pub(crate) type SubjectHash = [u8; 32];

pub(crate) fn subject_hash(subject_id: &str) -> SubjectHash {
    Sha256::digest(subject_id.as_bytes()).into()
}

/// The two files a subject may have.
pub(crate) struct SubjectPaths {
    pub(crate) key: PathBuf,
    pub(crate) tombstone: PathBuf,
}

impl SubjectPaths {
    pub(crate) fn new(dir: &Path, hash: &SubjectHash) -> SubjectPaths {
        let stem: String = hash.iter().map(|b| format!("{b:02x}")).collect();
        SubjectPaths {
            key: dir.join(format!("{stem}.{KEY_EXT}")),
            tombstone: dir.join(format!("{stem}.{TOMBSTONE_EXT}")),
        }
    }
}

/// A tombstone's contents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Tombstone {
    pub(crate) at: i64,
    /// `None` if the subject had no key when it was forgotten.
    pub(crate) key_id: Option<KeyId>,
}

impl Tombstone {
    pub(crate) fn to_bytes(self) -> [u8; TOMBSTONE_LEN] {
        let mut out = [0u8; TOMBSTONE_LEN];
        out[..8].copy_from_slice(&self.at.to_be_bytes());
        if let Some(id) = self.key_id {
            out[8..].copy_from_slice(id.as_bytes());
        }
        out
    }

    fn from_bytes(bytes: &[u8; TOMBSTONE_LEN]) -> Tombstone {
        let mut at = [0u8; 8];
        at.copy_from_slice(&bytes[..8]);
        let mut id = [0u8; 16];
        id.copy_from_slice(&bytes[8..]);
        // The nil UUID is never generated (ids are v4), so it can mean "no key".
        let key_id = (id != [0u8; 16]).then(|| KeyId::from_bytes(id));
        Tombstone {
            at: i64::from_be_bytes(at),
            key_id,
        }
    }
}

/// Reads a file that must be exactly `N` bytes, into a buffer zeroed on drop (it may hold a key).
/// `Ok(None)` if the file does not exist.
fn read_exact_file<const N: usize>(path: &Path) -> Result<Option<Zeroizing<[u8; N]>>, KeyStoreError> {
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(KeyStoreError::io(path)(e)),
    };
    let mut buf = Zeroizing::new([0u8; N]);
    match file.read_exact(&mut buf[..]) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
            return Err(KeyStoreError::Corrupt {
                path: path.to_owned(),
                reason: "file too short",
            })
        }
        Err(e) => return Err(KeyStoreError::io(path)(e)),
    }
    let mut extra = [0u8; 1];
    if file.read(&mut extra).map_err(KeyStoreError::io(path))? != 0 {
        return Err(KeyStoreError::Corrupt {
            path: path.to_owned(),
            reason: "file too long",
        });
    }
    Ok(Some(buf))
}

/// Reads a key file into a ready cipher, so the raw key never leaves a zeroed-on-drop buffer
/// except into the cipher, which zeroes it on drop too.
pub(crate) fn read_key_file(path: &Path) -> Result<Option<(KeyId, XChaCha20Poly1305)>, KeyStoreError> {
    let Some(buf) = read_key_bytes(path)? else {
        return Ok(None);
    };
    let corrupt = |reason| KeyStoreError::Corrupt {
        path: path.to_owned(),
        reason,
    };
    let mut id = [0u8; 16];
    id.copy_from_slice(&buf[..16]);
    let cipher = XChaCha20Poly1305::new_from_slice(&buf[16..]).map_err(|_| corrupt("key length"))?;
    Ok(Some((KeyId::from_bytes(id), cipher)))
}

/// A key file's bytes (key id, then key), checked to be a usable key: what a backup copies.
pub(crate) fn read_key_bytes(path: &Path) -> Result<Option<Zeroizing<[u8; KEY_FILE_LEN]>>, KeyStoreError> {
    let Some(buf) = read_exact_file::<KEY_FILE_LEN>(path)? else {
        return Ok(None);
    };
    check_key_bytes(path, &buf)?;
    Ok(Some(buf))
}

/// Refuses key file contents that must not be used as a key.
pub(crate) fn check_key_bytes(path: &Path, buf: &[u8; KEY_FILE_LEN]) -> Result<(), KeyStoreError> {
    let corrupt = |reason| KeyStoreError::Corrupt {
        path: path.to_owned(),
        reason,
    };
    if buf[..16] == [0u8; 16] {
        return Err(corrupt("nil key id"));
    }
    // All zeros is what shredding writes: a key file in that state must not be used as a key.
    if buf[16..].iter().all(|&b| b == 0) {
        return Err(corrupt("all-zero key (shredding interrupted without a tombstone?)"));
    }
    Ok(())
}

/// A tombstone's bytes, as a backup copies them.
pub(crate) fn read_tombstone_bytes(path: &Path) -> Result<Option<[u8; TOMBSTONE_LEN]>, KeyStoreError> {
    Ok(read_exact_file::<TOMBSTONE_LEN>(path)?.map(|buf| *buf))
}

pub(crate) fn read_tombstone(path: &Path) -> Result<Option<Tombstone>, KeyStoreError> {
    Ok(read_exact_file::<TOMBSTONE_LEN>(path)?.map(|buf| Tombstone::from_bytes(&buf)))
}

/// Makes a directory's entries (renames, removals) durable. A no-op off Unix, where a directory
/// cannot be opened for syncing through std.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), KeyStoreError> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(KeyStoreError::io(dir))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(TMP_SUFFIX);
    PathBuf::from(name)
}

/// Creates or truncates a file that only the owner may read and write, from the first byte on.
pub(crate) fn create_private(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// Writes `bytes` to `path` so that, once this returns, the file is whole and durable, and a
/// crash at any point leaves either no file at `path` or the whole file: temp, fsync, rename,
/// directory fsync.
pub(crate) fn write_durably(dir: &Path, path: &Path, bytes: &[u8]) -> Result<(), KeyStoreError> {
    let tmp = tmp_path(path);
    let written = create_private(&tmp).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()
    });
    if let Err(e) = written {
        // The temp may hold a key: shred rather than just remove. Best effort; `open` retries.
        let _ = shred(dir, &tmp);
        return Err(KeyStoreError::io(&tmp)(e));
    }
    if let Err(e) = fs::rename(&tmp, path) {
        let _ = shred(dir, &tmp);
        return Err(KeyStoreError::io(path)(e));
    }
    sync_dir(dir)
}

/// Overwrites every byte of the file with zeros, fsyncs, removes it and fsyncs the directory.
/// Returns whether there was a file. See the crate docs for what this cannot guarantee.
pub(crate) fn shred(dir: &Path, path: &Path) -> Result<bool, KeyStoreError> {
    let mut file = match OpenOptions::new().write(true).open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(KeyStoreError::io(path)(e)),
    };
    let len = file.metadata().map_err(KeyStoreError::io(path))?.len();
    // Overwrite in place, never truncate-then-write: writing over the existing bytes is what
    // lands on the same blocks, on filesystems that do that at all.
    let len = usize::try_from(len).unwrap_or(usize::MAX);
    let zeros = [0u8; 4096];
    let mut left = len;
    while left > 0 {
        let n = left.min(zeros.len());
        file.write_all(&zeros[..n]).map_err(KeyStoreError::io(path))?;
        left -= n;
    }
    file.sync_all().map_err(KeyStoreError::io(path))?;
    drop(file);
    fs::remove_file(path).map_err(KeyStoreError::io(path))?;
    sync_dir(dir)?;
    Ok(true)
}

/// Finishes what a crash interrupted: shreds every temp file (a key temp holds a key that no
/// caller was ever given) and every key file that has a tombstone beside it.
pub(crate) fn recover(dir: &Path) -> Result<(), KeyStoreError> {
    let mut to_shred = Vec::new();
    for entry in fs::read_dir(dir).map_err(KeyStoreError::io(dir))? {
        let path = entry.map_err(KeyStoreError::io(dir))?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if name.ends_with(TMP_SUFFIX) {
            to_shred.push(path);
        } else if path.extension().and_then(|e| e.to_str()) == Some(TOMBSTONE_EXT) {
            let key = path.with_extension(KEY_EXT);
            if key.exists() {
                to_shred.push(key);
            }
        }
    }
    for path in to_shred {
        shred(dir, &path)?;
    }
    Ok(())
}

//! A whole key store as one file, and back (`antt admin backup-keys` and `restore-keys`).
//!
//! # Format (version 1)
//! `ANTTKEY1`, then one entry per subject in ascending order of subject hash: a kind byte
//! (1 key, 2 tombstone), the 32-byte subject hash, then the file's exact bytes (48 for a
//! key, 24 for a tombstone). Then a kind byte 0, the entry count (u64 big-endian) and the
//! SHA-256 of every byte before it. Subject ids are not in it, as they are not in the
//! directory: only their hashes, as the file names.
//!
//! # Consistency while the store is in use
//! Every file of the store is written whole (temp, fsync, rename), so each file read is
//! either absent or complete. The one race is a forget while its key is being read: the
//! key may be read half zeroed. A forget writes the tombstone before it touches the key,
//! so the tombstone is looked for again after the key is read, and a subject that has one
//! by then is backed up as forgotten. A key created during the backup may be missing
//! from it: that key is newer than the backup.
//!
//! A backup holds live keys: together with a log backup it is the personal data again.
//! Keep it apart from the log's backups, and destroy it on the schedule erasures require
//! (see the crate docs).

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Read, Write};
use std::path::Path;

use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::error::KeyStoreError;
use crate::files::{self, SubjectHash, SubjectPaths, KEY_EXT, KEY_FILE_LEN, TOMBSTONE_EXT, TOMBSTONE_LEN};

const MAGIC: &[u8; 8] = b"ANTTKEY1";
const KIND_END: u8 = 0;
const KIND_KEY: u8 = 1;
const KIND_TOMBSTONE: u8 = 2;
const DIGEST_BYTES: usize = 32;

/// What a backup holds, or what a restore wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BackupCounts {
    /// Subjects with a live key.
    pub keys: u64,
    /// Subjects forgotten (tombstones).
    pub tombstones: u64,
}

/// Writes every key and tombstone of the store in `dir` to `out`, in the format above.
/// The store may be in use (see "Consistency"); `progress(done, total)` is called per subject.
pub fn write_backup(
    dir: &Path,
    out: &mut dyn Write,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<BackupCounts, KeyStoreError> {
    let subjects = list_subjects(dir)?;
    let total = subjects.len() as u64;
    let mut sink = Hashing::new(out);
    let write_failed = |error| KeyStoreError::Backup(format!("writing it failed: {error}"));
    sink.write_all(MAGIC).map_err(write_failed)?;
    let mut counts = BackupCounts::default();
    for (done, hash) in subjects.iter().enumerate() {
        match snapshot(dir, hash)? {
            Some(Snapshot::Key(bytes)) => {
                sink.entry(KIND_KEY, hash, &bytes[..]).map_err(write_failed)?;
                counts.keys += 1;
            }
            Some(Snapshot::Tombstone(bytes)) => {
                sink.entry(KIND_TOMBSTONE, hash, &bytes).map_err(write_failed)?;
                counts.tombstones += 1;
            }
            None => {}
        }
        progress(done as u64 + 1, total);
    }
    let entries = counts.keys + counts.tombstones;
    sink.write_all(&[KIND_END]).map_err(write_failed)?;
    sink.write_all(&entries.to_be_bytes()).map_err(write_failed)?;
    let digest = sink.hasher.finalize_reset();
    sink.out.write_all(&digest).map_err(write_failed)?;
    Ok(counts)
}

/// Writes the store of a backup read from `input` into `dir`, which must be empty or not
/// exist; files are fsynced, then the directory. The whole input is checked (format,
/// count, digest) before this returns Ok, but files are written as entries are read: on
/// an error `dir` holds part of a store, so restore into a staging directory and move it
/// into place only after success.
pub fn restore_backup(input: &mut dyn Read, dir: &Path) -> Result<BackupCounts, KeyStoreError> {
    create_empty_dir(dir)?;
    let mut source = Verifying::new(input);
    let mut magic = [0u8; 8];
    source.read_exact(&mut magic).map_err(malformed_io)?;
    if &magic != MAGIC {
        return Err(malformed("not a key store backup (its first bytes are not ANTTKEY1)"));
    }
    let mut counts = BackupCounts::default();
    let mut previous: Option<SubjectHash> = None;
    loop {
        let mut kind = [0u8; 1];
        source.read_exact(&mut kind).map_err(malformed_io)?;
        if kind[0] == KIND_END {
            break;
        }
        let mut hash: SubjectHash = [0; 32];
        source.read_exact(&mut hash).map_err(malformed_io)?;
        if previous.is_some_and(|previous| previous >= hash) {
            return Err(malformed(
                "entries are not in ascending order of subject (a subject twice?)",
            ));
        }
        previous = Some(hash);
        let paths = SubjectPaths::new(dir, &hash);
        match kind[0] {
            KIND_KEY => {
                let mut bytes = Zeroizing::new([0u8; KEY_FILE_LEN]);
                source.read_exact(&mut bytes[..]).map_err(malformed_io)?;
                files::check_key_bytes(&paths.key, &bytes)?;
                write_synced(&paths.key, &bytes[..])?;
                counts.keys += 1;
            }
            KIND_TOMBSTONE => {
                let mut bytes = [0u8; TOMBSTONE_LEN];
                source.read_exact(&mut bytes).map_err(malformed_io)?;
                write_synced(&paths.tombstone, &bytes)?;
                counts.tombstones += 1;
            }
            _ => return Err(malformed("an entry of unknown kind")),
        }
    }
    let mut count = [0u8; 8];
    source.read_exact(&mut count).map_err(malformed_io)?;
    if u64::from_be_bytes(count) != counts.keys + counts.tombstones {
        return Err(malformed("the entry count at its end is not the number of entries"));
    }
    let computed = source.hasher.finalize_reset();
    let mut stored = [0u8; DIGEST_BYTES];
    source.input.read_exact(&mut stored).map_err(malformed_io)?;
    if computed[..] != stored {
        return Err(malformed(
            "its SHA-256 does not match its contents: the file was changed or damaged",
        ));
    }
    let mut rest = [0u8; 1];
    if source.input.read(&mut rest).map_err(malformed_io)? != 0 {
        return Err(malformed("bytes after its end"));
    }
    files::sync_dir(dir)?;
    Ok(counts)
}

/// The subjects that have a key file or a tombstone, by hash, from the file names.
fn list_subjects(dir: &Path) -> Result<Vec<SubjectHash>, KeyStoreError> {
    let mut subjects = BTreeMap::new();
    for entry in fs::read_dir(dir).map_err(KeyStoreError::io(dir))? {
        let path = entry.map_err(KeyStoreError::io(dir))?.path();
        let extension = path.extension().and_then(|e| e.to_str());
        if extension != Some(KEY_EXT) && extension != Some(TOMBSTONE_EXT) {
            // Temp files (a write in progress) and anything else are not the store's state.
            continue;
        }
        if let Some(hash) = path.file_stem().and_then(|s| s.to_str()).and_then(parse_hex_hash) {
            subjects.insert(hash, ());
        }
    }
    Ok(subjects.into_keys().collect())
}

fn parse_hex_hash(stem: &str) -> Option<SubjectHash> {
    if stem.len() != 64 || !stem.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()) {
        return None;
    }
    let mut hash = [0u8; 32];
    for (index, byte) in hash.iter_mut().enumerate() {
        *byte = u8::from_str_radix(stem.get(index * 2..index * 2 + 2)?, 16).ok()?;
    }
    Some(hash)
}

enum Snapshot {
    Key(Zeroizing<[u8; KEY_FILE_LEN]>),
    Tombstone([u8; TOMBSTONE_LEN]),
}

/// One subject's state: the tombstone if there is one, else its key, looking for a
/// tombstone again after reading the key (a forget writes it before zeroing the key).
fn snapshot(dir: &Path, hash: &SubjectHash) -> Result<Option<Snapshot>, KeyStoreError> {
    let paths = SubjectPaths::new(dir, hash);
    if let Some(tombstone) = files::read_tombstone_bytes(&paths.tombstone)? {
        return Ok(Some(Snapshot::Tombstone(tombstone)));
    }
    let key = files::read_key_bytes(&paths.key);
    if let Some(tombstone) = files::read_tombstone_bytes(&paths.tombstone)? {
        return Ok(Some(Snapshot::Tombstone(tombstone)));
    }
    Ok(key?.map(Snapshot::Key))
}

fn create_empty_dir(dir: &Path) -> Result<(), KeyStoreError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(KeyStoreError::io(dir))?;
    if fs::read_dir(dir).map_err(KeyStoreError::io(dir))?.next().is_some() {
        return Err(KeyStoreError::NotEmpty { path: dir.to_owned() });
    }
    Ok(())
}

/// Writes a new file of the restored store. No temp and rename: the directory is not a
/// store anyone uses until the restore is done and synced.
fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), KeyStoreError> {
    files::create_private(path)
        .and_then(|mut file| {
            file.write_all(bytes)?;
            file.sync_all()
        })
        .map_err(KeyStoreError::io(path))
}

fn malformed(reason: &str) -> KeyStoreError {
    KeyStoreError::Backup(reason.to_string())
}

fn malformed_io(error: io::Error) -> KeyStoreError {
    if error.kind() == io::ErrorKind::UnexpectedEof {
        return malformed("it ends too early (cut short?)");
    }
    KeyStoreError::Backup(format!("reading it failed: {error}"))
}

/// A writer that hashes what passes through it.
struct Hashing<'a> {
    out: &'a mut dyn Write,
    hasher: Sha256,
}

impl<'a> Hashing<'a> {
    fn new(out: &'a mut dyn Write) -> Self {
        Hashing {
            out,
            hasher: Sha256::new(),
        }
    }

    fn entry(&mut self, kind: u8, hash: &SubjectHash, bytes: &[u8]) -> io::Result<()> {
        self.write_all(&[kind])?;
        self.write_all(hash)?;
        self.write_all(bytes)
    }
}

impl Write for Hashing<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = self.out.write(buf)?;
        self.hasher.update(&buf[..written]);
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// A reader that hashes what passes through it.
struct Verifying<'a> {
    input: &'a mut dyn Read,
    hasher: Sha256,
}

impl<'a> Verifying<'a> {
    fn new(input: &'a mut dyn Read) -> Self {
        Verifying {
            input,
            hasher: Sha256::new(),
        }
    }
}

impl Read for Verifying<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.input.read(buf)?;
        self.hasher.update(&buf[..read]);
        Ok(read)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{KeyStatus, KeyStore};

    fn backup_of(dir: &Path) -> (Vec<u8>, BackupCounts) {
        let mut out = Vec::new();
        let counts = write_backup(dir, &mut out, &mut |_, _| {}).unwrap();
        (out, counts)
    }

    #[test]
    fn a_backup_restores_keys_and_tombstones() {
        let source = tempfile::tempdir().unwrap();
        let store = KeyStore::open(source.path()).unwrap();
        let kept = store.create_key("person-a").unwrap();
        store.create_key("person-b").unwrap();
        store.forget("person-b", 42).unwrap();
        let sealed = store.seal("person-a", b"Nguyen Van A").unwrap();
        let (bytes, counts) = backup_of(source.path());
        assert_eq!(counts, BackupCounts { keys: 1, tombstones: 1 });

        let target = tempfile::tempdir().unwrap();
        let restored_dir = target.path().join("keys");
        let restored = restore_backup(&mut bytes.as_slice(), &restored_dir).unwrap();
        assert_eq!(restored, counts);
        let restored = KeyStore::open(&restored_dir).unwrap();
        assert_eq!(restored.status("person-a").unwrap(), KeyStatus::Live(kept));
        assert_eq!(restored.status("person-b").unwrap(), KeyStatus::Forgotten { at: 42 });
        assert_eq!(
            restored.open_sealed("person-a", &sealed).unwrap(),
            crate::Opened::Plaintext(b"Nguyen Van A".to_vec())
        );
    }

    #[test]
    fn a_damaged_or_cut_backup_is_refused() {
        let source = tempfile::tempdir().unwrap();
        let store = KeyStore::open(source.path()).unwrap();
        store.create_key("person-a").unwrap();
        let (bytes, _) = backup_of(source.path());
        let target = tempfile::tempdir().unwrap();
        let mut flipped = bytes.clone();
        flipped[8 + 1 + 32 + 20] ^= 0x01;
        let error = restore_backup(&mut flipped.as_slice(), &target.path().join("a")).unwrap_err();
        assert!(error.to_string().contains("SHA-256"), "{error}");
        let cut = &bytes[..bytes.len() - 1];
        let error = restore_backup(&mut &cut[..], &target.path().join("b")).unwrap_err();
        assert!(error.to_string().contains("too early"), "{error}");
        let not_empty = target.path().join("a");
        let error = restore_backup(&mut bytes.as_slice(), &not_empty).unwrap_err();
        assert!(matches!(error, KeyStoreError::NotEmpty { .. }), "{error}");
    }

    #[test]
    fn temp_files_are_not_backed_up() {
        let source = tempfile::tempdir().unwrap();
        KeyStore::open(source.path()).unwrap();
        fs::write(source.path().join(format!("{}.key.tmp", "ab".repeat(32))), [1u8; 48]).unwrap();
        let (_, counts) = backup_of(source.path());
        assert_eq!(counts, BackupCounts::default());
    }
}

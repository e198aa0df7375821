//! The [`KeyStore`]: one key per subject, sealed and opened through an in-memory cache, destroyed
//! on [`KeyStore::forget`]. The crate docs describe the files and what is and is not guaranteed.

use std::collections::HashMap;
use std::fmt;
use std::fs::DirBuilder;
use std::path::{Path, PathBuf};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use chacha20poly1305::aead::common::getrandom;
use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

use crate::error::KeyStoreError;
use crate::files::{self, SubjectHash, SubjectPaths, Tombstone, KEY_FILE_LEN};
use crate::sealed::{associated_data, KeyId, SealedData, NONCE_LEN};

// Forgetting relies on dropping the cached cipher to zero its key copy: fail the build if the
// `zeroize` feature of chacha20poly1305 is ever lost.
const _: fn() = || {
    fn zeroes_on_drop<T: zeroize::ZeroizeOnDrop>() {}
    zeroes_on_drop::<XChaCha20Poly1305>();
};

/// Per-subject keys in a directory kept apart from the event log. `Send + Sync`: share it behind
/// an `Arc`. Open at most one store per directory (see the crate docs).
pub struct KeyStore {
    dir: PathBuf,
    /// Subjects seen since open, by the hash of their id. Unknown subjects are not cached: they
    /// are rare (a caller bug or a lost directory) and caching them would only add an invalidation.
    cache: RwLock<HashMap<SubjectHash, Entry>>,
}

enum Entry {
    /// Boxed so the key has one heap home: rehashing the map moves the pointer, not key bytes
    /// that would be left behind unzeroed.
    Live {
        key_id: KeyId,
        cipher: Box<XChaCha20Poly1305>,
    },
    Forgotten(Tombstone),
}

type Cache = HashMap<SubjectHash, Entry>;

/// A subject's key, as [`KeyStore::status`] reports it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum KeyStatus {
    /// The subject has this key.
    Live(KeyId),
    /// The subject was forgotten at `at` (Unix microseconds); its key is destroyed.
    Forgotten {
        /// When, in Unix microseconds.
        at: i64,
    },
    /// Neither a key nor a tombstone exists for the subject.
    Unknown,
}

/// What [`KeyStore::open_sealed`] found.
#[derive(Clone, PartialEq, Eq)]
pub enum Opened {
    /// The authenticated plaintext.
    Plaintext(Vec<u8>),
    /// The subject was forgotten at `forgotten_at` (Unix microseconds): the data is gone for good.
    Erased {
        /// When, in Unix microseconds.
        forgotten_at: i64,
    },
}

// By hand, so that a stray `{:?}` never writes personal data into a log.
impl fmt::Debug for Opened {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Opened::Plaintext(bytes) => write!(f, "Plaintext(<{} bytes redacted>)", bytes.len()),
            Opened::Erased { forgotten_at } => f.debug_struct("Erased").field("forgotten_at", forgotten_at).finish(),
        }
    }
}

/// What [`KeyStore::forget`] did.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ForgetOutcome {
    /// The subject's key was destroyed and a tombstone recorded.
    Destroyed {
        /// The destroyed key.
        key_id: KeyId,
    },
    /// The subject's key file was unreadable (corrupt); it was destroyed anyway and a tombstone
    /// recorded, without the key id, which could not be read.
    DestroyedUnreadable,
    /// The subject had no key. A tombstone was recorded anyway, so that none is ever created.
    NoKeyExisted,
    /// The subject had already been forgotten, at `at` (Unix microseconds); nothing changed.
    AlreadyForgotten {
        /// When, in Unix microseconds.
        at: i64,
    },
}

impl fmt::Debug for KeyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyStore")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

fn fill_random(buf: &mut [u8]) -> Result<(), KeyStoreError> {
    getrandom::fill(buf).map_err(|e| KeyStoreError::Rng(e.to_string()))
}

fn checked_hash(subject_id: &str) -> Result<SubjectHash, KeyStoreError> {
    if subject_id.is_empty() {
        return Err(KeyStoreError::EmptySubject);
    }
    Ok(files::subject_hash(subject_id))
}

impl KeyStore {
    /// Opens the key store in `dir`, creating the directory (mode 0700 on Unix) if needed, and
    /// finishes what a crash interrupted: leftover temp files and key files beside a tombstone are
    /// shredded.
    ///
    /// # Errors
    /// [`KeyStoreError::Io`] if the directory cannot be created, read, or cleaned up.
    pub fn open(dir: impl AsRef<Path>) -> Result<KeyStore, KeyStoreError> {
        let dir = dir.as_ref().to_owned();
        let existed = dir.is_dir();
        let mut builder = DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        builder.create(&dir).map_err(KeyStoreError::io(&dir))?;
        if !existed {
            // Make the new directory's own entry durable, or a crash could lose every key in it.
            let parent = match dir.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            files::sync_dir(parent)?;
        }
        files::recover(&dir)?;
        Ok(KeyStore {
            dir,
            cache: RwLock::new(HashMap::new()),
        })
    }

    /// The directory the keys live in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Returns the subject's key id, creating the key if it has none. The key is durable on disk
    /// before this returns, so append the event that references it only after this returns.
    ///
    /// # Errors
    /// [`KeyStoreError::Forgotten`] if the subject was forgotten: a forgotten subject never gets a
    /// key again. [`KeyStoreError::EmptySubject`], [`KeyStoreError::Rng`], or I/O errors.
    pub fn create_key(&self, subject_id: &str) -> Result<KeyId, KeyStoreError> {
        let hash = checked_hash(subject_id)?;
        // The write lock for the whole call, so that two threads never create two keys.
        let mut cache = self.write_cache();
        match self.load(&mut cache, &hash)? {
            Some(Entry::Live { key_id, .. }) => return Ok(*key_id),
            Some(Entry::Forgotten(t)) => return Err(KeyStoreError::Forgotten { at: t.at }),
            None => {}
        }
        let paths = SubjectPaths::new(&self.dir, &hash);
        // Key file contents, built in a buffer zeroed on drop: key id, then key.
        let mut file = Zeroizing::new([0u8; KEY_FILE_LEN]);
        fill_random(&mut file[..])?;
        let mut id = [0u8; 16];
        id.copy_from_slice(&file[..16]);
        let key_id = KeyId::from_random_bytes(id);
        file[..16].copy_from_slice(key_id.as_bytes());
        let cipher = XChaCha20Poly1305::new_from_slice(&file[16..]).map_err(|_| KeyStoreError::Corrupt {
            path: paths.key.clone(),
            reason: "key length",
        })?;
        files::write_durably(&self.dir, &paths.key, &file[..])?;
        cache.insert(
            hash,
            Entry::Live {
                key_id,
                cipher: Box::new(cipher),
            },
        );
        Ok(key_id)
    }

    /// Encrypts `plaintext` under the subject's key with a fresh random nonce; the associated data
    /// binds the subject id and the key id.
    ///
    /// # Errors
    /// [`KeyStoreError::UnknownSubject`] if [`KeyStore::create_key`] was not called first,
    /// [`KeyStoreError::Forgotten`] if the subject was forgotten, and
    /// [`KeyStoreError::EmptySubject`], [`KeyStoreError::Rng`],
    /// [`KeyStoreError::PlaintextTooLong`], or I/O errors.
    pub fn seal(&self, subject_id: &str, plaintext: &[u8]) -> Result<SealedData, KeyStoreError> {
        let hash = checked_hash(subject_id)?;
        let mut nonce = [0u8; NONCE_LEN];
        fill_random(&mut nonce)?;
        self.with_entry(&hash, |entry| match entry {
            None => Err(KeyStoreError::UnknownSubject),
            Some(Entry::Forgotten(t)) => Err(KeyStoreError::Forgotten { at: t.at }),
            Some(Entry::Live { key_id, cipher }) => {
                let aad = associated_data(key_id, subject_id);
                let ciphertext = cipher
                    .encrypt(
                        &XNonce::from(nonce),
                        Payload {
                            msg: plaintext,
                            aad: &aad,
                        },
                    )
                    .map_err(|_| KeyStoreError::PlaintextTooLong)?;
                Ok(SealedData {
                    key_id: *key_id,
                    nonce,
                    ciphertext,
                })
            }
        })?
    }

    /// Decrypts data sealed for the subject, or reports that the subject was forgotten.
    ///
    /// # Errors
    /// Never returns unauthenticated bytes. [`KeyStoreError::KeyMismatch`] if the data names
    /// another key than the subject's (live or destroyed); [`KeyStoreError::Unauthentic`] if it
    /// was tampered with or sealed for another subject; [`KeyStoreError::UnknownSubject`] if the
    /// store has no key and no tombstone for the subject (a lost key directory is not an erasure);
    /// [`KeyStoreError::EmptySubject`] or I/O errors.
    pub fn open_sealed(&self, subject_id: &str, sealed: &SealedData) -> Result<Opened, KeyStoreError> {
        let hash = checked_hash(subject_id)?;
        self.with_entry(&hash, |entry| match entry {
            None => Err(KeyStoreError::UnknownSubject),
            Some(Entry::Forgotten(t)) => match t.key_id {
                Some(expected) if expected != sealed.key_id => Err(KeyStoreError::KeyMismatch {
                    expected,
                    found: sealed.key_id,
                }),
                _ => Ok(Opened::Erased { forgotten_at: t.at }),
            },
            Some(Entry::Live { key_id, cipher }) => {
                if *key_id != sealed.key_id {
                    return Err(KeyStoreError::KeyMismatch {
                        expected: *key_id,
                        found: sealed.key_id,
                    });
                }
                let aad = associated_data(key_id, subject_id);
                cipher
                    .decrypt(
                        &XNonce::from(sealed.nonce),
                        Payload {
                            msg: &sealed.ciphertext,
                            aad: &aad,
                        },
                    )
                    .map(Opened::Plaintext)
                    .map_err(|_| KeyStoreError::Unauthentic)
            }
        })?
    }

    /// Forgets the subject: records a tombstone holding `forgotten_at_unix_micros`, evicts and
    /// zeroes the cached key, then zero-fills and removes the key file, all durably before it
    /// returns (see the crate docs for the order and its limits). Idempotent.
    ///
    /// # Errors
    /// [`KeyStoreError::EmptySubject`] or I/O errors. After an error, call again: if the
    /// tombstone was written the subject is already forgotten, and the retry finishes shredding.
    pub fn forget(&self, subject_id: &str, forgotten_at_unix_micros: i64) -> Result<ForgetOutcome, KeyStoreError> {
        let hash = checked_hash(subject_id)?;
        let paths = SubjectPaths::new(&self.dir, &hash);
        let mut cache = self.write_cache();
        let (key_id, outcome) = match self.load(&mut cache, &hash) {
            Ok(Some(Entry::Forgotten(t))) => {
                let at = t.at;
                // An earlier forget may have failed after its tombstone: finish its shredding.
                files::shred(&self.dir, &paths.key)?;
                return Ok(ForgetOutcome::AlreadyForgotten { at });
            }
            Ok(Some(Entry::Live { key_id, .. })) => (Some(*key_id), ForgetOutcome::Destroyed { key_id: *key_id }),
            Ok(None) => (None, ForgetOutcome::NoKeyExisted),
            // A damaged key file must not block an erasure: shred it like a good one.
            Err(KeyStoreError::Corrupt { path, .. }) if path == paths.key => (None, ForgetOutcome::DestroyedUnreadable),
            Err(e) => return Err(e),
        };
        let tombstone = Tombstone {
            at: forgotten_at_unix_micros,
            key_id,
        };
        files::write_durably(&self.dir, &paths.tombstone, &tombstone.to_bytes())?;
        // The erasure is decided and durable. Evict before touching the key file, so that even if
        // shredding fails nothing can use the key again; dropping the old entry drops the boxed
        // cipher, which zeroes its copy of the key.
        drop(cache.insert(hash, Entry::Forgotten(tombstone)));
        files::shred(&self.dir, &paths.key)?;
        Ok(outcome)
    }

    /// The subject's key status.
    ///
    /// # Errors
    /// [`KeyStoreError::EmptySubject`], or I/O and corruption errors reading its files.
    pub fn status(&self, subject_id: &str) -> Result<KeyStatus, KeyStoreError> {
        let hash = checked_hash(subject_id)?;
        self.with_entry(&hash, |entry| match entry {
            None => KeyStatus::Unknown,
            Some(Entry::Live { key_id, .. }) => KeyStatus::Live(*key_id),
            Some(Entry::Forgotten(t)) => KeyStatus::Forgotten { at: t.at },
        })
    }

    /// Runs `f` on the subject's entry under the read lock, loading it from disk first on a miss.
    /// Sealing and opening run inside `f`, so they proceed in parallel.
    fn with_entry<R>(&self, hash: &SubjectHash, f: impl FnOnce(Option<&Entry>) -> R) -> Result<R, KeyStoreError> {
        {
            let cache = self.read_cache();
            if let Some(entry) = cache.get(hash) {
                return Ok(f(Some(entry)));
            }
        }
        let mut cache = self.write_cache();
        Ok(f(self.load(&mut cache, hash)?))
    }

    /// The subject's cached entry, read from disk into the cache if missing. A tombstone wins
    /// over a key file; a key file beside one is the trace of an interrupted forget, shredded now.
    fn load<'c>(&self, cache: &'c mut Cache, hash: &SubjectHash) -> Result<Option<&'c Entry>, KeyStoreError> {
        if !cache.contains_key(hash) {
            let paths = SubjectPaths::new(&self.dir, hash);
            let entry = if let Some(tombstone) = files::read_tombstone(&paths.tombstone)? {
                files::shred(&self.dir, &paths.key)?;
                Entry::Forgotten(tombstone)
            } else if let Some((key_id, cipher)) = files::read_key_file(&paths.key)? {
                Entry::Live {
                    key_id,
                    cipher: Box::new(cipher),
                }
            } else {
                return Ok(None);
            };
            cache.insert(*hash, entry);
        }
        Ok(cache.get(hash))
    }

    fn read_cache(&self) -> RwLockReadGuard<'_, Cache> {
        if let Ok(guard) = self.cache.read() {
            return guard;
        }
        // Poisoned: let the write path reset the cache, then read again.
        drop(self.write_cache());
        self.cache.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write_cache(&self) -> RwLockWriteGuard<'_, Cache> {
        match self.cache.write() {
            Ok(guard) => guard,
            Err(poisoned) => {
                // A panic under the lock may have left the cache disagreeing with the disk. It is
                // only a cache and the disk is the truth: empty it (zeroing every cached key)
                // rather than fail every later call.
                let mut guard = poisoned.into_inner();
                guard.clear();
                self.cache.clear_poison();
                guard
            }
        }
    }
}

#[cfg(test)]
mod tests {
    // A failing unwrap is a failing test, which is what we want here.
    #![allow(clippy::unwrap_used)]

    use std::fs;
    use std::sync::Arc;

    use proptest::prelude::*;

    use super::*;

    const SUBJECT: &str = "person-7f3a";
    const OTHER: &str = "person-0b21";

    fn store() -> (tempfile::TempDir, KeyStore) {
        let tmp = tempfile::tempdir().unwrap();
        let store = KeyStore::open(tmp.path().join("keys")).unwrap();
        (tmp, store)
    }

    fn key_file(store: &KeyStore, subject: &str) -> PathBuf {
        SubjectPaths::new(store.dir(), &files::subject_hash(subject)).key
    }

    /// The subject's 32 raw key bytes, read from its key file.
    fn raw_key(store: &KeyStore, subject: &str) -> Vec<u8> {
        let bytes = fs::read(key_file(store, subject)).unwrap();
        assert_eq!(bytes.len(), KEY_FILE_LEN);
        bytes[16..].to_vec()
    }

    fn dir_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
        let mut out: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let path = e.unwrap().path();
                (
                    path.file_name().unwrap().to_str().unwrap().to_owned(),
                    fs::read(&path).unwrap(),
                )
            })
            .collect();
        out.sort();
        out
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn key_store_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<KeyStore>();
    }

    #[test]
    fn seal_open_round_trip() {
        let (_tmp, store) = store();
        let key_id = store.create_key(SUBJECT).unwrap();
        let sealed = store.seal(SUBJECT, "Nguyễn Văn An, 1980-02-03".as_bytes()).unwrap();
        assert_eq!(sealed.key_id, key_id);
        assert_eq!(
            store.open_sealed(SUBJECT, &sealed).unwrap(),
            Opened::Plaintext("Nguyễn Văn An, 1980-02-03".as_bytes().to_vec())
        );
        // Empty plaintext too, and nonces are fresh per seal.
        let a = store.seal(SUBJECT, b"").unwrap();
        let b = store.seal(SUBJECT, b"").unwrap();
        assert_ne!(a.nonce, b.nonce);
        assert_eq!(store.open_sealed(SUBJECT, &a).unwrap(), Opened::Plaintext(Vec::new()));
    }

    #[test]
    fn create_key_is_idempotent_and_per_subject() {
        let (_tmp, store) = store();
        let a = store.create_key(SUBJECT).unwrap();
        assert_eq!(store.create_key(SUBJECT).unwrap(), a);
        assert_eq!(store.status(SUBJECT).unwrap(), KeyStatus::Live(a));
        let b = store.create_key(OTHER).unwrap();
        assert_ne!(a, b);
        assert_eq!(store.status("nobody").unwrap(), KeyStatus::Unknown);
    }

    #[test]
    fn concurrent_create_key_yields_one_key() {
        let (_tmp, store) = store();
        let store = Arc::new(store);
        let ids: Vec<KeyId> = (0..8)
            .map(|_| {
                let store = Arc::clone(&store);
                std::thread::spawn(move || store.create_key(SUBJECT).unwrap())
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect();
        assert!(ids.iter().all(|id| *id == ids[0]));
        assert_eq!(fs::read_dir(store.dir()).unwrap().count(), 1);
    }

    #[test]
    fn reopened_store_still_opens() {
        let tmp = tempfile::tempdir().unwrap();
        let (key_id, sealed) = {
            let store = KeyStore::open(tmp.path()).unwrap();
            let key_id = store.create_key(SUBJECT).unwrap();
            (key_id, store.seal(SUBJECT, b"0912345678").unwrap())
        };
        let store = KeyStore::open(tmp.path()).unwrap();
        assert_eq!(store.status(SUBJECT).unwrap(), KeyStatus::Live(key_id));
        assert_eq!(
            store.open_sealed(SUBJECT, &sealed).unwrap(),
            Opened::Plaintext(b"0912345678".to_vec())
        );
        assert_eq!(store.create_key(SUBJECT).unwrap(), key_id);
    }

    #[test]
    fn files_hide_subject_ids_and_hold_only_id_and_key() {
        let (_tmp, store) = store();
        let key_id = store.create_key(SUBJECT).unwrap();
        let files = dir_files(store.dir());
        assert_eq!(files.len(), 1);
        let (name, bytes) = &files[0];
        let stem = name.strip_suffix(".key").unwrap();
        assert_eq!(stem.len(), 64);
        assert!(stem.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert!(!name.contains(SUBJECT));
        assert_eq!(bytes.len(), 48);
        assert_eq!(&bytes[..16], key_id.as_bytes());
        assert!(!contains(bytes, SUBJECT.as_bytes()));
    }

    #[cfg(unix)]
    #[test]
    fn permissions_are_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let (_tmp, store) = store();
        store.create_key(SUBJECT).unwrap();
        store.create_key(OTHER).unwrap();
        store.forget(OTHER, 1).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(store.dir()), 0o700);
        for entry in fs::read_dir(store.dir()).unwrap() {
            assert_eq!(mode(&entry.unwrap().path()), 0o600);
        }
    }

    #[test]
    fn forget_erases_and_destroys_key_bytes() {
        let (_tmp, store) = store();
        let key_id = store.create_key(SUBJECT).unwrap();
        store.create_key(OTHER).unwrap();
        let sealed = store.seal(SUBJECT, b"079123456789").unwrap();
        let key = raw_key(&store, SUBJECT);
        let other_sealed = store.seal(OTHER, b"still here").unwrap();

        let at = 1_700_000_000_000_000;
        assert_eq!(store.forget(SUBJECT, at).unwrap(), ForgetOutcome::Destroyed { key_id });
        assert_eq!(
            store.open_sealed(SUBJECT, &sealed).unwrap(),
            Opened::Erased { forgotten_at: at }
        );
        assert_eq!(store.status(SUBJECT).unwrap(), KeyStatus::Forgotten { at });
        assert!(matches!(store.seal(SUBJECT, b"x"), Err(KeyStoreError::Forgotten { at: a }) if a == at));
        assert!(!key_file(&store, SUBJECT).exists());
        for (name, bytes) in dir_files(store.dir()) {
            assert!(!contains(&bytes, &key), "{name} still holds the key");
        }
        // Other subjects are untouched.
        assert_eq!(
            store.open_sealed(OTHER, &other_sealed).unwrap(),
            Opened::Plaintext(b"still here".to_vec())
        );

        // Idempotent, and the first time is what is kept.
        assert_eq!(
            store.forget(SUBJECT, at + 5).unwrap(),
            ForgetOutcome::AlreadyForgotten { at }
        );

        // And it all survives a reopen.
        let reopened = KeyStore::open(store.dir()).unwrap();
        assert_eq!(
            reopened.open_sealed(SUBJECT, &sealed).unwrap(),
            Opened::Erased { forgotten_at: at }
        );
        assert_eq!(
            reopened.forget(SUBJECT, at + 9).unwrap(),
            ForgetOutcome::AlreadyForgotten { at }
        );
        assert!(matches!(reopened.create_key(SUBJECT), Err(KeyStoreError::Forgotten { at: a }) if a == at));
    }

    #[test]
    fn create_key_after_forget_is_refused() {
        let (_tmp, store) = store();
        store.create_key(SUBJECT).unwrap();
        store.forget(SUBJECT, 42).unwrap();
        assert!(matches!(
            store.create_key(SUBJECT),
            Err(KeyStoreError::Forgotten { at: 42 })
        ));
        // A subject forgotten before it ever had a key can never get one either.
        assert_eq!(store.forget(OTHER, 7).unwrap(), ForgetOutcome::NoKeyExisted);
        assert!(matches!(
            store.create_key(OTHER),
            Err(KeyStoreError::Forgotten { at: 7 })
        ));
        assert_eq!(store.status(OTHER).unwrap(), KeyStatus::Forgotten { at: 7 });
    }

    #[test]
    fn erased_subject_still_rejects_another_keys_data() {
        let (_tmp, store) = store();
        store.create_key(SUBJECT).unwrap();
        store.create_key(OTHER).unwrap();
        let others = store.seal(OTHER, b"b").unwrap();
        store.forget(SUBJECT, 1).unwrap();
        assert!(matches!(
            store.open_sealed(SUBJECT, &others),
            Err(KeyStoreError::KeyMismatch { .. })
        ));
    }

    #[test]
    fn tampering_and_wrong_subject_are_errors() {
        let (_tmp, store) = store();
        store.create_key(SUBJECT).unwrap();
        store.create_key(OTHER).unwrap();
        let sealed = store.seal(SUBJECT, "Hà Nội".as_bytes()).unwrap();

        let mut ct = sealed.clone();
        ct.ciphertext[0] ^= 1;
        assert!(matches!(
            store.open_sealed(SUBJECT, &ct),
            Err(KeyStoreError::Unauthentic)
        ));
        let mut tag = sealed.clone();
        *tag.ciphertext.last_mut().unwrap() ^= 0x80;
        assert!(matches!(
            store.open_sealed(SUBJECT, &tag),
            Err(KeyStoreError::Unauthentic)
        ));
        let mut truncated = sealed.clone();
        truncated.ciphertext.pop();
        assert!(matches!(
            store.open_sealed(SUBJECT, &truncated),
            Err(KeyStoreError::Unauthentic)
        ));
        let mut nonce = sealed.clone();
        nonce.nonce[23] ^= 4;
        assert!(matches!(
            store.open_sealed(SUBJECT, &nonce),
            Err(KeyStoreError::Unauthentic)
        ));
        let mut key_id = sealed.clone();
        key_id.key_id = KeyId::from_random_bytes([3; 16]);
        assert!(matches!(
            store.open_sealed(SUBJECT, &key_id),
            Err(KeyStoreError::KeyMismatch { .. })
        ));

        // Another subject's data, as is and relabelled with this subject's key id.
        assert!(matches!(
            store.open_sealed(OTHER, &sealed),
            Err(KeyStoreError::KeyMismatch { .. })
        ));
        let mut relabelled = store.seal(OTHER, b"x").unwrap();
        relabelled.key_id = sealed.key_id;
        assert!(matches!(
            store.open_sealed(SUBJECT, &relabelled),
            Err(KeyStoreError::Unauthentic)
        ));

        assert!(matches!(
            store.open_sealed("nobody", &sealed),
            Err(KeyStoreError::UnknownSubject)
        ));
        assert!(matches!(
            store.open_sealed("", &sealed),
            Err(KeyStoreError::EmptySubject)
        ));
    }

    #[test]
    fn associated_data_binds_the_subject() {
        // Same key, same key id, different subject: only the associated data differs.
        let (_tmp, store) = store();
        store.create_key(SUBJECT).unwrap();
        let sealed = store.seal(SUBJECT, b"secret").unwrap();
        let cache = store.read_cache();
        let Some(Entry::Live { key_id, cipher }) = cache.get(&files::subject_hash(SUBJECT)) else {
            panic!("not cached")
        };
        let nonce = XNonce::from(sealed.nonce);
        let wrong = associated_data(key_id, OTHER);
        assert!(cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: &sealed.ciphertext,
                    aad: &wrong
                }
            )
            .is_err());
        let right = associated_data(key_id, SUBJECT);
        assert_eq!(
            cipher
                .decrypt(
                    &nonce,
                    Payload {
                        msg: &sealed.ciphertext,
                        aad: &right
                    }
                )
                .unwrap(),
            b"secret"
        );
    }

    #[test]
    fn seal_requires_a_key() {
        let (_tmp, store) = store();
        assert!(matches!(store.seal(SUBJECT, b"x"), Err(KeyStoreError::UnknownSubject)));
        assert!(matches!(store.create_key(""), Err(KeyStoreError::EmptySubject)));
    }

    #[test]
    fn open_finishes_an_interrupted_forget_and_shreds_temps() {
        let tmp = tempfile::tempdir().unwrap();
        let (sealed, key) = {
            let store = KeyStore::open(tmp.path()).unwrap();
            let key_id = store.create_key(SUBJECT).unwrap();
            let sealed = store.seal(SUBJECT, b"x").unwrap();
            let key = raw_key(&store, SUBJECT);
            // A crash after the tombstone but before the key file was shredded.
            let paths = SubjectPaths::new(store.dir(), &files::subject_hash(SUBJECT));
            let tombstone = Tombstone {
                at: 99,
                key_id: Some(key_id),
            };
            files::write_durably(store.dir(), &paths.tombstone, &tombstone.to_bytes()).unwrap();
            // And a crash in the middle of some create_key.
            fs::write(tmp.path().join("abc.key.tmp"), &key).unwrap();
            (sealed, key)
        };
        let store = KeyStore::open(tmp.path()).unwrap();
        let files = dir_files(store.dir());
        assert_eq!(files.len(), 1, "{:?}", files.iter().map(|f| &f.0).collect::<Vec<_>>());
        assert!(files[0].0.ends_with(".forgotten"));
        assert!(!contains(&files[0].1, &key));
        assert_eq!(
            store.open_sealed(SUBJECT, &sealed).unwrap(),
            Opened::Erased { forgotten_at: 99 }
        );
    }

    #[test]
    fn corrupt_key_file_is_an_error_not_a_key() {
        let (_tmp, store) = store();
        fs::write(key_file(&store, SUBJECT), [0u8; 47]).unwrap();
        assert!(matches!(store.status(SUBJECT), Err(KeyStoreError::Corrupt { .. })));
        let mut zeroed = [0u8; 48];
        zeroed[0] = 1;
        fs::write(key_file(&store, SUBJECT), zeroed).unwrap();
        assert!(matches!(store.seal(SUBJECT, b"x"), Err(KeyStoreError::Corrupt { .. })));
    }

    #[test]
    fn corrupt_key_file_does_not_block_forget() {
        let (_tmp, store) = store();
        fs::write(key_file(&store, SUBJECT), [5u8; 30]).unwrap();
        assert_eq!(store.forget(SUBJECT, 3).unwrap(), ForgetOutcome::DestroyedUnreadable);
        assert!(!key_file(&store, SUBJECT).exists());
        assert_eq!(store.status(SUBJECT).unwrap(), KeyStatus::Forgotten { at: 3 });
        assert!(matches!(
            store.create_key(SUBJECT),
            Err(KeyStoreError::Forgotten { at: 3 })
        ));
    }

    #[test]
    fn debug_output_redacts_plaintext() {
        let shown = format!("{:?}", Opened::Plaintext(b"Tran Thi B".to_vec()));
        assert!(!shown.contains("Tran"));
        assert_eq!(shown, "Plaintext(<10 bytes redacted>)");
    }

    #[test]
    fn sealed_bytes_round_trip_through_the_store() {
        let (_tmp, store) = store();
        store.create_key(SUBJECT).unwrap();
        let sealed = store.seal(SUBJECT, b"0123").unwrap();
        let parsed = SealedData::from_bytes(&sealed.to_bytes()).unwrap();
        assert_eq!(parsed, sealed);
        assert_eq!(
            store.open_sealed(SUBJECT, &parsed).unwrap(),
            Opened::Plaintext(b"0123".to_vec())
        );
    }

    proptest! {
        #[test]
        fn any_plaintext_round_trips_and_any_bit_flip_fails(
            plaintext in proptest::collection::vec(any::<u8>(), 0..512),
            flip in any::<proptest::sample::Index>(),
        ) {
            let (_tmp, store) = store();
            store.create_key(SUBJECT).unwrap();
            let sealed = store.seal(SUBJECT, &plaintext).unwrap();
            let bytes = sealed.to_bytes();
            let parsed = SealedData::from_bytes(&bytes).unwrap();
            prop_assert_eq!(store.open_sealed(SUBJECT, &parsed).unwrap(), Opened::Plaintext(plaintext));

            let bit = flip.index(bytes.len() * 8);
            let mut flipped = bytes;
            flipped[bit / 8] ^= 1 << (bit % 8);
            let opened = SealedData::from_bytes(&flipped).and_then(|s| store.open_sealed(SUBJECT, &s));
            prop_assert!(opened.is_err(), "bit {} flipped yet opened: {:?}", bit, opened);
        }
    }
}

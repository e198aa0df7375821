//! Per-person encryption keys, held apart from the event log, so that personal data can be erased
//! ("crypto-shredded") although events are immutable.
//!
//! # Layout
//! - [`store`]: the [`KeyStore`]: create a subject's key, seal and open with it, forget it.
//! - [`sealed`]: [`KeyId`] and [`SealedData`], with the versioned byte layout stored in events.
//! - `files` (private): the on-disk formats and the durable write and shred primitives.
//! - [`backup`]: the whole store as one file and back, safe while the store is in use.
//! - [`error`]: the one error enum, [`KeyStoreError`].
//!
//! # Why this exists
//! Decree 13/2023/NĐ-CP requires that a member's personal data (full name, date of birth, citizen
//! ID number, phone, address) can be erased, but the event log is append-only and hash-chained.
//! So personal data lives only inside person events, encrypted with a key of that person's own,
//! and the log's hash chain covers only the ciphertext. The keys live here, in a directory apart
//! from the log. [`KeyStore::forget`] destroys the key: the log still verifies byte for byte, and
//! the personal data in it can never be read again.
//!
//! # Cryptography
//! XChaCha20-Poly1305 with a 32-byte key per subject and a fresh random 24-byte nonce per seal
//! (random nonces are safe at this size; no counter has to survive a crash). The associated data
//! binds the layout version, the key id and the subject id, so ciphertext moved to another
//! subject, or re-labelled with another key id, fails authentication instead of decrypting.
//! Opening never returns unauthenticated bytes: it is plaintext, [`Opened::Erased`], or an error.
//!
//! # On disk
//! One directory (created with mode 0700 on Unix). For a subject `s`, with
//! `h = hex(sha256(s))` so that file names do not reveal subject ids:
//! - `<h>.key`: exactly 48 bytes, the 16-byte key id then the 32-byte key; mode 0600 on Unix.
//!   Nothing else: no subject id, no timestamps.
//! - `<h>.forgotten`: the tombstone, exactly 24 bytes: the forget time (i64 big-endian, Unix
//!   microseconds) then the destroyed key's id (16 zero bytes if the subject never had a key, or
//!   its key file was unreadable).
//! - `*.tmp`: a write in progress; [`KeyStore::open`] zero-fills and removes any left by a crash.
//!
//! A subject with neither file is unknown; with a tombstone it is forgotten, whatever else is there.
//!
//! # Durability
//! [`KeyStore::create_key`] writes the key to `<h>.key.tmp`, fsyncs it, renames it to `<h>.key` and
//! fsyncs the directory, all before it returns. The caller appends the event that references the
//! key only after that, so a crash can never leave an event whose key was never durable. A crash
//! before the rename leaves only a temp file, which the next `open` shreds: no event can reference
//! that key, because `create_key` never returned it.
//!
//! # Destruction
//! [`KeyStore::forget`], all before it returns:
//! 1. writes the tombstone (temp, fsync, rename, directory fsync). From here on the subject is
//!    forgotten even across a crash: the store refuses to seal, open or create a key for it;
//! 2. evicts the cached key from memory (the cached cipher zeroes its key when dropped);
//! 3. overwrites every byte of `<h>.key` with zeros and fsyncs it;
//! 4. removes `<h>.key` and fsyncs the directory.
//!
//! The tombstone is written first (rather than zeroing first) so that there is no crash window in
//! which the key is gone but the time of the erasure is not recorded. A crash between 1 and 4
//! leaves key bytes on disk; [`KeyStore::open`] finishes steps 3 and 4 for every tombstone that
//! still has a key file, and so does any later call touching that subject.
//!
//! ## What destruction does not guarantee
//! Overwriting a file in place is only a best effort at erasing the bytes on the medium:
//! - copy-on-write or log-structured filesystems (btrfs, ZFS, F2FS, some overlay filesystems) and
//!   filesystem or volume snapshots (LVM, cloud disk snapshots) write the zeros to new blocks and
//!   may keep the old ones;
//! - SSDs and flash remap writes (wear levelling) and may keep the old cells until garbage
//!   collected; journaling with `data=journal` may keep a copy in the journal;
//! - backups: every backup of the key directory taken while the key was live still holds it.
//!   Operators must rotate (expire and destroy) backups of the key directory on a schedule that
//!   meets the erasure deadline, and must never back the key directory up together with the log,
//!   or to where the log's backups go: a log backup plus a key backup is the personal data again;
//! - memory: cached keys are zeroed when evicted, and key bytes read from or written to files
//!   pass only through buffers zeroed on drop, but Rust moves and the cipher's transient stack
//!   state may leave copies that nothing zeroes, and swap, core dumps and hibernation images may
//!   hold copies; disable core dumps and use encrypted swap on hosts running the store. Plaintext
//!   returned by [`KeyStore::open_sealed`] is the caller's to handle.
//!
//! The strongest practical setup is a key directory on an encrypted volume that is itself never
//! snapshotted, with short-lived, separately stored backups.
//!
//! ## Other limits
//! - One [`KeyStore`] per directory: two stores (in one process or two) over the same directory
//!   are not coordinated, and their caches can disagree. Nothing locks the directory.
//! - Losing the key directory is not a lawful erasure: a subject with no files is reported as
//!   [`KeyStatus::Unknown`] and opening its data is an error ([`KeyStoreError::UnknownSubject`]),
//!   never [`Opened::Erased`].
//! - A damaged key file does not block [`KeyStore::forget`] (it is shredded all the same), but it
//!   does block sealing and opening for that subject; a damaged tombstone blocks every operation
//!   on its subject until an operator looks at it. Both are reported as [`KeyStoreError::Corrupt`].
//! - Directory fsync is done on Unix only.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod backup;
pub mod error;
mod files;
pub mod sealed;
pub mod store;

pub use error::KeyStoreError;
pub use sealed::{KeyId, SealedData};
pub use store::{ForgetOutcome, KeyStatus, KeyStore, Opened};

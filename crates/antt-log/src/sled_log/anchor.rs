//! The head anchor: the committed head (size, Merkle root, last chain hash) kept in a
//! file of its own, outside sled's files, and synced before a group is acknowledged.
//!
//! sled cuts a damaged tail off its log at recovery without a word, and a store that
//! lost its last events is still dense and chained. The anchor is what says how many
//! events were acknowledged, so `open` can tell a shorter store from an intact one.
//!
//! # Format (`<data>/anchor`, version 1)
//! Two slots of [`SLOT_BYTES`], at offsets 0 and [`SLOT_STRIDE_BYTES`] (different
//! filesystem blocks, so a torn write can break at most the slot being written). Writes
//! alternate between them by sequence number; the valid slot with the highest sequence
//! is the anchor. A slot, integers big-endian:
//!
//! | bytes | field |
//! |---|---|
//! | 8 | magic `ANTTHEAD` |
//! | 4 | format version = 1 |
//! | 4 | zero |
//! | 8 | sequence (one more per write) |
//! | 8 | size: events acknowledged |
//! | 32 | Merkle tree root at that size (RFC 9162) |
//! | 32 | chain hash of the last event (zeros for none) |
//! | 32 | SHA-256 of the 96 bytes above |

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::OpenError;
use crate::sled_log::store;
use crate::sled_log::tree::StoredTree;

/// The file the anchor lives in, inside the data directory but not one of sled's.
pub(crate) const ANCHOR_FILE_NAME: &str = "anchor";
const MAGIC: &[u8; 8] = b"ANTTHEAD";
const FORMAT_VERSION: u32 = 1;
const BODY_BYTES: usize = 96;
const SLOT_BYTES: usize = BODY_BYTES + 32;
const SLOT_STRIDE_BYTES: u64 = 4096;

/// What the anchor says was acknowledged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AnchoredHead {
    pub size: u64,
    pub tree_root: [u8; 32],
    pub last_hash: [u8; 32],
}

/// Why the anchor could not be read.
#[derive(Debug, thiserror::Error)]
pub enum AnchorError {
    #[error("reading the head anchor {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
    /// The file exists but neither slot holds a valid head: the anchor itself is damaged.
    #[error("the head anchor {path} is damaged: neither of its slots holds a valid head")]
    Damaged { path: String },
}

/// The anchor file, open for reading and writing by the writer thread.
#[derive(Debug)]
pub(crate) struct Anchor {
    file: File,
    sequence: u64,
}

pub(crate) fn anchor_path(data_dir: &Path) -> PathBuf {
    data_dir.join(ANCHOR_FILE_NAME)
}

/// Reads the anchor of `data_dir` without creating or changing anything; `None` when
/// there is no anchor file.
pub fn read_anchor(data_dir: &Path) -> Result<Option<AnchoredHead>, AnchorError> {
    let path = anchor_path(data_dir);
    match File::open(&path) {
        Ok(file) => read_slots(&file, &path).map(|found| found.map(|(_, head)| head)),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(io_error(&path, source)),
    }
}

impl Anchor {
    /// Opens the anchor of `data_dir` for writing, returning what it says (`None` if the
    /// file did not exist; it is then created, empty, and made durable with its directory).
    pub fn open(data_dir: &Path) -> Result<(Anchor, Option<AnchoredHead>), AnchorError> {
        let path = anchor_path(data_dir);
        let existed = path.exists();
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|source| io_error(&path, source))?;
        let found = if existed { read_slots(&file, &path)? } else { None };
        if !existed {
            sync_new_file(&file, data_dir).map_err(|source| io_error(&path, source))?;
        }
        let sequence = found.map_or(0, |(sequence, _)| sequence);
        Ok((Anchor { file, sequence }, found.map(|(_, head)| head)))
    }

    /// Like [`Anchor::open`], but a damaged anchor file is replaced by an empty one: for
    /// recovery, which anchors a head it has just verified.
    pub fn open_ignoring_damage(data_dir: &Path) -> Result<(Anchor, Option<AnchoredHead>), AnchorError> {
        match Anchor::open(data_dir) {
            Err(AnchorError::Damaged { .. }) => {
                let path = anchor_path(data_dir);
                std::fs::remove_file(&path).map_err(|source| io_error(&path, source))?;
                Anchor::open(data_dir)
            }
            other => other,
        }
    }

    /// Writes `head` into the older slot; with `sync`, makes it durable before returning.
    pub fn write(&mut self, head: &AnchoredHead, sync: bool) -> io::Result<()> {
        let sequence = self.sequence + 1;
        let slot = encode_slot(sequence, head);
        self.file.write_all_at(&slot, (sequence % 2) * SLOT_STRIDE_BYTES)?;
        if sync {
            self.file.sync_data()?;
        }
        self.sequence = sequence;
        Ok(())
    }
}

fn sync_new_file(file: &File, data_dir: &Path) -> io::Result<()> {
    file.sync_all()?;
    File::open(data_dir)?.sync_all()
}

fn io_error(path: &Path, source: io::Error) -> AnchorError {
    AnchorError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn encode_slot(sequence: u64, head: &AnchoredHead) -> [u8; SLOT_BYTES] {
    let mut slot = [0u8; SLOT_BYTES];
    slot[0..8].copy_from_slice(MAGIC);
    slot[8..12].copy_from_slice(&FORMAT_VERSION.to_be_bytes());
    slot[16..24].copy_from_slice(&sequence.to_be_bytes());
    slot[24..32].copy_from_slice(&head.size.to_be_bytes());
    slot[32..64].copy_from_slice(&head.tree_root);
    slot[64..96].copy_from_slice(&head.last_hash);
    let checksum: [u8; 32] = Sha256::digest(&slot[..BODY_BYTES]).into();
    slot[BODY_BYTES..].copy_from_slice(&checksum);
    slot
}

/// A slot's sequence and head, or `None` for a slot that is empty, torn or damaged.
fn decode_slot(slot: &[u8; SLOT_BYTES]) -> Option<(u64, AnchoredHead)> {
    let checksum: [u8; 32] = Sha256::digest(&slot[..BODY_BYTES]).into();
    let well_formed =
        &slot[0..8] == MAGIC && slot[8..12] == FORMAT_VERSION.to_be_bytes() && slot[BODY_BYTES..] == checksum;
    if !well_formed {
        return None;
    }
    let u64_at = |at: usize| u64::from_be_bytes(slot[at..at + 8].try_into().unwrap_or_default());
    let hash_at = |at: usize| <[u8; 32]>::try_from(&slot[at..at + 32]).unwrap_or_default();
    Some((
        u64_at(16),
        AnchoredHead {
            size: u64_at(24),
            tree_root: hash_at(32),
            last_hash: hash_at(64),
        },
    ))
}

/// The newest valid slot. An empty file has none; a non-empty file without a valid slot
/// is damage, never "no anchor".
fn read_slots(file: &File, path: &Path) -> Result<Option<(u64, AnchoredHead)>, AnchorError> {
    let length = file.metadata().map_err(|source| io_error(path, source))?.len();
    if length == 0 {
        return Ok(None);
    }
    let mut newest: Option<(u64, AnchoredHead)> = None;
    for offset in [0, SLOT_STRIDE_BYTES] {
        let mut slot = [0u8; SLOT_BYTES];
        match file.read_exact_at(&mut slot, offset) {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => continue,
            Err(source) => return Err(io_error(path, source)),
        }
        if let Some(found) = decode_slot(&slot) {
            if newest.is_none_or(|(sequence, _)| found.0 > sequence) {
                newest = Some(found);
            }
        }
    }
    match newest {
        Some(found) => Ok(Some(found)),
        None => Err(AnchorError::Damaged {
            path: path.display().to_string(),
        }),
    }
}

/// Checks the store's `head` against what its anchor says was acknowledged: nothing
/// acknowledged may be missing or different. A store may hold more than was anchored
/// (a group that became durable before a crash, never acknowledged), if it extends it.
pub(crate) fn check(
    path: &Path,
    anchored: Option<AnchoredHead>,
    head: &AnchoredHead,
    tree: &StoredTree<'_>,
) -> Result<(), OpenError> {
    let path_text = path.display().to_string();
    let rewritten = |reason: String| OpenError::Rewritten {
        path: path_text.clone(),
        reason,
    };
    let Some(anchored) = anchored else {
        return match head.size {
            0 => Ok(()),
            size => Err(OpenError::Anchor {
                path: path_text.clone(),
                reason: format!("there is no head anchor, yet the store holds {size} events"),
            }),
        };
    };
    if anchored.size > head.size {
        return Err(OpenError::Truncated {
            path: path_text,
            stored: head.size,
            acknowledged: anchored.size,
        });
    }
    let (root, last_hash) = if anchored.size == head.size {
        (head.tree_root, head.last_hash)
    } else {
        extended_head(tree, anchored.size).map_err(|error| rewritten(error.to_string()))?
    };
    if root != anchored.tree_root {
        return Err(rewritten(format!(
            "the Merkle root of its first {} events is not the anchored one: acknowledged events were changed",
            anchored.size
        )));
    }
    if last_hash != anchored.last_hash {
        return Err(rewritten(format!(
            "the chain hash of event {} is not the anchored one: acknowledged events were changed",
            anchored.size.saturating_sub(1)
        )));
    }
    Ok(())
}

/// Root and last chain hash of the first `size` events of a store that holds more.
fn extended_head(tree: &StoredTree<'_>, size: u64) -> Result<([u8; 32], [u8; 32]), crate::error::ReadError> {
    let root = antt_audit::merkle::root_at(tree, size).map_err(|error| match error {
        antt_audit::merkle::ProofError::Read(error) => error,
        antt_audit::merkle::ProofError::Request(error) => crate::error::ReadError::Corrupted {
            position: size,
            reason: error.to_string(),
        },
    })?;
    let last_hash = match size.checked_sub(1) {
        None => [0; 32],
        Some(position) => store::read_record(tree.events, position)?.map_or([0; 32], |event| event.hash),
    };
    Ok((root, last_hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(size: u64) -> AnchoredHead {
        AnchoredHead {
            size,
            tree_root: [size as u8; 32],
            last_hash: [0xAB; 32],
        }
    }

    #[test]
    fn the_newest_write_wins_and_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let (mut anchor, found) = Anchor::open(dir.path()).unwrap();
        assert_eq!(found, None);
        for size in 1..=5 {
            anchor.write(&head(size), true).unwrap();
        }
        drop(anchor);
        assert_eq!(read_anchor(dir.path()).unwrap(), Some(head(5)));
        let (mut anchor, found) = Anchor::open(dir.path()).unwrap();
        assert_eq!(found, Some(head(5)));
        anchor.write(&head(6), true).unwrap();
        assert_eq!(read_anchor(dir.path()).unwrap(), Some(head(6)));
    }

    #[test]
    fn a_torn_slot_falls_back_to_the_other_one() {
        let dir = tempfile::tempdir().unwrap();
        let (mut anchor, _) = Anchor::open(dir.path()).unwrap();
        anchor.write(&head(7), true).unwrap(); // sequence 1: slot at the stride
        anchor.write(&head(8), true).unwrap(); // sequence 2: slot at 0
        drop(anchor);
        let file = OpenOptions::new().write(true).open(anchor_path(dir.path())).unwrap();
        file.write_all_at(&[0xFF; 16], 40).unwrap(); // inside the newest slot's root
        assert_eq!(read_anchor(dir.path()).unwrap(), Some(head(7)));
    }

    #[test]
    fn an_anchor_with_no_valid_slot_is_damage_not_absence() {
        let dir = tempfile::tempdir().unwrap();
        let (mut anchor, _) = Anchor::open(dir.path()).unwrap();
        anchor.write(&head(3), true).unwrap();
        drop(anchor);
        let file = OpenOptions::new().write(true).open(anchor_path(dir.path())).unwrap();
        file.write_all_at(&[0u8; 1], SLOT_STRIDE_BYTES + 3).unwrap();
        assert!(matches!(read_anchor(dir.path()), Err(AnchorError::Damaged { .. })));
        assert!(matches!(Anchor::open(dir.path()), Err(AnchorError::Damaged { .. })));
    }

    #[test]
    fn no_file_means_no_anchor() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_anchor(dir.path()).unwrap(), None);
    }
}

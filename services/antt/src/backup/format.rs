//! The log backup file, format version 1.
//!
//! ```text
//! file    := MAGIC chunk* manifest trailer
//! MAGIC   := "ANTTBAK1"
//! chunk   := record*                     (at most CHUNK_EVENTS_MAX records)
//! record  := u32 length ‖ canonical ‖ hash   (the log's stored record, byte for byte)
//! manifest:= UTF-8 JSON, the `Manifest` below
//! trailer := u64 manifest length ‖ SHA-256(manifest) ‖ MAGIC      (48 bytes)
//! ```
//! Integers are big-endian. The manifest names each chunk's offset, length, first
//! position, event count and SHA-256, so a restore checks every byte before it imports
//! any, and reads one chunk at a time. The records are what the hash chain and the Merkle
//! tree cover, so the restored log reproduces the source's chain and root exactly.

use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use antt_audit::encoding::hex;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::backup::limits::{CHUNK_BYTES_MAX, CHUNK_BYTES_SOFT_MAX, CHUNK_EVENTS_MAX, MANIFEST_BYTES_MAX};

pub const MAGIC: &[u8; 8] = b"ANTTBAK1";
/// What the manifest's `format` says.
pub const FORMAT_NAME: &str = "antt-log-backup";
pub const FORMAT_VERSION: u32 = 1;
const TRAILER_BYTES: u64 = 8 + 32 + 8;
const LENGTH_PREFIX_BYTES: u64 = 4;

/// What a backup is of, and where its bytes are.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub format_version: u32,
    /// The log's canonical record format (`antt_log::codec::FORMAT_VERSION`).
    pub record_format_version: u8,
    /// When the backup started (RFC 3339, UTC).
    pub created_at: String,
    /// The server it was read from.
    pub source: String,
    pub log_origin: String,
    pub log_verifier_key: String,
    /// The backup holds exactly the events at positions `0..position`.
    pub position: u64,
    /// Chain hash of the event at `position - 1` (hex; zeros for an empty log).
    pub head_hash: String,
    /// RFC 9162 root of the tree of `position` events (hex).
    pub merkle_root: String,
    /// A checkpoint the server signed at a size within the backup, if there was one.
    pub checkpoint: Option<ManifestCheckpoint>,
    pub chunks: Vec<Chunk>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestCheckpoint {
    pub tree_size: u64,
    pub root_hash: String,
    /// The whole signed note, as `antt audit checkpoint` prints it.
    pub note: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chunk {
    pub offset: u64,
    pub bytes: u64,
    pub first_position: u64,
    pub events: u64,
    pub sha256: String,
}

/// Why a backup file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{path} is not a usable backup: {reason}")]
    Damaged { path: PathBuf, reason: String },
}

/// Writes records into chunks, then the manifest and the trailer.
pub struct BackupWriter {
    out: BufWriter<File>,
    offset: u64,
    chunks: Vec<Chunk>,
    open: Option<OpenChunk>,
    next_position: u64,
}

struct OpenChunk {
    offset: u64,
    bytes: u64,
    first_position: u64,
    events: u64,
    hasher: Sha256,
}

impl BackupWriter {
    pub fn new(file: File) -> io::Result<BackupWriter> {
        let mut out = BufWriter::new(file);
        out.write_all(MAGIC)?;
        Ok(BackupWriter {
            out,
            offset: MAGIC.len() as u64,
            chunks: Vec::new(),
            open: None,
            next_position: 0,
        })
    }

    /// Appends the stored record of the next position.
    pub fn push(&mut self, record: &[u8]) -> io::Result<()> {
        let length = u32::try_from(record.len()).map_err(|_| io::Error::other("a record over 4 GiB"))?;
        let chunk = self.open.get_or_insert_with(|| OpenChunk {
            offset: self.offset,
            bytes: 0,
            first_position: self.next_position,
            events: 0,
            hasher: Sha256::new(),
        });
        for part in [&length.to_be_bytes()[..], record] {
            self.out.write_all(part)?;
            chunk.hasher.update(part);
        }
        let written = LENGTH_PREFIX_BYTES + record.len() as u64;
        chunk.bytes += written;
        chunk.events += 1;
        self.offset += written;
        self.next_position += 1;
        if chunk.events >= CHUNK_EVENTS_MAX || chunk.bytes >= CHUNK_BYTES_SOFT_MAX {
            self.close_chunk();
        }
        Ok(())
    }

    fn close_chunk(&mut self) {
        if let Some(chunk) = self.open.take() {
            self.chunks.push(Chunk {
                offset: chunk.offset,
                bytes: chunk.bytes,
                first_position: chunk.first_position,
                events: chunk.events,
                sha256: hex(&chunk.hasher.finalize()),
            });
        }
    }

    /// Writes `manifest` (its chunks filled in here) and the trailer, and syncs the file.
    /// Returns the manifest as written.
    pub fn finish(mut self, mut manifest: Manifest) -> io::Result<Manifest> {
        self.close_chunk();
        manifest.chunks = std::mem::take(&mut self.chunks);
        let json = serde_json::to_vec(&manifest).map_err(io::Error::other)?;
        self.out.write_all(&json)?;
        self.out.write_all(&(json.len() as u64).to_be_bytes())?;
        self.out.write_all(&Sha256::digest(&json))?;
        self.out.write_all(MAGIC)?;
        let file = self.out.into_inner().map_err(|error| error.into_error())?;
        file.sync_all()?;
        Ok(manifest)
    }
}

/// A backup file whose manifest and layout were checked; chunks are checked as read.
pub struct BackupReader {
    path: PathBuf,
    file: File,
    manifest: Manifest,
}

impl BackupReader {
    pub fn open(path: &Path) -> Result<BackupReader, FormatError> {
        let io_error = |source| FormatError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut file = File::open(path).map_err(io_error)?;
        let length = file.metadata().map_err(io_error)?.len();
        let damaged = |reason: String| FormatError::Damaged {
            path: path.to_path_buf(),
            reason,
        };
        if length < MAGIC.len() as u64 + TRAILER_BYTES {
            return Err(damaged(format!("{length} bytes is too short for a backup")));
        }
        let mut magic = [0u8; 8];
        file.read_exact(&mut magic).map_err(io_error)?;
        let mut trailer = [0u8; TRAILER_BYTES as usize];
        file.seek(SeekFrom::Start(length - TRAILER_BYTES)).map_err(io_error)?;
        file.read_exact(&mut trailer).map_err(io_error)?;
        if &magic != MAGIC || &trailer[40..] != MAGIC {
            return Err(damaged(
                "it does not begin and end with ANTTBAK1 (not a backup, or cut short)".into(),
            ));
        }
        let mut length_bytes = [0u8; 8];
        length_bytes.copy_from_slice(&trailer[..8]);
        let manifest_bytes = u64::from_be_bytes(length_bytes);
        let room = length - TRAILER_BYTES - MAGIC.len() as u64;
        if manifest_bytes > MANIFEST_BYTES_MAX || manifest_bytes > room {
            return Err(damaged(format!(
                "its trailer claims a manifest of {manifest_bytes} bytes"
            )));
        }
        let manifest_offset = length - TRAILER_BYTES - manifest_bytes;
        file.seek(SeekFrom::Start(manifest_offset)).map_err(io_error)?;
        let mut json = vec![0u8; manifest_bytes as usize];
        file.read_exact(&mut json).map_err(io_error)?;
        if Sha256::digest(&json)[..] != trailer[8..40] {
            return Err(damaged(
                "the manifest's SHA-256 does not match: the file was changed or damaged".into(),
            ));
        }
        let manifest: Manifest =
            serde_json::from_slice(&json).map_err(|error| damaged(format!("the manifest does not parse: {error}")))?;
        check_layout(&manifest, manifest_offset).map_err(damaged)?;
        Ok(BackupReader {
            path: path.to_path_buf(),
            file,
            manifest,
        })
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The records of one chunk, after checking its SHA-256 and its framing.
    pub fn read_chunk(&mut self, chunk: &Chunk) -> Result<Vec<Vec<u8>>, FormatError> {
        let path = self.path.clone();
        let io_error = |source| FormatError::Io {
            path: path.clone(),
            source,
        };
        let damaged = |reason: String| FormatError::Damaged {
            path: path.clone(),
            reason,
        };
        self.file.seek(SeekFrom::Start(chunk.offset)).map_err(io_error)?;
        let mut bytes = vec![0u8; chunk.bytes as usize];
        self.file.read_exact(&mut bytes).map_err(io_error)?;
        if hex(&Sha256::digest(&bytes)) != chunk.sha256 {
            return Err(damaged(format!(
                "the chunk of positions {}..{} does not match its SHA-256: the file was changed or damaged",
                chunk.first_position,
                chunk.first_position + chunk.events
            )));
        }
        split_records(&bytes, chunk.events).map_err(|reason| {
            damaged(format!(
                "the chunk from position {} is malformed: {reason}",
                chunk.first_position
            ))
        })
    }
}

/// Chunks must follow each other from just after the magic to the manifest, with
/// positions dense from 0 to the backup's position, each within the bounds.
fn check_layout(manifest: &Manifest, manifest_offset: u64) -> Result<(), String> {
    if manifest.format != FORMAT_NAME || manifest.format_version != FORMAT_VERSION {
        return Err(format!(
            "it is {} version {}; this antt reads {FORMAT_NAME} version {FORMAT_VERSION}",
            manifest.format, manifest.format_version
        ));
    }
    if manifest.record_format_version != antt_log::codec::FORMAT_VERSION {
        return Err(format!(
            "its records are of format {}; this antt writes format {}",
            manifest.record_format_version,
            antt_log::codec::FORMAT_VERSION
        ));
    }
    let (mut offset, mut position) = (MAGIC.len() as u64, 0u64);
    for chunk in &manifest.chunks {
        if chunk.offset != offset || chunk.first_position != position {
            return Err(format!(
                "the chunk at offset {} is not where the one before ends",
                chunk.offset
            ));
        }
        if chunk.events == 0 || chunk.events > CHUNK_EVENTS_MAX || chunk.bytes > CHUNK_BYTES_MAX {
            return Err(format!(
                "the chunk from position {position} is outside the bounds of a chunk"
            ));
        }
        offset = offset.checked_add(chunk.bytes).ok_or("chunk sizes overflow")?;
        position += chunk.events;
    }
    if offset != manifest_offset {
        return Err("the chunks do not end where the manifest begins".into());
    }
    if position != manifest.position {
        return Err(format!(
            "its chunks hold {position} events but it says it holds {}",
            manifest.position
        ));
    }
    Ok(())
}

fn split_records(bytes: &[u8], events: u64) -> Result<Vec<Vec<u8>>, String> {
    let mut records = Vec::with_capacity(events as usize);
    let mut rest = bytes;
    while !rest.is_empty() {
        let (prefix, after) = rest.split_at_checked(4).ok_or("a record length is cut short")?;
        let mut length = [0u8; 4];
        length.copy_from_slice(prefix);
        let length = u32::from_be_bytes(length) as usize;
        if length > antt_log::limits::EVENT_BYTES_MAX {
            return Err(format!("a record of {length} bytes is larger than any event"));
        }
        let (record, after) = after.split_at_checked(length).ok_or("a record is cut short")?;
        records.push(record.to_vec());
        rest = after;
    }
    if records.len() as u64 != events {
        return Err(format!("it holds {} records, not {events}", records.len()));
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(position: u64) -> Manifest {
        Manifest {
            format: FORMAT_NAME.into(),
            format_version: FORMAT_VERSION,
            record_format_version: antt_log::codec::FORMAT_VERSION,
            created_at: "2025-01-01T00:00:00.000000Z".into(),
            source: "test".into(),
            log_origin: "o".into(),
            log_verifier_key: "k".into(),
            position,
            head_hash: String::new(),
            merkle_root: String::new(),
            checkpoint: None,
            chunks: Vec::new(),
        }
    }

    fn written(records: &[Vec<u8>]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.anttbak");
        let mut writer = BackupWriter::new(File::create(&path).unwrap()).unwrap();
        for record in records {
            writer.push(record).unwrap();
        }
        writer.finish(manifest(records.len() as u64)).unwrap();
        (dir, path)
    }

    #[test]
    fn records_come_back_chunk_by_chunk() {
        let records: Vec<Vec<u8>> = (0..2500u32).map(|i| i.to_be_bytes().repeat(3)).collect();
        let (_dir, path) = written(&records);
        let mut reader = BackupReader::open(&path).unwrap();
        let chunks = reader.manifest().chunks.clone();
        assert_eq!(chunks.len(), 3);
        let mut back = Vec::new();
        for chunk in &chunks {
            back.extend(reader.read_chunk(chunk).unwrap());
        }
        assert_eq!(back, records);
    }

    #[test]
    fn any_flipped_byte_is_found() {
        let records: Vec<Vec<u8>> = (0..10u32).map(|i| i.to_be_bytes().to_vec()).collect();
        let (_dir, path) = written(&records);
        let original = std::fs::read(&path).unwrap();
        for index in 0..original.len() {
            let mut bytes = original.clone();
            bytes[index] ^= 0x10;
            std::fs::write(&path, &bytes).unwrap();
            let found = BackupReader::open(&path).and_then(|mut reader| {
                let chunks = reader.manifest().chunks.clone();
                chunks.iter().try_for_each(|chunk| reader.read_chunk(chunk).map(|_| ()))
            });
            assert!(found.is_err(), "a flip at byte {index} went unnoticed");
        }
    }
}

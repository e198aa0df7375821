//! Where the personal-data key store lives. By default beside the data directory
//! (`./keys` beside `./data`), never inside it, so that a backup of the log does not carry
//! the keys that erasing a person destroys.
//!
//! Before this default, the store lived in `<data>/keys`. A server that found such a store
//! and quietly created an empty one beside the data directory would lose access to every
//! person's data, so the start is refused instead, naming the move to make (or the flag
//! that keeps the old place). Refusing rather than carrying on with a warning: the old place
//! is exactly what backups copy with the log, and an upgrade is the moment an operator is
//! there to read the message.

use std::path::{Path, PathBuf};

use crate::config::{Config, DEFAULT_KEY_DIR_NAME};

/// Why the key store's directory could not be settled.
#[derive(Debug, thiserror::Error)]
pub enum KeyDirError {
    #[error(
        "the personal-data key store is in {}, inside the data directory, where earlier versions kept it; \
         anttd now keeps it beside the data directory, in {}, so that a backup of the log does not carry the \
         keys. Nothing was created. With anttd stopped, move it: `mv {} {}` (keep its 0700 mode and owner), \
         or keep it where it is with --key-dir {} (ANTT_KEY_DIR)",
        .legacy.display(), .default.display(), .legacy.display(), .default.display(), .legacy.display()
    )]
    InsideDataDir { legacy: PathBuf, default: PathBuf },
    #[error(
        "there are two personal-data key stores, {} (inside the data directory, the old default) and {} \
         (beside it, the new default); anttd will not guess which holds this log's keys. Keep the one whose keys \
         the persons in this log were sealed under and name it with --key-dir (ANTT_KEY_DIR)",
        .legacy.display(), .default.display()
    )]
    Both { legacy: PathBuf, default: PathBuf },
    #[error("cannot read {}: {source}", .path.display())]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The key store's directory for `config`: `--key-dir` when given, else the default beside
/// the data directory, unless an old store inside the data directory would be left behind.
pub fn resolve(config: &Config) -> Result<PathBuf, KeyDirError> {
    if let Some(chosen) = &config.key_dir {
        if chosen.starts_with(&config.data_dir) {
            tracing::warn!(
                key_dir = %chosen.display(),
                data_dir = %config.data_dir.display(),
                "the personal-data key store is inside the data directory: a backup of the log carries the keys, \
                 and a person erased later can be read again from that backup; move it out (--key-dir)"
            );
        }
        return Ok(chosen.clone());
    }
    let default = default_beside(&config.data_dir);
    let legacy = config.data_dir.join(DEFAULT_KEY_DIR_NAME);
    match (holds_entries(&legacy)?, holds_entries(&default)?) {
        (true, false) => Err(KeyDirError::InsideDataDir { legacy, default }),
        (true, true) => Err(KeyDirError::Both { legacy, default }),
        (false, _) => Ok(default),
    }
}

/// `keys` beside `data_dir`: `./data` → `./keys`, `/var/lib/antt-ledger/data` →
/// `/var/lib/antt-ledger/keys`.
pub fn default_beside(data_dir: &Path) -> PathBuf {
    match data_dir.parent() {
        Some(parent) => parent.join(DEFAULT_KEY_DIR_NAME),
        None => PathBuf::from(DEFAULT_KEY_DIR_NAME),
    }
}

/// Whether `dir` exists and holds anything (a key, a tombstone, a write left by a crash).
fn holds_entries(dir: &Path) -> Result<bool, KeyDirError> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => Ok(entries.next().is_some()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(KeyDirError::Unreadable {
            path: dir.to_path_buf(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config_in(root: &Path) -> Config {
        Config::for_data_dir(root.join("data"))
    }

    #[test]
    fn the_default_is_beside_the_data_directory() {
        assert_eq!(default_beside(Path::new("./data")), PathBuf::from("./keys"));
        assert_eq!(
            default_beside(Path::new("/var/lib/antt-ledger/data")),
            PathBuf::from("/var/lib/antt-ledger/keys")
        );
        assert_eq!(default_beside(Path::new("data")), PathBuf::from("keys"));
        let root = tempfile::tempdir().unwrap();
        assert_eq!(resolve(&config_in(root.path())).unwrap(), root.path().join("keys"));
    }

    #[test]
    fn a_store_left_inside_the_data_directory_stops_the_start_and_names_the_move() {
        let root = tempfile::tempdir().unwrap();
        let config = config_in(root.path());
        std::fs::create_dir_all(root.path().join("data/keys")).unwrap();
        std::fs::write(root.path().join("data/keys/ab.key"), [0u8; 48]).unwrap();
        let error = resolve(&config).unwrap_err();
        let message = error.to_string();
        assert!(matches!(error, KeyDirError::InsideDataDir { .. }), "{message}");
        let mv = format!(
            "`mv {} {}`",
            root.path().join("data/keys").display(),
            root.path().join("keys").display()
        );
        assert!(message.contains(&mv), "{message}");
        assert!(!root.path().join("keys").exists(), "nothing is created");
        // An empty new store beside it does not make the old one go away.
        std::fs::create_dir(root.path().join("keys")).unwrap();
        assert!(matches!(resolve(&config), Err(KeyDirError::InsideDataDir { .. })));
        // Both holding keys: no guess.
        std::fs::write(root.path().join("keys/cd.key"), [0u8; 48]).unwrap();
        assert!(matches!(resolve(&config), Err(KeyDirError::Both { .. })));
    }

    #[test]
    fn after_the_move_or_with_the_flag_the_store_is_used() {
        let root = tempfile::tempdir().unwrap();
        let mut config = config_in(root.path());
        std::fs::create_dir_all(root.path().join("data/keys")).unwrap();
        std::fs::write(root.path().join("data/keys/ab.key"), [0u8; 48]).unwrap();
        config.key_dir = Some(root.path().join("data/keys"));
        assert_eq!(resolve(&config).unwrap(), root.path().join("data/keys"));
        config.key_dir = None;
        std::fs::rename(root.path().join("data/keys"), root.path().join("keys")).unwrap();
        assert_eq!(resolve(&config).unwrap(), root.path().join("keys"));
        // An empty directory left behind is not a store.
        std::fs::create_dir(root.path().join("data/keys")).unwrap();
        assert_eq!(resolve(&config).unwrap(), root.path().join("keys"));
    }
}

//! Where a server keeps its projection stores: one directory per generation under
//! `<data>/projections/`, and a `CURRENT` file naming the one that serves.
//!
//! A rebuild writes a new generation beside the serving one and switches `CURRENT` only
//! once it has caught up, so queries never go down and a crash mid-rebuild leaves the
//! old generation serving. The switch is a write of a temporary file, its sync, a rename
//! and a sync of the directory: after a crash `CURRENT` names the old generation or the
//! new one, never neither.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::store::{SledStore, StoreError, DEFAULT_CACHE_CAPACITY_BYTES};

const CURRENT: &str = "CURRENT";
const PREFIX: &str = "g";

#[derive(Debug)]
pub struct Generations {
    root: PathBuf,
    /// The page cache of each generation's store.
    cache_capacity_bytes: u64,
}

impl Generations {
    /// The generations under `root`, each store with the default page cache.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Generations {
            root: root.into(),
            cache_capacity_bytes: DEFAULT_CACHE_CAPACITY_BYTES,
        }
    }

    /// The same, each store with a page cache of at most `bytes`.
    pub fn with_cache_capacity(self, bytes: u64) -> Self {
        Generations {
            cache_capacity_bytes: bytes,
            ..self
        }
    }

    /// Opens (or creates) generation `name`'s store on the blocking pool: sled's open
    /// reads files, and the async workers must not wait on them.
    pub async fn open_store(&self, name: &str) -> Result<SledStore, StoreError> {
        let (path, cache_capacity_bytes) = (self.path(name), self.cache_capacity_bytes);
        tokio::task::spawn_blocking(move || SledStore::open(&path, cache_capacity_bytes)).await?
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The generation that serves, if one was ever switched to.
    pub fn current(&self) -> io::Result<Option<String>> {
        match fs::read_to_string(self.root.join(CURRENT)) {
            Ok(name) => Ok(Some(name.trim().to_owned()).filter(|name| is_generation(name))),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// A name for a new generation, after every one present.
    pub fn next_name(&self) -> io::Result<String> {
        let mut last = 0u64;
        if self.root.exists() {
            for entry in fs::read_dir(&self.root)? {
                let name = entry?.file_name();
                if let Some(number) = name.to_str().and_then(number_of) {
                    last = last.max(number);
                }
            }
        }
        Ok(format!("{PREFIX}{}", last + 1))
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// Makes `name` the serving generation, durably.
    pub fn switch_to(&self, name: &str) -> io::Result<()> {
        fs::create_dir_all(&self.root)?;
        let temporary = self.root.join(format!("{CURRENT}.tmp"));
        {
            let mut file = fs::File::create(&temporary)?;
            file.write_all(name.as_bytes())?;
            file.sync_all()?;
        }
        fs::rename(&temporary, self.root.join(CURRENT))?;
        fs::File::open(&self.root)?.sync_all()
    }

    /// Removes every generation but `keep`: an abandoned rebuild, or the one replaced.
    pub fn remove_others(&self, keep: &str) -> io::Result<()> {
        if !self.root.exists() {
            return Ok(());
        }
        for entry in fs::read_dir(&self.root)? {
            let entry = entry?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if is_generation(name) && name != keep {
                fs::remove_dir_all(entry.path())?;
            }
        }
        Ok(())
    }
}

fn number_of(name: &str) -> Option<u64> {
    name.strip_prefix(PREFIX)?.parse().ok()
}

fn is_generation(name: &str) -> bool {
    number_of(name).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_switch_names_the_new_generation_and_the_rest_can_go() {
        let dir = tempfile::tempdir().unwrap();
        let generations = Generations::new(dir.path().join("projections"));
        assert_eq!(generations.current().unwrap(), None);
        assert_eq!(generations.next_name().unwrap(), "g1");
        fs::create_dir_all(generations.path("g1")).unwrap();
        generations.switch_to("g1").unwrap();
        let second = generations.next_name().unwrap();
        assert_eq!(second, "g2");
        fs::create_dir_all(generations.path(&second)).unwrap();
        generations.switch_to(&second).unwrap();
        generations.remove_others(&second).unwrap();
        assert_eq!(generations.current().unwrap().as_deref(), Some("g2"));
        assert!(!generations.path("g1").exists());
        assert!(generations.path("g2").exists());
        assert_eq!(generations.next_name().unwrap(), "g3");
    }
}

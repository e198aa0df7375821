//! A store in memory, for tests and the property tests' many histories.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::RwLock;

use super::{Entry, Store, StoreError, Write};

#[derive(Debug, Default)]
pub struct MemoryStore {
    map: RwLock<BTreeMap<Vec<u8>, Vec<u8>>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<Vec<u8>, Vec<u8>>> {
        // A panic while holding the lock leaves the map as the last whole write left it.
        self.map.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Store for MemoryStore {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.read().get(key).cloned())
    }

    fn scan(
        &self,
        from: &[u8],
        to: Option<&[u8]>,
        visit: &mut dyn FnMut(&[u8], &[u8]) -> bool,
    ) -> Result<(), StoreError> {
        // `[from, to)` is empty when `to` is not after `from`, as sled reads it; a
        // BTreeMap range would panic (a period ending before it starts asks for one).
        if to.is_some_and(|to| to <= from) {
            return Ok(());
        }
        let end = to.map_or(Bound::Unbounded, Bound::Excluded);
        for (key, value) in self.read().range::<[u8], _>((Bound::Included(from), end)) {
            if !visit(key, value) {
                break;
            }
        }
        Ok(())
    }

    fn last_at_or_before(&self, key: &[u8]) -> Result<Option<Entry>, StoreError> {
        let map = self.read();
        let found = map
            .range::<[u8], _>((Bound::Unbounded, Bound::Included(key)))
            .next_back();
        Ok(found.map(|(key, value)| (key.clone(), value.clone())))
    }

    fn apply(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        let mut map = self.map.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        for (key, value) in writes {
            match value {
                Some(value) => map.insert(key, value),
                None => map.remove(&key),
            };
        }
        Ok(())
    }

    fn flush(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

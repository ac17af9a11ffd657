//! Space used on storages and in Ceph pools, from one pass over the volumes. Answers that list
//! every storage on every node ask for it once instead of scanning the volumes per entry.

use std::collections::HashMap;

use super::scenario::{CephPoolDef, StorageDef};
use super::world::World;

pub struct Usage<'a> {
    world: &'a World,
    /// Volume bytes per storage, all nodes together.
    by_storage: HashMap<&'a str, u64>,
    /// Volume bytes per storage and node, for local storages.
    by_node: HashMap<(&'a str, &'a str), u64>,
}

impl World {
    pub fn usage(&self) -> Usage<'_> {
        let mut by_storage: HashMap<&str, u64> = HashMap::new();
        let mut by_node: HashMap<(&str, &str), u64> = HashMap::new();
        for v in &self.volumes {
            *by_storage.entry(v.storage.as_str()).or_default() += v.size;
            if let Some(node) = &v.node {
                *by_node
                    .entry((v.storage.as_str(), node.as_str()))
                    .or_default() += v.size;
            }
        }
        Usage {
            world: self,
            by_storage,
            by_node,
        }
    }
}

impl Usage<'_> {
    /// Bytes used on a storage (on `node` for non-shared storage).
    pub fn storage_used(&self, storage: &StorageDef, node: &str) -> u64 {
        if storage.kind == "rbd" {
            // Ceph reports stored data per pool; guest disks are thin, count what is written.
            return self.pool_stored(pool_of(storage));
        }
        let volumes = if storage.shared {
            self.by_storage.get(storage.id.as_str())
        } else {
            self.by_node.get(&(storage.id.as_str(), node))
        };
        storage.used.map(|u| u.0).unwrap_or(0) + volumes.copied().unwrap_or(0)
    }

    pub fn storage_total(&self, storage: &StorageDef, node: &str) -> u64 {
        if storage.kind == "rbd" {
            let pool = pool_of(storage);
            return self.pool_stored(pool) + self.pool_max_avail(pool);
        }
        storage
            .size
            .map(|s| s.0)
            .unwrap_or(0)
            .max(self.storage_used(storage, node))
    }

    /// Data stored in a Ceph pool (one copy): its own `used` plus guest disks, thin at 45 %.
    pub fn pool_stored(&self, pool: &str) -> u64 {
        let w = self.world;
        if w.ceph.is_none() {
            return 0;
        }
        let base = self
            .pool(pool)
            .and_then(|p| p.used)
            .map(|u| u.0)
            .unwrap_or(0);
        let disks: u64 = w
            .storages
            .iter()
            .filter(|s| s.kind == "rbd" && pool_of(s) == pool)
            .filter_map(|s| self.by_storage.get(s.id.as_str()))
            .map(|bytes| bytes / 100 * 45)
            .sum();
        base + disks
    }

    pub fn raw_used(&self) -> u64 {
        let Some(ceph) = &self.world.ceph else {
            return 0;
        };
        ceph.pools
            .iter()
            .map(|p| self.pool_stored(&p.name) * u64::from(p.size))
            .sum()
    }

    pub fn pool_max_avail(&self, pool: &str) -> u64 {
        let w = self.world;
        if w.ceph.is_none() {
            return 0;
        }
        let size = self.pool(pool).map(|p| p.size.max(1)).unwrap_or(3);
        // Ceph keeps 5 % back (full ratio 0.95).
        let raw_free = (w.ceph_raw_total() as f64 * 0.95) as u64;
        raw_free.saturating_sub(self.raw_used()) / u64::from(size)
    }
}

impl<'a> Usage<'a> {
    fn pool(&self, name: &str) -> Option<&'a CephPoolDef> {
        let ceph = self.world.ceph.as_ref()?;
        ceph.pools.iter().find(|p| p.name == name)
    }
}

fn pool_of(storage: &StorageDef) -> &str {
    storage.pool.as_deref().unwrap_or(&storage.id)
}

//! String ids interned to dense `u32` indexes: one arena of bytes, one offset per id, and a hash table
//! of indexes. About 6 bytes of table plus the id's own bytes and 4 bytes of offset per id.

use std::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashTable};

#[derive(Debug, Default)]
pub(crate) struct Interner {
    arena: String,
    /// `ends[i]` is where id `i` ends in `arena`; it starts where id `i - 1` ends.
    ends: Vec<u32>,
    table: HashTable<u32>,
    hasher: DefaultHashBuilder,
}

impl Interner {
    pub(crate) fn with_capacity(ids: usize, bytes: usize) -> Interner {
        Interner {
            arena: String::with_capacity(bytes),
            ends: Vec::with_capacity(ids),
            table: HashTable::with_capacity(ids),
            hasher: DefaultHashBuilder::default(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    pub(crate) fn get(&self, ix: u32) -> &str {
        get(&self.arena, &self.ends, ix)
    }

    pub(crate) fn find(&self, s: &str) -> Option<u32> {
        let hash = self.hasher.hash_one(s);
        self.table.find(hash, |&ix| self.get(ix) == s).copied()
    }

    /// Adds `s`, or returns `Err(existing index)` when it is already there.
    pub(crate) fn insert(&mut self, s: &str) -> Result<u32, u32> {
        let hash = self.hasher.hash_one(s);
        let (arena, ends, hasher) = (&mut self.arena, &mut self.ends, &self.hasher);
        match self.table.entry(hash, |&ix| get(arena, ends, ix) == s, |&i| hasher.hash_one(get(arena, ends, i))) {
            hashbrown::hash_table::Entry::Occupied(e) => Err(*e.get()),
            hashbrown::hash_table::Entry::Vacant(v) => {
                let ix = ends.len() as u32;
                arena.push_str(s);
                ends.push(arena.len() as u32);
                v.insert(ix);
                Ok(ix)
            }
        }
    }

    /// Adds `s` or returns the index it already has.
    pub(crate) fn intern(&mut self, s: &str) -> u32 {
        match self.insert(s) {
            Ok(ix) | Err(ix) => ix,
        }
    }
}

fn get<'a>(arena: &'a str, ends: &[u32], ix: u32) -> &'a str {
    let i = ix as usize;
    let end = ends.get(i).copied().unwrap_or(0) as usize;
    let start = if i == 0 { 0 } else { ends.get(i - 1).copied().unwrap_or(0) as usize };
    arena.get(start..end).unwrap_or("")
}

/// Ids that are never looked up while building (events): appended with a 32-bit hash, and checked for
/// duplicates once, by sorting, in [`Appended::duplicates`]. No hash table, so no cache miss per id.
#[derive(Debug, Default)]
pub(crate) struct Appended {
    arena: String,
    ends: Vec<u32>,
    hashes: Vec<u32>,
    hasher: DefaultHashBuilder,
}

impl Appended {
    pub(crate) fn with_capacity(ids: usize, bytes: usize) -> Appended {
        Appended {
            arena: String::with_capacity(bytes),
            ends: Vec::with_capacity(ids),
            hashes: Vec::with_capacity(ids),
            hasher: DefaultHashBuilder::default(),
        }
    }

    pub(crate) fn push(&mut self, s: &str) -> u32 {
        self.hashes.push(self.hasher.hash_one(s) as u32);
        self.arena.push_str(s);
        self.ends.push(self.arena.len() as u32);
        (self.ends.len() - 1) as u32
    }

    pub(crate) fn get(&self, ix: u32) -> &str {
        get(&self.arena, &self.ends, ix)
    }

    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// Every id that repeats an earlier one, as (earlier index, later index), in order of the later.
    /// Frees the hashes.
    pub(crate) fn duplicates(&mut self) -> Vec<(u32, u32)> {
        let mut keyed: Vec<u64> =
            self.hashes.iter().enumerate().map(|(i, &h)| (u64::from(h) << 32) | i as u64).collect();
        self.hashes = Vec::new();
        keyed.sort_unstable();
        let mut dups = Vec::new();
        let mut start = 0;
        while start < keyed.len() {
            let h = keyed[start] >> 32;
            let mut end = start + 1;
            while end < keyed.len() && keyed[end] >> 32 == h {
                end += 1;
            }
            // Within one hash, compare the strings; indexes are ascending, so the first is the earliest.
            for k in start + 1..end {
                let later = keyed[k] as u32;
                if let Some(first) = (start..k).map(|j| keyed[j] as u32).find(|&j| self.get(j) == self.get(later)) {
                    dups.push((first, later));
                }
            }
            start = end;
        }
        dups.sort_unstable_by_key(|d| d.1);
        dups
    }
}

/// Strings kept for display only (transport documents, units, owners): appended, never looked up.
#[derive(Debug, Default)]
pub(crate) struct Texts {
    arena: String,
    ends: Vec<u32>,
}

impl Texts {
    pub(crate) fn with_capacity(n: usize, bytes: usize) -> Texts {
        Texts { arena: String::with_capacity(bytes), ends: Vec::with_capacity(n) }
    }

    pub(crate) fn push(&mut self, s: &str) -> u32 {
        self.arena.push_str(s);
        self.ends.push(self.arena.len() as u32);
        (self.ends.len() - 1) as u32
    }

    pub(crate) fn get(&self, ix: u32) -> &str {
        get(&self.arena, &self.ends, ix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interns_and_finds() {
        let mut i = Interner::default();
        assert_eq!(i.insert("a"), Ok(0));
        assert_eq!(i.insert("bb"), Ok(1));
        assert_eq!(i.insert("a"), Err(0));
        assert_eq!(i.intern("ccc"), 2);
        assert_eq!(i.find("bb"), Some(1));
        assert_eq!(i.find("zz"), None);
        assert_eq!(i.get(2), "ccc");
        assert_eq!(i.len(), 3);
        for n in 0..10_000 {
            i.intern(&format!("lot-{n}"));
        }
        assert_eq!(i.find("lot-9999"), Some(10_002));
    }

    #[test]
    fn finds_appended_duplicates() {
        let mut a = Appended::default();
        for s in ["E1", "E2", "E1", "E3", "E2", "E1"] {
            a.push(s);
        }
        for n in 0..5000 {
            a.push(&format!("X{n}"));
        }
        assert_eq!(a.duplicates(), vec![(0, 2), (1, 4), (0, 5)]);
        assert_eq!(a.get(3), "E3");
    }
}

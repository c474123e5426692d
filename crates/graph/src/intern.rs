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
        let i = ix as usize;
        let end = self.ends.get(i).copied().unwrap_or(0) as usize;
        let start = if i == 0 { 0 } else { self.ends.get(i - 1).copied().unwrap_or(0) as usize };
        self.arena.get(start..end).unwrap_or("")
    }

    pub(crate) fn find(&self, s: &str) -> Option<u32> {
        let hash = self.hasher.hash_one(s);
        self.table.find(hash, |&ix| self.get(ix) == s).copied()
    }

    /// Adds `s`, or returns `Err(existing index)` when it is already there.
    pub(crate) fn insert(&mut self, s: &str) -> Result<u32, u32> {
        let hash = self.hasher.hash_one(s);
        if let Some(&ix) = self.table.find(hash, |&ix| get(&self.arena, &self.ends, ix) == s) {
            return Err(ix);
        }
        let ix = self.ends.len() as u32;
        self.arena.push_str(s);
        self.ends.push(self.arena.len() as u32);
        let (arena, ends, hasher) = (&self.arena, &self.ends, &self.hasher);
        self.table.insert_unique(hash, ix, |&i| hasher.hash_one(get(arena, ends, i)));
        Ok(ix)
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
}

//! A fast, deterministic hasher for the hash maps of the analysis (joins over every scenario of
//! the workspace, linking scenarios and tests), which run on every keystroke.
//!
//! The standard `RandomState` (SipHash-1-3) resists hash flooding, which costs several times
//! more per byte; the keys here (scenario names, ids, step keys of the user's own files) come
//! from the workspace, not from a remote peer, so a multiply-rotate hash of one word at a time
//! (the scheme rustc and Firefox use) is enough. It is also deterministic, unlike `RandomState`.

use std::hash::{BuildHasherDefault, Hasher};

/// `std::collections::HashMap` with [`FxHasher`] (create with `default()`).
pub type HashMap<K, V> = std::collections::HashMap<K, V, BuildHasherDefault<FxHasher>>;
/// `std::collections::HashSet` with [`FxHasher`] (create with `default()`).
pub type HashSet<K> = std::collections::HashSet<K, BuildHasherDefault<FxHasher>>;

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

/// Multiply-rotate hashing, eight bytes at a time.
#[derive(Clone, Copy, Default)]
pub struct FxHasher {
    hash: u64,
}

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            // The length tells "ab" from "ab\0".
            self.add(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 59));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{BuildHasher, Hash};

    fn h<T: Hash>(t: T) -> u64 {
        BuildHasherDefault::<FxHasher>::default().hash_one(t)
    }

    #[test]
    fn equal_keys_hash_alike_and_near_keys_apart() {
        assert_eq!(h("scenario one"), h(String::from("scenario one")));
        assert_eq!(h(("a", "b")), h(("a", "b")));
        let keys = [
            "",
            "a",
            "ab",
            "ab\0",
            "b",
            "ba",
            "abcdefgh",
            "abcdefghi",
            "abcdefgi",
        ];
        let hashes: HashSet<u64> = keys.iter().map(h).collect();
        assert_eq!(hashes.len(), keys.len());
        // Tuples of strings: the boundary between the parts matters.
        assert_ne!(h(("ab", "c")), h(("a", "bc")));
    }

    #[test]
    fn maps_work_with_it() {
        let mut m: HashMap<String, usize> = HashMap::default();
        for i in 0..1000 {
            m.insert(format!("scenario number {i}"), i);
        }
        assert!((0..1000).all(|i| m[&format!("scenario number {i}")] == i));
    }
}

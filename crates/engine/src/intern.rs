//! The strings of cached aggregate keys as small integers.
//!
//! The engine's cache keys ([`crate::row_key::RowKey`]) hold a [`Sym`] per
//! string field, so a lookup hashes and compares a few integers instead of
//! up to six heap strings. [`Interner`] maps each distinct string to its
//! symbol and back; [`Symbols`] is one pass of lookups over strings that
//! all stay borrowed for the pass, which lets it remember the symbol of
//! each string by its address: the contributions of one task change repeat
//! the same few strings (project, dimensions, participants, categories)
//! many times, and most of them come from the very same text.

use std::hash::BuildHasher;
use std::marker::PhantomData;

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;

/// An interned string: an index into its [`Interner`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Sym(u32);

/// Slots of the address memo of a [`Symbols`] pass: `2^MEMO_BITS` (32 KiB).
/// A task's strings are met again a few changes later (its next event),
/// after some hundred other strings: with 256 slots a third of them had
/// been evicted by then, and how many depended on where the allocator
/// happened to put them.
const MEMO_BITS: u32 = 10;
const MEMO_SLOTS: usize = 1 << MEMO_BITS;

/// One remembered `(address, length) -> symbol`, valid in the pass `pass`.
#[derive(Debug, Clone, Copy, Default)]
struct MemoSlot {
    address: usize,
    len: usize,
    sym: u32,
    pass: u32,
}

/// Distinct strings, each with its [`Sym`].
#[derive(Debug)]
pub(crate) struct Interner {
    names: Vec<Box<str>>,
    /// Indices into `names`, hashed by the name.
    table: HashTable<u32>,
    /// The address memo of the passes ([`Interner::symbols`]).
    memo: Box<[MemoSlot; MEMO_SLOTS]>,
    /// The current pass; memo slots of other passes are stale.
    pass: u32,
    /// The last project name looked up ([`Interner::intern_project`]).
    project: Option<Sym>,
}

/// The symbol of the empty string in every interner: the most common
/// string of all (cells leave their unused fields empty), looked up
/// without the memo.
const EMPTY: Sym = Sym(0);

impl Default for Interner {
    fn default() -> Self {
        let mut interner = Interner {
            names: Vec::new(),
            table: HashTable::new(),
            memo: Box::new([MemoSlot::default(); MEMO_SLOTS]),
            pass: 0,
            project: None,
        };
        let empty = interner.intern("");
        debug_assert_eq!(empty, EMPTY);
        interner
    }
}

fn hash_name(name: &str) -> u64 {
    FxBuildHasher.hash_one(name)
}

impl Interner {
    /// The symbol of `name`, added when new.
    pub(crate) fn intern(&mut self, name: &str) -> Sym {
        let names = &mut self.names;
        let hash = hash_name(name);
        let found = self
            .table
            .find(hash, |&index| &*names[index as usize] == name);
        if let Some(&index) = found {
            return Sym(index);
        }
        let index = u32::try_from(names.len()).expect("fewer than 2^32 distinct key strings");
        names.push(name.into());
        self.table
            .insert_unique(hash, index, |&other| hash_name(&names[other as usize]));
        Sym(index)
    }

    /// [`Interner::intern`] of a project name: every key names its project,
    /// and consecutive events are mostly of one project, so the last one's
    /// symbol is kept and checked by comparing the text before hashing it.
    pub(crate) fn intern_project(&mut self, name: &str) -> Sym {
        if let Some(sym) = self.project.filter(|&sym| self.name(sym) == name) {
            return sym;
        }
        let sym = self.intern(name);
        self.project = Some(sym);
        sym
    }

    /// The string of `sym` (a symbol of this interner).
    pub(crate) fn name(&self, sym: Sym) -> &str {
        self.names.get(sym.0 as usize).map_or("", |name| name)
    }

    /// Distinct strings held.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.names.len()
    }

    /// Starts a pass of lookups over strings borrowed for `'a`.
    pub(crate) fn symbols<'a>(&mut self) -> Symbols<'_, 'a> {
        self.next_pass();
        Symbols {
            interner: self,
            text: PhantomData,
        }
    }

    fn next_pass(&mut self) {
        self.pass = self.pass.wrapping_add(1);
        if self.pass == 0 {
            // Wrapped: no slot may look current by chance.
            self.memo.fill(MemoSlot::default());
            self.pass = 1;
        }
    }
}

/// One pass of lookups over strings that all outlive it (`'a`): while they
/// are borrowed, no other text can sit at the address of one of them, so
/// the same address and length is the same string, and its symbol is
/// remembered by address for the rest of the pass. What earlier passes
/// remembered is used only after comparing the text (strings kept in the
/// engine's state, such as the settings' dimension names, keep their
/// address from one change to the next).
pub(crate) struct Symbols<'i, 'a> {
    interner: &'i mut Interner,
    /// Every string given to [`Symbols::sym`] lives for `'a`, and the pass
    /// cannot outlive `'a`.
    text: PhantomData<&'a str>,
}

impl<'a> Symbols<'_, 'a> {
    /// The interner of the pass (to name symbols).
    pub(crate) fn interner(&self) -> &Interner {
        self.interner
    }

    /// The symbol of `name`.
    #[inline]
    pub(crate) fn sym(&mut self, name: &'a str) -> Sym {
        if name.is_empty() {
            return EMPTY;
        }
        let (address, len) = (name.as_ptr() as usize, name.len());
        let slot = &self.interner.memo[memo_slot(address, len)];
        if slot.pass == self.interner.pass && slot.address == address && slot.len == len {
            return Sym(slot.sym);
        }
        self.remember(name)
    }

    /// [`Symbols::sym`] of a string not seen yet in this pass. A slot
    /// left by an earlier pass at the same address may be stale (other
    /// text may sit there now), so it is trusted only once its symbol's
    /// name is checked equal.
    #[inline(never)]
    fn remember(&mut self, name: &'a str) -> Sym {
        let (address, len) = (name.as_ptr() as usize, name.len());
        let index = memo_slot(address, len);
        let earlier = self.interner.memo[index];
        let sym = if earlier.address == address
            && earlier.len == len
            && self.interner.name(Sym(earlier.sym)) == name
        {
            Sym(earlier.sym)
        } else {
            self.interner.intern(name)
        };
        self.interner.memo[index] = MemoSlot {
            address,
            len,
            sym: sym.0,
            pass: self.interner.pass,
        };
        sym
    }
}

/// The memo slot of a string's address and length.
#[inline]
fn memo_slot(address: usize, len: usize) -> usize {
    let mixed = (address ^ (len << 40)) as u64;
    (mixed.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - MEMO_BITS)) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_project_symbol_is_the_interned_one() {
        let mut interner = Interner::default();
        let p = interner.intern("p");
        let q = interner.intern_project("q");
        assert_eq!(interner.intern_project("p"), p);
        assert_eq!(interner.intern_project("p"), p);
        assert_eq!(interner.intern_project("q"), q);
        assert_eq!(interner.intern("q"), q);
        assert_eq!(interner.name(q), "q");
    }

    #[test]
    fn the_empty_string_is_the_same_symbol_everywhere() {
        let mut interner = Interner::default();
        assert_eq!(interner.intern(""), EMPTY);
        assert_eq!(interner.name(EMPTY), "");
        let text = String::from("ab");
        let mut symbols = interner.symbols();
        assert_eq!(symbols.sym(&text[..0]), EMPTY);
        assert_eq!(symbols.sym(""), EMPTY);
        assert_ne!(symbols.sym(&text), EMPTY);
    }

    #[test]
    fn equal_strings_share_a_symbol() {
        let mut interner = Interner::default();
        let (a, b) = (String::from("member-1"), String::from("member-1"));
        let x = interner.intern(&a);
        let y = interner.intern(&b);
        let z = interner.intern("member-2");
        assert_eq!(x, y);
        assert_ne!(x, z);
        assert_eq!(interner.name(x), "member-1");
        assert_eq!(interner.name(z), "member-2");
        assert_eq!(interner.len(), 3, "the two names and the empty string");
    }

    #[test]
    fn a_pass_gives_the_interned_symbols() {
        let mut interner = Interner::default();
        let texts: Vec<String> = (0..300).map(|i| format!("s{}", i % 150)).collect();
        let expected: Vec<Sym> = texts.iter().map(|t| interner.intern(t)).collect();
        for _ in 0..2 {
            let mut symbols = interner.symbols();
            for (text, expected) in texts.iter().zip(&expected) {
                assert_eq!(symbols.sym(text), *expected);
                // Prefixes share the address but not the length.
                assert_eq!(symbols.sym(&text[..1]), symbols.sym("s"));
            }
        }
    }

    #[test]
    fn new_text_at_a_remembered_address_gets_its_own_symbol() {
        let mut interner = Interner::default();
        let mut text = String::with_capacity(8);
        text.push_str("aaaa");
        let first = interner.symbols().sym(&text);
        let address = text.as_ptr();
        text.clear();
        text.push_str("bbbb");
        assert_eq!(text.as_ptr(), address);
        let second = interner.symbols().sym(&text);
        assert_ne!(first, second);
        assert_eq!(interner.name(second), "bbbb");
        assert_eq!(interner.symbols().sym(&text), second);
    }
}

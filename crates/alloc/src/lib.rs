//! The global allocator of LabelPulse's binary, benches and profiling
//! examples: mimalloc, asked for a plain block whenever a plain block has
//! the alignment Rust asks for.
//!
//! The `mimalloc` crate's `GlobalAlloc` passes every request to
//! `mi_malloc_aligned`, alignment 1 to 8 included. mimalloc 3 serves such
//! a request from a free block of its size class only when one is at hand
//! and, on its generic path, only when the class's block size is a power
//! of two; any other size (24, 48, 80, 96 ... bytes) is over-allocated
//! (a 48-byte request takes a 64-byte block) through two more calls. In
//! the engine's apply loop those wrappers cost more instructions than the
//! allocations themselves (PERFORMANCE.md, "The allocator").
//!
//! A plain `mi_malloc` block is aligned enough when the alignment is at
//! most 16 bytes and divides the size: mimalloc's size classes are 8
//! bytes and multiples of 16 above it (a 24-byte request takes a 32-byte
//! block, a 40-byte one 48), each request takes the smallest class at
//! least its size (so a size that 16 divides gets a class that 16
//! divides), and blocks are laid out from 16-byte aligned
//! page starts (`MI_MAX_ALIGN_SIZE`). That is the alignment a conforming
//! `malloc` owes to any object of that size, which mimalloc, a drop-in
//! `malloc`, gives. Every other request keeps the aligned calls. The unit
//! tests check the alignment of every size up to 4 KiB and a few large
//! ones, through `alloc`, `alloc_zeroed` and `realloc`.

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

use libmimalloc_sys as mi;

/// The largest alignment a plain mimalloc block is sure to have (for a
/// size it divides): mimalloc's `MI_MAX_ALIGN_SIZE`.
const PLAIN_ALIGN: usize = 16;

/// Whether a plain block of `size` bytes is aligned to `align`.
#[inline]
fn plain_block_suffices(size: usize, align: usize) -> bool {
    align <= PLAIN_ALIGN && size.is_multiple_of(align)
}

/// mimalloc as Rust's global allocator, with plain calls where they
/// suffice (see the crate's documentation).
///
/// ```
/// #[global_allocator]
/// static ALLOCATOR: labelpulse_alloc::Mimalloc = labelpulse_alloc::Mimalloc;
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Mimalloc;

// SAFETY: every block comes from mimalloc with at least the layout's size
// and alignment (plain calls only where `plain_block_suffices`, see the
// crate's documentation), and `mi_free` and `mi_realloc*` take any block
// mimalloc gave, plain or aligned.
unsafe impl GlobalAlloc for Mimalloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if plain_block_suffices(layout.size(), layout.align()) {
            mi::mi_malloc(layout.size()).cast()
        } else {
            mi::mi_malloc_aligned(layout.size(), layout.align()).cast()
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if plain_block_suffices(layout.size(), layout.align()) {
            mi::mi_zalloc(layout.size()).cast()
        } else {
            mi::mi_zalloc_aligned(layout.size(), layout.align()).cast()
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        mi::mi_free(ptr.cast::<c_void>());
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if plain_block_suffices(new_size, layout.align()) {
            mi::mi_realloc(ptr.cast::<c_void>(), new_size).cast()
        } else {
            mi::mi_realloc_aligned(ptr.cast::<c_void>(), new_size, layout.align()).cast()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALIGNS: [usize; 5] = [1, 2, 4, 8, 16];

    fn sizes() -> impl Iterator<Item = usize> {
        (1..=4096).chain([65_536 - 8, 100_000, 1 << 20, (1 << 22) + 48])
    }

    fn check(ptr: *mut u8, layout: Layout) {
        assert!(!ptr.is_null(), "{layout:?}: no block");
        assert_eq!(ptr as usize % layout.align(), 0, "{layout:?}: misaligned");
    }

    #[test]
    fn every_block_has_its_layouts_alignment() {
        for align in ALIGNS.into_iter().chain([32, 64, 4096]) {
            for size in sizes() {
                let layout = Layout::from_size_align(size, align).expect("a valid layout");
                // SAFETY: the layout's size is not zero; the block is freed
                // with it. Sizes that the alignment does not divide are
                // valid layouts too (`Layout::from_size_align(24, 16)`):
                // they must take the aligned calls.
                unsafe {
                    let ptr = Mimalloc.alloc(layout);
                    check(ptr, layout);
                    ptr.write_bytes(0xA5, size);
                    Mimalloc.dealloc(ptr, layout);
                    let zeroed = Mimalloc.alloc_zeroed(layout);
                    check(zeroed, layout);
                    assert!(std::slice::from_raw_parts(zeroed, size)
                        .iter()
                        .all(|b| *b == 0));
                    Mimalloc.dealloc(zeroed, layout);
                }
            }
        }
    }

    #[test]
    fn a_grown_or_shrunk_block_keeps_its_alignment_and_contents() {
        for align in ALIGNS {
            let layout = Layout::from_size_align(align, align).expect("a valid layout");
            // SAFETY: no size is zero; each realloc passes the block's
            // current layout.
            unsafe {
                let mut ptr = Mimalloc.alloc(layout);
                check(ptr, layout);
                ptr.write(7);
                let mut current = layout;
                for size in sizes().step_by(7) {
                    ptr = Mimalloc.realloc(ptr, current, size);
                    current = Layout::from_size_align(size, align).expect("a valid layout");
                    check(ptr, current);
                    assert_eq!(ptr.read(), 7, "{current:?}: contents lost");
                }
                ptr = Mimalloc.realloc(ptr, current, align);
                check(ptr, layout);
                assert_eq!(ptr.read(), 7);
                Mimalloc.dealloc(ptr, layout);
            }
        }
    }

    #[test]
    fn plain_blocks_only_where_a_size_class_is_aligned_enough() {
        assert!(plain_block_suffices(48, 16));
        assert!(plain_block_suffices(24, 8));
        assert!(plain_block_suffices(3, 1));
        assert!(
            !plain_block_suffices(24, 16),
            "a 24-byte class is only 8-aligned"
        );
        assert!(!plain_block_suffices(64, 32));
    }
}

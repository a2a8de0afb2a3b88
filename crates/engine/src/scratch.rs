//! Reusable buffers for the contribution lists of one task change.

use labelpulse_core::contribution::Contribution;

/// The lists an event builds (contributions before and after), kept empty between events so their allocations are
/// reused instead of grown from nothing on every event.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    before: Vec<Contribution<'static>>,
    after: Vec<Contribution<'static>>,
}

/// The two lists of one change: contributions before and after.
pub(crate) type Lists<'a> = (Vec<Contribution<'a>>, Vec<Contribution<'a>>);

impl Scratch {
    /// Empty lists, with the capacity of earlier events.
    pub(crate) fn take<'a>(&mut self) -> Lists<'a> {
        (
            recycle(std::mem::take(&mut self.before)),
            recycle(std::mem::take(&mut self.after)),
        )
    }

    /// Keeps the lists' allocations (their contents are dropped).
    pub(crate) fn give_back(&mut self, (before, after): Lists<'_>) {
        self.before = recycle(before);
        self.after = recycle(after);
    }
}

/// An empty vector of an element type of the same layout, in `items`'
/// allocation: the standard library collects a vector's own iterator in
/// place when the layouts match (were it not to, this would allocate,
/// correct either way).
fn recycle<T, U>(mut items: Vec<T>) -> Vec<U> {
    items.clear();
    items.into_iter().filter_map(|_| None).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recycling_keeps_the_allocation() {
        let mut scratch = Scratch::default();
        let (mut before, after) = scratch.take();
        before.reserve(100);
        let capacity = before.capacity();
        scratch.give_back((before, after));
        let (before, _) = scratch.take();
        assert!(before.is_empty());
        assert_eq!(before.capacity(), capacity);
    }
}

//! Hints that start loading memory a tick is about to read, so that the loads of the next
//! view (or, in the server, of the next client's seat) overlap the work on this one.
//!
//! A tick reads every view's own state once, cold: thousands of views hold megabytes, which
//! the sessions' writers and the clients on the same cores evict between two ticks. Read one
//! after another, each of a view's lists costs a wait on memory of its own; asked for while
//! the view before it is still being brought up to date, they arrive together.

/// Bytes in a cache line.
const LINE: usize = 64;

/// Asks for the first `max_lines` cache lines of `items` (all of them when shorter). A hint
/// only: nothing is read, and an address that is not mapped is ignored by the CPU.
pub fn slice<T>(items: &[T], max_lines: usize) {
    let bytes = std::mem::size_of_val(items).min(max_lines * LINE);
    let start = items.as_ptr().cast::<u8>();
    let mut offset = 0;
    while offset < bytes {
        line(start.wrapping_add(offset));
        offset += LINE;
    }
}

/// Asks for the cache line holding `value`.
pub fn value<T>(value: &T) {
    line(std::ptr::from_ref(value).cast::<u8>());
}

#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
fn line(address: *const u8) {
    use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
    // SAFETY: a prefetch reads nothing and cannot fault, whatever the address; SSE, which
    // it needs, is part of every x86-64 CPU.
    unsafe { _mm_prefetch::<_MM_HINT_T0>(address.cast::<i8>()) };
}

#[cfg(not(target_arch = "x86_64"))]
fn line(_address: *const u8) {}

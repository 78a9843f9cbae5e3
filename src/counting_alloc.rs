//! The `kubesim` binary's global allocator: the system allocator, counting the heap bytes in
//! use into [`kubesim::budget::HEAP_BYTES`] so the run's memory check reads an exact figure
//! cheaply (one relaxed atomic add per allocation; the engine allocates little per event).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::Ordering;

/// [`System`], counting.
pub struct Counting;

// SAFETY: every call is forwarded to `System` with the same arguments; the counter is only
// arithmetic on the side.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as `System::alloc`; the caller upholds its contract.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            kubesim::budget::HEAP_BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as `System::alloc_zeroed`.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            kubesim::budget::HEAP_BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with `layout` (every allocation goes
        // through this allocator).
        unsafe { System.dealloc(ptr, layout) };
        kubesim::budget::HEAP_BYTES.fetch_sub(layout.size() as u64, Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as `System::realloc`.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            let heap = &kubesim::budget::HEAP_BYTES;
            if new_size >= layout.size() {
                heap.fetch_add((new_size - layout.size()) as u64, Ordering::Relaxed);
            } else {
                heap.fetch_sub((layout.size() - new_size) as u64, Ordering::Relaxed);
            }
        }
        p
    }
}

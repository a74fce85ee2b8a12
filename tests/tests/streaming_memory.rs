//! Decoding a large list of our own pickles into a `Vec` holds about the
//! result's memory, not the whole graph besides it: streaming frees each
//! batch's nodes once they are converted. Measured with a counting
//! allocator (this test binary holds this one test, so nothing else
//! allocates meanwhile).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call forwards to the system allocator with the same layout;
// the counters only observe sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged; `ptr` came from `alloc` with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

#[derive(pickle_core::Pickle, Debug, PartialEq)]
#[pickle(module = "bench_models")]
struct Item {
    x: f64,
    y: f64,
    label: String,
    tags: Vec<i64>,
}

#[test]
fn decoding_into_a_vec_holds_about_the_result_not_the_graph_too() {
    let n = 200_000;
    let items: Vec<Item> = (0..n)
        .map(|i| Item { x: i as f64, y: -(i as f64), label: format!("item-{i}"), tags: vec![i as i64, 1, 2] })
        .collect();
    let bytes = pickle_core::to_vec(&items).expect("encode");
    drop(items);

    let before = CURRENT.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let back: Vec<Item> = pickle_core::from_slice(&bytes).expect("decode");
    let peak = PEAK.load(Ordering::Relaxed) - before;
    assert_eq!(back.len(), n);
    assert_eq!(back[123], Item { x: 123.0, y: -123.0, label: "item-123".into(), tags: vec![123, 1, 2] });

    // The decoded data's size, as allocated (the Vec's growth included).
    let data_size: usize = back.capacity() * size_of::<Item>()
        + back.iter().map(|i| i.label.capacity() + i.tags.capacity() * 8).sum::<usize>();
    // Building the whole graph first would need several times the data.
    let ratio = peak as f64 / data_size as f64;
    println!("peak {peak} bytes for {data_size} bytes of decoded data: {ratio:.2}x");
    assert!(ratio < 1.5, "decoding peaked at {ratio:.2}x the decoded data's size");
}

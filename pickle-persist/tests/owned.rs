//! Peak memory of background saves: `save_owned` of an `Arc`-held state
//! needs no copy of it, where `save_in_background` encodes a whole copy
//! first. Measured by a counting allocator (heap bytes, the map's pages are
//! file-backed and not counted). Set `PICKLE_PERSIST_OWNED_MIB` for a larger
//! state (64 MiB by default).

use std::sync::Arc;

use pickle_persist::Checkpointer;
use pickle_test_support::{TempDir, peak_of};

#[global_allocator]
static ALLOC: pickle_test_support::Counting = pickle_test_support::Counting;

#[test]
fn an_owned_background_save_holds_no_second_copy() {
    let mib: usize = std::env::var("PICKLE_PERSIST_OWNED_MIB").ok().and_then(|s| s.parse().ok()).unwrap_or(64);
    let dir = TempDir::new("owned");
    let mut ckpt = Checkpointer::open(dir.path()).expect("open");
    // Ten arrays, as a model's layers would be.
    let layer = mib * (1 << 20) / 8 / 10;
    let state_bytes = 10 * layer * 8;
    let mut state: Arc<Vec<Vec<f64>>> = Arc::new((0..10).map(|i| vec![i as f64 + 0.5; layer]).collect());

    let ((), owned_peak) = peak_of(|| {
        ckpt.save_owned(1, Arc::clone(&state)).expect("save_owned");
        ckpt.flush().expect("flush");
    });
    let ((), copied_peak) = peak_of(|| {
        ckpt.save_in_background(2, &*state).expect("save_in_background");
        ckpt.flush().expect("flush");
    });
    // The state was shared with the save, not copied: it is still unique.
    assert!(Arc::get_mut(&mut state).is_some(), "the finished save released its reference");
    let back: Vec<Vec<f64>> = ckpt.load(1).expect("load");
    assert_eq!(back, *state);

    let ratio = |extra: usize| (state_bytes + extra) as f64 / state_bytes as f64;
    println!(
        "{mib} MiB state: peak heap during save_owned {:.3}x the state, during save_in_background {:.3}x",
        ratio(owned_peak),
        ratio(copied_peak)
    );
    assert!(ratio(owned_peak) <= 1.01, "save_owned allocated {owned_peak} bytes beyond a {state_bytes}-byte state");
    assert!(ratio(copied_peak) >= 1.9, "save_in_background encodes a copy: {copied_peak} bytes");
}

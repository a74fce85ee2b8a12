//! Typed decoding is charged against the input's allocation budget, every
//! copy of a shared node included: small pickles that reference one big
//! value many times ("bombs") fail with `LimitExceeded` at an offset, and
//! the peak of what the decode allocated (measured with a counting
//! allocator: this binary holds only these tests, run one at a time under
//! a lock) stays within the budget. No timings.

use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Mutex;

use pickle_core::{DecodeOptions, ErrorKind, Limits};

#[global_allocator]
static ALLOCATOR: pickle_test_support::Counting = pickle_test_support::Counting;

/// One measurement at a time: the counters are global.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// A tight budget, so that the list bombs fail after a few dozen MiB.
const TIGHT: Limits = Limits::DEFAULT.max_alloc(32 << 20).alloc_per_input_byte(8);

fn budget(limits: &Limits, input: usize) -> usize {
    limits.max_alloc as usize + limits.alloc_per_input_byte as usize * input
}

/// The budget and the slack the graph's own vectors may add: the machine
/// charges them by length, and they grow by doubling (measured: +0.44% for
/// the list bomb, which re-decodes its whole graph after streaming gives up).
fn bound(limits: &Limits, input: usize) -> usize {
    let b = budget(limits, input);
    b + b / 100
}

/// One list of 2,000 ints referenced 500,000 times: 1.5 MB of pickle, 8 GB
/// as a `Vec<Vec<i64>>`.
fn list_bomb() -> Vec<u8> {
    let shared = Rc::new((0..2000i64).collect::<Vec<_>>());
    let refs: Vec<Rc<Vec<i64>>> = (0..500_000).map(|_| Rc::clone(&shared)).collect();
    pickle_core::to_vec(&refs).unwrap()
}

#[test]
fn a_shared_list_copied_into_vec_vec_fails_within_the_budget() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let bytes = list_bomb();
    let opts = DecodeOptions::default().limits(TIGHT);
    let (result, peak) =
        pickle_test_support::peak_of(|| pickle_core::from_slice_with::<Vec<Vec<i64>>>(&bytes, opts.clone()));
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LimitExceeded, "{err}");
    assert!(err.offset().is_some(), "{err}");
    let limit = bound(&TIGHT, bytes.len());
    assert!(peak <= limit, "peak {peak} bytes, budget {limit}");
    eprintln!("list bomb: {} bytes of input, peak {peak} bytes, bound {limit}: {err}", bytes.len());

    // From a reader, and as a BTreeMap of lists: the same.
    let (result, peak) =
        pickle_test_support::peak_of(|| pickle_core::from_reader_with::<_, Vec<Vec<i64>>>(&bytes[..], opts.clone()));
    assert_eq!(result.unwrap_err().kind(), ErrorKind::LimitExceeded);
    assert!(peak <= limit, "reader: peak {peak} bytes, budget {limit}");
    eprintln!("list bomb from a reader: peak {peak} bytes");
    // Sharing types decode it within budget: one list, shared.
    let shared: Vec<Rc<Vec<i64>>> = pickle_core::from_slice_with(&bytes, opts).unwrap();
    assert_eq!((shared.len(), Rc::strong_count(&shared[0])), (500_000, 500_000));
}

#[test]
fn a_shared_str_copied_into_vec_string_fails_within_the_default_budget() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    // One 1 MiB str referenced 2,000 times: 1 MiB of pickle, 2 GiB of Strings.
    let big: Rc<str> = Rc::from("x".repeat(1 << 20));
    let refs: Vec<Rc<str>> = (0..2000).map(|_| Rc::clone(&big)).collect();
    let bytes = pickle_core::to_vec(&refs).unwrap();
    let (result, peak) = pickle_test_support::peak_of(|| pickle_core::from_slice::<Vec<String>>(&bytes));
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LimitExceeded, "{err}");
    assert!(err.offset().is_some(), "{err}");
    let limit = bound(&Limits::DEFAULT, bytes.len());
    assert!(peak <= limit, "peak {peak} bytes, budget {limit}");
    eprintln!("str bomb: {} bytes of input, peak {peak} bytes, bound {limit}: {err}", bytes.len());
}

#[test]
fn a_dict_of_shared_lists_into_a_hashmap_fails_within_the_budget() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let shared = Rc::new((0..2000i64).collect::<Vec<_>>());
    let map: std::collections::BTreeMap<String, Rc<Vec<i64>>> =
        (0..100_000).map(|i| (format!("k{i}"), Rc::clone(&shared))).collect();
    let bytes = pickle_core::to_vec(&map).unwrap();
    let opts = DecodeOptions::default().limits(TIGHT);
    let (result, peak) = pickle_test_support::peak_of(|| {
        pickle_core::from_slice_with::<HashMap<String, Vec<i64>>>(&bytes, opts.clone())
    });
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LimitExceeded, "{err}");
    assert!(err.offset().is_some(), "{err}");
    let limit = bound(&TIGHT, bytes.len());
    assert!(peak <= limit, "peak {peak} bytes, budget {limit}");
    eprintln!("dict bomb: {} bytes of input, peak {peak} bytes, bound {limit}: {err}", bytes.len());
    // A derived struct holding the map: the same.
    let holder = SharedHolder { m: map };
    let bytes = pickle_core::to_vec(&holder).unwrap();
    let (result, peak) = pickle_test_support::peak_of(|| pickle_core::from_slice_with::<Holder>(&bytes, opts));
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LimitExceeded, "{err}");
    let limit = bound(&TIGHT, bytes.len());
    assert!(peak <= limit, "derived: peak {peak} bytes, budget {limit}");
}

/// What writes the derived bomb: the lists shared.
#[derive(pickle_core::Pickle, Debug)]
#[pickle(module = "bombs", name = "Holder")]
struct SharedHolder {
    m: std::collections::BTreeMap<String, Rc<Vec<i64>>>,
}

/// What reads it: every list copied.
#[derive(pickle_core::Pickle, Debug)]
#[pickle(module = "bombs", name = "Holder")]
struct Holder {
    m: HashMap<String, Vec<i64>>,
}

//! `to_vec` sizes its output once from `ToPickle::size_hint` for lists of
//! floats and strs: the hint must bound the encoding from above (or the
//! buffer grows after all) and stay close to it (or the output's capacity
//! wastes memory).

use pickle_core::{EncodeOptions, ToPickle};

fn check<T: ToPickle + ?Sized>(value: &T, what: &str) {
    for proto in 0..=5u8 {
        let len = pickle_core::to_vec_with(value, EncodeOptions::default().protocol(proto)).expect("encode").len();
        let hint = value.size_hint(proto);
        if hint == 0 {
            // No hint below the protocols the fast writers cover.
            continue;
        }
        assert!(hint >= len, "{what} at protocol {proto}: hint {hint} below the {len} bytes written");
        assert!(hint <= len + len / 100 + 64, "{what} at protocol {proto}: hint {hint} far above the {len} bytes");
    }
}

#[test]
fn hints_bound_lists_of_floats_and_strs_closely() {
    for n in [0usize, 1, 2, 999, 1000, 1001, 70_000, 300_000] {
        let floats: Vec<f64> = (0..n).map(|i| i as f64 * 0.5).collect();
        check(&floats, &format!("{n} f64"));
        let singles: Vec<f32> = (0..n).map(|i| i as f32).collect();
        check(&singles, &format!("{n} f32"));
        check(floats.as_slice(), &format!("a slice of {n} f64"));
        let strs: Vec<String> = (0..n).map(|i| "x".repeat(i % 400)).collect();
        check(&strs, &format!("{n} strs of 0-399 bytes"));
        let short: Vec<String> = (0..n).map(|i| format!("s{i}")).collect();
        check(&&short, &format!("a reference to {n} short strs"));
    }
    // Floats have a hint from protocol 1, strs from protocol 4.
    assert!(vec![1.0f64].size_hint(1) > 0 && vec![1.0f64].size_hint(0) == 0);
    assert!(vec![String::new()].size_hint(4) > 0 && vec![String::new()].size_hint(3) == 0);
}

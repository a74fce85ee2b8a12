//! Decoding a large list of our own pickles into a `Vec` holds about the
//! result's memory, not the whole graph besides it: streaming frees each
//! batch's nodes once they are converted. Measured with a counting
//! allocator (this test binary holds this one test, so nothing else
//! allocates meanwhile).

#[global_allocator]
static ALLOCATOR: pickle_test_support::Counting = pickle_test_support::Counting;

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

    let (back, peak) = pickle_test_support::peak_of(|| pickle_core::from_slice::<Vec<Item>>(&bytes).expect("decode"));
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

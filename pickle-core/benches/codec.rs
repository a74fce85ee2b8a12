//! Criterion micro-benchmarks of the codec's hot paths. The side-by-side
//! comparison with CPython and serde-pickle is `cargo run --release -p bench`.
//!
//! `cargo bench -p pickle-core --bench codec`

use std::collections::HashMap;
use std::hint::black_box;
use std::rc::Rc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pickle_core::{Pickle, Value};

#[derive(Pickle, Clone)]
#[pickle(module = "bench_models")]
struct Item {
    x: f64,
    y: f64,
    label: String,
    tags: Vec<i64>,
}

fn items(n: usize) -> Vec<Item> {
    (0..n)
        .map(|i| Item { x: i as f64, y: -(i as f64), label: format!("item-{i}"), tags: vec![i as i64, 1, 2] })
        .collect()
}

fn bench<T, D>(c: &mut Criterion, name: &str, n: u64, data: &T)
where
    T: pickle_core::ToPickle,
    D: for<'a> pickle_core::FromPickle<'a>,
{
    let bytes = pickle_core::to_vec(data).expect("encode");
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(n));
    group.bench_function("encode", |b| b.iter(|| pickle_core::to_vec(black_box(data)).expect("encode")));
    group.bench_function("decode typed", |b| {
        b.iter(|| pickle_core::from_slice::<D>(black_box(&bytes)).expect("decode"))
    });
    group.bench_function("decode Value", |b| {
        b.iter(|| pickle_core::from_slice::<Value>(black_box(&bytes)).expect("decode"))
    });
    group.finish();
}

fn codec(c: &mut Criterion) {
    let floats: Vec<f64> = (0..100_000).map(|i| i as f64 * 0.1).collect();
    bench::<_, Vec<f64>>(c, "100k floats", 100_000, &floats);
    let strings: Vec<String> = (0..100_000).map(|i| format!("s{i}")).collect();
    bench::<_, Vec<String>>(c, "100k short strs", 100_000, &strings);
    let dict: HashMap<String, i64> = (0..100_000).map(|i| (format!("key{i}"), i)).collect();
    bench::<_, HashMap<String, i64>>(c, "dict of 100k", 100_000, &dict);
    bench::<_, Vec<Item>>(c, "10k derived structs", 10_000, &items(10_000));
    let shared = Rc::new(vec![1i64, 2, 3, 4, 5]);
    let refs: Vec<Rc<Vec<i64>>> = vec![shared; 100_000];
    bench::<_, Vec<Rc<Vec<i64>>>>(c, "100k shared refs", 100_000, &refs);
}

criterion_group!(benches, codec);
criterion_main!(benches);

//! The workloads, built the same way in Rust as bench/python/bench.py builds
//! them in Python, and how each library encodes and decodes them.

use std::collections::HashMap;
use std::rc::Rc;

use pickle_core::Pickle;

/// Workload (a)'s derived struct; Python class `bench_models.Item`.
#[derive(Debug, Clone, PartialEq, Pickle, serde::Serialize, serde::Deserialize)]
#[pickle(module = "bench_models")]
pub struct Item {
    pub x: f64,
    pub y: f64,
    pub label: String,
    pub tags: Vec<i64>,
}

fn n(full: usize, scale: f64) -> usize {
    ((full as f64 * scale) as usize).max(1)
}

pub fn items(scale: f64) -> Vec<Item> {
    (0..n(1_000_000, scale))
        .map(|i| {
            let i64_ = i as i64;
            Item {
                x: i as f64 * 0.5,
                y: -(i as f64) * 0.25,
                label: format!("item-{i}"),
                tags: vec![i64_, i64_ + 1, i64_ + 2],
            }
        })
        .collect()
}

/// Workload (h)'s record; Python class `bench_models.Record`, whose fields
/// are a `datetime` in UTC, a `Decimal` and a float32 `numpy.ndarray`.
#[derive(Debug, Clone, PartialEq, Pickle)]
#[pickle(module = "bench_models")]
pub struct Record {
    pub when: chrono::DateTime<chrono::Utc>,
    pub amount: rust_decimal::Decimal,
    pub values: pickle_core::numpy::NdArray<f32>,
}

pub fn records(scale: f64) -> Vec<Record> {
    (0..n(1_000_000, scale))
        .map(|i| {
            let when = chrono::DateTime::from_timestamp(1_600_000_000 + i as i64, 0).unwrap_or_default();
            let values = (0..16).map(|k| (i * 16 + k) as f32).collect();
            Record {
                when,
                amount: rust_decimal::Decimal::new(i as i64 * 100 + 7, 2),
                values: pickle_core::numpy::NdArray::from_vec(values),
            }
        })
        .collect()
}

/// Workload (i): 1 GiB of f64s.
pub fn gib_floats(scale: f64) -> Vec<f64> {
    (0..n((1 << 30) / 8, scale)).map(|i| i as f64 * 0.5).collect()
}

pub fn dict(scale: f64) -> HashMap<String, i64> {
    (0..n(1_000_000, scale)).map(|i| (format!("key{i}"), i as i64)).collect()
}

pub fn floats(scale: f64) -> Vec<f64> {
    (0..n(10_000_000, scale)).map(|i| i as f64 * 0.1).collect()
}

pub fn strings(scale: f64) -> Vec<String> {
    (0..n(2_000_000, scale)).map(|i| format!("s{}-{i}", i % 1000)).collect()
}

pub fn shared(scale: f64) -> Vec<Rc<Vec<i64>>> {
    let one = Rc::new(vec![1, 2, 3, 4, 5]);
    vec![one; n(1_000_000, scale)]
}

/// Workload (f) as a Value: `[[[...]]]`, `depth` lists deep.
pub fn nested(scale: f64) -> pickle_core::Value<'static> {
    use pickle_core::{Node, Value};
    let depth = n(100_000, scale);
    let mut value = Value::new();
    let mut inner = value.push(Node::List(Vec::new()));
    for _ in 1..depth {
        inner = value.push(Node::List(vec![inner]));
    }
    value.set_root(inner);
    value
}

/// How much memory decoded data holds, for the RSS comparison: by the
/// capacities Rust asked for, and by the sizes malloc actually set aside
/// (which include malloc's rounding of small allocations, as RSS does).
/// And the floors' work: what any encoder must read, what any decoder must
/// build.
pub trait DataSize: Sized + Clone {
    fn data_size(&self) -> usize;
    fn allocated(&self) -> usize;
    /// Appends every scalar and every str's bytes of the data to `out`,
    /// read from where they live: the reads any encoder makes.
    fn gather(&self, out: &mut Vec<u8>);
    /// What builds the same value again from data in memory with std
    /// operations: a clone, or for a hash map a collect of its pairs, laid
    /// out in memory in order as a decoder reads them (a decoder must hash
    /// every key; a clone copies the table without hashing).
    fn rebuilder(&self) -> Box<dyn Fn() -> Self + '_> {
        Box::new(|| self.clone())
    }
}

fn gather_str(s: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(s.as_bytes());
}

/// The bytes malloc set aside for the heap buffer at `ptr`, or 0 when the
/// buffer has no allocation.
fn usable(ptr: *const u8, capacity_bytes: usize) -> usize {
    if capacity_bytes == 0 {
        return 0;
    }
    // SAFETY: `ptr` is the start of a live buffer from the global allocator
    // (glibc malloc here), as malloc_usable_size requires; it only reads
    // malloc's bookkeeping for that chunk.
    unsafe { libc::malloc_usable_size(ptr.cast_mut().cast()) }
}

fn vec_usable<T>(v: &Vec<T>) -> usize {
    usable(v.as_ptr().cast(), v.capacity() * size_of::<T>())
}

fn str_usable(s: &String) -> usize {
    usable(s.as_ptr(), s.capacity())
}

impl DataSize for Vec<Item> {
    fn data_size(&self) -> usize {
        self.capacity() * size_of::<Item>()
            + self.iter().map(|i| i.label.capacity() + i.tags.capacity() * 8).sum::<usize>()
    }
    fn allocated(&self) -> usize {
        vec_usable(self) + self.iter().map(|i| str_usable(&i.label) + vec_usable(&i.tags)).sum::<usize>()
    }
    fn gather(&self, out: &mut Vec<u8>) {
        for i in self {
            out.extend_from_slice(&i.x.to_le_bytes());
            out.extend_from_slice(&i.y.to_le_bytes());
            gather_str(&i.label, out);
            for t in &i.tags {
                out.extend_from_slice(&t.to_le_bytes());
            }
        }
    }
}

impl DataSize for Vec<Record> {
    fn data_size(&self) -> usize {
        self.capacity() * size_of::<Record>() + self.iter().map(|r| 8 + r.values.data().len() * 4).sum::<usize>()
    }
    fn allocated(&self) -> usize {
        let arrays = self.iter().map(|r| {
            let data = r.values.data();
            usable(r.values.shape().as_ptr().cast(), 8) + usable(data.as_ptr().cast(), data.len() * 4)
        });
        vec_usable(self) + arrays.sum::<usize>()
    }
    fn gather(&self, out: &mut Vec<u8>) {
        for r in self {
            out.extend_from_slice(&r.when.timestamp().to_le_bytes());
            out.extend_from_slice(&r.amount.serialize());
            for v in r.values.data() {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
    }
}

impl DataSize for HashMap<String, i64> {
    fn data_size(&self) -> usize {
        // hashbrown: one (key, value) slot plus one control byte per bucket.
        self.capacity() * (size_of::<(String, i64)>() + 1) + self.keys().map(String::capacity).sum::<usize>()
    }
    fn allocated(&self) -> usize {
        // The table's own allocation is not reachable; count it by capacity.
        self.capacity() * (size_of::<(String, i64)>() + 1) + self.keys().map(str_usable).sum::<usize>()
    }
    fn gather(&self, out: &mut Vec<u8>) {
        for (k, v) in self {
            gather_str(k, out);
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    fn rebuilder(&self) -> Box<dyn Fn() -> Self + '_> {
        let pairs: Vec<(String, i64)> = self.iter().map(|(k, v)| (k.clone(), *v)).collect();
        Box::new(move || pairs.iter().map(|(k, v)| (k.clone(), *v)).collect())
    }
}

impl DataSize for Vec<f64> {
    fn data_size(&self) -> usize {
        self.capacity() * 8
    }
    fn allocated(&self) -> usize {
        vec_usable(self)
    }
    fn gather(&self, out: &mut Vec<u8>) {
        for x in self {
            out.extend_from_slice(&x.to_le_bytes());
        }
    }
}

impl DataSize for Vec<String> {
    fn data_size(&self) -> usize {
        self.capacity() * size_of::<String>() + self.iter().map(String::capacity).sum::<usize>()
    }
    fn allocated(&self) -> usize {
        vec_usable(self) + self.iter().map(str_usable).sum::<usize>()
    }
    fn gather(&self, out: &mut Vec<u8>) {
        for s in self {
            gather_str(s, out);
        }
    }
}

impl DataSize for Vec<Rc<Vec<i64>>> {
    fn data_size(&self) -> usize {
        self.capacity() * size_of::<Rc<Vec<i64>>>() + self.first().map_or(0, |v| 40 + v.capacity() * 8)
    }
    fn allocated(&self) -> usize {
        // The one shared list: its Rc box by size, its buffer by malloc.
        vec_usable(self) + self.first().map_or(0, |v| 40 + vec_usable(v))
    }
    fn gather(&self, out: &mut Vec<u8>) {
        // Each reference is read; the shared list once.
        for r in self {
            out.push(Rc::as_ptr(r) as usize as u8);
        }
        if let Some(v) = self.first() {
            for x in v.iter() {
                out.extend_from_slice(&x.to_le_bytes());
            }
        }
    }
}

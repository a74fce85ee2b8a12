//! `EncodeOptions::align_arrays`: every array payload starts at a multiple
//! of the alignment, the index says where, Rust and python3 (NumPy) read the
//! stream back as the same arrays, and the option changes nothing below
//! protocol 5.

mod common;

use pickle_core::numpy::NdArray;
use pickle_core::{EncodeOptions, to_writer_indexed};

type State = (u8, NdArray<f64>, Vec<NdArray<i16>>, NdArray<f32>);

fn state() -> State {
    (
        7,
        NdArray::new(vec![3, 2], vec![1.5, -2.0, 3.25, 4.0, 5.0, 6.5]).expect("shape"),
        (1..4).map(|n| NdArray::from_vec((0..n * 100).map(|i| i as i16 - 50).collect())).collect(),
        NdArray::from_vec(Vec::new()),
    )
}

#[test]
fn payloads_are_aligned_indexed_and_read_back() {
    let value = state();
    let mut lines = String::new();
    for align in [1usize, 8, 64, 256, 4096] {
        let opts = EncodeOptions::default().protocol(5).align_arrays(align);
        let mut bytes = Vec::new();
        let spans = to_writer_indexed(&mut bytes, &value, opts).expect("encodes");
        // The empty array has no payload to map.
        assert_eq!(spans.iter().map(|s| s.len).collect::<Vec<_>>(), [48, 200, 400, 600], "align {align}");
        for span in &spans {
            let at = span.opcode_offset as usize;
            assert_eq!(bytes[at], pickle_core::opcodes::BYTEARRAY8, "align {align}");
            assert_eq!((at + 9) % align, 0, "align {align}: payload at {}", at + 9);
            assert_eq!(u64::from_le_bytes(bytes[at + 1..at + 9].try_into().expect("8 bytes")), span.len);
        }
        assert_ne!(bytes[2], pickle_core::opcodes::FRAME, "align {align}: no frame after PROTO");
        let back: State = pickle_core::from_slice(&bytes).expect("decodes");
        assert_eq!(back, value, "align {align}");
        lines.push_str(&common::hex(&bytes));
        lines.push('\n');
    }
    let out = common::python(
        "import sys, pickle\n\
         for line in sys.stdin:\n\
         \x20   n, a, arrays, empty = pickle.loads(bytes.fromhex(line.strip()))\n\
         \x20   print(n, a.dtype, a.shape, a.tolist()[2], a.flags.writeable, [int(x.sum()) for x in arrays], empty.shape, empty.dtype)",
        &lines,
    );
    assert_eq!(out.len(), 5);
    for line in out {
        assert_eq!(line, "7 float64 (3, 2) [5.0, 6.5] True [-50, 9900, 29850] (0,) float32");
    }
}

#[test]
fn the_option_is_inert_below_protocol_5() {
    let value = state();
    for proto in 0..5u8 {
        let plain = pickle_core::to_vec_with(&value, EncodeOptions::default().protocol(proto)).expect("plain");
        let mut aligned = Vec::new();
        let spans = to_writer_indexed(&mut aligned, &value, EncodeOptions::default().protocol(proto).align_arrays(64))
            .expect("aligned");
        assert_eq!(aligned, plain, "protocol {proto}");
        assert!(spans.is_empty());
    }
}

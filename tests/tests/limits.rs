//! Every field of `Limits` stops decoding with `LimitExceeded` at a pinned
//! offset, and hostile inputs (huge declared lengths, amplification through
//! the memo, deep nesting, many references) stay bounded in memory and stack.
//!
//! A counting global allocator records, per thread, the largest single
//! allocation and the peak of live bytes, so tests can say "did not allocate"
//! without timing anything.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use pickle_core::{Context, DecodeOptions, EncodeOptions, Error, ErrorKind, FromPickle, Item, Limits, Node, Value};

struct Counting;

thread_local! {
    static LARGEST: Cell<usize> = const { Cell::new(0) };
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn grew(size: usize) {
    let _ = LARGEST.try_with(|l| l.set(l.get().max(size)));
    let _ = LIVE.try_with(|live| {
        live.set(live.get() + size as isize);
        let _ = PEAK.try_with(|p| p.set(p.get().max(live.get())));
    });
}

fn shrank(size: usize) {
    let _ = LIVE.try_with(|live| live.set(live.get() - size as isize));
}

// SAFETY: every call is forwarded to `System` with the caller's arguments;
// the bookkeeping touches only const-initialized thread-locals, which never
// allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        // SAFETY: the caller upholds `alloc`'s contract, which is System's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        shrank(layout.size());
        // SAFETY: `ptr` came from `System` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        shrank(layout.size());
        grew(new_size);
        // SAFETY: `ptr` came from `System` with this layout.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// What `f` allocated on this thread: (largest single allocation, peak of
/// live bytes above the level at the start).
fn measure<T>(f: impl FnOnce() -> T) -> (T, usize, usize) {
    LARGEST.with(|l| l.set(0));
    let base = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(base));
    let out = f();
    let largest = LARGEST.with(Cell::get);
    let peak = PEAK.with(Cell::get) - base;
    (out, largest, peak.max(0) as usize)
}

const MIB: usize = 1 << 20;

fn opts(limits: Limits) -> DecodeOptions {
    DecodeOptions::default().limits(limits)
}

/// Decodes through both entry points and expects the same limit error.
fn expect_err(bytes: &[u8], limits: Limits, kind: ErrorKind, offset: u64, message: &str) {
    let slice = pickle_core::from_slice_with::<Value>(bytes, opts(limits)).map(drop);
    let reader = pickle_core::from_reader_with::<_, Value<'static>>(bytes, opts(limits)).map(drop);
    for (entry, result) in [("from_slice", slice), ("from_reader", reader)] {
        let err = result.expect_err(entry);
        assert_eq!((err.kind(), err.offset()), (kind, Some(offset)), "{entry}: {err}");
        assert!(err.message().contains(message), "{entry}: {:?} does not contain {message:?}", err.message());
    }
}

/// The same input decodes when the limit is one notch higher, so the limit,
/// not the input, is what failed.
fn expect_ok(bytes: &[u8], limits: Limits) {
    pickle_core::from_slice_with::<Value>(bytes, opts(limits)).expect("from_slice");
    pickle_core::from_reader_with::<_, Value<'static>>(bytes, opts(limits)).expect("from_reader");
}

#[test]
fn max_depth_counts_stack_items_and_marks() {
    // Eleven nested empty lists on the stack: the eleventh push is refused.
    let mut lists = vec![0x80, 0x04];
    lists.extend([b']'; 11]);
    lists.extend([b'a'; 10]);
    lists.push(b'.');
    let ten = Limits::DEFAULT.max_depth(10);
    expect_err(
        &lists,
        ten,
        ErrorKind::LimitExceeded,
        12,
        "nesting too deep at byte 12: the stack would exceed the depth limit of 10",
    );
    expect_ok(&lists, Limits::DEFAULT.max_depth(11));

    // MARKs count too: N + 9 MARKs fill ten slots.
    let mut marks = b"N".to_vec();
    marks.extend([b'('; 10]);
    expect_err(&marks, ten, ErrorKind::LimitExceeded, 10, "nesting too deep at byte 10");

    // A run of BINGETs (read in one loop) stops at the limit too: list,
    // MARK and eight references fill ten slots; the ninth, at byte 21, is
    // refused.
    let mut refs = b"\x80\x04]\x94(".to_vec();
    refs.extend(b"h\x00".repeat(9));
    refs.extend(b"e.");
    expect_err(
        &refs,
        ten,
        ErrorKind::LimitExceeded,
        21,
        "nesting too deep at byte 21: the stack would exceed the depth limit of 10",
    );
    refs.drain(refs.len() - 4..refs.len() - 2);
    expect_ok(&refs, ten);

    // So does a run of BINFLOATs (also read in one loop): the ninth float,
    // at byte 5 + 8 * 9, is refused.
    let mut floats = b"\x80\x04]\x94(".to_vec();
    floats.extend(b"G\x3f\xe0\0\0\0\0\0\0".repeat(9));
    floats.extend(b"e.");
    expect_err(&floats, ten, ErrorKind::LimitExceeded, 77, "nesting too deep at byte 77");
    floats.drain(floats.len() - 11..floats.len() - 2);
    expect_ok(&floats, ten);

    // And a run of BININT1, BININT2 and BININT inside a FRAME, which a
    // reader buffers and so reads in the same loop: the ninth int, at byte
    // 14 + 3 * (2 + 3 + 5) - 5, is refused.
    let ints = |n: usize| {
        let mut body = b"]\x94(".to_vec();
        for k in 0..n {
            body.extend([&b"K\x01"[..], b"M\x01\x02", b"J\x01\x02\x03\x04"][k % 3]);
        }
        body.extend(b"e.");
        let mut bytes = b"\x80\x04\x95".to_vec();
        bytes.extend((body.len() as u64).to_le_bytes());
        bytes.extend(body);
        bytes
    };
    expect_err(&ints(9), ten, ErrorKind::LimitExceeded, 39, "nesting too deep at byte 39");
    expect_ok(&ints(8), ten);
}

/// A typed root list of `Rc`s whose later batches fetch one shared item
/// again and again is read in runs of fetches (the direct path); the depth
/// and container limits stop it where the usual path stops, at the same
/// byte.
#[test]
fn runs_of_shared_items_stop_at_the_limits_where_the_usual_path_does() {
    use std::rc::Rc;
    // PROTO 4, EMPTY_LIST, a first batch holding the shared list (memo 0),
    // then a batch of `n` BINGETs of it from byte 12 on.
    let refs = |n: usize| {
        let mut bytes = b"\x80\x04](]\x94(K\x07ee(".to_vec();
        bytes.extend(b"h\x00".repeat(n));
        bytes.extend(b"e.");
        bytes
    };
    let typed = |bytes: &[u8], limits: Limits| {
        let slice = pickle_core::from_slice_with::<Vec<Rc<Vec<i64>>>>(bytes, opts(limits));
        let reader = pickle_core::from_reader_with::<_, Vec<Rc<Vec<i64>>>>(bytes, opts(limits));
        [("from_slice", slice), ("from_reader", reader)]
    };
    // Root, MARK and eight fetches fill ten slots: the ninth, at byte 12 +
    // 2 * 8, is refused.
    let ten = Limits::DEFAULT.max_depth(10);
    for (entry, got) in typed(&refs(9), ten) {
        let err = got.expect_err(entry);
        assert_eq!((err.kind(), err.offset()), (ErrorKind::LimitExceeded, Some(28)), "{entry}: {err}");
    }
    expect_err(&refs(9), ten, ErrorKind::LimitExceeded, 28, "nesting too deep at byte 28");
    for (entry, got) in typed(&refs(8), ten) {
        let got = got.expect(entry);
        assert_eq!(got.len(), 9, "{entry}");
        assert!(got.iter().all(|x| Rc::ptr_eq(x, &got[0]) && **x == [7]), "{entry}");
    }
    // A batch of five fetches is over a container limit of four; the APPENDS
    // that closes it, at byte 22, is refused.
    let four = Limits::DEFAULT.max_container_len(4);
    for (entry, got) in typed(&refs(5), four) {
        let err = got.expect_err(entry);
        assert_eq!((err.kind(), err.offset()), (ErrorKind::LimitExceeded, Some(22)), "{entry}: {err}");
    }
    for (entry, got) in typed(&refs(4), four) {
        assert_eq!(got.expect(entry).len(), 5, "{entry}");
    }
}

/// A reader that streams a root list keeps the bytes it reads, to decode
/// again if streaming gives up; what it keeps stays within the budget.
#[test]
fn a_streaming_reader_keeps_no_more_than_the_budget() {
    // PROTO 4, EMPTY_LIST (streamed), 1000 NONE POPs (2000 bytes that cost
    // nothing), MARK, three ints, APPENDS (consumed by the sink), then
    // TUPLE1: the root is a tuple, so streaming gives up at STOP.
    let mut bytes = b"\x80\x04]".to_vec();
    bytes.extend(b"N0".repeat(1000));
    bytes.extend(b"(K\x01K\x02K\x03e\x85.");
    let small = Limits::DEFAULT.max_alloc(1000).alloc_per_input_byte(0);
    // A slice is decoded again from itself.
    let from_slice = pickle_core::from_slice_with::<Vec<Vec<i64>>>(&bytes, opts(small)).expect("from_slice");
    assert_eq!(from_slice, [[1, 2, 3]]);
    // A reader (byte by byte: the input has no frames) stops keeping at
    // byte 1000, and cannot decode again.
    let (result, largest, _) = measure(|| pickle_core::from_reader_with::<_, Vec<Vec<i64>>>(&bytes[..], opts(small)));
    let err = result.expect_err("the kept bytes do not fit");
    assert_eq!((err.kind(), err.offset()), (ErrorKind::LimitExceeded, Some(1000)), "{err}");
    assert!(err.message().contains("decoding again needs the bytes read"), "{}", err.message());
    assert!(largest <= 1024, "largest allocation {largest} bytes");
    // With room for them, it decodes.
    let roomy = opts(small.max_alloc(10_000));
    assert_eq!(pickle_core::from_reader_with::<_, Vec<Vec<i64>>>(&bytes[..], roomy).expect("fits"), [[1, 2, 3]]);
}

#[test]
fn max_alloc_refuses_a_payload_larger_than_the_budget() {
    // PROTO 5, MARK, None, BYTEARRAY8 of 2000 bytes at byte 4.
    let mut bytes = vec![0x80, 0x05, b'(', b'N', 0x96];
    bytes.extend(2000u64.to_le_bytes());
    bytes.extend([7u8; 2000]);
    bytes.extend(b"\x86.");
    let small = Limits::DEFAULT.max_alloc(1000).alloc_per_input_byte(0);
    expect_err(
        &bytes,
        small,
        ErrorKind::LimitExceeded,
        4,
        "allocation limit exceeded at byte 4: decoding would allocate more than 1000 bytes",
    );
    expect_ok(&bytes, small.max_alloc(10_000));
}

#[test]
fn alloc_per_input_byte_grows_the_budget_with_the_input() {
    let mut bytes = vec![0x80, 0x05, 0x96];
    bytes.extend(4000u64.to_le_bytes());
    bytes.extend([7u8; 4000]);
    bytes.push(b'.');
    // One byte of budget per input byte cannot hold a copy of the payload
    // plus its node; two can, whether the length is known up front or not.
    let one = Limits::DEFAULT.max_alloc(0).alloc_per_input_byte(1);
    expect_err(&bytes, one, ErrorKind::LimitExceeded, 2, "allocation limit exceeded at byte 2");
    expect_ok(&bytes, one.alloc_per_input_byte(2));
}

#[test]
fn max_memo_counts_distinct_keys() {
    let memoize = b"\x80\x04N\x94\x94\x94\x94.";
    let three = Limits::DEFAULT.max_memo(3);
    expect_err(
        memoize,
        three,
        ErrorKind::LimitExceeded,
        6,
        "memo too large at byte 6: it would exceed the limit of 3 entries",
    );
    expect_ok(memoize, Limits::DEFAULT.max_memo(4));
    // Storing the same key again does not count.
    expect_ok(b"Nq\x00q\x00q\x00q\x00.", Limits::DEFAULT.max_memo(1));
    // Sparse keys are limited the same way.
    expect_err(
        b"Nr\xff\xff\xff\x00r\xfe\xff\xff\x00.",
        Limits::DEFAULT.max_memo(1),
        ErrorKind::LimitExceeded,
        6,
        "memo too large at byte 6",
    );
}

#[test]
fn max_container_len_applies_to_mark_groups_and_to_growing_containers() {
    let three = Limits::DEFAULT.max_container_len(3);
    let list = b"(K\x01K\x02K\x03K\x04l.";
    expect_err(list, three, ErrorKind::LimitExceeded, 9, "container too long at byte 9: 4 items exceed the limit of 3");
    expect_ok(list, Limits::DEFAULT.max_container_len(4));
    // Two APPENDS of two items each: the second makes the list too long.
    expect_err(b"](K\x01K\x02e(K\x03K\x04e.", three, ErrorKind::LimitExceeded, 12, "container too long at byte 12");
    // APPEND one at a time.
    expect_err(b"]K\x01aK\x02aK\x03aK\x04a.", three, ErrorKind::LimitExceeded, 12, "container too long at byte 12");
    // SETITEM and ADDITEMS too.
    expect_err(b"}K\x01NsK\x02NsK\x03NsK\x04Ns.", three, ErrorKind::LimitExceeded, 16, "container too long at byte 16");
    expect_err(
        b"\x80\x04\x8f(K\x01K\x02K\x03K\x04\x90.",
        three,
        ErrorKind::LimitExceeded,
        12,
        "container too long at byte 12",
    );
}

#[test]
fn max_bigint_bytes_bounds_binary_and_text_longs() {
    let eight = Limits::DEFAULT.max_bigint_bytes(8);
    let long1 = b"\x80\x02\x8a\x09\x01\x02\x03\x04\x05\x06\x07\x08\x09.";
    expect_err(
        long1,
        eight,
        ErrorKind::LimitExceeded,
        2,
        "LONG1 too large at byte 2: 9 bytes exceed the big-int limit of 8",
    );
    expect_ok(long1, Limits::DEFAULT.max_bigint_bytes(9));
    let long4 = b"\x80\x02K\x01\x8b\x09\x00\x00\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09.";
    expect_err(
        long4,
        eight,
        ErrorKind::LimitExceeded,
        4,
        "LONG4 too large at byte 4: 9 bytes exceed the big-int limit of 8",
    );
    // Text: the digit limit follows from the byte limit (8 bytes: 24 digits).
    let digits = |n: usize| [b"L".as_slice(), &vec![b'7'; n], b"L\n."].concat();
    expect_err(
        &digits(25),
        eight,
        ErrorKind::LimitExceeded,
        0,
        "LONG too large at byte 0: it has 25 digits, more than the limit of 24",
    );
    expect_ok(&digits(24), eight);
    let int = [b"I".as_slice(), &[b'9'; 25], b"\n."].concat();
    expect_err(&int, eight, ErrorKind::LimitExceeded, 0, "INT too large at byte 0: it has 25 digits");
}

/// A recursive type, to show that typed conversion stops at the recursion
/// limit instead of overflowing the stack.
#[derive(Debug)]
struct Tree(Vec<Tree>);

impl<'a> FromPickle<'a> for Tree {
    fn from_pickle(cx: &mut Context<'_, 'a>, item: Item) -> pickle_core::Result<Self> {
        let children = cx.sequence(item, "a list")?;
        children.iter().map(|&child| cx.decode(child)).collect::<pickle_core::Result<_>>().map(Tree)
    }
}

/// `[[[...]]]` nested `depth` deep, built from opcodes: the lists pile up on
/// the stack and APPENDs fold them together.
fn nested_lists(depth: usize) -> Vec<u8> {
    let mut bytes = vec![0x80, 0x04];
    bytes.extend(std::iter::repeat_n(b']', depth));
    bytes.extend(std::iter::repeat_n(b'a', depth - 1));
    bytes.push(b'.');
    bytes
}

fn tree_depth(mut tree: &Tree) -> usize {
    let mut depth = 1;
    while let Some(child) = tree.0.first() {
        tree = child;
        depth += 1;
    }
    depth
}

#[test]
fn max_recursion_stops_typed_conversion() {
    let bytes = nested_lists(40);
    let ten = Limits::DEFAULT.max_recursion(10);
    // The list at nesting level 10 is the one made by the `]` at byte 2 + 10.
    for result in [
        pickle_core::from_slice_with::<Tree>(&bytes, opts(ten)),
        pickle_core::from_reader_with::<_, Tree>(&bytes[..], opts(ten)),
    ] {
        let err = result.expect_err("too deep");
        assert_eq!((err.kind(), err.offset()), (ErrorKind::LimitExceeded, Some(12)), "{err}");
        assert!(err.message().contains("recursion limit of 10 reached while converting the value at byte 12"), "{err}");
    }
    let tree: Tree = pickle_core::from_slice_with(&bytes, opts(Limits::DEFAULT.max_recursion(40)))
        .expect("40 levels fit a limit of 40");
    assert_eq!(tree_depth(&tree), 40);
    // The default limit guards a 100,000-deep input too.
    let deep = nested_lists(100_000);
    let err = pickle_core::from_slice::<Tree>(&deep).expect_err("deeper than the default");
    assert_eq!((err.kind(), err.offset()), (ErrorKind::LimitExceeded, Some(2 + 256)), "{err}");
}

fn huge_length(opcode: u8) -> Vec<u8> {
    let mut bytes = vec![0x80, 0x05, opcode];
    bytes.extend((1u64 << 60).to_le_bytes());
    bytes.extend(b"abc.");
    bytes
}

#[test]
fn a_declared_length_beyond_the_input_fails_as_eof_without_allocating_it() {
    for (opcode, name) in [(0x8e, "BINBYTES8"), (0x8d, "BINUNICODE8"), (0x96, "BYTEARRAY8"), (0x95, "FRAME")] {
        let bytes = huge_length(opcode);
        let want = format!("truncated {name} at byte 2: it declares 1152921504606846976 bytes");
        let (result, largest, _) = measure(|| pickle_core::from_slice::<Value>(&bytes).map(drop));
        let err = result.expect_err(name);
        assert_eq!((err.kind(), err.offset()), (ErrorKind::Eof, Some(2)), "{err}");
        assert!(err.message().contains(&want), "{err}");
        assert!(err.message().contains("4 are left"), "{err}");
        assert!(largest < 64 * 1024, "from_slice made a {largest}-byte allocation for {name}");

        let (result, largest, _) = measure(|| pickle_core::from_reader::<_, Value<'static>>(&bytes[..]).map(drop));
        let err = result.expect_err(name);
        assert_eq!((err.kind(), err.offset()), (ErrorKind::Eof, Some(2)), "{err}");
        assert!(err.message().contains(&want), "{err}");
        assert!(largest <= MIB + 64 * 1024, "from_reader made a {largest}-byte allocation for {name}");
    }
}

#[test]
fn a_reader_grows_its_buffer_with_the_bytes_that_really_arrive() {
    // 3 MiB of real payload behind a claim of 2**60 bytes.
    let mut bytes = vec![0x80, 0x05, 0x8e];
    bytes.extend((1u64 << 60).to_le_bytes());
    bytes.resize(bytes.len() + 3 * MIB, b'x');
    let (result, largest, peak) = measure(|| pickle_core::from_reader::<_, Value<'static>>(&bytes[..]).map(drop));
    let err = result.expect_err("short");
    assert_eq!((err.kind(), err.offset()), (ErrorKind::Eof, Some(2)), "{err}");
    assert!(largest <= 4 * MIB + 64 * 1024, "largest allocation {largest}");
    assert!(peak <= 12 * MIB, "peak {peak}");
}

/// A 100,000-item list memoized once, then `builtins.set(list)` built from
/// it `calls` times through BINGET: each call would copy the whole list.
fn set_amplification(calls: usize) -> Vec<u8> {
    let mut b = vec![0x80, 0x04, b']', 0x94];
    for chunk in (0..100_000u32).collect::<Vec<_>>().chunks(1000) {
        b.push(b'(');
        for &i in chunk {
            b.push(b'J');
            b.extend(i.to_le_bytes());
        }
        b.push(b'e');
    }
    b.extend(b"0\x8c\x08builtins\x94\x8c\x03set\x94\x93\x94("); // memo 1, 2, 3: the global is 3
    for _ in 0..calls {
        b.extend(b"h\x03h\x00\x85R"); // set(list), 6 bytes
    }
    b.extend(b"l.");
    b
}

#[test]
fn copying_a_memoized_list_again_and_again_hits_the_allocation_budget() {
    let calls = 100_000; // 10^10 item copies if nothing stopped it
    let bytes = set_amplification(calls);
    let start = bytes.len() - 2 - 6 * calls;
    let limits = Limits::DEFAULT.max_alloc(64 * MIB as u64);
    for entry in ["from_slice", "from_reader"] {
        let (result, _, peak) = measure(|| match entry {
            "from_slice" => pickle_core::from_slice_with::<Value>(&bytes, opts(limits)).map(drop),
            _ => pickle_core::from_reader_with::<_, Value<'static>>(&bytes[..], opts(limits)).map(drop),
        });
        let err = result.expect_err("amplified");
        assert_eq!(err.kind(), ErrorKind::LimitExceeded, "{entry}: {err}");
        assert!(err.message().contains("allocation limit exceeded"), "{entry}: {err}");
        let at = err.offset().expect("offset") as usize;
        assert_eq!(bytes[at], b'R', "{entry}: fails at a REDUCE, not at byte {at}");
        assert_eq!((at - start) % 6, 5, "{entry}: byte {at} is not a REDUCE of the loop");
        // The budget (64 MiB + 64 per input byte) allows some copies, not all.
        let done = (at - start) / 6;
        assert!((10..1000).contains(&done), "{entry}: failed after {done} copies");
        assert!(peak < 256 * MIB, "{entry}: peak {peak} bytes");
    }
    // A few calls are fine.
    let three = set_amplification(3);
    let few: Value = pickle_core::from_slice_with(&three, opts(limits)).expect("three sets");
    let outer = few.as_list(few.root()).expect("a list");
    assert_eq!(outer.len(), 3);
    assert!(matches!(few.get(outer[0]), Some(Node::Set(items)) if items.len() == 100_000));
}

#[test]
fn a_memoized_long_str_named_again_and_again_hits_the_allocation_budget() {
    // STACK_GLOBAL copies its module and name: 1 MiB strs named 10,000 times.
    let mut b = vec![0x80, 0x04, 0x8d];
    b.extend((MIB as u64).to_le_bytes());
    b.resize(b.len() + MIB, b'm');
    b.extend(b"\x94(");
    let start = b.len();
    for _ in 0..10_000 {
        b.extend(b"h\x00h\x00\x93");
    }
    b.extend(b"l.");
    let limits = Limits::DEFAULT.max_alloc(64 * MIB as u64);
    let (result, _, peak) = measure(|| pickle_core::from_slice_with::<Value>(&b, opts(limits)).map(drop));
    let err = result.expect_err("amplified");
    assert_eq!(err.kind(), ErrorKind::LimitExceeded, "{err}");
    let at = err.offset().expect("offset") as usize;
    assert_eq!((b[at], (at - start) % 5), (0x93, 4), "fails at a STACK_GLOBAL, not at byte {at}");
    assert!(peak < 512 * MIB, "peak {peak} bytes");
}

fn python_depth(bytes: &[u8]) -> String {
    let script = "import pickle, sys\n\
                  v = pickle.loads(sys.stdin.buffer.read())\n\
                  d = 0\n\
                  while isinstance(v, list):\n    d += 1\n    v = v[0] if v else None\n\
                  print(d)";
    let mut cmd = pickle_test_support::python3(&[]);
    cmd.args(["-c", script]);
    String::from_utf8_lossy(&pickle_test_support::run_ok(cmd, bytes)).trim().to_string()
}

#[test]
fn a_list_nested_100_000_deep_decodes_drops_and_reencodes_without_recursion() {
    let depth = 100_000;
    let bytes = nested_lists(depth);
    assert_eq!(python_depth(&bytes), depth.to_string(), "CPython reads the input as nested lists");
    for value in [
        pickle_core::from_slice::<Value>(&bytes).expect("from_slice"),
        pickle_core::from_reader::<_, Value<'static>>(&bytes[..]).expect("from_reader"),
    ] {
        assert_eq!(value.node_count(), depth);
        let mut item = value.root();
        let mut seen = 0;
        while let Some(items) = value.as_list(item) {
            seen += 1;
            item = items.first().copied().unwrap_or(Item::None);
        }
        assert_eq!(seen, depth);
        for proto in [0, 2, 5] {
            let again = pickle_core::to_vec_with(&value, EncodeOptions::default().protocol(proto)).expect("encode");
            let back: Value = pickle_core::from_slice(&again).expect("decode again");
            assert!(back == value, "protocol {proto}");
            if proto == 5 {
                assert_eq!(python_depth(&again), depth.to_string(), "CPython reads what was written");
            }
        }
        drop(value);
    }
}

#[test]
fn a_million_references_to_one_list_cost_one_item_each() {
    let refs = 1_000_000;
    // [shared] * 1M: MARK, one million BINGETs, LIST.
    let mut flat = b"\x80\x04]\x94K\x01a(".to_vec();
    flat.extend(std::iter::repeat_n(*b"h\x00", refs).flatten());
    flat.extend(b"l.");
    let value: Value = pickle_core::from_slice(&flat).expect("flat");
    assert_eq!(value.node_count(), 2, "the shared list and the outer list");
    let outer = value.as_list(value.root()).expect("a list");
    assert_eq!(outer.len(), refs);
    assert!(outer.iter().all(|&item| item == outer[0]));

    // [(shared,)] * 1M: one tuple node per reference, never a copy of the list.
    let mut tuples = b"\x80\x04]\x94K\x01a(".to_vec();
    tuples.extend(std::iter::repeat_n(*b"h\x00\x85", refs).flatten());
    tuples.extend(b"l.");
    for value in [
        pickle_core::from_slice::<Value>(&tuples).expect("tuples"),
        pickle_core::from_reader::<_, Value<'static>>(&tuples[..]).expect("tuples"),
    ] {
        assert_eq!(value.node_count(), refs + 2);
        let outer = value.as_list(value.root()).expect("a list");
        let shared = value.as_tuple(outer[0]).expect("a tuple")[0];
        assert!(outer.iter().all(|&t| value.as_tuple(t) == Some(&[shared][..])));
        // Written back, the list is written once and referenced by memo.
        let again = pickle_core::to_vec(&value).expect("encode");
        assert!(again.len() < tuples.len() * 2, "{} bytes", again.len());
        assert!(pickle_core::from_slice::<Value>(&again).expect("decode again") == value);
    }
}

#[test]
fn errors_from_limits_are_displayed_as_sentences() {
    let err: Error =
        pickle_core::from_slice_with::<Value>(b"]]]", opts(Limits::DEFAULT.max_depth(2))).expect_err("too deep");
    assert_eq!(err.to_string(), "nesting too deep at byte 2: the stack would exceed the depth limit of 2");
}

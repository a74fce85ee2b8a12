//! The built-in allowlist: the globals `pickle scan` calls safe, each with
//! the roles it may play. Hand-kept entries are here; the pandas and
//! scikit-learn names and Python's exception classes are generated
//! (`allowlist_generated.rs`, by `scripts/gen_allowlist.py`) from the
//! versions the tests run.

use std::collections::HashMap;
use std::sync::OnceLock;

/// What a global may be used for in a pickle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Roles(u8);

impl Roles {
    /// Referenced as a value (a dtype's scalar type, a base class).
    pub(crate) const REF: Roles = Roles(1);
    /// Called: the callee of REDUCE, INST or OBJ with arguments.
    pub(crate) const CALL: Roles = Roles(2);
    /// Instantiated without `__init__`: NEWOBJ, `copyreg.__newobj__`,
    /// `copyreg._reconstructor`.
    pub(crate) const NEW: Roles = Roles(4);
    /// What it makes may receive BUILD (`__setstate__` or a state dict)
    /// and items (APPEND, SETITEM, ADDITEMS).
    pub(crate) const BUILD: Roles = Roles(8);
    pub(crate) const ALL: Roles = Roles(15);

    const fn or(self, other: Roles) -> Roles {
        Roles(self.0 | other.0)
    }

    /// Whether every role of `other` is allowed.
    pub(crate) fn has(self, other: Roles) -> bool {
        self.0 & other.0 == other.0
    }
}

const R: Roles = Roles::REF;
const C: Roles = Roles::REF.or(Roles::CALL);
/// A class: constructed, instantiated, given its state.
const K: Roles = Roles::ALL;
/// Made with `__new__` and given a state, never called.
const NB: Roles = Roles::REF.or(Roles::NEW).or(Roles::BUILD);
/// A function whose result is then given a state.
const CB: Roles = C.or(Roles::BUILD);

const HAND: &[(&str, &str, Roles)] = &[
    // builtins: data types and the constants pickle names.
    ("builtins", "bool", C),
    ("builtins", "bytearray", C),
    ("builtins", "bytes", C),
    ("builtins", "complex", C),
    ("builtins", "dict", K),
    ("builtins", "Ellipsis", R),
    ("builtins", "float", C),
    ("builtins", "frozenset", C),
    ("builtins", "int", C),
    ("builtins", "list", K),
    ("builtins", "NotImplemented", R),
    ("builtins", "object", NB),
    ("builtins", "range", C),
    ("builtins", "set", K),
    ("builtins", "slice", C),
    ("builtins", "str", C),
    ("builtins", "tuple", C),
    ("builtins", "type", R),
    ("_codecs", "encode", C),
    ("copyreg", "_reconstructor", C),
    ("copyreg", "__newobj__", C),
    ("copyreg", "__newobj_ex__", C),
    // collections
    ("collections", "ChainMap", K),
    ("collections", "Counter", K),
    ("collections", "OrderedDict", K),
    ("collections", "UserDict", K),
    ("collections", "UserList", K),
    ("collections", "UserString", K),
    ("collections", "defaultdict", K),
    ("collections", "deque", K),
    ("types", "SimpleNamespace", K),
    // datetime, decimal, fractions, uuid, pathlib, zoneinfo, re, enum-free stdlib values
    ("datetime", "date", K),
    ("datetime", "datetime", K),
    ("datetime", "time", K),
    ("datetime", "timedelta", K),
    ("datetime", "timezone", K),
    ("datetime", "tzinfo", NB),
    ("decimal", "Decimal", K),
    ("fractions", "Fraction", K),
    ("uuid", "UUID", K),
    ("uuid", "SafeUUID", C),
    ("pathlib", "Path", C),
    ("pathlib", "PosixPath", C),
    ("pathlib", "PurePath", C),
    ("pathlib", "PurePosixPath", C),
    ("pathlib", "PureWindowsPath", C),
    ("pathlib", "WindowsPath", C),
    ("pathlib._local", "Path", C),
    ("pathlib._local", "PosixPath", C),
    ("pathlib._local", "PurePath", C),
    ("pathlib._local", "PurePosixPath", C),
    ("pathlib._local", "PureWindowsPath", C),
    ("pathlib._local", "WindowsPath", C),
    ("zoneinfo", "ZoneInfo", R),
    ("zoneinfo", "ZoneInfo._unpickle", C),
    ("re", "_compile", C),
    ("logging", "getLogger", C),
    ("ipaddress", "IPv4Address", C),
    ("ipaddress", "IPv6Address", C),
    ("ipaddress", "IPv4Network", C),
    ("ipaddress", "IPv6Network", C),
    ("array", "array", C),
    ("array", "_array_reconstructor", C),
    // NumPy, both module layouts (numpy.core before 2.0, numpy._core after).
    ("numpy", "dtype", CB),
    ("numpy", "ndarray", NB),
    ("numpy", "matrix", NB),
    ("numpy.matrixlib.defmatrix", "matrix", NB),
    ("numpy.core.multiarray", "_reconstruct", CB),
    ("numpy._core.multiarray", "_reconstruct", CB),
    ("numpy.core.multiarray", "scalar", C),
    ("numpy._core.multiarray", "scalar", C),
    ("numpy.core.numeric", "_frombuffer", C),
    ("numpy._core.numeric", "_frombuffer", C),
    ("numpy.ma.core", "MaskedArray", NB),
    ("numpy.ma.core", "_mareconstruct", CB),
    ("numpy.random._pickle", "__randomstate_ctor", CB),
    ("numpy.random._pickle", "__generator_ctor", CB),
    ("numpy.random._pickle", "__bit_generator_ctor", CB),
    ("numpy.random.mtrand", "RandomState", K),
    ("numpy.random._generator", "Generator", K),
    ("numpy.random._mt19937", "MT19937", K),
    ("numpy.random._pcg64", "PCG64", K),
    ("numpy.random._pcg64", "PCG64DXSM", K),
    ("numpy.random._philox", "Philox", K),
    ("numpy.random._sfc64", "SFC64", K),
    ("numpy.random.bit_generator", "SeedSequence", K),
    // PyTorch's tensor helpers (mirroring torch's weights_only allowlist).
    ("torch", "Size", K),
    ("torch", "Tensor", NB),
    ("torch", "device", C),
    ("torch", "dtype", R),
    ("torch", "float16", R),
    ("torch", "float32", R),
    ("torch", "float64", R),
    ("torch", "bfloat16", R),
    ("torch", "int8", R),
    ("torch", "int16", R),
    ("torch", "int32", R),
    ("torch", "int64", R),
    ("torch", "uint8", R),
    ("torch", "bool", R),
    ("torch", "complex64", R),
    ("torch", "complex128", R),
    ("torch", "BFloat16Storage", R),
    ("torch", "BoolStorage", R),
    ("torch", "ByteStorage", R),
    ("torch", "CharStorage", R),
    ("torch", "ComplexDoubleStorage", R),
    ("torch", "ComplexFloatStorage", R),
    ("torch", "DoubleStorage", R),
    ("torch", "FloatStorage", R),
    ("torch", "HalfStorage", R),
    ("torch", "IntStorage", R),
    ("torch", "LongStorage", R),
    ("torch", "ShortStorage", R),
    ("torch", "UntypedStorage", R),
    ("torch.storage", "UntypedStorage", R),
    ("torch.storage", "TypedStorage", R),
    ("torch.nn.parameter", "Parameter", K),
    ("torch.serialization", "_get_layout", C),
    ("torch._tensor", "_rebuild_from_type_v2", C),
    ("torch._utils", "_rebuild_device_tensor_from_cpu_tensor", C),
    ("torch._utils", "_rebuild_meta_tensor_no_storage", C),
    ("torch._utils", "_rebuild_parameter", C),
    ("torch._utils", "_rebuild_parameter_with_state", C),
    ("torch._utils", "_rebuild_qtensor", C),
    ("torch._utils", "_rebuild_sparse_tensor", C),
    ("torch._utils", "_rebuild_tensor", C),
    ("torch._utils", "_rebuild_tensor_v2", C),
    ("torch._utils", "_rebuild_tensor_v3", C),
    ("torch._utils", "_rebuild_wrapper_subclass", C),
    ("torch.storage", "_load_from_bytes", C),
];

mod generated {
    include!("allowlist_generated.rs");
}

fn table() -> &'static HashMap<(&'static str, &'static str), Roles> {
    static TABLE: OnceLock<HashMap<(&'static str, &'static str), Roles>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t: HashMap<(&str, &str), Roles> = HashMap::new();
        let generated = generated::CLASSES.iter().map(|&(m, n)| (m, n, K));
        let functions = generated::FUNCTIONS.iter().map(|&(m, n)| (m, n, CB));
        for (m, n, roles) in generated.chain(functions).chain(HAND.iter().copied()) {
            let slot = t.entry((m, n)).or_insert(roles);
            *slot = slot.or(roles);
        }
        t
    })
}

/// The roles the built-in allowlist gives `module.qualname`.
pub(crate) fn roles(module: &str, qualname: &str) -> Option<Roles> {
    table().get(&(module, qualname)).copied()
}

/// The functions that unpickle their argument, with the argument's
/// position: a constant pickle passed to one is scanned too.
pub(crate) fn nested_loader(module: &str, qualname: &str) -> Option<usize> {
    match (module, qualname) {
        ("pickle" | "_pickle" | "cPickle" | "dill" | "dill._dill" | "cloudpickle", "loads" | "_loads")
        | ("torch.storage", "_load_from_bytes")
        | ("numpy", "loads")
        | ("numpy.core.numeric" | "numpy._core.numeric", "loads") => Some(0),
        _ => None,
    }
}

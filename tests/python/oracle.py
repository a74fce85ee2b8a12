"""An independent oracle for the tagged JSON form of a pickle (docs/json-format.md).

`OracleUnpickler` is CPython's own pure-Python unpickler (`pickle._Unpickler`:
its framing, memo, MARK stack and opcode readers) with every loader that would
import or call something replaced by one that records what the stream says:
`find_class` returns an `OGlobal(module, qualname)` (after the same
`_compat_pickle` mapping CPython applies below protocol 3), REDUCE / NEWOBJ /
NEWOBJ_EX / INST / OBJ make `OObject`s, BUILD stores the state, APPEND(S) /
SETITEM(S) / ADDITEMS on an object record its items. The well-known reductions
that pickle-core's `Machine::reduce_special` decodes as native values are
mirrored here, condition for condition, in `reduce_special`.

Identity: CPython caches some objects (1-char str, b"", the empty tuple), so
every opcode that creates a str, bytes or tuple creates a fresh wrapper object
(`OStr`, `OBytes`, `OTuple`); dicts and sets are recorded as `ODict` / `OSet`
(pair and item lists, since keys may be unhashable placeholders). Sharing in
the result is then exactly memo sharing in the stream.

`to_json(obj)` writes the result as canonical tagged JSON without recursion.
Nothing here imports pickle-rs code.
"""

import base64
import io
import json
import math
import pickle
from struct import unpack

_ALIASES = {"__builtin__": "builtins", "copy_reg": "copyreg"}
_LATIN1_NAMES = {"latin1", "latin-1", "latin_1", "iso-8859-1", "iso8859-1", "l1"}
_I64_MIN, _I64_MAX = -(2**63), 2**63 - 1


class OStr(str):
    """A str made by one opcode: a new object even when CPython would share one."""

    __slots__ = ()


class OBytes(bytes):
    __slots__ = ()


class OTuple(tuple):
    __slots__ = ()


class ODict:
    __slots__ = ("pairs",)

    def __init__(self, pairs=None):
        self.pairs = pairs if pairs is not None else []


class OSet:
    __slots__ = ("items",)

    def __init__(self, items=None):
        self.items = items if items is not None else []


class OFrozenSet:
    __slots__ = ("items",)

    def __init__(self, items):
        self.items = items


class OComplex:
    __slots__ = ("re", "im")

    def __init__(self, re, im):
        self.re = re
        self.im = im


class OGlobal:
    __slots__ = ("module", "name")

    def __init__(self, module, name):
        self.module = module
        self.name = name


NO_STATE = object()


class OObject:
    """What REDUCE/NEWOBJ/NEWOBJ_EX/INST/OBJ would build, and what BUILD and
    APPEND/SETITEM/ADDITEMS would do to it."""

    __slots__ = ("cls", "construct", "args", "kwargs", "state", "listitems", "dictitems", "setitems")

    def __init__(self, cls, construct, args, kwargs=None):
        self.cls = cls
        self.construct = construct
        self.args = list(args)
        self.kwargs = kwargs if kwargs is not None else []
        self.state = NO_STATE
        self.listitems = []
        self.dictitems = []
        self.setitems = []


class OPersId:
    __slots__ = ("pid",)

    def __init__(self, pid):
        self.pid = pid


class OExt:
    __slots__ = ("code",)

    def __init__(self, code):
        self.code = code


class OBuffer:
    __slots__ = ("index", "readonly")

    def __init__(self, index):
        self.index = index
        self.readonly = False


class OracleError(Exception):
    pass


def plain_str(x):
    """The str if `x` is a str without lone surrogates (pickle-core's Node::Str), else None."""
    if not isinstance(x, OStr):
        return None
    try:
        x.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return str(x)


def _as_float(x):
    if type(x) is float:
        return x
    if type(x) is int and _I64_MIN <= x <= _I64_MAX:
        return float(x)
    return None


def _seq_items(x):
    if type(x) is list or isinstance(x, OTuple):
        return list(x)
    return None


def _latin1(s):
    if s is None or any(ord(c) > 255 for c in s):
        return None
    return s.encode("latin-1")


def reduce_special(func, args):
    """Mirrors pickle-core machine.rs `reduce_special`: the value a REDUCE of
    `func(*args)` stands for, or None when it stays an object."""
    if not isinstance(func, OGlobal):
        return None
    module = _ALIASES.get(func.module, func.module)
    name = func.name
    n = len(args)
    if module == "builtins":
        if name in ("set", "frozenset"):
            make = OSet if name == "set" else OFrozenSet
            if n == 0:
                return make([])
            if n == 1:
                items = _seq_items(args[0])
                return None if items is None else make(items)
            return None
        if name == "bytes" and n == 0:
            return OBytes(b"")
        if name == "bytearray":
            if n == 0:
                return bytearray()
            if n == 1:
                return bytearray(args[0]) if isinstance(args[0], OBytes) else None
            if n == 2:
                enc = plain_str(args[1])
                if enc is None or enc not in _LATIN1_NAMES:
                    return None
                data = _latin1(plain_str(args[0]))
                return None if data is None else bytearray(data)
            return None
        if name == "complex" and n in (1, 2):
            re = _as_float(args[0])
            im = _as_float(args[1]) if n == 2 else 0.0
            if re is None or im is None:
                return None
            return OComplex(re, im)
        if name == "getattr" and n == 2:
            owner, attr = args[0], plain_str(args[1])
            if not isinstance(owner, OGlobal) or attr is None:
                return None
            return OGlobal(owner.module, f"{owner.name}.{attr}")
        return None
    if module == "_codecs" and name == "encode" and n == 2:
        enc = plain_str(args[1])
        if enc is None or enc not in _LATIN1_NAMES:
            return None
        data = _latin1(plain_str(args[0]))
        return None if data is None else OBytes(data)
    if module == "copyreg":
        if name == "_reconstructor" and n == 3:
            # base.__new__(cls, state), base.__init__(obj, state): list and
            # dict subclasses get their base's state as items.
            cls, base, state = args
            if not isinstance(base, OGlobal) or base.module not in ("builtins", "__builtin__"):
                return None
            obj = OObject(cls, "reconstruct", [base])
            if base.name == "object" and state is None:
                return obj
            if base.name == "list" and type(state) is list:
                obj.listitems = list(state)
                return obj
            if base.name == "dict" and isinstance(state, ODict):
                obj.dictitems = list(state.pairs)
                return obj
            return None
        if name == "__newobj__" and n >= 1:
            return OObject(args[0], "new", args[1:])
        if name == "__newobj_ex__" and n == 3:
            if not isinstance(args[1], OTuple) or not isinstance(args[2], ODict):
                return None
            return OObject(args[0], "new_ex", list(args[1]), list(args[2].pairs))
    return None


class OracleUnpickler(pickle._Unpickler):
    """pickle._Unpickler that executes nothing; see the module docs."""

    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, file, **kwargs):
        super().__init__(file, **kwargs)
        self._buffer_count = 0

    def _op(code, dispatch=dispatch):
        def register(f):
            dispatch[code[0]] = f
            return f

        return register

    # Class references: recorded, never imported.
    def find_class(self, module, name):
        if self.proto < 3 and self.fix_imports:
            import _compat_pickle

            if (module, name) in _compat_pickle.NAME_MAPPING:
                module, name = _compat_pickle.NAME_MAPPING[(module, name)]
            elif module in _compat_pickle.IMPORT_MAPPING:
                module = _compat_pickle.IMPORT_MAPPING[module]
        return OGlobal(module, name)

    @_op(pickle.STACK_GLOBAL)
    def load_stack_global(self):
        name = self.stack.pop()
        module = self.stack.pop()
        name, module = plain_str(name), plain_str(module)
        if name is None or module is None:
            raise OracleError("STACK_GLOBAL requires str")
        self.append(self.find_class(module, name))

    # Strings, bytes and tuples: one new object per opcode.
    def _decode_string(self, value):
        if self.encoding == "bytes":
            return OBytes(value)
        return OStr(value.decode(self.encoding, self.errors))

    @_op(pickle.UNICODE)
    def load_unicode(self):
        self.append(OStr(str(self.readline()[:-1], "raw-unicode-escape")))

    def _utf8(self, n):
        self.append(OStr(str(self.read(n), "utf-8", "surrogatepass")))

    @_op(pickle.SHORT_BINUNICODE)
    def load_short_binunicode(self):
        self._utf8(self.read(1)[0])

    @_op(pickle.BINUNICODE)
    def load_binunicode(self):
        self._utf8(unpack("<I", self.read(4))[0])

    @_op(pickle.BINUNICODE8)
    def load_binunicode8(self):
        self._utf8(unpack("<Q", self.read(8))[0])

    @_op(pickle.SHORT_BINBYTES)
    def load_short_binbytes(self):
        self.append(OBytes(self.read(self.read(1)[0])))

    @_op(pickle.BINBYTES)
    def load_binbytes(self):
        self.append(OBytes(self.read(unpack("<I", self.read(4))[0])))

    @_op(pickle.BINBYTES8)
    def load_binbytes8(self):
        self.append(OBytes(self.read(unpack("<Q", self.read(8))[0])))

    @_op(pickle.EMPTY_TUPLE)
    def load_empty_tuple(self):
        self.append(OTuple())

    @_op(pickle.TUPLE)
    def load_tuple(self):
        items = self.pop_mark()  # rebinds self.append: call it first
        self.append(OTuple(items))

    @_op(pickle.TUPLE1)
    def load_tuple1(self):
        self.stack[-1:] = [OTuple(self.stack[-1:])]

    @_op(pickle.TUPLE2)
    def load_tuple2(self):
        self.stack[-2:] = [OTuple(self.stack[-2:])]

    @_op(pickle.TUPLE3)
    def load_tuple3(self):
        self.stack[-3:] = [OTuple(self.stack[-3:])]

    # Containers that would hash their contents.
    @_op(pickle.EMPTY_DICT)
    def load_empty_dictionary(self):
        self.append(ODict())

    @_op(pickle.DICT)
    def load_dict(self):
        items = self.pop_mark()
        if len(items) % 2:
            raise OracleError("odd number of items for DICT")
        self.append(ODict([(items[i], items[i + 1]) for i in range(0, len(items), 2)]))

    @_op(pickle.EMPTY_SET)
    def load_empty_set(self):
        self.append(OSet())

    @_op(pickle.FROZENSET)
    def load_frozenset(self):
        items = self.pop_mark()
        self.append(OFrozenSet(items))

    @_op(pickle.APPEND)
    def load_append(self):
        value = self.stack.pop()
        self._extend_list(self.stack[-1], [value])

    @_op(pickle.APPENDS)
    def load_appends(self):
        items = self.pop_mark()
        self._extend_list(self.stack[-1], items)

    @_op(pickle.SETITEM)
    def load_setitem(self):
        value = self.stack.pop()
        key = self.stack.pop()
        self._extend_dict(self.stack[-1], [(key, value)])

    @_op(pickle.SETITEMS)
    def load_setitems(self):
        items = self.pop_mark()
        if len(items) % 2:
            raise OracleError("odd number of items for SETITEMS")
        self._extend_dict(self.stack[-1], [(items[i], items[i + 1]) for i in range(0, len(items), 2)])

    @_op(pickle.ADDITEMS)
    def load_additems(self):
        items = self.pop_mark()
        target = self.stack[-1]
        if isinstance(target, OSet):
            target.items.extend(items)
        elif isinstance(target, OObject):
            target.setitems.extend(items)
        else:
            raise OracleError(f"ADDITEMS on {type(target).__name__}")

    @staticmethod
    def _extend_list(target, items):
        if type(target) is list:
            target.extend(items)
        elif isinstance(target, OObject):
            target.listitems.extend(items)
        else:
            raise OracleError(f"APPEND on {type(target).__name__}")

    @staticmethod
    def _extend_dict(target, pairs):
        if isinstance(target, ODict):
            target.pairs.extend(pairs)
        elif isinstance(target, OObject):
            target.dictitems.extend(pairs)
        else:
            raise OracleError(f"SETITEM on {type(target).__name__}")

    # Objects: recorded, never built.
    def _instantiate(self, klass, args):
        self.append(OObject(klass, "call" if args else "new", args))

    @_op(pickle.REDUCE)
    def load_reduce(self):
        args = self.stack.pop()
        func = self.stack.pop()
        if not isinstance(args, OTuple):
            raise OracleError("REDUCE argument is not a tuple")
        special = reduce_special(func, list(args))
        self.append(special if special is not None else OObject(func, "call", args))

    @_op(pickle.NEWOBJ)
    def load_newobj(self):
        args = self.stack.pop()
        cls = self.stack.pop()
        if not isinstance(args, OTuple):
            raise OracleError("NEWOBJ expected an arg tuple")
        self.append(OObject(cls, "new", args))

    @_op(pickle.NEWOBJ_EX)
    def load_newobj_ex(self):
        kwargs = self.stack.pop()
        args = self.stack.pop()
        cls = self.stack.pop()
        if not isinstance(args, OTuple) or not isinstance(kwargs, ODict):
            raise OracleError("NEWOBJ_EX expects a tuple and a dict")
        self.append(OObject(cls, "new_ex", args, list(kwargs.pairs)))

    @_op(pickle.BUILD)
    def load_build(self):
        state = self.stack.pop()
        inst = self.stack[-1]
        if not isinstance(inst, OObject) or inst.state is not NO_STATE:
            raise OracleError("BUILD on something that is not a fresh object")
        inst.state = state

    # Markers for what lives outside the stream.
    @_op(pickle.PERSID)
    def load_persid(self):
        self.append(OPersId(OStr(self.readline()[:-1].decode("ascii"))))

    @_op(pickle.BINPERSID)
    def load_binpersid(self):
        self.append(OPersId(self.stack.pop()))

    def get_extension(self, code):
        if code <= 0:
            raise OracleError("EXT specifies code <= 0")
        self.append(OExt(code))

    @_op(pickle.NEXT_BUFFER)
    def load_next_buffer(self):
        self.append(OBuffer(self._buffer_count))
        self._buffer_count += 1

    @_op(pickle.READONLY_BUFFER)
    def load_readonly_buffer(self):
        if isinstance(self.stack[-1], OBuffer):
            self.stack[-1].readonly = True

    del _op


def oracle_load(data):
    """What the stream says, as oracle objects."""
    return OracleUnpickler(io.BytesIO(data)).load()


# ---------------------------------------------------------------------------
# Tagged JSON


def _children(obj):
    """The values `obj` refers to, in the order the JSON document lists them."""
    t = type(obj)
    if t is list or t is OTuple:
        return list(obj)
    if t is ODict:
        return [x for pair in obj.pairs for x in pair]
    if t is OSet or t is OFrozenSet:
        return obj.items
    if t is OObject:
        out = [obj.cls, *obj.args]
        out += [x for pair in obj.kwargs for x in pair]
        if obj.state is not NO_STATE:
            out.append(obj.state)
        out += obj.listitems
        out += [x for pair in obj.dictitems for x in pair]
        out += obj.setitems
        return out
    if t is OPersId:
        return [obj.pid]
    return []


# docs/json-format.md, "Sharing and cycles": a value whose identity programs
# can observe gets $id/$ref when the pickle shares it; immutable scalars (str,
# int, float, complex, bytes, class references, extension codes) are written
# in full wherever they occur, shared or not.
IDENTITYLESS = (bool, int, float, OStr, OBytes, OComplex, OGlobal, OExt)


def has_identity(x):
    return not (x is None or type(x) in IDENTITYLESS)


def ref_counts(root):
    """How many times each object with an identity is referenced (by id)."""
    counts = {}
    todo = [root]
    while todo:
        x = todo.pop()
        if not has_identity(x):
            continue
        k = id(x)
        counts[k] = counts.get(k, 0) + 1
        if counts[k] == 1:
            todo.extend(_children(x))
    return counts


def _float(x):
    if math.isnan(x):
        return '{"$float":"nan"}'
    if math.isinf(x):
        return '{"$float":"inf"}' if x > 0 else '{"$float":"-inf"}'
    return repr(x)


def _int(n):
    return str(n) if abs(n) <= 2**53 else '{"$int":"%d"}' % n


def _str(s):
    return json.dumps(str(s), ensure_ascii=True)


def _b64(b):
    return base64.b64encode(bytes(b)).decode("ascii")


def _object_keys(d, counts):
    """Whether a dict can be a JSON object: every key a str that does not
    start with "$", no key twice (strs carry no $id, so sharing is fine)."""
    seen = set()
    for k, _ in d.pairs:
        shared = has_identity(k) and counts[id(k)] != 1
        if type(k) is not OStr or k.startswith("$") or shared or str(k) in seen:
            return False
        seen.add(str(k))
    return True


class _Text(str):
    """Literal JSON text on the emitter's work stack."""

    __slots__ = ()


def to_json(root):
    """The canonical tagged JSON of an oracle result (no trailing newline)."""
    counts = ref_counts(root)
    ids = {}
    out = []
    todo = [root]

    def push_seq(items, opening, closing):
        work = [_Text(opening)]
        for i, item in enumerate(items):
            if i:
                work.append(_Text(","))
            work.append(item)
        work.append(_Text(closing))
        todo.extend(reversed(work))

    def pairs_work(pairs):
        work = []
        for i, (k, v) in enumerate(pairs):
            work += [_Text("," if i else ""), _Text("["), k, _Text(","), v, _Text("]")]
        return work

    while todo:
        x = todo.pop()
        t = type(x)
        if t is _Text:
            out.append(str(x))
            continue
        if x is None:
            out.append("null")
            continue
        if t is bool:
            out.append("true" if x else "false")
            continue
        if t is int:
            out.append(_int(x))
            continue
        if t is float:
            out.append(_float(x))
            continue
        key = id(x)
        if key in ids:
            out.append('{"$ref":%d}' % ids[key])
            continue
        if has_identity(x) and counts[key] > 1:
            ids[key] = len(ids)
            out.append('{"$id":%d,"$value":' % ids[key])
            todo.append(_Text("}"))
        if t is OStr:
            out.append(_str(x))
        elif t is OBytes:
            out.append('{"$bytes":"%s"}' % _b64(x))
        elif t is bytearray:
            out.append('{"$bytearray":"%s"}' % _b64(x))
        elif t is list:
            push_seq(x, "[", "]")
        elif t is OTuple:
            push_seq(x, '{"$tuple":[', "]}")
        elif t is OSet:
            push_seq(x.items, '{"$set":[', "]}")
        elif t is OFrozenSet:
            push_seq(x.items, '{"$frozenset":[', "]}")
        elif t is ODict:
            if _object_keys(x, counts):
                work = [_Text("{")]
                for i, (k, v) in enumerate(x.pairs):
                    work += [_Text(("," if i else "") + _str(k) + ":"), v]
                work.append(_Text("}"))
            else:
                work = [_Text('{"$dict":['), *pairs_work(x.pairs), _Text("]}")]
            todo.extend(reversed(work))
        elif t is OComplex:
            out.append('{"$complex":[%s,%s]}' % (_float(x.re), _float(x.im)))
        elif t is OGlobal:
            out.append('{"$global":[%s,%s]}' % (_str(x.module), _str(x.name)))
        elif t is OObject:
            work = [_Text('{"$object":{"class":'), x.cls, _Text(',"construct":"%s","args":' % x.construct)]
            work += [_Text("[")] + [w for i, a in enumerate(x.args) for w in ([_Text(",")] if i else []) + [a]]
            work.append(_Text("]"))
            if x.kwargs:
                work += [_Text(',"kwargs":[')] + pairs_work(x.kwargs) + [_Text("]")]
            if x.state is not NO_STATE:
                work += [_Text(',"state":'), x.state]
            if x.listitems:
                work += [_Text(',"listitems":[')]
                work += [w for i, a in enumerate(x.listitems) for w in ([_Text(",")] if i else []) + [a]]
                work.append(_Text("]"))
            if x.dictitems:
                work += [_Text(',"dictitems":[')] + pairs_work(x.dictitems) + [_Text("]")]
            if x.setitems:
                work += [_Text(',"setitems":[')]
                work += [w for i, a in enumerate(x.setitems) for w in ([_Text(",")] if i else []) + [a]]
                work.append(_Text("]"))
            work.append(_Text("}}"))
            todo.extend(reversed(work))
        elif t is OPersId:
            todo.extend(reversed([_Text('{"$persid":'), x.pid, _Text("}")]))
        elif t is OExt:
            out.append('{"$ext":%d}' % x.code)
        elif t is OBuffer:
            out.append('{"$buffer":{"index":%d,"readonly":%s}}' % (x.index, "true" if x.readonly else "false"))
        else:
            raise OracleError(f"no JSON form for {t.__name__}")
    return "".join(out)


def to_tree(root):
    """The same document as `to_json`, built recursively as plain Python
    data for `json.dumps`: a second, independent rendering that make_golden.py
    compares with `to_json` on every case shallow enough to recurse over."""
    counts = ref_counts(root)
    ids = {}

    def fl(x):
        if math.isnan(x):
            return {"$float": "nan"}
        if math.isinf(x):
            return {"$float": "inf" if x > 0 else "-inf"}
        return x

    def pairs(ps):
        return [[go(k), go(v)] for k, v in ps]

    def go(x):
        t = type(x)
        if x is None or t is bool:
            return x
        if t is int:
            return x if abs(x) <= 2**53 else {"$int": str(x)}
        if t is float:
            return fl(x)
        if id(x) in ids:
            return {"$ref": ids[id(x)]}
        shared = has_identity(x) and counts[id(x)] > 1
        if shared:
            ids[id(x)] = len(ids)
            n = ids[id(x)]
        form = form_of(x, t)
        return {"$id": n, "$value": form} if shared else form

    def form_of(x, t):
        if t is OStr:
            return str(x)
        if t is OBytes:
            return {"$bytes": _b64(x)}
        if t is bytearray:
            return {"$bytearray": _b64(x)}
        if t is list:
            return [go(i) for i in x]
        if t is OTuple:
            return {"$tuple": [go(i) for i in x]}
        if t is OSet:
            return {"$set": [go(i) for i in x.items]}
        if t is OFrozenSet:
            return {"$frozenset": [go(i) for i in x.items]}
        if t is ODict:
            if _object_keys(x, counts):
                return {str(k): go(v) for k, v in x.pairs}
            return {"$dict": pairs(x.pairs)}
        if t is OComplex:
            return {"$complex": [fl(x.re), fl(x.im)]}
        if t is OGlobal:
            return {"$global": [x.module, x.name]}
        if t is OObject:
            d = {"class": go(x.cls), "construct": x.construct, "args": [go(a) for a in x.args]}
            if x.kwargs:
                d["kwargs"] = pairs(x.kwargs)
            if x.state is not NO_STATE:
                d["state"] = go(x.state)
            if x.listitems:
                d["listitems"] = [go(a) for a in x.listitems]
            if x.dictitems:
                d["dictitems"] = pairs(x.dictitems)
            if x.setitems:
                d["setitems"] = [go(a) for a in x.setitems]
            return {"$object": d}
        if t is OPersId:
            return {"$persid": go(x.pid)}
        if t is OExt:
            return {"$ext": x.code}
        if t is OBuffer:
            return {"$buffer": {"index": x.index, "readonly": x.readonly}}
        raise OracleError(f"no JSON form for {t.__name__}")

    return json.dumps(go(root), ensure_ascii=True, separators=(",", ":"), allow_nan=False)


def pickle_to_json(data):
    """The expected tagged JSON of a pickle stream (no trailing newline)."""
    return to_json(oracle_load(data))

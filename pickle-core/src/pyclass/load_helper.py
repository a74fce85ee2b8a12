

def load(path, writable=False):
    """Loads a pickle-persist checkpoint, mapping its numpy arrays from the file.

    Arrays saved with zero-copy layout (Checkpointer.zero_copy_arrays in Rust)
    come back backed by a memory map of the file: opening is cheap, only the
    pages read are loaded, and they are shared page cache, not process memory.
    They are read-only unless `writable`, which maps the file copy-on-write
    (the file never changes). The map stays open while any array lives. Any
    other pickle loads as plain pickle.load would load it.
    """
    import mmap
    import pickle
    import struct

    with open(path, "rb") as f:
        access = mmap.ACCESS_COPY if writable else mmap.ACCESS_READ
        m = mmap.mmap(f.fileno(), 0, access=access)
    view = memoryview(m)
    size = len(m)
    spans = []
    plen = size
    if size >= 32 and m[size - 24:size - 16] == b"PKRSTRLR":
        version, _crc, plen = struct.unpack_from("<IIQ", m, size - 16)
        if version >= 2:
            (elen,) = struct.unpack_from("<Q", m, size - 32)
            if plen + elen + 32 != size:
                raise ValueError(f"{path}: the trailer does not match the file's size")
            spans = pickle.loads(view[plen:plen + elen]).get("buffers", [])
    if not spans:
        return pickle.loads(view[:plen])
    # The skeleton: the pickle with each BYTEARRAY8 <len> <payload> replaced
    # by NEXT_BUFFER, which takes the payload, in place in the map, from
    # `buffers`.
    parts, buffers, prev = [], [], 0
    for op, n in spans:
        if op < prev or op + 9 + n > plen or m[op] != 0x96 or struct.unpack_from("<Q", m, op + 1)[0] != n:
            raise ValueError(f"{path}: the buffer index does not match the pickle at offset {op}")
        parts += [view[prev:op], b"\x97"]
        buffers.append(view[op + 9:op + 9 + n])
        prev = op + 9 + n
    parts.append(view[prev:plen])
    return pickle.loads(b"".join(parts), buffers=buffers)

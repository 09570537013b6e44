"""Constants of the .ovjax binary format (see docs/format.md).

Kept in one place so the writer, the tests that craft malformed files and the
documentation agree. The C++ reader has the same numbers in src/cpp/format/format.hpp.
"""

MAGIC = b"OVJAX\x00\x1a\n"
MAJOR = 1
MINOR = 1  # 1.1: header checksum; what every file without symbolic dimensions is written with
MINOR_SYMBOLIC = 2  # 1.2: symbolic dimensions (the DIMS section, header flag SYMBOLIC)
HEADER_SIZE = 64
CHECKSUM_OFFSET = 48  # u32 CRC-32 (zlib.crc32) of every byte outside DATA (minor >= 1)
SECTION_ENTRY_SIZE = 32
DATA_ALIGN = 64
NONE = -1  # "no value" in a word slot (string index, output var of a dropped result)

# header flags (must-understand bits)
FLAG_SYMBOLIC = 1  # minor >= 2: the file has symbolic dimensions (a DIMS section)

# section kinds
SEC_STRINGS = 1
SEC_META = 2
SEC_BUFFERS = 3
SEC_GRAPHS = 4
SEC_DATA = 5
SEC_IONAMES = 6
SEC_DIMS = 7  # symbols and dimension expressions (minor >= 2, exactly when FLAG_SYMBOLIC)

# buffer flags
BUF_EXTERNAL = 1

# atom tags
ATOM_VAR = 0
ATOM_LITERAL = 1

# param value tags
V_NONE = 0
V_BOOL = 1
V_INT = 2
V_FLOAT = 3
V_STR = 4
V_DTYPE = 5
V_TUPLE = 6
V_GRAPH = 7
V_ENUM = 8
V_RECORD = 9
V_ARRAY = 10
V_UNKNOWN = 11
V_DIM = 12  # a symbolic dimension: the index of an expression of the DIMS section

# dimension expression ops of the DIMS section: (op, a, b) records
DIM_CONST = 0  # the integer a
DIM_SYMBOL = 1  # symbol number a
DIM_ADD = 2  # E[a] + E[b]
DIM_MUL = 3  # E[a] * E[b]
DIM_FLOORDIV = 4  # floor(E[a] / E[b])
DIM_MOD = 5  # E[a] - E[b] * floor(E[a] / E[b])
DIM_MAX = 6
DIM_MIN = 7
MAX_SYMBOLS = 65536
MAX_DIM_EXPRS = 1 << 24
MAX_DIM_VALUE = 1 << 62  # the largest |constant| and symbol bound

# dtype codes: name -> code. Names are numpy/ml_dtypes names.
DTYPES = {
    "bool": 0,
    "int8": 1,
    "int16": 2,
    "int32": 3,
    "int64": 4,
    "uint8": 5,
    "uint16": 6,
    "uint32": 7,
    "uint64": 8,
    "float16": 9,
    "bfloat16": 10,
    "float32": 11,
    "float64": 12,
    "complex64": 13,
    "complex128": 14,
    "float0": 15,
    "token": 16,
    "key": 17,
    "float8_e4m3fn": 18,
    "float8_e5m2": 19,
    "int4": 20,
    "uint4": 21,
}


def checksum(data) -> int:
    """The header checksum of a file's bytes (docs/format.md): CRC-32 of every byte but the
    DATA section's (the first table entry of kind DATA, when not empty and inside the
    file past the checksum field), the checksum field's own four bytes taken as zeros."""
    import struct
    import zlib

    b = memoryview(data).cast("B")
    size = len(b)
    gap = (size, size)
    try:
        n, table = struct.unpack_from("<QQ", b, 16)
        for i in range(min(n, 1024)):
            kind, _, off, sz, _ = struct.unpack_from("<IIQQQ", b, table + 32 * i)
            if kind == SEC_DATA:
                if sz and off >= CHECKSUM_OFFSET + 4 and off + sz <= size:
                    gap = (off, off + sz)
                break
    except struct.error:
        pass
    crc = zlib.crc32(b[:CHECKSUM_OFFSET])
    crc = zlib.crc32(bytes(4), crc)
    crc = zlib.crc32(b[CHECKSUM_OFFSET + 4 : gap[0]], crc)
    return zlib.crc32(b[gap[1] :], crc)


def seal(data) -> bytes:
    """`data` with its header checksum recomputed (tests and tools that edit files)."""
    import struct

    m = bytearray(data)
    if len(m) >= HEADER_SIZE:
        struct.pack_into("<I", m, CHECKSUM_OFFSET, checksum(m))
    return bytes(m)

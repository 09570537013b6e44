#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <sstream>

#include "format.hpp"

namespace ovjax {
namespace format {

namespace {

const char* const kDTypeNames[kNumDTypes] = {
    "bool",   "int8",    "int16",         "int32",       "int64",   "uint8",     "uint16",     "uint32",
    "uint64", "float16", "bfloat16",      "float32",     "float64", "complex64", "complex128", "float0",
    "token",  "key",     "float8_e4m3fn", "float8_e5m2", "int4",    "uint4"};
const size_t kDTypeSizes[kNumDTypes] = {1, 1, 2, 4, 8, 1, 2, 4, 8, 2, 2, 4, 8, 8, 16, 0, 0, 4, 1, 1, 0, 0};

uint64_t rd64(const uint8_t* p) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
}
uint32_t rd32(const uint8_t* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}
uint16_t rd16(const uint8_t* p) {
    uint16_t v;
    std::memcpy(&v, p, 2);
    return v;
}

struct MappedFile {
    void* addr = nullptr;
    size_t size = 0;
    ~MappedFile() {
        if (addr && size)
            munmap(addr, size);
    }
};

// a * b, or false when it does not fit in 64 bits.
bool mul_ok(uint64_t a, uint64_t b, uint64_t& r) { return !__builtin_mul_overflow(a, b, &r); }

// The byte size of `numel` elements of `t` (4-bit types packed two to a byte), or false
// when it exceeds kMaxTensorBytes.
bool tensor_bytes(DType t, uint64_t numel, uint64_t& bytes) {
    if (t == DType::i4 || t == DType::u4)
        bytes = numel / 2 + numel % 2;
    else if (!mul_ok(numel, std::max<uint64_t>(dtype_size(t), 1), bytes))
        return false;
    return bytes <= kMaxTensorBytes;
}

// Strict UTF-8 (no overlong forms, surrogates or code points past U+10FFFF); the byte
// offset of the first invalid sequence, or `size` when all is valid.
size_t utf8_error(const uint8_t* s, size_t size) {
    size_t i = 0;
    while (i < size) {
        const uint8_t c = s[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        size_t n;
        uint32_t cp, min;
        if ((c & 0xE0) == 0xC0) {
            n = 1, cp = c & 0x1F, min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2, cp = c & 0x0F, min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3, cp = c & 0x07, min = 0x10000;
        } else {
            return i;
        }
        if (n > size - i - 1)
            return i;
        for (size_t k = 1; k <= n; ++k) {
            if ((s[i + k] & 0xC0) != 0x80)
                return i;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += n + 1;
    }
    return size;
}

std::array<std::array<uint32_t, 256>, 8> make_crc_tables() {
    std::array<std::array<uint32_t, 256>, 8> t{};
    for (uint32_t i = 0; i < 256; ++i) {
        uint32_t c = i;
        for (int k = 0; k < 8; ++k)
            c = (c & 1) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
        t[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; ++i)
        for (size_t k = 1; k < 8; ++k)
            t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xFF];
    return t;
}

}  // namespace

uint32_t crc32(const uint8_t* p, size_t n, uint32_t crc) {
    static const auto t = make_crc_tables();
    crc = ~crc;
    while (n >= 8) {  // slicing by 8
        uint32_t lo, hi;
        std::memcpy(&lo, p, 4);
        std::memcpy(&hi, p + 4, 4);
        lo ^= crc;  // little-endian
        crc = t[7][lo & 0xFF] ^ t[6][(lo >> 8) & 0xFF] ^ t[5][(lo >> 16) & 0xFF] ^ t[4][lo >> 24] ^ t[3][hi & 0xFF] ^
              t[2][(hi >> 8) & 0xFF] ^ t[1][(hi >> 16) & 0xFF] ^ t[0][hi >> 24];
        p += 8;
        n -= 8;
    }
    while (n--)
        crc = (crc >> 8) ^ t[0][(crc ^ *p++) & 0xFF];
    return ~crc;
}

const char* dtype_name(DType t) {
    auto i = static_cast<size_t>(t);
    return i < kNumDTypes ? kDTypeNames[i] : "?";
}

size_t dtype_size(DType t) {
    auto i = static_cast<size_t>(t);
    return i < kNumDTypes ? kDTypeSizes[i] : 0;
}

Memory Memory::copy_of(const void* data, size_t size) {
    auto words = std::shared_ptr<uint64_t>(new uint64_t[size / 8 + 1], std::default_delete<uint64_t[]>());
    if (size)
        std::memcpy(words.get(), data, size);
    return {reinterpret_cast<const uint8_t*>(words.get()), size, words};
}

void File::fail(uint64_t offset, const std::string& what) const {
    throw FormatError("ovjax format error at byte offset " + std::to_string(offset) + ": " + what);
}

bool File::has_magic(const void* data, size_t size) {
    return data && size >= sizeof(kMagic) && std::memcmp(data, kMagic, sizeof(kMagic)) == 0;
}

std::shared_ptr<File> File::open(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        throw FormatError("ovjax: cannot open '" + path + "': " + std::strerror(errno));
    struct stat st{};
    if (fstat(fd, &st) != 0) {
        int e = errno;
        ::close(fd);
        throw FormatError("ovjax: cannot stat '" + path + "': " + std::strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        throw FormatError("ovjax: '" + path + "' is not a regular file");
    }
    auto mapped = std::make_shared<MappedFile>();
    mapped->size = static_cast<size_t>(st.st_size);
    if (mapped->size > 0) {
        void* addr = mmap(nullptr, mapped->size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (addr == MAP_FAILED) {
            int e = errno;
            ::close(fd);
            throw FormatError("ovjax: cannot map '" + path + "': " + std::strerror(e));
        }
        mapped->addr = addr;
    }
    ::close(fd);
    Memory mem{static_cast<const uint8_t*>(mapped->addr), mapped->size, mapped};
    try {
        return from_memory(std::move(mem));
    } catch (const FormatError& e) {
        throw FormatError(std::string(e.what()) + " (file '" + path + "')");
    }
}

std::shared_ptr<File> File::from_memory(Memory bytes, std::vector<Memory> externals) {
    std::shared_ptr<File> f(new File());
    if (reinterpret_cast<uintptr_t>(bytes.data) % 8 != 0)
        bytes = Memory::copy_of(bytes.data, bytes.size);  // word reads need 8-byte alignment
    f->m_mem = std::move(bytes);
    f->m_externals = std::move(externals);
    f->parse();
    return f;
}

std::string_view File::string(uint64_t i) const {
    if (i >= m_string_offsets_count)
        throw FormatError("ovjax: string index " + std::to_string(i) + " out of range");
    auto b = static_cast<uint64_t>(m_string_offsets[i]);
    auto e = static_cast<uint64_t>(m_string_offsets[i + 1]);
    return std::string_view(m_string_bytes + b, e - b);
}

std::shared_ptr<void> File::buffer_owner(uint64_t i) const {
    int ext = m_buffer_external_index.at(i);
    if (ext >= 0)
        return m_externals[static_cast<size_t>(ext)].owner;
    return m_mem.owner;
}

std::optional<std::string> File::meta(std::string_view key) const {
    for (auto& kv : m_meta)
        if (kv.first == key)
            return kv.second;
    return std::nullopt;
}

void File::parse() {
    const uint8_t* b = m_mem.data;
    const uint64_t size = m_mem.size;
    if (size < sizeof(kMagic) || std::memcmp(b, kMagic, sizeof(kMagic)) != 0)
        fail(0, "not an .ovjax file (wrong magic bytes)");
    if (size < kHeaderSize)
        fail(size, "truncated header: file has " + std::to_string(size) + " bytes, the header needs 64");
    m_major = rd16(b + 8);
    m_minor = rd16(b + 10);
    if (m_major != kMajor)
        fail(8, "unsupported format version " + std::to_string(m_major) + "." + std::to_string(m_minor) +
                    " (this reader reads major version " + std::to_string(kMajor) + ")");
    const uint32_t header_size = rd32(b + 12);
    const uint64_t nsec = rd64(b + 16);
    const uint64_t table = rd64(b + 24);
    const uint64_t file_size = rd64(b + 32);
    const uint64_t flags = rd64(b + 40);
    if (header_size < kHeaderSize || header_size > size)
        fail(12, "bad header size " + std::to_string(header_size) + " (at least 64, inside the file)");
    if (file_size != size)
        fail(32, "file size field says " + std::to_string(file_size) + " bytes but " + std::to_string(size) +
                     " are present (truncated or padded file)");
    const uint64_t known_flags = m_minor >= 2 ? kFlagSymbolic : 0;
    if (flags & ~known_flags)
        fail(40, "header flags " + std::to_string(flags) + " name a feature this reader does not know");
    // The reserved words: the checksum (minor >= 1) and zeros. A newer minor version may
    // use the rest; this reader checks the words of the versions it knows.
    if (m_minor <= kMinor)
        for (uint64_t o = m_minor >= 1 ? kChecksumOffset + 4 : kChecksumOffset; o < kHeaderSize; ++o)
            if (b[o] != 0)
                fail(o, "reserved header byte is not 0");
    if (nsec > kMaxSections)
        fail(16, "absurd section count " + std::to_string(nsec) + " (at most " + std::to_string(kMaxSections) + ")");
    // nsec * 32 <= 32 KiB cannot wrap
    if (table < header_size || table % 8 != 0 || table > size || nsec * kSectionEntrySize > size - table)
        fail(24, "section table at " + std::to_string(table) + " with " + std::to_string(nsec) +
                     " entries does not fit in the file");
    const uint64_t table_end = table + nsec * kSectionEntrySize;
    if (m_minor >= 1)
        verify_checksum(table, nsec);  // first: a corrupted file is reported as such

    struct Sec {
        uint64_t off = 0, size = 0;
        bool present = false;
    } secs[8];
    struct Range {
        uint64_t off, size, entry;
    };
    std::vector<Range> ranges;
    for (uint64_t i = 0; i < nsec; ++i) {
        const uint64_t eoff = table + i * kSectionEntrySize;
        const uint8_t* e = b + eoff;
        const uint32_t kind = rd32(e), eflags = rd32(e + 4);
        const uint64_t off = rd64(e + 8), sz = rd64(e + 16), reserved = rd64(e + 24);
        const std::string name = "section " + std::to_string(i) + " (kind " + std::to_string(kind) + ")";
        if (off > size || sz > size - off)
            fail(eoff, name + " at offset " + std::to_string(off) + " size " + std::to_string(sz) +
                           " runs past the end of the file");
        if (off % 8 != 0)
            fail(eoff + 8, name + " offset " + std::to_string(off) + " is not 8-byte aligned");
        if (eflags != 0)
            fail(eoff + 4, name + " has flags " + std::to_string(eflags) + " (must be 0)");
        if (reserved != 0)
            fail(eoff + 24, name + " reserved word is not 0");
        if (sz > 0 && (off < header_size || (off < table_end && table < off + sz)))
            fail(eoff, name + " overlaps the header or the section table");
        if (sz > 0)
            ranges.push_back({off, sz, eoff});
        if (kind == 0 || kind >= 8)
            continue;  // unknown section kinds are skipped (forward compatibility)
        if (secs[kind].present)
            fail(eoff, "section kind " + std::to_string(kind) + " appears twice");
        secs[kind] = {off, sz, true};
    }
    std::sort(ranges.begin(), ranges.end(), [](const Range& x, const Range& y) { return x.off < y.off; });
    for (size_t i = 1; i < ranges.size(); ++i)
        if (ranges[i].off < ranges[i - 1].off + ranges[i - 1].size)
            fail(ranges[i].entry, "section at offset " + std::to_string(ranges[i].off) + " overlaps another section");
    for (uint32_t k : {SEC_STRINGS, SEC_BUFFERS, SEC_GRAPHS, SEC_DATA})
        if (!secs[k].present)
            fail(24, "required section kind " + std::to_string(k) + " is missing");
    if (secs[SEC_DATA].off % kDataAlign != 0)
        fail(secs[SEC_DATA].off, "data section is not 64-byte aligned");

    parse_strings(secs[SEC_STRINGS].off, secs[SEC_STRINGS].size);
    if (secs[SEC_META].present)
        parse_meta(secs[SEC_META].off, secs[SEC_META].size);
    parse_buffers(secs[SEC_BUFFERS].off, secs[SEC_BUFFERS].size, secs[SEC_DATA].off, secs[SEC_DATA].size);
    if ((flags & kFlagSymbolic) != secs[SEC_DIMS].present)
        fail(secs[SEC_DIMS].present ? secs[SEC_DIMS].off : 40,
             secs[SEC_DIMS].present ? "a DIMS section in a file without the SYMBOLIC header flag"
                                    : "the SYMBOLIC header flag is set but the file has no DIMS section");
    if (secs[SEC_DIMS].present)
        parse_dims(secs[SEC_DIMS].off, secs[SEC_DIMS].size);
    parse_graphs(secs[SEC_GRAPHS].off, secs[SEC_GRAPHS].size);
    if (secs[SEC_DIMS].present)
        check_symbol_origins(secs[SEC_DIMS].off);
    if (secs[SEC_IONAMES].present)
        parse_ionames(secs[SEC_IONAMES].off, secs[SEC_IONAMES].size);
}

void File::verify_checksum(uint64_t table, uint64_t nsec) const {
    // Every byte of the file but the DATA section's (the first table entry of kind DATA,
    // when it is not empty and lies in the file past the checksum) and the checksum
    // field's own, taken as zeros. The table's other checks come after this one.
    const uint8_t* b = m_mem.data;
    const uint64_t size = m_mem.size;
    uint64_t gap_begin = size, gap_end = size;
    for (uint64_t i = 0; i < nsec; ++i) {
        const uint8_t* e = b + table + i * kSectionEntrySize;
        if (rd32(e) != SEC_DATA)
            continue;
        const uint64_t off = rd64(e + 8), sz = rd64(e + 16);
        if (sz > 0 && off >= kChecksumOffset + 4 && off <= size && sz <= size - off)
            gap_begin = off, gap_end = off + sz;
        break;
    }
    const uint8_t zeros[4] = {0, 0, 0, 0};
    uint32_t crc = crc32(b, kChecksumOffset);
    crc = crc32(zeros, 4, crc);
    crc = crc32(b + kChecksumOffset + 4, gap_begin - kChecksumOffset - 4, crc);
    crc = crc32(b + gap_end, size - gap_end, crc);
    const uint32_t stored = rd32(b + kChecksumOffset);
    if (crc != stored) {
        std::ostringstream s;
        s << "checksum mismatch: the header says 0x" << std::hex << stored << ", the file's bytes give 0x" << crc
          << " (the file is corrupted: a byte outside the weights changed)";
        fail(kChecksumOffset, s.str());
    }
}

void File::parse_strings(uint64_t off, uint64_t size) {
    const uint8_t* b = m_mem.data;
    if (size < 16)
        fail(off, "string section of " + std::to_string(size) + " bytes is too small (at least 16)");
    const uint64_t n = rd64(b + off);
    // n + 1 offsets must fit in the (size - 8) / 8 words after the count
    if (n >= (size - 8) / 8)
        fail(off, "string count " + std::to_string(n) + " does not fit in the string section");
    m_string_offsets = reinterpret_cast<const int64_t*>(b + off + 8);
    m_string_offsets_count = n;
    const uint64_t bytes_off = off + 8 + (n + 1) * 8;
    const uint64_t bytes_size = size - 8 - (n + 1) * 8;
    m_string_bytes = reinterpret_cast<const char*>(b + bytes_off);
    if (m_string_offsets[0] != 0)
        fail(off + 8, "the first string offset is " + std::to_string(m_string_offsets[0]) + ", not 0");
    uint64_t prev = 0;
    for (uint64_t i = 1; i <= n; ++i) {
        const uint64_t o = static_cast<uint64_t>(m_string_offsets[i]);
        if (o < prev || o > bytes_size)
            fail(off + 8 + i * 8,
                 "string offset " + std::to_string(m_string_offsets[i]) + " out of order or past the string bytes");
        prev = o;
    }
    const size_t bad = utf8_error(b + bytes_off, prev);
    if (bad != prev) {
        const uint64_t* o = reinterpret_cast<const uint64_t*>(m_string_offsets);
        const uint64_t which = static_cast<uint64_t>(std::upper_bound(o, o + n + 1, bad) - o) - 1;
        fail(bytes_off + bad, "string " + std::to_string(which) + " is not valid UTF-8");
    }
}

void File::parse_meta(uint64_t off, uint64_t size) {
    const int64_t* p = reinterpret_cast<const int64_t*>(m_mem.data + off);
    const uint64_t words = size / 8;
    if (words < 1)
        fail(off, "meta section too small");
    const uint64_t n = static_cast<uint64_t>(p[0]);
    if (n > (words - 1) / 2)
        fail(off, "meta count " + std::to_string(n) + " does not fit");
    for (uint64_t i = 0; i < n; ++i) {
        uint64_t k = static_cast<uint64_t>(p[1 + 2 * i]), v = static_cast<uint64_t>(p[2 + 2 * i]);
        if (k >= m_string_offsets_count || v >= m_string_offsets_count)
            fail(off + 8 * (1 + 2 * i), "meta entry names a string that does not exist");
        m_meta.emplace_back(std::string(string(k)), std::string(string(v)));
    }
}

namespace {
// Interval arithmetic for DimBounds: wide integers, any magnitude past kMaxDimValue an
// infinity (so nothing wraps whatever the file says).
using Wide = __int128;
constexpr Wide kInf = Wide(1) << 64;
Wide clampw(Wide v) { return v > kMaxDimValue ? kInf : v < -kMaxDimValue ? -kInf : v; }
bool infinite(Wide v) { return v >= kInf || v <= -kInf; }
Wide addw(Wide a, Wide b) {
    if (infinite(a))
        return a;
    if (infinite(b))
        return b;
    return clampw(a + b);
}
Wide mulw(Wide a, Wide b) {
    if (a == 0 || b == 0)
        return 0;
    if (infinite(a) || infinite(b))
        return (a > 0) == (b > 0) ? kInf : -kInf;
    return clampw(a * b);  // |a|, |b| <= 2^62: the product fits
}
Wide floordivw(Wide a, Wide b) {  // b >= 1
    if (infinite(b))
        return a >= 0 ? 0 : -1;
    if (infinite(a))
        return a;
    Wide q = a / b;
    if ((a % b != 0) && (a < 0))
        --q;
    return q;
}
Wide lo_of(const DimBounds& b) { return b.lo == INT64_MIN ? -kInf : b.lo; }
Wide hi_of(const DimBounds& b) { return b.hi == DimBounds::kUnbounded ? kInf : b.hi; }
DimBounds bounds_of(Wide lo, Wide hi) {
    DimBounds r;
    r.lo = lo <= -kInf ? INT64_MIN : lo >= kInf ? kMaxDimValue : static_cast<int64_t>(lo);
    r.hi = hi >= kInf ? DimBounds::kUnbounded : hi <= -kInf ? -kMaxDimValue : static_cast<int64_t>(hi);
    return r;
}
// An expression that is scale * symbol + offset (symbol -1: a constant), when it is one.
struct Affine {
    bool ok = false;
    int64_t symbol = -1;
    Wide scale = 0, offset = 0;
};
}  // namespace

void File::parse_dims(uint64_t off, uint64_t size) {
    const int64_t* w = reinterpret_cast<const int64_t*>(m_mem.data + off);
    const uint64_t nw = size / 8;
    auto at = [&](uint64_t i) { return off + 8 * i; };
    uint64_t i = 0;
    if (nw < 1)
        fail(off, "DIMS section too small");
    const uint64_t nsym = static_cast<uint64_t>(w[i]);
    if (nsym < 1 || nsym > kMaxSymbols)
        fail(at(i), "symbol count " + std::to_string(w[i]) + " is not between 1 and " + std::to_string(kMaxSymbols));
    if (nsym > (nw - 1) / 5)
        fail(at(i), "symbol count " + std::to_string(nsym) + " does not fit in the DIMS section");
    ++i;
    std::vector<std::string_view> names;
    for (uint64_t k = 0; k < nsym; ++k, i += 5) {
        const int64_t* r = w + i;
        if (static_cast<uint64_t>(r[0]) >= m_string_offsets_count)
            fail(at(i), "symbol " + std::to_string(k) + " name string index out of range");
        const std::string_view name = string(static_cast<uint64_t>(r[0]));
        if (name.empty())
            fail(at(i), "symbol " + std::to_string(k) + " has an empty name");
        if (r[1] < 0 || r[1] > kMaxDimValue)
            fail(at(i + 1),
                 "symbol " + std::to_string(k) + " lower bound " + std::to_string(r[1]) + " is out of range");
        if (r[2] != -1 && (r[2] < r[1] || r[2] > kMaxDimValue))
            fail(at(i + 2), "symbol " + std::to_string(k) + " upper bound " + std::to_string(r[2]) +
                                " is not -1 (none) nor between its lower bound " + std::to_string(r[1]) + " and 2^62");
        if (r[3] < 0 || r[4] < 0)
            fail(at(i + 3), "symbol " + std::to_string(k) + " has a negative origin input or axis");
        m_symbols.push_back({name, r[1], r[2], static_cast<uint64_t>(r[3]), static_cast<uint64_t>(r[4]), 1, 0});
        names.push_back(name);
    }
    std::sort(names.begin(), names.end());
    if (std::adjacent_find(names.begin(), names.end()) != names.end())
        fail(off, "two symbols are named '" + std::string(*std::adjacent_find(names.begin(), names.end())) + "'");
    if (i >= nw)
        fail(at(i), "DIMS section truncated before its expression count");
    const uint64_t nexpr = static_cast<uint64_t>(w[i]);
    if (nexpr < 1 || nexpr > kMaxDimExprs || nexpr > (nw - i - 1) / 3)
        fail(at(i), "expression count " + std::to_string(w[i]) + " is not between 1 and " +
                        std::to_string(kMaxDimExprs) + " or does not fit in the DIMS section");
    ++i;
    m_dim_exprs.reserve(nexpr);
    for (uint64_t k = 0; k < nexpr; ++k, i += 3) {
        const int64_t op = w[i], a = w[i + 1], b = w[i + 2];
        const std::string what = "expression " + std::to_string(k);
        if (op < 0 || op >= kNumDimOps)
            fail(at(i), what + " has unknown op " + std::to_string(op));
        const DimOp o = static_cast<DimOp>(op);
        if (o == DimOp::constant || o == DimOp::symbol) {
            if (b != 0)
                fail(at(i + 2), what + ": the second operand of a constant or symbol must be 0");
            if (o == DimOp::constant && (a < -kMaxDimValue || a > kMaxDimValue))
                fail(at(i + 1), what + ": constant " + std::to_string(a) + " is out of range (|c| <= 2^62)");
            if (o == DimOp::symbol && (a < 0 || static_cast<uint64_t>(a) >= nsym))
                fail(at(i + 1), what + " names symbol " + std::to_string(a) + " of " + std::to_string(nsym));
        } else if (a < 0 || b < 0 || static_cast<uint64_t>(a) >= k || static_cast<uint64_t>(b) >= k) {
            fail(at(i + 1),
                 what + "'s operands " + std::to_string(a) + ", " + std::to_string(b) + " are not earlier expressions");
        }
        m_dim_exprs.push_back({o, a, b});
    }
    m_dim_bounds = format::dim_bounds(m_dim_exprs, m_symbols);
}

std::vector<DimBounds> dim_bounds(const std::vector<DimExpr>& exprs, const std::vector<DimSymbol>& symbols) {
    std::vector<DimBounds> out;
    out.reserve(exprs.size());
    for (const DimExpr& e : exprs) {
        DimBounds bounds;
        if (e.op == DimOp::constant) {
            bounds = {e.a, e.a};
        } else if (e.op == DimOp::symbol) {
            const DimSymbol& sym = symbols.at(static_cast<size_t>(e.a));
            bounds = {sym.lower, sym.upper < 0 ? DimBounds::kUnbounded : sym.upper};
        } else {
            const DimBounds &x = out.at(static_cast<size_t>(e.a)), &y = out.at(static_cast<size_t>(e.b));
            const Wide xl = lo_of(x), xh = hi_of(x), yl = lo_of(y), yh = hi_of(y);
            switch (e.op) {
            case DimOp::add:
                bounds = bounds_of(addw(xl, yl), addw(xh, yh));
                break;
            case DimOp::mul: {
                const Wide c[4] = {mulw(xl, yl), mulw(xl, yh), mulw(xh, yl), mulw(xh, yh)};
                bounds = bounds_of(*std::min_element(c, c + 4), *std::max_element(c, c + 4));
                break;
            }
            case DimOp::floordiv: {  // the divisor is max(divisor, 1) in the model
                const Wide dl = std::max<Wide>(yl, 1), dh = std::max<Wide>(yh, 1);
                const Wide c[4] = {floordivw(xl, dl), floordivw(xl, dh), floordivw(xh, dl), floordivw(xh, dh)};
                bounds = bounds_of(*std::min_element(c, c + 4), *std::max_element(c, c + 4));
                break;
            }
            case DimOp::mod: {
                Wide hi = infinite(yh) ? kInf : std::max<Wide>(yh, 1) - 1;
                if (xl >= 0)
                    hi = std::min(hi, xh);
                bounds = bounds_of(0, hi);
                break;
            }
            case DimOp::max:
                bounds = bounds_of(std::max(xl, yl), std::max(xh, yh));
                break;
            default:  // min
                bounds = bounds_of(std::min(xl, yl), std::min(xh, yh));
                break;
            }
        }
        out.push_back(bounds);
    }
    return out;
}

void File::check_symbol_origins(uint64_t dims_off) {
    // Which expressions are scale * S + offset in a single symbol S: one pass in order.
    std::vector<Affine> affine(m_dim_exprs.size());
    for (size_t k = 0; k < m_dim_exprs.size(); ++k) {
        const DimExpr& e = m_dim_exprs[k];
        Affine& r = affine[k];
        if (e.op == DimOp::constant) {
            r = {true, -1, 0, e.a};
        } else if (e.op == DimOp::symbol) {
            r = {true, e.a, 1, 0};
        } else if (e.op == DimOp::add || e.op == DimOp::mul) {
            const Affine &x = affine[static_cast<size_t>(e.a)], &y = affine[static_cast<size_t>(e.b)];
            if (!x.ok || !y.ok || (x.symbol >= 0 && y.symbol >= 0 && x.symbol != y.symbol))
                continue;
            if (e.op == DimOp::add) {
                r = {true, x.symbol >= 0 ? x.symbol : y.symbol, x.scale + y.scale, x.offset + y.offset};
            } else {
                if (x.symbol >= 0 && y.symbol >= 0)
                    continue;  // S * S
                const Affine& c = x.symbol >= 0 ? y : x;
                const Affine& v = x.symbol >= 0 ? x : y;
                r = {true, v.symbol, v.scale * c.offset, v.offset * c.offset};
            }
            if (infinite(clampw(r.scale)) || infinite(clampw(r.offset)))
                r.ok = false;
        }
    }
    const Graph& g0 = m_graphs.at(0);
    for (size_t k = 0; k < m_symbols.size(); ++k) {
        DimSymbol& s = m_symbols[k];
        const uint64_t at = dims_off + 8 * (1 + 5 * k + 3);
        const std::string what = "symbol " + std::to_string(k) + " ('" + std::string(s.name) + "')";
        if (s.input >= g0.invars.size())
            fail(at, what + "'s origin is input " + std::to_string(s.input) + " but the model has " +
                         std::to_string(g0.invars.size()) + " inputs");
        const VarInfo& v = g0.vars[static_cast<size_t>(g0.invars[s.input])];
        if (s.axis >= v.rank)
            fail(at + 8, what + "'s origin is axis " + std::to_string(s.axis) + " of input " + std::to_string(s.input) +
                             ", which has rank " + std::to_string(v.rank));
        const int64_t d = v.dims[s.axis];
        const Affine* a = is_symbolic_dim(d) ? &affine[dim_expr_index(d)] : nullptr;
        if (!a || !a->ok || a->symbol != static_cast<int64_t>(k) || a->scale < 1)
            fail(at, what + "'s origin, axis " + std::to_string(s.axis) + " of input " + std::to_string(s.input) +
                         ", is " + dim_text(d) + ", not k*" + std::string(s.name) + " + c (k >= 1)");
        s.scale = static_cast<int64_t>(a->scale);
        s.offset = static_cast<int64_t>(a->offset);
    }
}

std::string File::dim_text(int64_t word) const {
    if (!is_symbolic_dim(word))
        return std::to_string(word);
    std::string out;
    dim_text_into(out, dim_expr_index(word), 0, 120);
    return out;
}

void File::dim_text_into(std::string& out, uint64_t expr, int depth, size_t limit) const {
    if (out.size() >= limit) {
        if (out.compare(out.size() - 3, 3, "...") != 0)
            out += "...";
        return;
    }
    if (depth > 8 || expr >= m_dim_exprs.size()) {
        out += "...";
        return;
    }
    const DimExpr& e = m_dim_exprs[expr];
    auto sub = [&](int64_t x, bool paren) {
        const bool p = paren && m_dim_exprs[static_cast<uint64_t>(x)].op == DimOp::add;
        if (p)
            out += "(";
        dim_text_into(out, static_cast<uint64_t>(x), depth + 1, limit);
        if (p)
            out += ")";
    };
    static const char* const kCalls[] = {"", "", "", "", "floordiv", "mod", "max", "min"};
    switch (e.op) {
    case DimOp::constant:
        out += std::to_string(e.a);
        return;
    case DimOp::symbol:
        out += m_symbols[static_cast<size_t>(e.a)].name;
        return;
    case DimOp::add:
        sub(e.a, false);
        out += " + ";
        sub(e.b, false);
        return;
    case DimOp::mul:
        sub(e.a, true);
        out += "*";
        sub(e.b, true);
        return;
    default:
        out += kCalls[static_cast<int>(e.op)];
        out += "(";
        sub(e.a, false);
        out += ", ";
        sub(e.b, false);
        out += ")";
        return;
    }
}

void File::parse_ionames(uint64_t off, uint64_t size) {
    const int64_t* p = reinterpret_cast<const int64_t*>(m_mem.data + off);
    const uint64_t words = size / 8;
    uint64_t i = 0;
    auto read_list = [&](std::vector<std::string>& out) {
        if (i >= words)
            fail(off + 8 * i, "io-names section truncated");
        const uint64_t n = static_cast<uint64_t>(p[i++]);
        if (n > words - i)
            fail(off + 8 * (i - 1), "io-names count " + std::to_string(n) + " does not fit");
        for (uint64_t j = 0; j < n; ++j, ++i) {
            const uint64_t s = static_cast<uint64_t>(p[i]);
            if (s >= m_string_offsets_count)
                fail(off + 8 * i, "io-name string index out of range");
            out.emplace_back(string(s));
        }
    };
    read_list(m_input_names);
    read_list(m_output_names);
}

void File::parse_buffers(uint64_t off, uint64_t size, uint64_t data_off, uint64_t data_size) {
    const int64_t* p = reinterpret_cast<const int64_t*>(m_mem.data + off);
    const uint64_t words = size / 8;
    if (words < 1)
        fail(off, "buffer section too small");
    const uint64_t n = static_cast<uint64_t>(p[0]);
    if (n > (words - 1) / 3)
        fail(off, "buffer count " + std::to_string(n) + " does not fit in the buffer table");
    m_buffers.reserve(n);
    m_buffer_external_index.reserve(n);
    struct Used {
        uint64_t off, size, entry, index;
    };
    std::vector<Used> used;
    size_t next_external = 0;
    for (uint64_t i = 0; i < n; ++i) {
        const uint64_t eo = off + 8 + 24 * i;
        const uint64_t bo = static_cast<uint64_t>(p[1 + 3 * i]);
        const uint64_t bs = static_cast<uint64_t>(p[2 + 3 * i]);
        const uint64_t fl = static_cast<uint64_t>(p[3 + 3 * i]);
        if (fl & ~static_cast<uint64_t>(BUF_EXTERNAL))
            fail(eo + 16, "buffer " + std::to_string(i) + " has unknown flags " + std::to_string(fl));
        if (fl & BUF_EXTERNAL) {
            if (bo != 0)
                fail(eo, "external buffer " + std::to_string(i) + " has offset " + std::to_string(bo) + " (must be 0)");
            if (next_external >= m_externals.size())
                fail(eo, "buffer " + std::to_string(i) + " is external but the host supplied only " +
                             std::to_string(m_externals.size()) + " external buffers");
            const Memory& m = m_externals[next_external];
            if (m.size != bs)
                fail(eo + 8, "external buffer " + std::to_string(i) + " has " + std::to_string(m.size) +
                                 " bytes, the table says " + std::to_string(bs));
            m_buffers.push_back({m.data, bs, fl});
            m_buffer_external_index.push_back(static_cast<int>(next_external++));
            continue;
        }
        if (bo % kDataAlign != 0)
            fail(eo, "buffer " + std::to_string(i) + " offset " + std::to_string(bo) + " is not 64-byte aligned");
        if (bo > data_size || bs > data_size - bo)
            fail(eo, "buffer " + std::to_string(i) + " (offset " + std::to_string(bo) + ", size " + std::to_string(bs) +
                         ") runs past the data section (" + std::to_string(data_size) + " bytes)");
        if (bs > 0)
            used.push_back({bo, bs, eo, i});
        m_buffers.push_back({m_mem.data + data_off + bo, bs, fl});
        m_buffer_external_index.push_back(-1);
    }
    if (next_external != m_externals.size())
        fail(off, "the host supplied " + std::to_string(m_externals.size()) + " external buffers but the table uses " +
                      std::to_string(next_external));
    std::sort(used.begin(), used.end(), [](const Used& x, const Used& y) { return x.off < y.off; });
    for (size_t i = 1; i < used.size(); ++i)
        if (used[i].off < used[i - 1].off + used[i - 1].size)
            fail(used[i].entry,
                 "buffer " + std::to_string(used[i].index) + " overlaps buffer " + std::to_string(used[i - 1].index));
}

void File::parse_graphs(uint64_t off, uint64_t size) {
    const uint8_t* b = m_mem.data;
    const int64_t* p = reinterpret_cast<const int64_t*>(b + off);
    const uint64_t words = size / 8;
    if (words < 1)
        fail(off, "graph section too small");
    const uint64_t n = static_cast<uint64_t>(p[0]);
    if (n == 0)
        fail(off, "graph section holds no graph");
    if (n > words - 1)
        fail(off, "graph count " + std::to_string(n) + " does not fit in the graph section");
    m_graphs.resize(n);
    std::vector<std::vector<uint64_t>> refs(n);
    for (uint64_t i = 0; i < n; ++i) {
        const uint64_t go = static_cast<uint64_t>(p[1 + i]);
        const uint64_t gend = (i + 1 < n) ? static_cast<uint64_t>(p[2 + i]) : words * 8;
        if (go % 8 != 0 || go < 8 * (1 + n) || go > gend || gend > words * 8)
            fail(off + 8 * (1 + i), "graph " + std::to_string(i) + " offset " + std::to_string(p[1 + i]) +
                                        " is out of range or out of order");
        m_graphs[i].index = i;
        parse_graph(m_graphs[i], p + go / 8, p + gend / 8, off + go, refs[i]);
    }
    check_graph_references(refs);
}

// Sub-graph references form no cycle and nest at most kMaxGraphDepth deep. Linear in the
// number of references (each graph is visited once).
void File::check_graph_references(const std::vector<std::vector<uint64_t>>& refs) {
    const size_t n = m_graphs.size();
    enum : uint8_t { kNew, kOpen, kDone };
    std::vector<uint8_t> state(n, kNew);
    std::vector<uint32_t> depth(n, 0);
    struct Frame {
        uint64_t g;
        size_t next;
    };
    std::vector<Frame> stack;
    for (uint64_t root = 0; root < n; ++root) {
        if (state[root] != kNew)
            continue;
        stack.push_back({root, 0});
        state[root] = kOpen;
        while (!stack.empty()) {
            Frame& f = stack.back();
            const auto& r = refs[f.g];
            if (f.next < r.size()) {
                const uint64_t c = r[f.next++];
                if (state[c] == kOpen)
                    throw FormatError("ovjax format error: sub-graph " + std::to_string(c) +
                                      " refers to itself through sub-graph " + std::to_string(f.g) +
                                      " (recursive graphs are invalid)");
                if (state[c] == kNew) {
                    state[c] = kOpen;
                    stack.push_back({c, 0});
                }
                continue;
            }
            uint32_t d = 0;
            for (uint64_t c : r)
                d = std::max(d, depth[c] + 1);
            depth[f.g] = d;
            state[f.g] = kDone;
            if (d > kMaxGraphDepth)
                throw FormatError("ovjax format error: sub-graph references nest " + std::to_string(d) +
                                  " deep below graph " + std::to_string(f.g) + " (at most " +
                                  std::to_string(kMaxGraphDepth) + ")");
            stack.pop_back();
        }
    }
    m_graph_depth = depth[0];
}

const int64_t* File::check_value(const int64_t* p, const int64_t* end, int depth, uint64_t base,
                                 std::vector<uint64_t>& graph_refs) {
    const uint8_t* b0 = reinterpret_cast<const uint8_t*>(p);
    auto at = [&](const int64_t* q) { return base + static_cast<uint64_t>(reinterpret_cast<const uint8_t*>(q) - b0); };
    auto need = [&](const int64_t* q, uint64_t k) {
        if (static_cast<uint64_t>(end - q) < k)
            fail(at(q), "parameter value truncated");
    };
    auto str = [&](const int64_t* q) {
        if (static_cast<uint64_t>(*q) >= m_string_offsets_count)
            fail(at(q), "string index " + std::to_string(*q) + " out of range");
    };
    if (depth > kMaxValueDepth)
        fail(base, "parameter value nested more than " + std::to_string(kMaxValueDepth) + " deep");
    need(p, 1);
    const int64_t tag = p[0];
    const int64_t* q = p + 1;
    switch (tag) {
    case 0:
        return q;
    case 1:
        need(q, 1);
        if (*q != 0 && *q != 1)
            fail(at(q), "boolean parameter value " + std::to_string(*q) + " is not 0 or 1");
        return q + 1;
    case 2:
    case 3:
        need(q, 1);
        return q + 1;
    case 4:
        need(q, 1);
        str(q);
        return q + 1;
    case 5:
        need(q, 1);
        if (*q < 0 || *q >= kNumDTypes)
            fail(at(q), "unknown dtype code " + std::to_string(*q));
        return q + 1;
    case 6:
    case 9: {
        // tuple: word n, n values; record: word type, word n, n x (word name, value)
        const bool record = tag == 9;
        need(q, record ? 2 : 1);
        if (record)
            str(q++);
        const uint64_t n = static_cast<uint64_t>(*q++);
        if (n > static_cast<uint64_t>(end - q))
            fail(at(q - 1),
                 std::string(record ? "record field count " : "tuple length ") + std::to_string(n) + " does not fit");
        const size_t ci = m_composites.size();
        m_composites.push_back({p, nullptr, 0});
        const size_t mark = m_scratch.size();
        for (uint64_t i = 0; i < n; ++i) {
            m_scratch.push_back(q);
            if (record) {
                need(q, 1);
                str(q);
                ++q;
            }
            q = check_value(q, end, depth + 1, at(q), graph_refs);
        }
        m_composites[ci].end = q;
        m_composites[ci].first = m_items.size();
        m_items.insert(m_items.end(), m_scratch.begin() + static_cast<std::ptrdiff_t>(mark), m_scratch.end());
        m_scratch.resize(mark);
        return q;
    }
    case 7:
        need(q, 1);
        if (static_cast<uint64_t>(*q) >= m_graphs.size())
            fail(at(q), "sub-graph index " + std::to_string(*q) + " out of range (" + std::to_string(m_graphs.size()) +
                            " graphs)");
        graph_refs.push_back(static_cast<uint64_t>(*q));
        return q + 1;
    case 8:
    case 11:
        need(q, 2);
        str(q);
        str(q + 1);
        return q + 2;
    case 10: {
        need(q, 2);
        if (q[0] < 0 || q[0] >= kNumDTypes)
            fail(at(q), "unknown dtype code " + std::to_string(q[0]));
        const uint64_t rank = static_cast<uint64_t>(q[1]);
        if (rank > kMaxRank)
            fail(at(q + 1), "array rank " + std::to_string(rank) + " too large");
        const DType dt = static_cast<DType>(q[0]);
        q += 2;
        need(q, rank + 1);
        uint64_t numel = 1;
        for (uint64_t i = 0; i < rank; ++i) {
            if (q[i] < 0 || !mul_ok(numel, static_cast<uint64_t>(q[i]), numel))
                fail(at(q + i), "bad array dimension " + std::to_string(q[i]));
        }
        const uint64_t buf = static_cast<uint64_t>(q[rank]);
        if (buf >= m_buffers.size())
            fail(at(q + rank), "array buffer index " + std::to_string(buf) + " out of range");
        uint64_t bytes = 0;
        if (dtype_size(dt) == 0 || !tensor_bytes(dt, numel, bytes) || m_buffers[buf].size != bytes)
            fail(at(q + rank), "array buffer " + std::to_string(buf) + " size does not match its shape and dtype");
        return q + rank + 1;
    }
    case 12:
        need(q, 1);
        if (static_cast<uint64_t>(*q) >= m_dim_exprs.size())
            fail(at(q), "symbolic dimension " + std::to_string(*q) + " names no expression (" +
                            std::to_string(m_dim_exprs.size()) + " expressions)");
        return q + 1;
    default:
        fail(base, "unknown parameter value tag " + std::to_string(tag));
    }
}

void File::parse_graph(Graph& g, const int64_t* begin, const int64_t* end, uint64_t base,
                       std::vector<uint64_t>& graph_refs) {
    const int64_t* p = begin;
    const std::string gname = "graph " + std::to_string(g.index);
    auto at = [&](const int64_t* q) { return base + 8 * static_cast<uint64_t>(q - begin); };
    auto need = [&](uint64_t k, const char* what) {
        if (static_cast<uint64_t>(end - p) < k)
            fail(at(p), gname + " truncated while reading " + what);
    };
    auto count = [&](const char* what) {
        need(1, what);
        const uint64_t n = static_cast<uint64_t>(*p);
        if (n > static_cast<uint64_t>(end - p - 1) || n > UINT32_MAX)
            fail(at(p), gname + ": " + what + " count " + std::to_string(*p) + " does not fit in the graph");
        ++p;
        return n;
    };
    // Variables are defined once (by the inputs, the constants or one equation) before use.
    std::vector<uint8_t> defined;
    auto var_index = [&](const int64_t* q) {
        if (*q < 0 || static_cast<uint64_t>(*q) >= g.vars.size())
            fail(at(q), gname + ": variable index " + std::to_string(*q) + " out of range (" +
                            std::to_string(g.vars.size()) + " variables)");
        return static_cast<size_t>(*q);
    };
    auto define = [&](const int64_t* q) {
        const size_t v = var_index(q);
        if (defined[v])
            fail(at(q), gname + ": variable " + std::to_string(v) + " is defined twice");
        defined[v] = 1;
    };
    auto use = [&](const int64_t* q) {
        const size_t v = var_index(q);
        if (!defined[v])
            fail(at(q), gname + ": variable " + std::to_string(v) + " is used before it is defined");
    };
    auto read_atom = [&](Atom& a) {
        need(2, "an atom");
        const int64_t tag = *p;
        if (tag == 0) {
            use(p + 1);
            a = {false, p[1], DType::boolean, 0};
            p += 2;
        } else if (tag == 1) {
            need(3, "a literal");
            if (p[1] < 0 || p[1] >= kNumDTypes)
                fail(at(p + 1), "unknown literal dtype code " + std::to_string(p[1]));
            if (p[1] == static_cast<int64_t>(DType::boolean) && p[2] != 0 && p[2] != 1)
                fail(at(p + 2), "boolean literal " + std::to_string(p[2]) + " is not 0 or 1");
            a = {true, kNone, static_cast<DType>(p[1]), p[2]};
            p += 3;
        } else {
            fail(at(p), "unknown atom tag " + std::to_string(tag));
        }
    };

    const uint64_t nvars = count("variable");
    g.vars.reserve(nvars);
    for (uint64_t i = 0; i < nvars; ++i) {
        need(2, "a variable");
        if (p[0] < 0 || p[0] >= kNumDTypes)
            fail(at(p), "variable " + std::to_string(i) + " has unknown dtype code " + std::to_string(p[0]));
        const uint64_t rank = static_cast<uint64_t>(p[1]);
        if (rank > kMaxRank)
            fail(at(p + 1), "variable " + std::to_string(i) + " has rank " + std::to_string(p[1]) + " (at most " +
                                std::to_string(kMaxRank) + ")");
        need(2 + rank, "variable dimensions");
        const DType dt = static_cast<DType>(p[0]);
        uint64_t numel = 1, bytes = 0;
        for (uint64_t d = 0; d < rank; ++d) {
            if (p[2 + d] < 0) {
                if (!symbolic() || p[2 + d] == -1)
                    fail(at(p + 2 + d),
                         "variable " + std::to_string(i) + " has negative dimension " + std::to_string(p[2 + d]));
                if (dim_expr_index(p[2 + d]) >= m_dim_exprs.size())
                    fail(at(p + 2 + d), "variable " + std::to_string(i) + " has symbolic dimension " +
                                            std::to_string(p[2 + d]) + ", an expression that does not exist (" +
                                            std::to_string(m_dim_exprs.size()) + " expressions)");
                continue;  // sized at run time
            }
            if (!mul_ok(numel, static_cast<uint64_t>(p[2 + d]), numel))
                fail(at(p + 2 + d), "variable " + std::to_string(i) + "'s element count overflows 64 bits");
        }
        if (!tensor_bytes(dt, numel, bytes))
            fail(at(p), "variable " + std::to_string(i) + " (" + dtype_name(dt) + ", " + std::to_string(numel) +
                            " elements) is larger than any machine can hold (2^48 bytes)");
        if ((dt == DType::c64 || dt == DType::c128) && (rank == 0 || p[2 + rank - 1] != 2))
            fail(at(p + 1),
                 "complex variable " + std::to_string(i) + " lacks its trailing (real, imag) dimension of 2");
        g.vars.push_back({dt, static_cast<uint32_t>(rank), p + 2});
        p += 2 + rank;
    }
    defined.assign(g.vars.size(), 0);
    const uint64_t nin = count("input");
    for (uint64_t i = 0; i < nin; ++i, ++p) {
        define(p);
        g.invars.push_back(*p);
    }
    const uint64_t nconst = count("constant");
    if (nconst > static_cast<uint64_t>(end - p) / 2)
        fail(at(p - 1), gname + ": constant count " + std::to_string(nconst) + " does not fit in the graph");
    for (uint64_t i = 0; i < nconst; ++i, p += 2) {
        define(p);
        const uint64_t buf = static_cast<uint64_t>(p[1]);
        if (buf >= m_buffers.size())
            fail(at(p + 1), "constant buffer index " + std::to_string(p[1]) + " out of range (" +
                                std::to_string(m_buffers.size()) + " buffers)");
        const VarInfo& v = g.vars[static_cast<size_t>(p[0])];
        for (uint32_t d = 0; d < v.rank; ++d)
            if (is_symbolic_dim(v.dims[d]))
                fail(at(p), gname + ": constant variable " + std::to_string(p[0]) +
                                " has a symbolic dimension (constants are static)");
        uint64_t numel = 1;
        for (uint32_t d = 0; d < v.rank; ++d)
            numel *= static_cast<uint64_t>(v.dims[d]);  // checked above not to overflow
        DType et = v.dtype;
        if (et == DType::c64 || et == DType::c128)  // the dims include the (real, imag) axis
            et = et == DType::c64 ? DType::f32 : DType::f64;
        uint64_t bytes = 0;
        tensor_bytes(et, numel, bytes);
        if (dtype_size(et) == 0 || m_buffers[buf].size != bytes)
            fail(at(p + 1), "constant buffer " + std::to_string(buf) + " has " + std::to_string(m_buffers[buf].size) +
                                " bytes but its variable (" + dtype_name(v.dtype) + ", " + std::to_string(numel) +
                                " elements) needs " + std::to_string(bytes));
        g.constvars.emplace_back(p[0], buf);
    }
    // The graph's outputs are read after its equations have defined their variables.
    const uint64_t nout = count("output");
    const int64_t* outs = p;
    for (uint64_t i = 0; i < nout; ++i) {
        need(2, "an atom");
        if (*p == 1)
            need(3, "a literal");
        p += *p == 1 ? 3 : 2;
    }
    const uint64_t neq = count("equation");
    g.eqns.reserve(neq);
    g.atom_offsets.reserve(neq);
    for (uint64_t i = 0; i < neq; ++i) {
        need(1, "an equation");
        const uint64_t len = static_cast<uint64_t>(*p);
        if (len > static_cast<uint64_t>(end - p - 1) || len < 5)
            fail(at(p), "equation " + std::to_string(i) + " record length " + std::to_string(*p) + " is invalid");
        const int64_t* rec_end = p + 1 + len;
        Eqn e{};
        e.byte_offset = at(p);
        ++p;
        const int64_t* saved_end = end;
        end = rec_end;  // reads of this record stay inside it
        if (static_cast<uint64_t>(p[0]) >= m_string_offsets_count)
            fail(at(p), "equation " + std::to_string(i) + " primitive name index out of range");
        e.primitive = static_cast<uint64_t>(p[0]);
        const size_t name_size = string(e.primitive).size();
        if (name_size == 0 || name_size > kMaxPrimitiveName)
            fail(at(p), "equation " + std::to_string(i) + " primitive name has " + std::to_string(name_size) +
                            " bytes (1 to " + std::to_string(kMaxPrimitiveName) + ")");
        if (p[1] != kNone && static_cast<uint64_t>(p[1]) >= m_string_offsets_count)
            fail(at(p + 1), "equation " + std::to_string(i) + " source string index out of range");
        e.source = p[1];
        p += 2;
        const uint64_t n_in = count("equation input");
        e.in = p;
        if (g.atoms.size() > UINT32_MAX)
            fail(at(p), gname + " has too many equation inputs");
        g.atom_offsets.push_back(static_cast<uint32_t>(g.atoms.size()));
        for (uint64_t k = 0; k < n_in; ++k) {
            Atom a;
            read_atom(a);
            g.atoms.push_back(a);
        }
        const uint64_t n_out = count("equation output");
        e.out = p;
        for (uint64_t k = 0; k < n_out; ++k, ++p)
            if (*p != kNone)
                define(p);
        const uint64_t n_params = count("parameter");
        e.params = p;
        for (uint64_t k = 0; k < n_params; ++k) {
            need(2, "a parameter");
            if (static_cast<uint64_t>(*p) >= m_string_offsets_count)
                fail(at(p), "parameter key string index out of range");
            p = check_value(p + 1, end, 0, at(p + 1), graph_refs);
        }
        // Words past what this reader knows are fields added by a newer minor version.
        p = rec_end;
        end = saved_end;
        e.n_in = static_cast<uint32_t>(n_in);
        e.n_out = static_cast<uint32_t>(n_out);
        e.n_params = static_cast<uint32_t>(n_params);
        g.eqns.push_back(e);
    }
    const int64_t* eqns_end = p;
    p = outs;
    g.outvars.resize(nout);
    for (uint64_t i = 0; i < nout; ++i)
        read_atom(g.outvars[i]);
    p = eqns_end;
}

const Composite& File::composite(const int64_t* p) const {
    auto it = std::lower_bound(m_composites.begin(), m_composites.end(), p,
                               [](const Composite& c, const int64_t* q) { return c.p < q; });
    if (it == m_composites.end() || it->p != p)
        throw FormatError("ovjax: internal error: a parameter value was not indexed");
    return *it;
}

std::optional<Value> File::param(const Eqn& e, std::string_view key) const {
    const int64_t* p = e.params;
    for (uint32_t i = 0; i < e.n_params; ++i) {
        Value v(this, p + 1);
        if (string(static_cast<uint64_t>(p[0])) == key)
            return v;
        p = v.end();
    }
    return std::nullopt;
}

std::string File::eqn_name(const Graph& g, size_t eqn) const {
    const Eqn& e = g.eqns.at(eqn);
    std::string s = "equation " + std::to_string(eqn);
    if (g.index != 0)
        s += " of sub-graph " + std::to_string(g.index);
    s += " '" + std::string(string(e.primitive)) + "'";  // at most kMaxPrimitiveName bytes
    if (e.source != kNone)
        s += " at " + std::string(string(static_cast<uint64_t>(e.source)).substr(0, 300));
    return s;
}

// ---- Value --------------------------------------------------------------

namespace {
[[noreturn]] void type_error(const Value& v, const char* want) {
    throw FormatError(std::string("expected ") + want + " parameter, found " +
                      (v.tag() == ValueTag::dim ? "the symbolic dimension " : "") + v.describe() +
                      (v.tag() == ValueTag::dim ? " (not supported here yet: make that dimension static)" : ""));
}
}  // namespace

bool Value::as_bool() const {
    if (tag() == ValueTag::boolean || tag() == ValueTag::integer)
        return m_p[1] != 0;
    type_error(*this, "a boolean");
}
int64_t Value::as_int() const {
    if (tag() == ValueTag::integer || tag() == ValueTag::boolean)
        return m_p[1];
    type_error(*this, "an integer");
}
double Value::as_float() const {
    if (tag() == ValueTag::floating) {
        double d;
        std::memcpy(&d, &m_p[1], 8);
        return d;
    }
    if (tag() == ValueTag::integer)
        return static_cast<double>(m_p[1]);
    type_error(*this, "a float");
}
std::string_view Value::as_string() const {
    if (tag() == ValueTag::string)
        return m_file->string(static_cast<uint64_t>(m_p[1]));
    type_error(*this, "a string");
}
DType Value::as_dtype() const {
    if (tag() == ValueTag::dtype)
        return static_cast<DType>(m_p[1]);
    type_error(*this, "a dtype");
}
uint64_t Value::as_graph() const {
    if (tag() == ValueTag::graph)
        return static_cast<uint64_t>(m_p[1]);
    type_error(*this, "a sub-graph");
}
std::string_view Value::enum_type() const {
    if (tag() == ValueTag::enumeration)
        return m_file->string(static_cast<uint64_t>(m_p[1]));
    type_error(*this, "an enum");
}
std::string_view Value::enum_member() const {
    if (tag() == ValueTag::enumeration)
        return m_file->string(static_cast<uint64_t>(m_p[2]));
    type_error(*this, "an enum");
}
std::string_view Value::record_type() const {
    if (tag() == ValueTag::record)
        return m_file->string(static_cast<uint64_t>(m_p[1]));
    type_error(*this, "a record");
}
std::string_view Value::unknown_type() const {
    return tag() == ValueTag::unknown ? m_file->string(static_cast<uint64_t>(m_p[1])) : std::string_view();
}
size_t Value::size() const {
    if (tag() == ValueTag::tuple)
        return static_cast<size_t>(m_p[1]);
    if (tag() == ValueTag::record)
        return static_cast<size_t>(m_p[2]);
    type_error(*this, "a tuple");
}
Value Value::item(size_t i) const {
    if (tag() != ValueTag::tuple)
        type_error(*this, "a tuple");
    if (i >= size())
        throw FormatError("tuple index " + std::to_string(i) + " out of range in " + describe());
    return Value(m_file, m_file->m_items[m_file->composite(m_p).first + i]);
}
std::optional<Value> Value::field(std::string_view name) const {
    if (tag() != ValueTag::record)
        type_error(*this, "a record");
    const auto* items = m_file->m_items.data() + m_file->composite(m_p).first;
    for (size_t k = 0; k < size(); ++k)
        if (m_file->string(static_cast<uint64_t>(items[k][0])) == name)
            return Value(m_file, items[k] + 1);
    return std::nullopt;
}
std::vector<int64_t> Value::as_ints() const {
    if (tag() == ValueTag::integer)
        return {m_p[1]};
    if (tag() != ValueTag::tuple)
        type_error(*this, "a tuple of integers");
    std::vector<int64_t> r;
    r.reserve(size());
    for (size_t k = 0; k < size(); ++k)
        r.push_back(item(k).as_int());
    return r;
}
std::vector<int64_t> Value::as_dims() const {
    if (tag() == ValueTag::dim)
        return {dim_word(as_dim_expr())};
    if (tag() == ValueTag::integer) {
        if (as_int() < 0)  // (a negative word would read as a symbolic dimension)
            type_error(*this, "a dimension (an integer >= 0, or symbolic)");
        return {as_int()};
    }
    if (tag() != ValueTag::tuple)
        type_error(*this, "a tuple of dimensions");
    std::vector<int64_t> r;
    r.reserve(size());
    for (size_t k = 0; k < size(); ++k) {
        const Value v = item(k);
        if (v.tag() == ValueTag::dim) {
            r.push_back(dim_word(v.as_dim_expr()));
        } else {
            const int64_t d = v.as_int();
            if (d < 0)
                type_error(v, "a dimension (an integer >= 0, or symbolic)");
            r.push_back(d);
        }
    }
    return r;
}
uint64_t Value::as_dim_expr() const {
    if (tag() != ValueTag::dim)
        type_error(*this, "a symbolic dimension");
    return static_cast<uint64_t>(m_p[1]);
}
DType Value::array_dtype() const {
    if (tag() != ValueTag::array)
        type_error(*this, "an array");
    return static_cast<DType>(m_p[1]);
}
std::vector<int64_t> Value::array_shape() const {
    if (tag() != ValueTag::array)
        type_error(*this, "an array");
    return std::vector<int64_t>(m_p + 3, m_p + 3 + m_p[2]);
}
uint64_t Value::array_buffer() const {
    if (tag() != ValueTag::array)
        type_error(*this, "an array");
    return static_cast<uint64_t>(m_p[3 + m_p[2]]);
}

const int64_t* Value::end() const {
    switch (tag()) {
    case ValueTag::none:
        return m_p + 1;
    case ValueTag::boolean:
    case ValueTag::integer:
    case ValueTag::floating:
    case ValueTag::string:
    case ValueTag::dtype:
    case ValueTag::graph:
    case ValueTag::dim:
        return m_p + 2;
    case ValueTag::enumeration:
    case ValueTag::unknown:
        return m_p + 3;
    case ValueTag::tuple:
    case ValueTag::record:
        return m_file->composite(m_p).end;
    case ValueTag::array:
        return m_p + 4 + m_p[2];
    }
    return m_p + 1;
}

std::string Value::describe() const {
    std::string s;
    describe_into(s, s.size() + kDescribeLimit);
    return s;
}

// Appends this value's text to `out`, stopping with "..." once `out` reaches `limit`
// characters: a message shows the start of a long tuple, never all of it.
void Value::describe_into(std::string& out, size_t limit) const {
    auto put = [&](std::string_view t) {
        if (out.size() >= limit)
            return;
        out.append(t.substr(0, limit - out.size()));
        if (out.size() >= limit)
            out.append("...");
    };
    switch (tag()) {
    case ValueTag::none:
        return put("None");
    case ValueTag::boolean:
        return put(m_p[1] ? "True" : "False");
    case ValueTag::integer:
        return put(std::to_string(m_p[1]));
    case ValueTag::floating: {
        std::ostringstream s;
        s << as_float();
        return put(s.str());
    }
    case ValueTag::string:
        put("'");
        put(as_string());
        return put("'");
    case ValueTag::dtype:
        return put(dtype_name(as_dtype()));
    case ValueTag::graph:
        return put("<sub-graph " + std::to_string(m_p[1]) + ">");
    case ValueTag::enumeration:
        put(enum_type());
        put(".");
        return put(enum_member());
    case ValueTag::unknown:
        put("<");
        put(unknown_type());
        return put(">");
    case ValueTag::array:
        return put("<array>");
    case ValueTag::dim:
        return put(m_file->dim_text(dim_word(as_dim_expr())));
    case ValueTag::tuple: {
        const size_t n = size();
        put("(");
        for (size_t i = 0; i < n && out.size() < limit; ++i) {
            if (i)
                put(", ");
            item(i).describe_into(out, limit);
        }
        if (out.size() >= limit) {
            out.append(" (" + std::to_string(n) + " items)");
            return;
        }
        return put(n == 1 ? ",)" : ")");
    }
    case ValueTag::record:
        put(record_type());
        return put("(...)");
    }
    put("?");
}

}  // namespace format
}  // namespace ovjax

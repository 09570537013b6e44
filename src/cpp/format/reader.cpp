#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include "format.hpp"

namespace ovjax {
namespace format {

namespace {

const char* const kDTypeNames[kNumDTypes] = {
    "bool",    "int8",      "int16",     "int32", "int64",         "uint8",      "uint16", "uint32",
    "uint64",  "float16",   "bfloat16",  "float32", "float64",     "complex64",  "complex128",
    "float0",  "token",     "key",       "float8_e4m3fn", "float8_e5m2", "int4", "uint4"};
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

// A word cursor over [p, end) that fails with the byte offset of the bad read.
struct Cursor {
    const int64_t* p;
    const int64_t* end;
    const uint8_t* base;  // for offsets in messages
    const File* file;

    uint64_t offset() const {
        return static_cast<uint64_t>(reinterpret_cast<const uint8_t*>(p) - base);
    }
};

}  // namespace

const char* dtype_name(DType t) {
    auto i = static_cast<size_t>(t);
    return i < kNumDTypes ? kDTypeNames[i] : "?";
}

size_t dtype_size(DType t) {
    auto i = static_cast<size_t>(t);
    return i < kNumDTypes ? kDTypeSizes[i] : 0;
}

void File::fail(uint64_t offset, const std::string& what) const {
    std::ostringstream s;
    s << "ovjax format error at byte offset " << offset << ": " << what;
    throw FormatError(s.str());
}

bool File::has_magic(const void* data, size_t size) {
    return data && size >= sizeof(kMagic) && std::memcmp(data, kMagic, sizeof(kMagic)) == 0;
}

std::shared_ptr<File> File::open(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        throw FormatError("ovjax: cannot open '" + path + "': " + std::strerror(errno));
    struct stat st {};
    if (fstat(fd, &st) != 0) {
        int e = errno;
        ::close(fd);
        throw FormatError("ovjax: cannot stat '" + path + "': " + std::strerror(e));
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
    if (reinterpret_cast<uintptr_t>(bytes.data) % 8 != 0) {
        // Word reads need 8-byte alignment: keep an aligned copy of the graph bytes.
        auto copy = std::shared_ptr<uint64_t>(new uint64_t[(bytes.size + 7) / 8 + 1], std::default_delete<uint64_t[]>());
        std::memcpy(copy.get(), bytes.data, bytes.size);
        bytes.data = reinterpret_cast<const uint8_t*>(copy.get());
        bytes.owner = copy;
    }
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
    uint32_t header_size = rd32(b + 12);
    uint64_t nsec = rd64(b + 16);
    uint64_t table = rd64(b + 24);
    uint64_t file_size = rd64(b + 32);
    if (header_size < kHeaderSize || header_size > size)
        fail(12, "bad header size " + std::to_string(header_size));
    if (file_size != size)
        fail(32, "file size field says " + std::to_string(file_size) + " bytes but " + std::to_string(size) +
                     " are present (truncated or padded file)");
    if (nsec > 1024)
        fail(16, "absurd section count " + std::to_string(nsec));
    if (table < header_size || table % 8 != 0 || table > size || nsec * kSectionEntrySize > size - table)
        fail(24, "section table at " + std::to_string(table) + " with " + std::to_string(nsec) +
                     " entries does not fit in the file");

    struct Sec {
        uint64_t off = 0, size = 0;
        bool present = false;
    } secs[7];
    std::vector<std::pair<uint64_t, uint64_t>> ranges;
    for (uint64_t i = 0; i < nsec; ++i) {
        const uint8_t* e = b + table + i * kSectionEntrySize;
        uint64_t eoff = table + i * kSectionEntrySize;
        uint32_t kind = rd32(e);
        uint64_t off = rd64(e + 8), sz = rd64(e + 16);
        if (off > size || sz > size - off)
            fail(eoff, "section " + std::to_string(i) + " (kind " + std::to_string(kind) + ") at offset " +
                           std::to_string(off) + " size " + std::to_string(sz) + " runs past the end of the file");
        if (off % 8 != 0)
            fail(eoff, "section " + std::to_string(i) + " offset " + std::to_string(off) + " is not 8-byte aligned");
        if (kind == 0 || kind >= 7)
            continue;  // unknown section kinds are skipped (forward compatibility)
        if (secs[kind].present)
            fail(eoff, "section kind " + std::to_string(kind) + " appears twice");
        if (off < table + nsec * kSectionEntrySize && sz > 0)
            fail(eoff, "section " + std::to_string(i) + " overlaps the header or section table");
        for (auto& r : ranges)
            if (sz > 0 && off < r.first + r.second && r.first < off + sz)
                fail(eoff, "section " + std::to_string(i) + " overlaps another section");
        ranges.emplace_back(off, sz);
        secs[kind] = {off, sz, true};
    }
    for (uint32_t k : {SEC_STRINGS, SEC_BUFFERS, SEC_GRAPHS, SEC_DATA})
        if (!secs[k].present)
            fail(24, "required section kind " + std::to_string(k) + " is missing");
    if (secs[SEC_DATA].off % kDataAlign != 0)
        fail(secs[SEC_DATA].off, "data section is not 64-byte aligned");

    parse_strings(secs[SEC_STRINGS].off, secs[SEC_STRINGS].size);
    if (secs[SEC_META].present)
        parse_meta(secs[SEC_META].off, secs[SEC_META].size);
    parse_buffers(secs[SEC_BUFFERS].off, secs[SEC_BUFFERS].size, secs[SEC_DATA].off, secs[SEC_DATA].size);
    parse_graphs(secs[SEC_GRAPHS].off, secs[SEC_GRAPHS].size);
    if (secs[SEC_IONAMES].present)
        parse_ionames(secs[SEC_IONAMES].off, secs[SEC_IONAMES].size);
}

void File::parse_strings(uint64_t off, uint64_t size) {
    const uint8_t* b = m_mem.data;
    if (size < 8)
        fail(off, "string section too small");
    uint64_t n = rd64(b + off);
    if (n > (size - 8) / 8 - 1)
        fail(off, "string count " + std::to_string(n) + " does not fit in the string section");
    m_string_offsets = reinterpret_cast<const int64_t*>(b + off + 8);
    m_string_offsets_count = n;
    uint64_t bytes_off = off + 8 + (n + 1) * 8;
    uint64_t bytes_size = size - 8 - (n + 1) * 8;
    m_string_bytes = reinterpret_cast<const char*>(b + bytes_off);
    int64_t prev = 0;
    for (uint64_t i = 0; i <= n; ++i) {
        int64_t o = m_string_offsets[i];
        if (o < prev || static_cast<uint64_t>(o) > bytes_size)
            fail(off + 8 + i * 8, "string offset " + std::to_string(o) + " out of order or past the string bytes");
        prev = o;
    }
}

void File::parse_meta(uint64_t off, uint64_t size) {
    const int64_t* p = reinterpret_cast<const int64_t*>(m_mem.data + off);
    uint64_t words = size / 8;
    if (words < 1)
        fail(off, "meta section too small");
    uint64_t n = static_cast<uint64_t>(p[0]);
    if (n > (words - 1) / 2)
        fail(off, "meta count " + std::to_string(n) + " does not fit");
    for (uint64_t i = 0; i < n; ++i) {
        uint64_t k = static_cast<uint64_t>(p[1 + 2 * i]), v = static_cast<uint64_t>(p[2 + 2 * i]);
        if (k >= m_string_offsets_count || v >= m_string_offsets_count)
            fail(off + 8 * (1 + 2 * i), "meta entry names a string that does not exist");
        m_meta.emplace_back(std::string(string(k)), std::string(string(v)));
    }
}

void File::parse_ionames(uint64_t off, uint64_t size) {
    const int64_t* p = reinterpret_cast<const int64_t*>(m_mem.data + off);
    uint64_t words = size / 8, i = 0;
    auto read_list = [&](std::vector<std::string>& out) {
        if (i >= words)
            fail(off + 8 * i, "io-names section truncated");
        uint64_t n = static_cast<uint64_t>(p[i++]);
        if (n > words - i)
            fail(off + 8 * (i - 1), "io-names count " + std::to_string(n) + " does not fit");
        for (uint64_t j = 0; j < n; ++j, ++i) {
            uint64_t s = static_cast<uint64_t>(p[i]);
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
    uint64_t words = size / 8;
    if (words < 1)
        fail(off, "buffer section too small");
    uint64_t n = static_cast<uint64_t>(p[0]);
    if (n > (words - 1) / 3)
        fail(off, "buffer count " + std::to_string(n) + " does not fit in the buffer table");
    m_buffers.reserve(n);
    m_buffer_external_index.reserve(n);
    std::vector<std::pair<uint64_t, uint64_t>> used;
    size_t next_external = 0;
    for (uint64_t i = 0; i < n; ++i) {
        uint64_t eo = off + 8 + 24 * i;
        uint64_t bo = static_cast<uint64_t>(p[1 + 3 * i]);
        uint64_t bs = static_cast<uint64_t>(p[2 + 3 * i]);
        uint64_t fl = static_cast<uint64_t>(p[3 + 3 * i]);
        if (fl & ~static_cast<uint64_t>(BUF_EXTERNAL))
            fail(eo, "buffer " + std::to_string(i) + " has unknown flags " + std::to_string(fl));
        if (fl & BUF_EXTERNAL) {
            if (next_external >= m_externals.size())
                fail(eo, "buffer " + std::to_string(i) +
                             " is external but the host supplied only " + std::to_string(m_externals.size()) +
                             " external buffers");
            const Memory& m = m_externals[next_external];
            if (m.size != bs)
                fail(eo, "external buffer " + std::to_string(i) + " has " + std::to_string(m.size) +
                             " bytes, the table says " + std::to_string(bs));
            m_buffers.push_back({m.data, bs, fl});
            m_buffer_external_index.push_back(static_cast<int>(next_external++));
            continue;
        }
        if (bo % kDataAlign != 0)
            fail(eo, "buffer " + std::to_string(i) + " offset " + std::to_string(bo) + " is not 64-byte aligned");
        if (bo > data_size || bs > data_size - bo)
            fail(eo, "buffer " + std::to_string(i) + " (offset " + std::to_string(bo) + ", size " +
                         std::to_string(bs) + ") runs past the data section (" + std::to_string(data_size) +
                         " bytes)");
        for (auto& u : used)
            if (bs > 0 && bo < u.first + u.second && u.first < bo + bs)
                fail(eo, "buffer " + std::to_string(i) + " overlaps another buffer");
        if (bs > 0)
            used.emplace_back(bo, bs);
        m_buffers.push_back({m_mem.data + data_off + bo, bs, fl});
        m_buffer_external_index.push_back(-1);
    }
    if (next_external != m_externals.size())
        fail(off, "the host supplied " + std::to_string(m_externals.size()) + " external buffers but the table uses " +
                      std::to_string(next_external));
}

void File::parse_graphs(uint64_t off, uint64_t size) {
    const uint8_t* b = m_mem.data;
    const int64_t* p = reinterpret_cast<const int64_t*>(b + off);
    uint64_t words = size / 8;
    if (words < 1)
        fail(off, "graph section too small");
    uint64_t n = static_cast<uint64_t>(p[0]);
    if (n == 0)
        fail(off, "graph section holds no graph");
    if (n > words - 1)
        fail(off, "graph count " + std::to_string(n) + " does not fit in the graph section");
    m_graphs.resize(n);
    for (uint64_t i = 0; i < n; ++i) {
        uint64_t go = static_cast<uint64_t>(p[1 + i]);
        uint64_t gend = (i + 1 < n) ? static_cast<uint64_t>(p[2 + i]) : words * 8;
        if (go % 8 != 0 || go < 8 * (1 + n) || go > gend || gend > words * 8)
            fail(off + 8 * (1 + i), "graph " + std::to_string(i) + " offset " + std::to_string(go) + " is out of range");
        m_graphs[i].index = i;
        parse_graph(m_graphs[i], p + go / 8, p + gend / 8, off + go);
    }
}

const int64_t* File::check_value(const int64_t* p, const int64_t* end, int depth, uint64_t base) const {
    const uint8_t* b0 = reinterpret_cast<const uint8_t*>(p);
    auto at = [&](const int64_t* q) {
        return base + static_cast<uint64_t>(reinterpret_cast<const uint8_t*>(q) - b0);
    };
    auto need = [&](const int64_t* q, uint64_t k) {
        if (static_cast<uint64_t>(end - q) < k)
            fail(at(q), "parameter value truncated");
    };
    auto str = [&](const int64_t* q) {
        if (static_cast<uint64_t>(*q) >= m_string_offsets_count)
            fail(at(q), "string index " + std::to_string(*q) + " out of range");
    };
    if (depth > kMaxValueDepth)
        fail(base, "parameter value nested too deeply");
    need(p, 1);
    int64_t tag = p[0];
    const int64_t* q = p + 1;
    switch (tag) {
    case 0:
        return q;
    case 1:
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
    case 6: {
        need(q, 1);
        uint64_t n = static_cast<uint64_t>(*q++);
        if (n > static_cast<uint64_t>(end - q))
            fail(at(q - 1), "tuple length " + std::to_string(n) + " does not fit");
        for (uint64_t i = 0; i < n; ++i)
            q = check_value(q, end, depth + 1, at(q));
        return q;
    }
    case 7:
        need(q, 1);
        if (static_cast<uint64_t>(*q) >= m_graphs.size())
            fail(at(q), "sub-graph index " + std::to_string(*q) + " out of range (" + std::to_string(m_graphs.size()) +
                            " graphs)");
        return q + 1;
    case 8:
    case 11:
        need(q, 2);
        str(q);
        str(q + 1);
        return q + 2;
    case 9: {
        need(q, 2);
        str(q);
        uint64_t n = static_cast<uint64_t>(q[1]);
        q += 2;
        if (n > static_cast<uint64_t>(end - q))
            fail(at(q - 1), "record field count " + std::to_string(n) + " does not fit");
        for (uint64_t i = 0; i < n; ++i) {
            need(q, 1);
            str(q);
            q = check_value(q + 1, end, depth + 1, at(q + 1));
        }
        return q;
    }
    case 10: {
        need(q, 2);
        if (q[0] < 0 || q[0] >= kNumDTypes)
            fail(at(q), "unknown dtype code " + std::to_string(q[0]));
        uint64_t rank = static_cast<uint64_t>(q[1]);
        if (rank > kMaxRank)
            fail(at(q + 1), "array rank " + std::to_string(rank) + " too large");
        q += 2;
        need(q, rank + 1);
        uint64_t numel = 1;
        for (uint64_t i = 0; i < rank; ++i) {
            if (q[i] < 0 || q[i] > (int64_t(1) << 40))
                fail(at(q + i), "bad array dimension " + std::to_string(q[i]));
            numel *= static_cast<uint64_t>(q[i]);
        }
        uint64_t buf = static_cast<uint64_t>(q[rank]);
        if (buf >= m_buffers.size())
            fail(at(q + rank), "array buffer index " + std::to_string(buf) + " out of range");
        size_t es = dtype_size(static_cast<DType>(p[1]));
        if (es == 0 || m_buffers[buf].size != numel * es)
            fail(at(q + rank), "array buffer " + std::to_string(buf) + " size does not match its shape and dtype");
        return q + rank + 1;
    }
    default:
        fail(base, "unknown parameter value tag " + std::to_string(tag));
    }
}

void File::parse_graph(Graph& g, const int64_t* begin, const int64_t* end, uint64_t base) {
    const int64_t* p = begin;
    auto at = [&](const int64_t* q) { return base + 8 * static_cast<uint64_t>(q - begin); };
    auto need = [&](uint64_t k, const char* what) {
        if (static_cast<uint64_t>(end - p) < k)
            fail(at(p), std::string("graph ") + std::to_string(g.index) + " truncated while reading " + what);
    };
    auto count = [&](const char* what) {
        need(1, what);
        uint64_t n = static_cast<uint64_t>(*p);
        if (n > static_cast<uint64_t>(end - p - 1))
            fail(at(p), std::string("graph ") + std::to_string(g.index) + ": " + what + " count " + std::to_string(n) +
                            " does not fit in the graph");
        ++p;
        return n;
    };
    auto var_index = [&](const int64_t* q, bool allow_none) {
        if (allow_none && *q == kNone)
            return;
        if (*q < 0 || static_cast<uint64_t>(*q) >= g.vars.size())
            fail(at(q), "graph " + std::to_string(g.index) + ": variable index " + std::to_string(*q) +
                            " out of range (" + std::to_string(g.vars.size()) + " variables)");
    };
    auto read_atom = [&](Atom& a) {
        need(2, "an atom");
        int64_t tag = *p;
        if (tag == 0) {
            var_index(p + 1, false);
            a = {false, p[1], DType::boolean, 0};
            p += 2;
        } else if (tag == 1) {
            need(3, "a literal");
            if (p[1] < 0 || p[1] >= kNumDTypes)
                fail(at(p + 1), "unknown literal dtype code " + std::to_string(p[1]));
            a = {true, kNone, static_cast<DType>(p[1]), p[2]};
            p += 3;
        } else {
            fail(at(p), "unknown atom tag " + std::to_string(tag));
        }
    };

    uint64_t nvars = count("variable");
    g.vars.reserve(nvars);
    for (uint64_t i = 0; i < nvars; ++i) {
        need(2, "a variable");
        if (p[0] < 0 || p[0] >= kNumDTypes)
            fail(at(p), "variable " + std::to_string(i) + " has unknown dtype code " + std::to_string(p[0]));
        uint64_t rank = static_cast<uint64_t>(p[1]);
        if (rank > kMaxRank)
            fail(at(p + 1), "variable " + std::to_string(i) + " has rank " + std::to_string(rank));
        need(2 + rank, "variable dimensions");
        for (uint64_t d = 0; d < rank; ++d)
            if (p[2 + d] < 0)
                fail(at(p + 2 + d), "variable " + std::to_string(i) + " has negative dimension " +
                                        std::to_string(p[2 + d]));
        if ((p[0] == static_cast<int64_t>(DType::c64) || p[0] == static_cast<int64_t>(DType::c128)) &&
            (rank == 0 || p[2 + rank - 1] != 2))
            fail(at(p + 1), "complex variable " + std::to_string(i) + " lacks its trailing (real, imag) dimension of 2");
        g.vars.push_back({static_cast<DType>(p[0]), static_cast<uint32_t>(rank), p + 2});
        p += 2 + rank;
    }
    uint64_t nin = count("input");
    for (uint64_t i = 0; i < nin; ++i, ++p) {
        var_index(p, false);
        g.invars.push_back(*p);
    }
    uint64_t nconst = count("constant");
    if (nconst > static_cast<uint64_t>(end - p) / 2)
        fail(at(p - 1), "constant count does not fit");
    for (uint64_t i = 0; i < nconst; ++i, p += 2) {
        var_index(p, false);
        uint64_t buf = static_cast<uint64_t>(p[1]);
        if (buf >= m_buffers.size())
            fail(at(p + 1), "constant buffer index " + std::to_string(buf) + " out of range (" +
                                std::to_string(m_buffers.size()) + " buffers)");
        const VarInfo& v = g.vars[static_cast<size_t>(p[0])];
        uint64_t numel = 1;
        for (uint32_t d = 0; d < v.rank; ++d) {
            if (v.dims[d] != 0 && numel > (uint64_t(1) << 48) / static_cast<uint64_t>(v.dims[d]))
                fail(at(p), "constant shape too large");
            numel *= static_cast<uint64_t>(v.dims[d]);
        }
        size_t es = dtype_size(v.dtype);
        if (v.dtype == DType::c64 || v.dtype == DType::c128)
            es /= 2;  // the dims include the (real, imag) axis: each element is one float
        if (es == 0 || m_buffers[buf].size != numel * es)
            fail(at(p + 1), "constant buffer " + std::to_string(buf) + " has " + std::to_string(m_buffers[buf].size) +
                                " bytes but its variable (" + dtype_name(v.dtype) + ", " + std::to_string(numel) +
                                " elements) needs " + std::to_string(numel * es));
        g.constvars.emplace_back(p[0], buf);
    }
    uint64_t nout = count("output");
    g.outvars.resize(nout);
    for (uint64_t i = 0; i < nout; ++i)
        read_atom(g.outvars[i]);
    uint64_t neq = count("equation");
    g.eqns.reserve(neq);
    g.atom_offsets.reserve(neq);
    for (uint64_t i = 0; i < neq; ++i) {
        need(1, "an equation");
        uint64_t len = static_cast<uint64_t>(*p);
        if (len > static_cast<uint64_t>(end - p - 1) || len < 5)
            fail(at(p), "equation " + std::to_string(i) + " record length " + std::to_string(len) + " is invalid");
        const int64_t* rec_end = p + 1 + len;
        Eqn e{};
        e.byte_offset = at(p);
        ++p;
        const int64_t* saved_end = end;
        end = rec_end;  // reads of this record stay inside it
        if (static_cast<uint64_t>(p[0]) >= m_string_offsets_count)
            fail(at(p), "equation " + std::to_string(i) + " primitive name index out of range");
        e.primitive = static_cast<uint64_t>(p[0]);
        if (p[1] != kNone && static_cast<uint64_t>(p[1]) >= m_string_offsets_count)
            fail(at(p + 1), "equation " + std::to_string(i) + " source string index out of range");
        e.source = p[1];
        p += 2;
        uint64_t n_in = count("equation input");
        e.in = p;
        g.atom_offsets.push_back(static_cast<uint32_t>(g.atoms.size()));
        for (uint64_t k = 0; k < n_in; ++k) {
            Atom a;
            read_atom(a);
            g.atoms.push_back(a);
        }
        uint64_t n_out = count("equation output");
        e.out = p;
        for (uint64_t k = 0; k < n_out; ++k, ++p)
            var_index(p, true);
        uint64_t n_params = count("parameter");
        e.params = p;
        for (uint64_t k = 0; k < n_params; ++k) {
            need(2, "a parameter");
            if (static_cast<uint64_t>(*p) >= m_string_offsets_count)
                fail(at(p), "parameter key string index out of range");
            p = check_value(p + 1, end, 0, at(p + 1));
        }
        // Words past what this reader knows are fields added by a newer minor version.
        p = rec_end;
        end = saved_end;
        e.n_in = static_cast<uint32_t>(n_in);
        e.n_out = static_cast<uint32_t>(n_out);
        e.n_params = static_cast<uint32_t>(n_params);
        g.eqns.push_back(e);
    }
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
    s += " '" + std::string(string(e.primitive)) + "'";
    if (e.source != kNone)
        s += " at " + std::string(string(static_cast<uint64_t>(e.source)));
    return s;
}

// ---- Value --------------------------------------------------------------

namespace {
[[noreturn]] void type_error(const Value& v, const char* want) {
    throw FormatError(std::string("expected ") + want + " parameter, found " + v.describe());
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
    const int64_t* q = m_p + 2;
    for (size_t k = 0; k < i; ++k)
        q = Value(m_file, q).end();
    return Value(m_file, q);
}
std::optional<Value> Value::field(std::string_view name) const {
    if (tag() != ValueTag::record)
        type_error(*this, "a record");
    const int64_t* q = m_p + 3;
    for (size_t k = 0; k < size(); ++k) {
        Value v(m_file, q + 1);
        if (m_file->string(static_cast<uint64_t>(q[0])) == name)
            return v;
        q = v.end();
    }
    return std::nullopt;
}
std::vector<int64_t> Value::as_ints() const {
    if (tag() == ValueTag::integer)
        return {m_p[1]};
    if (tag() != ValueTag::tuple)
        type_error(*this, "a tuple of integers");
    std::vector<int64_t> r;
    r.reserve(size());
    const int64_t* q = m_p + 2;
    for (size_t k = 0; k < size(); ++k) {
        Value v(m_file, q);
        r.push_back(v.as_int());
        q = v.end();
    }
    return r;
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
        return m_p + 2;
    case ValueTag::enumeration:
    case ValueTag::unknown:
        return m_p + 3;
    case ValueTag::tuple: {
        const int64_t* q = m_p + 2;
        for (int64_t k = 0; k < m_p[1]; ++k)
            q = Value(m_file, q).end();
        return q;
    }
    case ValueTag::record: {
        const int64_t* q = m_p + 3;
        for (int64_t k = 0; k < m_p[2]; ++k)
            q = Value(m_file, q + 1).end();
        return q;
    }
    case ValueTag::array:
        return m_p + 4 + m_p[2];
    }
    return m_p + 1;
}

std::string Value::describe() const {
    std::ostringstream s;
    switch (tag()) {
    case ValueTag::none:
        return "None";
    case ValueTag::boolean:
        return m_p[1] ? "True" : "False";
    case ValueTag::integer:
        return std::to_string(m_p[1]);
    case ValueTag::floating:
        s << as_float();
        return s.str();
    case ValueTag::string:
        return "'" + std::string(as_string()) + "'";
    case ValueTag::dtype:
        return dtype_name(as_dtype());
    case ValueTag::graph:
        return "<sub-graph " + std::to_string(m_p[1]) + ">";
    case ValueTag::enumeration:
        return std::string(enum_type()) + "." + std::string(enum_member());
    case ValueTag::unknown:
        return "<" + std::string(unknown_type()) + ">";
    case ValueTag::array:
        return "<array>";
    case ValueTag::tuple: {
        s << "(";
        for (size_t i = 0; i < size(); ++i)
            s << (i ? ", " : "") << item(i).describe();
        s << (size() == 1 ? ",)" : ")");
        return s.str();
    }
    case ValueTag::record: {
        s << record_type() << "(...)";
        return s.str();
    }
    }
    return "?";
}

}  // namespace format
}  // namespace ovjax

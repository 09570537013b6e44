// The .ovjax binary graph format: a bounds-checked reader (see docs/format.md).
//
// A File views memory it does not copy: a memory-mapped file or a buffer borrowed
// from the host (kept alive through an owner handle). Every count, index, length
// and offset is checked when the file is opened, so the views handed out later
// (graphs, equations, parameter values) can be walked without further checks that
// could fail on malformed input. Opening is linear in the file's size: every size
// check is a comparison that cannot wrap, and composite parameter values (tuples,
// records) are indexed once so that walking them is too.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ovjax {
namespace format {

constexpr char kMagic[8] = {'O', 'V', 'J', 'A', 'X', '\0', '\x1a', '\n'};
constexpr uint16_t kMajor = 1;
constexpr uint16_t kMinor = 2;  // 1.1: header checksum; 1.2: symbolic dimensions (docs/format.md)
constexpr uint64_t kHeaderSize = 64;
constexpr uint64_t kSectionEntrySize = 32;
constexpr uint64_t kDataAlign = 64;
constexpr int64_t kNone = -1;
constexpr uint32_t kMaxRank = 64;
constexpr int kMaxValueDepth = 64;
constexpr uint64_t kMaxSections = 1024;
constexpr size_t kMaxPrimitiveName = 256;  // bytes
// Sub-graph references (calls, control-flow bodies) nest at most this deep.
constexpr uint32_t kMaxGraphDepth = 256;
// No variable or array holds more bytes than a 64-bit machine can address (48 bits).
constexpr uint64_t kMaxTensorBytes = uint64_t(1) << 48;
constexpr uint64_t kChecksumOffset = 48;  // u32 CRC-32 in the header (minor >= 1)
// Header flag (minor >= 2): the file has symbolic dimensions and a DIMS section.
constexpr uint64_t kFlagSymbolic = 1;
constexpr uint64_t kMaxSymbols = 65536;
constexpr uint64_t kMaxDimExprs = uint64_t(1) << 24;
constexpr int64_t kMaxDimValue = int64_t(1) << 62;  // bounds and constants of symbolic dimensions

// CRC-32 (ISO-HDLC, zlib's crc32) of `size` bytes, continuing from `crc`.
uint32_t crc32(const uint8_t* data, size_t size, uint32_t crc = 0);

enum SectionKind : uint32_t {
    SEC_STRINGS = 1,
    SEC_META = 2,
    SEC_BUFFERS = 3,
    SEC_GRAPHS = 4,
    SEC_DATA = 5,
    SEC_IONAMES = 6,
    SEC_DIMS = 7,
};

enum BufferFlags : uint64_t { BUF_EXTERNAL = 1 };

enum class DType : uint8_t {
    boolean = 0,
    i8 = 1,
    i16 = 2,
    i32 = 3,
    i64 = 4,
    u8 = 5,
    u16 = 6,
    u32 = 7,
    u64 = 8,
    f16 = 9,
    bf16 = 10,
    f32 = 11,
    f64 = 12,
    c64 = 13,
    c128 = 14,
    float0 = 15,
    token = 16,
    key = 17,
    f8e4m3 = 18,
    f8e5m2 = 19,
    i4 = 20,
    u4 = 21,
};
constexpr int64_t kNumDTypes = 22;
const char* dtype_name(DType t);
// Bytes per element, or 0 for types with no fixed byte size (token, float0, 4-bit).
size_t dtype_size(DType t);

enum class ValueTag : uint8_t {
    none = 0,
    boolean = 1,
    integer = 2,
    floating = 3,
    string = 4,
    dtype = 5,
    tuple = 6,
    graph = 7,
    enumeration = 8,
    record = 9,
    array = 10,
    unknown = 11,
    dim = 12,  // a symbolic dimension: the index of a DIMS expression
};

// Symbolic dimensions (docs/format.md, DIMS). A dimension word is a static size when
// >= 0; in a SYMBOLIC file a word <= -2 is expression -2 - word.
inline bool is_symbolic_dim(int64_t word) { return word < 0; }
inline uint64_t dim_expr_index(int64_t word) { return static_cast<uint64_t>(-2 - word); }
inline int64_t dim_word(uint64_t expr) { return -2 - static_cast<int64_t>(expr); }

enum class DimOp : uint8_t { constant = 0, symbol = 1, add = 2, mul = 3, floordiv = 4, mod = 5, max = 6, min = 7 };
constexpr int64_t kNumDimOps = 8;

struct DimExpr {
    DimOp op;
    int64_t a, b;  // constant: the value; symbol: its number; otherwise earlier expressions
};

// Every value an expression takes lies in [lo, hi] (interval arithmetic on the symbols'
// bounds, saturating); hi == kUnbounded when there is no upper bound.
struct DimBounds {
    static constexpr int64_t kUnbounded = INT64_MAX;
    int64_t lo = 0, hi = kUnbounded;
};

struct DimSymbol {
    std::string_view name;
    int64_t lower, upper;  // upper: -1 for none
    uint64_t input, axis;  // origin: graph 0's input `input`, dimension `axis` (= scale * S + offset)
    int64_t scale, offset;
};

// Any failure to read a file: the message names what is wrong and where.
class FormatError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class File;

// The bounds of every expression (in order: operands first) for the symbols' bounds.
std::vector<DimBounds> dim_bounds(const std::vector<DimExpr>& exprs, const std::vector<DimSymbol>& symbols);

// A typed parameter value (validated when the file was opened).
class Value {
public:
    Value(const File* file, const int64_t* p) : m_file(file), m_p(p) {}
    ValueTag tag() const { return static_cast<ValueTag>(m_p[0]); }
    bool is_none() const { return tag() == ValueTag::none; }

    bool as_bool() const;
    int64_t as_int() const;
    double as_float() const;  // INT converts too
    std::string_view as_string() const;
    DType as_dtype() const;
    uint64_t as_graph() const;
    std::string_view enum_type() const;
    std::string_view enum_member() const;
    std::string_view record_type() const;
    std::string_view unknown_type() const;

    size_t size() const;                                      // TUPLE length or RECORD field count
    Value item(size_t i) const;                               // TUPLE item
    std::optional<Value> field(std::string_view name) const;  // RECORD field
    std::vector<int64_t> as_ints() const;                     // TUPLE of INT (or a single INT)
    // TUPLE of INT and DIM (or a single one) as dimension words: >= 0 static, <= -2 symbolic
    std::vector<int64_t> as_dims() const;
    uint64_t as_dim_expr() const;  // DIM

    // ARRAY
    DType array_dtype() const;
    std::vector<int64_t> array_shape() const;
    uint64_t array_buffer() const;

    // Short human-readable form for messages: at most about kDescribeLimit characters.
    std::string describe() const;
    static constexpr size_t kDescribeLimit = 200;
    const int64_t* end() const;  // one past this value's last word

private:
    void describe_into(std::string& out, size_t limit) const;
    const File* m_file;
    const int64_t* m_p;
};

struct VarInfo {
    DType dtype;
    uint32_t rank;
    const int64_t* dims;
};

struct Atom {
    bool is_literal;
    int64_t var;   // variable index when !is_literal
    DType dtype;   // literal dtype
    int64_t bits;  // literal payload
};

struct Eqn {
    uint64_t primitive;  // string index
    int64_t source;      // string index or kNone
    uint64_t byte_offset;
    uint32_t n_in, n_out, n_params;
    const int64_t* in;      // n_in atoms, 2 or 3 words each (see File::input)
    const int64_t* out;     // n_out var indices (kNone for dropped results)
    const int64_t* params;  // n_params (key, value) pairs
};

struct Graph {
    uint64_t index = 0;
    std::vector<VarInfo> vars;
    std::vector<int64_t> invars;
    std::vector<std::pair<int64_t, uint64_t>> constvars;  // (var, buffer)
    std::vector<Atom> outvars;
    std::vector<Eqn> eqns;
    std::vector<Atom> atoms;             // all equation inputs, flattened
    std::vector<uint32_t> atom_offsets;  // eqn i's inputs start at atoms[atom_offsets[i]]
};

// A tuple or record parameter value, indexed when the file is opened: its items (for a
// record, its fields' name words, each followed by the value) are m_items[first, first + n).
struct Composite {
    const int64_t* p;    // the value's tag word
    const int64_t* end;  // one past its last word
    uint64_t first;
};

struct BufferInfo {
    const uint8_t* data;
    uint64_t size;
    uint64_t flags;
};

// A memory region with something that keeps it alive.
struct Memory {
    const uint8_t* data = nullptr;
    size_t size = 0;
    std::shared_ptr<void> owner;
    // A copy of `size` bytes at `data` in memory this Memory owns (8-byte aligned).
    static Memory copy_of(const void* data, size_t size);
};

class File {
public:
    // Map a file read-only.
    static std::shared_ptr<File> open(const std::string& path);
    // Borrow bytes. `externals` supplies the buffers flagged EXTERNAL, in order.
    static std::shared_ptr<File> from_memory(Memory bytes, std::vector<Memory> externals = {});
    // Does this memory start with the format's magic?
    static bool has_magic(const void* data, size_t size);

    uint16_t major() const { return m_major; }
    uint16_t minor() const { return m_minor; }
    size_t num_strings() const { return m_string_offsets_count; }
    std::string_view string(uint64_t i) const;
    size_t num_graphs() const { return m_graphs.size(); }
    const Graph& graph(uint64_t i) const { return m_graphs.at(i); }
    size_t num_buffers() const { return m_buffers.size(); }
    const BufferInfo& buffer(uint64_t i) const { return m_buffers.at(i); }
    // Something that keeps buffer i's memory alive.
    std::shared_ptr<void> buffer_owner(uint64_t i) const;
    const std::vector<std::pair<std::string, std::string>>& meta() const { return m_meta; }
    std::optional<std::string> meta(std::string_view key) const;
    const std::vector<std::string>& input_names() const { return m_input_names; }
    const std::vector<std::string>& output_names() const { return m_output_names; }

    // The deepest nesting of sub-graph references below graph 0.
    uint32_t graph_depth() const { return m_graph_depth; }
    // Whether the header carries a checksum (minor version >= 1); it was verified.

    // Symbolic dimensions (empty in a file without the SYMBOLIC flag).
    bool symbolic() const { return !m_symbols.empty(); }
    const std::vector<DimSymbol>& symbols() const { return m_symbols; }
    const std::vector<DimExpr>& dim_exprs() const { return m_dim_exprs; }
    const DimBounds& dim_bounds(uint64_t expr) const { return m_dim_bounds.at(expr); }
    // The text of a dimension word ("B*S + 1", "128"), at most about 120 characters.
    std::string dim_text(int64_t word) const;

    // Inputs of equation `e` of graph `g`.
    const Atom& input(const Graph& g, size_t eqn, size_t i) const { return g.atoms[g.atom_offsets[eqn] + i]; }
    std::optional<Value> param(const Eqn& e, std::string_view key) const;
    std::string eqn_name(const Graph& g, size_t eqn) const;  // "graph G eqn E 'prim' (source)"

private:
    File() = default;
    void parse();
    void parse_strings(uint64_t off, uint64_t size);
    void parse_meta(uint64_t off, uint64_t size);
    void parse_buffers(uint64_t off, uint64_t size, uint64_t data_off, uint64_t data_size);
    void parse_graphs(uint64_t off, uint64_t size);
    void parse_ionames(uint64_t off, uint64_t size);
    void parse_dims(uint64_t off, uint64_t size);
    void check_symbol_origins(uint64_t dims_off);
    void dim_text_into(std::string& out, uint64_t expr, int depth, size_t limit) const;
    void parse_graph(Graph& g, const int64_t* begin, const int64_t* end, uint64_t base_offset,
                     std::vector<uint64_t>& graph_refs);
    const int64_t* check_value(const int64_t* p, const int64_t* end, int depth, uint64_t base,
                               std::vector<uint64_t>& graph_refs);
    void check_graph_references(const std::vector<std::vector<uint64_t>>& refs);
    void verify_checksum(uint64_t table, uint64_t nsec) const;
    [[noreturn]] void fail(uint64_t offset, const std::string& what) const;

    friend class Value;
    const Composite& composite(const int64_t* p) const;

    Memory m_mem;
    std::vector<Memory> m_externals;
    uint16_t m_major = 0, m_minor = 0;
    const int64_t* m_string_offsets = nullptr;
    uint64_t m_string_offsets_count = 0;
    const char* m_string_bytes = nullptr;
    std::vector<BufferInfo> m_buffers;
    std::vector<int> m_buffer_external_index;
    std::vector<Graph> m_graphs;
    std::vector<std::pair<std::string, std::string>> m_meta;
    std::vector<std::string> m_input_names, m_output_names;
    std::vector<Composite> m_composites;  // by address (values are checked in file order)
    std::vector<const int64_t*> m_items;
    std::vector<const int64_t*> m_scratch;  // items of the composites being checked
    uint32_t m_graph_depth = 0;
    std::vector<DimSymbol> m_symbols;
    std::vector<DimExpr> m_dim_exprs;
    std::vector<DimBounds> m_dim_bounds;
};

}  // namespace format
}  // namespace ovjax

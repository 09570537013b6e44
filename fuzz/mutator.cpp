// A structure-aware libFuzzer mutator for .ovjax files (docs/format.md, docs/fuzzing.md).
//
// Byte-level mutation rarely changes a file coherently: an edited count is mostly
// stopped by the first plausibility check, and from format 1.1 on nearly every edited
// byte is stopped by the header checksum. This mutator parses the input leniently (as
// far as it makes sense), knows which words are counts, sizes, offsets, indices and
// tags, and edits them with values that hit the edges of the reader's checks (0, 1,
// 2^31, 2^32 - 1, 2^63 - 1, -1, the section size / 8 - 1, ...); it resizes, moves,
// swaps and duplicates sections and fixes the section table, graph offsets and
// equation record lengths around the bytes it inserts or removes; it swaps,
// duplicates and deletes equations, grows and shrinks tuples, renames strings to
// known primitive names. A share of the calls is plain libFuzzer mutation. The header
// checksum is recomputed afterwards (minor >= 1), so the edits reach the parser;
// sometimes the file is made a minor-0 file without a checksum instead.
//
// Shared by fuzz_reader and fuzz_convert. It includes nothing from the reader under
// test (its own CRC-32 and its own parsing), so it also drives older readers.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

namespace {

using Bytes = std::vector<uint8_t>;

constexpr uint8_t kMagic[8] = {'O', 'V', 'J', 'A', 'X', 0, 0x1a, '\n'};
constexpr size_t kHeader = 64, kEntry = 32, kChecksumAt = 48;
enum : uint32_t { STRINGS = 1, META = 2, BUFFERS = 3, GRAPHS = 4, DATA = 5, IONAMES = 6 };

const char* const kNames[] = {
#define OVJAX_OP(prim, translator) #prim,
#define OVJAX_OP_COMPLEX(prim, translator) #prim,
#define OVJAX_OP_REAL_COMPLEX(prim, translator, complex_translator) #prim,
#define OVJAX_UNSUPPORTED(prim, reason) #prim,
#define OVJAX_EXPANDED(prim, how) #prim,
#define OVJAX_OP_COMPLEX_EXPANDED(prim, translator, how) #prim,
#include "ops/primitives.def"
#undef OVJAX_OP
#undef OVJAX_OP_COMPLEX
#undef OVJAX_OP_REAL_COMPLEX
#undef OVJAX_UNSUPPORTED
#undef OVJAX_EXPANDED
#undef OVJAX_OP_COMPLEX_EXPANDED
    // parameter keys, record fields and enum members the translators look up
    "axes",
    "axis",
    "dimension",
    "dimensions",
    "dimension_numbers",
    "shape",
    "padding",
    "jaxpr",
    "branches",
    "cond_jaxpr",
    "body_jaxpr",
    "num_consts",
    "num_carry",
    "length",
    "reverse",
    "linear",
    "unroll",
    "call_jaxpr",
    "new_dtype",
    "broadcast_dimensions",
    "start_indices",
    "limit_indices",
    "strides",
    "slice_sizes",
    "window_strides",
    "window_dimensions",
    "lhs_dilation",
    "rhs_dilation",
    "feature_group_count",
    "batch_group_count",
    "precision",
    "preferred_element_type",
    "mode",
    "fill_value",
    "indices_are_sorted",
    "unique_indices",
    "update_jaxpr",
    "update_consts",
    "offset_dims",
    "collapsed_slice_dims",
    "start_index_map",
    "operand_batching_dims",
    "start_indices_batching_dims",
    "update_window_dims",
    "inserted_window_dims",
    "scatter_dims_to_operand_dims",
    "lhs_spec",
    "rhs_spec",
    "out_spec",
    "GatherScatterMode",
    "CLIP",
    "FILL_OR_DROP",
    "PROMISE_IN_BOUNDS",
    "ConvDimensionNumbers",
    "GatherDimensionNumbers",
    "ScatterDimensionNumbers",
    "Precision",
    "DEFAULT",
    "HIGHEST",
    "y",
    "k",
    "permutation",
    "num_keys",
    "is_stable",
    "bit_width",
    "algorithm",
    "",
    "x",
    "\xff",
    "\xc0\x80",
    "\xed\xa0\x80"};
constexpr size_t kNumNames = sizeof(kNames) / sizeof(kNames[0]);

// ---- CRC-32 (zlib's crc32): the header checksum of format 1.1 --------------

uint32_t crc32(const uint8_t* p, size_t n, uint32_t crc) {
    static uint32_t table[256];
    static bool ready = false;
    if (!ready) {
        for (uint32_t i = 0; i < 256; ++i) {
            uint32_t c = i;
            for (int k = 0; k < 8; ++k)
                c = (c & 1) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
            table[i] = c;
        }
        ready = true;
    }
    crc = ~crc;
    while (n--)
        crc = (crc >> 8) ^ table[(crc ^ *p++) & 0xFF];
    return ~crc;
}

uint64_t rd64(const Bytes& b, size_t o) {
    uint64_t v = 0;
    if (o <= b.size() && b.size() - o >= 8)
        std::memcpy(&v, b.data() + o, 8);
    return v;
}
uint32_t rd32(const Bytes& b, size_t o) {
    uint32_t v = 0;
    if (o <= b.size() && b.size() - o >= 4)
        std::memcpy(&v, b.data() + o, 4);
    return v;
}
void wr64(Bytes& b, size_t o, uint64_t v) {
    if (o <= b.size() && b.size() - o >= 8)
        std::memcpy(b.data() + o, &v, 8);
}
void wr32(Bytes& b, size_t o, uint32_t v) {
    if (o <= b.size() && b.size() - o >= 4)
        std::memcpy(b.data() + o, &v, 4);
}
void wr16(Bytes& b, size_t o, uint16_t v) {
    if (o <= b.size() && b.size() - o >= 2)
        std::memcpy(b.data() + o, &v, 2);
}

bool has_magic(const Bytes& b) { return b.size() >= kHeader && std::memcmp(b.data(), kMagic, 8) == 0; }

// The DATA section's byte range as a checksum gap (mirrors the reader: only a
// non-empty DATA inside the file past the header is left out).
void data_gap(const Bytes& b, size_t& gb, size_t& ge) {
    gb = ge = b.size();
    const uint64_t n = rd64(b, 16), table = rd64(b, 24);
    for (uint64_t i = 0; i < std::min<uint64_t>(n, 1024); ++i) {
        const uint64_t e = table + kEntry * i;
        if (table > b.size() || e > b.size() || b.size() - e < kEntry)
            break;
        const uint64_t off = rd64(b, e + 8), sz = rd64(b, e + 16);
        if (rd32(b, e) == DATA && sz && off >= kHeader && off <= b.size() && sz <= b.size() - off) {
            gb = off, ge = off + sz;
            return;
        }
    }
}

// Recompute the header checksum (format 1.1), as ovjax.format.seal does.
void seal(Bytes& b) {
    if (b.size() < kHeader)
        return;
    size_t gb, ge;
    data_gap(b, gb, ge);
    const uint8_t zeros[4] = {0, 0, 0, 0};
    uint32_t c = crc32(b.data(), kChecksumAt, 0);
    c = crc32(zeros, 4, c);
    c = crc32(b.data() + kChecksumAt + 4, gb - kChecksumAt - 4, c);
    c = crc32(b.data() + ge, b.size() - ge, c);
    wr32(b, kChecksumAt, c);
}

// ---- random choices ----------------------------------------------------------

struct Rng {
    std::mt19937_64 g;
    explicit Rng(unsigned seed) : g(seed) {}
    uint64_t below(uint64_t n) { return n ? g() % n : 0; }
    bool chance(unsigned percent) { return below(100) < percent; }
    uint64_t any() { return g(); }
};

// ---- the lenient parse -------------------------------------------------------

enum class W : uint8_t {
    Count,     // an element count (limit: bytes from here to the end of the enclosing range)
    Offset,    // a byte offset (limit: the file size)
    Size,      // a byte size (limit: the enclosing range)
    String,    // a string index
    Var,       // a variable index of the graph
    Buffer,    // a buffer index
    Graph,     // a graph index
    ValueTag,  // a parameter value tag
    AtomTag,   // 0 variable, 1 literal
    DType,     // a dtype code
    Rank,      // a rank
    Dim,       // a dimension
    Length,    // an equation record length (words)
    Flags,     // flags words
    Payload,   // ints, float bits, literal payloads
};

struct Word {
    size_t off;
    W kind;
    uint64_t limit;
};

struct Section {
    size_t entry;  // byte offset of its table entry
    uint32_t kind;
    uint64_t off, size;
    bool inside;  // lies inside the file
};

struct EqnRange {
    size_t begin, end;  // the record, its length word included
    size_t count_word;  // the graph's n_eqns word
};

struct Tuple {
    size_t tag;         // the tuple's tag word
    size_t count_word;  // its length word
    size_t end;         // one past its last word
    std::vector<size_t> items;
    std::vector<size_t> lengths;  // length words of the enclosing records (eqn) to bump
};

struct GraphRange {
    size_t begin, end;
};

struct Layout {
    bool ok = false;  // magic and header present
    uint16_t minor = 0;
    uint64_t nsec = 0, table = 0;
    std::vector<Section> secs;
    std::vector<Word> words;
    std::vector<EqnRange> eqns;
    std::vector<Tuple> tuples;
    std::vector<GraphRange> graphs;
    std::vector<size_t> graph_offset_words;        // GRAPHS' graph_offset[i] words
    std::vector<std::pair<size_t, size_t>> atoms;  // (atom start, enclosing eqn length word)
    uint64_t n_strings = 0, n_buffers = 0, n_graphs = 0;
    int strings = -1, graphs_sec = -1, data = -1;  // index into secs
    size_t string_offsets = 0, string_bytes = 0;   // of the STRINGS section (when parsed)

    const Section* sec(uint32_t kind) const {
        for (auto& s : secs)
            if (s.kind == kind && s.inside)
                return &s;
        return nullptr;
    }
};

constexpr size_t kMaxWords = 1 << 15;  // bounds the parse of large inputs

struct Parser {
    const Bytes& b;
    Layout& L;
    Parser(const Bytes& bytes, Layout& layout) : b(bytes), L(layout) {}

    void word(size_t off, W kind, uint64_t limit) {
        if (L.words.size() < kMaxWords)
            L.words.push_back({off, kind, limit});
    }
    int64_t at(size_t off) const { return static_cast<int64_t>(rd64(b, off)); }

    void run() {
        if (!has_magic(b))
            return;
        L.ok = true;
        L.minor = static_cast<uint16_t>(b[10] | (b[11] << 8));
        L.nsec = rd64(b, 16);
        L.table = rd64(b, 24);
        word(16, W::Count, 1024);
        word(24, W::Offset, b.size());
        word(32, W::Size, b.size());
        word(40, W::Flags, 0);
        for (uint64_t i = 0; i < std::min<uint64_t>(L.nsec, 64); ++i) {
            const uint64_t e = L.table + kEntry * i;
            if (L.table > b.size() || e > b.size() || b.size() - e < kEntry)
                break;
            Section s{static_cast<size_t>(e), rd32(b, e), rd64(b, e + 8), rd64(b, e + 16), false};
            s.inside = s.off <= b.size() && s.size <= b.size() - s.off && s.off % 8 == 0;
            word(e + 8, W::Offset, b.size());
            word(e + 16, W::Size, s.inside ? b.size() - s.off : b.size());
            L.secs.push_back(s);
        }
        for (size_t i = 0; i < L.secs.size(); ++i) {
            const Section& s = L.secs[i];
            if (!s.inside)
                continue;
            if (s.kind == STRINGS && L.strings < 0)
                L.strings = static_cast<int>(i);
            if (s.kind == GRAPHS && L.graphs_sec < 0)
                L.graphs_sec = static_cast<int>(i);
            if (s.kind == DATA && L.data < 0)
                L.data = static_cast<int>(i);
        }
        if (L.strings >= 0)
            strings(L.secs[static_cast<size_t>(L.strings)]);
        for (const Section& s : L.secs) {
            if (!s.inside || s.size < 8)
                continue;
            if (s.kind == BUFFERS) {
                L.n_buffers = rd64(b, s.off);
                word(s.off, W::Count, s.size);
                for (uint64_t k = 0; k < std::min<uint64_t>(L.n_buffers, (s.size - 8) / 24); ++k) {
                    word(s.off + 8 + 24 * k, W::Offset, s.size);
                    word(s.off + 16 + 24 * k, W::Size, s.size);
                    word(s.off + 24 + 24 * k, W::Flags, 1);
                }
            } else if (s.kind == META) {
                word(s.off, W::Count, s.size);
                for (size_t o = s.off + 8; o + 8 <= s.off + s.size; o += 8)
                    word(o, W::String, 0);
            } else if (s.kind == IONAMES) {
                size_t o = s.off;
                for (int list = 0; list < 2 && o + 8 <= s.off + s.size; ++list) {
                    const uint64_t n = rd64(b, o);
                    word(o, W::Count, s.off + s.size - o);
                    o += 8;
                    for (uint64_t k = 0; k < n && o + 8 <= s.off + s.size; ++k, o += 8)
                        word(o, W::String, 0);
                }
            }
        }
        if (L.graphs_sec >= 0)
            graphs(L.secs[static_cast<size_t>(L.graphs_sec)]);
    }

    void strings(const Section& s) {
        if (s.size < 8)
            return;
        L.n_strings = rd64(b, s.off);
        word(s.off, W::Count, s.size);
        L.string_offsets = s.off + 8;
        const uint64_t room = (s.size - 8) / 8;
        if (L.n_strings < room) {
            L.string_bytes = s.off + 8 + 8 * (L.n_strings + 1);
            for (uint64_t i = 0; i <= L.n_strings && i < 4096; ++i)
                word(s.off + 8 + 8 * i, W::Offset, s.size);
        }
    }

    void graphs(const Section& s) {
        if (s.size < 8)
            return;
        const uint64_t n = rd64(b, s.off);
        L.n_graphs = n;
        word(s.off, W::Count, s.size);
        const uint64_t words = s.size / 8;
        if (n == 0 || n > words - 1)
            return;
        for (uint64_t i = 0; i < n && i < 4096; ++i) {
            const size_t ow = s.off + 8 * (1 + i);
            word(ow, W::Offset, s.size);
            L.graph_offset_words.push_back(ow);
            const uint64_t go = rd64(b, ow);
            const uint64_t ge = i + 1 < n ? rd64(b, ow + 8) : words * 8;
            if (go % 8 || go < 8 * (1 + n) || go > ge || ge > words * 8)
                continue;
            L.graphs.push_back({static_cast<size_t>(s.off + go), static_cast<size_t>(s.off + ge)});
            graph(s.off + go, s.off + ge);
        }
    }

    // Reads a count word at p if it is there (false when the range ends).
    bool count(size_t& p, size_t end, uint64_t& n) {
        if (p + 8 > end)
            return false;
        n = rd64(b, p);
        word(p, W::Count, end - p);
        p += 8;
        return true;
    }

    bool atom(size_t& p, size_t end, size_t len_word) {
        if (p + 16 > end)
            return false;
        L.atoms.emplace_back(p, len_word);
        const int64_t tag = at(p);
        word(p, W::AtomTag, 0);
        if (tag == 1) {
            if (p + 24 > end)
                return false;
            word(p + 8, W::DType, 0);
            word(p + 16, W::Payload, 0);
            p += 24;
        } else {
            word(p + 8, W::Var, 0);
            p += 16;
        }
        return true;
    }

    void graph(size_t p, size_t end) {
        uint64_t nvars, n;
        if (!count(p, end, nvars))
            return;
        for (uint64_t i = 0; i < nvars; ++i) {
            if (p + 16 > end || L.words.size() >= kMaxWords)
                return;
            word(p, W::DType, 0);
            word(p + 8, W::Rank, 0);
            const uint64_t rank = rd64(b, p + 8);
            if (rank > 64 || p + 16 + 8 * rank > end)
                return;
            for (uint64_t d = 0; d < rank; ++d)
                word(p + 16 + 8 * d, W::Dim, 0);
            p += 16 + 8 * rank;
        }
        if (!count(p, end, n))
            return;
        for (uint64_t i = 0; i < n; ++i, p += 8) {
            if (p + 8 > end)
                return;
            word(p, W::Var, nvars);
        }
        if (!count(p, end, n))
            return;
        for (uint64_t i = 0; i < n; ++i, p += 16) {
            if (p + 16 > end)
                return;
            word(p, W::Var, nvars);
            word(p + 8, W::Buffer, 0);
        }
        if (!count(p, end, n))
            return;
        for (uint64_t i = 0; i < n; ++i)
            if (!atom(p, end, SIZE_MAX))
                return;
        const size_t count_word = p;
        uint64_t neq;
        if (!count(p, end, neq))
            return;
        for (uint64_t i = 0; i < neq; ++i) {
            if (p + 8 > end || L.words.size() >= kMaxWords)
                return;
            const uint64_t len = rd64(b, p);
            word(p, W::Length, (end - p) / 8);
            if (len > (end - p - 8) / 8)
                return;
            const size_t rec_end = p + 8 + 8 * len, lw = p;
            L.eqns.push_back({p, rec_end, count_word});
            equation(p + 8, rec_end, lw);
            p = rec_end;
        }
    }

    void equation(size_t p, size_t end, size_t lw) {
        if (p + 16 > end)
            return;
        word(p, W::String, 0);
        word(p + 8, W::String, 0);
        p += 16;
        uint64_t n;
        if (!count(p, end, n))
            return;
        for (uint64_t i = 0; i < n; ++i)
            if (!atom(p, end, lw))
                return;
        if (!count(p, end, n))
            return;
        for (uint64_t i = 0; i < n; ++i, p += 8) {
            if (p + 8 > end)
                return;
            word(p, W::Var, 0);
        }
        if (!count(p, end, n))
            return;
        std::vector<size_t> lengths{lw};
        for (uint64_t i = 0; i < n; ++i) {
            if (p + 8 > end)
                return;
            word(p, W::String, 0);
            p += 8;
            if (!value(p, end, 0, lengths))
                return;
        }
    }

    bool value(size_t& p, size_t end, int depth, std::vector<size_t>& lengths) {
        if (p + 8 > end || depth > 70 || L.words.size() >= kMaxWords)
            return false;
        const int64_t tag = at(p);
        word(p, W::ValueTag, 0);
        const size_t tag_at = p;
        p += 8;
        auto one = [&](W kind) {
            if (p + 8 > end)
                return false;
            word(p, kind, 0);
            p += 8;
            return true;
        };
        switch (tag) {
        case 0:
            return true;
        case 1:
        case 2:
        case 3:
            return one(W::Payload);
        case 4:
            return one(W::String);
        case 5:
            return one(W::DType);
        case 7:
            return one(W::Graph);
        case 8:
        case 11:
            return one(W::String) && one(W::String);
        case 10: {
            if (!one(W::DType) || p + 8 > end)
                return false;
            const uint64_t rank = rd64(b, p);
            word(p, W::Rank, 0);
            p += 8;
            if (rank > 64 || p + 8 * (rank + 1) > end)
                return false;
            for (uint64_t i = 0; i < rank; ++i)
                word(p + 8 * i, W::Dim, 0);
            word(p + 8 * rank, W::Buffer, 0);
            p += 8 * (rank + 1);
            return true;
        }
        case 6:
        case 9: {
            const bool record = tag == 9;
            if (record && !one(W::String))
                return false;
            if (p + 8 > end)
                return false;
            Tuple t{tag_at, p, 0, {}, lengths};
            const uint64_t n = rd64(b, p);
            word(p, W::Count, end - p);
            p += 8;
            for (uint64_t i = 0; i < n; ++i) {
                t.items.push_back(p);
                if (record && !one(W::String))
                    return false;
                if (!value(p, end, depth + 1, lengths))
                    return false;
            }
            t.end = p;
            if (!record)
                L.tuples.push_back(std::move(t));
            return true;
        }
        default:
            return false;
        }
    }
};

Layout parse(const Bytes& b) {
    Layout L;
    Parser(b, L).run();
    return L;
}

// ---- coherent insertion and removal -----------------------------------------

// What owns an inserted or removed range, so that the right sizes grow or shrink.
struct Owner {
    int section = -1;             // index into Layout::secs, -1 for none (a gap)
    int graph = -1;               // graph index within GRAPHS, -1 for none
    std::vector<size_t> lengths;  // equation record length words to adjust
};

// Shifts every offset that points at or past `pos` (and is not owned by the range's
// owner at exactly `pos`) by `delta` bytes. `pos` is in the file before the change.
void fix_offsets(Bytes& nb, const Layout& L, size_t pos, int64_t delta, const Owner& o, size_t removed = 0) {
    auto shift = [&](uint64_t v, bool at_pos_moves) -> uint64_t {
        if (v > pos || (v == pos && at_pos_moves)) {
            if (delta < 0 && v < pos + removed)
                return pos;
            return v + static_cast<uint64_t>(delta);
        }
        return v;
    };
    auto moved = [&](size_t word_pos) -> size_t {
        return static_cast<size_t>(shift(word_pos, true));  // positions of words in the new file
    };
    // header: table offset, file size
    const uint64_t table = L.table;
    const uint64_t new_table = shift(table, true);
    wr64(nb, 24, new_table);
    wr64(nb, 32, nb.size());
    for (size_t i = 0; i < L.secs.size(); ++i) {
        const Section& s = L.secs[i];
        const size_t e = static_cast<size_t>(new_table + (s.entry - table));
        if (static_cast<int>(i) == o.section) {
            const bool gone = delta < 0 && s.size < static_cast<uint64_t>(-delta);
            wr64(nb, e + 16, gone ? 0 : s.size + static_cast<uint64_t>(delta));
            if (s.off > pos)  // an owner starting after pos (cannot happen) keeps its place
                wr64(nb, e + 8, shift(s.off, false));
        } else {
            wr64(nb, e + 8, shift(s.off, s.size > 0 || s.off > pos));
        }
    }
    if (L.graphs_sec >= 0 && o.section == L.graphs_sec) {
        const uint64_t goff = L.secs[static_cast<size_t>(L.graphs_sec)].off;
        const size_t gpos = pos - goff;
        for (size_t j = 0; j < L.graph_offset_words.size(); ++j) {
            const uint64_t v = rd64(nb, moved(L.graph_offset_words[j]));
            uint64_t nv = v;
            if (v > gpos || (v == gpos && static_cast<int>(j) > o.graph))
                nv = (delta < 0 && v < gpos + removed) ? gpos : v + static_cast<uint64_t>(delta);
            wr64(nb, moved(L.graph_offset_words[j]), nv);
        }
    }
    for (size_t lw : o.lengths) {
        const size_t at = moved(lw);
        wr64(nb, at, rd64(nb, at) + static_cast<uint64_t>(delta / 8));
    }
}

void realign_data(Bytes& b);

// Inserts `ins` (a multiple of 8 bytes) at `pos`, owned by `o`, and fixes the layout.
bool insert_at(Bytes& b, const Layout& L, size_t pos, const Bytes& ins, const Owner& o, size_t max_size) {
    if (pos > b.size() || b.size() + ins.size() > max_size || ins.empty())
        return false;
    Bytes nb;
    nb.reserve(b.size() + ins.size());
    nb.insert(nb.end(), b.begin(), b.begin() + static_cast<std::ptrdiff_t>(pos));
    nb.insert(nb.end(), ins.begin(), ins.end());
    nb.insert(nb.end(), b.begin() + static_cast<std::ptrdiff_t>(pos), b.end());
    fix_offsets(nb, L, pos, static_cast<int64_t>(ins.size()), o);
    b.swap(nb);
    realign_data(b);
    return b.size() <= max_size;
}

// Removes [pos, pos + n) owned by `o` and fixes the layout.
bool erase_at(Bytes& b, const Layout& L, size_t pos, size_t n, const Owner& o) {
    if (pos > b.size() || n > b.size() - pos || n == 0 || pos < kHeader)
        return false;
    Bytes nb(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(pos));
    nb.insert(nb.end(), b.begin() + static_cast<std::ptrdiff_t>(pos + n), b.end());
    fix_offsets(nb, L, pos, -static_cast<int64_t>(n), o, n);
    b.swap(nb);
    realign_data(b);
    return true;
}

// DATA must stay 64-byte aligned: pad in front of it when an edit moved it.
void realign_data(Bytes& b) {
    Layout L = parse(b);
    if (L.data < 0)
        return;
    const Section& d = L.secs[static_cast<size_t>(L.data)];
    if (d.off % 64 == 0 || d.off < kHeader)
        return;
    const size_t pad = 64 - d.off % 64;
    Bytes nb(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(d.off));
    nb.insert(nb.end(), pad, 0);
    nb.insert(nb.end(), b.begin() + static_cast<std::ptrdiff_t>(d.off), b.end());
    Owner none;
    fix_offsets(nb, L, d.off, static_cast<int64_t>(pad), none);
    // an empty DATA section at the padded position stays in place there: move it too
    const uint64_t table = rd64(nb, 24);
    wr64(nb, table + (d.entry - L.table) + 8, d.off + pad);
    b.swap(nb);
}

// An Owner for a change in section `sec` (index into L.secs); in GRAPHS, the graph
// holding byte `probe` owns it (the last graph for the section's end).
Owner owner(const Layout& L, int sec, size_t probe, std::vector<size_t> lengths = {}) {
    Owner o;
    o.section = sec;
    o.lengths = std::move(lengths);
    if (sec >= 0 && sec == L.graphs_sec) {
        for (size_t g = 0; g < L.graphs.size(); ++g)
            if (probe >= L.graphs[g].begin && probe < L.graphs[g].end)
                o.graph = static_cast<int>(g);
        if (o.graph < 0 && !L.graphs.empty() && probe == L.graphs.back().end)
            o.graph = static_cast<int>(L.graphs.size() - 1);
    }
    return o;
}

int index_of(const Layout& L, uint32_t kind) {
    for (size_t i = 0; i < L.secs.size(); ++i)
        if (L.secs[i].kind == kind && L.secs[i].inside)
            return static_cast<int>(i);
    return -1;
}

// ---- the mutations -----------------------------------------------------------

uint64_t interesting(Rng& r, uint64_t cur, uint64_t ctx) {
    switch (r.below(30)) {
    case 0:
        return 0;
    case 1:
        return 1;
    case 2:
        return 2 + r.below(15);
    case 3:
        return cur + 1;
    case 4:
        return cur - 1;
    case 5:
        return cur * 2;
    case 6:
        return uint64_t(1) << 31;
    case 7:
        return (uint64_t(1) << 31) - 1;
    case 8:
        return 0xFFFFFFFFull;
    case 9:
        return uint64_t(1) << 32;
    case 10:
        return INT64_MAX;
    case 11:
        return UINT64_MAX;  // -1
    case 12:
        return uint64_t(INT64_MIN);
    case 13:
        return ctx;
    case 14:
        return ctx / 8;
    case 15:
        return ctx / 8 - 1;
    case 16:
        return (ctx - 8) / 8 - 1;  // wraps for a context under 8 bytes (as a buggy check would)
    case 17:
        return ctx / 8 + 1;
    case 18:
        return ctx / (8 * (2 + r.below(3)));
    case 19:
        return uint64_t(1) << r.below(64);
    case 20:
        return uint64_t(-static_cast<int64_t>(1 + r.below(16)));
    case 21:
        return cur ^ (uint64_t(1) << r.below(64));
    case 22:
        return UINT64_MAX / 8 + 1 + r.below(2);  // times 8 wraps to a small number
    case 23:
        return UINT64_MAX / 24 + 1;
    case 24:
        return uint64_t(1) << (48 + r.below(16));
    case 25:
        return ctx + 8 * (1 + r.below(4));
    case 26:
        return cur + 8 * r.below(8);
    case 27:
        return cur - 8 * r.below(8);
    case 28:
        return uint64_t(1) << 61;
    default:
        return r.any();
    }
}

uint64_t value_for(Rng& r, const Layout& L, const Word& w, uint64_t cur) {
    if (r.chance(35))
        return interesting(r, cur, w.limit);
    switch (w.kind) {
    case W::ValueTag:
        return r.chance(90) ? r.below(12) : interesting(r, cur, 12);
    case W::AtomTag:
        return r.chance(80) ? r.below(2) : interesting(r, cur, 2);
    case W::DType:
        return r.chance(90) ? r.below(22) : interesting(r, cur, 22);
    case W::Rank:
        return r.chance(70) ? r.below(5) : 62 + r.below(5);
    case W::Dim:
        return r.chance(60) ? r.below(9) : interesting(r, cur, 0);
    case W::String: {
        const uint64_t n = L.n_strings;
        switch (r.below(4)) {
        case 0:
            return r.below(n ? n : 1);
        case 1:
            return n;
        case 2:
            return n - 1;
        default:
            return UINT64_MAX;
        }
    }
    case W::Graph:
        return r.chance(70) ? r.below(L.n_graphs + 1) : interesting(r, cur, L.n_graphs);
    case W::Buffer:
        return r.chance(70) ? r.below(L.n_buffers + 1) : interesting(r, cur, L.n_buffers);
    case W::Var:
        return r.chance(60) ? r.below(16) : interesting(r, cur, w.limit);
    case W::Flags:
        return r.chance(50) ? r.below(3) : uint64_t(1) << r.below(64);
    case W::Length:
        return cur + (r.chance(50) ? 1 : -1) * static_cast<int64_t>(1 + r.below(4));
    default:
        return interesting(r, cur, w.limit);
    }
}

bool set_word(Bytes& b, const Layout& L, Rng& r) {
    if (L.words.empty())
        return false;
    const Word& w = L.words[r.below(L.words.size())];
    // some edits change only the low 32 bits: u32 fields and what a cast would truncate
    const uint64_t cur = rd64(b, w.off), v = value_for(r, L, w, cur);
    if (r.chance(10))
        wr32(b, w.off, static_cast<uint32_t>(v));
    else
        wr64(b, w.off, v);
    return true;
}

// Two words of the same kind take each other's values (indices, counts, tags).
bool swap_words(Bytes& b, const Layout& L, Rng& r) {
    if (L.words.size() < 2)
        return false;
    const Word& a = L.words[r.below(L.words.size())];
    for (int tries = 0; tries < 16; ++tries) {
        const Word& c = L.words[r.below(L.words.size())];
        if (c.kind == a.kind && c.off != a.off) {
            const uint64_t x = rd64(b, a.off), y = rd64(b, c.off);
            wr64(b, a.off, y);
            wr64(b, c.off, x);
            return true;
        }
    }
    return false;
}

bool mutate_header(Bytes& b, Rng& r) {
    if (b.size() < kHeader)
        return false;
    switch (r.below(6)) {
    case 0:
        wr16(b, 8, static_cast<uint16_t>(r.chance(80) ? 1 : r.below(4)));
        break;  // major
    case 1:
        wr16(b, 10, static_cast<uint16_t>(r.below(4)));
        break;  // minor
    case 2:
        wr32(b, 12, static_cast<uint32_t>(r.chance(50) ? 64 + 8 * r.below(8) : interesting(r, 64, b.size())));
        break;
    case 3:
        wr64(b, 16, interesting(r, rd64(b, 16), 1024));
        break;  // section count
    case 4:
        wr64(b, 40, r.chance(50) ? 0 : uint64_t(1) << r.below(64));
        break;  // flags
    default:
        b[kChecksumAt + 4 + r.below(kHeader - kChecksumAt - 4)] = static_cast<uint8_t>(r.any());  // reserved
    }
    return true;
}

bool mutate_entry(Bytes& b, const Layout& L, Rng& r) {
    if (L.secs.empty())
        return false;
    const Section& s = L.secs[r.below(L.secs.size())];
    switch (r.below(6)) {
    case 0:  // another kind: known, duplicate or unknown
        wr32(b, s.entry, static_cast<uint32_t>(r.chance(80) ? r.below(8) : r.any()));
        break;
    case 1: {  // another section's offset, the end of the file, misaligned
        const uint64_t opts[] = {
            L.secs[r.below(L.secs.size())].off, b.size(), s.off + 4, s.off + 8, s.off - 8, 0, kHeader, L.table,
            interesting(r, s.off, b.size())};
        wr64(b, s.entry + 8, opts[r.below(sizeof(opts) / 8)]);
        break;
    }
    case 2: {
        const uint64_t opts[] = {0,
                                 8,
                                 8 + r.below(8),
                                 16,
                                 s.size - 8,
                                 s.size + 8,
                                 b.size() - s.off,
                                 b.size() - s.off + 8,
                                 interesting(r, s.size, b.size() - std::min<uint64_t>(s.off, b.size()))};
        wr64(b, s.entry + 16, opts[r.below(sizeof(opts) / 8)]);
        break;
    }
    case 3:
        wr32(b, s.entry + 4, static_cast<uint32_t>(uint64_t(1) << r.below(32)));  // flags
        break;
    case 4:
        wr64(b, s.entry + 24, uint64_t(1) << r.below(64));  // reserved
        break;
    default: {  // two entries trade places (kinds)
        const Section& t = L.secs[r.below(L.secs.size())];
        wr32(b, s.entry, t.kind);
        wr32(b, t.entry, s.kind);
    }
    }
    return true;
}

// Copies a section to the end of the file (the old bytes stay, a gap) and points its
// entry there; DATA is moved to a 64-byte boundary.
bool move_section_to_end(Bytes& b, const Layout& L, Rng& r, size_t max_size) {
    std::vector<const Section*> c;
    for (auto& s : L.secs)
        if (s.inside)
            c.push_back(&s);
    if (c.empty())
        return false;
    const Section& s = *c[r.below(c.size())];
    const size_t align = s.kind == DATA ? 64 : 8;
    size_t start = (b.size() + align - 1) / align * align;
    if (start + s.size > max_size)
        return false;
    Bytes sec(b.begin() + static_cast<std::ptrdiff_t>(s.off), b.begin() + static_cast<std::ptrdiff_t>(s.off + s.size));
    b.resize(start, 0);
    b.insert(b.end(), sec.begin(), sec.end());
    wr64(b, s.entry + 8, start);
    wr64(b, 32, b.size());
    return true;
}

// Rewrites the section table at the end of the file with one entry duplicated, dropped,
// or the entries reordered.
bool rewrite_table(Bytes& b, const Layout& L, Rng& r, size_t max_size) {
    if (L.secs.empty())
        return false;
    std::vector<std::array<uint8_t, kEntry>> entries;
    for (auto& s : L.secs) {
        std::array<uint8_t, kEntry> e;
        std::memcpy(e.data(), b.data() + s.entry, kEntry);
        entries.push_back(e);
    }
    switch (r.below(4)) {
    case 0:
        entries.push_back(entries[r.below(entries.size())]);
        break;
    case 1:
        entries.erase(entries.begin() + static_cast<std::ptrdiff_t>(r.below(entries.size())));
        break;
    case 2:
        std::shuffle(entries.begin(), entries.end(), r.g);
        break;
    default: {  // an unknown kind, empty or covering a gap
        std::array<uint8_t, kEntry> e{};
        const uint32_t kind = static_cast<uint32_t>(7 + r.below(100));
        std::memcpy(e.data(), &kind, 4);
        entries.push_back(e);
    }
    }
    const size_t start = (b.size() + 7) / 8 * 8;
    if (start + kEntry * entries.size() > max_size)
        return false;
    b.resize(start, 0);
    for (auto& e : entries)
        b.insert(b.end(), e.begin(), e.end());
    wr64(b, 16, entries.size());
    wr64(b, 24, start);
    wr64(b, 32, b.size());
    return true;
}

// Cuts a section short: removes bytes at its end, or leaves it 0, 8, 15 or 16 bytes long.
bool truncate_section(Bytes& b, const Layout& L, Rng& r) {
    std::vector<size_t> c;
    for (size_t i = 0; i < L.secs.size(); ++i)
        if (L.secs[i].inside && L.secs[i].size >= 8 && L.secs[i].off >= kHeader)
            c.push_back(i);
    if (c.empty())
        return false;
    const size_t i = c[r.below(c.size())];
    const Section& s = L.secs[i];
    uint64_t keep;
    switch (r.below(4)) {
    case 0:
        keep = 8 * r.below(3);
        break;
    case 1:
        keep = s.size - 8 * (1 + r.below(std::min<uint64_t>(s.size / 8, 4)));
        break;
    case 2:
        keep = r.below(s.size / 8) * 8;
        break;
    default:
        keep = 8 + r.below(8);
        break;  // an odd size
    }
    keep = std::min<uint64_t>(keep, s.size);
    const size_t cut = static_cast<size_t>((s.size - keep) / 8 * 8);
    Owner o;
    o.section = static_cast<int>(i);
    if (cut == 0 || !erase_at(b, L, static_cast<size_t>(s.off + s.size - cut), cut, o))
        return false;
    if (keep < s.size - cut) {  // an odd size: the entry says so, the bytes after it stay (a gap)
        Layout L2 = parse(b);
        for (auto& t : L2.secs)
            if (t.kind == s.kind && t.off == s.off)
                wr64(b, t.entry + 16, keep);
    }
    return true;
}

Bytes some_words(Rng& r, const Bytes& b, size_t n) {
    Bytes w(8 * n, 0);
    for (size_t i = 0; i < n; ++i) {
        uint64_t v;
        switch (r.below(4)) {
        case 0:
            v = r.below(4);
            break;
        case 1:
            v = interesting(r, 0, b.size());
            break;
        case 2:
            v = b.size() >= 8 ? rd64(b, 8 * r.below(b.size() / 8)) : 0;
            break;  // a word of the file
        default:
            v = r.below(24);
            break;
        }
        std::memcpy(w.data() + 8 * i, &v, 8);
    }
    return w;
}

// Inserts words inside a section (grown by them) or removes some, at a word boundary.
bool resize_inside(Bytes& b, const Layout& L, Rng& r, size_t max_size) {
    std::vector<size_t> c;
    for (size_t i = 0; i < L.secs.size(); ++i)
        if (L.secs[i].inside && L.secs[i].size >= 8 && L.secs[i].off >= kHeader && L.secs[i].kind != DATA)
            c.push_back(i);
    if (c.empty())
        return false;
    const size_t si = c[r.below(c.size())];
    const Section& s = L.secs[si];
    const size_t pos = static_cast<size_t>(s.off + 8 * r.below(s.size / 8 + 1));
    // record lengths of the equations around pos grow with it
    std::vector<size_t> lengths;
    for (auto& e : L.eqns)
        if (pos > e.begin && pos <= e.end)
            lengths.push_back(e.begin);
    Owner o = owner(L, static_cast<int>(si), pos == s.off + s.size ? pos - 1 : pos, lengths);
    if (r.chance(60))
        return insert_at(b, L, pos, some_words(r, b, 1 + r.below(r.chance(80) ? 3 : 64)), o, max_size);
    const size_t room = static_cast<size_t>(s.off + s.size - pos) / 8;
    if (room == 0)
        return false;
    return erase_at(b, L, pos, 8 * (1 + r.below(std::min<size_t>(room, 4))), o);
}

// Equations: two of one graph trade places, one is duplicated (the graph's count too) or
// removed.
bool mutate_eqns(Bytes& b, const Layout& L, Rng& r, size_t max_size) {
    if (L.eqns.empty())
        return false;
    const EqnRange& e = L.eqns[r.below(L.eqns.size())];
    switch (r.below(3)) {
    case 0: {
        std::vector<const EqnRange*> same;
        for (auto& f : L.eqns)
            if (f.count_word == e.count_word && f.begin > e.begin)
                same.push_back(&f);
        if (same.empty())
            return false;
        const EqnRange& f = *same[r.below(same.size())];
        // [e][middle][f] -> [f][middle][e]: the graph's bytes stay where they are
        Bytes ne(b.begin() + static_cast<std::ptrdiff_t>(e.begin), b.begin() + static_cast<std::ptrdiff_t>(e.end));
        Bytes mid(b.begin() + static_cast<std::ptrdiff_t>(e.end), b.begin() + static_cast<std::ptrdiff_t>(f.begin));
        Bytes nf(b.begin() + static_cast<std::ptrdiff_t>(f.begin), b.begin() + static_cast<std::ptrdiff_t>(f.end));
        Bytes all;
        all.insert(all.end(), nf.begin(), nf.end());
        all.insert(all.end(), mid.begin(), mid.end());
        all.insert(all.end(), ne.begin(), ne.end());
        std::copy(all.begin(), all.end(), b.begin() + static_cast<std::ptrdiff_t>(e.begin));
        return true;
    }
    case 1: {
        const EqnRange& src = L.eqns[r.below(L.eqns.size())];  // maybe of another graph
        Bytes rec(b.begin() + static_cast<std::ptrdiff_t>(src.begin), b.begin() + static_cast<std::ptrdiff_t>(src.end));
        const size_t pos = r.chance(50) ? e.begin : e.end;
        Owner o = owner(L, L.graphs_sec, e.begin);
        if (o.graph < 0)
            return false;
        // The count word precedes pos, so it is not moved by the insertion.
        wr64(b, e.count_word, rd64(b, e.count_word) + 1);
        return insert_at(b, L, pos, rec, o, max_size);
    }
    default: {
        Owner o = owner(L, L.graphs_sec, e.begin);
        if (o.graph < 0)
            return false;
        wr64(b, e.count_word, rd64(b, e.count_word) - 1);
        return erase_at(b, L, e.begin, e.end - e.begin, o);
    }
    }
}

// A tuple grows (a copy of one of its items or a new int), shrinks, or its length word
// alone changes.
bool mutate_tuple(Bytes& b, const Layout& L, Rng& r, size_t max_size) {
    if (L.tuples.empty())
        return false;
    const Tuple& t = L.tuples[r.below(L.tuples.size())];
    Owner o = owner(L, L.graphs_sec, t.tag, t.lengths);
    if (o.graph < 0)
        return false;
    const uint64_t n = rd64(b, t.count_word);
    switch (r.below(3)) {
    case 0: {
        Bytes item;
        if (!t.items.empty() && r.chance(70)) {
            const size_t k = r.below(t.items.size());
            const size_t ib = t.items[k], ie = k + 1 < t.items.size() ? t.items[k + 1] : t.end;
            item.assign(b.begin() + static_cast<std::ptrdiff_t>(ib), b.begin() + static_cast<std::ptrdiff_t>(ie));
        } else {
            const uint64_t w[2] = {2, r.chance(50) ? r.below(8) : interesting(r, 0, 0)};
            item.resize(16);
            std::memcpy(item.data(), w, 16);
        }
        const size_t copies = r.chance(90) ? 1 : 1 + r.below(64);
        Bytes ins;
        for (size_t i = 0; i < copies; ++i)
            ins.insert(ins.end(), item.begin(), item.end());
        wr64(b, t.count_word, n + copies);
        return insert_at(b, L, t.end, ins, o, max_size);
    }
    case 1: {
        if (t.items.empty())
            return false;
        const size_t ib = t.items.back();
        wr64(b, t.count_word, n - 1);
        return erase_at(b, L, ib, t.end - ib, o);
    }
    default:
        wr64(b, t.count_word, interesting(r, n, t.end - t.count_word));
        return true;
    }
}

// A variable atom becomes a literal of some dtype, or a literal a variable.
bool mutate_atom(Bytes& b, const Layout& L, Rng& r, size_t max_size) {
    if (L.atoms.empty())
        return false;
    const auto& a = L.atoms[r.below(L.atoms.size())];
    const size_t pos = a.first;
    std::vector<size_t> lengths;
    if (a.second != SIZE_MAX)
        lengths.push_back(a.second);
    Owner o = owner(L, L.graphs_sec, pos, lengths);
    if (o.graph < 0)
        return false;
    if (rd64(b, pos) == 0) {
        wr64(b, pos, 1);
        const uint64_t dt = r.below(22);
        const uint64_t payload = r.chance(50) ? r.below(4) : interesting(r, 0, 0);
        wr64(b, pos + 8, dt);
        Bytes w(8);
        std::memcpy(w.data(), &payload, 8);
        return insert_at(b, L, pos + 16, w, o, max_size);
    }
    if (rd64(b, pos) == 1) {
        wr64(b, pos, 0);
        wr64(b, pos + 8, r.below(8));
        return erase_at(b, L, pos + 16, 8, o);
    }
    return false;
}

// String i becomes a known primitive name, parameter key or an odd byte sequence: the
// bytes area is resized and the following string offsets shifted.
bool rename_string(Bytes& b, const Layout& L, Rng& r, size_t max_size) {
    if (L.strings < 0 || L.string_bytes == 0 || L.n_strings == 0 || L.n_strings > 4096)
        return false;
    const Section& s = L.secs[static_cast<size_t>(L.strings)];
    const uint64_t n = L.n_strings;
    const size_t i = r.below(n);
    const uint64_t ob = rd64(b, L.string_offsets + 8 * i), oe = rd64(b, L.string_offsets + 8 * (i + 1));
    const uint64_t area = s.off + s.size - L.string_bytes;
    if (ob > oe || oe > area)
        return false;
    const char* name = kNames[r.below(kNumNames)];
    std::string nm(name);
    if (r.chance(5))
        nm.assign(300, 'a');  // past the reader's limit for primitive names
    const int64_t delta = static_cast<int64_t>(nm.size()) - static_cast<int64_t>(oe - ob);
    // new string bytes; the area is padded to keep the section a multiple of 8 bytes
    Bytes area_bytes(b.begin() + static_cast<std::ptrdiff_t>(L.string_bytes),
                     b.begin() + static_cast<std::ptrdiff_t>(s.off + s.size));
    Bytes na(area_bytes.begin(), area_bytes.begin() + static_cast<std::ptrdiff_t>(ob));
    na.insert(na.end(), nm.begin(), nm.end());
    na.insert(na.end(), area_bytes.begin() + static_cast<std::ptrdiff_t>(oe), area_bytes.end());
    const size_t old_total = area_bytes.size();
    while ((na.size() - old_total) % 8 != 0 && na.size() > old_total)
        na.push_back(0);
    while (na.size() < old_total)
        na.push_back(0);  // shrinking keeps the section's size
    for (uint64_t k = i + 1; k <= n; ++k)
        wr64(b, L.string_offsets + 8 * k, rd64(b, L.string_offsets + 8 * k) + static_cast<uint64_t>(delta));
    std::copy(na.begin(), na.begin() + static_cast<std::ptrdiff_t>(old_total),
              b.begin() + static_cast<std::ptrdiff_t>(L.string_bytes));
    if (na.size() == old_total)
        return true;
    Bytes extra(na.begin() + static_cast<std::ptrdiff_t>(old_total), na.end());
    Owner o;
    o.section = L.strings;
    return insert_at(b, L, static_cast<size_t>(s.off + s.size), extra, o, max_size);
}

// A sub-graph's bytes replaced by another graph's (its offset table fixed).
bool copy_graph(Bytes& b, const Layout& L, Rng& r, size_t max_size) {
    if (L.graphs.size() < 2)
        return false;
    const GraphRange& dst = L.graphs[r.below(L.graphs.size())];
    const GraphRange& src = L.graphs[r.below(L.graphs.size())];
    if (dst.begin == src.begin)
        return false;
    Bytes g(b.begin() + static_cast<std::ptrdiff_t>(src.begin), b.begin() + static_cast<std::ptrdiff_t>(src.end));
    Owner o = owner(L, L.graphs_sec, dst.begin);
    if (o.graph < 0)
        return false;
    // insert the copy at the end of dst, then remove dst's old bytes
    if (!insert_at(b, L, dst.end, g, o, max_size + (dst.end - dst.begin)))
        return false;
    Layout L2 = parse(b);
    Owner o2 = owner(L2, index_of(L2, GRAPHS), dst.begin);
    if (o2.graph < 0 || dst.end <= dst.begin)
        return b.size() <= max_size;
    const bool ok = erase_at(b, L2, dst.begin, dst.end - dst.begin, o2);
    return ok && b.size() <= max_size;
}

void finish(Bytes& b, Rng& r) {
    if (b.size() < kHeader || !has_magic(b))
        return;
    if (r.chance(95))
        wr64(b, 32, b.size());
    if (r.chance(4)) {  // the unchecked path: a 1.0 file has no checksum
        wr16(b, 10, 0);
        wr32(b, kChecksumAt, 0);
        return;
    }
    const uint16_t minor = static_cast<uint16_t>(b[10] | (b[11] << 8));
    if (minor >= 1 && r.chance(98))
        seal(b);
}

// OVJAX_FUZZ_MUTATOR_OP=k (0 to 15) makes every structural edit the k-th kind below
// (for checking the mutator itself, see docs/fuzzing.md).
int forced_op() {
    static const int op = [] {
        const char* e = std::getenv("OVJAX_FUZZ_MUTATOR_OP");
        return e ? std::atoi(e) : -1;
    }();
    return op;
}

bool structural(Bytes& b, Rng& r, size_t max_size) {
    const Layout L = parse(b);
    if (!L.ok)
        return false;
    const int forced = forced_op();
    switch (forced >= 0 ? static_cast<uint64_t>(forced) : r.below(16)) {
    case 0:
    case 1:
    case 2:
    case 3:
        return set_word(b, L, r);
    case 4:
        return swap_words(b, L, r);
    case 5:
        return mutate_header(b, r);
    case 6:
        return mutate_entry(b, L, r);
    case 7:
        return move_section_to_end(b, L, r, max_size);
    case 8:
        return rewrite_table(b, L, r, max_size);
    case 9:
        return truncate_section(b, L, r);
    case 10:
        return resize_inside(b, L, r, max_size);
    case 11:
        return mutate_eqns(b, L, r, max_size);
    case 12:
        return mutate_tuple(b, L, r, max_size);
    case 13:
        return mutate_atom(b, L, r, max_size);
    case 14:
        return rename_string(b, L, r, max_size);
    default:
        return copy_graph(b, L, r, max_size);
    }
}

size_t emit(const Bytes& b, uint8_t* out, size_t max_size) {
    const size_t n = std::min(b.size(), max_size);
    std::memcpy(out, b.data(), n);
    return n;
}

// Replaces the section of one kind in `a` by that section of `b` (resizing `a`).
bool splice_section(Bytes& a, const Bytes& b, Rng& r, size_t max_size) {
    const Layout La = parse(a), Lb = parse(b);
    if (!La.ok || !Lb.ok)
        return false;
    static const uint32_t kinds[] = {STRINGS, META, BUFFERS, GRAPHS, IONAMES, DATA};
    const uint32_t k = kinds[r.below(6)];
    const Section* sa = La.sec(k);
    const Section* sb = Lb.sec(k);
    if (!sa || !sb || sa->off < kHeader)
        return false;
    Bytes nb(b.begin() + static_cast<std::ptrdiff_t>(sb->off),
             b.begin() + static_cast<std::ptrdiff_t>(sb->off + sb->size));
    while (nb.size() % 8)
        nb.push_back(0);
    size_t idx = 0;
    for (size_t i = 0; i < La.secs.size(); ++i)
        if (&La.secs[i] == sa)
            idx = i;
    Owner o;
    o.section = static_cast<int>(idx);
    const size_t old = static_cast<size_t>(sa->size);
    const size_t pos = static_cast<size_t>(sa->off);
    // grow by the new bytes at the section's start, then remove the old ones behind them
    if (!nb.empty() && !insert_at(a, La, pos, nb, o, max_size + old))
        return false;
    if (old) {
        Layout L2 = parse(a);
        Owner o2;
        for (size_t i = 0; i < L2.secs.size(); ++i)
            if (L2.secs[i].entry == sa->entry)
                o2.section = static_cast<int>(i);
        if (!erase_at(a, L2, pos + nb.size(), old, o2))
            return false;
    }
    return a.size() <= max_size;
}

}  // namespace

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size, unsigned int seed) {
    Rng r(seed);
    if (size < kHeader || std::memcmp(data, kMagic, 8) != 0 || r.chance(20)) {
        size_t n = LLVMFuzzerMutate(data, size, max_size);
        if (n >= kHeader && r.chance(70)) {  // keep byte-level edits past the checksum too
            Bytes b(data, data + n);
            finish(b, r);
            n = emit(b, data, max_size);
        }
        return n;
    }
    Bytes b(data, data + size);
    const int rounds = r.chance(70) ? 1 : 2 + static_cast<int>(r.below(3));
    bool any = false;
    for (int i = 0; i < rounds; ++i) {
        Bytes before = b;
        if (structural(b, r, max_size))
            any = true;
        else
            b.swap(before);
        if (b.size() > max_size)
            b.swap(before);
    }
    if (!any) {
        const size_t n = LLVMFuzzerMutate(data, size, max_size);
        b.assign(data, data + n);
    }
    finish(b, r);
    return emit(b, data, max_size);
}

extern "C" size_t LLVMFuzzerCustomCrossOver(const uint8_t* d1, size_t s1, const uint8_t* d2, size_t s2, uint8_t* out,
                                            size_t max_out, unsigned int seed) {
    Rng r(seed);
    Bytes a(d1, d1 + s1);
    const Bytes b(d2, d2 + s2);
    if (!r.chance(30) && splice_section(a, b, r, max_out)) {
        finish(a, r);
        return emit(a, out, max_out);
    }
    // word-aligned splice: a's head, b's tail
    a.assign(d1, d1 + s1);
    const size_t cut1 = 8 * r.below(s1 / 8 + 1), cut2 = 8 * r.below(s2 / 8 + 1);
    Bytes c(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(cut1));
    c.insert(c.end(), b.begin() + static_cast<std::ptrdiff_t>(cut2), b.end());
    if (c.empty())
        c = a;
    finish(c, r);
    return emit(c, out, max_out);
}

// fuzz_reader: libFuzzer target for the .ovjax reader (src/cpp/format), the security
// boundary of the frontend. Each input is opened twice, borrowed from memory
// (File::from_memory) and memory-mapped from a file (File::open), and everything the
// reader hands out is walked as a translator would: every graph, variable, constant,
// output, equation, input atom and parameter value (recursively: tuple items, record
// fields, describe(), end(), as_ints() and the other accessors where the type fits).
//
// A FormatError is the expected answer to a malformed file. Anything else is a
// finding: a sanitizer report, a crash, a leak, another exception type (for instance
// std::out_of_range from a container the reader should have checked against), or
// the two ways of opening disagreeing. See docs/fuzzing.md.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "format/format.hpp"

namespace {

using namespace ovjax::format;

// Something the optimizer cannot drop: every byte the walk reads is folded in.
volatile uint64_t g_sink;

uint64_t touch(const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    uint64_t h = n;
    for (size_t i = 0; i < n; ++i)
        h = h * 31 + b[i];
    return h;
}

[[noreturn]] void finding(const std::string& what) {
    std::fprintf(stderr, "fuzz_reader: FINDING: %s\n", what.c_str());
    std::abort();
}

struct Walker {
    const File& f;
    uint64_t h = 0;

    // A parameter value whose words start at p; returns one past its last word.
    const int64_t* value(const int64_t* p, int depth) {
        if (depth > 200)
            finding("parameter values nest deeper than the reader allows");
        const Value v(&f, p);
        h += touch(v.describe().data(), v.describe().size());
        const int64_t* end = v.end();
        if (end <= p)
            finding("a parameter value ends before it starts");
        switch (v.tag()) {
        case ValueTag::none:
            break;
        case ValueTag::boolean:
            h += v.as_bool();
            h += v.as_int();
            break;
        case ValueTag::integer:
            h += static_cast<uint64_t>(v.as_int());
            h += v.as_float() != 0;
            h += v.as_ints().size();
            break;
        case ValueTag::floating:
            h += static_cast<uint64_t>(v.as_float() != 0);
            break;
        case ValueTag::string:
            h += touch(v.as_string().data(), v.as_string().size());
            break;
        case ValueTag::dtype:
            h += dtype_size(v.as_dtype());
            h += touch(dtype_name(v.as_dtype()), 1);
            break;
        case ValueTag::graph: {
            const uint64_t g = v.as_graph();
            h += f.graph(g).vars.size();  // std::out_of_range if the reader let a bad index through
            break;
        }
        case ValueTag::enumeration:
            h += touch(v.enum_type().data(), v.enum_type().size());
            h += touch(v.enum_member().data(), v.enum_member().size());
            break;
        case ValueTag::unknown: {
            h += touch(v.unknown_type().data(), v.unknown_type().size());
            h += touch(f.string(static_cast<uint64_t>(p[2])).data(), f.string(static_cast<uint64_t>(p[2])).size());
            break;
        }
        case ValueTag::array: {
            const auto shape = v.array_shape();
            h += shape.size() + dtype_size(v.array_dtype());
            const BufferInfo& b = f.buffer(v.array_buffer());
            if (b.size)
                h += b.data[0] + b.data[b.size - 1];
            break;
        }
        case ValueTag::tuple: {
            const size_t n = v.size();
            const int64_t* q = p + 2;
            for (size_t i = 0; i < n; ++i) {
                const Value item = v.item(i);
                const int64_t* next = value(q, depth + 1);
                if (item.end() != next || item.tag() != Value(&f, q).tag())
                    finding("tuple item " + std::to_string(i) + " seen through item() is not the one in the file");
                q = next;
            }
            if (q != end)
                finding("a tuple's items do not end where the tuple does");
            try {
                h += v.as_ints().size();
            } catch (const FormatError&) {  // a tuple of something else than ints
            }
            break;
        }
        case ValueTag::record: {
            h += touch(v.record_type().data(), v.record_type().size());
            const size_t n = v.size();
            const int64_t* q = p + 3;
            for (size_t i = 0; i < n; ++i) {
                const std::string_view name = f.string(static_cast<uint64_t>(q[0]));
                const auto field = v.field(name);
                if (!field)
                    finding("record field '" + std::string(name.substr(0, 80)) +
                            "' is in the file but field() misses it");
                q = value(q + 1, depth + 1);
                (void)field->describe();
            }
            if (q != end)
                finding("a record's fields do not end where the record does");
            break;
        }
        case ValueTag::dim: {  // a symbolic dimension: an expression of the DIMS section
            if (v.as_dim_expr() >= f.dim_exprs().size())
                finding("a dimension parameter names expression " + std::to_string(v.as_dim_expr()) + " of " +
                        std::to_string(f.dim_exprs().size()));
            h += v.as_dims().size();
            break;
        }
        default:
            finding("a parameter value with tag " + std::to_string(static_cast<int>(v.tag())) + " was accepted");
        }
        return end;
    }

    void atom(const Graph& g, const Atom& a) {
        if (a.is_literal)
            h += static_cast<uint64_t>(a.bits) + dtype_size(a.dtype);
        else
            h += g.vars.at(static_cast<size_t>(a.var)).rank;
    }

    void walk() {
        for (size_t i = 0; i < f.num_strings(); ++i) {
            const auto s = f.string(i);
            h += touch(s.data(), s.size());
        }
        for (size_t i = 0; i < f.num_buffers(); ++i) {
            const BufferInfo& b = f.buffer(i);
            h += b.flags;
            if (b.size)
                h += b.data[0] + b.data[b.size - 1];
            (void)f.buffer_owner(i);  // null for borrowed memory without an owner
        }
        for (const auto& kv : f.meta())
            h += kv.first.size() + kv.second.size();
        for (const auto& s : f.input_names())
            h += s.size();
        for (const auto& s : f.output_names())
            h += s.size();
        // symbolic dimensions: every operand an earlier expression, every origin in range
        const auto& exprs = f.dim_exprs();
        for (size_t k = 0; k < exprs.size(); ++k) {
            const auto& e = exprs[k];
            if (e.op != DimOp::constant && e.op != DimOp::symbol &&
                (e.a < 0 || e.b < 0 || static_cast<size_t>(e.a) >= k || static_cast<size_t>(e.b) >= k))
                finding("expression " + std::to_string(k) + " has an operand that is not an earlier expression");
            if (e.op == DimOp::symbol && static_cast<size_t>(e.a) >= f.symbols().size())
                finding("expression " + std::to_string(k) + " names a symbol that does not exist");
            const auto& b = f.dim_bounds(k);
            h += static_cast<uint64_t>(b.lo) + static_cast<uint64_t>(b.hi);
        }
        for (const auto& sym : f.symbols()) {
            h += touch(sym.name.data(), sym.name.size());
            const Graph& g0 = f.graph(0);
            if (sym.input >= g0.invars.size() ||
                sym.axis >= g0.vars.at(static_cast<size_t>(g0.invars[sym.input])).rank || sym.scale < 1)
                finding("a symbol's origin is not an input dimension");
        }
        for (size_t gi = 0; gi < f.num_graphs(); ++gi) {
            const Graph& g = f.graph(gi);
            for (const VarInfo& v : g.vars) {
                h += dtype_size(v.dtype);
                for (uint32_t d = 0; d < v.rank; ++d) {
                    h += static_cast<uint64_t>(v.dims[d]);
                    if (is_symbolic_dim(v.dims[d])) {
                        if (v.dims[d] == -1 || dim_expr_index(v.dims[d]) >= exprs.size())
                            finding("a variable's symbolic dimension names no expression");
                        const std::string text = f.dim_text(v.dims[d]);
                        h += touch(text.data(), text.size());
                    }
                }
            }
            for (int64_t v : g.invars)
                h += g.vars.at(static_cast<size_t>(v)).rank;
            for (const auto& c : g.constvars) {
                h += g.vars.at(static_cast<size_t>(c.first)).rank;
                const BufferInfo& b = f.buffer(c.second);
                if (b.size)
                    h += b.data[0] + b.data[b.size - 1];
            }
            for (const Atom& a : g.outvars)
                atom(g, a);
            for (size_t ei = 0; ei < g.eqns.size(); ++ei) {
                const Eqn& e = g.eqns[ei];
                h += f.eqn_name(g, ei).size();
                h += touch(f.string(e.primitive).data(), f.string(e.primitive).size());
                for (uint32_t k = 0; k < e.n_in; ++k)
                    atom(g, f.input(g, ei, k));
                for (uint32_t k = 0; k < e.n_out; ++k)
                    if (e.out[k] != kNone)
                        h += g.vars.at(static_cast<size_t>(e.out[k])).rank;
                const int64_t* p = e.params;
                for (uint32_t k = 0; k < e.n_params; ++k) {
                    const std::string_view key = f.string(static_cast<uint64_t>(p[0]));
                    const auto found = f.param(e, key);
                    if (!found)
                        finding("parameter '" + std::string(key.substr(0, 80)) +
                                "' is in the file but param() misses it");
                    p = value(p + 1, 0);
                }
            }
        }
        g_sink = h;
    }
};

uint64_t walk(const std::shared_ptr<File>& f) {
    Walker w{*f};
    w.walk();
    return w.h;
}

// The mapped form reads a file: a memory file, rewritten for each input.
int g_fd = -1;
std::string g_path;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    g_fd = memfd_create("ovjax-fuzz", MFD_CLOEXEC);
    if (g_fd < 0) {
        std::perror("memfd_create");
        std::abort();
    }
    g_path = "/proc/self/fd/" + std::to_string(g_fd);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    // 1. borrowed memory (libFuzzer's copy of the input: reads past it are reported)
    std::string mem_result;
    uint64_t mem_hash = 0;
    try {
        auto f = File::from_memory(Memory{data, size, nullptr});
        mem_hash = walk(f);
        mem_result = "ok";
    } catch (const FormatError& e) {
        mem_result = e.what();
    }
    // 2. the same bytes memory-mapped from a file
    if (ftruncate(g_fd, 0) != 0 || pwrite(g_fd, data, size, 0) != static_cast<ssize_t>(size)) {
        std::perror("writing the memory file");
        std::abort();
    }
    std::string map_result;
    uint64_t map_hash = 0;
    try {
        auto f = File::open(g_path);
        map_hash = walk(f);
        map_result = "ok";
    } catch (const FormatError& e) {
        map_result = e.what();
    }
    // Both must agree (the mapped error names the file as well).
    if ((mem_result == "ok") != (map_result == "ok") || mem_hash != map_hash ||
        (mem_result != "ok" && map_result.compare(0, mem_result.size(), mem_result) != 0))
        finding("from_memory and open disagree: '" + mem_result.substr(0, 300) + "' vs '" + map_result.substr(0, 300) +
                "'");
    return 0;
}

#include "frontend/shapes.hpp"

#include "openvino/core/symbol.hpp"

#include <algorithm>
#include <map>

#include "frontend/node_context.hpp"
#include "openvino/op/add.hpp"
#include "openvino/op/broadcast.hpp"
#include "openvino/op/concat.hpp"
#include "openvino/op/constant.hpp"
#include "openvino/op/divide.hpp"
#include "openvino/op/floor_mod.hpp"
#include "openvino/op/gather.hpp"
#include "openvino/op/maximum.hpp"
#include "openvino/op/minimum.hpp"
#include "openvino/op/multiply.hpp"
#include "openvino/op/shape_of.hpp"
#include "openvino/op/subtract.hpp"

namespace ovjax {

using format::DimOp;

bool is_static(const Dims& dims) {
    return std::none_of(dims.begin(), dims.end(), [](int64_t d) { return format::is_symbolic_dim(d); });
}

namespace {
ov::Output<ov::Node> i64(int64_t v) { return ov::op::v0::Constant::create(ov::element::i64, ov::Shape{1}, {v}); }
}  // namespace

Shapes::Shapes(const format::File& file, std::vector<format::DimSymbol> symbols)
    : m_file(file),
      m_bounds(symbols.empty() || !file.symbolic() ? std::vector<format::DimBounds>()
                                                   : format::dim_bounds(file.dim_exprs(), symbols)),
      m_frames(1) {
    if (m_bounds.empty() && file.symbolic())
        for (size_t e = 0; e < file.dim_exprs().size(); ++e)
            m_bounds.push_back(file.dim_bounds(e));
}

ov::Dimension Shapes::dimension(int64_t word) const {
    if (!format::is_symbolic_dim(word))
        return ov::Dimension(word);
    const auto& b = bounds(format::dim_expr_index(word));
    const int64_t lo = std::max<int64_t>(b.lo, 0);
    if (b.hi == format::DimBounds::kUnbounded)
        return ov::Dimension(lo, -1);
    return ov::Dimension(lo, std::max(b.hi, lo));
}

ov::PartialShape Shapes::partial_shape(const int64_t* dims, size_t rank) const {
    std::vector<ov::Dimension> ds;
    ds.reserve(rank);
    for (size_t k = 0; k < rank; ++k)
        ds.push_back(dimension(dims[k]));
    return ov::PartialShape(ds);
}

Shapes::~Shapes() = default;

std::shared_ptr<ov::Symbol> Shapes::ov_symbol(uint64_t e) {
    if (m_ov_symbols.size() <= e)
        m_ov_symbols.resize(m_file.dim_exprs().size());
    auto& s = m_ov_symbols.at(e);
    if (!s) {
        s = std::make_shared<ov::Symbol>();
        m_symbol_exprs.emplace(s.get(), e);
    }
    return s;
}

ov::PartialShape Shapes::input_shape(const format::VarInfo& v) {
    ov::PartialShape s = partial_shape(v.dims, v.rank);
    for (size_t k = 0; k < v.rank; ++k)
        if (format::is_symbolic_dim(v.dims[k]) && s[k].is_dynamic())
            s[k].set_symbol(ov_symbol(format::dim_expr_index(v.dims[k])));
    return s;
}

void Shapes::label(const ov::Output<ov::Node>& out, const Dims& dims) {
    ov::PartialShape s = out.get_partial_shape();
    if (s.rank().is_dynamic() || s.size() != dims.size())
        return;
    bool changed = false;
    for (size_t k = 0; k < dims.size(); ++k)
        if (format::is_symbolic_dim(dims[k]) && s[k].is_dynamic() && !s[k].has_symbol()) {
            s[k].set_symbol(ov_symbol(format::dim_expr_index(dims[k])));
            changed = true;
        }
    if (changed)
        out.get_node()->set_output_type(out.get_index(), out.get_element_type(), s);
}

// ---------------------------------------------------------------- expressions as polynomials
// An expression of const, symbol, add and mul records as a polynomial in the symbols
// (monomial: the sorted symbol numbers, with repeats; coefficient), so that sums written
// differently compare equal. Small ones only: at most kTerms terms of degree kDegree, in a
// file of at most kExprs expressions (a file may hold millions; none is needed for a
// conversion, only for giving dimensions symbols); floordiv, mod, max and min are none.
namespace {
using Monomial = std::vector<uint64_t>;
using Polynomial = std::map<Monomial, int64_t>;
constexpr size_t kTerms = 16, kDegree = 4, kExprs = size_t(1) << 16;

std::optional<Polynomial> constant(int64_t c) {
    Polynomial p;
    if (c != 0)
        p[{}] = c;
    return p;
}

bool add_into(Polynomial& r, const Monomial& m, int64_t c) {
    int64_t& v = r[m];
    if (__builtin_add_overflow(v, c, &v))
        return false;
    if (v == 0)
        r.erase(m);
    return r.size() <= kTerms;
}

std::optional<Polynomial> sum(const Polynomial& a, const Polynomial& b) {
    Polynomial r = a;
    for (const auto& [m, c] : b)
        if (!add_into(r, m, c))
            return std::nullopt;
    return r;
}

std::optional<Polynomial> times(const Polynomial& a, const Polynomial& b) {
    Polynomial r;
    for (const auto& [ma, ca] : a)
        for (const auto& [mb, cb] : b) {
            int64_t c;
            if (ma.size() + mb.size() > kDegree || __builtin_mul_overflow(ca, cb, &c))
                return std::nullopt;
            Monomial m = ma;
            m.insert(m.end(), mb.begin(), mb.end());
            std::sort(m.begin(), m.end());
            if (!add_into(r, m, c))
                return std::nullopt;
        }
    return r;
}
}  // namespace

struct Shapes::Polynomials {
    std::vector<std::optional<Polynomial>> of;  // by expression
    std::map<Polynomial, uint64_t> expr;        // the first expression of each polynomial
};

Shapes::Polynomials& Shapes::polynomials() {
    if (m_polynomials)
        return *m_polynomials;
    m_polynomials = std::make_unique<Polynomials>();
    auto& P = *m_polynomials;
    const auto& exprs = m_file.dim_exprs();
    if (exprs.size() > kExprs)
        return P;
    P.of.resize(exprs.size());
    for (size_t k = 0; k < exprs.size(); ++k) {
        const auto& x = exprs[k];
        const auto& b = bounds(k);
        std::optional<Polynomial> p;
        if (x.op == DimOp::constant || b.lo == b.hi) {
            p = constant(x.op == DimOp::constant ? x.a : b.lo);
        } else if (x.op == DimOp::symbol) {
            p = Polynomial{{Monomial{static_cast<uint64_t>(x.a)}, 1}};
        } else if (x.op == DimOp::add || x.op == DimOp::mul) {
            const auto &pa = P.of[static_cast<size_t>(x.a)], &pb = P.of[static_cast<size_t>(x.b)];
            if (pa && pb)
                p = x.op == DimOp::add ? sum(*pa, *pb) : times(*pa, *pb);
        }
        if (p)
            P.expr.emplace(*p, k);
        P.of[k] = std::move(p);
    }
    return P;
}

void Shapes::label_sum(const ov::Output<ov::Node>& out, size_t axis, const std::vector<ov::Dimension>& parts) {
    ov::PartialShape s = out.get_partial_shape();
    if (s.rank().is_dynamic() || axis >= s.size() || s[axis].is_static() || s[axis].has_symbol() || !m_file.symbolic())
        return;
    auto& P = polynomials();
    Polynomial total;
    for (const auto& d : parts) {
        std::optional<Polynomial> p;
        if (d.is_static()) {
            p = constant(d.get_length());
        } else if (d.has_symbol()) {
            const auto it = m_symbol_exprs.find(d.get_symbol().get());
            if (it != m_symbol_exprs.end() && it->second < P.of.size())
                p = P.of[it->second];
        }
        if (!p)
            return;
        auto t = sum(total, *p);
        if (!t)
            return;
        total = std::move(*t);
    }
    const auto it = P.expr.find(total);
    if (it == P.expr.end())
        return;
    s[axis].set_symbol(ov_symbol(it->second));
    out.get_node()->set_output_type(out.get_index(), out.get_element_type(), s);
}

bool Shapes::is_exactly(const ov::PartialShape& got, const Dims& dims) const {
    if (got.rank().is_dynamic() || got.rank().get_length() != static_cast<int64_t>(dims.size()))
        return false;
    for (size_t k = 0; k < dims.size(); ++k) {
        const auto& d = got[k];
        if (!format::is_symbolic_dim(dims[k])) {
            if (!d.is_static() || d.get_length() != dims[k])
                return false;
            continue;
        }
        const uint64_t e = format::dim_expr_index(dims[k]);
        if (d.is_static() || !d.has_symbol() || e >= m_ov_symbols.size() || !m_ov_symbols[e] ||
            !ov::symbol::are_equal(d.get_symbol(), m_ov_symbols[e]))
            return false;
    }
    return true;
}

bool Shapes::matches(const ov::PartialShape& got, const int64_t* dims, size_t rank) const {
    if (got.rank().is_dynamic() || got.rank().get_length() != static_cast<int64_t>(rank))
        return false;
    for (size_t k = 0; k < rank; ++k) {
        const auto& d = got[k];
        if (!format::is_symbolic_dim(dims[k])) {
            if (!d.is_static() || d.get_length() != dims[k])
                return false;
        } else if (d.is_static()) {
            const auto& b = bounds(format::dim_expr_index(dims[k]));
            if (b.lo != b.hi || b.lo != d.get_length())
                return false;
        }
    }
    return true;
}

ov::Output<ov::Node> Shapes::symbol(size_t frame, uint64_t s) {
    Frame& f = m_frames[frame];
    if (f.symbols.empty())
        f.symbols.resize(m_file.symbols().size());
    auto& cached = f.symbols.at(s);
    if (cached.get_node())
        return cached;
    if (frame > 0 && s < f.sources.size() && f.sources[s].first.get_node()) {
        const auto& [input, axis] = f.sources[s];
        auto shape = std::make_shared<ov::op::v3::ShapeOf>(input, ov::element::i64);
        return cached = std::make_shared<ov::op::v8::Gather>(
                   shape, i64(static_cast<int64_t>(axis)),
                   ov::op::v0::Constant::create(ov::element::i64, ov::Shape{}, {0}));
    }
    if (frame > 0) {
        // A body Parameter of shape [size] (u8 zeros, bound by end_body()) whose ShapeOf is
        // the size: OpenVINO's shape inference in the body then knows it as a dimension, its
        // bounds and symbol included (a Reshape to shape(dims) keeps its static dims, which
        // it cannot through a Concat with a size Parameter), as ShapeOf of an input outside.
        ov::Dimension d = ov::Dimension::dynamic();
        if (const uint64_t e = symbol_expr(s); e != kNone) {
            d = dimension(format::dim_word(e));
            d.set_symbol(ov_symbol(e));
        }
        auto p = std::make_shared<ov::op::v0::Parameter>(ov::element::u8, ov::PartialShape{d});
        p->set_friendly_name(std::string(m_file.symbols()[s].name));
        f.params.emplace_back(p, s);
        return cached = std::make_shared<ov::op::v3::ShapeOf>(p, ov::element::i64);
    }
    const auto& sym = m_file.symbols()[s];
    if (sym.input >= m_inputs.size() || !m_inputs[sym.input].get_node())
        throw TranslateError("symbolic dimension '" + std::string(sym.name) + "' is read from input " +
                             std::to_string(sym.input) + ", which the model does not have");
    auto shape = std::make_shared<ov::op::v3::ShapeOf>(m_inputs[sym.input], ov::element::i64);
    ov::Output<ov::Node> d = std::make_shared<ov::op::v8::Gather>(
        shape, i64(static_cast<int64_t>(sym.axis)), ov::op::v0::Constant::create(ov::element::i64, ov::Shape{}, {0}));
    if (sym.offset != 0)
        d = std::make_shared<ov::op::v1::Subtract>(d, i64(sym.offset));
    if (sym.scale != 1)  // (exact for the sizes the origin admits, dim - c a multiple of k)
        d = std::make_shared<ov::op::v1::Divide>(d, i64(sym.scale));
    return cached = d;
}

uint64_t Shapes::symbol_expr(uint64_t s) {
    if (m_symbol_exprs_by_symbol.empty()) {
        m_symbol_exprs_by_symbol.assign(m_file.symbols().size(), kNone);
        const auto& exprs = m_file.dim_exprs();
        for (size_t e = 0; e < exprs.size(); ++e) {
            if (exprs[e].op != DimOp::symbol)
                continue;
            const auto a = static_cast<uint64_t>(exprs[e].a);  // (the reader checked a < the symbols)
            if (a < m_symbol_exprs_by_symbol.size() && m_symbol_exprs_by_symbol[a] == kNone)
                m_symbol_exprs_by_symbol[a] = e;
        }
    }
    return s < m_symbol_exprs_by_symbol.size() ? m_symbol_exprs_by_symbol[s] : kNone;
}

ov::Output<ov::Node> Shapes::expr(size_t frame, uint64_t e) {
    Frame& f = m_frames[frame];
    if (f.exprs.empty())
        f.exprs.resize(m_file.dim_exprs().size());
    const auto& exprs = m_file.dim_exprs();
    // Operands are earlier expressions: build the missing ones bottom-up with an explicit
    // stack (a file's expressions may nest deeply).
    std::vector<uint64_t> stack{e};
    while (!stack.empty()) {
        const uint64_t k = stack.back();
        if (f.exprs[k].get_node()) {
            stack.pop_back();
            continue;
        }
        const auto& x = exprs[k];
        const auto& b = bounds(k);
        if (x.op == DimOp::constant || b.lo == b.hi) {  // b.lo == b.hi: one value only
            f.exprs[k] = i64(x.op == DimOp::constant ? x.a : b.lo);
            stack.pop_back();
            continue;
        }
        if (x.op == DimOp::symbol) {
            f.exprs[k] = symbol(frame, static_cast<uint64_t>(x.a));
            stack.pop_back();
            continue;
        }
        const auto ia = static_cast<uint64_t>(x.a), ib = static_cast<uint64_t>(x.b);
        if (!f.exprs[ia].get_node() || !f.exprs[ib].get_node()) {
            if (!f.exprs[ia].get_node())
                stack.push_back(ia);
            if (!f.exprs[ib].get_node())
                stack.push_back(ib);
            continue;
        }
        const auto a = f.exprs[ia];
        auto c = f.exprs[ib];
        if ((x.op == DimOp::floordiv || x.op == DimOp::mod) && bounds(ib).lo < 1)
            c = std::make_shared<ov::op::v1::Maximum>(c, i64(1));  // never a division by zero
        switch (x.op) {
        case DimOp::add:
            f.exprs[k] = std::make_shared<ov::op::v1::Add>(a, c);
            break;
        case DimOp::mul:
            f.exprs[k] = std::make_shared<ov::op::v1::Multiply>(a, c);
            break;
        case DimOp::floordiv: {
            // floor(a / c) = (a - a mod c) / c, an exact division (the CPU plugin's Divide
            // truncates integers towards zero, pythondiv or not: measured on 2026.4)
            auto m = std::make_shared<ov::op::v1::FloorMod>(a, c);
            f.exprs[k] = std::make_shared<ov::op::v1::Divide>(std::make_shared<ov::op::v1::Subtract>(a, m), c);
            break;
        }
        case DimOp::mod:
            f.exprs[k] = std::make_shared<ov::op::v1::FloorMod>(a, c);
            break;
        case DimOp::max:
            f.exprs[k] = std::make_shared<ov::op::v1::Maximum>(a, c);
            break;
        default:
            f.exprs[k] = std::make_shared<ov::op::v1::Minimum>(a, c);
            break;
        }
        stack.pop_back();
    }
    return f.exprs[e];
}

ov::Output<ov::Node> Shapes::dim(int64_t word) {
    if (!format::is_symbolic_dim(word))
        return i64(word);
    // (words come from the reader's checked dims and DIM values; a translator's own
    // arithmetic must not make one up)
    if (word == -1 || format::dim_expr_index(word) >= m_file.dim_exprs().size())
        throw TranslateError("dimension word " + std::to_string(word) + " names no symbolic dimension");
    return expr(m_frames.size() - 1, format::dim_expr_index(word));
}

ov::Output<ov::Node> Shapes::shape(const Dims& dims) {
    if (is_static(dims))
        return ov::op::v0::Constant::create(ov::element::i64, ov::Shape{dims.size()}, dims);
    // runs of static dims as one constant each
    ov::OutputVector parts;
    Dims run;
    for (int64_t d : dims) {
        if (!format::is_symbolic_dim(d)) {
            run.push_back(d);
            continue;
        }
        if (!run.empty())
            parts.push_back(ov::op::v0::Constant::create(ov::element::i64, ov::Shape{run.size()}, run));
        run.clear();
        parts.push_back(dim(d));
    }
    if (!run.empty())
        parts.push_back(ov::op::v0::Constant::create(ov::element::i64, ov::Shape{run.size()}, run));
    return parts.size() == 1 ? parts[0] : std::make_shared<ov::op::v0::Concat>(parts, 0)->output(0);
}

ov::Output<ov::Node> Shapes::product(const Dims& dims) {
    int64_t constant = 1;
    ov::Output<ov::Node> r;
    for (int64_t d : dims) {
        if (!format::is_symbolic_dim(d)) {
            if (__builtin_mul_overflow(constant, d, &constant))
                throw TranslateError("a product of dimensions overflows int64");
            continue;
        }
        r = r.get_node() ? std::make_shared<ov::op::v1::Multiply>(r, dim(d))->output(0) : dim(d);
    }
    if (!r.get_node())
        return i64(constant);
    return constant == 1 ? r : std::make_shared<ov::op::v1::Multiply>(r, i64(constant))->output(0);
}

void Shapes::note_inputs(const ov::OutputVector& values, const format::Graph& g) {
    if (m_frames.size() < 2 || !m_file.symbolic())
        return;  // graph 0's symbols come from their origins
    Frame& f = m_frames.back();
    const auto& exprs = m_file.dim_exprs();
    for (size_t i = 0; i < g.invars.size() && i < values.size(); ++i) {
        const auto& v = g.vars[static_cast<size_t>(g.invars[i])];
        for (uint32_t k = 0; k < v.rank; ++k) {
            if (!format::is_symbolic_dim(v.dims[k]))
                continue;
            const auto& e = exprs[format::dim_expr_index(v.dims[k])];
            if (e.op != DimOp::symbol)
                continue;
            const auto s = static_cast<uint64_t>(e.a);
            if (f.sources.size() <= s)
                f.sources.resize(m_file.symbols().size());
            if (!f.sources[s].first.get_node())
                f.sources[s] = {values[i], k};
        }
    }
}

void Shapes::begin_body() { m_frames.emplace_back(); }

std::vector<std::pair<std::shared_ptr<ov::op::v0::Parameter>, ov::Output<ov::Node>>> Shapes::end_body() {
    Frame f = std::move(m_frames.back());
    m_frames.pop_back();
    std::vector<std::pair<std::shared_ptr<ov::op::v0::Parameter>, ov::Output<ov::Node>>> r;
    for (auto& [p, s] : f.params)  // [size] zeros (see symbol())
        r.emplace_back(p, std::make_shared<ov::op::v3::Broadcast>(
                              ov::op::v0::Constant::create(ov::element::u8, {}, {0}), symbol(m_frames.size() - 1, s)));
    return r;
}

}  // namespace ovjax

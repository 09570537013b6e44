// Reductions (reduce_sum/max/min/prod/and/or/xor, argmax/argmin, and the generic reduce
// with a jaxpr body). The shared monoids and the exactness notes: reduction.hpp.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "openvino/core/model.hpp"
#include "openvino/op/abs.hpp"
#include "openvino/op/add.hpp"
#include "openvino/op/avg_pool.hpp"
#include "openvino/op/bitwise_and.hpp"
#include "openvino/op/bitwise_or.hpp"
#include "openvino/op/bitwise_xor.hpp"
#include "openvino/op/broadcast.hpp"
#include "openvino/op/concat.hpp"
#include "openvino/op/cum_sum.hpp"
#include "openvino/op/equal.hpp"
#include "openvino/op/exp.hpp"
#include "openvino/op/gather_elements.hpp"
#include "openvino/op/greater.hpp"
#include "openvino/op/if.hpp"
#include "openvino/op/is_nan.hpp"
#include "openvino/op/less.hpp"
#include "openvino/op/less_eq.hpp"
#include "openvino/op/log.hpp"
#include "openvino/op/logical_and.hpp"
#include "openvino/op/logical_not.hpp"
#include "openvino/op/logical_or.hpp"
#include "openvino/op/logical_xor.hpp"
#include "openvino/op/max_pool.hpp"
#include "openvino/op/maximum.hpp"
#include "openvino/op/reshape.hpp"
#include "openvino/op/minimum.hpp"
#include "openvino/op/multiply.hpp"
#include "openvino/op/negative.hpp"
#include "openvino/op/not_equal.hpp"
#include "openvino/op/parameter.hpp"
#include "openvino/op/reduce_logical_and.hpp"
#include "openvino/op/reduce_logical_or.hpp"
#include "openvino/op/reduce_max.hpp"
#include "openvino/op/reduce_min.hpp"
#include "openvino/op/reduce_prod.hpp"
#include "openvino/op/reduce_sum.hpp"
#include "openvino/op/select.hpp"
#include "openvino/op/subtract.hpp"
#include "openvino/op/topk.hpp"
#include "openvino/op/transpose.hpp"
#include "ops/ops.hpp"
#include "ops/utils.hpp"
#include "ops/reduction.hpp"

namespace ovjax {
namespace op {

// The type in which integer Add / Multiply are exact and wrap like JAX on the CPU plugin
// (8/16-bit arithmetic saturates there). Convert back to the narrow type wraps.
ov::element::Type arith_type(const ov::element::Type& t) {
    if (t.is_integral_number() && t.bitwidth() < 32)
        return ov::element::i32;
    return t;
}

// The identity of `kind` as a scalar constant of type `t`.
Output<Node> identity(Kind kind, const ov::element::Type& t) {
    switch (kind) {
    case Kind::Sum:
        return const_scalar(t, 0);
    case Kind::Prod:
        return const_scalar(t, 1);
    case Kind::Max:
        return const_lowest(t);
    case Kind::Min:
        return const_highest(t);
    case Kind::Or:
    case Kind::Xor:
        return const_scalar(t, 0);
    case Kind::And:
        if (t == ov::element::boolean || !t.is_signed())
            return const_highest(t);  // true / all ones
        return const_scalar(t, -1);
    }
    throw TranslateError("bad reduction kind");
}

Output<Node> combine(Kind kind, const Output<Node>& a, const Output<Node>& b) {
    bool logical = a.get_element_type() == ov::element::boolean;
    switch (kind) {
    case Kind::Sum:
        return add(a, b);
    case Kind::Prod:
        return mul(a, b);
    case Kind::Max:
        return make<v1::Maximum>(a, b);
    case Kind::Min:
        return make<v1::Minimum>(a, b);
    case Kind::And:
        if (logical)
            return land(a, b);
        return bit_and(a, b);
    case Kind::Or:
        if (logical)
            return lor(a, b);
        return bit_or(a, b);
    case Kind::Xor:
        if (logical)
            return make<v1::LogicalXor>(a, b);
        return bit_xor(a, b);
    }
    throw TranslateError("bad reduction kind");
}

// A constant of `shape` filled with the scalar constant `value`.
Output<Node> fill(const Output<Node>& value, const ov::Shape& shape) {
    std::vector<int64_t> s(shape.begin(), shape.end());
    return make<ov::op::v3::Broadcast>(value, const_i64(s));
}

// Where `mask` is true, NaN; elsewhere `y`.
Output<Node> where_nan(const Output<Node>& mask, const Output<Node>& y) {
    return select(mask, const_scalar(y.get_element_type(), NAN), y);
}

// Pad `x` (shape `shape`, updated) along `axis` with `lo` / `hi` copies of the scalar
// constant `value` (negative: crop) and `interior` copies between elements, using Concat.
Output<Node> concat_pad(Output<Node> x, ov::Shape& shape, const Output<Node>& value, size_t axis, int64_t lo,
                        int64_t hi, int64_t interior) {
    const int64_t ax = static_cast<int64_t>(axis);
    int64_t n = static_cast<int64_t>(shape[axis]);
    if (interior > 0 && n > 1) {
        // [.., n, ..] -> [.., n, 1, ..] ++ [.., n, interior, ..] -> [.., n * (interior + 1), ..] -> drop the tail
        ov::Shape s1 = shape, sf = shape, s2 = shape;
        s1.insert(s1.begin() + ax + 1, 1);
        sf.insert(sf.begin() + ax + 1, static_cast<size_t>(interior));
        s2[axis] = static_cast<size_t>(n * (interior + 1));
        Output<Node> y = make<v0::Concat>(ov::OutputVector{reshape(x, s1), fill(value, sf)}, ax + 1);
        int64_t keep = n + (n - 1) * interior;
        x = slice(reshape(y, s2), {0}, {keep}, {1}, {ax});
        n = keep;
        shape[axis] = static_cast<size_t>(n);
    }
    if (lo < 0 || hi < 0) {
        int64_t b = lo < 0 ? -lo : 0, e = n - (hi < 0 ? -hi : 0);
        x = slice(x, {b}, {e}, {1}, {ax});
        n = e - b;
        lo = lo < 0 ? 0 : lo;
        hi = hi < 0 ? 0 : hi;
    }
    if (lo == 0 && hi == 0) {
        shape[axis] = static_cast<size_t>(n);
        return x;
    }
    ov::OutputVector parts;
    ov::Shape ps = shape;
    if (lo > 0) {
        ps[axis] = static_cast<size_t>(lo);
        parts.push_back(fill(value, ps));
    }
    if (n > 0)
        parts.push_back(x);
    if (hi > 0) {
        ps[axis] = static_cast<size_t>(hi);
        parts.push_back(fill(value, ps));
    }
    shape[axis] = static_cast<size_t>(n + lo + hi);
    return make<v0::Concat>(parts, ax);
}

namespace {
// A float max (min) reduction of `x` over `axes` with JAX's semantics. (Pools always take
// the class form of fix_float_extreme: see window_reduce.)
//
// Exact always: ReduceMax / ReduceMin, then fix_float_extreme (a class tensor and a second
// reduction). For large x the class tensor costs as much as the reduction, so the plain
// reduction is checked by a sum instead: it is exact unless a reduced group holds a NaN
// (its sum is NaN; so is a sum of +inf and -inf) or only -inf (+inf for min; the reduction
// gives -FLT_MAX, +FLT_MAX). Only then (rare) an If runs the exact form. Both reductions
// read x, which exists anyway; nothing else is written.
constexpr size_t kLazyExactMin = 16384;

Output<Node> reduce_float_extreme(const Output<Node>& x, const std::vector<int64_t>& axes, bool max) {
    // fresh nodes per call: the If's body gets its own
    auto reduce = [&](const Output<Node>& v) -> Output<Node> {
        if (max)
            return make<v1::ReduceMax>(v, const_i64(axes), false);
        return make<v1::ReduceMin>(v, const_i64(axes), false);
    };
    auto exact = [&](const Output<Node>& v) {
        return fix_float_extreme(v, reduce(v), max, [&](const Output<Node>& c) -> Output<Node> {
            return make<v1::ReduceMax>(c, const_i64(axes), false);
        });
    };
    const auto t = x.get_element_type();
    // If inputs are plain-layout on the CPU plugin: a transposed x is likely a convolution's
    // output in a blocked layout (see window_reduce), which the If would copy.
    // (dynamic x: always exact; an If over dynamic f16 bodies gave -inf on the CPU plugin, 2026.4)
    if (x.get_partial_shape().is_dynamic() || ov::shape_size(x.get_shape()) < kLazyExactMin ||
        ov::is_type<v1::Transpose>(x.get_node()))
        return exact(x);
    Output<Node> s = make<v1::ReduceSum>(x, const_i64(axes), false);
    Output<Node> r = reduce(x);
    Output<Node> unsure =
        lor(make<ov::op::v10::IsNaN>(s),
            max ? Output<Node>(make<v1::LessEqual>(r, const_lowest(t)))
                : Output<Node>(make<v1::LessEqual>(const_highest(t), r)));  // not GreaterEqual: see greater()
    if (const auto rank = r.get_shape().size(); rank > 0) {
        std::vector<int64_t> all(rank);
        std::iota(all.begin(), all.end(), 0);
        unsure = make<v1::ReduceLogicalOr>(unsure, const_i64(all), false);
    }
    auto px = std::make_shared<v0::Parameter>(t, x.get_partial_shape());
    auto then_body = std::make_shared<ov::Model>(ov::OutputVector{exact(px)}, ov::ParameterVector{px});
    auto pr = std::make_shared<v0::Parameter>(t, r.get_partial_shape());
    auto else_body = std::make_shared<ov::Model>(ov::OutputVector{pr}, ov::ParameterVector{pr});
    auto branch = std::make_shared<ov::op::v8::If>(unsure);
    branch->set_then_body(then_body);
    branch->set_else_body(else_body);
    branch->set_input(x, px, nullptr);
    branch->set_input(r, nullptr, pr);
    auto out = branch->set_output(then_body->get_results()[0], else_body->get_results()[0]);
    branch->validate_and_infer_types();
    return out;
}

// Move `axes` of `x` (shape `shape`) to the end and flatten: [prod(kept), prod(axes)].
Output<Node> flatten_axes(const Output<Node>& x, const ov::Shape& shape, const std::vector<int64_t>& axes) {
    std::vector<bool> reduced(shape.size(), false);
    for (auto a : axes)
        reduced[static_cast<size_t>(a)] = true;
    std::vector<int64_t> perm;
    size_t kept = 1, red = 1;
    for (size_t i = 0; i < shape.size(); ++i)
        if (!reduced[i]) {
            perm.push_back(static_cast<int64_t>(i));
            kept *= shape[i];
        }
    for (size_t i = 0; i < shape.size(); ++i)
        if (reduced[i]) {
            perm.push_back(static_cast<int64_t>(i));
            red *= shape[i];
        }
    return reshape(transpose(x, perm), ov::Shape{kept, red});
}

// Pairwise (log-depth) reduction of a [R, K] tensor along axis 1 with an exact binary op.
Output<Node> tree_reduce(Output<Node> x, Kind kind, size_t rows, size_t k) {
    auto id = identity(kind, x.get_element_type());
    while (k > 1) {
        if (k % 2) {
            ov::Shape s{rows, k};
            x = concat_pad(x, s, id, 1, 0, 1);
            ++k;
        }
        int64_t h = static_cast<int64_t>(k / 2);
        x = combine(kind, slice(x, {0}, {h}, {1}, {1}), slice(x, {h}, {2 * h}, {1}, {1}));
        k /= 2;
    }
    return reshape(x, ov::Shape{rows});
}

}  // namespace

// TopK (k = 1) along `axis`: values and first index of the extreme (stable sort keeps ties in order).
std::shared_ptr<Node> top1(const Output<Node>& x, int64_t axis, bool max) {
    return std::make_shared<ov::op::v11::TopK>(x, v0::Constant::create(ov::element::i64, ov::Shape{}, {1}), axis,
                                               max ? ov::op::TopKMode::MAX : ov::op::TopKMode::MIN,
                                               ov::op::TopKSortType::SORT_VALUES, ov::element::i32,
                                               /*stable=*/true);
}

// Reduce `x` (shape `shape`) over the normalised `axes` to `out_shape` with `kind`.
Output<Node> reduce_values(const NodeContext& ctx, const Output<Node>& x, const ov::Shape& shape,
                           const ov::Shape& out_shape, const std::vector<int64_t>& axes, Kind kind) {
    auto t = x.get_element_type();
    if (axes.empty())
        return x;
    if (numel(out_shape) == 0)
        return const_fill(t, out_shape, 0);
    if (numel(shape) == 0)
        return fill(identity(kind, t), out_shape);
    auto ax = const_i64(axes);

    if (t == ov::element::boolean || kind == Kind::Xor) {
        if (kind == Kind::Xor || t != ov::element::boolean) {
            OVJAX_CHECK(ctx, t == ov::element::boolean || t.is_integral_number(), ctx.primitive(),
                        " needs a boolean or integer operand for xor, got ", t);
            size_t rows = static_cast<size_t>(numel(out_shape));
            size_t k = static_cast<size_t>(numel(shape)) / rows;
            return reshape(tree_reduce(flatten_axes(x, shape, axes), kind, rows, k), out_shape);
        }
        // max / or (and sum) are "any"; min / and (and prod) are "all"
        bool any = kind == Kind::Max || kind == Kind::Or || kind == Kind::Sum;
        if (any)
            return std::make_shared<v1::ReduceLogicalOr>(x, ax, false)->output(0);
        return std::make_shared<v1::ReduceLogicalAnd>(x, ax, false)->output(0);
    }
    OVJAX_CHECK(ctx, t.is_real() || t.is_integral_number(), ctx.primitive(), " does not support element type ", t);

    if (kind == Kind::And || kind == Kind::Or) {
        OVJAX_CHECK(ctx, t.is_integral_number(), ctx.primitive(), " needs a boolean or integer operand, got ", t);
        size_t rows = static_cast<size_t>(numel(out_shape));
        size_t k = static_cast<size_t>(numel(shape)) / rows;
        return reshape(tree_reduce(flatten_axes(x, shape, axes), kind, rows, k), out_shape);
    }

    if (t.is_real()) {
        switch (kind) {
        case Kind::Sum:
            return std::make_shared<v1::ReduceSum>(x, ax, false)->output(0);
        case Kind::Prod:
            return std::make_shared<v1::ReduceProd>(x, ax, false)->output(0);
        default:
            return reduce_float_extreme(x, axes, kind == Kind::Max);
        }
    }

    // Integers.
    switch (kind) {
    case Kind::Sum: {
        // The last element of an inclusive CumSum (exact, wrapping); ReduceSum is not.
        auto at = arith_type(t);
        size_t rows = static_cast<size_t>(numel(out_shape));
        int64_t k = numel(shape) / static_cast<int64_t>(rows);
        auto flat = convert(flatten_axes(x, shape, axes), at);
        auto cs = make<v0::CumSum>(flat, const_scalar(ov::element::i64, 1));
        auto last = slice(cs, {k - 1}, {k}, {1}, {1});
        return convert(reshape(last, out_shape), t);
    }
    case Kind::Prod: {
        auto r = make<v1::ReduceProd>(convert(x, arith_type(t)), ax, false);
        return convert(r, t);
    }
    default: {
        auto flat = flatten_axes(x, shape, axes);
        auto tk = top1(flat, 1, kind == Kind::Max);
        return reshape(tk->output(0), out_shape);
    }
    }
}

namespace {
// `shape` without `axes` (normalised, checked by reduced_shape).
Dims reduced_dims(const Dims& shape, const std::vector<int64_t>& axes) {
    Dims r;
    for (size_t i = 0; i < shape.size(); ++i)
        if (std::find(axes.begin(), axes.end(), static_cast<int64_t>(i)) == axes.end())
            r.push_back(shape[i]);
    return r;
}

// flatten_axes with sizes known at run time: [prod(kept), prod(axes)].
Output<Node> flatten_axes(const NodeContext& ctx, const Output<Node>& x, const Dims& shape,
                          const std::vector<int64_t>& axes) {
    std::vector<int64_t> perm;
    Dims kept, red;
    for (size_t i = 0; i < shape.size(); ++i)
        if (std::find(axes.begin(), axes.end(), static_cast<int64_t>(i)) == axes.end()) {
            perm.push_back(static_cast<int64_t>(i));
            kept.push_back(shape[i]);
        }
    for (auto a : axes) {
        perm.push_back(a);
        red.push_back(shape[static_cast<size_t>(a)]);
    }
    auto& sh = ctx.shapes();
    auto target = make<v0::Concat>(ov::OutputVector{sh.product(kept), sh.product(red)}, 0);
    return make<v1::Reshape>(transpose(x, perm), target, false);
}

// reduce_values for operands with symbolic dimensions.
Output<Node> reduce_symbolic(const NodeContext& ctx, const Output<Node>& x, const Dims& shape,
                             const std::vector<int64_t>& axes, Kind kind) {
    const auto t = x.get_element_type();
    const Dims out = reduced_dims(shape, axes);
    if (axes.empty())
        return x;
    if (has_zero(out))
        return zeros(ctx, t, out);
    Dims reduced;
    for (auto a : axes)
        reduced.push_back(shape[static_cast<size_t>(a)]);
    if (has_zero(reduced))  // a reduction over nothing: the identity
        return make<ov::op::v3::Broadcast>(identity(kind, t), ctx.shape_of(out));
    auto ax = const_i64(axes);
    if (t == ov::element::boolean && kind != Kind::Xor) {
        if (kind == Kind::Max || kind == Kind::Or || kind == Kind::Sum)
            return make<v1::ReduceLogicalOr>(x, ax, false);
        return make<v1::ReduceLogicalAnd>(x, ax, false);
    }
    if (t.is_real()) {
        switch (kind) {
        case Kind::Sum:
            return make<v1::ReduceSum>(x, ax, false);
        case Kind::Prod:
            return make<v1::ReduceProd>(x, ax, false);
        case Kind::Max:
        case Kind::Min:
            return reduce_float_extreme(x, axes, kind == Kind::Max);
        default:
            break;
        }
    }
    OVJAX_CHECK(
        ctx,
        t.is_integral_number() && (kind == Kind::Sum || kind == Kind::Prod || kind == Kind::Max || kind == Kind::Min),
        ctx.primitive(), " of ", t, " over symbolic dimensions is not supported yet");
    if (kind == Kind::Prod)
        return convert(make<v1::ReduceProd>(convert(x, arith_type(t)), ax, false), t);
    auto flat = flatten_axes(ctx, x, shape, axes);
    if (kind == Kind::Sum) {  // the last element of an inclusive CumSum (exact, wrapping)
        auto cs = make<v0::CumSum>(convert(flat, arith_type(t)), const_scalar(ov::element::i64, 1));
        auto last = slice(cs, {-1}, {INT64_MAX}, {1}, {1});
        return convert(reshape(ctx, last, out), t);
    }
    return reshape(ctx, top1(flat, 1, kind == Kind::Max)->output(0), out);
}

ov::OutputVector reduce(const NodeContext& ctx, Kind kind) {
    if (!is_static(ctx.in_dims(0))) {
        const Dims shape = ctx.in_dims(0);
        auto axes = norm_axes(ctx.ints_param("axes"), shape.size());
        reduced_shape(ctx, ov::Shape(shape.size(), 1), axes);  // checks the axes
        const auto t = ctx.in_type(0);
        const bool native = t == ov::element::boolean
                                ? kind != Kind::Xor
                                : (t.is_real() || t.is_integral_number()) && (kind == Kind::Sum || kind == Kind::Prod ||
                                                                              kind == Kind::Max || kind == Kind::Min);
        if (!native && !axes.empty()) {  // bitwise and/or/xor of integers: per slice of the batch in front
            require_static_from(ctx, 0, static_cast<size_t>(*std::min_element(axes.begin(), axes.end())));
            return batch_map(ctx, symbolic_lead(shape), [kind](const NodeContext& c) { return reduce(c, kind); });
        }
        return {reduce_symbolic(ctx, ctx.get_input(0), shape, axes, kind)};
    }
    ov::Shape shape = ctx.in_shape(0);
    auto axes = norm_axes(ctx.ints_param("axes"), shape.size());
    return {reduce_values(ctx, ctx.get_input(0), shape, reduced_shape(ctx, shape, axes), axes, kind)};
}

}  // namespace

// ---- generic reductions with a jaxpr body

// The monoid of each result of a reduction body (param "jaxpr") over `n` operands: the body
// takes (acc_0..acc_{n-1}, x_0..x_{n-1}) and result i must be one add / mul / max / min /
// and / or / xor of acc_i and x_i (either order). Anything else is a clear error.
std::vector<Kind> body_monoids(const NodeContext& ctx, size_t n) {
    const auto& f = ctx.file();
    const auto& g = f.graph(ctx.param("jaxpr").as_graph());
    std::string prims;
    for (size_t e = 0; e < g.eqns.size(); ++e)
        prims += (e ? ", " : "") + std::string(f.string(g.eqns[e].primitive));
    auto unsupported = [&](const std::string& why) {
        ctx.fail(ctx.primitive() + ": the reduction body (" + (prims.empty() ? "no equations" : prims) +
                 ") is not a recognised monoid (" + why +
                 "); supported: add, mul, max, min, and, or, xor of (accumulator i, operand i) per result");
    };
    if (g.invars.size() < 2 * n || g.outvars.size() != n || g.eqns.size() != n)
        unsupported("expected one equation per result");
    const size_t base = g.invars.size() - 2 * n;  // a body's constants come first
    std::vector<Kind> kinds;
    for (size_t i = 0; i < n; ++i) {
        const auto& o = g.outvars[i];
        if (o.is_literal)
            unsupported("result " + std::to_string(i) + " is a literal");
        size_t e = 0;
        while (e < g.eqns.size() && !(g.eqns[e].n_out == 1 && g.eqns[e].out[0] == o.var))
            ++e;
        if (e == g.eqns.size() || g.eqns[e].n_in != 2)
            unsupported("result " + std::to_string(i) + " is not a binary operation");
        const auto& a = f.input(g, e, 0);
        const auto& b = f.input(g, e, 1);
        const int64_t acc = g.invars[base + i], x = g.invars[base + n + i];
        bool operands_ok =
            !a.is_literal && !b.is_literal && ((a.var == acc && b.var == x) || (a.var == x && b.var == acc));
        if (!operands_ok)
            unsupported("result " + std::to_string(i) + " does not combine accumulator " + std::to_string(i) +
                        " with operand " + std::to_string(i));
        std::string_view p = f.string(g.eqns[e].primitive);
        if (p == "add" || p == "add_any")
            kinds.push_back(Kind::Sum);
        else if (p == "mul")
            kinds.push_back(Kind::Prod);
        else if (p == "max")
            kinds.push_back(Kind::Max);
        else if (p == "min")
            kinds.push_back(Kind::Min);
        else if (p == "and")
            kinds.push_back(Kind::And);
        else if (p == "or")
            kinds.push_back(Kind::Or);
        else if (p == "xor")
            kinds.push_back(Kind::Xor);
        else
            unsupported("result " + std::to_string(i) + " uses '" + std::string(p) + "'");
    }
    return kinds;
}

// Booleans: sum is "or", product "and", max "or", min "and".
Kind bool_kind(Kind k) {
    switch (k) {
    case Kind::Sum:
    case Kind::Max:
        return Kind::Or;
    case Kind::Prod:
    case Kind::Min:
        return Kind::And;
    default:
        return k;
    }
}

// combine(kind, r, init) elementwise for `r` of shape `shape`, exactly: the pair is
// reduced as a [rows, 2] tensor with the reduction's own (exact) machinery.
Output<Node> fold_init(const NodeContext& ctx, const Output<Node>& r, const ov::Shape& shape, const Output<Node>& init,
                       Kind kind) {
    size_t rows = static_cast<size_t>(numel(shape));
    if (rows == 0)
        return r;
    ov::Shape col{rows, 1};
    auto pair = make<v0::Concat>(ov::OutputVector{reshape(r, col), fill(init, col)}, 1);
    return reshape(reduce_values(ctx, pair, ov::Shape{rows, 2}, ov::Shape{rows}, {1}, kind), shape);
}

namespace {
ov::OutputVector generic_reduce(const NodeContext& ctx) {
    const size_t n_in = ctx.get_input_size();
    OVJAX_CHECK(ctx, n_in % 2 == 0 && n_in > 0, "reduce takes operands and as many init values, got ", n_in, " inputs");
    const size_t n = n_in / 2;
    auto kinds = body_monoids(ctx, n);
    if (!is_static(ctx.in_dims(0))) {
        // the leading axes up to the last symbolic one pass through when none is reduced
        const auto reduced = ctx.ints_param("dimensions");
        const int64_t first = reduced.empty() ? static_cast<int64_t>(ctx.in_dims(0).size())  // nothing reduced
                                              : *std::min_element(reduced.begin(), reduced.end());
        require_static_from(ctx, 0, static_cast<size_t>(std::max<int64_t>(first, 0)));
        return batch_map(ctx, symbolic_lead(ctx.in_dims(0)), generic_reduce);
    }
    ov::OutputVector outs;
    for (size_t i = 0; i < n; ++i) {
        ov::Shape shape = ctx.in_shape(i);
        auto axes = norm_axes(ctx.ints_param("dimensions"), shape.size());
        const ov::Shape out_shape = reduced_shape(ctx, shape, axes);
        auto t = ctx.in_type(i);
        Kind kind = t == ov::element::boolean ? bool_kind(kinds[i]) : kinds[i];
        OVJAX_CHECK(ctx, ctx.in_type(n + i) == t, "reduce: init value ", i, " has type ", ctx.in_type(n + i),
                    ", operand ", t);
        if (axes.empty()) {  // XLA reduces nothing: the operand, without the init value
            outs.push_back(ctx.get_input(static_cast<int>(i)));
            continue;
        }
        // [kept, reduced] ++ the init value as one more reduced element.
        size_t rows = static_cast<size_t>(numel(out_shape));
        size_t k = rows ? static_cast<size_t>(numel(shape)) / rows : 0;
        if (rows == 0) {
            outs.push_back(const_fill(t, out_shape, 0));
            continue;
        }
        ov::OutputVector parts;
        if (k > 0)
            parts.push_back(flatten_axes(ctx.get_input(static_cast<int>(i)), shape, axes));
        parts.push_back(fill(ctx.get_input(static_cast<int>(n + i)), ov::Shape{rows, 1}));
        Output<Node> flat = concat(parts, 1);
        auto r = reduce_values(ctx, flat, ov::Shape{rows, k + 1}, ov::Shape{rows}, {1}, kind);
        outs.push_back(reshape(r, out_shape));
    }
    return outs;
}

ov::OutputVector argreduce(const NodeContext& ctx, bool max) {
    auto x = ctx.get_input(0);
    const Dims shape = ctx.in_dims(0);
    auto axes = norm_axes(ctx.ints_param("axes"), shape.size());
    OVJAX_CHECK(ctx, axes.size() == 1, ctx.primitive(), " reduces exactly one axis, got ", axes.size());
    int64_t axis = axes[0];
    reduced_shape(ctx, ov::Shape(shape.size(), 1), axes);  // checks the axis
    const Dims out_shape = reduced_dims(shape, axes);
    OVJAX_CHECK(ctx, shape[static_cast<size_t>(axis)] != 0, ctx.primitive(), " over an empty axis");
    const auto out_t = to_ov_type(ctx.dtype_param("index_dtype"));
    OVJAX_CHECK(ctx, out_t.is_integral_number() && out_t != ov::element::boolean, ctx.primitive(),
                ": index_dtype must be an integer type, got ", out_t);
    if (has_zero(out_shape))
        return {zeros(ctx, out_t, out_shape)};
    auto t = ctx.in_type(0);
    if (t == ov::element::boolean)
        x = convert(x, ov::element::u8);
    Output<Node> idx = top1(x, axis, max)->output(1);
    if (t.is_real()) {
        // JAX treats NaN as the extreme for both argmax and argmin: the first NaN wins.
        auto nan_mask = convert(is_nan(x), t);
        auto tn = top1(nan_mask, axis, true);
        auto has_nan = make<v1::Greater>(tn->output(0), const_scalar(t, 0));
        idx = select(has_nan, tn->output(1), idx);
    }
    return {reshape(ctx, convert(idx, out_t), out_shape)};
}

}  // namespace

ov::OutputVector translate_reduce_sum(const NodeContext& ctx) { return reduce(ctx, Kind::Sum); }
ov::OutputVector translate_reduce_max(const NodeContext& ctx) { return reduce(ctx, Kind::Max); }
ov::OutputVector translate_reduce_min(const NodeContext& ctx) { return reduce(ctx, Kind::Min); }
ov::OutputVector translate_reduce_prod(const NodeContext& ctx) { return reduce(ctx, Kind::Prod); }
ov::OutputVector translate_reduce_and(const NodeContext& ctx) { return reduce(ctx, Kind::And); }
ov::OutputVector translate_reduce_or(const NodeContext& ctx) { return reduce(ctx, Kind::Or); }
ov::OutputVector translate_argmax(const NodeContext& ctx) { return argreduce(ctx, true); }
ov::OutputVector translate_argmin(const NodeContext& ctx) { return argreduce(ctx, false); }

ov::OutputVector translate_reduce(const NodeContext& ctx) { return generic_reduce(ctx); }
ov::OutputVector translate_reduce_xor(const NodeContext& ctx) { return reduce(ctx, Kind::Xor); }

}  // namespace op
}  // namespace ovjax

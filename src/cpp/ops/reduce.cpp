// Reductions, arg-reductions, windowed reductions and cumulative reductions.
//
// Exactness notes (OpenVINO CPU plugin, checked on 2026.4):
//  * ReduceSum / ReduceMax / ReduceMin / MaxPool / comparisons on i32 run in f32, so values
//    beyond 2^24 are rounded and sums saturate; 8/16-bit Add / Multiply / ReduceSum /
//    ReduceProd saturate where JAX wraps.
//  * Add / Multiply / Maximum / Minimum / CumSum / ReduceProd / TopK on i32 are exact (and
//    Add / Multiply / CumSum wrap), and Convert between integer types wraps.
// So integer reductions are built from the exact ops: sums from CumSum, max/min from TopK,
// products from ReduceProd, all computed in i32 for 8/16-bit types and converted back.
//  * Pad with an i32 pad value beyond 2^24 stores a rounded value (INT32_MAX pads as INT32_MIN),
//    so padding here is Concat with constants.
//  * Float max/min (ReduceMax, MaxPool, Maximum, TopK) drop NaN depending on its position, and
//    ReduceMax / MaxPool of all -inf give -FLT_MAX (ReduceMin: +FLT_MAX). JAX propagates NaN and
//    returns the infinity, so both are put back from a reduced "class" tensor (see fix_float_extreme).
//  * TopK with stable=true keeps the first index on ties only with SORT_VALUES (not SORT_INDICES).
//  * The CPU plugin removes a Convert pair f32 -> bf16 -> f32, so rounding to a half type
//    inside a computation uses exact f32 arithmetic (round_significand).
// Generic `reduce` / `reduce_window` bodies are matched against the monoids above (plus xor);
// their init value is folded in as one more element of every reduction (XLA skips padding and
// base dilation holes in reduce_window). The pooling derivatives and the half-precision cumsum
// reproduce XLA's CPU evaluation order, ties and roundings included (see each function).
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

namespace ovjax {
namespace op {

using ov::Node;
using ov::Output;
namespace v0 = ov::op::v0;
namespace v1 = ov::op::v1;

namespace {

enum class Kind { Sum, Prod, Max, Min, And, Or, Xor };

bool is_int(const ov::element::Type& t) {
    return t.is_integral_number();
}

// The type in which integer Add / Multiply are exact and wrap like JAX on the CPU plugin
// (8/16-bit arithmetic saturates there). Convert back to the narrow type wraps.
ov::element::Type arith_type(const ov::element::Type& t) {
    if (is_int(t) && t.bitwidth() < 32)
        return ov::element::i32;
    return t;
}

// Lowest / highest value of `t` (-inf / +inf for floats) as a scalar constant.
Output<Node> lowest(const ov::element::Type& t) {
    return t.is_real() ? float_constant(t, ov::Shape{}, -INFINITY) : const_lowest(t);
}
Output<Node> highest(const ov::element::Type& t) {
    return t.is_real() ? float_constant(t, ov::Shape{}, INFINITY) : const_highest(t);
}

// The identity of `kind` as a scalar constant of type `t`.
Output<Node> identity(Kind kind, const ov::element::Type& t) {
    switch (kind) {
    case Kind::Sum:
        return const_scalar(t, 0);
    case Kind::Prod:
        return const_scalar(t, 1);
    case Kind::Max:
        return lowest(t);
    case Kind::Min:
        return highest(t);
    case Kind::Or:
    case Kind::Xor:
        return const_scalar(t, 0);
    case Kind::And:
        if (t == ov::element::boolean || !t.is_signed())
            return highest(t);  // true / all ones
        return const_scalar(t, -1);
    }
    throw TranslateError("bad reduction kind");
}

Output<Node> combine(Kind kind, const Output<Node>& a, const Output<Node>& b) {
    bool logical = a.get_element_type() == ov::element::boolean;
    switch (kind) {
    case Kind::Sum:
        return std::make_shared<v1::Add>(a, b);
    case Kind::Prod:
        return std::make_shared<v1::Multiply>(a, b);
    case Kind::Max:
        return std::make_shared<v1::Maximum>(a, b);
    case Kind::Min:
        return std::make_shared<v1::Minimum>(a, b);
    case Kind::And:
        if (logical)
            return std::make_shared<v1::LogicalAnd>(a, b);
        return std::make_shared<ov::op::v13::BitwiseAnd>(a, b);
    case Kind::Or:
        if (logical)
            return std::make_shared<v1::LogicalOr>(a, b);
        return std::make_shared<ov::op::v13::BitwiseOr>(a, b);
    case Kind::Xor:
        if (logical)
            return std::make_shared<v1::LogicalXor>(a, b);
        return std::make_shared<ov::op::v13::BitwiseXor>(a, b);
    }
    throw TranslateError("bad reduction kind");
}

// A constant of `shape` filled with the scalar constant `value`.
Output<Node> fill(const Output<Node>& value, const ov::Shape& shape) {
    std::vector<int64_t> s(shape.begin(), shape.end());
    return std::make_shared<ov::op::v3::Broadcast>(value, const_i64(s));
}

Output<Node> is_nan(const Output<Node>& x) {
    return std::make_shared<v1::NotEqual>(x, x);
}

// Where `mask` is true, NaN; elsewhere `y`.
Output<Node> where_nan(const Output<Node>& mask, const Output<Node>& y) {
    return std::make_shared<v1::Select>(mask, const_scalar(y.get_element_type(), NAN), y);
}

// Pad `x` (shape `shape`, updated) along `axis` with `lo` / `hi` copies of the scalar
// constant `value` (negative: crop) and `interior` copies between elements, using Concat.
Output<Node> concat_pad(Output<Node> x,
                        ov::Shape& shape,
                        const Output<Node>& value,
                        size_t axis,
                        int64_t lo,
                        int64_t hi,
                        int64_t interior = 0) {
    const int64_t ax = static_cast<int64_t>(axis);
    int64_t n = static_cast<int64_t>(shape[axis]);
    if (interior > 0 && n > 1) {
        // [.., n, ..] -> [.., n, 1, ..] ++ [.., n, interior, ..] -> [.., n * (interior + 1), ..] -> drop the tail
        ov::Shape s1 = shape, sf = shape, s2 = shape;
        s1.insert(s1.begin() + ax + 1, 1);
        sf.insert(sf.begin() + ax + 1, static_cast<size_t>(interior));
        s2[axis] = static_cast<size_t>(n * (interior + 1));
        Output<Node> y = std::make_shared<v0::Concat>(ov::OutputVector{reshape(x, s1), fill(value, sf)}, ax + 1);
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
    return std::make_shared<v0::Concat>(parts, ax);
}

// For a float max (min) reduction `r` of `x` computed by an op that drops NaN and returns
// -FLT_MAX (+FLT_MAX) when every element is -inf (+inf): classify elements as 0 = the
// infinity, 1 = ordinary, 2 = NaN; reduce the classes with `reduce_max` (the same reduction
// as r, exact on these small values), then put NaN and the infinity back.
template <typename F>
Output<Node> fix_float_extreme(const Output<Node>& x, const Output<Node>& r, bool max, F reduce_max) {
    auto t = x.get_element_type();
    auto inf = float_constant(t, ov::Shape{}, max ? -INFINITY : INFINITY);
    auto ordinary = convert(std::make_shared<v1::NotEqual>(x, inf), t);
    auto cls = std::make_shared<v1::Select>(is_nan(x), const_scalar(t, 2), ordinary);
    Output<Node> c = reduce_max(Output<Node>(cls));
    // c < 0: the window held only padding (pooled with a negative pad value)
    Output<Node> y = std::make_shared<v1::Select>(std::make_shared<v1::LessEqual>(c, const_scalar(t, 0)), inf, r);
    return where_nan(std::make_shared<v1::Greater>(c, const_scalar(t, 1)), y);
}

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
            return std::make_shared<v1::ReduceMax>(v, const_i64(axes), false);
        return std::make_shared<v1::ReduceMin>(v, const_i64(axes), false);
    };
    auto exact = [&](const Output<Node>& v) {
        return fix_float_extreme(v, reduce(v), max, [&](const Output<Node>& c) -> Output<Node> {
            return std::make_shared<v1::ReduceMax>(c, const_i64(axes), false);
        });
    };
    const auto t = x.get_element_type();
    // If inputs are plain-layout on the CPU plugin: a transposed x is likely a convolution's
    // output in a blocked layout (see window_reduce), which the If would copy.
    if (ov::shape_size(x.get_shape()) < kLazyExactMin || ov::is_type<v1::Transpose>(x.get_node()))
        return exact(x);
    Output<Node> s = std::make_shared<v1::ReduceSum>(x, const_i64(axes), false);
    Output<Node> r = reduce(x);
    Output<Node> unsure = std::make_shared<v1::LogicalOr>(
        std::make_shared<ov::op::v10::IsNaN>(s),
        max ? Output<Node>(std::make_shared<v1::LessEqual>(r, const_lowest(t)))
            : Output<Node>(std::make_shared<v1::LessEqual>(const_highest(t), r)));  // not GreaterEqual: see greater()
    if (const auto rank = r.get_shape().size(); rank > 0) {
        std::vector<int64_t> all(rank);
        std::iota(all.begin(), all.end(), 0);
        unsure = std::make_shared<v1::ReduceLogicalOr>(unsure, const_i64(all), false);
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

// TopK (k = 1) along `axis`: values and first index of the extreme (stable sort keeps ties in order).
std::shared_ptr<Node> top1(const Output<Node>& x, int64_t axis, bool max) {
    return std::make_shared<ov::op::v11::TopK>(x,
                                               v0::Constant::create(ov::element::i64, ov::Shape{}, {1}),
                                               axis,
                                               max ? ov::op::TopKMode::MAX : ov::op::TopKMode::MIN,
                                               ov::op::TopKSortType::SORT_VALUES,
                                               ov::element::i32,
                                               /*stable=*/true);
}

// Reduce `x` (shape `shape`) over the normalised `axes` to `out_shape` with `kind`.
Output<Node> reduce_values(const NodeContext& ctx,
                           const Output<Node>& x,
                           const ov::Shape& shape,
                           const ov::Shape& out_shape,
                           const std::vector<int64_t>& axes,
                           Kind kind) {
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
            OVJAX_CHECK(ctx, t == ov::element::boolean || is_int(t), ctx.primitive(),
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
    OVJAX_CHECK(ctx, t.is_real() || is_int(t), ctx.primitive(), " does not support element type ", t);

    if (kind == Kind::And || kind == Kind::Or) {
        OVJAX_CHECK(ctx, is_int(t), ctx.primitive(), " needs a boolean or integer operand, got ", t);
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
        auto cs = std::make_shared<v0::CumSum>(flat, const_scalar(ov::element::i64, 1));
        auto last = slice(cs, {k - 1}, {k}, {1}, {1});
        return convert(reshape(last, out_shape), t);
    }
    case Kind::Prod: {
        auto r = std::make_shared<v1::ReduceProd>(convert(x, arith_type(t)), ax, false);
        return convert(r, t);
    }
    default: {
        auto flat = flatten_axes(x, shape, axes);
        auto tk = top1(flat, 1, kind == Kind::Max);
        return reshape(tk->output(0), out_shape);
    }
    }
}

ov::OutputVector reduce(const NodeContext& ctx, Kind kind) {
    ov::Shape shape = ctx.in_shape(0);
    auto axes = norm_axes(ctx.ints_param("axes"), shape.size());
    return {reduce_values(ctx, ctx.get_input(0), shape, reduced_shape(ctx, shape, axes), axes, kind)};
}

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
        bool operands_ok = !a.is_literal && !b.is_literal &&
                           ((a.var == acc && b.var == x) || (a.var == x && b.var == acc));
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
Output<Node> fold_init(const NodeContext& ctx,
                       const Output<Node>& r,
                       const ov::Shape& shape,
                       const Output<Node>& init,
                       Kind kind) {
    size_t rows = static_cast<size_t>(numel(shape));
    if (rows == 0)
        return r;
    ov::Shape col{rows, 1};
    auto pair = std::make_shared<v0::Concat>(ov::OutputVector{reshape(r, col), fill(init, col)}, 1);
    return reshape(reduce_values(ctx, pair, ov::Shape{rows, 2}, ov::Shape{rows}, {1}, kind), shape);
}

ov::OutputVector generic_reduce(const NodeContext& ctx) {
    const size_t n_in = ctx.get_input_size();
    OVJAX_CHECK(ctx, n_in % 2 == 0 && n_in > 0, "reduce takes operands and as many init values, got ", n_in, " inputs");
    const size_t n = n_in / 2;
    auto kinds = body_monoids(ctx, n);
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
        Output<Node> flat = parts.size() == 1 ? parts[0] : std::make_shared<v0::Concat>(parts, 1)->output(0);
        auto r = reduce_values(ctx, flat, ov::Shape{rows, k + 1}, ov::Shape{rows}, {1}, kind);
        outs.push_back(reshape(r, out_shape));
    }
    return outs;
}

ov::OutputVector argreduce(const NodeContext& ctx, bool max) {
    auto x = ctx.get_input(0);
    ov::Shape shape = ctx.in_shape(0);
    auto axes = norm_axes(ctx.ints_param("axes"), shape.size());
    OVJAX_CHECK(ctx, axes.size() == 1, ctx.primitive(), " reduces exactly one axis, got ", axes.size());
    int64_t axis = axes[0];
    const ov::Shape out_shape = reduced_shape(ctx, shape, axes);
    OVJAX_CHECK(ctx, shape[static_cast<size_t>(axis)] > 0, ctx.primitive(), " over an empty axis");
    const auto out_t = to_ov_type(ctx.dtype_param("index_dtype"));
    OVJAX_CHECK(ctx, out_t.is_integral_number() && out_t != ov::element::boolean, ctx.primitive(),
                ": index_dtype must be an integer type, got ", out_t);
    if (numel(out_shape) == 0)
        return {const_fill(out_t, out_shape, 0)};
    auto t = ctx.in_type(0);
    if (t == ov::element::boolean)
        x = convert(x, ov::element::u8);
    Output<Node> idx = top1(x, axis, max)->output(1);
    if (t.is_real()) {
        // JAX treats NaN as the extreme for both argmax and argmin: the first NaN wins.
        auto nan_mask = convert(is_nan(x), t);
        auto tn = top1(nan_mask, axis, true);
        auto has_nan = std::make_shared<v1::Greater>(tn->output(0), const_scalar(t, 0));
        idx = std::make_shared<v1::Select>(has_nan, tn->output(1), idx);
    }
    return {reshape(convert(idx, out_t), out_shape)};
}

// ---- windows

// Exact windowed reduction along one axis of an already padded tensor: window `k`,
// dilation `d`, stride `s`. Log-depth doubling: W_{2m}(t) = op(W_m(t), W_m(t + m d)), and
// the window of size k combines the W_{2^b} of k's binary digits at increasing offsets.
Output<Node> window_1d(Output<Node> x, ov::Shape& shape, size_t axis, int64_t k, int64_t d, int64_t s, Kind kind) {
    const int64_t len = static_cast<int64_t>(shape[axis]);
    const int64_t n_out = (len - (k - 1) * d - 1) / s + 1;
    const int64_t ax = static_cast<int64_t>(axis);
    Output<Node> cur = x, acc;
    int64_t m = 1, off = 0;
    for (int64_t rest = k;;) {
        if (rest & 1) {
            auto part = slice(cur, {off * d}, {off * d + (n_out - 1) * s + 1}, {s}, {ax});
            acc = acc.get_node() ? combine(kind, acc, part) : part;
            off += m;
        }
        rest >>= 1;
        if (!rest)
            break;
        int64_t lm = len - (m - 1) * d;  // length of W_m
        cur = combine(kind, slice(cur, {0}, {lm - m * d}, {1}, {ax}), slice(cur, {m * d}, {lm}, {1}, {ax}));
        m *= 2;
    }
    shape[axis] = static_cast<size_t>(n_out);
    return acc;
}

struct Window {
    std::vector<int64_t> dims, strides, dilation;
};

// JAX's reduce_window_shape_tuple: the operand dilated by interior + 1 and padded, then
// the dilated windows at their strides.
ov::Shape windowed_shape(const ov::Shape& shape,
                         const std::vector<int64_t>& lo,
                         const std::vector<int64_t>& hi,
                         const std::vector<int64_t>& interior,
                         const Window& w) {
    ov::Shape out;
    for (size_t i = 0; i < shape.size(); ++i) {
        const int64_t padded =
            dim_add(dim_add(dilated_dim(static_cast<int64_t>(shape[i]), dim_add(interior[i], 1)), lo[i]), hi[i]);
        out.push_back(static_cast<size_t>(strided_dim(padded, dilated_dim(w.dims[i], w.dilation[i]), w.strides[i])));
    }
    return out;
}

// Reduce windows of a padded tensor (kind Sum or Max, or Min for integers). Floats go to
// MaxPool / AvgPool when at most three axes are windowed (and sums have no window dilation);
// everything else is separable exact 1-D passes.
Output<Node> window_reduce(Output<Node> x,
                           ov::Shape shape,
                           std::vector<int64_t> lo,
                           std::vector<int64_t> hi,
                           const Window& w,
                           Kind kind,
                           const Output<Node>& id,
                           bool nan_exact = false) {
    const size_t rank = shape.size();
    const auto t = x.get_element_type();
    std::vector<int64_t> win;  // windowed axes (window > 1)
    bool dilated = false;
    for (size_t i = 0; i < rank; ++i)
        if (w.dims[i] > 1) {
            win.push_back(static_cast<int64_t>(i));
            dilated = dilated || w.dilation[i] > 1;
        }
    bool pool = t.is_real() && win.size() <= 3 && (kind == Kind::Max || (kind == Kind::Sum && !dilated));
    // The pool pads natively (no copy of the input) when only windowed axes are padded, by
    // less than the window: AvgPool pads with zeros (the sum's identity); MaxPool's padding
    // never wins over a real element, and where the window holds no real element or only
    // -inf the caller's class pool puts back -inf (fix_float_extreme).
    bool native_pad = pool;
    for (size_t i = 0; i < rank; ++i)
        if (lo[i] != 0 || hi[i] != 0)
            native_pad = native_pad && w.dims[i] > 1 && lo[i] >= 0 && hi[i] >= 0 && lo[i] < w.dims[i] &&
                         hi[i] < w.dims[i];
    if (!native_pad) {
        for (size_t i = 0; i < rank; ++i) {
            x = concat_pad(x, shape, id, i, lo[i], hi[i]);
            lo[i] = hi[i] = 0;
        }
    }
    // Axes with window 1 and a stride are a strided slice.
    for (size_t i = 0; i < rank; ++i)
        if (w.dims[i] == 1 && w.strides[i] > 1) {
            int64_t n = static_cast<int64_t>(shape[i]);
            int64_t n_out = (n - 1) / w.strides[i] + 1;
            x = slice(x, {0}, {(n_out - 1) * w.strides[i] + 1}, {w.strides[i]}, {static_cast<int64_t>(i)});
            shape[i] = static_cast<size_t>(n_out);
        }
    if (win.empty())
        return x;

    if (!pool) {
        auto passes = [&](Output<Node> v) {
            ov::Shape s = shape;
            for (auto a : win) {
                size_t i = static_cast<size_t>(a);
                v = window_1d(v, s, i, w.dims[i], w.dilation[i], w.strides[i], kind);
            }
            return v;
        };
        if (nan_exact && t.is_real())
            return fix_float_extreme(x, passes(x), true, passes);
        return passes(x);
    }

    // [kept..., windowed...] -> [B, C, windowed...] -> pool -> back, where C is the last kept
    // axis and B the product of the others. For an NHWC pool this is the NCHW transpose with
    // no reshape, which the transpose sinking (layout.cpp) cancels against a neighbouring
    // convolution's, and the plugin pools channels-blocked.
    std::vector<int64_t> perm;
    std::vector<bool> is_win(rank, false);
    for (auto a : win)
        is_win[static_cast<size_t>(a)] = true;
    ov::Shape kept_shape, pooled_shape{1, 1};
    for (size_t i = 0; i < rank; ++i)
        if (!is_win[i]) {
            perm.push_back(static_cast<int64_t>(i));
            kept_shape.push_back(shape[i]);
        }
    for (size_t k = 0; k < kept_shape.size(); ++k)
        pooled_shape[k + 1 == kept_shape.size() ? 1 : 0] *= kept_shape[k];
    ov::Strides strides, dilations;
    ov::Shape kernel, pads_begin, pads_end;
    ov::Shape out_t_shape = kept_shape;
    size_t window_size = 1;
    for (auto a : win) {
        size_t i = static_cast<size_t>(a);
        perm.push_back(a);
        pooled_shape.push_back(shape[i]);
        strides.push_back(static_cast<size_t>(w.strides[i]));
        dilations.push_back(static_cast<size_t>(w.dilation[i]));
        kernel.push_back(static_cast<size_t>(w.dims[i]));
        pads_begin.push_back(static_cast<size_t>(lo[i]));
        pads_end.push_back(static_cast<size_t>(hi[i]));
        window_size *= static_cast<size_t>(w.dims[i]);
        int64_t n = static_cast<int64_t>(shape[i]) + lo[i] + hi[i];
        out_t_shape.push_back(static_cast<size_t>((n - (w.dims[i] - 1) * w.dilation[i] - 1) / w.strides[i] + 1));
    }
    auto sum_pool = [&](const Output<Node>& v) -> Output<Node> {
        auto avg = std::make_shared<ov::op::v14::AvgPool>(v, strides, pads_begin, pads_end, kernel,
                                                          /*exclude_pad=*/false, ov::op::RoundingType::FLOOR);
        return std::make_shared<v1::Multiply>(avg, const_scalar(t, static_cast<double>(window_size)));
    };
    auto max_pool = [&](const Output<Node>& v) -> Output<Node> {
        return std::make_shared<ov::op::v14::MaxPool>(v, strides, dilations, pads_begin, pads_end, kernel,
                                                      ov::op::RoundingType::FLOOR)
            ->output(0);
    };
    // The exact float max is taken in the pool layout (so transpose sinking can make the
    // pool's input a convolution's output) and always with fix_float_extreme's class pool:
    // reduce_float_extreme's If would take that input, and the CPU plugin reorders If inputs from
    // the convolutions' blocked layout to a plain one, a copy that costs more than the pool.
    Output<Node> y = reshape(transpose(x, perm), pooled_shape);
    if (kind == Kind::Sum)
        y = sum_pool(y);
    else if (nan_exact)
        y = fix_float_extreme(y, max_pool(y), true, max_pool);
    else
        y = max_pool(y);
    y = reshape(y, out_t_shape);
    std::vector<int64_t> inv(rank);
    for (size_t i = 0; i < rank; ++i)
        inv[static_cast<size_t>(perm[i])] = static_cast<int64_t>(i);
    return transpose(y, inv);
}

// Windowed reduction of operand `i` into result `i`. With `init`, XLA's (CPU) semantics:
// each window's reduction starts from `init` and covers only the operand's elements
// (padding and base dilation holes are skipped).
Output<Node> reduce_window_values(const NodeContext& ctx, size_t i_op, Output<Node> init, Kind kind) {
    auto x = ctx.get_input(static_cast<int>(i_op));
    ov::Shape shape = ctx.in_shape(i_op);
    const size_t rank = shape.size();
    auto t = ctx.in_type(i_op);
    if (t == ov::element::boolean)
        kind = bool_kind(kind);
    Window w;
    w.dims = ctx.ints_param("window_dimensions");
    w.strides = ctx.ints_param("window_strides");
    w.dilation = ctx.ints_param("window_dilation");
    auto base = ctx.ints_param("base_dilation");
    auto padding = ctx.param("padding");
    OVJAX_CHECK(ctx, w.dims.size() == rank && w.strides.size() == rank && w.dilation.size() == rank &&
                         base.size() == rank && padding.size() == rank,
                ctx.primitive(), ": window parameters do not match the operand rank ", rank);
    std::vector<int64_t> lo, hi, interior;
    for (size_t i = 0; i < rank; ++i) {
        auto p = padding.item(i).as_ints();
        OVJAX_CHECK(ctx, p.size() == 2, "padding entries are (lo, hi)");
        OVJAX_CHECK(ctx, w.dims[i] >= 1 && w.strides[i] >= 1 && w.dilation[i] >= 1 && base[i] >= 1,
                    ctx.primitive(), ": window sizes, strides and dilations must be positive");
        lo.push_back(p[0]);
        hi.push_back(p[1]);
        interior.push_back(base[i] - 1);
    }
    const ov::Shape out_shape = windowed_shape(shape, lo, hi, interior, w);
    if (numel(out_shape) == 0)
        return const_fill(t, out_shape, 0);

    // Work type: booleans as u8 (max = or, min = and), integer sums in i32 (wrapping like JAX).
    auto wt = t;
    if (t == ov::element::boolean)
        wt = ov::element::u8;
    else if (kind == Kind::Sum || kind == Kind::Prod)
        wt = arith_type(t);
    OVJAX_CHECK(ctx, wt.is_real() || is_int(wt), ctx.primitive(), " does not support element type ", t);
    x = convert(x, wt);
    if (init.get_node())
        init = convert(init, wt);
    // Float min(x) = -max(-x) (exact), so floats only need MaxPool.
    bool negate = wt.is_real() && kind == Kind::Min;
    if (negate) {
        x = std::make_shared<v0::Negative>(x);
        if (init.get_node())
            init = std::make_shared<v0::Negative>(init);
        kind = Kind::Max;
    }

    // Base dilation and padding with the identity, then windows over the padded tensor
    // (XLA skips padding and dilation holes, so they never see a non-identity init value).
    // The edge padding goes to window_reduce, which pools with it natively when it can.
    auto id = identity(kind, wt);
    ov::Shape dilated = shape;
    for (size_t i = 0; i < rank; ++i)
        x = concat_pad(x, dilated, id, i, 0, 0, interior[i]);
    bool empty = false;
    for (size_t i = 0; i < rank; ++i)
        empty = empty || static_cast<int64_t>(dilated[i]) + lo[i] + hi[i] <= 0;
    Output<Node> y;
    if (empty) {
        y = fill(id, out_shape);
    } else {
        // float max: NaN and all -inf windows as JAX has them (fix_float_extreme, in the pool layout)
        y = window_reduce(x, dilated, lo, hi, w, kind, id, wt.is_real() && kind == Kind::Max);
    }
    if (init.get_node())
        y = fold_init(ctx, reshape(y, out_shape), out_shape, init, kind);
    if (negate)
        y = std::make_shared<v0::Negative>(y);
    y = reshape(y, out_shape);
    if (t == ov::element::boolean)
        return std::make_shared<v1::NotEqual>(y, const_scalar(wt, 0))->output(0);
    return convert(y, t);
}

ov::OutputVector reduce_window(const NodeContext& ctx, Kind kind) {
    return {reduce_window_values(ctx, 0, Output<Node>(), kind)};
}

ov::OutputVector generic_reduce_window(const NodeContext& ctx) {
    const size_t n_in = ctx.get_input_size();
    OVJAX_CHECK(ctx, n_in % 2 == 0 && n_in > 0, "reduce_window takes operands and as many init values, got ", n_in,
                " inputs");
    const size_t n = n_in / 2;
    auto kinds = body_monoids(ctx, n);
    ov::OutputVector outs;
    for (size_t i = 0; i < n; ++i)
        outs.push_back(reduce_window_values(ctx, i, ctx.get_input(static_cast<int>(n + i)), kinds[i]));
    return outs;
}

// ---- select_and_gather_add / select_and_scatter_add (max / min pooling derivatives)

// Stack the element at every window position of every window of a padded tensor (shape
// `padded`) along a new last axis: [out..., P]. Positions are enumerated with the window
// axes nested as in `nest` (outermost first; default: row-major).
Output<Node> window_taps(const Output<Node>& x,
                         const ov::Shape& padded,
                         const ov::Shape& out,
                         const Window& w,
                         std::vector<std::vector<int64_t>>* offsets = nullptr,
                         std::vector<size_t> nest = {}) {
    const size_t rank = padded.size();
    std::vector<int64_t> axes(rank), pos(rank, 0);
    std::iota(axes.begin(), axes.end(), 0);
    if (nest.empty()) {
        nest.resize(rank);
        std::iota(nest.begin(), nest.end(), 0);
    }
    ov::Shape col = out;
    col.push_back(1);
    ov::OutputVector taps;
    while (true) {
        std::vector<int64_t> start(rank), stop(rank), step(rank);
        for (size_t i = 0; i < rank; ++i) {
            start[i] = pos[i] * w.dilation[i];
            stop[i] = start[i] + (static_cast<int64_t>(out[i]) - 1) * w.strides[i] + 1;
            step[i] = w.strides[i];
        }
        taps.push_back(reshape(rank ? slice(x, start, stop, step, axes) : x, col));
        if (offsets)
            offsets->push_back(start);
        size_t i = rank;
        while (i > 0 && ++pos[nest[i - 1]] == w.dims[nest[i - 1]]) {
            pos[nest[i - 1]] = 0;
            --i;
        }
        if (i == 0)
            break;
    }
    if (taps.size() == 1)
        return taps[0];
    return std::make_shared<v0::Concat>(taps, static_cast<int64_t>(rank));
}

// A key that TopK orders like JAX orders `x`: floats as f32, integers and booleans as i32
// (exact in TopK; like the CPU plugin, u32 values from 2^31 order as negative).
Output<Node> order_key(const Output<Node>& x) {
    auto t = x.get_element_type();
    if (t.is_real())
        return convert(x, ov::element::f32);
    if (t == ov::element::boolean)
        return convert(convert(x, ov::element::u8), ov::element::i32);
    return convert(x, ov::element::i32);
}

struct SelectWindow {
    Window w;
    std::vector<int64_t> lo, hi, interior;
    bool ge;
};

SelectWindow select_window_params(const NodeContext& ctx, size_t rank, bool dilations) {
    SelectWindow s;
    s.w.dims = ctx.ints_param("window_dimensions");
    s.w.strides = ctx.ints_param("window_strides");
    s.w.dilation = dilations ? ctx.ints_param("window_dilation") : std::vector<int64_t>(rank, 1);
    auto base = dilations ? ctx.ints_param("base_dilation") : std::vector<int64_t>(rank, 1);
    auto padding = ctx.param("padding");
    OVJAX_CHECK(ctx, s.w.dims.size() == rank && s.w.strides.size() == rank && s.w.dilation.size() == rank &&
                         base.size() == rank && padding.size() == rank,
                ctx.primitive(), ": window parameters do not match the operand rank ", rank);
    for (size_t i = 0; i < rank; ++i) {
        auto p = padding.item(i).as_ints();
        OVJAX_CHECK(ctx, p.size() == 2, "padding entries are (lo, hi)");
        OVJAX_CHECK(ctx, s.w.dims[i] >= 1 && s.w.strides[i] >= 1 && s.w.dilation[i] >= 1 && base[i] >= 1,
                    ctx.primitive(), ": window sizes, strides and dilations must be positive");
        OVJAX_CHECK(ctx, p[0] >= 0 && p[1] >= 0, ctx.primitive(), ": negative padding is not supported");
        s.lo.push_back(p[0]);
        s.hi.push_back(p[1]);
        s.interior.push_back(base[i] - 1);
    }
    auto sel = ctx.param("select_prim");
    const bool is_str = sel.tag() == format::ValueTag::string;
    OVJAX_CHECK(ctx, is_str && (sel.as_string() == "ge" || sel.as_string() == "le"), ctx.primitive(),
                ": select_prim must be ge or le, got ", sel.describe());
    s.ge = sel.as_string() == "ge";
    return s;
}

// JAX lowers select_and_gather_add to a reduce_window over (operand, tangent) pairs from
// (-inf, 0) (ge; +inf for le), keeping the accumulator when select(acc, x) holds: the
// tangent at the first window position holding the window's extreme, or 0 when that
// extreme equals the init value (padding included).
ov::OutputVector select_gather_add(const NodeContext& ctx) {
    auto tangents = ctx.get_input(0);
    auto operand = ctx.get_input(1);
    ov::Shape shape = ctx.in_shape(1);
    const size_t rank = shape.size();
    auto t = ctx.in_type(1);
    auto s = select_window_params(ctx, rank, true);
    OVJAX_CHECK(ctx, ctx.in_shape(0) == shape && ctx.in_type(0) == t, "tangents ", ctx.in_type(0), ctx.in_shape(0),
                " differ from the operand ", t, shape);
    const ov::Shape out_shape = windowed_shape(shape, s.lo, s.hi, s.interior, s.w);
    if (numel(out_shape) == 0)
        return {const_fill(t, out_shape, 0)};
    auto key = order_key(operand);
    auto kt = key.get_element_type();
    Output<Node> init = kt.is_real() ? (s.ge ? lowest(kt) : highest(kt))
                                     : order_key(s.ge ? const_lowest(t) : const_highest(t));
    auto zero = const_scalar(t, 0);
    ov::Shape pk = shape, pv = shape;
    for (size_t i = 0; i < rank; ++i) {
        key = concat_pad(key, pk, init, i, s.lo[i], s.hi[i], s.interior[i]);
        tangents = concat_pad(tangents, pv, zero, i, s.lo[i], s.hi[i], s.interior[i]);
    }
    // On ties XLA's CPU reduce_window keeps the first position in row-major window order,
    // except that the last padded axis with a window of 2 is the outermost loop (observed
    // with jax 0.10 / XLA CPU on many shapes; with window dilation and padding, ties can
    // still resolve differently).
    std::vector<size_t> nest;
    for (size_t i = rank; i-- > 0;)
        if ((s.lo[i] != 0 || s.hi[i] != 0) && s.w.dims[i] == 2) {
            nest.push_back(i);
            break;
        }
    for (size_t i = 0; i < rank; ++i)
        if (nest.empty() || nest[0] != i)
            nest.push_back(i);
    auto keys = window_taps(key, pk, out_shape, s.w, nullptr, nest);
    auto vals = window_taps(tangents, pv, out_shape, s.w, nullptr, nest);
    auto tk = top1(keys, static_cast<int64_t>(rank), s.ge);
    Output<Node> picked = std::make_shared<ov::op::v6::GatherElements>(vals, tk->output(1), static_cast<int64_t>(rank));
    picked = reshape(picked, out_shape);
    auto is_init = std::make_shared<v1::Equal>(reshape(tk->output(0), out_shape), init);
    return {std::make_shared<v1::Select>(is_init, fill(zero, out_shape), picked)->output(0)};
}

// XLA's SelectAndScatter scans a window keeping the selected element while select(sel, x)
// (ge / le) holds, and a comparison with NaN is false either way: a NaN is taken, then
// replaced by the element after it. So the selection is the first extreme among the
// elements after the window's last NaN, or that NaN when it comes last. `idx` is the plain
// first extreme of `keys` (taps along `axis`); this is the same with NaNs accounted for.
Output<Node> nan_aware_selection(const Output<Node>& keys, int64_t axis, bool ge, const Output<Node>& idx) {
    auto f32 = ov::element::f32;
    auto nan = is_nan(keys);
    auto ax = v0::Constant::create(ov::element::i64, ov::Shape{}, {axis});
    // NaNs strictly after each position
    auto later = std::make_shared<v0::CumSum>(convert(nan, f32), ax, /*exclusive=*/true, /*reverse=*/true);
    auto eligible = std::make_shared<v1::LogicalAnd>(std::make_shared<v1::Equal>(later, const_scalar(f32, 0)),
                                                     std::make_shared<v1::LogicalNot>(nan));
    const auto t = keys.get_element_type();
    Output<Node> weakest = ge ? const_lowest(t) : const_highest(t);
    auto best = top1(std::make_shared<v1::Select>(eligible, keys, weakest), axis, ge)->output(0);
    // the first eligible position holding the extreme (ties with excluded positions aside)
    auto match = std::make_shared<v1::LogicalAnd>(eligible, std::make_shared<v1::Equal>(keys, best));
    Output<Node> first = top1(convert(match, f32), axis, true)->output(1);
    const auto taps = static_cast<double>(keys.get_shape()[static_cast<size_t>(axis)]);
    auto some = std::make_shared<v1::ReduceLogicalOr>(eligible, ax, true);
    first = std::make_shared<v1::Select>(some, first, const_scalar(ov::element::i32, taps - 1));
    auto any_nan = std::make_shared<v1::ReduceLogicalOr>(nan, ax, true);
    return std::make_shared<v1::Select>(any_nan, first, idx);
}

// XLA's SelectAndScatter: in each window, the first position (row-major) holding the window's
// extreme (select(acc, x) keeps the accumulator on ties); the source value is added there.
ov::OutputVector select_scatter_add(const NodeContext& ctx) {
    auto source = ctx.get_input(0);
    auto operand = ctx.get_input(1);
    ov::Shape shape = ctx.in_shape(1);
    const size_t rank = shape.size();
    auto t = ctx.in_type(0);
    ov::Shape src_shape = ctx.in_shape(0);
    auto s = select_window_params(ctx, rank, false);
    OVJAX_CHECK(ctx, src_shape == windowed_shape(shape, s.lo, s.hi, s.interior, s.w), "source shape ", src_shape,
                " is not the operand's windowed shape ", windowed_shape(shape, s.lo, s.hi, s.interior, s.w));
    if (numel(shape) == 0 || numel(src_shape) == 0)
        return {const_fill(t, shape, 0)};
    // XLA pads the operand with the type's lowest (ge) / highest (le) value, and padding can
    // be selected like any element (the source value then drops out).
    auto key = order_key(operand);
    auto ot = ctx.in_type(1);
    Output<Node> weakest = order_key(s.ge ? lowest(ot) : highest(ot));
    if (ot == ov::element::u32 || ot == ov::element::u64)  // keys order as i32
        weakest = s.ge ? const_scalar(ov::element::i32, 0) : const_highest(ov::element::i32);
    ov::Shape pk = shape;
    for (size_t i = 0; i < rank; ++i)
        key = concat_pad(key, pk, weakest, i, s.lo[i], s.hi[i], 0);
    std::vector<std::vector<int64_t>> offsets;
    auto keys = window_taps(key, pk, src_shape, s.w, &offsets);
    const auto tap_axis = static_cast<int64_t>(rank);
    Output<Node> idx = top1(keys, tap_axis, s.ge)->output(1);
    if (key.get_element_type().is_real())
        idx = nan_aware_selection(keys, tap_axis, s.ge, idx);
    // Scatter: for every window position p, the source values of the windows that picked p
    // land at window start * stride + offset_p of the padded operand.
    auto wt = arith_type(t == ov::element::boolean ? ov::element::u8 : t);
    auto src = convert(source, wt);
    auto zero = const_scalar(wt, 0);
    Output<Node> acc;
    auto idx_r = reshape(idx, src_shape);
    for (size_t p = 0; p < offsets.size(); ++p) {
        auto hit = std::make_shared<v1::Equal>(idx_r, const_scalar(ov::element::i32, static_cast<double>(p)));
        Output<Node> part = std::make_shared<v1::Select>(hit, src, zero);
        std::vector<int64_t> lo(rank), hi(rank), in(rank);
        for (size_t i = 0; i < rank; ++i) {
            int64_t n_src = static_cast<int64_t>(src_shape[i]);
            int64_t span = n_src > 0 ? (n_src - 1) * s.w.strides[i] + 1 : 0;
            lo[i] = offsets[p][i] - s.lo[i];
            hi[i] = static_cast<int64_t>(pk[i]) - offsets[p][i] - span - s.hi[i];
            in[i] = s.w.strides[i] - 1;
        }
        part = pad(part, zero, lo, hi, in);
        acc = acc.get_node() ? std::make_shared<v1::Add>(acc, part)->output(0) : part;
    }
    if (t == ov::element::boolean)
        return {std::make_shared<v1::NotEqual>(acc, zero)->output(0)};
    return {convert(acc, t)};
}

// ---- cumulative

// Inclusive scan with a log-step (Hillis-Steele) scheme: y = op(y, y shifted by s along the
// axis, identity shifted in), s = 1, 2, 4, ...
Output<Node> scan(Output<Node> y, const ov::Shape& shape, size_t axis, bool reverse, Kind kind) {
    const int64_t n = static_cast<int64_t>(shape[axis]);
    auto id = identity(kind, y.get_element_type());
    for (int64_t s = 1; s < n; s *= 2) {
        ov::Shape sh = shape;
        y = combine(kind, y, reverse ? concat_pad(y, sh, id, axis, -s, s) : concat_pad(y, sh, id, axis, s, -s));
    }
    return y;
}

// Inclusive sum of f32 `x` along `axis`, rounding to `bits` significant bits after every
// addition, in order.
Output<Node> sequential_sum(const Output<Node>& x, const ov::Shape& shape, size_t axis, int bits) {
    const int64_t n = static_cast<int64_t>(shape[axis]);
    const int64_t ax = static_cast<int64_t>(axis);
    ov::OutputVector parts;
    Output<Node> acc;
    for (int64_t i = 0; i < n; ++i) {
        auto xi = slice(x, {i}, {i + 1}, {1}, {ax});
        acc = i == 0 ? xi : round_significand(std::make_shared<v1::Add>(acc, xi), bits);
        parts.push_back(acc);
    }
    return n == 1 ? acc : std::make_shared<v0::Concat>(parts, ax)->output(0);
}

// Reverse inclusive sums of f32 `x` along `axis` as a reduce_window computes them: element i
// folds x[i], x[i + 1], ... in increasing order, rounding to `bits` significant bits after
// every addition (O(n^2) additions; n is at most one block here).
Output<Node> suffix_folds(const Output<Node>& x, const ov::Shape& shape, size_t axis, int bits) {
    const int64_t n = static_cast<int64_t>(shape[axis]);
    const int64_t ax = static_cast<int64_t>(axis);
    std::vector<Output<Node>> xs;
    for (int64_t i = 0; i < n; ++i)
        xs.push_back(slice(x, {i}, {i + 1}, {1}, {ax}));
    ov::OutputVector parts;
    for (int64_t i = 0; i < n; ++i) {
        Output<Node> acc = xs[static_cast<size_t>(i)];
        for (int64_t k = i + 1; k < n; ++k)
            acc = round_significand(std::make_shared<v1::Add>(acc, xs[static_cast<size_t>(k)]), bits);
        parts.push_back(acc);
    }
    return n == 1 ? parts[0] : std::make_shared<v0::Concat>(parts, ax)->output(0);
}

// JAX's CPU cumsum of f16 / bf16 is a reduce_window that XLA rewrites into a two-level scan
// over blocks of 16 (aligned at the start, also when reversed): rounded sums within each
// block (forward: a sequential scan; reverse: each element's own fold in increasing order),
// a scan of the block totals (recursively), then each block's exclusive prefix (suffix)
// added to its sums and rounded. The same here, on f32 `x` of shape [A, n, C] along axis 1.
constexpr int64_t kScanBlock = 16;

Output<Node> half_scan(Output<Node> x, size_t A, int64_t n, size_t C, bool reverse, int bits) {
    auto block = [&](const Output<Node>& v, const ov::Shape& sh) {
        return reverse ? suffix_folds(v, sh, 1, bits) : sequential_sum(v, sh, 1, bits);
    };
    if (n <= kScanBlock)
        return block(x, ov::Shape{A, static_cast<size_t>(n), C});
    const auto f32 = ov::element::f32;
    const int64_t nb = (n + kScanBlock - 1) / kScanBlock;
    ov::Shape s{A, static_cast<size_t>(n), C};
    x = concat_pad(x, s, const_scalar(f32, 0), 1, 0, nb * kScanBlock - n);
    const size_t rows = A * static_cast<size_t>(nb);
    const ov::Shape bs{rows, static_cast<size_t>(kScanBlock), C};
    auto inner = block(reshape(x, bs), bs);
    const int64_t total_at = reverse ? 0 : kScanBlock - 1;
    auto totals = reshape(slice(inner, {total_at}, {total_at + 1}, {1}, {1}), ov::Shape{A, static_cast<size_t>(nb), C});
    auto prefix = half_scan(totals, A, nb, C, reverse, bits);
    ov::Shape ps{A, static_cast<size_t>(nb), C};
    auto outside = reverse ? concat_pad(prefix, ps, const_scalar(f32, 0), 1, -1, 1)
                           : concat_pad(prefix, ps, const_scalar(f32, 0), 1, 1, -1);
    auto y = round_significand(std::make_shared<v1::Add>(inner, reshape(outside, ov::Shape{rows, 1, C})), bits);
    y = reshape(y, ov::Shape{A, static_cast<size_t>(nb * kScanBlock), C});
    return slice(y, {0}, {n}, {1}, {1});
}

// cumsum of a f16 / bf16 tensor as JAX computes it on CPU (see half_scan).
Output<Node> half_cumsum(const Output<Node>& x, const ov::Shape& shape, size_t axis, bool reverse, int bits) {
    size_t A = 1, C = 1;
    for (size_t i = 0; i < axis; ++i)
        A *= shape[i];
    for (size_t i = axis + 1; i < shape.size(); ++i)
        C *= shape[i];
    const int64_t n = static_cast<int64_t>(shape[axis]);
    Output<Node> y = reshape(convert(x, ov::element::f32), ov::Shape{A, static_cast<size_t>(n), C});
    return reshape(half_scan(y, A, n, C, reverse, bits), shape);
}

// log(exp(a) + exp(b)) without overflow: max(a, b) + log(1 + exp(-|a - b|)); equal
// operands (infinities included) give max + log 2, NaN propagates.
Output<Node> logaddexp(const Output<Node>& a, const Output<Node>& b) {
    auto t = a.get_element_type();
    auto m = std::make_shared<v1::Maximum>(a, b);
    Output<Node> d = std::make_shared<v0::Negative>(std::make_shared<v0::Abs>(std::make_shared<v1::Subtract>(a, b)));
    d = std::make_shared<v1::Select>(std::make_shared<v1::Equal>(a, b), const_scalar(t, 0), d);
    auto l = std::make_shared<v0::Log>(std::make_shared<v1::Add>(const_scalar(t, 1), std::make_shared<v0::Exp>(d)));
    Output<Node> r = std::make_shared<v1::Add>(m, l);
    auto nan = std::make_shared<v1::LogicalOr>(is_nan(a), is_nan(b));
    return std::make_shared<v1::Select>(nan, std::make_shared<v1::Add>(a, b), r);
}

ov::OutputVector cumlogsumexp(const NodeContext& ctx) {
    auto x = ctx.get_input(0);
    ov::Shape shape = ctx.in_shape(0);
    auto t = ctx.in_type(0);
    OVJAX_CHECK(ctx, t.is_real(), "cumlogsumexp needs a floating-point operand, got ", t);
    int64_t axis = ctx.int_param("axis");
    if (axis < 0)
        axis += static_cast<int64_t>(shape.size());
    OVJAX_CHECK(ctx, axis >= 0 && static_cast<size_t>(axis) < shape.size(), "bad axis ", axis);
    bool reverse = ctx.bool_param("reverse");
    const size_t ax = static_cast<size_t>(axis);
    if (numel(shape) == 0 || shape[ax] <= 1)
        return {x};
    // Hillis-Steele scan of logaddexp in f32 (log-depth, -inf shifted in).
    const auto wt = t == ov::element::f64 ? t : ov::element::f32;
    Output<Node> y = convert(x, wt);
    const int64_t n = static_cast<int64_t>(shape[ax]);
    auto id = lowest(wt);
    for (int64_t s = 1; s < n; s *= 2) {
        ov::Shape sh = shape;
        y = logaddexp(y, reverse ? concat_pad(y, sh, id, ax, -s, s) : concat_pad(y, sh, id, ax, s, -s));
    }
    return {convert(y, t)};
}

ov::OutputVector cumulative(const NodeContext& ctx, Kind kind) {
    auto x = ctx.get_input(0);
    ov::Shape shape = ctx.in_shape(0);
    auto t = ctx.in_type(0);
    int64_t axis = ctx.int_param("axis");
    if (axis < 0)
        axis += static_cast<int64_t>(shape.size());
    OVJAX_CHECK(ctx, axis >= 0 && static_cast<size_t>(axis) < shape.size(), "bad axis ", axis);
    bool reverse = ctx.bool_param("reverse");
    if (numel(shape) == 0 || shape[static_cast<size_t>(axis)] <= 1)
        return {x};
    OVJAX_CHECK(ctx, t.is_real() || is_int(t) || t == ov::element::boolean, ctx.primitive(),
                " does not support element type ", t);

    // Work type: booleans as u8; integer sums and products in i32 (wrapping like JAX).
    auto wt = t;
    if (t == ov::element::boolean)
        wt = ov::element::u8;
    else if (kind == Kind::Sum || kind == Kind::Prod)
        wt = arith_type(t);
    auto xw = convert(x, wt);

    Output<Node> y;
    const bool half = t == ov::element::f16 || t == ov::element::bf16;
    if (kind == Kind::Sum && half)
        y = half_cumsum(x, shape, static_cast<size_t>(axis), reverse, t == ov::element::bf16 ? 8 : 11);
    else if (kind == Kind::Sum)
        y = std::make_shared<v0::CumSum>(xw, const_scalar(ov::element::i64, static_cast<double>(axis)),
                                         /*exclusive=*/false, reverse);
    else
        y = scan(xw, shape, static_cast<size_t>(axis), reverse, kind);

    if (wt.is_real() && (kind == Kind::Max || kind == Kind::Min)) {
        // NaN propagates to everything after it (in scan order).
        auto nan_count = std::make_shared<v0::CumSum>(convert(is_nan(xw), ov::element::f32),
                                                      const_scalar(ov::element::i64, static_cast<double>(axis)),
                                                      false, reverse);
        y = where_nan(std::make_shared<v1::Greater>(nan_count, const_scalar(ov::element::f32, 0)), y);
    }
    if (t == ov::element::boolean)
        return {std::make_shared<v1::NotEqual>(y, const_scalar(wt, 0))->output(0)};
    return {convert(y, t)};
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

ov::OutputVector translate_reduce_window_sum(const NodeContext& ctx) { return reduce_window(ctx, Kind::Sum); }
ov::OutputVector translate_reduce_window_max(const NodeContext& ctx) { return reduce_window(ctx, Kind::Max); }
ov::OutputVector translate_reduce_window_min(const NodeContext& ctx) { return reduce_window(ctx, Kind::Min); }

ov::OutputVector translate_cumsum(const NodeContext& ctx) { return cumulative(ctx, Kind::Sum); }
ov::OutputVector translate_cumprod(const NodeContext& ctx) { return cumulative(ctx, Kind::Prod); }
ov::OutputVector translate_cummax(const NodeContext& ctx) { return cumulative(ctx, Kind::Max); }
ov::OutputVector translate_cummin(const NodeContext& ctx) { return cumulative(ctx, Kind::Min); }
ov::OutputVector translate_cumlogsumexp(const NodeContext& ctx) { return cumlogsumexp(ctx); }

ov::OutputVector translate_reduce(const NodeContext& ctx) { return generic_reduce(ctx); }
ov::OutputVector translate_reduce_xor(const NodeContext& ctx) { return reduce(ctx, Kind::Xor); }
ov::OutputVector translate_reduce_window(const NodeContext& ctx) { return generic_reduce_window(ctx); }
ov::OutputVector translate_select_and_gather_add(const NodeContext& ctx) {
    return select_gather_add(ctx);
}
ov::OutputVector translate_select_and_scatter_add(const NodeContext& ctx) {
    return select_scatter_add(ctx);
}

}  // namespace op
}  // namespace ovjax

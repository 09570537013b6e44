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
#include <cmath>
#include <numeric>

#include "openvino/op/add.hpp"
#include "openvino/op/avg_pool.hpp"
#include "openvino/op/bitwise_and.hpp"
#include "openvino/op/bitwise_or.hpp"
#include "openvino/op/broadcast.hpp"
#include "openvino/op/concat.hpp"
#include "openvino/op/cum_sum.hpp"
#include "openvino/op/equal.hpp"
#include "openvino/op/greater.hpp"
#include "openvino/op/logical_and.hpp"
#include "openvino/op/logical_or.hpp"
#include "openvino/op/max_pool.hpp"
#include "openvino/op/maximum.hpp"
#include "openvino/op/minimum.hpp"
#include "openvino/op/multiply.hpp"
#include "openvino/op/negative.hpp"
#include "openvino/op/not_equal.hpp"
#include "openvino/op/reduce_logical_and.hpp"
#include "openvino/op/reduce_logical_or.hpp"
#include "openvino/op/reduce_max.hpp"
#include "openvino/op/reduce_min.hpp"
#include "openvino/op/reduce_prod.hpp"
#include "openvino/op/reduce_sum.hpp"
#include "openvino/op/select.hpp"
#include "openvino/op/topk.hpp"
#include "ops/ops.hpp"
#include "ops/utils.hpp"

namespace ovjax {
namespace op {

using ov::Node;
using ov::Output;
namespace v0 = ov::op::v0;
namespace v1 = ov::op::v1;

namespace {

enum class Kind { Sum, Prod, Max, Min, And, Or };

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
    Output<Node> y = std::make_shared<v1::Select>(std::make_shared<v1::Equal>(c, const_scalar(t, 0)), inf, r);
    return where_nan(std::make_shared<v1::Greater>(c, const_scalar(t, 1)), y);
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

ov::OutputVector reduce(const NodeContext& ctx, Kind kind) {
    auto x = ctx.get_input(0);
    ov::Shape shape = ctx.in_shape(0);
    ov::Shape out_shape = ctx.out_shape(0);
    auto t = ctx.in_type(0);
    auto axes = norm_axes(ctx.ints_param("axes"), shape.size());
    if (axes.empty())
        return {x};
    if (numel(out_shape) == 0)
        return {const_fill(ctx.out_type(0), out_shape, 0)};
    if (numel(shape) == 0)
        return {fill(identity(kind, t), out_shape)};
    auto ax = const_i64(axes);

    if (t == ov::element::boolean) {
        // max / or (and sum) are "any"; min / and (and prod) are "all"
        bool any = kind == Kind::Max || kind == Kind::Or || kind == Kind::Sum;
        if (any)
            return {std::make_shared<v1::ReduceLogicalOr>(x, ax, false)->output(0)};
        return {std::make_shared<v1::ReduceLogicalAnd>(x, ax, false)->output(0)};
    }
    OVJAX_CHECK(ctx, t.is_real() || is_int(t), ctx.primitive(), " does not support element type ", t);

    if (kind == Kind::And || kind == Kind::Or) {
        OVJAX_CHECK(ctx, is_int(t), ctx.primitive(), " needs a boolean or integer operand, got ", t);
        size_t rows = static_cast<size_t>(numel(out_shape));
        size_t k = static_cast<size_t>(numel(shape)) / rows;
        return {reshape(tree_reduce(flatten_axes(x, shape, axes), kind, rows, k), out_shape)};
    }

    if (t.is_real()) {
        switch (kind) {
        case Kind::Sum:
            return {std::make_shared<v1::ReduceSum>(x, ax, false)->output(0)};
        case Kind::Prod:
            return {std::make_shared<v1::ReduceProd>(x, ax, false)->output(0)};
        default: {
            Output<Node> r;
            if (kind == Kind::Max)
                r = std::make_shared<v1::ReduceMax>(x, ax, false);
            else
                r = std::make_shared<v1::ReduceMin>(x, ax, false);
            return {fix_float_extreme(x, r, kind == Kind::Max, [&](const Output<Node>& c) -> Output<Node> {
                return std::make_shared<v1::ReduceMax>(c, ax, false);
            })};
        }
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
        return {convert(reshape(last, out_shape), t)};
    }
    case Kind::Prod: {
        auto r = std::make_shared<v1::ReduceProd>(convert(x, arith_type(t)), ax, false);
        return {convert(r, t)};
    }
    default: {
        auto flat = flatten_axes(x, shape, axes);
        auto tk = top1(flat, 1, kind == Kind::Max);
        return {reshape(tk->output(0), out_shape)};
    }
    }
}

ov::OutputVector argreduce(const NodeContext& ctx, bool max) {
    auto x = ctx.get_input(0);
    ov::Shape shape = ctx.in_shape(0);
    auto axes = norm_axes(ctx.ints_param("axes"), shape.size());
    OVJAX_CHECK(ctx, axes.size() == 1, ctx.primitive(), " reduces exactly one axis, got ", axes.size());
    int64_t axis = axes[0];
    OVJAX_CHECK(ctx, shape.at(static_cast<size_t>(axis)) > 0, ctx.primitive(), " over an empty axis");
    auto out_t = ctx.out_type(0);
    ov::Shape out_shape = ctx.out_shape(0);
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

// Reduce windows of a padded tensor (kind Sum or Max, or Min for integers). Floats go to
// MaxPool / AvgPool when at most three axes are windowed (and sums have no window dilation);
// everything else is separable exact 1-D passes.
Output<Node> window_reduce(Output<Node> x, ov::Shape shape, const Window& w, Kind kind) {
    const size_t rank = shape.size();
    const auto t = x.get_element_type();
    std::vector<int64_t> win;  // windowed axes (window > 1)
    bool dilated = false;
    for (size_t i = 0; i < rank; ++i)
        if (w.dims[i] > 1) {
            win.push_back(static_cast<int64_t>(i));
            dilated = dilated || w.dilation[i] > 1;
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

    bool pool = t.is_real() && win.size() <= 3 && (kind == Kind::Max || (kind == Kind::Sum && !dilated));
    if (!pool) {
        for (auto a : win) {
            size_t i = static_cast<size_t>(a);
            x = window_1d(x, shape, i, w.dims[i], w.dilation[i], w.strides[i], kind);
        }
        return x;
    }

    // [kept..., windowed...] -> [B, 1, windowed...] -> pool -> back.
    std::vector<int64_t> perm;
    std::vector<bool> is_win(rank, false);
    for (auto a : win)
        is_win[static_cast<size_t>(a)] = true;
    ov::Shape kept_shape, pooled_shape{0, 1};
    size_t batch = 1;
    for (size_t i = 0; i < rank; ++i)
        if (!is_win[i]) {
            perm.push_back(static_cast<int64_t>(i));
            kept_shape.push_back(shape[i]);
            batch *= shape[i];
        }
    pooled_shape[0] = batch;
    ov::Strides strides, dilations;
    ov::Shape kernel, zeros;
    ov::Shape out_t_shape = kept_shape;
    size_t window_size = 1;
    for (auto a : win) {
        size_t i = static_cast<size_t>(a);
        perm.push_back(a);
        pooled_shape.push_back(shape[i]);
        strides.push_back(static_cast<size_t>(w.strides[i]));
        dilations.push_back(static_cast<size_t>(w.dilation[i]));
        kernel.push_back(static_cast<size_t>(w.dims[i]));
        zeros.push_back(0);
        window_size *= static_cast<size_t>(w.dims[i]);
        int64_t n = static_cast<int64_t>(shape[i]);
        out_t_shape.push_back(static_cast<size_t>((n - (w.dims[i] - 1) * w.dilation[i] - 1) / w.strides[i] + 1));
    }
    Output<Node> y = reshape(transpose(x, perm), pooled_shape);
    if (kind == Kind::Sum) {
        y = std::make_shared<ov::op::v14::AvgPool>(y, strides, zeros, zeros, kernel, /*exclude_pad=*/false,
                                                   ov::op::RoundingType::FLOOR);
        y = std::make_shared<v1::Multiply>(y, const_scalar(t, static_cast<double>(window_size)));
    } else {
        y = std::make_shared<ov::op::v14::MaxPool>(y, strides, dilations, zeros, zeros, kernel,
                                                   ov::op::RoundingType::FLOOR)
                ->output(0);
    }
    y = reshape(y, out_t_shape);
    std::vector<int64_t> inv(rank);
    for (size_t i = 0; i < rank; ++i)
        inv[static_cast<size_t>(perm[i])] = static_cast<int64_t>(i);
    return transpose(y, inv);
}

ov::OutputVector reduce_window(const NodeContext& ctx, Kind kind) {
    auto x = ctx.get_input(0);
    ov::Shape shape = ctx.in_shape(0);
    const size_t rank = shape.size();
    auto t = ctx.in_type(0);
    auto out_t = ctx.out_type(0);
    ov::Shape out_shape = ctx.out_shape(0);
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
    if (numel(out_shape) == 0)
        return {const_fill(out_t, out_shape, 0)};

    // Work type: booleans as u8 (max = or, min = and), integer sums in i32 (wrapping like JAX).
    auto wt = t;
    if (t == ov::element::boolean)
        wt = ov::element::u8;
    else if (kind == Kind::Sum)
        wt = arith_type(t);
    OVJAX_CHECK(ctx, wt.is_real() || is_int(wt), ctx.primitive(), " does not support element type ", t);
    if (numel(shape) == 0)
        return {convert(fill(identity(kind, wt), out_shape), out_t)};
    x = convert(x, wt);
    // Float min(x) = -max(-x) (exact), so floats only need MaxPool.
    bool negate = wt.is_real() && kind == Kind::Min;
    if (negate) {
        x = std::make_shared<v0::Negative>(x);
        kind = Kind::Max;
    }

    // Base dilation and padding with the identity, then windows over the padded tensor.
    auto id = identity(kind, wt);
    ov::Shape padded = shape;
    for (size_t i = 0; i < rank; ++i)
        x = concat_pad(x, padded, id, i, lo[i], hi[i], interior[i]);
    Output<Node> y = window_reduce(x, padded, w, kind);
    if (wt.is_real() && kind == Kind::Max)
        y = fix_float_extreme(x, y, true, [&](const Output<Node>& c) { return window_reduce(c, padded, w, Kind::Max); });
    if (negate)
        y = std::make_shared<v0::Negative>(y);
    y = reshape(y, out_shape);
    if (t == ov::element::boolean)
        return {std::make_shared<v1::NotEqual>(y, const_scalar(wt, 0))->output(0)};
    return {convert(y, out_t)};
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
    if (kind == Kind::Sum)
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

}  // namespace op
}  // namespace ovjax

// Cumulative reductions (cumsum, cumprod, cummax, cummin, cumlogsumexp). The half-precision
// cumsum reproduces XLA's CPU evaluation order and roundings. The shared monoids and the
// exactness notes: reduction.hpp.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "openvino/core/model.hpp"
#include "openvino/op/abs.hpp"
#include "openvino/op/add.hpp"
#include "openvino/op/shape_of.hpp"
#include "openvino/op/pad.hpp"
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
#include "ops/reduction.hpp"

namespace ovjax {
namespace op {

namespace {

// ---- cumulative

// Inclusive scan with a log-step (Hillis-Steele) scheme: y = op(y, y shifted by s along the
// axis, identity shifted in), s = 1, 2, 4, ...
// y shifted by s along `axis` (towards the end; towards the start when reverse), the scalar
// `id` shifted in, for any shape (concat_pad builds static pieces): s copies of `id` shaped
// like the part that leaves, concatenated. (Not a Pad: the CPU plugin's Pad takes an i32
// pad value of INT32_MAX as INT32_MIN, 2026.4.)
Output<Node> shifted(const Output<Node>& y, const Output<Node>& id, size_t axis, int64_t s, bool reverse) {
    const auto ax = static_cast<int64_t>(axis);
    auto out = reverse ? slice(y, {0}, {s}, {1}, {ax}) : slice(y, {-s}, {INT64_MAX}, {1}, {ax});
    auto fill = make<ov::op::v3::Broadcast>(id, make<ov::op::v3::ShapeOf>(out, ov::element::i64));
    auto kept = reverse ? slice(y, {s}, {INT64_MAX}, {1}, {ax}) : slice(y, {0}, {-s}, {1}, {ax});
    return make<v0::Concat>(reverse ? ov::OutputVector{kept, fill} : ov::OutputVector{fill, kept}, ax);
}

// scan() along a static axis of `n` elements of a tensor whose other sizes are symbolic.
Output<Node> scan_symbolic(Output<Node> y, int64_t n, size_t axis, bool reverse, Kind kind) {
    auto id = identity(kind, y.get_element_type());
    for (int64_t s = 1; s < n; s *= 2)
        y = combine(kind, y, shifted(y, id, axis, s, reverse));
    return y;
}

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
        acc = i == 0 ? xi : round_significand(add(acc, xi), bits);
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
            acc = round_significand(add(acc, xs[static_cast<size_t>(k)]), bits);
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
    auto y = round_significand(add(inner, reshape(outside, ov::Shape{rows, 1, C})), bits);
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
    auto m = make<v1::Maximum>(a, b);
    Output<Node> d = make<v0::Negative>(make<v0::Abs>(sub(a, b)));
    d = select(make<v1::Equal>(a, b), const_scalar(t, 0), d);
    auto l = make<v0::Log>(add(const_scalar(t, 1), make<v0::Exp>(d)));
    Output<Node> r = add(m, l);
    auto nan = lor(is_nan(a), is_nan(b));
    return select(nan, add(a, b), r);
}

ov::OutputVector cumlogsumexp(const NodeContext& ctx) {
    if (!is_static(ctx.in_dims(0))) {  // axes before the scanned one pass through
        const Dims d = ctx.in_dims(0);
        const int64_t a = ctx.int_param("axis");
        require_static_from(ctx, 0, static_cast<size_t>(std::max<int64_t>(0, a < 0 ? a + int64_t(d.size()) : a)));
        return batch_map(ctx, symbolic_lead(d), cumlogsumexp);
    }
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
    auto id = const_lowest(wt);
    for (int64_t s = 1; s < n; s *= 2) {
        ov::Shape sh = shape;
        y = logaddexp(y, reverse ? concat_pad(y, sh, id, ax, -s, s) : concat_pad(y, sh, id, ax, s, -s));
    }
    return {convert(y, t)};
}

ov::OutputVector cumulative(const NodeContext& ctx, Kind kind) {
    auto x = ctx.get_input(0);
    const Dims dims = ctx.in_dims(0);
    auto t = ctx.in_type(0);
    int64_t axis = ctx.int_param("axis");
    if (axis < 0)
        axis += static_cast<int64_t>(dims.size());
    OVJAX_CHECK(ctx, axis >= 0 && static_cast<size_t>(axis) < dims.size(), "bad axis ", axis);
    bool reverse = ctx.bool_param("reverse");
    const int64_t n = dims[static_cast<size_t>(axis)];
    if (has_zero(dims) || n == 1)
        return {x};
    const bool symbolic = !is_static(dims);
    const bool half = t == ov::element::f16 || t == ov::element::bf16;
    if (symbolic && !((kind == Kind::Sum && !half) || (kind != Kind::Sum && !format::is_symbolic_dim(n)))) {
        // no dynamic lowering: the static one on each slice of the axes before the scanned one
        require_static_from(ctx, 0, static_cast<size_t>(axis));
        return batch_map(ctx, symbolic_lead(dims), [kind](const NodeContext& c) { return cumulative(c, kind); });
    }
    const ov::Shape shape = symbolic ? ov::Shape{} : static_shape(ctx, dims);
    OVJAX_CHECK(ctx, t.is_real() || t.is_integral_number() || t == ov::element::boolean, ctx.primitive(),
                " does not support element type ", t);

    // Work type: booleans as u8; integer sums and products in i32 (wrapping like JAX).
    auto wt = t;
    if (t == ov::element::boolean)
        wt = ov::element::u8;
    else if (kind == Kind::Sum || kind == Kind::Prod)
        wt = arith_type(t);
    auto xw = convert(x, wt);

    Output<Node> y;
    if (symbolic && kind != Kind::Sum)
        y = scan_symbolic(xw, n, static_cast<size_t>(axis), reverse, kind);
    else if (kind == Kind::Sum && half)
        y = half_cumsum(x, shape, static_cast<size_t>(axis), reverse, t == ov::element::bf16 ? 8 : 11);
    else if (kind == Kind::Sum)
        y = make<v0::CumSum>(xw, const_scalar(ov::element::i64, static_cast<double>(axis)),
                             /*exclusive=*/false, reverse);
    else
        y = scan(xw, shape, static_cast<size_t>(axis), reverse, kind);

    if (wt.is_real() && (kind == Kind::Max || kind == Kind::Min)) {
        // NaN propagates to everything after it (in scan order).
        auto nan_count = make<v0::CumSum>(convert(is_nan(xw), ov::element::f32),
                                          const_scalar(ov::element::i64, static_cast<double>(axis)), false, reverse);
        y = where_nan(make<v1::Greater>(nan_count, const_scalar(ov::element::f32, 0)), y);
    }
    if (t == ov::element::boolean)
        return {std::make_shared<v1::NotEqual>(y, const_scalar(wt, 0))->output(0)};
    return {convert(y, t)};
}

}  // namespace

ov::OutputVector translate_cumsum(const NodeContext& ctx) { return cumulative(ctx, Kind::Sum); }
ov::OutputVector translate_cumprod(const NodeContext& ctx) { return cumulative(ctx, Kind::Prod); }
ov::OutputVector translate_cummax(const NodeContext& ctx) { return cumulative(ctx, Kind::Max); }
ov::OutputVector translate_cummin(const NodeContext& ctx) { return cumulative(ctx, Kind::Min); }
ov::OutputVector translate_cumlogsumexp(const NodeContext& ctx) { return cumlogsumexp(ctx); }

}  // namespace op
}  // namespace ovjax

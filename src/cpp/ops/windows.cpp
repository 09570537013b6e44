// Windowed reductions (reduce_window_sum/max/min and the generic reduce_window) and the
// pooling derivatives (select_and_gather_add, select_and_scatter_add), which reproduce
// XLA's CPU evaluation order, ties and roundings included (see each function). The shared
// monoids and the exactness notes: reduction.hpp.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "openvino/core/model.hpp"
#include "openvino/op/reshape.hpp"
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
#include "ops/reduction.hpp"

namespace ovjax {
namespace op {

namespace {

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

// The window parameters of reduce_window* and select_and_* (select_and_scatter_add has no
// dilations: all 1), checked against the operand rank; `nonneg_padding` also refuses
// negative padding (the select_and_* lowerings do not crop).
struct WindowParams {
    Window w;
    std::vector<int64_t> base, lo, hi, interior;
};

WindowParams window_params(const NodeContext& ctx, size_t rank, bool dilations, bool nonneg_padding) {
    WindowParams s;
    s.w.dims = ctx.ints_param("window_dimensions");
    s.w.strides = ctx.ints_param("window_strides");
    s.w.dilation = dilations ? ctx.ints_param("window_dilation") : std::vector<int64_t>(rank, 1);
    s.base = dilations ? ctx.ints_param("base_dilation") : std::vector<int64_t>(rank, 1);
    auto padding = ctx.param("padding");
    OVJAX_CHECK(ctx,
                s.w.dims.size() == rank && s.w.strides.size() == rank && s.w.dilation.size() == rank &&
                    s.base.size() == rank && padding.size() == rank,
                ctx.primitive(), ": window parameters do not match the operand rank ", rank);
    for (size_t i = 0; i < rank; ++i) {
        auto p = padding.item(i).as_ints();
        OVJAX_CHECK(ctx, p.size() == 2, "padding entries are (lo, hi)");
        OVJAX_CHECK(ctx, s.w.dims[i] >= 1 && s.w.strides[i] >= 1 && s.w.dilation[i] >= 1 && s.base[i] >= 1,
                    ctx.primitive(), ": window sizes, strides and dilations must be positive");
        OVJAX_CHECK(ctx, !nonneg_padding || (p[0] >= 0 && p[1] >= 0), ctx.primitive(),
                    ": negative padding is not supported");
        s.lo.push_back(p[0]);
        s.hi.push_back(p[1]);
        s.interior.push_back(s.base[i] - 1);
    }
    return s;
}

// MaxPool / AvgPool over the windowed axes `win` of a [B, C, windowed...] tensor, padded
// natively by lo / hi.
struct Pool {
    ov::Strides strides, dilations;
    ov::Shape kernel, pads_begin, pads_end;
    size_t window_size = 1;
    Pool(const Window& w, const std::vector<int64_t>& win, const std::vector<int64_t>& lo,
         const std::vector<int64_t>& hi) {
        for (auto a : win) {
            const auto i = static_cast<size_t>(a);
            strides.push_back(static_cast<size_t>(w.strides[i]));
            dilations.push_back(static_cast<size_t>(w.dilation[i]));
            kernel.push_back(static_cast<size_t>(w.dims[i]));
            pads_begin.push_back(static_cast<size_t>(lo[i]));
            pads_end.push_back(static_cast<size_t>(hi[i]));
            window_size *= static_cast<size_t>(w.dims[i]);
        }
    }
    Output<Node> max(const Output<Node>& v) const {
        return std::make_shared<ov::op::v14::MaxPool>(v, strides, dilations, pads_begin, pads_end, kernel,
                                                      ov::op::RoundingType::FLOOR)
            ->output(0);
    }
    Output<Node> sum(const Output<Node>& v) const {  // AvgPool (no window dilation) times the window size
        auto avg = make<ov::op::v14::AvgPool>(v, strides, pads_begin, pads_end, kernel, /*exclude_pad=*/false,
                                              ov::op::RoundingType::FLOOR);
        return mul(avg, const_scalar(v.get_element_type(), static_cast<double>(window_size)));
    }
};

// JAX's reduce_window_shape_tuple: the operand dilated by interior + 1 and padded, then
// the dilated windows at their strides.
ov::Shape windowed_shape(const ov::Shape& shape, const std::vector<int64_t>& lo, const std::vector<int64_t>& hi,
                         const std::vector<int64_t>& interior, const Window& w) {
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
Output<Node> window_reduce(Output<Node> x, ov::Shape shape, std::vector<int64_t> lo, std::vector<int64_t> hi,
                           const Window& w, Kind kind, const Output<Node>& id, bool nan_exact = false) {
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
            native_pad =
                native_pad && w.dims[i] > 1 && lo[i] >= 0 && hi[i] >= 0 && lo[i] < w.dims[i] && hi[i] < w.dims[i];
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
    ov::Shape out_t_shape = kept_shape;
    for (auto a : win) {
        size_t i = static_cast<size_t>(a);
        perm.push_back(a);
        pooled_shape.push_back(shape[i]);
        int64_t n = static_cast<int64_t>(shape[i]) + lo[i] + hi[i];
        out_t_shape.push_back(static_cast<size_t>((n - (w.dims[i] - 1) * w.dilation[i] - 1) / w.strides[i] + 1));
    }
    const Pool pools(w, win, lo, hi);
    auto sum_pool = [&](const Output<Node>& v) { return pools.sum(v); };
    auto max_pool = [&](const Output<Node>& v) { return pools.max(v); };
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

// Whether symbolic_pool serves a window over `dims`: a float max / min / sum pool whose
// symbolic axes pass through (window 1, stride 1, no padding or dilation), at most three
// windowed static axes, padded natively by less than the window.
bool pool_fits(const ov::element::Type& t, Kind kind, const Dims& dims, const Window& w,
               const std::vector<int64_t>& base, const std::vector<int64_t>& lo, const std::vector<int64_t>& hi) {
    const size_t rank = dims.size();
    size_t win = 0;
    bool ok = t.is_real() && (kind == Kind::Max || kind == Kind::Min || kind == Kind::Sum);
    for (size_t i = 0; i < rank; ++i) {
        const bool sym = format::is_symbolic_dim(dims[i]);
        ok = ok && base[i] == 1;
        if (sym)
            ok = ok && w.dims[i] == 1 && w.strides[i] == 1 && w.dilation[i] == 1 && lo[i] == 0 && hi[i] == 0;
        else if (w.dims[i] > 1)
            ++win;
        else
            ok = ok && w.strides[i] == 1 && lo[i] == 0 && hi[i] == 0;
        if (w.dims[i] > 1)  // padded natively: by less than the window, on windowed axes
            ok = ok && lo[i] >= 0 && hi[i] >= 0 && lo[i] < w.dims[i] && hi[i] < w.dims[i] &&
                 (kind != Kind::Sum || w.dilation[i] == 1);
    }
    return ok && win > 0 && win <= 3;
}

// The leading axes a window passes through (window 1, stride 1, no dilation, no padding):
// the axes batch_map may slice.
size_t passthrough_lead(const WindowParams& p) {
    size_t lead = 0;
    while (lead < p.w.dims.size() && p.w.dims[lead] == 1 && p.w.strides[lead] == 1 && p.w.dilation[lead] == 1 &&
           p.base[lead] == 1 && p.lo[lead] == 0 && p.hi[lead] == 0)
        ++lead;
    return lead;
}

// A float max / min / sum pool whose operand has symbolic dimensions, all of them passed
// through (window 1, stride 1, no padding or dilation: batch axes, a vmapped axis): the
// other axes folded into the pool's batch at run time, the windowed ones static.
Output<Node> symbolic_pool(const NodeContext& ctx, Output<Node> x, const Dims& dims, const Window& w,
                           const std::vector<int64_t>& base, const std::vector<int64_t>& lo,
                           const std::vector<int64_t>& hi, Kind kind) {
    const size_t rank = dims.size();
    const auto t = x.get_element_type();
    OVJAX_CHECK(ctx, pool_fits(t, kind, dims, w, base, lo, hi), ctx.primitive(), " over the symbolic dimensions ",
                ctx.shapes().partial_shape(dims),
                " supports float pools whose symbolic axes are passed through (window 1, stride 1, no padding) "
                "with at most three windowed static axes, padded by less than the window");
    std::vector<int64_t> win;
    for (size_t i = 0; i < rank; ++i)
        if (!format::is_symbolic_dim(dims[i]) && w.dims[i] > 1)
            win.push_back(static_cast<int64_t>(i));
    const bool negate = kind == Kind::Min;
    if (negate)
        x = make<v0::Negative>(x);
    // [kept..., windowed...] -> [-1, C, windowed...] (C: the last kept axis when static)
    std::vector<int64_t> perm;
    Dims kept;
    for (size_t i = 0; i < rank; ++i)
        if (w.dims[i] == 1) {
            perm.push_back(static_cast<int64_t>(i));
            kept.push_back(dims[i]);
        }
    const int64_t c = !kept.empty() && !format::is_symbolic_dim(kept.back()) ? kept.back() : 1;
    std::vector<int64_t> pooled{-1, c}, out_win;
    for (auto a : win) {
        const auto i = static_cast<size_t>(a);
        perm.push_back(a);
        pooled.push_back(dims[i]);
        out_win.push_back(
            strided_dim(dim_add(dim_add(dims[i], lo[i]), hi[i]), dilated_dim(w.dims[i], w.dilation[i]), w.strides[i]));
    }
    const Pool pool(w, win, lo, hi);
    Output<Node> y = make<v1::Reshape>(transpose(x, perm), const_i64(pooled), false);
    auto max_pool = [&](const Output<Node>& v) { return pool.max(v); };
    y = kind == Kind::Sum ? pool.sum(y) : fix_float_extreme(y, max_pool(y), true, max_pool);
    auto target = make<v0::Concat>(ov::OutputVector{ctx.shape_of(kept), const_i64(out_win)}, 0);
    y = make<v1::Reshape>(y, target, false);
    std::vector<int64_t> inv(rank);
    for (size_t i = 0; i < rank; ++i)
        inv[static_cast<size_t>(perm[i])] = static_cast<int64_t>(i);
    y = transpose(y, inv);
    return negate ? make<v0::Negative>(y) : y;
}

// Windowed reduction of operand `i` into result `i`. With `init`, XLA's (CPU) semantics:
// each window's reduction starts from `init` and covers only the operand's elements
// (padding and base dilation holes are skipped).
Output<Node> reduce_window_values(const NodeContext& ctx, size_t i_op, Output<Node> init, Kind kind) {
    auto x = ctx.get_input(static_cast<int>(i_op));
    const Dims dims = ctx.in_dims(i_op);
    const size_t rank = dims.size();
    auto t = ctx.in_type(i_op);
    if (t == ov::element::boolean)
        kind = bool_kind(kind);
    const auto [w, base, lo, hi, interior] = window_params(ctx, rank, true, false);
    if (!is_static(dims)) {
        OVJAX_CHECK(ctx, !init.get_node(), ctx.primitive(), " with an init value over the symbolic dimensions ",
                    ctx.shapes().partial_shape(dims), " is not supported yet");
        return symbolic_pool(ctx, x, dims, w, base, lo, hi, kind);
    }
    ov::Shape shape = static_shape(ctx, dims);
    const ov::Shape out_shape = windowed_shape(shape, lo, hi, interior, w);
    if (numel(out_shape) == 0)
        return const_fill(t, out_shape, 0);

    // Work type: booleans as u8 (max = or, min = and), integer sums in i32 (wrapping like JAX).
    auto wt = t;
    if (t == ov::element::boolean)
        wt = ov::element::u8;
    else if (kind == Kind::Sum || kind == Kind::Prod)
        wt = arith_type(t);
    OVJAX_CHECK(ctx, wt.is_real() || wt.is_integral_number(), ctx.primitive(), " does not support element type ", t);
    x = convert(x, wt);
    if (init.get_node())
        init = convert(init, wt);
    // Float min(x) = -max(-x) (exact), so floats only need MaxPool.
    bool negate = wt.is_real() && kind == Kind::Min;
    if (negate) {
        x = make<v0::Negative>(x);
        if (init.get_node())
            init = make<v0::Negative>(init);
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
        y = make<v0::Negative>(y);
    y = reshape(y, out_shape);
    if (t == ov::element::boolean)
        return std::make_shared<v1::NotEqual>(y, const_scalar(wt, 0))->output(0);
    return convert(y, t);
}

// Whether a window over symbolic dimensions goes to batch_map (symbolic_pool serves the
// rest): the window parameters as reduce_window_values reads them.
bool needs_batch_map(const NodeContext& ctx, Kind kind, bool init) {
    const Dims dims = ctx.in_dims(0);
    if (is_static(dims))
        return false;
    if (init)
        return true;
    const auto p = window_params(ctx, dims.size(), true, false);
    auto t = ctx.in_type(0);
    if (t == ov::element::boolean)
        kind = bool_kind(kind);
    return !pool_fits(t, kind, dims, p.w, p.base, p.lo, p.hi);
}

ov::OutputVector reduce_window(const NodeContext& ctx, Kind kind) {
    if (needs_batch_map(ctx, kind, false))
        return batch_map(ctx, passthrough_lead(window_params(ctx, ctx.in_dims(0).size(), true, false)),
                         [kind](const NodeContext& c) { return reduce_window(c, kind); });
    return {reduce_window_values(ctx, 0, Output<Node>(), kind)};
}

ov::OutputVector generic_reduce_window(const NodeContext& ctx) {
    const size_t n_in = ctx.get_input_size();
    OVJAX_CHECK(ctx, n_in % 2 == 0 && n_in > 0, "reduce_window takes operands and as many init values, got ", n_in,
                " inputs");
    const size_t n = n_in / 2;
    auto kinds = body_monoids(ctx, n);
    if (needs_batch_map(ctx, kinds[0], true))
        return batch_map(ctx, passthrough_lead(window_params(ctx, ctx.in_dims(0).size(), true, false)),
                         generic_reduce_window);
    ov::OutputVector outs;
    for (size_t i = 0; i < n; ++i)
        outs.push_back(reduce_window_values(ctx, i, ctx.get_input(static_cast<int>(n + i)), kinds[i]));
    return outs;
}

// ---- select_and_gather_add / select_and_scatter_add (max / min pooling derivatives)

// Stack the element at every window position of every window of a padded tensor (shape
// `padded`) along a new last axis: [out..., P]. Positions are enumerated with the window
// axes nested as in `nest` (outermost first; default: row-major).
Output<Node> window_taps(const Output<Node>& x, const ov::Shape& padded, const ov::Shape& out, const Window& w,
                         std::vector<std::vector<int64_t>>* offsets = nullptr, std::vector<size_t> nest = {}) {
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
    return make<v0::Concat>(taps, static_cast<int64_t>(rank));
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

struct SelectWindow : WindowParams {
    bool ge;
};

SelectWindow select_window_params(const NodeContext& ctx, size_t rank, bool dilations) {
    SelectWindow s{window_params(ctx, rank, dilations, true), false};
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
    if (!is_static(ctx.in_dims(1)))
        return batch_map(ctx, passthrough_lead(select_window_params(ctx, ctx.in_dims(1).size(), true)),
                         select_gather_add);
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
    Output<Node> init = kt.is_real() ? (s.ge ? const_lowest(kt) : const_highest(kt))
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
    Output<Node> picked = make<ov::op::v6::GatherElements>(vals, tk->output(1), static_cast<int64_t>(rank));
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
    auto later = make<v0::CumSum>(convert(nan, f32), ax, /*exclusive=*/true, /*reverse=*/true);
    auto eligible = land(make<v1::Equal>(later, const_scalar(f32, 0)), lnot(nan));
    const auto t = keys.get_element_type();
    Output<Node> weakest = ge ? const_lowest(t) : const_highest(t);
    auto best = top1(select(eligible, keys, weakest), axis, ge)->output(0);
    // the first eligible position holding the extreme (ties with excluded positions aside)
    auto match = land(eligible, make<v1::Equal>(keys, best));
    Output<Node> first = top1(convert(match, f32), axis, true)->output(1);
    const auto taps = static_cast<double>(keys.get_shape()[static_cast<size_t>(axis)]);
    auto some = make<v1::ReduceLogicalOr>(eligible, ax, true);
    first = select(some, first, const_scalar(ov::element::i32, taps - 1));
    auto any_nan = make<v1::ReduceLogicalOr>(nan, ax, true);
    return select(any_nan, first, idx);
}

// XLA's SelectAndScatter: in each window, the first position (row-major) holding the window's
// extreme (select(acc, x) keeps the accumulator on ties); the source value is added there.
ov::OutputVector select_scatter_add(const NodeContext& ctx) {
    if (!is_static(ctx.in_dims(1)))
        return batch_map(ctx, passthrough_lead(select_window_params(ctx, ctx.in_dims(1).size(), false)),
                         select_scatter_add);
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
    Output<Node> weakest = order_key(s.ge ? const_lowest(ot) : const_highest(ot));
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
        auto hit = make<v1::Equal>(idx_r, const_scalar(ov::element::i32, static_cast<double>(p)));
        Output<Node> part = select(hit, src, zero);
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

}  // namespace

ov::OutputVector translate_reduce_window_sum(const NodeContext& ctx) { return reduce_window(ctx, Kind::Sum); }
ov::OutputVector translate_reduce_window_max(const NodeContext& ctx) { return reduce_window(ctx, Kind::Max); }
ov::OutputVector translate_reduce_window_min(const NodeContext& ctx) { return reduce_window(ctx, Kind::Min); }
ov::OutputVector translate_reduce_window(const NodeContext& ctx) { return generic_reduce_window(ctx); }
ov::OutputVector translate_select_and_gather_add(const NodeContext& ctx) { return select_gather_add(ctx); }
ov::OutputVector translate_select_and_scatter_add(const NodeContext& ctx) { return select_scatter_add(ctx); }

}  // namespace op
}  // namespace ovjax

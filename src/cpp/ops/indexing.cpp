// Indexing primitives with run-time start indices: dynamic_slice and
// dynamic_update_slice. Shapes (operand, slice sizes, update) are static in the
// jaxpr; only the start indices are data. JAX clamps every start into
// [0, dim - size], so the result never reads or writes out of bounds.
#include "openvino/op/shape_of.hpp"
#include "openvino/op/pad.hpp"
#include "openvino/op/abs.hpp"
#include "openvino/op/add.hpp"
#include "openvino/op/broadcast.hpp"
#include "openvino/op/concat.hpp"
#include "openvino/op/greater.hpp"
#include "openvino/op/maximum.hpp"
#include "openvino/op/minimum.hpp"
#include "openvino/op/scatter_nd_update.hpp"
#include "openvino/op/select.hpp"
#include "openvino/op/slice.hpp"
#include "openvino/op/squeeze.hpp"
#include "openvino/op/subtract.hpp"
#include "ops/ops.hpp"
#include "ops/builders.hpp"
#include "ops/utils.hpp"

namespace ovjax {
namespace op {

using ov::Node;
using ov::Output;

namespace {

Output<Node> scalar_i64(int64_t v) {
    return ov::op::v0::Constant::create(ov::element::i64, ov::Shape{}, std::vector<int64_t>{v});
}

// One start index (a scalar of any integer type) clamped into [0, hi], as a scalar i64.
//
// OpenVINO's CPU plugin runs i64 (and u32/u64) arithmetic in i32, truncating values
// outside the i32 range, while Convert to f32 still sees the full value. For those
// index types a value of magnitude >= 2^30 is therefore decided from its f32 copy
// (sign only: it saturates to 0 or hi), and only smaller values take the integer
// path, where the plugin's i32 arithmetic is exact.
Output<Node> clamped_start(const NodeContext& ctx, size_t input, const Output<Node>& hi_value, bool hi_small) {
    auto t = ctx.in_type(input);
    OVJAX_CHECK(ctx, t.is_integral_number() && t != ov::element::boolean, ctx.primitive(), " start index ", input,
                " has non-integer type ", t);
    OVJAX_CHECK(ctx, ctx.in_dims(input).empty(), ctx.primitive(), " start index ", input, " is not a scalar");
    auto idx = ctx.get_input(static_cast<int>(input));
    Output<Node> v = convert(idx, ov::element::i64);
    v = make<ov::op::v1::Minimum>(v, hi_value);
    v = make<ov::op::v1::Maximum>(v, scalar_i64(0));
    constexpr double kBig = 1073741824.0;  // 2^30
    const bool wide = t == ov::element::i64 || t == ov::element::u64 || t == ov::element::u32;
    if (wide && hi_small) {  // (saturating to hi needs hi below the threshold)
        auto f = convert(idx, ov::element::f32);
        auto big = make<ov::op::v1::Greater>(make<ov::op::v0::Abs>(f), const_scalar(ov::element::f32, kBig));
        auto positive = make<ov::op::v1::Greater>(f, const_scalar(ov::element::f32, 0));
        auto saturated = select(positive, hi_value, scalar_i64(0));
        v = select(big, saturated, v);
    }
    return v;
}
Output<Node> clamped_start(const NodeContext& ctx, size_t input, int64_t hi) {
    return clamped_start(ctx, input, scalar_i64(hi), hi < int64_t(1) << 30);
}

// Clamped starts of the axes in `axes` (inputs first_index + axis) as a 1-D i64 vector.
Output<Node> clamped_starts(const NodeContext& ctx, size_t first_index, const std::vector<int64_t>& axes,
                            const std::vector<int64_t>& hi) {
    ov::OutputVector parts;
    for (auto ax : axes)
        parts.push_back(reshape(clamped_start(ctx, first_index + static_cast<size_t>(ax), hi[static_cast<size_t>(ax)]),
                                ov::Shape{1}));
    return concat(parts, 0);
}

}  // namespace

// dynamic_slice of an operand or slice sizes with symbolic dimensions: the clamp's bound and
// the slice's extent at run time (sizes below 2^30 assumed for wide index types).
ov::OutputVector dynamic_slice_symbolic(const NodeContext& ctx) {
    const Dims in = ctx.in_dims(0);
    const size_t rank = in.size();
    const Dims sizes = dims_param(ctx, "slice_sizes");
    OVJAX_CHECK(ctx, sizes.size() == rank, "slice_sizes has ", sizes.size(), " entries for rank ", rank);
    OVJAX_CHECK(ctx, ctx.get_input_size() == 1 + rank, "dynamic_slice expects 1 + ", rank, " inputs, got ",
                ctx.get_input_size());
    if (has_zero(sizes))
        return {zeros(ctx, ctx.in_type(0), sizes)};
    ov::OutputVector starts, stops;
    std::vector<int64_t> axes;
    for (size_t d = 0; d < rank; ++d) {
        if (sizes[d] == in[d])  // taken whole (a vmapped batch axis)
            continue;
        if (is_static({in[d], sizes[d]}))
            OVJAX_CHECK(ctx, sizes[d] <= in[d], "slice size ", sizes[d], " does not fit dimension ", in[d]);
        auto hi = sub(ctx.dim_scalar(in[d]), ctx.dim_scalar(sizes[d]));
        auto start = clamped_start(ctx, 1 + d, hi, true);
        starts.push_back(reshape(start, ov::Shape{1}));
        stops.push_back(add(starts.back(), ctx.dim_of(sizes[d])));
        axes.push_back(static_cast<int64_t>(d));
    }
    if (axes.empty())
        return {ctx.get_input(0)};
    std::vector<int64_t> steps(axes.size(), 1);
    Output<Node> y = make<ov::op::v8::Slice>(ctx.get_input(0), concat(starts, 0), concat(stops, 0), const_i64(steps),
                                             const_i64(axes));
    return {reshape(ctx, y, sizes)};
}

ov::OutputVector translate_dynamic_slice(const NodeContext& ctx) {
    if (!is_static(ctx.in_dims(0)) || symbolic_param(ctx, "slice_sizes"))
        return dynamic_slice_symbolic(ctx);
    const ov::Shape in = ctx.in_shape(0);
    const size_t rank = in.size();
    auto sizes = ctx.ints_param("slice_sizes");
    OVJAX_CHECK(ctx, sizes.size() == rank, "slice_sizes has ", sizes.size(), " entries for rank ", rank);
    OVJAX_CHECK(ctx, ctx.get_input_size() == 1 + rank, "dynamic_slice expects 1 + ", rank, " inputs, got ",
                ctx.get_input_size());
    std::vector<int64_t> hi(rank), axes, stops;
    for (size_t d = 0; d < rank; ++d) {
        OVJAX_CHECK(ctx, sizes[d] >= 0 && sizes[d] <= static_cast<int64_t>(in[d]), "slice size ", sizes[d],
                    " does not fit dimension ", in[d]);
        hi[d] = static_cast<int64_t>(in[d]) - sizes[d];
        if (hi[d] > 0 && sizes[d] > 0)  // axes taken whole have start 0 whatever the index says
            axes.push_back(static_cast<int64_t>(d));
    }
    const ov::Shape out = shape_param(ctx, sizes, "slice_sizes");
    if (numel(out) == 0)
        return {const_fill(ctx.in_type(0), out, 0)};
    if (axes.empty())
        return {reshape(ctx.get_input(0), out)};
    for (auto ax : axes)
        stops.push_back(sizes[static_cast<size_t>(ax)]);
    auto start = clamped_starts(ctx, 1, axes, hi);
    auto stop = add(start, const_i64(stops));
    std::vector<int64_t> steps(axes.size(), 1);
    Output<Node> y = make<ov::op::v8::Slice>(ctx.get_input(0), start, stop, const_i64(steps), const_i64(axes));
    // The slice's extent is data-dependent to OpenVINO's shape inference; the jaxpr knows it.
    return {reshape(y, out)};
}

// dynamic_update_slice with symbolic dimensions (a KV cache of dynamic length): the update
// padded into place (the clamped starts before it, the rest after) and selected where it
// lands, the pads computed at run time.
ov::OutputVector dynamic_update_slice_symbolic(const NodeContext& ctx) {
    const Dims in = ctx.in_dims(0), upd = ctx.in_dims(1);
    const size_t rank = in.size();
    OVJAX_CHECK(ctx, upd.size() == rank, "update rank ", upd.size(), " differs from operand rank ", rank);
    OVJAX_CHECK(ctx, ctx.get_input_size() == 2 + rank, "dynamic_update_slice expects 2 + ", rank, " inputs, got ",
                ctx.get_input_size());
    OVJAX_CHECK(ctx, ctx.in_type(0) == ctx.in_type(1), "update type ", ctx.in_type(1), " differs from operand type ",
                ctx.in_type(0));
    if (has_zero(upd))
        return {ctx.get_input(0)};
    ov::OutputVector begins, ends;
    bool whole = true;
    for (size_t d = 0; d < rank; ++d) {
        if (is_static({in[d], upd[d]}))
            OVJAX_CHECK(ctx, upd[d] <= in[d], "update dimension ", upd[d], " exceeds operand dimension ", in[d]);
        if (upd[d] == in[d]) {  // covered whole: start 0
            begins.push_back(const_i64({0}));
            ends.push_back(const_i64({0}));
            continue;
        }
        whole = false;
        auto room = sub(ctx.dim_of(in[d]), ctx.dim_of(upd[d]));  // [1]
        auto start = clamped_start(ctx, 2 + d, make<ov::op::v0::Squeeze>(room, const_i64({0})), true);
        auto b = reshape(start, ov::Shape{1});
        begins.push_back(b);
        ends.push_back(sub(room, b));
    }
    if (whole)  // the update covers the whole operand
        return {ctx.get_input(1)};
    auto pb = make<ov::op::v0::Concat>(begins, 0), pe = make<ov::op::v0::Concat>(ends, 0);
    auto update = ctx.get_input(1);
    auto placed = make<ov::op::v12::Pad>(update, pb, pe, const_scalar(ctx.in_type(0), 0), ov::op::PadMode::CONSTANT);
    auto ones = make<ov::op::v3::Broadcast>(const_scalar(ov::element::boolean, 1),
                                            make<ov::op::v3::ShapeOf>(update, ov::element::i64));
    auto mask = make<ov::op::v12::Pad>(ones, pb, pe, const_scalar(ov::element::boolean, 0), ov::op::PadMode::CONSTANT);
    return {select(mask, placed, ctx.get_input(0))};
}

ov::OutputVector translate_dynamic_update_slice(const NodeContext& ctx) {
    if (!is_static(ctx.in_dims(0)) || !is_static(ctx.in_dims(1)))
        return dynamic_update_slice_symbolic(ctx);
    ov::Shape in = ctx.in_shape(0), upd = ctx.in_shape(1);
    const size_t rank = in.size();
    OVJAX_CHECK(ctx, upd.size() == rank, "update rank ", upd.size(), " differs from operand rank ", rank);
    OVJAX_CHECK(ctx, ctx.get_input_size() == 2 + rank, "dynamic_update_slice expects 2 + ", rank, " inputs, got ",
                ctx.get_input_size());
    OVJAX_CHECK(ctx, ctx.in_type(0) == ctx.in_type(1), "update type ", ctx.in_type(1), " differs from operand type ",
                ctx.in_type(0));
    std::vector<int64_t> hi(rank);
    int64_t k = 0;  // leading axes that need indices: up to the last one the update does not cover whole
    for (size_t d = 0; d < rank; ++d) {
        hi[d] = static_cast<int64_t>(in[d]) - static_cast<int64_t>(upd[d]);
        OVJAX_CHECK(ctx, hi[d] >= 0, "update dimension ", upd[d], " exceeds operand dimension ", in[d]);
        if (hi[d] > 0)
            k = static_cast<int64_t>(d) + 1;
    }
    auto operand = ctx.get_input(0);
    if (numel(upd) == 0)
        return {operand};
    if (k == 0)  // the update covers the whole operand
        return {ctx.get_input(1)};

    // ScatterNDUpdate: indices [u0, .., u(k-1), k] address the leading k axes; each
    // addressed element is a slab of the trailing (whole) axes. indices[..., j] is
    // start_j + the coordinate along axis j, built per axis from a small iota and
    // broadcast, so no constant grid of the update's size is stored.
    ov::Shape grid(upd.begin(), upd.begin() + k);
    grid.push_back(1);
    std::vector<int64_t> grid_target(grid.begin(), grid.end());
    ov::OutputVector columns;
    for (int64_t j = 0; j < k; ++j) {
        const size_t ju = static_cast<size_t>(j);
        std::vector<int64_t> coords(upd[ju]);
        for (size_t c = 0; c < coords.size(); ++c)
            coords[c] = static_cast<int64_t>(c);
        Output<Node> col = const_i64(coords);
        if (hi[ju] > 0)
            col = add(col, clamped_start(ctx, 2 + ju, hi[ju]));
        ov::Shape placed(static_cast<size_t>(k) + 1, 1);
        placed[ju] = upd[ju];
        col = reshape(col, placed);
        if (placed != grid)
            col = make<ov::op::v3::Broadcast>(col, const_i64(grid_target));
        columns.push_back(col);
    }
    Output<Node> indices = concat(columns, k);
    return {std::make_shared<ov::op::v3::ScatterNDUpdate>(operand, indices, ctx.get_input(1))->output(0)};
}

}  // namespace op
}  // namespace ovjax

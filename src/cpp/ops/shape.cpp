// Shape primitives. Every target shape is static in the jaxpr, so they become
// constants here rather than ShapeOf subgraphs.
#include "openvino/op/broadcast.hpp"
#include "openvino/op/concat.hpp"
#include "openvino/op/range.hpp"
#include "openvino/op/reverse.hpp"
#include "ops/ops.hpp"
#include "ops/utils.hpp"

namespace ovjax {
namespace op {

ov::OutputVector translate_broadcast_in_dim(const NodeContext& ctx) {
    auto x = ctx.get_input(0);
    ov::Shape in = ctx.in_shape(0), out = ctx.out_shape(0);
    auto dims = ctx.ints_param("broadcast_dimensions");
    OVJAX_CHECK(ctx, dims.size() == in.size(), "broadcast_dimensions has ", dims.size(), " entries for rank ", in.size());
    // Place the operand's axes at their output positions (size-1 elsewhere), then broadcast.
    ov::Shape expanded(out.size(), 1);
    for (size_t i = 0; i < dims.size(); ++i) {
        OVJAX_CHECK(ctx, dims[i] >= 0 && static_cast<size_t>(dims[i]) < out.size(), "bad broadcast dimension ", dims[i]);
        expanded[static_cast<size_t>(dims[i])] = in[i];
    }
    auto y = reshape(x, expanded);
    if (expanded == out)
        return {y};
    std::vector<int64_t> target(out.begin(), out.end());
    return {std::make_shared<ov::op::v3::Broadcast>(y, const_i64(target))->output(0)};
}

ov::OutputVector translate_reshape(const NodeContext& ctx) {
    auto x = ctx.get_input(0);
    auto dims = ctx.opt_param("dimensions");
    if (dims && !dims->is_none())
        x = transpose(x, dims->as_ints());
    return {reshape(x, ctx.out_shape(0))};
}

ov::OutputVector translate_squeeze(const NodeContext& ctx) {
    return {reshape(ctx.get_input(0), ctx.out_shape(0))};
}

ov::OutputVector translate_expand_dims(const NodeContext& ctx) {
    return {reshape(ctx.get_input(0), ctx.out_shape(0))};
}

ov::OutputVector translate_transpose(const NodeContext& ctx) {
    return {transpose(ctx.get_input(0), ctx.ints_param("permutation"))};
}

ov::OutputVector translate_rev(const NodeContext& ctx) {
    auto dims = ctx.ints_param("dimensions");
    if (dims.empty())
        return {ctx.get_input(0)};
    return {std::make_shared<ov::op::v1::Reverse>(ctx.get_input(0), const_i64(dims), ov::op::v1::Reverse::Mode::INDEX)
                ->output(0)};
}

ov::OutputVector translate_concatenate(const NodeContext& ctx) {
    int64_t dim = ctx.int_param("dimension");
    ov::OutputVector ins;
    for (size_t i = 0; i < ctx.get_input_size(); ++i)
        if (ctx.in_shape(i).at(static_cast<size_t>(dim)) != 0)  // empty pieces add nothing
            ins.push_back(ctx.get_input(static_cast<int>(i)));
    if (ins.empty())
        return {const_fill(ctx.out_type(0), ctx.out_shape(0), 0)};
    if (ins.size() == 1)
        return {ins[0]};
    return {std::make_shared<ov::op::v0::Concat>(ins, dim)->output(0)};
}

ov::OutputVector translate_slice(const NodeContext& ctx) {
    auto start = ctx.ints_param("start_indices");
    auto limit = ctx.ints_param("limit_indices");
    std::vector<int64_t> strides(start.size(), 1);
    auto s = ctx.opt_param("strides");
    if (s && !s->is_none())
        strides = s->as_ints();
    std::vector<int64_t> axes(start.size());
    for (size_t i = 0; i < axes.size(); ++i)
        axes[i] = static_cast<int64_t>(i);
    if (numel(ctx.out_shape(0)) == 0)
        return {const_fill(ctx.out_type(0), ctx.out_shape(0), 0)};
    return {slice(ctx.get_input(0), start, limit, strides, axes)};
}

ov::OutputVector translate_pad(const NodeContext& ctx) {
    auto cfg = ctx.param("padding_config");
    std::vector<int64_t> lo, hi, in;
    for (size_t i = 0; i < cfg.size(); ++i) {
        auto t = cfg.item(i).as_ints();
        OVJAX_CHECK(ctx, t.size() == 3, "padding_config entries are (lo, hi, interior)");
        OVJAX_CHECK(ctx, t[2] >= 0, "negative interior padding");
        lo.push_back(t[0]);
        hi.push_back(t[1]);
        in.push_back(t[2]);
    }
    if (numel(ctx.out_shape(0)) == 0)
        return {const_fill(ctx.out_type(0), ctx.out_shape(0), 0)};
    OVJAX_CHECK(ctx, numel(ctx.in_shape(0)) > 0, "padding an empty operand is not supported");
    return {pad(ctx.get_input(0), ctx.get_input(1), lo, hi, in)};
}

ov::OutputVector translate_iota(const NodeContext& ctx) {
    auto t = ctx.out_type(0);
    ov::Shape shape = ctx.out_shape(0);
    int64_t dim = ctx.int_param("dimension");
    OVJAX_CHECK(ctx, dim >= 0 && static_cast<size_t>(dim) < shape.size(), "bad iota dimension ", dim);
    int64_t n = static_cast<int64_t>(shape[static_cast<size_t>(dim)]);
    ov::Output<ov::Node> r = std::make_shared<ov::op::v4::Range>(const_scalar(t, 0), const_scalar(t, static_cast<double>(n)),
                                                                const_scalar(t, 1), t);
    ov::Shape expanded(shape.size(), 1);
    expanded[static_cast<size_t>(dim)] = static_cast<size_t>(n);
    r = reshape(r, expanded);
    if (expanded == shape)
        return {r};
    std::vector<int64_t> target(shape.begin(), shape.end());
    return {std::make_shared<ov::op::v3::Broadcast>(r, const_i64(target))->output(0)};
}

}  // namespace op
}  // namespace ovjax

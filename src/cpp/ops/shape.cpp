// Shape primitives. Every target shape is static in the jaxpr, so they become
// constants here rather than ShapeOf subgraphs.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <optional>

#include "openvino/op/broadcast.hpp"
#include "openvino/op/concat.hpp"
#include "openvino/op/logical_and.hpp"
#include "openvino/op/reverse.hpp"
#include "openvino/op/select.hpp"
#include "openvino/op/tile.hpp"
#include "ops/ops.hpp"
#include "ops/utils.hpp"

namespace ovjax {
namespace op {

namespace {

template <typename T, typename F>
ov::Output<ov::Node> iota_constant(const ov::element::Type& t, size_t n, F value_of) {
    std::vector<T> data(n);
    for (size_t i = 0; i < n; ++i)
        data[i] = value_of(static_cast<int64_t>(i));
    return std::make_shared<ov::op::v0::Constant>(t, ov::Shape{n}, data.data());
}

// float -> IEEE half bits, round to nearest even (values here are non-negative integers).
uint16_t half_bits(double v) {
    if (v == 0)
        return 0;
    int e2 = 0;
    std::frexp(v, &e2);  // v = m * 2^e2, m in [0.5, 1)
    int e = e2 - 1;      // v = 1.f * 2^e
    if (e < -14)         // subnormal (not reached by iota, kept for completeness)
        return static_cast<uint16_t>(std::nearbyint(std::ldexp(v, 24)));
    double m = std::nearbyint(std::ldexp(v, 10 - e));  // in [1024, 2048]
    if (m == 2048) {
        m = 1024;
        ++e;
    }
    if (e > 15)
        return 0x7C00;  // +inf
    return static_cast<uint16_t>(((e + 15) << 10) | (static_cast<int>(m) - 1024));
}

// float -> bfloat16 bits, round to nearest even. (ov::bfloat16(float) does not round
// correctly when the dropped bits exceed one half and the kept mantissa is even.)
uint16_t bf16_bits(float f) {
    uint32_t u;
    std::memcpy(&u, &f, sizeof u);
    u += 0x7FFFu + ((u >> 16) & 1u);
    return static_cast<uint16_t>(u >> 16);
}

// 0, 1, .., n-1 as a 1-D constant of type t with JAX's values: integers wrap around
// in narrow types, floats are the integers rounded to nearest even.
ov::Output<ov::Node> iota_values(const NodeContext& ctx, const ov::element::Type& t, size_t n) {
    using ov::element::Type_t;
    switch (t) {
    case Type_t::i8:
        return iota_constant<int8_t>(t, n, [](int64_t i) { return static_cast<int8_t>(i); });
    case Type_t::i16:
        return iota_constant<int16_t>(t, n, [](int64_t i) { return static_cast<int16_t>(i); });
    case Type_t::i32:
        return iota_constant<int32_t>(t, n, [](int64_t i) { return static_cast<int32_t>(i); });
    case Type_t::i64:
        return iota_constant<int64_t>(t, n, [](int64_t i) { return i; });
    case Type_t::u8:
        return iota_constant<uint8_t>(t, n, [](int64_t i) { return static_cast<uint8_t>(i); });
    case Type_t::u16:
        return iota_constant<uint16_t>(t, n, [](int64_t i) { return static_cast<uint16_t>(i); });
    case Type_t::u32:
        return iota_constant<uint32_t>(t, n, [](int64_t i) { return static_cast<uint32_t>(i); });
    case Type_t::u64:
        return iota_constant<uint64_t>(t, n, [](int64_t i) { return static_cast<uint64_t>(i); });
    case Type_t::f64:
        return iota_constant<double>(t, n, [](int64_t i) { return static_cast<double>(i); });
    case Type_t::f32:
        return iota_constant<float>(t, n, [](int64_t i) { return static_cast<float>(i); });
    case Type_t::f16:
        return iota_constant<uint16_t>(t, n, [](int64_t i) { return half_bits(static_cast<double>(i)); });
    case Type_t::bf16:
        return iota_constant<uint16_t>(t, n, [](int64_t i) { return bf16_bits(static_cast<float>(i)); });
    default:
        ctx.fail("iota of element type " + t.get_type_name() + " is not supported");
    }
}

// For lax.pad: a boolean mask, broadcastable to `out`, that is true where the output
// element comes from the operand (after interior padding, shifted by lo, cropped).
// Built from one small constant per padded axis; nullopt when it is true everywhere.
std::optional<ov::Output<ov::Node>> operand_mask(const ov::Shape& in,
                                                 const ov::Shape& out,
                                                 const std::vector<int64_t>& lo,
                                                 const std::vector<int64_t>& interior) {
    std::optional<ov::Output<ov::Node>> mask;
    for (size_t ax = 0; ax < out.size(); ++ax) {
        const int64_t n = static_cast<int64_t>(in[ax]), step = interior[ax] + 1;
        std::vector<char> m(out[ax]);
        bool all = true;
        for (size_t o = 0; o < m.size(); ++o) {
            const int64_t p = static_cast<int64_t>(o) - lo[ax];  // position in the interior-padded operand
            m[o] = p >= 0 && p % step == 0 && p / step < n;
            all = all && m[o];
        }
        if (all)
            continue;
        ov::Shape placed(out.size(), 1);
        placed[ax] = out[ax];
        ov::Output<ov::Node> c = std::make_shared<ov::op::v0::Constant>(ov::element::boolean, placed, m.data());
        mask = mask ? std::make_shared<ov::op::v1::LogicalAnd>(*mask, c)->output(0) : c;
    }
    return mask;
}

}  // namespace

ov::OutputVector translate_broadcast_in_dim(const NodeContext& ctx) {
    auto x = ctx.get_input(0);
    ov::Shape in = ctx.in_shape(0), out = ctx.out_shape(0);
    auto dims = ctx.ints_param("broadcast_dimensions");
    // PRNG key arrays carry trailing key data dimensions (the same in and out) that the
    // parameter does not list
    for (size_t extra = in.size() > dims.size() ? in.size() - dims.size() : 0, j = 0; j < extra; ++j)
        if (out.size() >= extra)
            dims.push_back(static_cast<int64_t>(out.size() - extra + j));
    OVJAX_CHECK(ctx, dims.size() == in.size(), "broadcast_dimensions has ", dims.size(), " entries for rank ", in.size());
    for (auto d : dims)
        OVJAX_CHECK(ctx, d >= 0 && static_cast<size_t>(d) < out.size(), "bad broadcast dimension ", d);
    if (numel(out) == 0)
        return {const_fill(ctx.out_type(0), out, 0)};
    // broadcast_dimensions need not increase (JAX accepts e.g. (1, 0), a transpose):
    // first order the operand's axes by their output positions.
    std::vector<int64_t> perm(dims.size());
    std::iota(perm.begin(), perm.end(), 0);
    std::stable_sort(perm.begin(), perm.end(), [&](int64_t a, int64_t b) {
        return dims[static_cast<size_t>(a)] < dims[static_cast<size_t>(b)];
    });
    x = transpose(x, perm);
    // Place the operand's axes at their output positions (size-1 elsewhere), then broadcast.
    ov::Shape expanded(out.size(), 1);
    for (auto p : perm)
        expanded[static_cast<size_t>(dims[static_cast<size_t>(p)])] = in[static_cast<size_t>(p)];
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
    auto perm = ctx.ints_param("permutation");
    // PRNG key arrays: their trailing key data dimensions stay in place
    for (auto r = static_cast<int64_t>(ctx.in_shape(0).size()), i = static_cast<int64_t>(perm.size()); i < r; ++i)
        perm.push_back(i);
    return {transpose(ctx.get_input(0), perm)};
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
    if (numel(ctx.out_shape(0)) == 0)  // e.g. pieces empty along another axis
        return {const_fill(ctx.out_type(0), ctx.out_shape(0), 0)};
    ov::OutputVector ins;
    for (size_t i = 0; i < ctx.get_input_size(); ++i)
        if (ctx.in_shape(i).at(static_cast<size_t>(dim)) != 0)  // empty pieces add nothing
            ins.push_back(ctx.get_input(static_cast<int>(i)));
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
    const auto [lo, hi, in] = padding_config(ctx);
    if (numel(ctx.out_shape(0)) == 0)
        return {const_fill(ctx.out_type(0), ctx.out_shape(0), 0)};
    if (numel(ctx.in_shape(0)) == 0) {  // no output element comes from the operand: all padding
        const ov::Shape out = ctx.out_shape(0);
        std::vector<int64_t> target(out.begin(), out.end());
        return {std::make_shared<ov::op::v3::Broadcast>(ctx.get_input(1), const_i64(target))->output(0)};
    }
    auto value = ctx.get_input(1);
    if (ov::as_type_ptr<ov::op::v0::Constant>(value.get_node_shared_ptr()))
        return {pad(ctx.get_input(0), value, lo, hi, in)};
    // OpenVINO's CPU plugin pads with 0 when the pad value is not a Constant (seen on
    // 2026.4), so pad with a constant 0 and select the run-time value where no
    // operand element landed.
    const ov::Shape in_shape = ctx.in_shape(0), out = ctx.out_shape(0);
    auto padded = pad(ctx.get_input(0), const_scalar(ctx.out_type(0), 0), lo, hi, in);
    auto mask = operand_mask(in_shape, out, lo, in);
    if (!mask)  // every output element comes from the operand
        return {padded};
    return {std::make_shared<ov::op::v1::Select>(*mask, padded, value)->output(0)};
}

ov::OutputVector translate_iota(const NodeContext& ctx) {
    auto t = ctx.out_type(0);
    ov::Shape shape = ctx.out_shape(0);
    int64_t dim = ctx.int_param("dimension");
    OVJAX_CHECK(ctx, dim >= 0 && static_cast<size_t>(dim) < shape.size(), "bad iota dimension ", dim);
    if (numel(shape) == 0)
        return {const_fill(t, shape, 0)};
    const size_t n = shape[static_cast<size_t>(dim)];
    ov::Output<ov::Node> r = iota_values(ctx, t, n);
    ov::Shape expanded(shape.size(), 1);
    expanded[static_cast<size_t>(dim)] = n;
    r = reshape(r, expanded);
    if (expanded == shape)
        return {r};
    std::vector<int64_t> target(shape.begin(), shape.end());
    return {std::make_shared<ov::op::v3::Broadcast>(r, const_i64(target))->output(0)};
}

// lax.split: pieces of `sizes` along `axis`, in order.
ov::OutputVector translate_split(const NodeContext& ctx) {
    auto sizes = ctx.ints_param("sizes");
    int64_t axis = ctx.int_param("axis");
    OVJAX_CHECK(ctx, sizes.size() == ctx.num_outputs(), sizes.size(), " sizes for ", ctx.num_outputs(), " outputs");
    ov::OutputVector outs;
    int64_t start = 0;
    for (size_t i = 0; i < sizes.size(); ++i) {
        if (sizes[i] == 0 || numel(ctx.out_shape(i)) == 0)
            outs.push_back(const_fill(ctx.out_type(i), ctx.out_shape(i), 0));
        else
            outs.push_back(slice(ctx.get_input(0), {start}, {start + sizes[i]}, {1}, {axis}));
        start += sizes[i];
    }
    return outs;
}

// lax stack (jnp.stack): the operands, each given a new axis `axis`, concatenated along it.
ov::OutputVector translate_stack(const NodeContext& ctx) {
    if (numel(ctx.out_shape(0)) == 0)
        return {const_fill(ctx.out_type(0), ctx.out_shape(0), 0)};
    int64_t axis = ctx.int_param("axis");
    ov::OutputVector pieces;
    for (size_t i = 0; i < ctx.get_input_size(); ++i) {
        ov::Shape s = ctx.in_shape(i);
        s.insert(s.begin() + axis, 1);
        pieces.push_back(reshape(ctx.get_input(static_cast<int>(i)), s));
    }
    if (pieces.size() == 1)
        return {pieces[0]};
    return {std::make_shared<ov::op::v0::Concat>(pieces, axis)->output(0)};
}

// unstack: the inverse of stack, one output per index along `axis`.
ov::OutputVector translate_unstack(const NodeContext& ctx) {
    int64_t axis = ctx.int_param("axis");
    ov::OutputVector outs;
    for (size_t i = 0; i < ctx.num_outputs(); ++i) {
        if (numel(ctx.out_shape(i)) == 0) {
            outs.push_back(const_fill(ctx.out_type(i), ctx.out_shape(i), 0));
            continue;
        }
        auto k = static_cast<int64_t>(i);
        outs.push_back(reshape(slice(ctx.get_input(0), {k}, {k + 1}, {1}, {axis}), ctx.out_shape(i)));
    }
    return outs;
}

// lax tile (jnp.tile): `reps` copies along each axis.
ov::OutputVector translate_tile(const NodeContext& ctx) {
    if (numel(ctx.out_shape(0)) == 0)
        return {const_fill(ctx.out_type(0), ctx.out_shape(0), 0)};
    auto reps = ctx.ints_param("reps");
    reps.resize(ctx.in_shape(0).size(), 1);  // PRNG key data dimensions are not tiled
    return {std::make_shared<ov::op::v0::Tile>(ctx.get_input(0), const_i64(reps))->output(0)};
}

// empty / empty2 / zeros_like: an array of the output's shape and type. JAX leaves
// empty's contents unspecified (XLA allocates zeros); zeros are a valid value.
ov::OutputVector translate_zeros(const NodeContext& ctx) {
    return {const_fill(ctx.out_type(0), ctx.out_shape(0), 0)};
}

}  // namespace op
}  // namespace ovjax

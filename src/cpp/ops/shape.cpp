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
#include "ops/builders.hpp"
#include "ops/utils.hpp"

namespace ovjax {
namespace op {

namespace {

template <typename T, typename F>
ov::Output<ov::Node> iota_constant(const ov::element::Type& t, size_t n, F value_of) {
    charge_constant(n, sizeof(T));
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
std::optional<ov::Output<ov::Node>> operand_mask(const ov::Shape& in, const ov::Shape& out,
                                                 const std::vector<int64_t>& lo, const std::vector<int64_t>& interior) {
    std::optional<ov::Output<ov::Node>> mask;
    for (size_t ax = 0; ax < out.size(); ++ax) {
        const int64_t n = static_cast<int64_t>(in[ax]), step = interior[ax] + 1;
        charge_constant(out[ax], 1);
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
    const ov::Shape in = ctx.in_shape(0);
    ov::Shape out = shape_param(ctx, ctx.ints_param("shape"), "broadcast_in_dim's shape");
    auto dims = ctx.ints_param("broadcast_dimensions");
    OVJAX_CHECK(ctx, dims.size() <= in.size(), "broadcast_dimensions has ", dims.size(), " entries for rank ",
                in.size());
    // PRNG key arrays and complex values carry trailing data dimensions (the same in and
    // out) that the parameters do not list
    for (size_t extra = in.size() - dims.size(), j = 0; j < extra; ++j) {
        dims.push_back(static_cast<int64_t>(out.size()));
        out.push_back(in[in.size() - extra + j]);
    }
    for (size_t i = 0; i < dims.size(); ++i) {
        const auto d = dims[i];
        OVJAX_CHECK(ctx, d >= 0 && static_cast<size_t>(d) < out.size(), "bad broadcast dimension ", d);
        OVJAX_CHECK(ctx, in[i] == 1 || in[i] == out[static_cast<size_t>(d)], "operand dimension ", i, " of size ",
                    in[i], " cannot broadcast to dimension ", d, " of size ", out[static_cast<size_t>(d)]);
    }
    if (numel(out) == 0)
        return {const_fill(ctx.in_type(0), out, 0)};
    // broadcast_dimensions need not increase (JAX accepts e.g. (1, 0), a transpose):
    // first order the operand's axes by their output positions.
    std::vector<int64_t> perm(dims.size());
    std::iota(perm.begin(), perm.end(), 0);
    std::stable_sort(perm.begin(), perm.end(),
                     [&](int64_t a, int64_t b) { return dims[static_cast<size_t>(a)] < dims[static_cast<size_t>(b)]; });
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
    const ov::Shape in = ctx.in_shape(0);
    const size_t data = ctx.in_data_rank(0);  // trailing (real, imag) or key data axes, kept
    ov::Shape out = shape_param(ctx, ctx.ints_param("new_sizes"), "new_sizes");
    out.insert(out.end(), in.end() - static_cast<std::ptrdiff_t>(data), in.end());
    OVJAX_CHECK(ctx, numel(out) == numel(in), "cannot reshape ", in, " to ", out);
    auto dims = ctx.opt_param("dimensions");
    if (dims && !dims->is_none()) {
        auto perm = dims->as_ints();
        for (size_t i = perm.size(); i < in.size(); ++i)
            perm.push_back(static_cast<int64_t>(i));
        x = transpose(x, perm);
    }
    return {reshape(x, out)};
}

ov::OutputVector translate_squeeze(const NodeContext& ctx) {
    const ov::Shape in = ctx.in_shape(0);
    const size_t rank = in.size() - ctx.in_data_rank(0);
    std::vector<bool> drop(in.size(), false);
    for (auto d : ctx.ints_param("dimensions")) {
        if (d < 0)
            d += static_cast<int64_t>(rank);
        OVJAX_CHECK(ctx, d >= 0 && static_cast<size_t>(d) < rank, "squeeze dimension ", d, " out of range for rank ",
                    rank);
        OVJAX_CHECK(ctx, in[static_cast<size_t>(d)] == 1, "cannot squeeze dimension ", d, " of size ",
                    in[static_cast<size_t>(d)]);
        drop[static_cast<size_t>(d)] = true;
    }
    ov::Shape out;
    for (size_t i = 0; i < in.size(); ++i)
        if (!drop[i])
            out.push_back(in[i]);
    return {reshape(ctx.get_input(0), out)};
}

// lax.expand_dims: size-1 axes at `dimensions` of the result.
ov::OutputVector translate_expand_dims(const NodeContext& ctx) {
    const ov::Shape in = ctx.in_shape(0);
    const size_t data = ctx.in_data_rank(0);
    const auto dims = ctx.ints_param("dimensions");
    const size_t rank = in.size() - data + dims.size();
    std::vector<bool> added(rank, false);
    for (auto d : dims) {
        if (d < 0)
            d += static_cast<int64_t>(rank);
        OVJAX_CHECK(ctx, d >= 0 && static_cast<size_t>(d) < rank && !added[static_cast<size_t>(d)],
                    "bad expand_dims dimension ", d, " for result rank ", rank);
        added[static_cast<size_t>(d)] = true;
    }
    ov::Shape out;
    size_t k = 0;
    for (size_t i = 0; i < rank; ++i)
        out.push_back(added[i] ? 1 : in[k++]);
    out.insert(out.end(), in.begin() + static_cast<std::ptrdiff_t>(k), in.end());
    return {reshape(ctx.get_input(0), out)};
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
    OVJAX_CHECK(ctx, ctx.get_input_size() >= 1, "concatenate needs an operand");
    ov::Shape out = ctx.in_shape(0);
    OVJAX_CHECK(ctx, dim >= 0 && static_cast<size_t>(dim) < out.size(), "bad concatenate dimension ", dim);
    for (size_t i = 1; i < ctx.get_input_size(); ++i) {
        const ov::Shape s = ctx.in_shape(i);
        bool same = s.size() == out.size() && ctx.in_type(i) == ctx.in_type(0);
        for (size_t k = 0; same && k < s.size(); ++k)
            same = k == static_cast<size_t>(dim) || s[k] == out[k];
        OVJAX_CHECK(ctx, same, "operand ", i, " (", ctx.in_type(i), s, ") does not concatenate with operand 0 (",
                    ctx.in_type(0), out, ") along dimension ", dim);
        out[static_cast<size_t>(dim)] += s[static_cast<size_t>(dim)];
    }
    if (numel(out) == 0)  // e.g. pieces empty along another axis
        return {const_fill(ctx.in_type(0), out, 0)};
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
    ov::Shape out = ctx.in_shape(0);
    OVJAX_CHECK(ctx, start.size() == limit.size() && start.size() == strides.size() && start.size() <= out.size(),
                "slice parameters do not match the operand rank ", out.size());
    std::vector<int64_t> axes(start.size());
    for (size_t i = 0; i < axes.size(); ++i) {
        axes[i] = static_cast<int64_t>(i);
        // JAX's rule: 0 <= start <= limit <= size, stride >= 1 (OpenVINO would clamp instead)
        OVJAX_CHECK(
            ctx, 0 <= start[i] && start[i] <= limit[i] && limit[i] <= static_cast<int64_t>(out[i]) && strides[i] >= 1,
            "slice [", start[i], ", ", limit[i], ") with stride ", strides[i], " does not fit dimension ", i,
            " of size ", out[i]);
        out[i] = static_cast<size_t>(limit[i] == start[i] ? 0 : (limit[i] - start[i] - 1) / strides[i] + 1);
    }
    if (numel(out) == 0)
        return {const_fill(ctx.in_type(0), out, 0)};
    return {slice(ctx.get_input(0), start, limit, strides, axes)};
}

ov::OutputVector translate_pad(const NodeContext& ctx) {
    const auto [lo, hi, in] = padding_config(ctx);
    const ov::Shape in_shape = ctx.in_shape(0);
    const ov::Shape out = padded_shape(ctx, in_shape, lo, hi, in);
    if (numel(out) == 0)
        return {const_fill(ctx.in_type(0), out, 0)};
    if (numel(in_shape) == 0) {  // no output element comes from the operand: all padding
        std::vector<int64_t> target(out.begin(), out.end());
        return {std::make_shared<ov::op::v3::Broadcast>(ctx.get_input(1), const_i64(target))->output(0)};
    }
    auto value = ctx.get_input(1);
    if (ov::as_type_ptr<ov::op::v0::Constant>(value.get_node_shared_ptr()))
        return {pad(ctx.get_input(0), value, lo, hi, in)};
    // OpenVINO's CPU plugin pads with 0 when the pad value is not a Constant (seen on
    // 2026.4), so pad with a constant 0 and select the run-time value where no
    // operand element landed.
    auto padded = pad(ctx.get_input(0), const_scalar(ctx.in_type(0), 0), lo, hi, in);
    auto mask = operand_mask(in_shape, out, lo, in);
    if (!mask)  // every output element comes from the operand
        return {padded};
    return {std::make_shared<ov::op::v1::Select>(*mask, padded, value)->output(0)};
}

ov::OutputVector translate_iota(const NodeContext& ctx) {
    const auto t = to_ov_type(ctx.dtype_param("dtype"));
    const ov::Shape shape = shape_param(ctx, ctx.ints_param("shape"), "iota's shape");
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
    const ov::Shape in = ctx.in_shape(0);
    OVJAX_CHECK(ctx, axis >= 0 && static_cast<size_t>(axis) < in.size(), "bad split axis ", axis);
    int64_t total = 0;
    for (auto n : sizes) {
        OVJAX_CHECK(ctx, n >= 0, "negative split size ", n);
        total += n;
    }
    OVJAX_CHECK(ctx, total == static_cast<int64_t>(in[static_cast<size_t>(axis)]), "split sizes add up to ", total,
                ", not the axis size ", in[static_cast<size_t>(axis)]);
    ov::OutputVector outs;
    int64_t start = 0;
    for (size_t i = 0; i < sizes.size(); ++i) {
        ov::Shape s = in;
        s[static_cast<size_t>(axis)] = static_cast<size_t>(sizes[i]);
        if (numel(s) == 0)
            outs.push_back(const_fill(ctx.in_type(0), s, 0));
        else
            outs.push_back(slice(ctx.get_input(0), {start}, {start + sizes[i]}, {1}, {axis}));
        start += sizes[i];
    }
    return outs;
}

// lax stack (jnp.stack): the operands, each given a new axis `axis`, concatenated along it.
ov::OutputVector translate_stack(const NodeContext& ctx) {
    int64_t axis = ctx.int_param("axis");
    OVJAX_CHECK(ctx, ctx.get_input_size() >= 1, "stack needs an operand");
    const ov::Shape in = ctx.in_shape(0);
    OVJAX_CHECK(ctx, axis >= 0 && static_cast<size_t>(axis) <= in.size(), "bad stack axis ", axis);
    for (size_t i = 1; i < ctx.get_input_size(); ++i)
        OVJAX_CHECK(ctx, ctx.in_shape(i) == in && ctx.in_type(i) == ctx.in_type(0), "operand ", i, " (", ctx.in_type(i),
                    ctx.in_shape(i), ") differs from operand 0 (", ctx.in_type(0), in, ")");
    ov::Shape out = in;
    out.insert(out.begin() + axis, ctx.get_input_size());
    if (numel(out) == 0)
        return {const_fill(ctx.in_type(0), out, 0)};
    ov::OutputVector pieces;
    for (size_t i = 0; i < ctx.get_input_size(); ++i) {
        ov::Shape s = in;
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
    const ov::Shape in = ctx.in_shape(0);
    OVJAX_CHECK(ctx, axis >= 0 && static_cast<size_t>(axis) < in.size(), "bad unstack axis ", axis);
    OVJAX_CHECK(ctx, ctx.num_outputs() == in[static_cast<size_t>(axis)], "unstack of an axis of ",
                in[static_cast<size_t>(axis)], " has ", ctx.num_outputs(), " outputs");
    ov::Shape out = in;
    out.erase(out.begin() + axis);
    ov::OutputVector outs;
    for (size_t i = 0; i < ctx.num_outputs(); ++i) {
        if (numel(out) == 0) {
            outs.push_back(const_fill(ctx.in_type(0), out, 0));
            continue;
        }
        auto k = static_cast<int64_t>(i);
        outs.push_back(reshape(slice(ctx.get_input(0), {k}, {k + 1}, {1}, {axis}), out));
    }
    return outs;
}

// lax tile (jnp.tile): `reps` copies along each axis.
ov::OutputVector translate_tile(const NodeContext& ctx) {
    auto reps = ctx.ints_param("reps");
    ov::Shape out = ctx.in_shape(0);
    OVJAX_CHECK(ctx, reps.size() <= out.size(), "tile has ", reps.size(), " reps for rank ", out.size());
    reps.resize(out.size(), 1);  // PRNG key data dimensions are not tiled
    for (size_t i = 0; i < out.size(); ++i) {
        OVJAX_CHECK(ctx, reps[i] >= 0, "negative tile reps ", reps[i]);
        out[i] *= static_cast<size_t>(reps[i]);
    }
    if (numel(out) == 0)
        return {const_fill(ctx.in_type(0), out, 0)};
    return {std::make_shared<ov::op::v0::Tile>(ctx.get_input(0), const_i64(reps))->output(0)};
}

// empty (params shape, dtype) / empty2 (a scalar of dtype) / zeros_like (its operand's
// aval): zeros of that shape and type. JAX leaves empty's contents unspecified (XLA
// allocates zeros); zeros are a valid value.
ov::OutputVector translate_zeros(const NodeContext& ctx) {
    if (ctx.primitive() == "zeros_like")
        return {const_fill(ctx.in_type(0), ctx.in_shape(0), 0)};
    // an empty2 spelled without its dtype but with an operand: that operand's dtype
    const bool operand_dtype = !ctx.has_param("dtype") && ctx.primitive() == "empty2" && ctx.get_input_size() > 0;
    const auto dt = operand_dtype ? ctx.in_dtype(0) : ctx.dtype_param("dtype");
    // a key's data shape depends on its PRNG implementation, which no parameter names
    OVJAX_CHECK(ctx, dt != format::DType::key, ctx.primitive(), " of PRNG keys is not supported");
    ov::Shape s;
    if (ctx.has_param("shape"))
        s = shape_param(ctx, ctx.ints_param("shape"), "shape");
    if (is_complex(dt))
        s.push_back(2);
    return {const_fill(to_ov_type(dt), s, 0)};
}

}  // namespace op
}  // namespace ovjax

// Shape primitives. A static target shape becomes a constant; a symbolic one (a dimension
// of a shape-polymorphic jaxpr) the model's shared subgraph for it (frontend/shapes.hpp).
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
#include "openvino/op/pad.hpp"
#include "openvino/op/tile.hpp"
#include "openvino/op/range.hpp"
#include "openvino/op/slice.hpp"
#include "openvino/op/squeeze.hpp"
#include "openvino/op/unsqueeze.hpp"
#include "openvino/op/variadic_split.hpp"
#include "openvino/op/add.hpp"
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
    const Dims in = ctx.in_dims(0);
    Dims out = dims_param(ctx, "shape");
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
                    ctx.dim_text(in[i]), " cannot broadcast to dimension ", d, " of size ",
                    ctx.dim_text(out[static_cast<size_t>(d)]));
    }
    if (has_zero(out))
        return {zeros(ctx, ctx.in_type(0), out)};
    // broadcast_dimensions need not increase (JAX accepts e.g. (1, 0), a transpose):
    // first order the operand's axes by their output positions.
    std::vector<int64_t> perm(dims.size());
    std::iota(perm.begin(), perm.end(), 0);
    std::stable_sort(perm.begin(), perm.end(),
                     [&](int64_t a, int64_t b) { return dims[static_cast<size_t>(a)] < dims[static_cast<size_t>(b)]; });
    x = transpose(x, perm);
    // Place the operand's axes at their output positions (size-1 elsewhere), then broadcast.
    Dims expanded(out.size(), 1);
    for (auto p : perm)
        expanded[static_cast<size_t>(dims[static_cast<size_t>(p)])] = in[static_cast<size_t>(p)];
    ov::Output<ov::Node> y;
    if (is_static(expanded)) {
        y = reshape(x, static_shape(ctx, expanded));
    } else {  // the new axes as such: no size to compute
        std::vector<int64_t> added;
        std::vector<bool> placed(out.size(), false);
        for (auto d : dims)
            placed[static_cast<size_t>(d)] = true;
        for (size_t k = 0; k < out.size(); ++k)
            if (!placed[k])
                added.push_back(static_cast<int64_t>(k));
        y = added.empty() ? x : std::make_shared<ov::op::v0::Unsqueeze>(x, const_i64(added))->output(0);
    }
    if (expanded == out)
        return {y};
    return {broadcast(ctx, y, out)};
}

ov::OutputVector translate_reshape(const NodeContext& ctx) {
    auto x = ctx.get_input(0);
    const Dims in = ctx.in_dims(0);
    const size_t data = ctx.in_data_rank(0);  // trailing (real, imag) or key data axes, kept
    Dims out = dims_param(ctx, "new_sizes");
    out.insert(out.end(), in.end() - static_cast<std::ptrdiff_t>(data), in.end());
    if (is_static(in) && is_static(out))  // (symbolic sizes: JAX checked them, OpenVINO checks at run time)
        OVJAX_CHECK(ctx, numel(static_shape(ctx, out)) == numel(static_shape(ctx, in)), "cannot reshape ",
                    ctx.in_pshape(0), " to ", ctx.shapes().partial_shape(out));
    auto dims = ctx.opt_param("dimensions");
    if (dims && !dims->is_none()) {
        auto perm = dims->as_ints();
        for (size_t i = perm.size(); i < in.size(); ++i)
            perm.push_back(static_cast<int64_t>(i));
        x = transpose(x, perm);
    }
    return {reshape(ctx, x, out)};
}

ov::OutputVector translate_squeeze(const NodeContext& ctx) {
    const Dims in = ctx.in_dims(0);
    const size_t rank = in.size() - ctx.in_data_rank(0);
    std::vector<bool> drop(in.size(), false);
    for (auto d : ctx.ints_param("dimensions")) {
        if (d < 0)
            d += static_cast<int64_t>(rank);
        OVJAX_CHECK(ctx, d >= 0 && static_cast<size_t>(d) < rank, "squeeze dimension ", d, " out of range for rank ",
                    rank);
        OVJAX_CHECK(ctx, in[static_cast<size_t>(d)] == 1, "cannot squeeze dimension ", d, " of size ",
                    ctx.dim_text(in[static_cast<size_t>(d)]));
        drop[static_cast<size_t>(d)] = true;
    }
    Dims out;
    std::vector<int64_t> axes;
    for (size_t i = 0; i < in.size(); ++i)
        if (!drop[i])
            out.push_back(in[i]);
        else
            axes.push_back(static_cast<int64_t>(i));
    if (is_static(in))
        return {reshape(ctx.get_input(0), static_shape(ctx, out))};
    if (axes.empty())
        return {ctx.get_input(0)};
    return {std::make_shared<ov::op::v0::Squeeze>(ctx.get_input(0), const_i64(axes))->output(0)};
}

// lax.expand_dims: size-1 axes at `dimensions` of the result.
ov::OutputVector translate_expand_dims(const NodeContext& ctx) {
    const Dims in = ctx.in_dims(0);
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
    Dims out;
    size_t k = 0;
    std::vector<int64_t> axes;
    for (size_t i = 0; i < rank; ++i) {
        out.push_back(added[i] ? 1 : in[k++]);
        if (added[i])
            axes.push_back(static_cast<int64_t>(i));
    }
    out.insert(out.end(), in.begin() + static_cast<std::ptrdiff_t>(k), in.end());
    if (is_static(in))
        return {reshape(ctx.get_input(0), static_shape(ctx, out))};
    return {std::make_shared<ov::op::v0::Unsqueeze>(ctx.get_input(0), const_i64(axes))->output(0)};
}

ov::OutputVector translate_transpose(const NodeContext& ctx) {
    auto perm = ctx.ints_param("permutation");
    // PRNG key arrays: their trailing key data dimensions stay in place
    for (auto r = static_cast<int64_t>(ctx.in_dims(0).size()), i = static_cast<int64_t>(perm.size()); i < r; ++i)
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
    const Dims first = ctx.in_dims(0);
    OVJAX_CHECK(ctx, dim >= 0 && static_cast<size_t>(dim) < first.size(), "bad concatenate dimension ", dim);
    const auto axis = static_cast<size_t>(dim);
    Dims out = first;  // the axis' size only when static
    bool axis_static = !format::is_symbolic_dim(first[axis]);
    for (size_t i = 1; i < ctx.get_input_size(); ++i) {
        const Dims s = ctx.in_dims(i);
        bool same = s.size() == out.size() && ctx.in_type(i) == ctx.in_type(0);
        for (size_t k = 0; same && k < s.size(); ++k)
            same = k == axis || s[k] == out[k];
        OVJAX_CHECK(ctx, same, "operand ", i, " (", ctx.in_type(i), ctx.in_pshape(i),
                    ") does not concatenate with operand 0 (", ctx.in_type(0), ctx.in_pshape(0), ") along dimension ",
                    dim);
        if (axis_static && !format::is_symbolic_dim(s[axis]))
            out[axis] = dim_add(out[axis], s[axis]);
        else
            axis_static = false;
    }
    ov::OutputVector ins;
    for (size_t i = 0; i < ctx.get_input_size(); ++i)
        if (ctx.in_dims(i).at(axis) != 0)  // empty pieces add nothing
            ins.push_back(ctx.get_input(static_cast<int>(i)));
    Dims others = out;
    others.erase(others.begin() + dim);
    if (axis_static && is_static(out) && numel(static_shape(ctx, out)) == 0)  // e.g. pieces empty along another axis
        return {const_fill(ctx.in_type(0), static_shape(ctx, out), 0)};
    if (has_zero(others) || ins.empty()) {  // no element, of a size known at run time
        ov::OutputVector size;
        for (size_t i = 0; i < ctx.get_input_size(); ++i)
            size.push_back(ctx.dim_of(ctx.in_dims(i)[axis]));
        ov::Output<ov::Node> n = size[0];
        for (size_t i = 1; i < size.size(); ++i)
            n = std::make_shared<ov::op::v1::Add>(n, size[i]);
        Dims before(out.begin(), out.begin() + dim), after(out.begin() + dim + 1, out.end());
        auto shape =
            std::make_shared<ov::op::v0::Concat>(ov::OutputVector{ctx.shape_of(before), n, ctx.shape_of(after)}, 0);
        return {std::make_shared<ov::op::v3::Broadcast>(const_scalar(ctx.in_type(0), 0), shape)->output(0)};
    }
    if (ins.size() == 1)
        return {ins[0]};
    ov::Output<ov::Node> r = std::make_shared<ov::op::v0::Concat>(ins, dim)->output(0);
    if (!axis_static) {  // a KV cache grown by the step's tokens: P + S, as the attention mask's length
        std::vector<ov::Dimension> parts;
        for (const auto& x : ins)
            parts.push_back(x.get_partial_shape()[axis]);
        ctx.shapes().label_sum(r, axis, parts);
    }
    return {r};
}

ov::OutputVector translate_slice(const NodeContext& ctx) {
    const Dims start = ctx.dims_param("start_indices");
    const Dims limit = ctx.dims_param("limit_indices");
    std::vector<int64_t> strides(start.size(), 1);
    auto s = ctx.opt_param("strides");
    if (s && !s->is_none())
        strides = s->as_ints();
    const Dims in = ctx.in_dims(0);
    OVJAX_CHECK(ctx, start.size() == limit.size() && start.size() == strides.size() && start.size() <= in.size(),
                "slice parameters do not match the operand rank ", in.size());
    std::vector<int64_t> axes(start.size());
    Dims out = in;
    bool whole = true;  // symbolic start or limit only where the slice keeps the whole axis
    for (size_t i = 0; i < axes.size(); ++i) {
        axes[i] = static_cast<int64_t>(i);
        OVJAX_CHECK(ctx, strides[i] >= 1, "slice stride ", strides[i], " on dimension ", i);
        if (!is_static({start[i], limit[i], in[i]})) {
            // JAX checked 0 <= start <= limit <= size symbolically; a full slice is common
            // (a vmapped batch axis), anything else is sliced at run time
            if (!(start[i] == 0 && limit[i] == in[i] && strides[i] == 1))
                whole = false;
            continue;
        }
        // JAX's rule: 0 <= start <= limit <= size, stride >= 1 (OpenVINO would clamp instead)
        OVJAX_CHECK(ctx, 0 <= start[i] && start[i] <= limit[i] && limit[i] <= in[i], "slice [", start[i], ", ",
                    limit[i], ") with stride ", strides[i], " does not fit dimension ", i, " of size ", in[i]);
        out[i] = limit[i] == start[i] ? 0 : (limit[i] - start[i] - 1) / strides[i] + 1;
    }
    if (is_static(out) && numel(static_shape(ctx, out)) == 0)
        return {const_fill(ctx.in_type(0), static_shape(ctx, out), 0)};
    if (is_static(start) && is_static(limit))
        return {slice(ctx.get_input(0), start, limit, strides, axes)};
    OVJAX_CHECK(ctx, whole || !has_zero(out), "an empty slice of symbolic size");
    // only the axes with something to cut
    Dims st, li;
    std::vector<int64_t> sp, ax;
    for (size_t i = 0; i < axes.size(); ++i)
        if (!(start[i] == 0 && limit[i] == in[i] && strides[i] == 1)) {
            st.push_back(start[i]);
            li.push_back(limit[i]);
            sp.push_back(strides[i]);
            ax.push_back(static_cast<int64_t>(i));
        }
    if (ax.empty())
        return {ctx.get_input(0)};
    return {std::make_shared<ov::op::v8::Slice>(ctx.get_input(0), ctx.shape_of(st), ctx.shape_of(li), const_i64(sp),
                                                const_i64(ax))
                ->output(0)};
}

ov::OutputVector translate_pad(const NodeContext& ctx) {
    const auto [lo, hi, in] = padding_config(ctx);
    if (!is_static(ctx.in_dims(0))) {
        // Sizes at run time: padding (lo, hi, interior) on static axes only; a symbolic axis
        // passes through (JAX's padded size of a symbolic one is not a dimension word here).
        const Dims d = ctx.in_dims(0);
        Dims out_dims = d;
        ov::Shape in_shape(d.size(), 1), out(d.size(), 1);
        for (size_t i = 0; i < d.size(); ++i) {
            if (format::is_symbolic_dim(d[i])) {
                OVJAX_CHECK(ctx, lo[i] == 0 && hi[i] == 0 && in[i] == 0, "pad of the symbolic dimension ",
                            ctx.dim_text(d[i]), " (axis ", i, ") is not supported yet: make that dimension static");
                continue;  // size 1 for the mask below: not padded, every element kept
            }
            in_shape[i] = static_cast<size_t>(d[i]);
            out[i] = static_cast<size_t>(padded_dim(ctx, d[i], lo[i], hi[i], in[i]));
            out_dims[i] = static_cast<int64_t>(out[i]);
        }
        auto value = ctx.get_input(1);
        if (numel(out) == 0)
            return {zeros(ctx, ctx.in_type(0), out_dims)};
        if (numel(in_shape) == 0)  // all padding
            return {std::make_shared<ov::op::v3::Broadcast>(value, ctx.shape_of(out_dims))->output(0)};
        if (ov::as_type_ptr<ov::op::v0::Constant>(value.get_node_shared_ptr()))
            return {pad(ctx.get_input(0), value, lo, hi, in)};
        // a run-time pad value: as below, selected where no operand element landed
        auto padded = pad(ctx.get_input(0), const_scalar(ctx.in_type(0), 0), lo, hi, in);
        auto mask = operand_mask(in_shape, out, lo, in);
        if (!mask)
            return {padded};
        return {std::make_shared<ov::op::v1::Select>(*mask, padded, value)->output(0)};
    }
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
    const Dims shape = dims_param(ctx, "shape");
    int64_t dim = ctx.int_param("dimension");
    OVJAX_CHECK(ctx, dim >= 0 && static_cast<size_t>(dim) < shape.size(), "bad iota dimension ", dim);
    if (has_zero(shape))
        return {zeros(ctx, t, shape)};
    const int64_t n = shape[static_cast<size_t>(dim)];
    ov::Output<ov::Node> r;
    if (!format::is_symbolic_dim(n)) {
        r = iota_values(ctx, t, static_cast<size_t>(n));
    } else {
        // 0 .. n-1 at run time: exact in i64 and (below 2^24) in f32, then JAX's type
        const auto wide = t.is_real() ? ov::element::f32 : ov::element::i64;
        OVJAX_CHECK(ctx, t != ov::element::f64 && t != ov::element::u64, "iota of ", t,
                    " along the symbolic dimension ", ctx.dim_text(n), " is not supported");
        r = std::make_shared<ov::op::v4::Range>(const_scalar(ov::element::i64, 0), ctx.dim_scalar(n),
                                                const_scalar(ov::element::i64, 1), ov::element::i64);
        r = convert(convert(r, wide), t);
    }
    Dims expanded(shape.size(), 1);
    expanded[static_cast<size_t>(dim)] = n;
    if (format::is_symbolic_dim(n)) {
        std::vector<int64_t> added;
        for (size_t k = 0; k < shape.size(); ++k)
            if (k != static_cast<size_t>(dim))
                added.push_back(static_cast<int64_t>(k));
        if (!added.empty())
            r = std::make_shared<ov::op::v0::Unsqueeze>(r, const_i64(added));
    } else {
        r = reshape(r, static_shape(ctx, expanded));
    }
    if (expanded == shape)
        return {r};
    return {broadcast(ctx, r, shape)};
}

// dim_as_value (a dimension used as a number, jnp.arange(x.shape[0]) etc.): the scalar from
// the model's shape subgraph. JAX's result type is int32, or int64 with jax_enable_x64,
// which no parameter records: the one of the two the equation declares.
ov::OutputVector translate_dim_as_value(const NodeContext& ctx) {
    const Dims d = ctx.dims_param("dim");
    OVJAX_CHECK(ctx, d.size() == 1, "dim is not one dimension");
    const auto t = ctx.declared_out_dtype(0) == format::DType::i64 ? ov::element::i64 : ov::element::i32;
    return {convert(ctx.dim_scalar(d[0]), t)};
}

// lax.split: pieces of `sizes` along `axis`, in order.
ov::OutputVector translate_split(const NodeContext& ctx) {
    const Dims sizes = ctx.dims_param("sizes");
    int64_t axis = ctx.int_param("axis");
    OVJAX_CHECK(ctx, sizes.size() == ctx.num_outputs(), sizes.size(), " sizes for ", ctx.num_outputs(), " outputs");
    const Dims in = ctx.in_dims(0);
    OVJAX_CHECK(ctx, axis >= 0 && static_cast<size_t>(axis) < in.size(), "bad split axis ", axis);
    const auto ax = static_cast<size_t>(axis);
    if (!is_static(sizes) || format::is_symbolic_dim(in[ax])) {
        // sizes known at run time (JAX checked that they add up)
        return std::make_shared<ov::op::v1::VariadicSplit>(ctx.get_input(0), const_scalar(ov::element::i64, axis),
                                                           ctx.shape_of(sizes))
            ->outputs();
    }
    int64_t total = 0;
    for (auto n : sizes) {
        OVJAX_CHECK(ctx, n >= 0, "negative split size ", n);
        total = dim_add(total, n);
    }
    OVJAX_CHECK(ctx, total == in[ax], "split sizes add up to ", total, ", not the axis size ", in[ax]);
    ov::OutputVector outs;
    int64_t start = 0;
    for (size_t i = 0; i < sizes.size(); ++i) {
        Dims s = in;
        s[ax] = sizes[i];
        if (has_zero(s))
            outs.push_back(zeros(ctx, ctx.in_type(0), s));
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
    const Dims in = ctx.in_dims(0);
    OVJAX_CHECK(ctx, axis >= 0 && static_cast<size_t>(axis) <= in.size(), "bad stack axis ", axis);
    for (size_t i = 1; i < ctx.get_input_size(); ++i)
        OVJAX_CHECK(ctx, ctx.in_dims(i) == in && ctx.in_type(i) == ctx.in_type(0), "operand ", i, " (", ctx.in_type(i),
                    ctx.in_pshape(i), ") differs from operand 0 (", ctx.in_type(0), ctx.in_pshape(0), ")");
    Dims out = in;
    out.insert(out.begin() + axis, static_cast<int64_t>(ctx.get_input_size()));
    if (has_zero(out))
        return {zeros(ctx, ctx.in_type(0), out)};
    ov::OutputVector pieces;
    for (size_t i = 0; i < ctx.get_input_size(); ++i) {
        Dims s = in;
        s.insert(s.begin() + axis, 1);
        pieces.push_back(is_static(s) ? reshape(ctx.get_input(static_cast<int>(i)), static_shape(ctx, s))
                                      : std::make_shared<ov::op::v0::Unsqueeze>(ctx.get_input(static_cast<int>(i)),
                                                                                const_i64({axis}))
                                            ->output(0));
    }
    if (pieces.size() == 1)
        return {pieces[0]};
    return {std::make_shared<ov::op::v0::Concat>(pieces, axis)->output(0)};
}

// unstack: the inverse of stack, one output per index along `axis`.
ov::OutputVector translate_unstack(const NodeContext& ctx) {
    int64_t axis = ctx.int_param("axis");
    const Dims in = ctx.in_dims(0);
    OVJAX_CHECK(ctx, axis >= 0 && static_cast<size_t>(axis) < in.size(), "bad unstack axis ", axis);
    OVJAX_CHECK(ctx, static_cast<int64_t>(ctx.num_outputs()) == in[static_cast<size_t>(axis)], "unstack of an axis of ",
                ctx.dim_text(in[static_cast<size_t>(axis)]), " has ", ctx.num_outputs(), " outputs");
    Dims out = in;
    out.erase(out.begin() + axis);
    ov::OutputVector outs;
    for (size_t i = 0; i < ctx.num_outputs(); ++i) {
        if (has_zero(out)) {
            outs.push_back(zeros(ctx, ctx.in_type(0), out));
            continue;
        }
        auto k = static_cast<int64_t>(i);
        auto piece = slice(ctx.get_input(0), {k}, {k + 1}, {1}, {axis});
        outs.push_back(is_static(out) ? reshape(piece, static_shape(ctx, out))
                                      : std::make_shared<ov::op::v0::Squeeze>(piece, const_i64({axis}))->output(0));
    }
    return outs;
}

// lax tile (jnp.tile): `reps` copies along each axis.
ov::OutputVector translate_tile(const NodeContext& ctx) {
    auto reps = ctx.ints_param("reps");
    Dims out = ctx.in_dims(0);
    OVJAX_CHECK(ctx, reps.size() <= out.size(), "tile has ", reps.size(), " reps for rank ", out.size());
    reps.resize(out.size(), 1);  // PRNG key data dimensions are not tiled
    for (size_t i = 0; i < out.size(); ++i) {
        OVJAX_CHECK(ctx, reps[i] >= 0, "negative tile reps ", reps[i]);
        if (!format::is_symbolic_dim(out[i]))
            out[i] = dim_mul(out[i], reps[i]);
        else if (reps[i] == 0)
            out[i] = 0;
    }
    if (is_static(out) && numel(static_shape(ctx, out)) == 0)
        return {const_fill(ctx.in_type(0), static_shape(ctx, out), 0)};
    OVJAX_CHECK(ctx, !has_zero(out), "an empty tile of symbolic size");
    return {std::make_shared<ov::op::v0::Tile>(ctx.get_input(0), const_i64(reps))->output(0)};
}

// empty (params shape, dtype) / empty2 (a scalar of dtype) / zeros_like (its operand's
// aval): zeros of that shape and type. JAX leaves empty's contents unspecified (XLA
// allocates zeros); zeros are a valid value.
ov::OutputVector translate_zeros(const NodeContext& ctx) {
    if (ctx.primitive() == "zeros_like")
        return {zeros(ctx, ctx.in_type(0), ctx.in_dims(0))};
    // an empty2 spelled without its dtype but with an operand: that operand's dtype
    const bool operand_dtype = !ctx.has_param("dtype") && ctx.primitive() == "empty2" && ctx.get_input_size() > 0;
    const auto dt = operand_dtype ? ctx.in_dtype(0) : ctx.dtype_param("dtype");
    // a key's data shape depends on its PRNG implementation, which no parameter names
    OVJAX_CHECK(ctx, dt != format::DType::key, ctx.primitive(), " of PRNG keys is not supported");
    Dims s;
    if (ctx.has_param("shape"))
        s = dims_param(ctx, "shape");
    if (is_complex(dt))
        s.push_back(2);
    return {zeros(ctx, to_ov_type(dt), s)};
}

}  // namespace op
}  // namespace ovjax

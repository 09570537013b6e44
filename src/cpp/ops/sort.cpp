// sort, top_k and approx_top_k.
//
// Every sort is a composition of stable TopK(v11) passes (k = the axis length, SORT_VALUES,
// stable = true, which keeps tied elements in index order) over keys on which the CPU plugin
// compares exactly: i32 (TopK on i32 is exact, see reduction.hpp) and f32. Several keys, or one
// key that needs several passes, are sorted least significant first (LSD radix style), each
// pass gathering the key through the permutation found so far. Operands are then permuted
// with GatherElements, which only moves data.
//
// Key orders, as JAX's:
//  * lax.sort on floats: -inf < ... < -0.0 == 0.0 < ... < inf < NaN, all NaNs equal
//    (jax._src.lax.lax._canonicalize_float_for_sort): passes (is_nan, value with NaN and -0 -> 0). XLA on CPU
//    compares with denormals as zero, so f32/bf16 denormals tie with the zeros too.
//  * top_k on floats: XLA's total order, where -0.0 < 0.0 and NaN is the largest value: a
//    third pass orders zeros by sign. OpenVINO cannot read the sign bit of a NaN, so a NaN
//    with its sign bit set (which XLA orders below -inf) is taken as the largest value too.
//  * integers: as i32 (narrow types re-extended from their low bits; u32 bits with the top
//    bit flipped, so that signed order is unsigned order); booleans as 0/1.
#include <cmath>
#include <cstdint>

#include "openvino/op/abs.hpp"
#include "openvino/op/convert.hpp"
#include "openvino/op/add.hpp"
#include "openvino/op/bitwise_and.hpp"
#include "openvino/op/bitwise_xor.hpp"
#include "openvino/op/subtract.hpp"
#include "openvino/op/divide.hpp"
#include "openvino/op/equal.hpp"
#include "openvino/op/gather_elements.hpp"
#include "openvino/op/is_nan.hpp"
#include "openvino/op/less.hpp"
#include "openvino/op/logical_and.hpp"
#include "openvino/op/logical_not.hpp"
#include "openvino/op/logical_or.hpp"
#include "openvino/op/select.hpp"
#include "openvino/op/topk.hpp"
#include "ops/ops.hpp"
#include "ops/utils.hpp"
#include "ops/builders.hpp"

namespace ovjax {
namespace op {

namespace {

enum class FloatOrder { sort, total };

// Keys (most significant first) on which i32/f32 TopK orders like JAX orders `x`.
std::vector<Output<Node>> order_keys(const NodeContext& ctx, const Output<Node>& x, FloatOrder fo) {
    auto t = x.get_element_type();
    if (t.is_real()) {
        OVJAX_CHECK(ctx, t.bitwidth() <= 32, ctx.primitive(), ": cannot order ", t, " keys exactly");
        auto xf = convert(x, et::f32);
        auto nan = make<ov::op::v10::IsNaN>(xf);
        // XLA's CPU comparisons treat f32 denormals as zero (and bf16 ones, compared as f32), so
        // lax.sort ties them with the zeros; top_k's total order keeps them apart
        Output<Node> zero = make<v1::Equal>(xf, f32c(0));
        if (fo == FloatOrder::sort && t != et::f16)
            zero = make<v1::Less>(make<v0::Abs>(xf), f32c(std::ldexp(1.0, -126)));
        auto cls = convert(nan, et::i32);
        Output<Node> v = select(lor(nan, zero), f32c(0), xf);
        if (fo == FloatOrder::sort)
            return {cls, v};
        // -0.0 (1 / x == -inf) before +0.0; other values all 1 (ordered by v)
        auto recip = div(f32c(1), xf);
        auto neg_zero = land(zero, make<v1::Less>(recip, f32c(0)));
        auto zs = convert(lnot(neg_zero), et::i32);
        return {cls, v, zs};
    }
    if (t == et::boolean)
        return {convert(x, et::i32)};
    OVJAX_CHECK(ctx, t.is_integral_number() && t.bitwidth() <= 32, ctx.primitive(), ": cannot order ", t,
                " keys exactly");
    if (t == et::u32) {
        auto bits = convert(x, et::i32);  // keeps the bits
        return {bit_xor(bits, i32c(INT32_MIN))};
    }
    if (t.bitwidth() == 32)
        return {x};
    // narrow integers: the low bits of the i32 value, re-extended explicitly (a Convert to the
    // narrow type followed by one back to i32 may be folded away, keeping an unwrapped value)
    const int bits = static_cast<int>(t.bitwidth());
    auto v = convert(x, et::i32);
    auto mask = i32c((1 << bits) - 1);
    if (!t.is_signed())
        return {bit_and(v, mask)};
    auto half = i32c(1 << (bits - 1));
    auto low = bit_and(add(v, half), mask);
    return {sub(low, half)};
}

Output<Node> gather(const Output<Node>& data, const Output<Node>& idx, int64_t axis) {
    if (data.get_element_type() == et::boolean)
        return convert(gather(convert(data, et::u8), idx, axis), et::boolean);
    return make<ov::op::v6::GatherElements>(data, idx, axis);
}

// The permutation (i32 indices along `axis`, the first `k` of them) that stably sorts by
// `keys` (most significant first), ascending or descending.
Output<Node> stable_permutation(const std::vector<Output<Node>>& keys, int64_t axis, int64_t n, int64_t k,
                                bool descending) {
    Output<Node> perm;
    for (size_t j = keys.size(); j-- > 0;) {
        auto key = perm.get_node() ? gather(keys[j], perm, axis) : keys[j];
        int64_t kk = j == 0 ? k : n;
        auto tk = std::make_shared<ov::op::v11::TopK>(key, v0::Constant::create(et::i64, ov::Shape{}, {kk}), axis,
                                                      descending ? ov::op::TopKMode::MAX : ov::op::TopKMode::MIN,
                                                      ov::op::TopKSortType::SORT_VALUES, et::i32, /*stable=*/true);
        Output<Node> idx = tk->output(1);
        perm = perm.get_node() ? gather(perm, idx, axis) : idx;
    }
    return perm;
}

int64_t norm_axis(const NodeContext& ctx, int64_t axis, size_t rank) {
    if (axis < 0)
        axis += static_cast<int64_t>(rank);
    OVJAX_CHECK(ctx, axis >= 0 && static_cast<size_t>(axis) < rank, ctx.primitive(), ": bad axis ", axis);
    return axis;
}

// top_k / approx_top_k: the first k of the stable order along `axis`.
ov::OutputVector top_k(const NodeContext& ctx, int64_t axis, int64_t k, bool descending, FloatOrder fo) {
    auto x = ctx.get_input(0);
    const Dims shape = ctx.in_dims(0);
    const int64_t n = shape[static_cast<size_t>(axis)];
    OVJAX_CHECK(ctx, !format::is_symbolic_dim(n), ctx.primitive(), " along the symbolic dimension ", ctx.dim_text(n),
                " is not supported yet: make that dimension static");
    OVJAX_CHECK(ctx, k >= 0 && k <= n, ctx.primitive(), ": k = ", k, " out of range for an axis of ", n);
    // JAX's rule: k elements along the axis, and int32 indices
    Dims out = shape;
    out[static_cast<size_t>(axis)] = k;
    if (has_zero(out))
        return {zeros(ctx, ctx.in_type(0), out), zeros(ctx, et::i32, out)};
    auto perm = stable_permutation(order_keys(ctx, x, fo), axis, n, k, descending);
    return {gather(x, perm, axis), convert(perm, et::i32)};
}

}  // namespace

ov::OutputVector translate_sort(const NodeContext& ctx) {
    auto inputs = ctx.inputs();
    OVJAX_CHECK(ctx, !inputs.empty(), "sort needs an operand");
    const Dims shape = ctx.in_dims(0);
    int64_t axis = norm_axis(ctx, ctx.int_param("dimension"), shape.size());
    int64_t num_keys = ctx.has_param("num_keys") ? ctx.int_param("num_keys") : 1;
    OVJAX_CHECK(ctx, num_keys >= 1 && static_cast<size_t>(num_keys) <= inputs.size(), "sort: bad num_keys ", num_keys);
    const int64_t n = shape[static_cast<size_t>(axis)];
    OVJAX_CHECK(ctx, !format::is_symbolic_dim(n), "sort along the symbolic dimension ", ctx.dim_text(n),
                " is not supported yet: make that dimension static");
    if (n <= 1 || has_zero(shape))
        return inputs;
    // stable whether or not is_stable asks for it (an unstable sort may order ties any way)
    std::vector<Output<Node>> keys;
    for (int64_t i = 0; i < num_keys; ++i)
        for (auto& kk : order_keys(ctx, inputs[static_cast<size_t>(i)], FloatOrder::sort))
            keys.push_back(kk);
    auto perm = stable_permutation(keys, axis, n, n, false);
    ov::OutputVector out;
    for (auto& in : inputs)
        out.push_back(gather(in, perm, axis));
    return out;
}

ov::OutputVector translate_top_k(const NodeContext& ctx) {
    auto rank = ctx.in_dims(0).size();
    OVJAX_CHECK(ctx, rank >= 1, "top_k needs an operand of rank >= 1");
    int64_t axis = ctx.has_param("axis") ? norm_axis(ctx, ctx.int_param("axis"), rank) : static_cast<int64_t>(rank) - 1;
    return top_k(ctx, axis, ctx.int_param("k"), true, FloatOrder::total);
}

ov::OutputVector translate_approx_top_k(const NodeContext& ctx) {
    // Exact results (what XLA computes on CPU): ties in index order, -0.0 == 0.0.
    auto rank = ctx.in_dims(0).size();
    int64_t axis = norm_axis(ctx, ctx.int_param("reduction_dimension"), rank);
    // without aggregate_to_topk XLA may return more than k candidates (between k and the
    // axis size, by a rule of its own): the same only when k is the axis size
    const int64_t k = ctx.int_param("k");
    OVJAX_CHECK(ctx,
                !ctx.has_param("aggregate_to_topk") || ctx.bool_param("aggregate_to_topk") ||
                    k == ctx.in_dims(0)[static_cast<size_t>(axis)],
                "approx_top_k with aggregate_to_topk=False is not supported");
    return top_k(ctx, axis, k, ctx.bool_param("is_max_k"), FloatOrder::sort);
}

}  // namespace op
}  // namespace ovjax

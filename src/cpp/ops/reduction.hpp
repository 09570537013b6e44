// The reduction family's shared pieces (reduce.cpp, windows.cpp, cumulative.cpp): the
// monoids, exact integer arithmetic, and NaN-exact float extremes. Defined in reduce.cpp
// (fix_float_extreme here).
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
// Generic `reduce` / `reduce_window` bodies are matched against the monoids (plus xor); their
// init value is folded in as one more element of every reduction (XLA skips padding and base
// dilation holes in reduce_window).
#pragma once

#include <cmath>
#include <memory>
#include <vector>

#include "frontend/node_context.hpp"
#include "openvino/op/greater.hpp"
#include "openvino/op/less_eq.hpp"
#include "openvino/op/not_equal.hpp"
#include "openvino/op/select.hpp"
#include "ops/builders.hpp"
#include "ops/utils.hpp"

namespace ovjax {
namespace op {

enum class Kind { Sum, Prod, Max, Min, And, Or, Xor };

// The type in which integer Add / Multiply are exact and wrap like JAX on the CPU plugin
// (8/16-bit arithmetic saturates there). Convert back to the narrow type wraps.
ov::element::Type arith_type(const ov::element::Type& t);
// The identity of `kind` as a scalar constant of type `t`.
Output<Node> identity(Kind kind, const ov::element::Type& t);
Output<Node> combine(Kind kind, const Output<Node>& a, const Output<Node>& b);
// A constant of `shape` filled with the scalar constant `value`.
Output<Node> fill(const Output<Node>& value, const ov::Shape& shape);
// Where `mask` is true, NaN; elsewhere `y`.
Output<Node> where_nan(const Output<Node>& mask, const Output<Node>& y);
// Pad `x` (shape `shape`, updated) along `axis` with `lo` / `hi` copies of the scalar
// constant `value` (negative: crop) and `interior` copies between elements, using Concat.
Output<Node> concat_pad(Output<Node> x, ov::Shape& shape, const Output<Node>& value, size_t axis, int64_t lo,
                        int64_t hi, int64_t interior = 0);
// TopK (k = 1) along `axis`: values and first index of the extreme (stable sort keeps ties in order).
std::shared_ptr<Node> top1(const Output<Node>& x, int64_t axis, bool max);
// Reduce `x` (shape `shape`) over the normalised `axes` to `out_shape` with `kind`.
Output<Node> reduce_values(const NodeContext& ctx, const Output<Node>& x, const ov::Shape& shape,
                           const ov::Shape& out_shape, const std::vector<int64_t>& axes, Kind kind);
// The monoid of each result of a reduction body (param "jaxpr") over `n` operands.
std::vector<Kind> body_monoids(const NodeContext& ctx, size_t n);
// Booleans: sum is "or", product "and", max "or", min "and".
Kind bool_kind(Kind k);
// combine(kind, r, init) elementwise for `r` of shape `shape`, exactly.
Output<Node> fold_init(const NodeContext& ctx, const Output<Node>& r, const ov::Shape& shape, const Output<Node>& init,
                       Kind kind);

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

}  // namespace op
}  // namespace ovjax

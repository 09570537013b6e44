// Shared helpers for translators: constants from static shapes, and templates for
// the one-to-one elementwise primitives.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "frontend/node_context.hpp"
#include "openvino/op/constant.hpp"

namespace ovjax {
namespace op {

// 1-D i64 constant (shapes, axes, indices known at conversion time).
ov::Output<ov::Node> const_i64(const std::vector<int64_t>& v);
// Scalar constant of `type` holding `value`.
ov::Output<ov::Node> const_scalar(const ov::element::Type& type, double value);
// Constant of `type` and `shape` filled with `value`.
ov::Output<ov::Node> const_fill(const ov::element::Type& type, const ov::Shape& shape, double value);
// The lowest / highest value of a type (-inf/+inf for floats); identities for max/min.
ov::Output<ov::Node> const_lowest(const ov::element::Type& type);
ov::Output<ov::Node> const_highest(const ov::element::Type& type);

// x with `shape` (no-op for the same shape; a Constant is reshaped in place). A reshape that
// only drops size-1 axes is a Squeeze: the CPU plugin crashes in compile_model on a MatMul
// whose [1, 1] result is Reshaped to rank 0, elementwise ops in between or not (OpenVINO
// 2026.4; tests/upstream/cpu_matmul_scalar_reshape.py), and compiles the Squeeze.
ov::Output<ov::Node> reshape(const ov::Output<ov::Node>& x, const ov::Shape& shape);
// reshape(), always as a Reshape node: for the fusions, whose Reshapes between a MatMul and
// its bias add are there for how the CPU plugin treats a Reshape (measured; fusions.cpp).
ov::Output<ov::Node> reshape_node(const ov::Output<ov::Node>& x, const ov::Shape& shape);
ov::Output<ov::Node> transpose(const ov::Output<ov::Node>& x, const std::vector<int64_t>& perm);  // no-op for identity
// transpose(), done now on a Constant's data (a copy unless only size-1 axes move), so a
// convolution kernel stays a Constant: what the CPU plugin and NNCF's quantization take for
// a weight. Anything else gets a Transpose node.
ov::Output<ov::Node> transpose_folded(const ov::Output<ov::Node>& x, const std::vector<int64_t>& perm);
ov::Output<ov::Node> convert(const ov::Output<ov::Node>& x, const ov::element::Type& t);  // no-op for same type
// f32 values that bf16 represents exactly (static shape) as bf16, subnormals included. On
// CPUs with AVX512-BF16 the CPU plugin's f32 -> bf16 Convert flushes bf16 subnormals to
// zero (measured on OpenVINO 2026.4; the instruction takes them as zeros), where JAX keeps
// them: those elements are gathered from a table of the 256 signed subnormals instead (a
// Gather copies bits; no conversion).
ov::Output<ov::Node> convert_bf16_exact(const ov::Output<ov::Node>& v);
// float -> integer type `to` as XLA converts (elementwise.cpp): truncated toward zero,
// saturated to the type's limits (infinities included), NaN -> 0.
ov::Output<ov::Node> float_to_int(const ov::Output<ov::Node>& x, const ov::element::Type& to);
// f32 `x` rounded to `bits` significant bits, to nearest even (Veltkamp's split: exact f32
// steps the CPU plugin keeps, unlike a Convert pair to bf16 and back, which it removes).
// Values beyond 2^100 are left alone; no overflow to inf nor subnormal rounding.
ov::Output<ov::Node> round_significand(const ov::Output<ov::Node>& x, int bits);
// The significand bits of a narrow float type whose arithmetic JAX rounds after each
// operation (bf16: 8, f16: 11), 0 for other types.
int narrow_float_bits(const ov::element::Type& t);
ov::Output<ov::Node> slice(const ov::Output<ov::Node>& x, const std::vector<int64_t>& start,
                           const std::vector<int64_t>& stop, const std::vector<int64_t>& step,
                           const std::vector<int64_t>& axes);
// Pad with per-axis (lo, hi, interior) like lax.pad; negative lo/hi crop. One entry per axis
// of x (a TranslateError otherwise).
ov::Output<ov::Node> pad(const ov::Output<ov::Node>& x, const ov::Output<ov::Node>& value,
                         const std::vector<int64_t>& lo, const std::vector<int64_t>& hi,
                         const std::vector<int64_t>& interior);

// A body model for a Loop or If from its results and Parameters (its own copies of the
// Constants it uses); a clear error when it reads a size from outside.
std::shared_ptr<ov::Model> make_body(const ov::OutputVector& outs, const ov::ParameterVector& params);

// A translator's static lowering mapped over the leading `lead` axes of its operands: axes
// that are symbolic (a vmapped batch) and that the primitive passes through (each result
// has them in front, and slice i of a result depends on slice i of the operands only;
// the caller vouches for that from the primitive's parameters). A Loop over their product
// whose body is `lower` on one slice, where every size is static (batch_map.cpp).
// Operands without the leading axes (scalars: init values, literals) are shared.
ov::OutputVector batch_map(const NodeContext& ctx, size_t lead,
                           const std::function<ov::OutputVector(const NodeContext&)>& lower);
// The leading axes of `dims` up to its last symbolic one (0 when static): what batch_map
// slices when the primitive passes them through.
size_t symbolic_lead(const Dims& dims);
// Operand i's axes from `from` on are static: else ctx.in_shape's error naming the first
// symbolic one (the axes a lowering computes along, which batch_map cannot slice).
void require_static_from(const NodeContext& ctx, size_t i, size_t from);

// Operand 0 must be a float (require_float); require_float32 says the translator computes
// in f32 (in_f32: f64 operands too, which the CPU plugin computes in f32 anyway); a clear
// error names the primitive.
void require_float(const NodeContext& ctx);
void require_float32(const NodeContext& ctx);

// fn computed in f32 for f16/bf16 operands and rounded back once (the constants and
// intermediate results of a composite function would lose precision in the narrow type),
// and for f64 ones (OpenVINO's f32-only operations: Asin, Atan, ...; the CPU plugin runs
// f64 in f32); f32 as it is. One operand, or all of `xs` (of one type).
inline bool computed_in_f32(const ov::element::Type& t) {
    return t == ov::element::f16 || t == ov::element::bf16 || t == ov::element::f64;
}
template <typename F>
ov::Output<ov::Node> in_f32(const ov::Output<ov::Node>& x, F&& fn) {
    const auto t = x.get_element_type();
    if (computed_in_f32(t))
        return convert(fn(convert(x, ov::element::f32)), t);
    return fn(x);
}
template <typename F>
ov::Output<ov::Node> in_f32(const ov::OutputVector& xs, F&& fn) {
    const auto t = xs.at(0).get_element_type();
    if (!computed_in_f32(t))
        return fn(xs);
    ov::OutputVector wide;
    for (const auto& x : xs)
        wide.push_back(convert(x, ov::element::f32));
    return convert(fn(wide), t);
}

// Shape arithmetic on sizes, paddings, strides and dilations a file supplies: the exact
// result, or a TranslateError where it would overflow int64 (never a wrapped size).
int64_t dim_add(int64_t a, int64_t b);
int64_t dim_mul(int64_t a, int64_t b);
// Element count of a shape: 0 when any dimension is 0, a TranslateError when it overflows.
int64_t numel(const ov::Shape& s);
// OpenVINO's CPU plugin accumulates integer MatMul/Convolution in f32, exact only while
// every partial sum stays within 2^24. For a sum of `n` products of values of types `a`
// and `b`, each output element adding `terms` such sums, the number of products per chunk
// whose sum is provably exact; `n` when the sum needs no chunking or would need more than
// 64 chunks.
int64_t exact_f32_chunk(const ov::element::Type& a, const ov::element::Type& b, double terms, int64_t n);
// Normalise possibly negative axes; each must be in [-rank, rank) (a TranslateError otherwise).
std::vector<int64_t> norm_axes(const std::vector<int64_t>& axes, size_t rank);
// pad's padding_config as (lo, hi, interior) vectors, checked (interior >= 0).
struct PadConfig {
    std::vector<int64_t> lo, hi, interior;
};
PadConfig padding_config(const NodeContext& ctx);

// ---- JAX's shape and dtype rules. Translators build their results from these (never from
// the avals a file declares for them, which the session only compares with).

// A shape parameter (iota's, broadcast_in_dim's, reshape's new_sizes, ...) as a Shape;
// negative sizes are an error.
ov::Shape shape_param(const NodeContext& ctx, const std::vector<int64_t>& dims, const char* what);
// The numpy broadcast of two shapes (elementwise primitives whose operands JAX lets differ:
// scalars against arrays); an error where they do not broadcast.
ov::Shape broadcast_shapes(const NodeContext& ctx, const ov::Shape& a, const ov::Shape& b);
// `shape` without the (normalised, distinct, in range) `axes`: a reduction's result.
ov::Shape reduced_shape(const NodeContext& ctx, const ov::Shape& shape, const std::vector<int64_t>& axes);
// core.dilate_dim: an axis of `d` elements with dilation - 1 holes between them.
int64_t dilated_dim(int64_t d, int64_t dilation);
// lax.pad's rule for one axis: `d` elements, interior padding, then lo and hi (either may be
// negative: a crop); an error when that leaves a negative size.
int64_t padded_dim(const NodeContext& ctx, int64_t d, int64_t lo, int64_t hi, int64_t interior);
// lax.pad's result shape: padded_dim per axis.
ov::Shape padded_shape(const NodeContext& ctx, const ov::Shape& in, const std::vector<int64_t>& lo,
                       const std::vector<int64_t>& hi, const std::vector<int64_t>& interior);
// core.stride_dim: the windows of size `window` (already dilated) at `stride` that fit in `d`.
int64_t strided_dim(int64_t d, int64_t window, int64_t stride);
// dot_general's result dtype: preferred_element_type if given, else the operand dtype XLA
// calls the higher precision one (they must be equal when neither is).
format::DType dot_result_dtype(const NodeContext& ctx, format::DType lhs, format::DType rhs);

// ---- Symbolic dimensions (frontend/shapes.hpp). Translators that handle them take their
// operands' dims (ctx.in_dims) and shape parameters (ctx.dims_param) as Dims and build with
// these what the helpers above build from static Shapes (the same nodes when all are static).

// A static Dims as a Shape (a TranslateError naming the dimension otherwise).
ov::Shape static_shape(const NodeContext& ctx, const Dims& dims);
// Whether a static dimension of `dims` is 0 (the tensor has no element whatever the symbols).
bool has_zero(const Dims& dims);
ov::Output<ov::Node> reshape(const NodeContext& ctx, const ov::Output<ov::Node>& x, const Dims& dims);
// x broadcast (numpy rules) to `dims`.
ov::Output<ov::Node> broadcast(const NodeContext& ctx, const ov::Output<ov::Node>& x, const Dims& dims);
// `value` in every element of type `t` and `dims` (const_fill when static).
ov::Output<ov::Node> filled(const NodeContext& ctx, const ov::element::Type& t, const Dims& dims, double value);
inline ov::Output<ov::Node> zeros(const NodeContext& ctx, const ov::element::Type& t, const Dims& dims) {
    return filled(ctx, t, dims, 0);
}
// A shape parameter's dims, checked (no negative static size).
Dims dims_param(const NodeContext& ctx, const char* name);
// Whether a parameter (a dimension or a tuple of them) holds a symbolic dimension; never throws
// (a translator's static path reports a bad value in its own words).
bool symbolic_param(const NodeContext& ctx, const char* name);

template <typename T>
ov::OutputVector translate_unary(const NodeContext& ctx) {
    return {std::make_shared<T>(ctx.get_input(0))->output(0)};
}

template <typename T>
ov::OutputVector translate_binary(const NodeContext& ctx) {
    return {std::make_shared<T>(ctx.get_input(0), ctx.get_input(1))->output(0)};
}

}  // namespace op
}  // namespace ovjax

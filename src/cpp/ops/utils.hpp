// Shared helpers for translators: constants from static shapes, and templates for
// the one-to-one elementwise primitives.
#pragma once

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

ov::Output<ov::Node> reshape(const ov::Output<ov::Node>& x, const ov::Shape& shape);
ov::Output<ov::Node> transpose(const ov::Output<ov::Node>& x, const std::vector<int64_t>& perm);  // no-op for identity
// transpose(), done now on a Constant's data (a copy unless only size-1 axes move), so a
// convolution kernel stays a Constant: what the CPU plugin and NNCF's quantization take for
// a weight. Anything else gets a Transpose node.
ov::Output<ov::Node> transpose_folded(const ov::Output<ov::Node>& x, const std::vector<int64_t>& perm);
ov::Output<ov::Node> convert(const ov::Output<ov::Node>& x, const ov::element::Type& t);         // no-op for same type
ov::Output<ov::Node> slice(const ov::Output<ov::Node>& x,
                           const std::vector<int64_t>& start,
                           const std::vector<int64_t>& stop,
                           const std::vector<int64_t>& step,
                           const std::vector<int64_t>& axes);
// Pad with per-axis (lo, hi, interior) like lax.pad; negative lo/hi crop. One entry per axis
// of x (a TranslateError otherwise).
ov::Output<ov::Node> pad(const ov::Output<ov::Node>& x,
                         const ov::Output<ov::Node>& value,
                         const std::vector<int64_t>& lo,
                         const std::vector<int64_t>& hi,
                         const std::vector<int64_t>& interior);

inline bool is_float(const ov::element::Type& t) {
    return t.is_real();
}
inline int64_t numel(const ov::Shape& s) {
    int64_t n = 1;
    for (auto d : s)
        n *= static_cast<int64_t>(d);
    return n;
}
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

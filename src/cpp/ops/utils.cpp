#include "ops/utils.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <cstring>
#include <numeric>

#include "openvino/op/concat.hpp"
#include "openvino/op/convert.hpp"
#include "openvino/op/pad.hpp"
#include "openvino/op/reshape.hpp"
#include "openvino/op/slice.hpp"
#include "openvino/op/transpose.hpp"
#include "openvino/op/unsqueeze.hpp"

namespace ovjax {
namespace op {

ov::Output<ov::Node> const_i64(const std::vector<int64_t>& v) {
    return ov::op::v0::Constant::create(ov::element::i64, ov::Shape{v.size()}, v);
}

ov::Output<ov::Node> const_scalar(const ov::element::Type& type, double value) {
    return const_fill(type, ov::Shape{}, value);
}

ov::Output<ov::Node> const_fill(const ov::element::Type& type, const ov::Shape& shape, double value) {
    if (type.is_real())
        return float_constant(type, shape, value);
    if (type == ov::element::u64)
        return ov::op::v0::Constant::create(type, shape, {static_cast<uint64_t>(value)});
    return ov::op::v0::Constant::create(type, shape, {static_cast<int64_t>(value)});
}

namespace {
template <typename T>
ov::Output<ov::Node> make(const ov::element::Type& t, T v) {
    return ov::op::v0::Constant::create(t, ov::Shape{}, std::vector<T>{v});
}
ov::Output<ov::Node> limit(const ov::element::Type& t, bool lowest) {
    using ov::element::Type_t;
    if (t.is_real())
        return float_constant(t, ov::Shape{}, lowest ? -std::numeric_limits<double>::infinity()
                                                     : std::numeric_limits<double>::infinity());
    switch (t) {
    case Type_t::boolean:
        return make<int64_t>(t, lowest ? 0 : 1);
    case Type_t::i8:
        return make<int64_t>(t, lowest ? INT8_MIN : INT8_MAX);
    case Type_t::i16:
        return make<int64_t>(t, lowest ? INT16_MIN : INT16_MAX);
    case Type_t::i32:
        return make<int64_t>(t, lowest ? INT32_MIN : INT32_MAX);
    case Type_t::i64:
        return make<int64_t>(t, lowest ? INT64_MIN : INT64_MAX);
    case Type_t::u8:
        return make<uint64_t>(t, lowest ? 0 : UINT8_MAX);
    case Type_t::u16:
        return make<uint64_t>(t, lowest ? 0 : UINT16_MAX);
    case Type_t::u32:
        return make<uint64_t>(t, lowest ? 0 : UINT32_MAX);
    case Type_t::u64:
        return make<uint64_t>(t, lowest ? 0 : UINT64_MAX);
    default:
        throw TranslateError("no limits for element type " + t.get_type_name());
    }
}
}  // namespace

ov::Output<ov::Node> const_lowest(const ov::element::Type& type) {
    return limit(type, true);
}
ov::Output<ov::Node> const_highest(const ov::element::Type& type) {
    return limit(type, false);
}

ov::Output<ov::Node> reshape(const ov::Output<ov::Node>& x, const ov::Shape& shape) {
    if (x.get_partial_shape().is_static() && x.get_shape() == shape)
        return x;
    // A reshaped constant (a Dense/attention kernel or a bias) stays a Constant, viewing
    // the same memory: MatMul keeps a constant weight input (what weight compression and
    // quantization tools look for), with no copy.
    if (auto c = ov::as_type_ptr<ov::op::v0::Constant>(x.get_node_shared_ptr());
        c && c->get_element_type().bitwidth() >= 8 && ov::shape_size(shape) == ov::shape_size(c->get_shape()))
        return std::make_shared<ov::op::v0::Constant>(c->get_element_type(), shape, c->get_data_ptr(),
                                                      std::shared_ptr<void>(c));
    std::vector<int64_t> s(shape.begin(), shape.end());
    return std::make_shared<ov::op::v1::Reshape>(x, const_i64(s), false);
}

ov::Output<ov::Node> transpose(const ov::Output<ov::Node>& x, const std::vector<int64_t>& perm) {
    std::vector<int64_t> id(perm.size());
    std::iota(id.begin(), id.end(), 0);
    if (perm == id)
        return x;
    return std::make_shared<ov::op::v1::Transpose>(x, const_i64(perm));
}

ov::Output<ov::Node> transpose_folded(const ov::Output<ov::Node>& x, const std::vector<int64_t>& perm) {
    auto c = ov::as_type_ptr<ov::op::v0::Constant>(x.get_node_shared_ptr());
    if (!c || c->get_element_type().bitwidth() < 8)
        return transpose(x, perm);
    const ov::Shape in = c->get_shape();
    const size_t rank = in.size();
    ov::Shape out(rank);
    for (size_t i = 0; i < rank; ++i)
        out[i] = in[static_cast<size_t>(perm[i])];
    // When the axes longer than 1 keep their order the bytes do not move: a reshaped view.
    std::vector<int64_t> moved;
    for (size_t i = 0; i < rank; ++i)
        if (out[i] != 1)
            moved.push_back(perm[i]);
    if (std::is_sorted(moved.begin(), moved.end()))
        return reshape(x, out);
    auto res = std::make_shared<ov::op::v0::Constant>(c->get_element_type(), out);
    const size_t es = c->get_element_type().size();
    const auto* src = static_cast<const char*>(c->get_data_ptr());
    auto* dst = static_cast<char*>(const_cast<void*>(res->get_data_ptr()));
    std::vector<size_t> stride(rank, 1);  // of `in`, row-major
    for (size_t i = rank; i-- > 1;)
        stride[i - 1] = stride[i] * in[i];
    std::vector<size_t> idx(rank, 0);  // index into `out`
    const size_t n = ov::shape_size(out);
    for (size_t k = 0; k < n; ++k) {
        size_t off = 0;
        for (size_t i = 0; i < rank; ++i)
            off += idx[i] * stride[static_cast<size_t>(perm[i])];
        std::memcpy(dst + k * es, src + off * es, es);
        for (size_t i = rank; i-- > 0;) {
            if (++idx[i] < out[i])
                break;
            idx[i] = 0;
        }
    }
    return res;
}

ov::Output<ov::Node> convert(const ov::Output<ov::Node>& x, const ov::element::Type& t) {
    if (x.get_element_type() == t)
        return x;
    return std::make_shared<ov::op::v0::Convert>(x, t);
}

ov::Output<ov::Node> slice(const ov::Output<ov::Node>& x,
                           const std::vector<int64_t>& start,
                           const std::vector<int64_t>& stop,
                           const std::vector<int64_t>& step,
                           const std::vector<int64_t>& axes) {
    return std::make_shared<ov::op::v8::Slice>(x, const_i64(start), const_i64(stop), const_i64(step), const_i64(axes));
}

namespace {
// The largest |value| of an integer (or boolean) element type, as a double.
double max_abs(const ov::element::Type& t) {
    if (t == ov::element::boolean)
        return 1;
    if (!t.is_integral_number())
        return std::ldexp(1.0, 64);
    const int bits = static_cast<int>(t.bitwidth());
    return t.is_signed() ? std::ldexp(1.0, bits - 1) : std::ldexp(1.0, bits) - 1;
}
}  // namespace

int64_t exact_f32_chunk(const ov::element::Type& a, const ov::element::Type& b, double terms, int64_t n) {
    constexpr int64_t kMaxChunks = 64;
    const double bound = max_abs(a) * max_abs(b) * terms;
    const auto c = static_cast<int64_t>(std::floor(16777216.0 / bound));
    if (c >= 1 && c < n && (n + c - 1) / c <= kMaxChunks)
        return c;
    return n;
}

std::vector<int64_t> norm_axes(const std::vector<int64_t>& axes, size_t rank) {
    const auto n = static_cast<int64_t>(rank);
    std::vector<int64_t> r;
    for (auto a : axes) {
        // callers index shapes and per-axis tables with these: a file's axes are checked here
        if (a < -n || a >= n)
            throw TranslateError("axis " + std::to_string(a) + " is out of range for an operand of rank " +
                                 std::to_string(rank));
        r.push_back(a < 0 ? a + n : a);
    }
    return r;
}

ov::Output<ov::Node> pad(const ov::Output<ov::Node>& x_in,
                         const ov::Output<ov::Node>& value,
                         const std::vector<int64_t>& lo,
                         const std::vector<int64_t>& hi,
                         const std::vector<int64_t>& interior) {
    ov::Output<ov::Node> x = x_in;
    ov::Shape shape = x.get_shape();
    const size_t rank = shape.size();
    if (lo.size() != rank || hi.size() != rank || interior.size() != rank)  // padding_config from a file
        throw TranslateError("padding for " + std::to_string(lo.size()) + " axes of an operand of rank " +
                             std::to_string(rank));
    // Interior padding: interleave `interior` pad values between elements, one axis at a time.
    for (size_t ax = 0; ax < rank; ++ax) {
        int64_t in = interior[ax];
        int64_t n = static_cast<int64_t>(shape[ax]);
        if (in <= 0 || n == 0)
            continue;
        // [.., n, ..] -> [.., n, 1, ..] -> pad the new axis with `in` values -> [.., n*(in+1), ..] -> drop the tail
        ov::Shape s1 = shape;
        s1.insert(s1.begin() + ax + 1, 1);
        auto y = reshape(x, s1);
        std::vector<int64_t> pb(rank + 1, 0), pe(rank + 1, 0);
        pe[ax + 1] = in;
        y = std::make_shared<ov::op::v12::Pad>(y, const_i64(pb), const_i64(pe), value, ov::op::PadMode::CONSTANT);
        ov::Shape s2 = shape;
        s2[ax] = static_cast<size_t>(n * (in + 1));
        y = reshape(y, s2);
        int64_t keep = n + (n - 1) * in;
        x = slice(y, {0}, {keep}, {1}, {static_cast<int64_t>(ax)});
        shape[ax] = static_cast<size_t>(keep);
    }
    bool any = false;
    for (size_t ax = 0; ax < rank; ++ax)
        any = any || lo[ax] != 0 || hi[ax] != 0;
    if (!any)
        return x;
    return std::make_shared<ov::op::v12::Pad>(x, const_i64(lo), const_i64(hi), value, ov::op::PadMode::CONSTANT);
}

PadConfig padding_config(const NodeContext& ctx) {
    auto cfg = ctx.param("padding_config");
    PadConfig c;
    for (size_t i = 0; i < cfg.size(); ++i) {
        auto t = cfg.item(i).as_ints();
        OVJAX_CHECK(ctx, t.size() == 3, "padding_config entries are (lo, hi, interior)");
        OVJAX_CHECK(ctx, t[2] >= 0, "negative interior padding");
        c.lo.push_back(t[0]);
        c.hi.push_back(t[1]);
        c.interior.push_back(t[2]);
    }
    return c;
}

}  // namespace op
}  // namespace ovjax

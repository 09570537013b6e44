#include "ops/utils.hpp"

#include "openvino/op/broadcast.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <sstream>
#include <limits>
#include <cstring>
#include <numeric>
#include <optional>

#include "openvino/op/concat.hpp"
#include "openvino/op/select.hpp"
#include "openvino/op/range.hpp"
#include "openvino/op/multiply.hpp"
#include "openvino/op/logical_or.hpp"
#include "openvino/op/logical_and.hpp"
#include "openvino/op/less.hpp"
#include "openvino/op/gather.hpp"
#include "openvino/op/equal.hpp"
#include "openvino/op/divide.hpp"
#include "openvino/op/add.hpp"
#include "openvino/op/abs.hpp"
#include "openvino/op/convert.hpp"
#include "openvino/op/pad.hpp"
#include "openvino/op/reshape.hpp"
#include "openvino/op/reduce_prod.hpp"
#include "openvino/op/shape_of.hpp"
#include "openvino/op/slice.hpp"
#include "openvino/op/squeeze.hpp"
#include "openvino/op/subtract.hpp"
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
    // an integer fill comes from a file's parameter (gather's fill_value, ...): it must be an
    // integer the type holds, not NaN or 1e300 (converting those is undefined behaviour)
    const bool is_unsigned = !type.is_signed() || type == ov::element::boolean;
    const double lo = is_unsigned ? 0.0 : -std::ldexp(1.0, static_cast<int>(type.bitwidth()) - 1);
    const double hi = std::ldexp(1.0, static_cast<int>(type.bitwidth()) - (is_unsigned ? 0 : 1));
    if (!(value >= lo && value < hi) || value != std::trunc(value)) {
        std::ostringstream v;
        v << value;
        throw TranslateError("the value " + v.str() + " does not fit a constant of type " + type.get_type_name());
    }
    uint64_t n = 1;
    for (auto d : shape)
        if (__builtin_mul_overflow(n, static_cast<uint64_t>(d), &n))
            throw TranslateError("a constant of shape " + shape.to_string() + " has too many elements");
    charge_constant(n, std::max<size_t>(type.size(), 1));
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
        return float_constant(
            t, ov::Shape{},
            lowest ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity());
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

ov::Output<ov::Node> const_lowest(const ov::element::Type& type) { return limit(type, true); }
ov::Output<ov::Node> const_highest(const ov::element::Type& type) { return limit(type, false); }

namespace {
// The same shape: nothing to build; a Constant: the same data viewed with `shape`.
std::optional<ov::Output<ov::Node>> reshape_in_place(const ov::Output<ov::Node>& x, const ov::Shape& shape) {
    if (x.get_partial_shape().is_static() && x.get_shape() == shape)
        return x;
    // A reshaped constant (a Dense/attention kernel or a bias) stays a Constant, viewing
    // the same memory: MatMul keeps a constant weight input (what weight compression and
    // quantization tools look for), with no copy.
    if (auto c = ov::as_type_ptr<ov::op::v0::Constant>(x.get_node_shared_ptr());
        c && c->get_element_type().bitwidth() >= 8 && ov::shape_size(shape) == ov::shape_size(c->get_shape()))
        return std::make_shared<ov::op::v0::Constant>(c->get_element_type(), shape, c->get_data_ptr(),
                                                      std::shared_ptr<void>(c));
    return std::nullopt;
}

// The axes of `big` that are size-1 and not in `small`, when `small` is `big` without some of
// its size-1 axes (in order); nullopt otherwise.
std::optional<std::vector<int64_t>> unit_axes(const ov::Shape& big, const ov::Shape& small) {
    if (small.size() >= big.size())
        return std::nullopt;
    std::vector<int64_t> axes;
    size_t j = 0;
    for (size_t i = 0; i < big.size(); ++i) {
        if (j < small.size() && big[i] == small[j])
            ++j;
        else if (big[i] == 1)
            axes.push_back(static_cast<int64_t>(i));
        else
            return std::nullopt;
    }
    if (j != small.size())
        return std::nullopt;
    return axes;
}
}  // namespace

ov::Output<ov::Node> reshape(const ov::Output<ov::Node>& x, const ov::Shape& shape) {
    if (auto r = reshape_in_place(x, shape))
        return *r;
    if (x.get_partial_shape().is_static()) {
        const ov::Shape in = x.get_shape();
        // (Reshapes that only add size-1 axes stay Reshapes: as Unsqueezes they gave the same
        // compiled graphs for the benchmark models and no crash was found with them.)
        if (auto axes = unit_axes(in, shape))
            return std::make_shared<ov::op::v0::Squeeze>(x, const_i64(*axes));
    }
    std::vector<int64_t> s(shape.begin(), shape.end());
    return std::make_shared<ov::op::v1::Reshape>(x, const_i64(s), false);
}

ov::Output<ov::Node> reshape_node(const ov::Output<ov::Node>& x, const ov::Shape& shape) {
    if (auto r = reshape_in_place(x, shape))
        return *r;
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

ov::Output<ov::Node> round_significand(const ov::Output<ov::Node>& x, int bits) {
    const auto f32 = ov::element::f32;
    auto c = std::make_shared<ov::op::v1::Multiply>(x, const_scalar(f32, std::ldexp(1.0, 24 - bits) + 1));
    ov::Output<ov::Node> hi = std::make_shared<ov::op::v1::Subtract>(c, std::make_shared<ov::op::v1::Subtract>(c, x));
    // |x| > 2^100 as 2^100 < |x|: Greater is true for NaN on AVX-512 (builders.hpp's greater())
    auto big = std::make_shared<ov::op::v1::Less>(const_scalar(f32, std::ldexp(1.0, 100)),
                                                  std::make_shared<ov::op::v0::Abs>(x));
    return std::make_shared<ov::op::v1::Select>(big, x, hi);
}

int narrow_float_bits(const ov::element::Type& t) {
    return t == ov::element::bf16 ? 8 : t == ov::element::f16 ? 11 : 0;
}

ov::Output<ov::Node> convert_bf16_exact(const ov::Output<ov::Node>& v) {
    using ov::element::f32;
    using ov::element::i32;
    // the element count and the shapes: constants when static, from ShapeOf otherwise
    const bool dynamic = v.get_partial_shape().is_dynamic();
    ov::Output<ov::Node> n_value, flat_shape, shape;
    int64_t n = 0;
    if (dynamic) {
        shape = std::make_shared<ov::op::v3::ShapeOf>(v, ov::element::i64);
        n_value = convert(std::make_shared<ov::op::v1::ReduceProd>(shape, const_i64({0}), false), i32);
        flat_shape = const_i64({-1});
    } else {
        n = static_cast<int64_t>(ov::shape_size(v.get_shape()));
        n_value = const_scalar(i32, static_cast<double>(n));
        flat_shape = const_i64({n});
        shape = const_i64(std::vector<int64_t>(v.get_shape().begin(), v.get_shape().end()));
    }
    auto flatten = [&](const ov::Output<ov::Node>& x) -> ov::Output<ov::Node> {
        if (dynamic)
            return std::make_shared<ov::op::v1::Reshape>(x, flat_shape, false);
        return reshape(x, ov::Shape{static_cast<size_t>(n)});
    };
    std::vector<uint16_t> bits(256);
    for (uint16_t i = 0; i < 256; ++i)
        bits[i] = i < 128 ? i : static_cast<uint16_t>(0x8000u | (i - 128u));
    auto table = std::make_shared<ov::op::v0::Constant>(ov::element::bf16, ov::Shape{256}, bits.data());
    auto flat = flatten(convert(v, ov::element::bf16));
    auto source = std::make_shared<ov::op::v0::Concat>(ov::OutputVector{flat, table}, 0);
    auto f = [](double x) { return const_scalar(f32, x); };
    auto a = std::make_shared<ov::op::v0::Abs>(v);
    auto tiny = std::make_shared<ov::op::v1::Less>(a, f(std::ldexp(1.0, -126)));  // zeros too
    // the subnormal's mantissa a * 2^133 (0..127) in two exact steps, other lanes 0 (the
    // Select between them keeps OpenVINO from folding 2^66 * 2^67 into an f32 infinity)
    auto a_sub = std::make_shared<ov::op::v1::Select>(
        tiny, std::make_shared<ov::op::v1::Multiply>(a, f(std::ldexp(1.0, 66))), f(0));
    auto m = std::make_shared<ov::op::v1::Multiply>(a_sub, f(std::ldexp(1.0, 67)));
    // the sign, zeros included (1 / -0 is -inf)
    auto zero = f(0);
    auto neg = std::make_shared<ov::op::v1::LogicalOr>(
        std::make_shared<ov::op::v1::Less>(v, zero),
        std::make_shared<ov::op::v1::LogicalAnd>(
            std::make_shared<ov::op::v1::Equal>(v, zero),
            std::make_shared<ov::op::v1::Less>(std::make_shared<ov::op::v1::Divide>(f(1), v), zero)));
    auto base = dynamic ? std::make_shared<ov::op::v1::Select>(
                              neg, std::make_shared<ov::op::v1::Add>(n_value, const_scalar(i32, 128)), n_value)
                              ->output(0)
                        : std::make_shared<ov::op::v1::Select>(neg, const_scalar(i32, static_cast<double>(n + 128)),
                                                               const_scalar(i32, static_cast<double>(n)))
                              ->output(0);
    auto idx = std::make_shared<ov::op::v1::Add>(convert(m, i32), base);
    auto iota = std::make_shared<ov::op::v4::Range>(const_scalar(i32, 0), n_value, const_scalar(i32, 1), i32);
    auto pick = std::make_shared<ov::op::v1::Select>(flatten(tiny), flatten(idx), iota);
    auto g = std::make_shared<ov::op::v8::Gather>(source, pick, const_scalar(ov::element::i64, 0));
    if (dynamic)
        return std::make_shared<ov::op::v1::Reshape>(g, shape, false);
    return reshape(g, v.get_shape());
}

ov::Output<ov::Node> slice(const ov::Output<ov::Node>& x, const std::vector<int64_t>& start,
                           const std::vector<int64_t>& stop, const std::vector<int64_t>& step,
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

ov::Output<ov::Node> pad(const ov::Output<ov::Node>& x_in, const ov::Output<ov::Node>& value,
                         const std::vector<int64_t>& lo, const std::vector<int64_t>& hi,
                         const std::vector<int64_t>& interior) {
    ov::Output<ov::Node> x = x_in;
    const auto ps = x.get_partial_shape();
    if (ps.rank().is_dynamic() || lo.size() != ps.size() || hi.size() != ps.size() || interior.size() != ps.size())
        throw TranslateError("padding for " + std::to_string(lo.size()) + " axes of an operand of rank " +
                             ps.rank().to_string());  // padding_config from a file
    const size_t rank = ps.size();
    // Interior padding: interleave `interior` pad values between elements, one axis at a time
    // (the axis's size must be static; the others may be dynamic).
    for (size_t ax = 0; ax < rank; ++ax) {
        int64_t in = interior[ax];
        if (in <= 0)
            continue;
        if (ps[ax].is_dynamic())
            throw TranslateError("interior padding of an axis of dynamic size (axis " + std::to_string(ax) + ")");
        int64_t n = ps[ax].get_length();
        if (n == 0)
            continue;
        // [.., n, ..] -> [.., n, 1, ..] -> pad the new axis with `in` values -> [.., n*(in+1), ..] -> drop the tail
        std::vector<int64_t> pb(rank + 1, 0), pe(rank + 1, 0);
        pe[ax + 1] = in;
        ov::Output<ov::Node> y;
        if (ps.is_static()) {
            const ov::Shape shape = x.get_shape();
            ov::Shape s1 = shape;
            s1.insert(s1.begin() + ax + 1, 1);
            y = std::make_shared<ov::op::v12::Pad>(reshape(x, s1), const_i64(pb), const_i64(pe), value,
                                                   ov::op::PadMode::CONSTANT);
            ov::Shape s2 = shape;
            s2[ax] = static_cast<size_t>(n * (in + 1));
            y = reshape(y, s2);
        } else {  // the other sizes from the tensor's shape at run time
            auto x1 = std::make_shared<ov::op::v0::Unsqueeze>(x, const_i64({static_cast<int64_t>(ax) + 1}));
            y = std::make_shared<ov::op::v12::Pad>(x1, const_i64(pb), const_i64(pe), value, ov::op::PadMode::CONSTANT);
            auto sh = std::make_shared<ov::op::v3::ShapeOf>(x, ov::element::i64);
            ov::OutputVector parts;
            if (ax > 0)
                parts.push_back(slice(sh, {0}, {static_cast<int64_t>(ax)}, {1}, {0}));
            parts.push_back(const_i64({n * (in + 1)}));
            if (ax + 1 < rank)
                parts.push_back(slice(sh, {static_cast<int64_t>(ax) + 1}, {static_cast<int64_t>(rank)}, {1}, {0}));
            auto target = parts.size() == 1 ? parts[0] : std::make_shared<ov::op::v0::Concat>(parts, 0)->output(0);
            y = std::make_shared<ov::op::v1::Reshape>(y, target, false);
        }
        int64_t keep = n + (n - 1) * in;
        x = slice(y, {0}, {keep}, {1}, {static_cast<int64_t>(ax)});
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

ov::Shape shape_param(const NodeContext& ctx, const std::vector<int64_t>& dims, const char* what) {
    ov::Shape s;
    for (auto d : dims) {
        OVJAX_CHECK(ctx, d >= 0, what, " has a negative size ", d);
        s.push_back(static_cast<size_t>(d));
    }
    return s;
}

ov::Shape static_shape(const NodeContext& ctx, const Dims& dims) {
    ov::Shape s;
    for (size_t k = 0; k < dims.size(); ++k) {
        OVJAX_CHECK(ctx, !format::is_symbolic_dim(dims[k]), ctx.primitive(),
                    " does not support the symbolic dimension ", ctx.dim_text(dims[k]), " at axis ", k,
                    " yet: make that dimension static");
        s.push_back(static_cast<size_t>(dims[k]));
    }
    return s;
}

bool has_zero(const Dims& dims) { return std::find(dims.begin(), dims.end(), 0) != dims.end(); }

ov::Output<ov::Node> reshape(const NodeContext& ctx, const ov::Output<ov::Node>& x, const Dims& dims) {
    if (is_static(dims))
        return reshape(x, static_shape(ctx, dims));
    if (ctx.shapes().is_exactly(x.get_partial_shape(), dims))  // no node at all: fewer for the plugin to run
        return x;
    ov::Output<ov::Node> r = std::make_shared<ov::op::v1::Reshape>(x, ctx.shape_of(dims), false);
    ctx.shapes().label(r, dims);
    return r;
}

ov::Output<ov::Node> broadcast(const NodeContext& ctx, const ov::Output<ov::Node>& x, const Dims& dims) {
    // (numpy mode: the result is the target shape, or the inference fails)
    ov::Output<ov::Node> r = std::make_shared<ov::op::v3::Broadcast>(x, ctx.shape_of(dims));
    ctx.shapes().label(r, dims);
    return r;
}

ov::Output<ov::Node> filled(const NodeContext& ctx, const ov::element::Type& t, const Dims& dims, double value) {
    if (is_static(dims))
        return const_fill(t, static_shape(ctx, dims), value);
    return broadcast(ctx, const_fill(t, ov::Shape{}, value), dims);
}

Dims dims_param(const NodeContext& ctx, const char* name) {
    Dims d = ctx.dims_param(name);
    for (auto v : d)
        OVJAX_CHECK(ctx, v >= 0 || format::is_symbolic_dim(v), name, " has a negative size ", v);
    return d;
}

bool symbolic_param(const NodeContext& ctx, const char* name) {
    const auto v = ctx.opt_param(name);
    if (!v)
        return false;
    if (v->tag() == format::ValueTag::dim)
        return true;
    if (v->tag() != format::ValueTag::tuple)
        return false;
    for (size_t k = 0; k < v->size(); ++k)
        if (v->item(k).tag() == format::ValueTag::dim)
            return true;
    return false;
}

ov::Shape broadcast_shapes(const NodeContext& ctx, const ov::Shape& a, const ov::Shape& b) {
    ov::Shape r(std::max(a.size(), b.size()), 1);
    for (size_t i = 0; i < r.size(); ++i) {
        const size_t da = i < a.size() ? a[a.size() - 1 - i] : 1, db = i < b.size() ? b[b.size() - 1 - i] : 1;
        OVJAX_CHECK(ctx, da == db || da == 1 || db == 1, ctx.primitive(), ": operand shapes ", a, " and ", b,
                    " do not broadcast");
        r[r.size() - 1 - i] = da == 1 ? db : da;
    }
    return r;
}

ov::Shape reduced_shape(const NodeContext& ctx, const ov::Shape& shape, const std::vector<int64_t>& axes) {
    std::vector<bool> drop(shape.size(), false);
    for (auto a : axes) {
        OVJAX_CHECK(ctx, a >= 0 && static_cast<size_t>(a) < shape.size(), ctx.primitive(), ": axis ", a,
                    " out of range for rank ", shape.size());
        OVJAX_CHECK(ctx, !drop[static_cast<size_t>(a)], ctx.primitive(), ": axis ", a, " is listed twice");
        drop[static_cast<size_t>(a)] = true;
    }
    ov::Shape r;
    for (size_t i = 0; i < shape.size(); ++i)
        if (!drop[i])
            r.push_back(shape[i]);
    return r;
}

int64_t dim_add(int64_t a, int64_t b) {
    int64_t r;
    if (__builtin_add_overflow(a, b, &r))
        throw TranslateError("size arithmetic overflows: " + std::to_string(a) + " + " + std::to_string(b));
    return r;
}

int64_t dim_mul(int64_t a, int64_t b) {
    int64_t r;
    if (__builtin_mul_overflow(a, b, &r))
        throw TranslateError("size arithmetic overflows: " + std::to_string(a) + " * " + std::to_string(b));
    return r;
}

int64_t numel(const ov::Shape& s) {
    for (auto d : s)
        if (d == 0)
            return 0;
    int64_t n = 1;
    for (auto d : s) {
        if (d > static_cast<size_t>(std::numeric_limits<int64_t>::max()) ||
            __builtin_mul_overflow(n, static_cast<int64_t>(d), &n))
            throw TranslateError("the element count of a shape of rank " + std::to_string(s.size()) +
                                 " overflows int64");
    }
    return n;
}

int64_t dilated_dim(int64_t d, int64_t dilation) { return d == 0 ? 0 : dim_add(1, dim_mul(dilation, dim_add(d, -1))); }

int64_t padded_dim(const NodeContext& ctx, int64_t d, int64_t lo, int64_t hi, int64_t interior) {
    const int64_t r = dim_add(dim_add(lo, hi), dilated_dim(d, dim_add(interior, 1)));
    OVJAX_CHECK(ctx, r >= 0, ctx.primitive(), ": padding (", lo, ", ", hi, ", ", interior, ") of an axis of ", d,
                " leaves a negative size");
    return r;
}

ov::Shape padded_shape(const NodeContext& ctx, const ov::Shape& in, const std::vector<int64_t>& lo,
                       const std::vector<int64_t>& hi, const std::vector<int64_t>& interior) {
    OVJAX_CHECK(ctx, lo.size() == in.size(), "padding_config has ", lo.size(), " entries for rank ", in.size());
    ov::Shape out;
    for (size_t i = 0; i < in.size(); ++i)
        out.push_back(static_cast<size_t>(padded_dim(ctx, static_cast<int64_t>(in[i]), lo[i], hi[i], interior[i])));
    return out;
}

int64_t strided_dim(int64_t d, int64_t window, int64_t stride) {
    if (stride < 1)
        throw TranslateError("window stride " + std::to_string(stride) + " is not positive");
    return d < window ? 0 : dim_add(d, -window) / stride + 1;
}

namespace {
// XLA's HigherPrecisionType order (JAX's _dot_general_dtype_rule): complex first, then the
// exponent range, the mantissa, the bit width, signedness.
std::array<int, 5> precision_rank(format::DType t) {
    using format::DType;
    switch (t) {
    case DType::c64:
        return {1, 128, 23, 32, 1};
    case DType::c128:
        return {1, 1024, 52, 64, 1};
    case DType::f8e4m3:
        return {0, 9, 3, 8, 1};
    case DType::f8e5m2:
        return {0, 16, 2, 8, 1};
    case DType::f16:
        return {0, 16, 10, 16, 1};
    case DType::bf16:
        return {0, 128, 7, 16, 1};
    case DType::f32:
        return {0, 128, 23, 32, 1};
    case DType::f64:
        return {0, 1024, 52, 64, 1};
    case DType::boolean:
        return {0, -1, -1, 1, 1};
    default: {
        const auto e = to_ov_type(t);
        return {0, -1, -1, static_cast<int>(e.bitwidth()), e.is_signed() ? 1 : 0};
    }
    }
}
}  // namespace

format::DType dot_result_dtype(const NodeContext& ctx, format::DType lhs, format::DType rhs) {
    if (auto p = ctx.opt_param("preferred_element_type"); p && !p->is_none())
        return p->as_dtype();
    const auto l = precision_rank(lhs), r = precision_rank(rhs);
    if (l != r)
        return l > r ? lhs : rhs;
    OVJAX_CHECK(ctx, lhs == rhs, ctx.primitive(), ": operand dtypes ", format::dtype_name(lhs), " and ",
                format::dtype_name(rhs), " differ");
    return lhs;
}

void require_float(const NodeContext& ctx) {
    OVJAX_CHECK(ctx, ctx.in_type(0).is_real(), ctx.primitive(), " needs a floating-point operand, got ",
                ctx.in_type(0));
}

void require_float32(const NodeContext& ctx) {
    OVJAX_CHECK(ctx, ctx.in_type(0).is_real(), ctx.primitive(), " needs a float operand, got ", ctx.in_type(0));
}

}  // namespace op
}  // namespace ovjax

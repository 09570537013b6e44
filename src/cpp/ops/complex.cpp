// Complex numbers and FFT. A complex64 (complex128) value of shape S is an f32 (f64) tensor
// of shape S + (2,): (real, imag) along the trailing axis; the serializer appends the 2 to
// the shapes it records, and to_ov_type maps the complex dtypes to their float type.
//
// Only translators marked OVJAX_OP_COMPLEX in primitives.def see complex values (the
// translate session reports any other primitive with a complex operand or result as an
// error). Structural translators whose parameters only address the leading axes (reshape,
// transpose, slice, broadcast_in_dim, ...) already keep trailing data axes in place (as
// for PRNG key data) and are used unchanged. The translators here are the complex halves
// of OVJAX_OP_REAL_COMPLEX rows, for the primitives whose complex meaning differs: the
// session calls them for equations with a complex operand or result, and the row's real
// translator for the others.
#include <cmath>
#include <complex>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "openvino/op/abs.hpp"
#include "openvino/op/broadcast.hpp"
#include "openvino/op/concat.hpp"
#include "openvino/op/convert.hpp"
#include "openvino/op/cum_sum.hpp"
#include "openvino/op/cos.hpp"
#include "openvino/op/dft.hpp"
#include "openvino/op/einsum.hpp"
#include "openvino/op/equal.hpp"
#include "openvino/op/exp.hpp"
#include "openvino/op/gather.hpp"
#include "openvino/op/idft.hpp"
#include "openvino/op/irdft.hpp"
#include "openvino/op/is_inf.hpp"
#include "openvino/op/less.hpp"
#include "openvino/op/maximum.hpp"
#include "openvino/op/minimum.hpp"
#include "openvino/op/negative.hpp"
#include "openvino/op/not_equal.hpp"
#include "openvino/op/range.hpp"
#include "openvino/op/pad.hpp"
#include "openvino/op/rdft.hpp"
#include "openvino/op/reduce_logical_and.hpp"
#include "openvino/op/reduce_logical_or.hpp"
#include "openvino/op/reduce_sum.hpp"
#include "openvino/op/sin.hpp"
#include "openvino/op/slice.hpp"
#include "openvino/op/sqrt.hpp"
#include "openvino/op/unsqueeze.hpp"
#include "ops/ops.hpp"
#include "ops/utils.hpp"
#include "ops/builders.hpp"
#include "frontend/pattern.hpp"

namespace ovjax {
namespace op {

namespace {

// Whether an operand is complex: the primitives here have complex results exactly then
// (those that make complex values from real ones decide it from their parameters).
bool any_complex(const NodeContext& ctx) {
    for (size_t i = 0; i < ctx.get_input_size(); ++i)
        if (ctx.in_is_complex(i))
            return true;
    return false;
}

// The float type of the parts of the complex dtype JAX makes from real type t
// (dtypes.to_complex_dtype: float64 -> complex128, narrower floats -> complex64).
ov::element::Type complex_part_type(const ov::element::Type& t) { return t == et::f64 ? et::f64 : et::f32; }

// Symbolic dimensions (docs/architecture.md, "Sizes and symbolic dimensions"): a helper
// given a tensor of static shape builds what it always built (static models are unchanged);
// a tensor with a dynamic dimension gets shape-agnostic nodes (Gather along the last axis,
// Unsqueeze, Concat) or sizes from ctx.shape_of.

// x with a new axis of 1 at `axis` (of the result).
Output<Node> insert_axis(const Output<Node>& x, size_t axis) {
    if (x.get_partial_shape().is_static()) {
        ov::Shape s = x.get_shape();
        s.insert(s.begin() + static_cast<std::ptrdiff_t>(axis), 1);
        return reshape(x, s);
    }
    return make<v0::Unsqueeze>(x, const_i64({static_cast<int64_t>(axis)}));
}
Output<Node> insert_last_axis(const Output<Node>& x) {
    return insert_axis(x, static_cast<size_t>(x.get_partial_shape().rank().get_length()));  // ranks are static
}

// Part k (0: real, 1: imag) of complex x: shape S + (2,) -> S.
Output<Node> part(const Output<Node>& x, int64_t k) {
    if (!x.get_partial_shape().is_static())  // element k of the last axis, which goes
        return make<ov::op::v8::Gather>(x, const_scalar(et::i64, static_cast<double>(k)), const_scalar(et::i64, -1));
    ov::Shape s = x.get_shape();
    const auto last = static_cast<int64_t>(s.size()) - 1;
    auto p = slice(x, {k}, {k + 1}, {1}, {last});
    s.pop_back();
    return reshape(p, s);
}
Output<Node> re(const Output<Node>& x) { return part(x, 0); }
Output<Node> im(const Output<Node>& x) { return part(x, 1); }

// The complex value (r, i) (same shapes): shape S + (2,).
Output<Node> make_complex(const Output<Node>& r, const Output<Node>& i) {
    if (r.get_partial_shape().is_static() && i.get_partial_shape().is_static()) {
        ov::Shape s = r.get_shape();
        s.push_back(1);
        return std::make_shared<v0::Concat>(ov::OutputVector{reshape(r, s), reshape(i, s)}, -1)->output(0);
    }
    return std::make_shared<v0::Concat>(ov::OutputVector{insert_last_axis(r), insert_last_axis(i)}, -1)->output(0);
}

// x, of dims `from`, broadcast (numpy rules) to `to`.
Output<Node> broadcast_to(const NodeContext& ctx, const Output<Node>& x, const Dims& from, const Dims& to) {
    if (from == to)
        return x;
    if (is_static(to))
        return make<ov::op::v3::Broadcast>(x, const_i64(to));
    return broadcast(ctx, x, to);
}

// The aval dims of operand i (without the trailing 2 of a complex value).
Dims value_dims(const NodeContext& ctx, size_t i) {
    Dims d = ctx.in_dims(i);
    if (ctx.in_is_complex(i) && !d.empty())
        d.pop_back();
    return d;
}

Dims with_parts(Dims d) {
    d.push_back(2);
    return d;
}

// Whether a tensor of `dims` has no element (numel's overflow check when static).
bool no_elements(const NodeContext& ctx, const Dims& dims) {
    return is_static(dims) ? numel(static_shape(ctx, dims)) == 0 : has_zero(dims);
}

// "[B,3,2]"
std::string dims_text(const NodeContext& ctx, const Dims& dims) {
    std::string s = "[";
    for (size_t k = 0; k < dims.size(); ++k)
        s += (k ? "," : "") + ctx.dim_text(dims[k]);
    return s + "]";
}

// The numpy broadcast of two operands' dims (a symbolic dimension broadcasts with 1 and
// with itself only).
Dims broadcast_dims(const NodeContext& ctx, const Dims& a, const Dims& b) {
    if (is_static(a) && is_static(b)) {
        const ov::Shape s = broadcast_shapes(ctx, static_shape(ctx, a), static_shape(ctx, b));
        return Dims(s.begin(), s.end());
    }
    Dims r(std::max(a.size(), b.size()), 1);
    for (size_t k = 0; k < r.size(); ++k) {
        const int64_t da = k < a.size() ? a[a.size() - 1 - k] : 1, db = k < b.size() ? b[b.size() - 1 - k] : 1;
        OVJAX_CHECK(ctx, da == db || da == 1 || db == 1, ctx.primitive(), ": operand shapes ", dims_text(ctx, a),
                    " and ", dims_text(ctx, b), " do not broadcast");
        r[r.size() - 1 - k] = da == 1 ? db : da;
    }
    return r;
}

// A static dimension `word` of operand dims, for a computation that needs its size: a clear
// error naming the primitive and the symbolic dimension otherwise.
int64_t static_dim(const NodeContext& ctx, int64_t word, size_t axis, const char* what) {
    OVJAX_CHECK(ctx, !format::is_symbolic_dim(word), ctx.primitive(), " does not support the symbolic dimension ",
                ctx.dim_text(word), " at axis ", axis, " (", what, "): make that dimension static");
    return word;
}

void require_complex_inputs(const NodeContext& ctx) {
    for (size_t i = 0; i < ctx.get_input_size(); ++i)
        OVJAX_CHECK(ctx, ctx.in_is_complex(i), ctx.primitive(), ": operand ", i, " is ", ctx.in_type(i),
                    " where a complex operand is expected (mixed real/complex operands are not supported)");
}

// sqrt(a^2 + b^2) without intermediate overflow or underflow; inf when either is inf.
Output<Node> hypot(const Output<Node>& a, const Output<Node>& b) {
    auto x = make<v0::Abs>(a), y = make<v0::Abs>(b);
    auto hi = make<v1::Maximum>(x, y), lo = make<v1::Minimum>(x, y);
    auto zero = scalar_like(hi, 0), one = scalar_like(hi, 1);
    auto safe_hi = select(make<v1::Equal>(hi, zero), one, hi);
    auto q = div(lo, safe_hi);
    auto r = mul(hi, make<v0::Sqrt>(add(one, mul(q, q))));
    auto inf = lor(make<ov::op::v10::IsInf>(a), make<ov::op::v10::IsInf>(b));
    return select(inf, scalar_like(hi, INFINITY), r);
}

// a + b and a - b with IEEE's signed zeros where an operand folds to a Constant holding a
// zero (the parts of a complex literal such as 1 + 0j, their products): OpenVINO's
// simplifications rewrite x + 0 into x and 0 - x into -x, so 0 - 0 came out -0 and
// -0 + 0 came out -0. For two zeros IEEE gives -0 only for -0 + -0 and -0 - +0.
bool may_fold_to_zero(const Output<Node>& x) {
    auto c = fold_constant(x, 6, 4096);
    if (!c)
        return false;
    for (double v : c->cast_vector<double>())
        if (v == 0)
            return true;
    return false;
}
Output<Node> zero_sum_fixed(const Output<Node>& a, const Output<Node>& b, const Output<Node>& r, bool minus) {
    if (!may_fold_to_zero(a) && !may_fold_to_zero(b))
        return r;
    auto zero = scalar_like(r, 0);
    auto both_zero = land(make<v1::Equal>(a, zero), make<v1::Equal>(b, zero));
    auto negative = land(signbit(a), minus ? lnot(signbit(b)) : signbit(b));
    return select(both_zero, select(negative, scalar_like(r, -0.0), zero), r);
}
Output<Node> add_z(const Output<Node>& a, const Output<Node>& b) { return zero_sum_fixed(a, b, add(a, b), false); }
Output<Node> sub_z(const Output<Node>& a, const Output<Node>& b) { return zero_sum_fixed(a, b, sub(a, b), true); }

// (real, imag) of the complex product a * b (S + (2,) each, or broadcastable).
std::pair<Output<Node>, Output<Node>> cmul_parts(const Output<Node>& a, const Output<Node>& b) {
    auto ar = re(a), ai = im(a), br = re(b), bi = im(b);
    return {sub_z(mul(ar, br), mul(ai, bi)), add_z(mul(ar, bi), mul(ai, br))};
}

Output<Node> cmul(const Output<Node>& a, const Output<Node>& b) {
    auto [r, i] = cmul_parts(a, b);
    return make_complex(r, i);
}

// (ar + i ai) / (br + i bi) by Smith's algorithm: scaled by the larger of |br|, |bi|, so
// br^2 + bi^2 cannot overflow. Where that gives (NaN, NaN), XLA's corner cases: a zero
// denominator (and a numerator not all NaN) gives copysign(inf, br) * a; an infinite
// numerator over a finite denominator inf * (a' conj(b)) with a' the numerator's infinities
// as +-1 (finite parts 0); a finite numerator over an infinite denominator
// 0 * (a conj(b')) likewise. Returns (real, imag).
std::pair<Output<Node>, Output<Node>> smith_div(const Output<Node>& ar, const Output<Node>& ai, const Output<Node>& br,
                                                const Output<Node>& bi) {
    auto abs_br = make<v0::Abs>(br), abs_bi = make<v0::Abs>(bi);
    auto big_r = greater_eq(abs_br, abs_bi);
    // |br| >= |bi|: q = bi / br, d = br + bi q, (ar + ai q) / d, (ai - ar q) / d
    auto q1 = div(bi, br);
    auto d1 = add(br, mul(bi, q1));
    auto r1 = div(add_z(ar, mul(ai, q1)), d1), i1 = div(sub_z(ai, mul(ar, q1)), d1);
    // else: q = br / bi, d = bi + br q, (ar q + ai) / d, (ai q - ar) / d
    auto q2 = div(br, bi);
    auto d2 = add(bi, mul(br, q2));
    auto r2 = div(add_z(mul(ar, q2), ai), d2), i2 = div(sub_z(mul(ai, q2), ar), d2);
    Output<Node> r = select(big_r, r1, r2), i = select(big_r, i1, i2);

    auto zero = scalar_like(ar, 0), one = scalar_like(ar, 1), inf = scalar_like(ar, INFINITY);
    auto is_inf = [&](const Output<Node>& v) { return make<v1::Equal>(make<v0::Abs>(v), inf); };
    auto finite = [&](const Output<Node>& v) { return make<v1::Less>(make<v0::Abs>(v), inf); };  // false for NaN
    auto unit_inf = [&](const Output<Node>& v) { return copysign(select(is_inf(v), one, zero), v); };
    // a * conj(b) scaled by s: (s (ar br + ai bi), s (ai br - ar bi))
    auto scaled = [&](const Output<Node>& s, const Output<Node>& xr, const Output<Node>& xi, const Output<Node>& yr,
                      const Output<Node>& yi) {
        return std::make_pair(mul(s, add(mul(xr, yr), mul(xi, yi))), mul(s, sub(mul(xi, yr), mul(xr, yi))));
    };
    auto b_zero = land(make<v1::Equal>(abs_br, zero), make<v1::Equal>(abs_bi, zero));
    auto zero_den = land(b_zero, lor(lnot(is_nan(ar)), lnot(is_nan(ai))));
    auto inf_br = copysign(inf, br);
    auto inf_num = land(lor(is_inf(ar), is_inf(ai)), land(finite(br), finite(bi)));
    auto [inf_r, inf_i] = scaled(inf, unit_inf(ar), unit_inf(ai), br, bi);
    auto inf_den = land(lor(is_inf(br), is_inf(bi)), land(finite(ar), finite(ai)));
    auto [fin_r, fin_i] = scaled(zero, ar, ai, unit_inf(br), unit_inf(bi));
    auto pick = [&](const Output<Node>& normal, const Output<Node>& zd, const Output<Node>& in,
                    const Output<Node>& fn) {
        return select(zero_den, zd, select(inf_num, in, select(inf_den, fn, normal)));
    };
    auto nan_result = land(is_nan(r), is_nan(i));
    return {select(nan_result, pick(r, mul(inf_br, ar), inf_r, fin_r), r),
            select(nan_result, pick(i, mul(inf_br, ai), inf_i, fin_i), i)};
}

}  // namespace

// ---------------------------------------------------------------- real, imag, complex, conj

ov::OutputVector translate_real(const NodeContext& ctx) {
    require_complex_inputs(ctx);
    return {re(ctx.get_input(0))};
}

ov::OutputVector translate_imag(const NodeContext& ctx) {
    require_complex_inputs(ctx);
    return {im(ctx.get_input(0))};
}

ov::OutputVector translate_complex(const NodeContext& ctx) {
    OVJAX_CHECK(ctx, !ctx.in_is_complex(0) && !ctx.in_is_complex(1) && ctx.in_type(0) == ctx.in_type(1),
                "complex needs real operands of one type, got ", ctx.in_type(0), " and ", ctx.in_type(1));
    const auto t = complex_part_type(ctx.in_type(0));
    const Dims a = ctx.in_dims(0), b = ctx.in_dims(1);
    const Dims s = broadcast_dims(ctx, a, b);
    return {make_complex(broadcast_to(ctx, convert(ctx.get_input(0), t), a, s),
                         broadcast_to(ctx, convert(ctx.get_input(1), t), b, s))};
}

ov::OutputVector translate_conj(const NodeContext& ctx) {
    auto x = ctx.get_input(0);
    const auto t = complex_part_type(ctx.in_type(0));
    if (!ctx.in_is_complex(0)) {  // conj of a real operand: the complex value (x, 0)
        auto r = convert(x, t);
        return {make_complex(r, mul(r, scalar_like(r, 0)))};
    }
    auto c = v0::Constant::create(t, ov::Shape{2}, std::vector<double>{1.0, -1.0});
    return {mul(x, c)};
}

// ---------------------------------------------------------------- arithmetic

ov::OutputVector translate_mul_c(const NodeContext& ctx) {
    require_complex_inputs(ctx);
    auto [r, i] = cmul_parts(ctx.get_input(0), ctx.get_input(1));
    return {make_complex(r, i)};
}

ov::OutputVector translate_square_c(const NodeContext& ctx) {
    auto x = ctx.get_input(0);
    return {cmul(x, x)};
}

ov::OutputVector translate_one_minus_square_c(const NodeContext& ctx) {
    // (1 + x) * (1 - x) with 1 = 1 + 0i, as JAX lowers it (0 + im and 0 - im: signed zeros too)
    auto x = ctx.get_input(0);
    auto r = re(x), i = im(x);
    auto one = scalar_like(r, 1), zero = scalar_like(r, 0);
    return {cmul(make_complex(add(one, r), add(zero, i)), make_complex(sub(one, r), sub(zero, i)))};
}

ov::OutputVector translate_integer_pow_c(const NodeContext& ctx) {
    // x^|y| by binary powering (as XLA), then 1 / x^|y| for negative y
    auto x = ctx.get_input(0);
    const int64_t y = ctx.int_param("y");
    int64_t e = y < 0 ? -y : y;
    const auto t = ctx.in_type(0);
    const Dims vs = value_dims(ctx, 0);
    Output<Node> acc = make_complex(filled(ctx, t, vs, 1), zeros(ctx, t, vs));
    bool first = true;
    Output<Node> p = x;
    while (e > 0) {
        if (e & 1) {
            acc = first ? p : cmul(acc, p);
            first = false;
        }
        e >>= 1;
        if (e)
            p = cmul(p, p);
    }
    if (y >= 0)
        return {acc};
    // 1 / acc
    auto [r, i] = smith_div(scalar_like(re(acc), 1), scalar_like(re(acc), 0), re(acc), im(acc));
    return {make_complex(r, i)};
}

ov::OutputVector translate_div_c(const NodeContext& ctx) {
    require_complex_inputs(ctx);
    auto a = ctx.get_input(0), b = ctx.get_input(1);
    auto [r, i] = smith_div(re(a), im(a), re(b), im(b));
    return {make_complex(r, i)};
}

ov::OutputVector translate_abs_c(const NodeContext& ctx) {
    auto x = ctx.get_input(0);
    return {hypot(re(x), im(x))};
}

ov::OutputVector translate_sign_c(const NodeContext& ctx) {
    // z / |z|, and 0 for 0
    auto x = ctx.get_input(0);
    auto m = hypot(re(x), im(x));
    auto zero = make<v1::Equal>(m, scalar_like(m, 0));
    auto safe = select(zero, scalar_like(m, 1), m);
    return {div(x, insert_last_axis(safe))};
}

// exp(x + iy) = e^x (cos y + i sin y), as XLA: e^(x/2) (e^(x/2) cos y) where e^x overflows
// (so e^x sin y stays finite for tiny y), and 0 as the imaginary part for y = 0.
ov::OutputVector translate_exp_c(const NodeContext& ctx) {
    auto z = ctx.get_input(0);
    auto x = re(z), y = im(z);
    auto e = exp_(x), h = exp_(mul(x, scalar_like(x, 0.5)));
    auto big = make<v1::Equal>(e, scalar_like(e, INFINITY));
    auto c = make<v0::Cos>(y), s = make<v0::Sin>(y);
    auto r = select(big, mul(mul(h, c), h), mul(e, c));
    auto i = select(big, mul(mul(h, s), h), mul(e, s));
    return {make_complex(r, select(make<v1::Equal>(y, scalar_like(y, 0)), scalar_like(y, 0), i))};
}

// max / min: lexicographic on (re, im), as JAX lowers them (mlir._minmax_hlo): x where
// re(x) > re(y), or where they are equal and im(x) > im(y) (< for min), else y; a NaN in
// either compared part picks y. (x > y is built as y < x: builders.hpp's greater().)
Output<Node> lexicographic_pick(const NodeContext& ctx, bool max) {
    require_complex_inputs(ctx);
    auto x = ctx.get_input(0), y = ctx.get_input(1);
    auto cmp = [max](const Output<Node>& a, const Output<Node>& b) {
        return max ? greater(a, b) : make<v1::Less>(a, b);
    };
    auto rx = re(x), ry = re(y);
    auto pick_x = select(make<v1::Equal>(rx, ry), cmp(im(x), im(y)), cmp(rx, ry));
    return select(insert_last_axis(pick_x), x, y);
}

ov::OutputVector translate_max_c(const NodeContext& ctx) { return {lexicographic_pick(ctx, true)}; }

ov::OutputVector translate_min_c(const NodeContext& ctx) { return {lexicographic_pick(ctx, false)}; }

ov::OutputVector translate_eq_c(const NodeContext& ctx) {
    require_complex_inputs(ctx);
    auto e = make<v1::Equal>(ctx.get_input(0), ctx.get_input(1));
    return {make<v1::ReduceLogicalAnd>(e, const_i64({-1}), false)};
}

ov::OutputVector translate_ne_c(const NodeContext& ctx) {
    require_complex_inputs(ctx);
    auto e = make<v1::NotEqual>(ctx.get_input(0), ctx.get_input(1));
    return {make<v1::ReduceLogicalOr>(e, const_i64({-1}), false)};
}

ov::OutputVector translate_convert_element_type_c(const NodeContext& ctx) {
    const auto to = ctx.dtype_param("new_dtype");
    const bool cin = ctx.in_is_complex(0), cout = is_complex(to);
    if (!cin && !cout)
        return translate_convert_element_type(ctx);  // the file declared a complex result the parameter does not make
    auto x = ctx.get_input(0);
    const auto t = to_ov_type(to);
    if (cin && cout)  // complex64 <-> complex128
        return {convert(x, t)};
    if (cout) {  // real -> complex: (x, 0)
        Output<Node> r = x.get_element_type() == et::boolean ? convert(convert(x, et::i32), t) : convert(x, t);
        return {make_complex(r, zeros(ctx, t, ctx.in_dims(0)))};
    }
    if (t == et::boolean)  // nonzero: either part
        return {make<v1::ReduceLogicalOr>(make<v1::NotEqual>(x, scalar_like(x, 0)), const_i64({-1}), false)};
    // complex -> real: the real part (as JAX, which warns that the imaginary part is dropped),
    // converted as a float of the part type would be
    if (t.is_integral_number())
        return {float_to_int(re(x), t)};
    return {convert(re(x), t)};
}

// ---------------------------------------------------------------- structure

ov::OutputVector translate_iota_c(const NodeContext& ctx) {
    const auto dt = ctx.dtype_param("dtype");
    if (!is_complex(dt))
        return translate_iota(ctx);  // the file declared a complex result the parameter does not make
    // the real iota, imaginary part 0
    const auto t = to_ov_type(dt);
    const Dims s = symbolic_param(ctx, "shape") ? dims_param(ctx, "shape") : [&] {
        const auto sh = shape_param(ctx, ctx.ints_param("shape"), "iota's shape");
        return Dims(sh.begin(), sh.end());
    }();
    const int64_t dim = ctx.int_param("dimension");
    OVJAX_CHECK(ctx, dim >= 0 && static_cast<size_t>(dim) < s.size(), "bad iota dimension ", dim);
    const int64_t n = s[static_cast<size_t>(dim)];
    Dims one(s.size(), 1);
    one[static_cast<size_t>(dim)] = n;
    Output<Node> r;
    if (!format::is_symbolic_dim(n)) {
        charge_constant(static_cast<uint64_t>(n), 16);  // the doubles here and the constant
        std::vector<double> v(static_cast<size_t>(n));
        for (size_t i = 0; i < v.size(); ++i)
            v[i] = static_cast<double>(i);
        r = v0::Constant::create(t, static_shape(ctx, one), v);
    } else {
        // 0 .. n-1 at run time: exact in i64 and (below 2^24) in f32, then the part type
        r = make<ov::op::v4::Range>(const_scalar(et::i64, 0), ctx.dim_scalar(n), const_scalar(et::i64, 1), et::i64);
        r = convert(convert(r, et::f32), t);
        r = reshape(ctx, r, one);
    }
    r = broadcast_to(ctx, r, one, s);
    return {make_complex(r, zeros(ctx, t, s))};
}

ov::OutputVector translate_bitcast_convert_type_c(const NodeContext& ctx) {
    const auto to = ctx.dtype_param("new_dtype");
    if (!any_complex(ctx) && !is_complex(to))
        return translate_bitcast_convert_type(ctx);  // the file declared a complex result the parameter does not make
    OVJAX_CHECK(ctx, ctx.in_dtype(0) == to,
                "bitcast_convert_type of complex values is supported only to the same "
                "complex type");
    return {ctx.get_input(0)};
}

ov::OutputVector translate_reduce_sum_c(const NodeContext& ctx) {
    auto x = ctx.get_input(0);
    const Dims s = ctx.in_dims(0);
    const Dims vs = value_dims(ctx, 0);
    auto axes = norm_axes(ctx.ints_param("axes"), vs.size());
    Dims out;
    if (is_static(vs)) {
        const ov::Shape o = reduced_shape(ctx, static_shape(ctx, vs), axes);
        out.assign(o.begin(), o.end());
    } else {
        const std::set<int64_t> drop(axes.begin(), axes.end());
        OVJAX_CHECK(ctx, drop.size() == axes.size(), "reduce_sum axes repeat an axis");
        for (size_t k = 0; k < vs.size(); ++k)
            if (!drop.count(static_cast<int64_t>(k)))
                out.push_back(vs[k]);
    }
    out.push_back(2);
    if (axes.empty())
        return {x};
    if (no_elements(ctx, s))
        return {zeros(ctx, ctx.in_type(0), out)};
    return {make<v1::ReduceSum>(x, const_i64(axes), false)};
}

ov::OutputVector translate_cumsum_c(const NodeContext& ctx) {
    auto x = ctx.get_input(0);
    const Dims s = ctx.in_dims(0);
    const auto rank = static_cast<int64_t>(s.size()) - 1;
    int64_t axis = ctx.int_param("axis");
    if (axis < 0)
        axis += rank;
    OVJAX_CHECK(ctx, axis >= 0 && axis < rank, "bad axis ", axis);
    if (no_elements(ctx, s))
        return {x};
    auto ax = v0::Constant::create(et::i64, ov::Shape{}, std::vector<int64_t>{axis});
    return {make<ov::op::v0::CumSum>(x, ax, false, ctx.bool_param("reverse"))};
}

ov::OutputVector translate_pad_c(const NodeContext& ctx) {
    require_complex_inputs(ctx);
    const auto [lo, hi, in] = padding_config(ctx);
    const auto t = ctx.in_type(0);
    const Dims s = value_dims(ctx, 0);
    // the result's dims, and the mask's: a symbolic axis (which must not be padded) is 1
    // there and broadcasts
    Dims vs, ms;
    if (is_static(s)) {
        const ov::Shape p = padded_shape(ctx, static_shape(ctx, s), lo, hi, in);
        vs.assign(p.begin(), p.end());
        ms = s;
    } else {
        OVJAX_CHECK(ctx, lo.size() == s.size(), "padding_config has ", lo.size(), " entries for rank ", s.size());
        for (size_t k = 0; k < s.size(); ++k) {
            if (format::is_symbolic_dim(s[k])) {
                OVJAX_CHECK(ctx, lo[k] == 0 && hi[k] == 0 && in[k] == 0, "pad does not support padding the symbolic ",
                            "dimension ", ctx.dim_text(s[k]), " (axis ", k, ") of a complex operand: pad static axes");
                vs.push_back(s[k]);
                ms.push_back(1);
            } else {
                vs.push_back(padded_dim(ctx, s[k], lo[k], hi[k], in[k]));
                ms.push_back(s[k]);
            }
        }
    }
    const Dims out = with_parts(vs);
    if (no_elements(ctx, out))
        return {zeros(ctx, t, out)};
    // Pad each part with a constant 0 (OpenVINO's CPU plugin ignores non-constant pad
    // values), then select the pad value where a constant mask says the element is padding.
    auto x = ctx.get_input(0), v = ctx.get_input(1);
    const auto zero = const_scalar(t, 0);
    auto mask = pad(const_fill(et::f32, static_shape(ctx, ms), 1), const_scalar(et::f32, 0), lo, hi, in);
    auto from_x = greater(mask, const_scalar(et::f32, 0.5));
    Output<Node> parts[2];
    for (int k = 0; k < 2; ++k) {
        auto padded = no_elements(ctx, s) ? zeros(ctx, t, vs) : pad(part(x, k), zero, lo, hi, in);
        parts[k] = select(from_x, padded, part(v, k));
    }
    return {make_complex(parts[0], parts[1])};
}

ov::OutputVector translate_dynamic_slice_c(const NodeContext& ctx) {
    const Dims in = ctx.in_dims(0);
    OVJAX_CHECK(ctx, !in.empty(), "dynamic_slice of a complex operand without its (real, imag) axis");
    const size_t rank = in.size() - 1;
    const bool symbolic = !is_static(in) || symbolic_param(ctx, "slice_sizes");
    // the static path as always; with symbolic dimensions, sizes and bounds from ctx.shape_of
    const Dims sizes = symbolic ? dims_param(ctx, "slice_sizes") : [&] {
        const auto v = ctx.ints_param("slice_sizes");
        return Dims(v.begin(), v.end());
    }();
    OVJAX_CHECK(ctx, sizes.size() == rank, "slice_sizes has ", sizes.size(), " entries for rank ", rank);
    OVJAX_CHECK(ctx, ctx.get_input_size() == 1 + rank, "dynamic_slice expects 1 + ", rank, " inputs, got ",
                ctx.get_input_size());
    Dims out = sizes;
    if (!symbolic) {
        const ov::Shape o = shape_param(ctx, sizes, "slice_sizes");
        out.assign(o.begin(), o.end());
    }
    out.push_back(2);
    if (no_elements(ctx, out))
        return {zeros(ctx, ctx.in_type(0), out)};
    // starts clamped to [0, in - size] as JAX does; indices are small: exact in any type
    ov::OutputVector starts;
    for (size_t d = 0; d < rank; ++d) {
        const bool fixed = !format::is_symbolic_dim(in[d]) && !format::is_symbolic_dim(sizes[d]);
        const int64_t h = fixed ? in[d] - sizes[d] : 0;
        OVJAX_CHECK(ctx, !fixed || (sizes[d] >= 0 && h >= 0), "slice size ", sizes[d], " does not fit dimension ",
                    in[d]);
        auto hi = [&]() -> Output<Node> {
            if (fixed || in[d] == sizes[d])  // (a symbolic size of the whole axis: 0)
                return const_scalar(et::i64, static_cast<double>(h));
            return sub(ctx.dim_scalar(in[d]), ctx.dim_scalar(sizes[d]));
        };
        auto i = convert(ctx.get_input(static_cast<int>(d + 1)), et::i64);
        i = make<v1::Minimum>(make<v1::Maximum>(i, const_scalar(et::i64, 0)), hi());
        starts.push_back(reshape(i, ov::Shape{1}));
    }
    starts.push_back(const_i64({0}));
    auto start = std::make_shared<v0::Concat>(starts, 0)->output(0);
    auto stop = add(start, symbolic ? ctx.shape_of(out) : const_i64(out));
    std::vector<int64_t> steps(rank + 1, 1), axes(rank + 1);
    for (size_t d = 0; d <= rank; ++d)
        axes[d] = static_cast<int64_t>(d);
    auto y = make<ov::op::v8::Slice>(ctx.get_input(0), start, stop, const_i64(steps), const_i64(axes));
    return {reshape(ctx, y, out)};
}

// ---------------------------------------------------------------- dot_general

ov::OutputVector translate_dot_general_c(const NodeContext& ctx) {
    // One real Einsum: the lhs's (real, imag) axis k is contracted with an axis k of the
    // rhs expanded to [[br, bi], [-bi, br]] (k, j), whose axis j is the result's:
    // j = 0: ar br - ai bi, j = 1: ar bi + ai br.
    auto dn = ctx.param("dimension_numbers");
    OVJAX_CHECK(ctx, dn.size() == 2 && dn.item(0).size() == 2 && dn.item(1).size() == 2,
                "dimension_numbers must be ((lhs_contract, rhs_contract), (lhs_batch, rhs_batch)), got ",
                dn.describe());
    const Dims ls = value_dims(ctx, 0), rs = value_dims(ctx, 1);  // symbolic ones pair up when equal
    const size_t lr = ls.size(), rr = rs.size();
    auto lc = norm_axes(dn.item(0).item(0).as_ints(), lr);
    auto rc = norm_axes(dn.item(0).item(1).as_ints(), rr);
    auto lb = norm_axes(dn.item(1).item(0).as_ints(), lr);
    auto rb = norm_axes(dn.item(1).item(1).as_ints(), rr);
    OVJAX_CHECK(ctx, lc.size() == rc.size() && lb.size() == rb.size(), "dimension_numbers do not pair up");
    OVJAX_CHECK(ctx, lr + rr + 2 <= 50, "dot_general of too many axes");
    const auto dt = dot_result_dtype(ctx, ctx.in_dtype(0), ctx.in_dtype(1));
    OVJAX_CHECK(ctx, is_complex(dt), "dot_general of complex operands to ", format::dtype_name(dt),
                " is not supported");
    const auto t = to_ov_type(dt);
    for (size_t i = 0; i < lc.size(); ++i)
        OVJAX_CHECK(ctx,
                    lc[i] >= 0 && static_cast<size_t>(lc[i]) < lr && rc[i] >= 0 && static_cast<size_t>(rc[i]) < rr &&
                        ls[lc[i]] == rs[rc[i]],
                    "contracting dimensions ", lc[i], " and ", rc[i], " do not pair up");
    for (size_t i = 0; i < lb.size(); ++i)
        OVJAX_CHECK(ctx,
                    lb[i] >= 0 && static_cast<size_t>(lb[i]) < lr && rb[i] >= 0 && static_cast<size_t>(rb[i]) < rr &&
                        ls[lb[i]] == rs[rb[i]],
                    "batch dimensions ", lb[i], " and ", rb[i], " do not pair up");
    auto has = [](const std::vector<int64_t>& v, size_t a) {
        for (auto x : v)
            if (static_cast<size_t>(x) == a)
                return true;
        return false;
    };
    for (size_t i = 0; i < lr; ++i)
        OVJAX_CHECK(ctx, has(lc, i) + has(lb, i) <= 1, "dimension_numbers repeat lhs axis ", i);
    for (size_t i = 0; i < rr; ++i)
        OVJAX_CHECK(ctx, has(rc, i) + has(rb, i) <= 1, "dimension_numbers repeat rhs axis ", i);
    OVJAX_CHECK(ctx,
                std::set<int64_t>(lc.begin(), lc.end()).size() + std::set<int64_t>(lb.begin(), lb.end()).size() ==
                        lc.size() + lb.size() &&
                    std::set<int64_t>(rc.begin(), rc.end()).size() + std::set<int64_t>(rb.begin(), rb.end()).size() ==
                        rc.size() + rb.size(),
                "dimension_numbers repeat an axis");
    // JAX's result: (batch..., lhs free..., rhs free...) + (real, imag)
    Dims out;
    for (auto a : lb)
        out.push_back(ls[static_cast<size_t>(a)]);
    for (size_t i = 0; i < lr; ++i)
        if (!has(lc, i) && !has(lb, i))
            out.push_back(ls[i]);
    for (size_t i = 0; i < rr; ++i)
        if (!has(rc, i) && !has(rb, i))
            out.push_back(rs[i]);
    out.push_back(2);
    if (no_elements(ctx, out))
        return {zeros(ctx, t, out)};
    std::string letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWX";  // 'Y', 'Z': k, j
    std::string l(lr, '?'), r(rr, '?'), o;
    size_t next = 0;
    for (size_t i = 0; i < lr; ++i)
        l[i] = letters[next++];
    for (size_t i = 0; i < rc.size(); ++i)
        r[static_cast<size_t>(rc[i])] = l[static_cast<size_t>(lc[i])];
    for (size_t i = 0; i < rb.size(); ++i)
        r[static_cast<size_t>(rb[i])] = l[static_cast<size_t>(lb[i])];
    for (size_t i = 0; i < rr; ++i)
        if (r[i] == '?')
            r[i] = letters[next++];
    for (auto a : lb)
        o += l[static_cast<size_t>(a)];
    for (size_t i = 0; i < lr; ++i)
        if (!has(lc, i) && !has(lb, i))
            o += l[i];
    for (size_t i = 0; i < rr; ++i)
        if (!has(rc, i) && !has(rb, i))
            o += r[i];
    // a real operand (JAX allows mixed operand types) is the complex value (x, 0)
    auto as_c = [&](size_t i) {
        auto x = ctx.get_input(static_cast<int>(i));
        if (ctx.in_is_complex(i))
            return convert(x, t);
        auto r = x.get_element_type() == et::boolean ? convert(convert(x, et::i32), t) : convert(x, t);
        return make_complex(r, zeros(ctx, t, ctx.in_dims(i)));
    };
    auto a = as_c(0), b = as_c(1);
    if (!is_static(ls) || !is_static(rs)) {
        // With a symbolic dimension the CPU plugin's Einsum of two contracted letters
        // beside three batch ones (a vmapped batched matmul) computes garbage (OpenVINO
        // 2026.4): four real Einsums over the operands' own letters instead.
        const std::string real_eq = l + "," + r + "->" + o;
        auto ein = [&](const Output<Node>& x, const Output<Node>& y) {
            return std::make_shared<ov::op::v7::Einsum>(ov::OutputVector{x, y}, real_eq)->output(0);
        };
        auto ar = re(a), ai = im(a), br = re(b), bi = im(b);
        return {make_complex(sub(ein(ar, br), ein(ai, bi)), add(ein(ar, bi), ein(ai, br)))};
    }
    auto br = re(b), bi = im(b);
    auto row0 = make_complex(br, bi), row1 = make_complex(make<v0::Negative>(bi), br);  // k = 0, 1
    // rs + (1, 2) each
    auto b2 = std::make_shared<v0::Concat>(ov::OutputVector{insert_axis(row0, rr), insert_axis(row1, rr)},
                                           static_cast<int64_t>(rr))
                  ->output(0);
    const std::string eq = l + "Y," + r + "YZ->" + o + "Z";
    return {std::make_shared<ov::op::v7::Einsum>(ov::OutputVector{a, b2}, eq)->output(0)};
}

// ---------------------------------------------------------------- fft

namespace {
// fft_type: FFT (0), IFFT (1), RFFT (2) or IRFFT (3), an int or a FftType member.
std::string fft_kind(const NodeContext& ctx) {
    auto ft = ctx.param("fft_type");
    if (ft.tag() == format::ValueTag::integer) {
        static const char* names[] = {"FFT", "IFFT", "RFFT", "IRFFT"};
        const int64_t k = ft.as_int();
        OVJAX_CHECK(ctx, k >= 0 && k < 4, "unknown fft_type ", k);
        return names[k];
    }
    std::string kind(ft.enum_member());
    auto dot = kind.rfind('.');
    return dot == std::string::npos ? kind : kind.substr(dot + 1);
}
// The CPU plugin's DFT is accurate for power-of-two lengths (1e-7 relative) but computes
// other lengths directly with twiddles of float accuracy: measured relative errors 2e-6 at
// 15 and 17, 1.6e-5 at 100, 1.5e-4 at 1000 (JAX's: ~1e-7). Those lengths go through
// Bluestein's algorithm instead: x_n w_n (w_n = exp(-+ i pi n^2 / N)) zero-padded to a power
// of two M >= 2N - 1, circularly convolved with conj(w) by the plugin's power-of-two DFTs,
// times w_k. The chirps and the DFT of conj(w) are computed in double here.
constexpr int64_t kMaxBluestein = int64_t{1} << 16;

bool bluestein_length(int64_t n) { return n > 2 && (n & (n - 1)) != 0 && n <= kMaxBluestein; }

// In-place radix-2 FFT (sign -1: forward) of a power-of-two length, in double.
void fft_pow2(std::vector<std::complex<double>>& a, double sign) {
    const size_t n = a.size();
    for (size_t i = 1, j = 0; i < n; ++i) {
        size_t bit = n >> 1;
        for (; j & bit; bit >>= 1)
            j ^= bit;
        j ^= bit;
        if (i < j)
            std::swap(a[i], a[j]);
    }
    for (size_t len = 2; len <= n; len <<= 1) {
        const double ang = sign * 2 * M_PI / static_cast<double>(len);
        for (size_t i = 0; i < n; i += len)
            for (size_t k = 0; k < len / 2; ++k) {
                const auto w = std::polar(1.0, ang * static_cast<double>(k));
                const auto u = a[i + k], v = a[i + k + len / 2] * w;
                a[i + k] = u + v;
                a[i + k + len / 2] = u - v;
            }
    }
}

// A complex constant of `values` along one axis, shaped [len, 1 x ones, 2] to broadcast over
// an operand whose axis is followed by `ones` axes.
Output<Node> axis_constant(const std::vector<std::complex<double>>& values, size_t ones) {
    charge_constant(values.size() * 2, 4);
    std::vector<float> flat;
    flat.reserve(values.size() * 2);
    for (const auto& v : values) {
        flat.push_back(static_cast<float>(v.real()));
        flat.push_back(static_cast<float>(v.imag()));
    }
    ov::Shape shape{values.size()};
    shape.insert(shape.end(), ones, 1);
    shape.push_back(2);
    return v0::Constant::create(et::f32, shape, flat)->output(0);
}

// The DFT (inverse: the IDFT, scaled by 1/n) of f32 pairs x along `axis` of length n
// (followed by `ones` value axes) by Bluestein's algorithm.
Output<Node> bluestein_dft(const Output<Node>& x, int64_t axis, int64_t n, size_t ones, bool inverse) {
    int64_t m = 1;
    while (m < 2 * n - 1)
        m <<= 1;
    const double sign = inverse ? 1.0 : -1.0;
    std::vector<std::complex<double>> w(static_cast<size_t>(n)), b(static_cast<size_t>(m));
    for (int64_t k = 0; k < n; ++k) {
        const auto k2 = static_cast<double>((k * k) % (2 * n));  // n^2 mod 2N: exact angles
        w[static_cast<size_t>(k)] = std::polar(1.0, sign * M_PI * k2 / static_cast<double>(n));
    }
    for (int64_t k = 0; k < n; ++k) {
        b[static_cast<size_t>(k)] = std::conj(w[static_cast<size_t>(k)]);
        if (k)
            b[static_cast<size_t>(m - k)] = std::conj(w[static_cast<size_t>(k)]);
    }
    fft_pow2(b, -1.0);
    auto out_w = w;
    if (inverse)
        for (auto& v : out_w)
            v /= static_cast<double>(n);
    auto a = cmul(x, axis_constant(w, ones));
    const auto rank = static_cast<size_t>(a.get_partial_shape().rank().get_length());
    std::vector<int64_t> lo(rank, 0), hi(rank, 0);
    hi[static_cast<size_t>(axis)] = m - n;
    auto padded = make<ov::op::v12::Pad>(a, const_i64(lo), const_i64(hi), scalar_like(a, 0), ov::op::PadMode::CONSTANT);
    auto spectrum = cmul(make<ov::op::v7::DFT>(padded, const_i64({axis})), axis_constant(b, ones));
    auto conv = make<ov::op::v7::IDFT>(spectrum, const_i64({axis}));
    auto head = make<ov::op::v8::Slice>(conv, const_i64({0}), const_i64({n}), const_i64({1}), const_i64({axis}));
    return cmul(head, axis_constant(out_w, ones));
}

}  // namespace

ov::OutputVector translate_fft(const NodeContext& ctx) {
    // fft_type: FFT (0), IFFT (1), RFFT (2), IRFFT (3) over the trailing len(fft_lengths)
    // axes. OpenVINO's DFT family uses the same trailing-(real, imag) layout; IDFT and
    // IRDFT scale by 1/n as numpy and JAX do.
    const std::string kind = fft_kind(ctx);
    auto lengths = ctx.ints_param("fft_lengths");
    OVJAX_CHECK(ctx, !lengths.empty() && lengths.size() <= 3, "fft over ", lengths.size(), " axes is not supported");
    for (auto l : lengths)
        OVJAX_CHECK(ctx, l >= 0, "fft_lengths has a negative length ", l);
    // OpenVINO's DFT ops take f32 (complex128 / float64 run as f32 on the CPU plugin anyway)
    auto x = convert(ctx.get_input(0), et::f32);
    // the parts of a complex result have the operand's float type (RFFT: float32 ->
    // complex64, IRFFT: complex64 -> float32)
    const auto t = ctx.in_type(0);
    const Dims vs = value_dims(ctx, 0);
    const auto rank = static_cast<int64_t>(vs.size());
    const auto n = static_cast<int64_t>(lengths.size());
    OVJAX_CHECK(ctx, rank >= n, "fft over ", n, " axes of a rank-", rank, " operand");
    std::vector<int64_t> axes;
    for (int64_t i = rank - n; i < rank; ++i)
        axes.push_back(i);
    // JAX's fft_abstract_eval: the fft axes must be fft_lengths (IRFFT: all but the last);
    // RFFT halves the last one (n // 2 + 1), IRFFT makes them fft_lengths
    const bool inverse_real = kind == "IRFFT";
    // the fft axes must be static (their sizes are the transform's); leading axes may not
    for (int64_t i = rank - n; i < rank; ++i)
        static_dim(ctx, vs[static_cast<size_t>(i)], static_cast<size_t>(i), "an fft axis");
    for (int64_t i = 0; i < n - (inverse_real ? 1 : 0); ++i)
        OVJAX_CHECK(ctx, vs[static_cast<size_t>(rank - n + i)] == lengths[static_cast<size_t>(i)], kind, " of shape ",
                    dims_text(ctx, vs), " with fft_lengths that do not match its minor dimensions");
    Dims out = vs;
    if (kind == "RFFT")
        out.back() = lengths.back() / 2 + 1;
    if (inverse_real)
        out.back() = lengths.back();
    if (!inverse_real)
        out.push_back(2);
    Output<Node> y;
    if (kind == "FFT" || kind == "IFFT") {
        OVJAX_CHECK(ctx, ctx.in_is_complex(0), kind, " needs a complex operand");
    } else if (kind == "RFFT") {
        OVJAX_CHECK(ctx, !ctx.in_is_complex(0), "RFFT needs a real operand");
    } else if (kind == "IRFFT") {
        OVJAX_CHECK(ctx, ctx.in_is_complex(0), "IRFFT needs a complex operand");
    } else {
        ctx.fail("unknown fft_type " + kind);
    }
    if (no_elements(ctx, out) || no_elements(ctx, ctx.in_dims(0)))
        return {zeros(ctx, t, out)};
    if (kind == "FFT" || kind == "IFFT") {
        // axes of lengths the plugin's DFT is inexact for: Bluestein's algorithm, one axis at
        // a time; the others together by the plugin's DFT
        y = x;
        std::vector<int64_t> direct;
        for (int64_t a : axes) {
            const int64_t len = vs[static_cast<size_t>(a)];
            if (bluestein_length(len))
                y = bluestein_dft(y, a, len, static_cast<size_t>(rank - 1 - a), kind == "IFFT");
            else
                direct.push_back(a);
        }
        if (!direct.empty())
            y = kind == "FFT" ? make<ov::op::v7::DFT>(y, const_i64(direct))
                              : make<ov::op::v7::IDFT>(y, const_i64(direct));
    } else if (kind == "RFFT")
        y = make<ov::op::v9::RDFT>(x, const_i64(axes), const_i64(lengths));
    else
        y = make<ov::op::v9::IRDFT>(x, const_i64(axes), const_i64(lengths));
    return {convert(reshape(ctx, y, out), t)};
}

// ---------------------------------------------------------------- result dtypes

bool complex_result(const NodeContext& ctx, size_t k) {
    const auto& p = ctx.primitive();
    if (p == "real" || p == "imag" || p == "abs" || p == "eq" || p == "ne")
        return false;
    if (p == "complex" || p == "conj")
        return true;
    if (p == "convert_element_type" || p == "bitcast_convert_type")
        return is_complex(ctx.dtype_param("new_dtype"));
    if (p == "iota")
        return is_complex(ctx.dtype_param("dtype"));
    if (p == "fft")
        return fft_kind(ctx) != "IRFFT";
    if (p == "dot_general")
        return is_complex(dot_result_dtype(ctx, ctx.in_dtype(0), ctx.in_dtype(1)));
    std::optional<uint64_t> g = called_graph(ctx);  // a call or a scan: its sub-graph's result k
    if (p == "while")                               // the carry: the body's result k
        g = ctx.param("body_jaxpr").as_graph();
    if (p == "cond") {  // branch 0's result k (the branches agree, as the translator checks)
        auto bp = ctx.param("branches");
        g = bp.tag() == format::ValueTag::graph ? bp.as_graph() : bp.item(0).as_graph();
    }
    if (g) {
        const auto& graph = ctx.file().graph(*g);
        OVJAX_CHECK(ctx, k < graph.outvars.size(), "sub-graph ", *g, " has ", graph.outvars.size(), " results");
        const auto& a = graph.outvars[k];
        return is_complex(a.is_literal ? a.dtype : graph.vars[static_cast<size_t>(a.var)].dtype);
    }
    // identities of several operands: result k is operand k
    if (p == "copy" || p == "copy_p" || p == "device_put" || p == "stop_gradient" || p == "optimization_barrier")
        return k < ctx.get_input_size() && ctx.in_is_complex(k);
    return any_complex(ctx);  // arithmetic and structure: complex operands, complex result
}

}  // namespace op
}  // namespace ovjax

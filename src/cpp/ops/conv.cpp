// conv_general_dilated -> OpenVINO v1::Convolution / v1::GroupConvolution.
//
// The operands are transposed to OpenVINO's N C spatial... / O I spatial... layouts
// per the ConvDimensionNumbers, and the result back per out_spec (Transposes are
// skipped when a layout already matches). lhs_dilation (JAX's transposed
// convolution) dilates the input with interior zero padding first; negative padding
// crops the (dilated) input before the convolution, positive padding goes to the
// convolution's own pads. feature_group_count > 1 is a GroupConvolution;
// batch_group_count > 1 is rewritten as a GroupConvolution too, by moving the batch
// groups into the channel axis.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "openvino/op/add.hpp"
#include "openvino/op/convolution.hpp"
#include "openvino/op/group_conv.hpp"
#include "openvino/op/matmul.hpp"
#include "openvino/op/unsqueeze.hpp"
#include "openvino/op/reshape.hpp"
#include "openvino/op/split.hpp"
#include "openvino/op/pad.hpp"
#include "ops/ops.hpp"
#include "ops/builders.hpp"
#include "ops/utils.hpp"

namespace ovjax {
namespace op {

namespace {

// An optional tuple-of-ints parameter; None or absent gives `n` copies of `fill`.
std::vector<int64_t> ints_or(const NodeContext& ctx, const std::string& name, size_t n, int64_t fill) {
    auto v = ctx.opt_param(name);
    if (!v || v->is_none())
        return std::vector<int64_t>(n, fill);
    auto r = v->as_ints();
    OVJAX_CHECK(ctx, r.size() == n, name, " has ", r.size(), " entries for ", n, " spatial dimensions");
    return r;
}

std::vector<int64_t> spec(const NodeContext& ctx, const format::Value& dn, const char* name, size_t rank) {
    std::vector<int64_t> r(rank);
    std::iota(r.begin(), r.end(), 0);
    if (dn.is_none())
        return r;
    auto f = dn.field(name);
    OVJAX_CHECK(ctx, f.has_value(), "dimension_numbers has no field ", name);
    r = f->as_ints();
    OVJAX_CHECK(ctx, r.size() == rank, name, " has ", r.size(), " entries for rank ", rank);
    std::vector<bool> seen(rank, false);
    for (auto a : r) {
        OVJAX_CHECK(ctx, a >= 0 && static_cast<size_t>(a) < rank && !seen[static_cast<size_t>(a)], name,
                    " is not a permutation of the axes");
        seen[static_cast<size_t>(a)] = true;
    }
    return r;
}

std::vector<int64_t> inverse(const std::vector<int64_t>& perm) {
    std::vector<int64_t> r(perm.size());
    for (size_t i = 0; i < perm.size(); ++i)
        r[static_cast<size_t>(perm[i])] = static_cast<int64_t>(i);
    return r;
}

ov::Shape permuted(const ov::Shape& s, const std::vector<int64_t>& perm) {
    ov::Shape r;
    for (auto a : perm)
        r.push_back(s[static_cast<size_t>(a)]);
    return r;
}

// Input dilation (interior zeros) and negative padding (crop) of x [N, C, spatial...], as
// lax.pad on the spatial axes of sizes `sp` (a symbolic one neither dilated nor cropped).
ov::Output<ov::Node> dilate_and_crop(const NodeContext& ctx, const ov::Output<ov::Node>& x, const Dims& sp,
                                     const std::vector<int64_t>& lhs_dil, const std::vector<int64_t>& lo,
                                     const std::vector<int64_t>& hi) {
    const size_t nsp = sp.size(), rank = nsp + 2;
    bool any = false;
    std::vector<int64_t> plo(rank, 0), phi(rank, 0), pin(rank, 0);
    for (size_t i = 0; i < nsp; ++i) {
        plo[2 + i] = std::min<int64_t>(lo[i], 0);
        phi[2 + i] = std::min<int64_t>(hi[i], 0);
        pin[2 + i] = lhs_dil[i] - 1;
        if (plo[2 + i] == 0 && phi[2 + i] == 0 && pin[2 + i] == 0)
            continue;
        any = true;
        OVJAX_CHECK(ctx, !format::is_symbolic_dim(sp[i]), "input dilation or negative padding of the symbolic ",
                    "spatial dimension ", ctx.dim_text(sp[i]), " is not supported yet");
        const int64_t d = sp[i], dilated = d == 0 ? 0 : d + (d - 1) * pin[2 + i];
        OVJAX_CHECK(ctx, dilated + plo[2 + i] + phi[2 + i] >= 0, "negative padding crops more than the input");
    }
    return any ? pad(x, const_scalar(x.get_element_type(), 0), plo, phi, pin) : x;
}

// A convolution with a symbolic group count G (vmap over both operands), which the CPU
// plugin's GroupConvolution cannot take (its weights' shape must be static): the kernel's
// K windows as K strided slices of x, stacked, and one batched MatMul over the groups.
// x [N, G*C, sp...] (padded by pb / pe here), w [G*O, C, k...]; static spatial sizes.
ov::Output<ov::Node> grouped_conv_by_patches(const NodeContext& ctx, ov::Output<ov::Node> x,
                                             const ov::Output<ov::Node>& w, int64_t n_word, int64_t g_word,
                                             const Dims& ws, const std::vector<int64_t>& strides,
                                             const std::vector<int64_t>& rhs_dil, const ov::CoordinateDiff& pb,
                                             const ov::CoordinateDiff& pe) {
    const size_t nsp = ws.size() - 2;
    const auto ps = x.get_partial_shape();
    std::vector<int64_t> lo(nsp + 2, 0), hi(nsp + 2, 0), sp(nsp), out(nsp);
    int64_t P = 1, K = 1;
    for (size_t i = 0; i < nsp; ++i) {
        OVJAX_CHECK(ctx, ps[2 + i].is_static(), "a convolution with the symbolic group count ", ctx.dim_text(g_word),
                    " needs static spatial sizes, got ", ps);
        lo[2 + i] = pb[i];
        hi[2 + i] = pe[i];
        sp[i] = ps[2 + i].get_length() + pb[i] + pe[i];
        out[i] = strided_dim(sp[i], dilated_dim(ws[2 + i], rhs_dil[i]), strides[i]);
        P *= out[i];
        K *= ws[2 + i];
    }
    // (an empty result is zeros before this: translate_conv_general_dilated's symbolic path)
    OVJAX_CHECK(ctx, P > 0 && K > 0 && ws[1] > 0, "an empty convolution reached the grouped path");
    charge_constant(static_cast<uint64_t>(K), 64);  // K slices
    x = pad(x, const_scalar(x.get_element_type(), 0), lo, hi, std::vector<int64_t>(nsp + 2, 0));
    // K windows [N, G*C, 1, out...], in the kernel's row-major order
    ov::OutputVector windows;
    std::vector<int64_t> axes(nsp), step(strides.begin(), strides.end());
    std::iota(axes.begin(), axes.end(), 2);
    for (int64_t k = 0; k < K; ++k) {
        std::vector<int64_t> start(nsp), stop(nsp);
        int64_t rem = k;
        for (size_t i = nsp; i-- > 0;) {
            const int64_t off = rem % ws[2 + i];
            rem /= ws[2 + i];
            start[i] = off * rhs_dil[i];
            stop[i] = start[i] + (out[i] - 1) * strides[i] + 1;
        }
        windows.push_back(make<ov::op::v0::Unsqueeze>(slice(x, start, stop, step, axes), const_i64({2})));
    }
    // [N, G*C, K, out...] -> [N, G, C*K, P] -> [G, N, C*K, P]
    const int64_t ck = ws[1] * K;
    auto patches = make<ov::op::v1::Reshape>(
        concat(windows, 2), concat({ctx.dim_of(n_word), ctx.dim_of(g_word), const_i64({ck, P})}, 0), false);
    patches = transpose(patches, {1, 0, 2, 3});
    // w [G*O, C, k...] -> [G, 1, O, C*K]; [G, 1, O, CK] x [G, N, CK, P] -> [G, N, O, P]
    auto wg = make<ov::op::v1::Reshape>(w, concat({ctx.dim_of(g_word), const_i64({1, -1, ck})}, 0), false);
    auto y = make<ov::op::v0::MatMul>(wg, patches);
    // -> [N, G, O, P] -> [N, G*O, out...]
    y = transpose(y, {1, 0, 2, 3});
    std::vector<int64_t> tail{-1};
    tail.insert(tail.end(), out.begin(), out.end());
    return make<ov::op::v1::Reshape>(y, concat({ctx.dim_of(n_word), const_i64(tail)}, 0), false);
}

}  // namespace

ov::OutputVector translate_conv_general_dilated(const NodeContext& ctx) {
    const Dims xd = ctx.in_dims(0), wd = ctx.in_dims(1);
    const size_t rank = xd.size();
    OVJAX_CHECK(ctx, rank >= 3 && wd.size() == rank, "convolution operands need equal ranks >= 3, got ", rank, " and ",
                wd.size());
    const size_t nsp = rank - 2;

    auto dn = ctx.param("dimension_numbers");
    const auto lhs_spec = spec(ctx, dn, "lhs_spec", rank);
    const auto rhs_spec = spec(ctx, dn, "rhs_spec", rank);
    const auto out_spec = spec(ctx, dn, "out_spec", rank);

    const auto strides = ints_or(ctx, "window_strides", nsp, 1);
    const auto lhs_dil = ints_or(ctx, "lhs_dilation", nsp, 1);
    const auto rhs_dil = ints_or(ctx, "rhs_dilation", nsp, 1);
    std::vector<int64_t> lo(nsp, 0), hi(nsp, 0);
    Dims sym_lo(nsp, 0), sym_hi(nsp, 0);  // with symbolic paddings ('SAME' on a symbolic size)
    bool symbolic_padding = false;
    {
        auto p = ctx.param("padding");
        OVJAX_CHECK(ctx, p.tag() == format::ValueTag::tuple && p.size() == nsp,
                    "padding must be one (lo, hi) pair per spatial dimension, got ", p.describe());
        for (size_t i = 0; i < nsp; ++i) {
            const auto pr = p.item(i);
            OVJAX_CHECK(ctx, pr.tag() == format::ValueTag::tuple && pr.size() == 2,
                        "padding entries are (lo, hi) pairs, got ", pr.describe());
            for (size_t k = 0; k < 2; ++k) {
                const auto v = pr.item(k);
                const int64_t w = v.tag() == format::ValueTag::dim ? format::dim_word(v.as_dim_expr()) : v.as_int();
                if (v.tag() == format::ValueTag::dim)
                    symbolic_padding = true;
                (k == 0 ? sym_lo : sym_hi)[i] = w;
                (k == 0 ? lo : hi)[i] = v.tag() == format::ValueTag::dim ? 0 : w;
            }
        }
    }
    OVJAX_CHECK(ctx, !symbolic_padding || !is_static(xd), "symbolic padding of static operands");
    for (size_t i = 0; i < nsp; ++i) {
        OVJAX_CHECK(ctx, strides[i] >= 1, "window stride must be positive, got ", strides[i]);
        OVJAX_CHECK(ctx, lhs_dil[i] >= 1 && rhs_dil[i] >= 1, "dilations must be positive");
    }
    // feature_group_count may be symbolic: vmap over both operands makes the batch a group.
    auto group_word = [&](const char* name) -> int64_t {
        if (!ctx.has_param(name))
            return 1;
        const auto v = ctx.param(name);
        return v.tag() == format::ValueTag::dim ? format::dim_word(v.as_dim_expr()) : v.as_int();
    };
    const int64_t fg_word = group_word("feature_group_count");
    const int64_t bg = group_word("batch_group_count");
    OVJAX_CHECK(ctx, !format::is_symbolic_dim(bg), "a batch_group_count of the symbolic dimension ", ctx.dim_text(bg),
                " is not supported yet: make that dimension static");
    const bool symbolic_groups = format::is_symbolic_dim(fg_word);
    const int64_t fg = symbolic_groups ? 2 : fg_word;  // only compared with 1 below when symbolic
    OVJAX_CHECK(ctx, fg >= 1 && bg >= 1, "group counts must be positive");
    OVJAX_CHECK(ctx, fg == 1 || bg == 1, "feature_group_count and batch_group_count cannot both exceed 1");

    // JAX's rule: the operands' dtype (they must be equal), or preferred_element_type
    OVJAX_CHECK(ctx, ctx.in_dtype(0) == ctx.in_dtype(1), "convolution operands have dtypes ",
                format::dtype_name(ctx.in_dtype(0)), " and ", format::dtype_name(ctx.in_dtype(1)));
    const ov::element::Type out_t = ctx.type_param("preferred_element_type", ctx.in_type(0));
    OVJAX_CHECK(ctx, out_t.is_real() || out_t.is_integral_number(), "convolution of ", out_t, " is not supported");
    if (!is_static(xd) || !is_static(wd) || symbolic_groups) {
        // Batch, spatial and feature sizes known at run time (Convolution infers them): float
        // convolutions without batch groups. The kernel's spatial sizes are static; a
        // symbolic feature_group_count (vmap of both operands) is a GroupConvolution whose
        // group axis is computed.
        const Dims ws = [&] {
            Dims r;
            for (auto a : rhs_spec)
                r.push_back(wd[static_cast<size_t>(a)]);
            return r;
        }();
        const int64_t c = xd[static_cast<size_t>(lhs_spec[1])];
        OVJAX_CHECK(ctx, bg == 1 && out_t.is_real(), "a convolution over the symbolic dimensions ", ctx.in_pshape(0),
                    " and ", ctx.in_pshape(1), " with batch groups or an integer type is not supported yet");
        for (size_t i = 1; i < ws.size(); ++i)
            OVJAX_CHECK(ctx, !format::is_symbolic_dim(ws[i]), "a kernel with the symbolic dimension ",
                        ctx.dim_text(ws[i]), " (", i == 1 ? "input features" : "spatial", ") is not supported yet");
        OVJAX_CHECK(ctx, symbolic_groups || !format::is_symbolic_dim(c),
                    "a convolution with the symbolic input features ", ctx.dim_text(c),
                    " and a static feature_group_count is not supported yet");
        OVJAX_CHECK(ctx, symbolic_groups || (c % fg == 0 && c / fg == ws[1]), "input features ", c,
                    " != kernel input features ", ws[1], " x feature_group_count ", fg);
        {  // an empty result (a window beyond the padded input, no input features, an empty kernel): zeros
            Dims od(rank);
            od[static_cast<size_t>(out_spec[0])] = xd[static_cast<size_t>(lhs_spec[0])];
            od[static_cast<size_t>(out_spec[1])] = ws[0];
            bool empty = ws[1] == 0;  // no input features: sums over nothing
            for (size_t i = 0; i < nsp; ++i) {
                empty = empty || ws[2 + i] == 0;  // an empty kernel: sums over nothing
                const int64_t d = xd[static_cast<size_t>(lhs_spec[2 + i])];
                int64_t o = d;  // a symbolic spatial size is never empty here: SAME or unpadded
                if (!format::is_symbolic_dim(d) && !symbolic_padding)
                    o = strided_dim(dim_add(dim_add(dilated_dim(d, lhs_dil[i]), lo[i]), hi[i]),
                                    dilated_dim(ws[2 + i], rhs_dil[i]), strides[i]);
                empty = empty || o == 0;
                od[static_cast<size_t>(out_spec[2 + i])] = o;
            }
            if (empty)
                return {zeros(ctx, out_t, od)};
        }
        auto x = transpose(convert(ctx.get_input(0), out_t), lhs_spec);
        auto w = transpose_folded(convert(ctx.get_input(1), out_t), rhs_spec);
        {  // input dilation and negative padding first, on static spatial axes
            Dims sp;
            for (size_t i = 0; i < nsp; ++i)
                sp.push_back(xd[static_cast<size_t>(lhs_spec[2 + i])]);
            x = dilate_and_crop(ctx, x, sp, lhs_dil, lo, hi);
        }
        if (symbolic_padding) {  // padded first (sizes at run time), then a convolution without padding
            Dims b{0, 0}, e{0, 0};
            b.insert(b.end(), sym_lo.begin(), sym_lo.end());
            e.insert(e.end(), sym_hi.begin(), sym_hi.end());
            for (size_t i = 0; i < nsp; ++i)
                OVJAX_CHECK(ctx, sym_lo[i] >= 0 || format::is_symbolic_dim(sym_lo[i]), "negative padding");
            x = make<ov::op::v12::Pad>(x, ctx.shape_of(b), ctx.shape_of(e), const_scalar(out_t, 0),
                                       ov::op::PadMode::CONSTANT);
        }
        ov::CoordinateDiff pb, pe;
        ov::Strides st, dl;
        for (size_t i = 0; i < nsp; ++i) {
            pb.push_back(std::max<int64_t>(lo[i], 0));
            pe.push_back(std::max<int64_t>(hi[i], 0));
            st.push_back(static_cast<size_t>(strides[i]));
            dl.push_back(static_cast<size_t>(rhs_dil[i]));
        }
        ov::Output<ov::Node> y;
        if (fg == 1) {
            y = make<ov::op::v1::Convolution>(x, w, st, pb, pe, dl, ov::op::PadType::EXPLICIT);
        } else if (!symbolic_groups && !format::is_symbolic_dim(ws[0])) {
            Dims g{fg, ws[0] / fg};
            g.insert(g.end(), ws.begin() + 1, ws.end());
            y = make<ov::op::v1::GroupConvolution>(x, reshape(ctx, w, g), st, pb, pe, dl, ov::op::PadType::EXPLICIT);
        } else {
            y = grouped_conv_by_patches(ctx, x, w, xd[static_cast<size_t>(lhs_spec[0])], fg_word, ws, strides, rhs_dil,
                                        pb, pe);
        }
        return {transpose(y, inverse(out_spec))};
    }
    const ov::Shape xs0 = static_shape(ctx, xd), ws0 = static_shape(ctx, wd);
    // JAX's conv_general_dilated shape rule: N C spatial... (lhs dilated and padded, windows
    // of the dilated kernel at the strides), laid out by out_spec
    const ov::Shape os = [&] {
        const ov::Shape x = permuted(xs0, lhs_spec), w = permuted(ws0, rhs_spec);
        OVJAX_CHECK(ctx, x[0] % static_cast<size_t>(bg) == 0, "batch ", x[0], " not divisible by batch_group_count ",
                    bg);
        ov::Shape nc{x[0] / static_cast<size_t>(bg), w[0]};
        for (size_t i = 0; i < nsp; ++i) {
            const int64_t d = dim_add(dim_add(dilated_dim(static_cast<int64_t>(x[2 + i]), lhs_dil[i]), lo[i]), hi[i]);
            OVJAX_CHECK(ctx, d >= 0, "negative padding crops more than the input");
            nc.push_back(static_cast<size_t>(
                strided_dim(d, dilated_dim(static_cast<int64_t>(w[2 + i]), rhs_dil[i]), strides[i])));
        }
        ov::Shape r(rank);
        for (size_t j = 0; j < rank; ++j)
            r[static_cast<size_t>(out_spec[j])] = nc[j];
        return r;
    }();
    if (numel(os) == 0 || numel(ws0) == 0)  // empty result, or sums over nothing
        return {const_fill(out_t, os, 0)};
    // Computed in the result type (preferred_element_type); narrow integer results
    // (int8 x int8 -> int8 wraps like XLA) in i32, wrapped by the final Convert.
    const ov::element::Type t = out_t.is_integral_number() && out_t.bitwidth() < 32 ? ov::element::i32 : out_t;

    // To N C spatial... and O I spatial...
    auto x = transpose(convert(ctx.get_input(0), t), lhs_spec);
    auto w = transpose_folded(convert(ctx.get_input(1), t), rhs_spec);
    ov::Shape xs = permuted(xs0, lhs_spec), ws = permuted(ws0, rhs_spec);
    const int64_t n = static_cast<int64_t>(xs[0]), c = static_cast<int64_t>(xs[1]);
    const int64_t o = static_cast<int64_t>(ws[0]), i_per_group = static_cast<int64_t>(ws[1]);
    OVJAX_CHECK(ctx, c % fg == 0 && c / fg == i_per_group, "input features ", c, " != kernel input features ",
                i_per_group, " x feature_group_count ", fg);
    OVJAX_CHECK(ctx, o % fg == 0 && o % bg == 0, "output features ", o, " not divisible by the group count");
    OVJAX_CHECK(ctx, n % bg == 0, "batch ", n, " not divisible by batch_group_count ", bg);

    x = dilate_and_crop(ctx, x, Dims(xs.begin() + 2, xs.end()), lhs_dil, lo, hi);
    ov::CoordinateDiff pads_begin, pads_end;
    ov::Strides ov_strides, ov_dil;
    for (size_t i = 0; i < nsp; ++i) {
        pads_begin.push_back(std::max<int64_t>(lo[i], 0));
        pads_end.push_back(std::max<int64_t>(hi[i], 0));
        ov_strides.push_back(static_cast<size_t>(strides[i]));
        ov_dil.push_back(static_cast<size_t>(rhs_dil[i]));
    }
    const ov::Shape kernel(ws.begin() + 2, ws.end());

    // Plain convolution: x [n, c, sp], w [o, i, k]. Grouped: x [n', g*i, sp], w [g, o/g, i, k].
    const int64_t g = fg > 1 ? fg : bg;
    if (bg > 1) {
        // Batch group k is batch elements [k*n/bg, (k+1)*n/bg) and output features
        // [k*o/bg, (k+1)*o/bg): move the groups into the channel axis,
        // [bg, n/bg, c, sp] -> [n/bg, bg, c, sp] -> [n/bg, bg*c, sp], and convolve
        // channel group k with output-feature group k (a GroupConvolution).
        ov::Shape sp = x.get_shape();
        sp.erase(sp.begin(), sp.begin() + 2);
        ov::Shape s5 = {static_cast<size_t>(bg), static_cast<size_t>(n / bg), static_cast<size_t>(c)};
        s5.insert(s5.end(), sp.begin(), sp.end());
        std::vector<int64_t> perm(s5.size());
        std::iota(perm.begin(), perm.end(), 0);
        std::swap(perm[0], perm[1]);
        ov::Shape s3 = {static_cast<size_t>(n / bg), static_cast<size_t>(bg * c)};
        s3.insert(s3.end(), sp.begin(), sp.end());
        x = reshape(transpose(reshape(x, s5), perm), s3);
    }
    if (g > 1) {
        ov::Shape gw = {static_cast<size_t>(g), static_cast<size_t>(o / g), static_cast<size_t>(i_per_group)};
        gw.insert(gw.end(), kernel.begin(), kernel.end());
        w = reshape(w, gw);
    }
    auto conv = [&](const ov::Output<ov::Node>& xi, const ov::Output<ov::Node>& wi) -> ov::Output<ov::Node> {
        if (g == 1)
            return make<ov::op::v1::Convolution>(xi, wi, ov_strides, pads_begin, pads_end, ov_dil,
                                                 ov::op::PadType::EXPLICIT);
        return make<ov::op::v1::GroupConvolution>(xi, wi, ov_strides, pads_begin, pads_end, ov_dil,
                                                  ov::op::PadType::EXPLICIT);
    };

    // OpenVINO's CPU plugin runs integer convolutions in f32 arithmetic, exact only
    // while every partial sum stays within 2^24. When the operand dtypes bound the
    // products (8-bit operands), split the i input features of each group into `nch`
    // chunks whose sums (chunk x kernel-size terms) are provably exact, convolve all
    // chunks at once as a GroupConvolution with g*nch groups, and add the chunk
    // results in integer arithmetic. (Adding separate convolutions' outputs does not
    // work: the plugin fuses the Add into the convolution, in f32.)
    int64_t nch = 1;
    if (t.is_integral_number()) {
        const int64_t ci =
            exact_f32_chunk(ctx.in_type(0), ctx.in_type(1), static_cast<double>(numel(kernel)), i_per_group);
        nch = (i_per_group + ci - 1) / ci;
    }
    ov::Output<ov::Node> y;
    if (nch == 1) {
        y = conv(x, w);
    } else {
        const int64_t ci = (i_per_group + nch - 1) / nch, ip = ci * nch;
        const auto zero = const_scalar(t, 0);
        const ov::Shape xg = x.get_shape();
        const ov::Shape sp(xg.begin() + 2, xg.end());
        auto sz = [](int64_t v) { return static_cast<size_t>(v); };
        auto cat = [](ov::Shape a, const ov::Shape& b) {
            a.insert(a.end(), b.begin(), b.end());
            return a;
        };
        // x [n', g*i, sp] -> [n', g, i, sp] -> zero-pad i to nch*ci -> [n', g*nch*ci, sp]
        auto xc = reshape(x, cat({xg[0], sz(g), sz(i_per_group)}, sp));
        std::vector<int64_t> zx(xg.size() + 1, 0), hx(xg.size() + 1, 0);
        hx[2] = ip - i_per_group;
        xc = reshape(pad(xc, zero, zx, hx, zx), cat({xg[0], sz(g * ip)}, sp));
        // w -> [g, o/g, i, k] -> zero-pad i -> [g, o/g, nch, ci, k] -> [g, nch, o/g, ci, k] -> [g*nch, o/g, ci, k]
        auto wc = reshape(w, cat({sz(g), sz(o / g), sz(i_per_group)}, kernel));
        std::vector<int64_t> zw(kernel.size() + 3, 0), hw(kernel.size() + 3, 0);
        hw[2] = ip - i_per_group;
        wc = reshape(pad(wc, zero, zw, hw, zw), cat({sz(g), sz(o / g), sz(nch), sz(ci)}, kernel));
        std::vector<int64_t> wperm(kernel.size() + 4);
        std::iota(wperm.begin(), wperm.end(), 0);
        std::swap(wperm[1], wperm[2]);
        wc = reshape(transpose_folded(wc, wperm), cat({sz(g * nch), sz(o / g), sz(ci)}, kernel));
        auto yc = std::make_shared<ov::op::v1::GroupConvolution>(xc, wc, ov_strides, pads_begin, pads_end, ov_dil,
                                                                 ov::op::PadType::EXPLICIT)
                      ->output(0);
        // [n', g*nch*(o/g), osp] -> [n', g, nch, o/g, osp] -> sum over the chunks -> [n', o, osp]
        const ov::Shape yg = yc.get_shape();
        const ov::Shape osp(yg.begin() + 2, yg.end());
        yc = reshape(yc, cat({yg[0], sz(g), sz(nch), sz(o / g)}, osp));
        auto parts =
            std::make_shared<ov::op::v1::Split>(yc, const_scalar(ov::element::i64, 2), static_cast<size_t>(nch));
        y = parts->output(0);
        for (size_t k = 1; k < static_cast<size_t>(nch); ++k)
            y = std::make_shared<ov::op::v1::Add>(y, parts->output(k));
        y = reshape(y, cat({yg[0], sz(o)}, osp));
    }
    y = convert(y, out_t);
    // N C spatial... -> the result layout: result axis out_spec[j] is y's axis j.
    y = transpose(y, inverse(out_spec));
    OVJAX_CHECK(ctx, y.get_partial_shape().is_static() && y.get_shape() == os, "convolution result shape ",
                y.get_partial_shape(), " differs from JAX's ", os);
    return {y};
}

}  // namespace op
}  // namespace ovjax

// batch_map (utils.hpp): a static lowering run on one slice of a vmapped batch at a time.
//
// Translators whose lowering needs static sizes (windows built from strided slices, a
// matrix decomposition unrolled over its rows, ...) still serve operands whose leading
// axes are a symbolic batch, when the primitive passes those axes through: the operands
// are folded to [N, rest...] (N the product of the leading sizes), a Loop runs N
// iterations over slices [1, rest...], each the static lowering on a slice view of the
// equation (NodeContext(outer, inputs, lead): the leading sizes read as 1), and the
// results, concatenated along the Loop's axis, get their leading axes back. Slower than a
// native dynamic lowering (one iteration per batch element), so translators use it only
// where they have none.
#include "openvino/core/model.hpp"
#include "openvino/op/concat.hpp"
#include "openvino/op/loop.hpp"
#include "openvino/op/parameter.hpp"
#include "openvino/op/reshape.hpp"
#include "openvino/op/squeeze.hpp"
#include "ops/builders.hpp"
#include "ops/utils.hpp"

namespace ovjax {
namespace op {

size_t symbolic_lead(const Dims& dims) {
    size_t lead = 0;
    for (size_t k = 0; k < dims.size(); ++k)
        if (format::is_symbolic_dim(dims[k]))
            lead = k + 1;
    return lead;
}

void require_static_from(const NodeContext& ctx, size_t i, size_t from) {
    const Dims d = ctx.in_dims(i);
    for (size_t k = from; k < d.size(); ++k)
        OVJAX_CHECK(ctx, !format::is_symbolic_dim(d[k]), ctx.primitive(), " does not support the symbolic dimension ",
                    ctx.dim_text(d[k]), " (operand ", i, ", axis ", k, ") yet: make that dimension static");
}

ov::OutputVector batch_map(const NodeContext& ctx, size_t lead,
                           const std::function<ov::OutputVector(const NodeContext&)>& lower) {
    const size_t n = ctx.get_input_size();
    // The leading dims: the same words in every operand but scalars.
    Dims lead_dims;
    std::vector<bool> batched(n, false);
    for (size_t i = 0; i < n; ++i) {
        const Dims d = ctx.in_dims(i);
        if (d.empty())
            continue;  // a scalar (an init value, a literal): shared by every slice
        OVJAX_CHECK(ctx, d.size() >= lead, ctx.primitive(), ": operand ", i, " of rank ", d.size(),
                    " lacks the leading batch axes (", lead, ")");
        const Dims head(d.begin(), d.begin() + static_cast<int64_t>(lead));
        if (lead_dims.empty())
            lead_dims = head;
        OVJAX_CHECK(ctx, head == lead_dims, ctx.primitive(), ": operand ", i, " has the leading dims ",
                    ctx.shapes().partial_shape(head), ", operand 0 ", ctx.shapes().partial_shape(lead_dims));
        require_static_from(ctx, i, lead);
        batched[i] = true;
    }
    OVJAX_CHECK(ctx, lead > 0 && !lead_dims.empty() && !is_static(lead_dims), ctx.primitive(),
                ": batch_map needs symbolic leading axes");

    // Body: one slice of every batched operand, the others shared.
    ov::ParameterVector params;
    std::vector<std::pair<std::shared_ptr<ov::op::v0::Parameter>, ov::Output<ov::Node>>> sliced, invariant;
    ov::OutputVector slice_inputs(n);
    for (size_t i = 0; i < n; ++i) {
        auto x = ctx.get_input(static_cast<int>(i));
        const auto ps = x.get_partial_shape();
        if (!batched[i]) {
            if (ov::is_type<ov::op::v0::Constant>(x.get_node())) {
                slice_inputs[i] = x;  // make_body gives the body its own copy
            } else {
                OVJAX_CHECK(ctx, ps.is_static(), ctx.primitive(), ": shared operand ", i, " of dynamic shape ", ps);
                auto p = std::make_shared<ov::op::v0::Parameter>(x.get_element_type(), ps);
                invariant.emplace_back(p, x);
                params.push_back(p);
                slice_inputs[i] = p;
            }
            continue;
        }
        // [lead..., rest...] -> [N, rest...] (rest includes trailing data dims, all static)
        OVJAX_CHECK(ctx, ps.rank().is_static() && ps.size() >= lead, ctx.primitive(), ": operand ", i, " has shape ",
                    ps);
        std::vector<int64_t> folded{-1};
        ov::Shape one(lead, 1);
        for (size_t k = lead; k < ps.size(); ++k) {
            OVJAX_CHECK(ctx, ps[k].is_static(), ctx.primitive(), ": operand ", i, " axis ", k, " is dynamic (", ps,
                        ")");
            folded.push_back(ps[k].get_length());
            one.push_back(static_cast<size_t>(ps[k].get_length()));
        }
        auto flat = make<ov::op::v1::Reshape>(x, const_i64(folded), false);
        ov::Shape slice_shape(one.begin() + static_cast<int64_t>(lead) - 1, one.end());  // [1, rest...]
        auto p = std::make_shared<ov::op::v0::Parameter>(x.get_element_type(), slice_shape);
        sliced.emplace_back(p, flat);
        params.push_back(p);
        slice_inputs[i] = reshape(p->output(0), one);
    }
    const NodeContext view(ctx, slice_inputs, lead);
    ov::OutputVector outs = lower(view);
    ov::OutputVector body_outs;
    std::vector<std::vector<int64_t>> out_rest;
    for (size_t k = 0; k < outs.size(); ++k) {
        const auto ps = outs[k].get_partial_shape();
        bool kept = ps.is_static() && ps.size() >= lead;
        for (size_t a = 0; kept && a < lead; ++a)
            kept = ps[a].get_length() == 1;
        OVJAX_CHECK(ctx, kept, ctx.primitive(), ": result ", k, " of one slice has shape ", ps,
                    ", not the leading batch axes in front");
        std::vector<int64_t> rest;
        ov::Shape folded{1};
        for (size_t a = lead; a < ps.size(); ++a) {
            rest.push_back(ps[a].get_length());
            folded.push_back(static_cast<size_t>(ps[a].get_length()));
        }
        out_rest.push_back(rest);
        body_outs.push_back(reshape(outs[k], folded));
    }
    body_outs.push_back(ov::op::v0::Constant::create(ov::element::boolean, ov::Shape{}, {true}));
    auto body = make_body(body_outs, params);

    auto trip = make<ov::op::v0::Squeeze>(ctx.shapes().product(lead_dims), const_i64({0}));
    auto loop = std::make_shared<ov::op::v5::Loop>(
        trip, ov::op::v0::Constant::create(ov::element::boolean, ov::Shape{}, {true}));
    loop->set_function(body);
    loop->set_special_body_ports({-1, static_cast<int64_t>(outs.size())});
    for (auto& [p, outer] : sliced)
        loop->set_sliced_input(p, outer, 0, 1, 1, -1, 0);
    for (auto& [p, outer] : invariant)
        loop->set_invariant_input(p, outer);
    const auto& results = body->get_results();
    ov::OutputVector r;
    for (size_t k = 0; k < outs.size(); ++k)
        r.push_back(loop->get_concatenated_slices(results[k], 0, 1, 1, -1, 0));
    loop->validate_and_infer_types();
    if (lead > 1)  // [N, rest...] -> [lead..., rest...] (one leading axis: already so)
        for (size_t k = 0; k < outs.size(); ++k)
            r[k] = make<ov::op::v1::Reshape>(r[k], concat({ctx.shape_of(lead_dims), const_i64(out_rest[k])}, 0), false);
    return r;
}

}  // namespace op
}  // namespace ovjax

// Call-like primitives (jit/pjit, closed_call, core_call, custom_jvp_call,
// custom_vjp_call, remat/checkpoint, composite, custom_vmap_call, linear_call;
// JAX 0.12's eval_jaxpr is written as closed_call): their sub-jaxpr is translated inline.
#include "ops/ops.hpp"
#include "ops/utils.hpp"

namespace ovjax {
namespace op {

std::optional<uint64_t> called_graph(const NodeContext& ctx) {
    for (const char* key : {"jaxpr", "call_jaxpr", "fun_jaxpr", "call", "callee"}) {
        auto g = ctx.opt_param(key);
        if (g && g->tag() == format::ValueTag::graph)
            return g->as_graph();
    }
    return std::nullopt;
}

// The sub-jaxpr takes the equation's operands in order (custom_jvp/vjp calls: their
// num_consts closed-over values first, which are operands too).
ov::OutputVector translate_call(const NodeContext& ctx) {
    auto g = called_graph(ctx);
    OVJAX_CHECK(ctx, g.has_value(),
                "no sub-jaxpr parameter ('jaxpr', 'call_jaxpr', 'fun_jaxpr', 'call' or 'callee') to inline");
    std::vector<bool> complex_inputs(ctx.get_input_size());
    for (size_t i = 0; i < complex_inputs.size(); ++i)
        complex_inputs[i] = ctx.in_is_complex(i);
    return ctx.inline_graph(*g, ctx.inputs(), complex_inputs);
}

}  // namespace op
}  // namespace ovjax

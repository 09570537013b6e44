// Call-like primitives (jit/pjit, closed_call, core_call, custom_jvp_call,
// custom_vjp_call, remat/checkpoint): their sub-jaxpr is translated inline.
#include "ops/ops.hpp"
#include "ops/utils.hpp"

namespace ovjax {
namespace op {

ov::OutputVector translate_call(const NodeContext& ctx) {
    for (const char* key : {"jaxpr", "call_jaxpr", "fun_jaxpr"}) {
        auto g = ctx.opt_param(key);
        if (g && g->tag() == format::ValueTag::graph)
            return ctx.inline_graph(g->as_graph(), ctx.inputs());
    }
    ctx.fail("no sub-jaxpr parameter ('jaxpr' or 'call_jaxpr') to inline");
}

}  // namespace op
}  // namespace ovjax

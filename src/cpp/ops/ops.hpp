// Declarations of every built-in translator, generated from primitives.def.
#pragma once

#include <optional>

#include "frontend/node_context.hpp"

namespace ovjax {
namespace op {
#define OVJAX_OP(prim, fn) ov::OutputVector fn(const NodeContext& ctx);
#define OVJAX_OP_COMPLEX(prim, fn) ov::OutputVector fn(const NodeContext& ctx);
#define OVJAX_UNSUPPORTED(prim, reason)
#define OVJAX_EXPANDED(prim, how)
#include "ops/primitives.def"
#undef OVJAX_OP
#undef OVJAX_OP_COMPLEX
#undef OVJAX_UNSUPPORTED
#undef OVJAX_EXPANDED

// For the OVJAX_OP_COMPLEX primitives: whether result k is complex by JAX's dtype rules
// (complex.cpp).
bool complex_result(const NodeContext& ctx, size_t k);
// The sub-jaxpr a call-like primitive inlines (call.cpp).
std::optional<uint64_t> called_graph(const NodeContext& ctx);
}  // namespace op
}  // namespace ovjax

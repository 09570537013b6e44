// Declarations of every built-in translator, generated from primitives.def.
#pragma once

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

// How many times at most the translator of equation `e` (primitive `prim`) inlines each of
// its sub-graphs (unrolled scans, a while's condition): the session's size bound uses it.
uint64_t max_inlinings(const format::File& file, const format::Eqn& e, std::string_view prim);
}  // namespace op
}  // namespace ovjax

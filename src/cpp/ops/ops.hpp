// Declarations of every built-in translator, generated from primitives.def.
#pragma once

#include <optional>

#include "frontend/node_context.hpp"

namespace ovjax {
namespace op {
#define OVJAX_OP(prim, fn) ov::OutputVector fn(const NodeContext& ctx);
#define OVJAX_OP_COMPLEX(prim, fn) ov::OutputVector fn(const NodeContext& ctx);
#define OVJAX_OP_REAL_COMPLEX(prim, fn, complex_fn) \
    ov::OutputVector fn(const NodeContext& ctx);    \
    ov::OutputVector complex_fn(const NodeContext& ctx);
#define OVJAX_OP_COMPLEX_EXPANDED(prim, fn, how) ov::OutputVector fn(const NodeContext& ctx);
#define OVJAX_UNSUPPORTED(prim, reason)
#define OVJAX_EXPANDED(prim, how)
#include "ops/primitives.def"
#undef OVJAX_OP
#undef OVJAX_OP_COMPLEX
#undef OVJAX_OP_REAL_COMPLEX
#undef OVJAX_OP_COMPLEX_EXPANDED
#undef OVJAX_UNSUPPORTED
#undef OVJAX_EXPANDED

// How many times at most the translator of equation `e` (primitive `prim`) inlines each of
// its sub-graphs (unrolled scans, a while's condition) under `options`: the session's size
// bound uses it.
uint64_t max_inlinings(const format::File& file, const format::Eqn& e, std::string_view prim, const Options& options);

// For the OVJAX_OP_COMPLEX and OVJAX_OP_REAL_COMPLEX primitives: whether result k is complex by JAX's dtype rules
// (complex.cpp).
bool complex_result(const NodeContext& ctx, size_t k);
// The sub-jaxpr a call-like primitive inlines (call.cpp).
std::optional<uint64_t> called_graph(const NodeContext& ctx);
}  // namespace op
}  // namespace ovjax

// The view a translator has of one jaxpr equation.
#pragma once

#include <optional>
#include <string_view>
#include <utility>
#include <vector>
#include <string>

#include "format/format.hpp"
#include "frontend/options.hpp"
#include "frontend/shapes.hpp"
#include "openvino/core/node.hpp"
#include "openvino/frontend/node_context.hpp"

namespace ovjax {

class TranslateSession;

// Thrown by translators (through OVJAX_CHECK); the session adds the equation's name.
class TranslateError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

ov::element::Type to_ov_type(format::DType t);
ov::Shape to_shape(const format::VarInfo& v);
// complex64/complex128: represented as f32/f64 tensors with a trailing axis of 2 (real, imag)
bool is_complex(format::DType t);
ov::bfloat16 bf16_round(float f);
// Charges `elements` x `element_size` bytes of constant data that a translator is about to
// build from shapes (an iota, a fill, an index table) to the running conversion's budget
// (the option max_constant_bytes): throws, before anything is allocated, when the budget
// is spent or the size overflows. The weights a file holds are viewed, not built: never
// charged. Outside a conversion (a pass after it) nothing is charged.
void charge_constant(uint64_t elements, uint64_t element_size);
// A floating-point constant filled with `value`, infinities and NaN included.
std::shared_ptr<ov::Node> float_constant(const ov::element::Type& type, const ov::Shape& shape, double value);

class NodeContext : public ov::frontend::NodeContext {
public:
    NodeContext(TranslateSession& session, const format::File& file, const format::Graph& graph, size_t eqn_index,
                const std::vector<ov::Output<ov::Node>>& env);
    // The same equation seen on one slice of its operands' leading `lead` axes (batch_map in
    // ops/utils.hpp): operand i is `inputs[i]`, and its leading `lead` dims read as 1.
    NodeContext(const NodeContext& outer, const ov::OutputVector& inputs, size_t lead);

    // ov::frontend::NodeContext (what ConversionExtension translators see)
    size_t get_input_size() const override;
    ov::Output<ov::Node> get_input(int idx) const override;
    ov::Any get_attribute_as_any(const std::string& name) const override;
    const std::string& get_op_type() const override { return m_prim; }
    const std::string& get_name() const override;
    size_t get_subgraph_size() const override;

    // ovjax translators
    ov::OutputVector inputs() const;
    const std::string& primitive() const { return m_prim; }
    const format::File& file() const { return m_file; }
    const format::Eqn& eqn() const { return m_graph.eqns[m_eqn]; }

    bool has_param(const std::string& name) const;
    format::Value param(const std::string& name) const;  // throws when absent
    std::optional<format::Value> opt_param(const std::string& name) const;
    int64_t int_param(const std::string& name) const { return param(name).as_int(); }
    bool bool_param(const std::string& name) const { return param(name).as_bool(); }
    std::vector<int64_t> ints_param(const std::string& name) const { return param(name).as_ints(); }
    // dtype param; a missing or None param yields `fallback`
    ov::element::Type type_param(const std::string& name, ov::element::Type fallback) const;
    // dtype param as JAX names it (complex and key included); throws when absent
    format::DType dtype_param(const std::string& name) const { return param(name).as_dtype(); }

    // The equation's results are built from its operands and parameters only, by JAX's
    // shape and dtype rules: the avals the file declares for them are what the session
    // compares each result with (a file is untrusted input), so a translator never reads
    // them.
    size_t num_outputs() const { return eqn().n_out; }
    // The dtype the file declares for result k: only for a choice JAX makes from a global
    // flag no parameter records (jax_enable_x64: int32 or int64), never for a shape.
    format::DType declared_out_dtype(size_t k) const;
    ov::element::Type in_type(size_t i) const;
    // Operand i's static shape; a TranslateError naming the dimension when one is symbolic
    // (a translator that handles symbolic dimensions uses in_dims).
    ov::Shape in_shape(size_t i) const;
    // Operand i's dims (shapes.hpp: >= 0 static, <= -2 symbolic), trailing data dims included.
    Dims in_dims(size_t i) const;
    ov::PartialShape in_pshape(size_t i) const;
    // A shape parameter (reshape's new_sizes, iota's shape, ...) as dims; a negative size is
    // an error naming it.
    Dims dims_param(const std::string& name) const;
    // Sizes as tensors (shapes.hpp): a Constant when static, else the model's shared subgraph.
    ov::Output<ov::Node> shape_of(const Dims& dims) const;
    ov::Output<ov::Node> dim_of(int64_t word) const;
    // The size `word` as an i64 scalar (dim_of without its axis).
    ov::Output<ov::Node> dim_scalar(int64_t word) const;
    // "B*S" / "128"
    std::string dim_text(int64_t word) const { return m_file.dim_text(word); }
    Shapes& shapes() const;
    format::DType in_dtype(size_t i) const;  // the operand's JAX dtype (complex and key included)
    // complex operands are f32 (f64) tensors of the aval's shape + (2,): (real, imag)
    bool in_is_complex(size_t i) const;
    // The trailing dimensions of operand i beyond its aval's shape: 1 for a complex value
    // (real, imag) and for a PRNG key array (its key data: one dimension for every JAX
    // PRNG implementation), 0 otherwise.
    size_t in_data_rank(size_t i) const;

    // Translate a sub-graph (call-like primitives, control flow bodies) inline; `complex_inputs`
    // says which inputs are complex values (none when empty).
    ov::OutputVector inline_graph(uint64_t graph, const ov::OutputVector& inputs,
                                  const std::vector<bool>& complex_inputs = {}) const;
    TranslateSession& session() const { return m_session; }
    // The running conversion's options (the load()'s map, else the environment, else the
    // defaults).
    const Options& options() const;

    [[noreturn]] void fail(const std::string& msg) const;

private:
    const format::Atom& atom(size_t i) const;
    TranslateSession& m_session;
    const format::File& m_file;
    const format::Graph& m_graph;
    size_t m_eqn;
    const std::vector<ov::Output<ov::Node>>& m_env;
    const ov::OutputVector* m_inputs = nullptr;  // a slice view's operands
    size_t m_lead = 0;                           // a slice view's leading axes (size 1 in it)
    std::string m_prim;
    mutable std::string m_name;  // built on first use: the equation's description
    // The equation's parameters by name, indexed on first use (lookups stay logarithmic
    // whatever the file puts in one equation).
    mutable std::vector<std::pair<std::string_view, format::Value>> m_params;
    mutable bool m_params_indexed = false;
};

}  // namespace ovjax

// Fail the current translation with a message naming the equation.
#define OVJAX_CHECK(ctx, cond, ...)                                   \
    do {                                                              \
        if (!(cond)) {                                                \
            std::ostringstream ovjax_check_ss_;                       \
            ::ovjax::detail::write_all(ovjax_check_ss_, __VA_ARGS__); \
            (ctx).fail(ovjax_check_ss_.str());                        \
        }                                                             \
    } while (0)

#include <sstream>
namespace ovjax {
namespace detail {
inline void write_all(std::ostream&) {}
template <typename T, typename... R>
void write_all(std::ostream& s, const T& t, const R&... r) {
    s << t;
    write_all(s, r...);
}
}  // namespace detail
}  // namespace ovjax

// Walks the jaxpr graphs of one File and builds OpenVINO nodes.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string_view>
#include <string>
#include <unordered_map>
#include <vector>

#include "format/format.hpp"
#include "frontend/node_context.hpp"
#include "frontend/options.hpp"
#include "frontend/shapes.hpp"
#include "openvino/core/model.hpp"
#include "openvino/frontend/node_context.hpp"

namespace ovjax {

using BuiltinTranslator = ov::OutputVector (*)(const NodeContext&);
// Whether result k of the equation is complex by JAX's dtype rules (a complex value and a
// float tensor with a trailing axis of 2 are the same OpenVINO tensor: this tells them apart).
using ComplexResultRule = bool (*)(const NodeContext&, size_t);

struct Translator {
    BuiltinTranslator builtin = nullptr;
    ov::frontend::CreatorFunction extension;     // set when a ConversionExtension overrides
    const char* unsupported_reason = nullptr;    // set for primitives listed as unsupported
    bool complex_aware = false;                  // OVJAX_OP_COMPLEX / _REAL_COMPLEX: handles complex operands/results
    ComplexResultRule complex_result = nullptr;  // set with complex_aware
    // OVJAX_OP_REAL_COMPLEX: translates the equations with a complex operand or result
    // (`builtin` the others)
    BuiltinTranslator complex_builtin = nullptr;
};

using TranslatorMap = std::unordered_map<std::string, Translator>;

// The built-in table (generated from ops/primitives.def).
const TranslatorMap& builtin_translators();

// Ends the whole conversion (not one equation): the model is larger than the options allow.
class LimitError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class TranslateSession {
public:
    // `symbols`: the symbolic dimensions' bounds as the user narrowed them (empty: the file's)
    TranslateSession(std::shared_ptr<format::File> file, const TranslatorMap& translators, bool partial,
                     const Options& options, std::vector<format::DimSymbol> symbols = {});

    // Build the model of graph 0 with the given parameters (one per graph input, in order).
    std::shared_ptr<ov::Model> build(const ov::ParameterVector& params, const ov::OutputVector& param_outputs,
                                     const std::vector<size_t>& output_order,
                                     const std::vector<std::string>& output_names);

    // Translate sub-graph `graph` on `inputs`, which must have the types and shapes of its
    // declared inputs; `complex_inputs` says which inputs are complex values (graph 0's
    // inputs are what it declares).
    ov::OutputVector translate_graph(uint64_t graph, const ov::OutputVector& inputs,
                                     const std::vector<bool>* complex_inputs = nullptr);

    // An upper bound of the equations plus variables translation builds: every sub-graph
    // inlined as often as its translator inlines it (saturating at UINT64_MAX). Linear in
    // the file: each graph is counted once. How often a scan body is inlined depends on
    // `options` (scan_unroll, scan_steps).
    static uint64_t expanded_size_bound(const format::File& file, const Options& options);
    const Options& options() const { return m_options; }
    Shapes& shapes() { return m_shapes; }
    ov::Output<ov::Node> literal(const format::Atom& a) const;
    ov::Output<ov::Node> buffer_constant(uint64_t buffer, format::DType dtype, const ov::Shape& shape);

    // Provenance (provenance.hpp): names the nodes reachable from `roots` that no equation
    // has named yet after the equation being translated, and gives them its source. A walk
    // stops at named nodes and Parameters, so each node is named once and every walk of a
    // conversion together visits each node and edge a bounded number of times.
    void mark_new(const ov::OutputVector& roots);

private:
    using Env = std::vector<ov::Output<ov::Node>>;  // a graph's variables' values
    // translate_graph's steps: the graph's inputs checked against what it declares and its
    // constants bound; an equation's operands defined; the translator called and its
    // outputs checked against the equation's avals (the error, or empty); the
    // FrameworkNode standing in for an equation that could not be translated.
    Env bind_inputs(uint64_t gi, const format::Graph& g, const ov::OutputVector& inputs,
                    const std::vector<bool>* complex_inputs);
    bool inputs_defined(const format::Graph& g, size_t ei, const Env& env);
    std::string call_translator(const format::Graph& g, size_t ei, const Translator& t, const Env& env,
                                ov::OutputVector& outs);
    ov::OutputVector placeholder(const format::Graph& g, size_t ei, const std::string& prim, const Env& env);
    std::string dims_str(const format::VarInfo& v) const;  // "[B,128]"
    // "symbolic dimension B (operand 0, axis 0)": the first of the equation's, or empty
    std::string symbolic_operand(const format::Graph& g, size_t ei) const;

    // The equation whose nodes are being named: its path, its source, and how many nodes
    // got that path already (further ones get /1, /2, ...).
    struct Provenance {
        std::string path;
        ov::Any source;
        uint32_t* count = nullptr;
    };
    // the source attribute of the file's string `source` (kNone: none), made once per string
    const ov::Any& source_attribute(uint64_t source);
    void set_provenance(std::string path, const ov::Any& source);

    std::shared_ptr<format::File> m_file;
    const TranslatorMap& m_translators;
    bool m_partial;
    Options m_options;
    Shapes m_shapes;
    uint64_t m_expanded = 0;        // equations and variables translated so far (all inlinings)
    uint64_t m_constant_bytes = 0;  // charged by charge_constant()
    friend void charge_constant(uint64_t, uint64_t);
    std::vector<ov::Output<ov::Node>> m_buffer_cache;
    std::vector<uint64_t> m_active;  // graphs being translated (recursion guard)

    struct Unsupported {
        size_t count = 0;
        std::string first_where;
        std::string reason;
    };
    std::map<std::string, Unsupported> m_unsupported;
    std::vector<std::string> m_failures;
    size_t m_failure_count = 0;

    Provenance m_prov;
    std::unordered_map<std::string, uint32_t> m_name_counts;
    std::unordered_map<uint64_t, ov::Any> m_sources;
    ov::Any m_no_source;            // the (one) empty source attribute, made when first needed
    std::vector<ov::Node*> m_walk;  // mark_new's stack (kept to reuse its memory)
};

}  // namespace ovjax

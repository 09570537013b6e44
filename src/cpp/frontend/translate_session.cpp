#include "frontend/translate_session.hpp"

#include "frontend/provenance.hpp"

#include "ops/ops.hpp"

#include <cstring>
#include <sstream>

#include "openvino/core/except.hpp"
#include "openvino/frontend/exception.hpp"
#include "openvino/op/concat.hpp"
#include "openvino/op/constant.hpp"
#include "openvino/op/convert.hpp"
#include "openvino/op/parameter.hpp"
#include "openvino/op/result.hpp"
#include "openvino/op/util/framework_node.hpp"
#include "openvino/op/util/multi_subgraph_base.hpp"

namespace ovjax {

using format::Atom;
using format::DType;

TranslateSession::TranslateSession(std::shared_ptr<format::File> file, const TranslatorMap& translators, bool partial,
                                   const Options& options, std::vector<format::DimSymbol> symbols)
    : m_file(std::move(file)),
      m_translators(translators),
      m_partial(partial),
      m_options(options),
      m_shapes(*m_file, std::move(symbols)),
      m_buffer_cache(m_file->num_buffers()) {}

ov::Output<ov::Node> TranslateSession::literal(const Atom& a) const {
    auto t = to_ov_type(a.dtype);
    std::shared_ptr<ov::Node> c;
    switch (a.dtype) {
    case DType::f16:
    case DType::bf16:
    case DType::f32:
    case DType::f64:
    case DType::f8e4m3:
    case DType::f8e5m2: {
        double d;
        std::memcpy(&d, &a.bits, 8);
        return float_constant(t, ov::Shape{}, d);
    }
    case DType::c64:
    case DType::c128: {
        // (real, imag) as two f32 in the literal's word (real in the low half)
        float re, im;
        const uint64_t u = static_cast<uint64_t>(a.bits);
        const uint32_t lo = static_cast<uint32_t>(u), hi = static_cast<uint32_t>(u >> 32);
        std::memcpy(&re, &lo, 4);
        std::memcpy(&im, &hi, 4);
        auto r = float_constant(t, ov::Shape{1}, re), i = float_constant(t, ov::Shape{1}, im);
        return std::make_shared<ov::op::v0::Concat>(ov::OutputVector{r, i}, 0);
    }
    case DType::u64:
        c = ov::op::v0::Constant::create(t, ov::Shape{}, std::vector<uint64_t>{static_cast<uint64_t>(a.bits)});
        break;
    default:
        c = ov::op::v0::Constant::create(t, ov::Shape{}, std::vector<int64_t>{a.bits});
        break;
    }
    return c;
}

ov::Output<ov::Node> TranslateSession::buffer_constant(uint64_t buffer, DType dtype, const ov::Shape& shape) {
    auto& cached = m_buffer_cache.at(buffer);
    if (cached.get_node() && cached.get_element_type() == to_ov_type(dtype) && cached.get_shape() == shape)
        return cached;
    const auto& b = m_file->buffer(buffer);
    // The constant shares the file's (or the host's) memory: no copy of the weights.
    auto c = std::make_shared<ov::op::v0::Constant>(to_ov_type(dtype), shape, b.data, m_file->buffer_owner(buffer));
    cached = c;
    return cached;
}

namespace {
std::string shape_str(const ov::PartialShape& s) {
    std::ostringstream o;
    o << s;
    return o.str();
}
// An OpenVINO error that says an operation needed a static shape.
bool needs_static(const std::string& what) {
    return what.find("is_static") != std::string::npos || what.find("static shape") != std::string::npos ||
           what.find("dynamic") != std::string::npos;
}
// Whether an operand or a result of equation `ei` is complex.
bool has_complex(const format::File& f, const format::Graph& g, size_t ei) {
    const format::Eqn& e = g.eqns[ei];
    for (uint32_t k = 0; k < e.n_in; ++k) {
        const Atom& a = f.input(g, ei, k);
        if (is_complex(a.is_literal ? a.dtype : g.vars[static_cast<size_t>(a.var)].dtype))
            return true;
    }
    for (uint32_t k = 0; k < e.n_out; ++k)
        if (e.out[k] != format::kNone && is_complex(g.vars[static_cast<size_t>(e.out[k])].dtype))
            return true;
    return false;
}
}  // namespace

std::string TranslateSession::dims_str(const format::VarInfo& v) const {
    std::string r = "[";
    for (uint32_t k = 0; k < v.rank; ++k)
        r += (k ? "," : "") + m_file->dim_text(v.dims[k]);
    return r + "]";
}

std::string TranslateSession::symbolic_operand(const format::Graph& g, size_t ei) const {
    if (!m_file->symbolic())
        return {};
    const format::Eqn& e = g.eqns[ei];
    for (uint32_t k = 0; k < e.n_in; ++k) {
        const Atom& a = m_file->input(g, ei, k);
        if (a.is_literal)
            continue;
        const auto& v = g.vars[static_cast<size_t>(a.var)];
        for (uint32_t d = 0; d < v.rank; ++d)
            if (format::is_symbolic_dim(v.dims[d]))
                return "symbolic dimension " + m_file->dim_text(v.dims[d]) + " (operand " + std::to_string(k) +
                       ", axis " + std::to_string(d) + ")";
    }
    return {};
}

ov::OutputVector TranslateSession::translate_graph(uint64_t gi, const ov::OutputVector& inputs,
                                                   const std::vector<bool>* complex_inputs) {
    const format::File& f = *m_file;
    if (gi >= f.num_graphs())
        throw TranslateError("sub-graph index " + std::to_string(gi) + " out of range");
    for (auto a : m_active)
        if (a == gi)
            throw TranslateError("sub-graph " + std::to_string(gi) + " calls itself (recursive graphs are invalid)");
    m_active.push_back(gi);
    struct PopActive {
        std::vector<uint64_t>& active;
        ~PopActive() { active.pop_back(); }
    } pop_active{m_active};
    const format::Graph& g = f.graph(gi);
    // Nodes are named by the path of equations that built them: the caller's equation
    // (when a translator inlines this graph), then this graph's.
    struct RestoreProvenance {
        Provenance& prov;
        Provenance saved;
        ~RestoreProvenance() { prov = std::move(saved); }
    } restore_prov{m_prov, m_prov};
    const std::string prefix = m_prov.path.empty() ? std::string() : m_prov.path + "/";
    // Loop bodies can be inlined more often than the file says (unrolled scans): the count
    // made when the file was opened is checked again as the model is built.
    m_expanded += g.vars.size() + g.eqns.size();
    if (m_expanded > m_options.max_expanded_size)
        throw LimitError("ovjax: the model grows past " + std::to_string(m_options.max_expanded_size) +
                         " equations and variables as calls are inlined and loops unrolled (at sub-graph " +
                         std::to_string(gi) +
                         "); if it is meant to be this large, raise the conversion option "
                         "'max_expanded_size'");

    Env env = bind_inputs(gi, g, inputs, complex_inputs);
    for (size_t ei = 0; ei < g.eqns.size(); ++ei) {
        const format::Eqn& e = g.eqns[ei];
        std::string prim(f.string(e.primitive));
        // an equation without a source line of its own (inside a library function's
        // sub-graph) has its caller's
        if (m_options.provenance)
            set_provenance(prefix + prim + "_" + std::to_string(ei),
                           e.source == format::kNone ? restore_prov.saved.source
                                                     : source_attribute(static_cast<uint64_t>(e.source)));
        const bool inputs_ok = inputs_defined(g, ei, env);
        ov::OutputVector outs;
        std::string error;
        bool unsupported = false;
        auto it = m_translators.find(prim);
        if (!inputs_ok) {
            error = "undefined input";
        } else if (it == m_translators.end() || (!it->second.builtin && !it->second.extension)) {
            unsupported = true;
            auto& u = m_unsupported[prim];
            if (u.count++ == 0) {
                u.first_where = f.eqn_name(g, ei);
                if (it != m_translators.end() && it->second.unsupported_reason)
                    u.reason = it->second.unsupported_reason;
            }
        } else if ((it->second.extension || !it->second.complex_aware) && has_complex(f, g, ei)) {
            // complex values are float pairs in the graph: a translator that does not know
            // that (any extension, too) must never see them
            error = prim + ": complex operands are not supported for this primitive";
        } else {
            error = call_translator(g, ei, it->second, env, outs);
        }
        if (!error.empty() && inputs_ok) {
            ++m_failure_count;
            if (m_failures.size() < 20)
                m_failures.push_back(f.eqn_name(g, ei) + ": " + error);
        }
        if (unsupported || !error.empty())
            outs = placeholder(g, ei, prim, env);
        mark_new(outs);
        for (uint32_t k = 0; k < e.n_out; ++k)
            if (e.out[k] != format::kNone)
                env[static_cast<size_t>(e.out[k])] = outs[k];
    }

    ov::OutputVector results;
    results.reserve(g.outvars.size());
    for (const Atom& a : g.outvars) {
        if (a.is_literal) {
            results.push_back(literal(a));
        } else {
            auto& o = env[static_cast<size_t>(a.var)];
            if (!o.get_node())
                throw TranslateError("graph " + std::to_string(gi) + " output uses variable " + std::to_string(a.var) +
                                     " that is never defined");
            results.push_back(o);
        }
    }
    return results;
}

TranslateSession::Env TranslateSession::bind_inputs(uint64_t gi, const format::Graph& g, const ov::OutputVector& inputs,
                                                    const std::vector<bool>* complex_inputs) {
    if (inputs.size() != g.invars.size())
        throw TranslateError("sub-graph " + std::to_string(gi) + " takes " + std::to_string(g.invars.size()) +
                             " inputs but " + std::to_string(inputs.size()) + " were given");
    Env env(g.vars.size());
    for (size_t i = 0; i < g.invars.size(); ++i) {
        // Translators read their operands' avals: a sub-graph's declared inputs must be
        // what the caller passes (never silently another shape or type).
        const auto& v = g.vars[static_cast<size_t>(g.invars[i])];
        const auto want_t = to_ov_type(v.dtype);
        if (inputs[i].get_element_type() != want_t || !m_shapes.matches(inputs[i].get_partial_shape(), v.dims, v.rank))
            throw TranslateError("sub-graph " + std::to_string(gi) + " input " + std::to_string(i) + " is " +
                                 inputs[i].get_element_type().get_type_name() +
                                 shape_str(inputs[i].get_partial_shape()) + " but the sub-graph declares " +
                                 want_t.get_type_name() + dims_str(v));
        if (complex_inputs && complex_inputs->at(i) != is_complex(v.dtype))
            throw TranslateError("sub-graph " + std::to_string(gi) + " input " + std::to_string(i) + " is " +
                                 (complex_inputs->at(i) ? "complex" : "real") + " but the sub-graph declares " +
                                 format::dtype_name(v.dtype));
        env[static_cast<size_t>(g.invars[i])] = inputs[i];
    }
    for (auto& cv : g.constvars) {
        const auto& v = g.vars[static_cast<size_t>(cv.first)];
        env[static_cast<size_t>(cv.first)] = buffer_constant(cv.second, v.dtype, to_shape(v));
    }
    m_shapes.note_inputs(inputs, g);
    return env;
}

bool TranslateSession::inputs_defined(const format::Graph& g, size_t ei, const Env& env) {
    // Every input must be defined before use.
    const format::Eqn& e = g.eqns[ei];
    for (uint32_t k = 0; k < e.n_in; ++k) {
        const Atom& a = m_file->input(g, ei, k);
        if (!a.is_literal && !env[static_cast<size_t>(a.var)].get_node()) {
            m_failures.push_back(m_file->eqn_name(g, ei) + ": input " + std::to_string(k) + " uses variable " +
                                 std::to_string(a.var) + " before it is defined");
            ++m_failure_count;
            return false;
        }
    }
    return true;
}

std::string TranslateSession::call_translator(const format::Graph& g, size_t ei, const Translator& t, const Env& env,
                                              ov::OutputVector& outs) {
    const format::File& f = *m_file;
    const format::Eqn& e = g.eqns[ei];
    try {
        NodeContext ctx(*this, f, g, ei, env);
        if (t.extension)
            outs = t.extension(ctx);
        else if (t.complex_builtin && has_complex(f, g, ei))
            outs = t.complex_builtin(ctx);
        else
            outs = t.builtin(ctx);
        // Never silently wrong: outputs must match the equation's avals.
        if (outs.size() != e.n_out)
            return "translator produced " + std::to_string(outs.size()) + " outputs, the equation has " +
                   std::to_string(e.n_out);
        for (uint32_t k = 0; k < e.n_out; ++k) {
            if (e.out[k] == format::kNone)
                continue;
            const auto& v = g.vars[static_cast<size_t>(e.out[k])];
            auto want_t = to_ov_type(v.dtype);
            if (outs[k].get_element_type() != want_t)
                return "output " + std::to_string(k) + " has element type " +
                       outs[k].get_element_type().get_type_name() + " but JAX says " + want_t.get_type_name();
            if (!m_shapes.matches(outs[k].get_partial_shape(), v.dims, v.rank))
                return "output " + std::to_string(k) + " has shape " + shape_str(outs[k].get_partial_shape()) +
                       " but JAX says " + dims_str(v);
            if (t.complex_result && !t.extension && t.complex_result(ctx, k) != is_complex(v.dtype))
                return "output " + std::to_string(k) + " is " + (is_complex(v.dtype) ? "real" : "complex") +
                       " but JAX says " + format::dtype_name(v.dtype);
        }
        return {};
    } catch (const LimitError&) {
        throw;
    } catch (const std::exception& ex) {
        // A translator that meets a symbolic dimension it cannot handle fails somewhere in
        // OpenVINO (a static shape asked of a dynamic one): say which dimension.
        const std::string what = ex.what();
        if (what.find("symbolic dimension") == std::string::npos && needs_static(what))
            if (const std::string sym = symbolic_operand(g, ei); !sym.empty())
                return std::string(f.string(e.primitive)) + " does not support the " + sym +
                       " here (OpenVINO: " + what.substr(0, 300) + ")";
        return ex.what();
    }
}

ov::OutputVector TranslateSession::placeholder(const format::Graph& g, size_t ei, const std::string& prim,
                                               const Env& env) {
    // A FrameworkNode with the avals' types, so conversion can go on and report everything.
    const format::File& f = *m_file;
    const format::Eqn& e = g.eqns[ei];
    ov::OutputVector ins;
    for (uint32_t k = 0; k < e.n_in; ++k) {
        const Atom& a = f.input(g, ei, k);
        if (a.is_literal)
            ins.push_back(literal(a));
        else if (env[static_cast<size_t>(a.var)].get_node())
            ins.push_back(env[static_cast<size_t>(a.var)]);
    }
    auto fw = std::make_shared<ov::op::util::FrameworkNode>(ins, e.n_out);
    ov::op::util::FrameworkNodeAttrs attrs;
    attrs.set_type_name(prim);
    attrs["ovjax_equation"] = f.eqn_name(g, ei);
    fw->set_attrs(attrs);
    for (uint32_t k = 0; k < e.n_out; ++k) {
        if (e.out[k] == format::kNone) {
            fw->set_output_type(k, ov::element::dynamic, ov::PartialShape::dynamic());
            continue;
        }
        const auto& v = g.vars[static_cast<size_t>(e.out[k])];
        ov::element::Type t = ov::element::dynamic;
        try {
            t = to_ov_type(v.dtype);
        } catch (...) {
        }
        fw->set_output_type(k, t, m_shapes.partial_shape(v.dims, v.rank));
    }
    return fw->outputs();
}

const ov::Any& TranslateSession::source_attribute(uint64_t source) {
    auto [it, added] = m_sources.try_emplace(source);
    if (added) {
        // a file's string may be long: a source location is a line of text
        constexpr size_t kMaxSource = 1000;
        it->second = SourceAttribute(std::string(m_file->string(source).substr(0, kMaxSource)));
    }
    return it->second;
}

void TranslateSession::set_provenance(std::string path, const ov::Any& source) {
    m_prov.count = &m_name_counts[path];  // references into an unordered_map stay valid
    if (source.empty() && m_no_source.empty())
        m_no_source = SourceAttribute();
    m_prov.source = source.empty() ? m_no_source : source;
    m_prov.path = std::move(path);
}

void TranslateSession::mark_new(const ov::OutputVector& roots) {
    if (!m_prov.count)
        return;
    // Depth first from the roots (the first root gets the bare path); a node with
    // provenance is where an earlier equation's nodes begin.
    auto& stack = m_walk;
    stack.clear();
    for (auto it = roots.rbegin(); it != roots.rend(); ++it)
        stack.push_back(it->get_node());
    while (!stack.empty()) {
        ov::Node* n = stack.back();
        stack.pop_back();
        if (!n || has_provenance(*n) || ov::is_type<ov::op::v0::Parameter>(n))
            continue;
        if (!ov::is_type<ov::op::v0::Result>(n)) {
            const uint32_t k = (*m_prov.count)++;
            n->set_friendly_name(k == 0 ? m_prov.path : m_prov.path + "/" + std::to_string(k));
            n->get_rt_info()[kSourceKey] = m_prov.source;
        }
        // a Loop's or If's bodies hold nodes of this equation too (what it built around
        // the bodies' own equations, which are named already)
        if (auto sg = ov::as_type<ov::op::util::MultiSubGraphOp>(n))
            for (size_t b = 0; b < sg->get_internal_subgraphs_size(); ++b)
                if (auto body = sg->get_function(static_cast<int>(b)))
                    for (const auto& r : body->get_results())
                        stack.push_back(r.get());
        for (size_t i = n->get_input_size(); i-- > 0;)
            stack.push_back(n->get_input_node_ptr(i));
    }
}

namespace {
// The conversion running on this thread (translators reach its budget through
// charge_constant without a context; concurrent conversions on other threads have theirs).
thread_local TranslateSession* t_active = nullptr;
}  // namespace

void charge_constant(uint64_t elements, uint64_t element_size) {
    TranslateSession* s = t_active;
    if (!s)
        return;
    uint64_t bytes;
    if (__builtin_mul_overflow(elements, element_size, &bytes) ||
        bytes > s->m_options.max_constant_bytes - std::min(s->m_options.max_constant_bytes, s->m_constant_bytes))
        throw LimitError("ovjax: conversion would build more than " + std::to_string(s->m_options.max_constant_bytes) +
                         " bytes of constants from shapes (" + std::to_string(elements) + " elements more, after " +
                         std::to_string(s->m_constant_bytes) +
                         " bytes); if the model is meant to hold them, raise "
                         "the conversion option 'max_constant_bytes'");
    s->m_constant_bytes += bytes;
}

namespace {
uint64_t add_sat(uint64_t a, uint64_t b) { return b > UINT64_MAX - a ? UINT64_MAX : a + b; }
uint64_t mul_sat(uint64_t a, uint64_t b) {
    uint64_t r;
    return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}
// The sub-graphs a parameter value refers to (cond's branches are a tuple of graphs).
void graph_refs(const format::Value& v, std::vector<uint64_t>& out) {
    if (v.tag() == format::ValueTag::graph)
        out.push_back(v.as_graph());
    else if (v.tag() == format::ValueTag::tuple)
        for (size_t i = 0; i < v.size(); ++i)
            graph_refs(v.item(i), out);  // values nest at most 64 deep (the reader checks)
}
uint64_t graph_size(const format::File& f, const Options& options, uint64_t gi, std::vector<uint64_t>& memo) {
    if (memo[gi] != UINT64_MAX - 1)
        return memo[gi];
    const format::Graph& g = f.graph(gi);
    uint64_t size = g.vars.size() + g.eqns.size();
    std::vector<uint64_t> refs;
    for (const auto& e : g.eqns) {
        refs.clear();
        const int64_t* p = e.params;
        for (uint32_t k = 0; k < e.n_params; ++k) {
            format::Value v(&f, p + 1);
            graph_refs(v, refs);
            p = v.end();
        }
        if (refs.empty())
            continue;
        const uint64_t times = op::max_inlinings(f, e, f.string(e.primitive), options);
        for (uint64_t r : refs)  // the reader checked: acyclic, at most 256 deep
            size = add_sat(size, mul_sat(times, graph_size(f, options, r, memo)));
    }
    return memo[gi] = size;
}
}  // namespace

uint64_t TranslateSession::expanded_size_bound(const format::File& file, const Options& options) {
    std::vector<uint64_t> memo(file.num_graphs(), UINT64_MAX - 1);
    return graph_size(file, options, 0, memo);
}

std::shared_ptr<ov::Model> TranslateSession::build(const ov::ParameterVector& params,
                                                   const ov::OutputVector& param_outputs,
                                                   const std::vector<size_t>& output_order,
                                                   const std::vector<std::string>& output_names) {
    struct Activate {
        TranslateSession* previous;
        explicit Activate(TranslateSession* s) : previous(t_active) { t_active = s; }
        ~Activate() { t_active = previous; }
    } activate(this);
    // An input converted to the type the model was traced with: named after the input.
    for (const auto& o : param_outputs)
        if (m_options.provenance && o.get_node() && !ov::is_type<ov::op::v0::Parameter>(o.get_node())) {
            set_provenance(o.get_node()->input_value(0).get_node()->get_friendly_name() + "/convert", ov::Any());
            mark_new({o});
        }
    m_prov = {};
    m_shapes.set_model_inputs(param_outputs);
    ov::OutputVector outs = translate_graph(0, param_outputs);

    if (!m_unsupported.empty() || m_failure_count) {
        // One report of everything, a few thousand characters at most whatever the file
        // holds: lines are clipped and the lists cut short with a count of the rest.
        constexpr size_t kLine = 300, kReport = 4000;
        auto clip = [](std::string line) {
            if (line.size() > kLine)
                line = line.substr(0, kLine) + "...";
            return line;
        };
        std::string msg;
        if (!m_unsupported.empty()) {
            size_t total = 0;
            for (auto& u : m_unsupported)
                total += u.second.count;
            msg += "ovjax: the model uses " + std::to_string(m_unsupported.size()) + " unsupported JAX primitive" +
                   (m_unsupported.size() == 1 ? "" : "s") + " (" + std::to_string(total) + " equation" +
                   (total == 1 ? "" : "s") + "):";
            size_t shown = 0;
            for (auto& u : m_unsupported) {
                if (msg.size() > kReport / 2)
                    break;
                std::string line =
                    u.first + " x" + std::to_string(u.second.count) + " (first: " + u.second.first_where + ")";
                if (!u.second.reason.empty())
                    line += ": " + u.second.reason;
                msg += "\n  " + clip(line);
                ++shown;
            }
            if (shown < m_unsupported.size())
                msg += "\n  ... and " + std::to_string(m_unsupported.size() - shown) + " more primitives";
        }
        if (m_failure_count) {
            if (!m_unsupported.empty())
                msg += "\n";
            msg += "ovjax: " + std::to_string(m_failure_count) + " equation" + (m_failure_count == 1 ? "" : "s") +
                   " failed to convert:";
            size_t shown = 0;
            for (auto& line : m_failures) {
                if (msg.size() > kReport)
                    break;
                msg += "\n  " + clip(line);
                ++shown;
            }
            if (m_failure_count > shown)
                msg += "\n  ... and " + std::to_string(m_failure_count - shown) + " more";
        }
        if (!m_partial)
            OPENVINO_THROW(msg);
    }

    ov::ResultVector results;
    for (size_t k = 0; k < output_order.size(); ++k) {
        size_t i = output_order[k];
        ov::Output<ov::Node> o = outs.at(i);
        // A tensor that is already named (an input, or an earlier output) gets its own node.
        if (!o.get_names().empty() || ov::as_type_ptr<ov::op::v0::Parameter>(o.get_node_shared_ptr()) ||
            ov::as_type_ptr<ov::op::v0::Constant>(o.get_node_shared_ptr())) {
            auto c = std::make_shared<ov::op::v0::Convert>(o, o.get_element_type());
            o = c->output(0);
        }
        const std::string& name = output_names.at(k);
        // what no equation built (a copy, a literal): named after the output, with the
        // source of what it copies
        if (m_options.provenance) {
            const auto& rt = o.get_node()->get_input_size() ? o.get_node()->get_input_node_ptr(0)->get_rt_info()
                                                            : o.get_node()->get_rt_info();
            auto it = rt.find(kSourceKey);
            set_provenance(name + "/copy", it == rt.end() ? ov::Any() : it->second);
        }
        mark_new({o});
        o.get_tensor().set_names({name});
        auto r = std::make_shared<ov::op::v0::Result>(o);
        r->set_friendly_name(name);
        results.push_back(r);
    }
    auto model = std::make_shared<ov::Model>(results, params, "ovjax");
    return model;
}

}  // namespace ovjax

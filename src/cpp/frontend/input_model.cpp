#include "frontend/input_model.hpp"

#include <algorithm>
#include <sstream>

#include "frontend/node_context.hpp"
#include "frontend/shapes.hpp"
#include "openvino/core/except.hpp"

namespace ovjax {

bool TensorPlace::is_equal(const Ptr& another) const {
    auto o = std::dynamic_pointer_cast<TensorPlace>(another);
    return o && o->m_model == m_model && o->m_is_input == m_is_input && o->m_index == m_index;
}

bool TensorPlace::is_equal_data(const Ptr& another) const { return is_equal(another); }

InputModel::InputModel(std::shared_ptr<format::File> file, Options options)
    : m_file(std::move(file)), m_options(options), m_symbols(m_file->symbols()) {
    const auto& g = m_file->graph(0);
    const auto& in_names = m_file->input_names();
    const auto& out_names = m_file->output_names();
    for (size_t i = 0; i < g.invars.size(); ++i) {
        std::string name = i < in_names.size() ? in_names[i] : "input_" + std::to_string(i);
        m_inputs.push_back(std::make_shared<TensorPlace>(this, true, i, name));
        m_input_order.push_back(i);
        m_input_types.push_back(ov::element::dynamic);
    }
    for (size_t i = 0; i < g.outvars.size(); ++i) {
        std::string name = i < out_names.size() ? out_names[i] : "output_" + std::to_string(i);
        m_outputs.push_back(std::make_shared<TensorPlace>(this, false, i, name));
        m_output_order.push_back(i);
    }
}

std::vector<ov::frontend::Place::Ptr> InputModel::get_inputs() const {
    std::vector<ov::frontend::Place::Ptr> r;
    for (size_t i : m_input_order)
        r.push_back(m_inputs[i]);
    return r;
}

std::vector<ov::frontend::Place::Ptr> InputModel::get_outputs() const {
    std::vector<ov::frontend::Place::Ptr> r;
    for (size_t i : m_output_order)
        r.push_back(m_outputs[i]);
    return r;
}

ov::frontend::Place::Ptr InputModel::get_place_by_tensor_name(const std::string& name) const {
    for (auto& p : m_inputs)
        if (p->name() == name)
            return p;
    for (auto& p : m_outputs)
        if (p->name() == name)
            return p;
    return nullptr;
}

ov::frontend::Place::Ptr InputModel::get_place_by_operation_name(const std::string& name) const {
    // The only named operations of a converted jaxpr are its Parameters and Results.
    return get_place_by_tensor_name(name);
}

ov::frontend::Place::Ptr InputModel::get_place_by_input_index(size_t idx) const {
    if (idx >= m_input_order.size())
        return nullptr;
    return m_inputs[m_input_order[idx]];
}

std::shared_ptr<TensorPlace> InputModel::as_tensor(const ov::frontend::Place::Ptr& p, const char* what) const {
    auto t = std::dynamic_pointer_cast<TensorPlace>(p);
    OPENVINO_ASSERT(t && t->model() == this, "ovjax: ", what, ": the place does not belong to this model");
    return t;
}

void InputModel::set_partial_shape(const ov::frontend::Place::Ptr& place, const ov::PartialShape& shape) {
    auto t = as_tensor(place, "set_partial_shape");
    OPENVINO_ASSERT(t->is_input(), "ovjax: set_partial_shape: '", t->name(), "' is not an input");
    const auto& g = m_file->graph(0);
    const auto& var = g.vars[static_cast<size_t>(g.invars[t->index()])];
    if (m_file->symbolic() && std::any_of(var.dims, var.dims + var.rank, format::is_symbolic_dim)) {
        narrow(*t, var, shape);
        return;
    }
    ov::Shape traced = to_shape(var);
    if (shape.compatible(ov::PartialShape(traced)) && shape.is_static())
        return;  // the shape the jaxpr was traced with
    std::ostringstream s;
    s << "ovjax: input '" << t->name() << "' was traced with shape " << ov::PartialShape(traced) << "; cannot set "
      << shape << ". A jaxpr has static shapes: retrace the function with an example input of the new shape "
      << "(ovjax.convert_model(fn, example_input=..., input=...) does this for callables and Flax modules)";
    OPENVINO_THROW(s.str());
}

// A symbolic jaxpr's input: static dims must stay what they are; a dimension that is a
// symbol takes the given bounds (a number fixes it), intersected with what it has (so an
// input fixing a symbol another input fixed otherwise is an error); other expressions
// (2*S) take none but the dynamic dimension.
void InputModel::narrow(const TensorPlace& t, const format::VarInfo& var, const ov::PartialShape& shape) {
    const Shapes declared(*m_file, m_symbols);
    auto fail = [&](size_t k, const std::string& why) {
        std::ostringstream s;
        s << "ovjax: input '" << t.name() << "' has shape " << declared.partial_shape(var.dims, var.rank) << " (axis "
          << k << ": " << m_file->dim_text(var.dims[k]) << "); cannot set " << shape << ": " << why;
        OPENVINO_THROW(s.str());
    };
    OPENVINO_ASSERT(shape.rank().is_static() && static_cast<uint32_t>(shape.rank().get_length()) == var.rank,
                    "ovjax: input '", t.name(), "' has rank ", var.rank, "; cannot set ", shape);
    auto narrowed = m_symbols;
    for (size_t k = 0; k < var.rank; ++k) {
        const auto& d = shape[k];
        const int64_t w = var.dims[k];
        if (!format::is_symbolic_dim(w)) {
            if (!d.compatible(ov::Dimension(w)))
                fail(k, "that dimension is static");
            continue;
        }
        const auto& e = m_file->dim_exprs()[format::dim_expr_index(w)];
        if (d.is_dynamic() && d.get_min_length() <= 0 && d.get_max_length() < 0)
            continue;  // "?": nothing to narrow
        if (e.op != format::DimOp::symbol)
            fail(k, "only a dimension that is a symbol itself takes bounds or a value (set them where it is)");
        auto& sym = narrowed[static_cast<size_t>(e.a)];
        const int64_t lo = std::max<int64_t>(sym.lower, d.get_min_length());
        const int64_t old_hi = sym.upper < 0 ? format::kMaxDimValue : sym.upper;
        const int64_t hi = d.get_max_length() < 0 ? old_hi : std::min<int64_t>(old_hi, d.get_max_length());
        if (lo > hi)
            fail(k, "symbol '" + std::string(sym.name) + "' is bounded to [" + std::to_string(sym.lower) + ", " +
                        (sym.upper < 0 ? std::string("inf") : std::to_string(sym.upper)) + "]");
        sym.lower = lo;
        sym.upper = sym.upper < 0 && d.get_max_length() < 0 ? -1 : hi;
    }
    m_symbols = std::move(narrowed);
}

ov::PartialShape InputModel::get_partial_shape(const ov::frontend::Place::Ptr& place) const {
    auto t = as_tensor(place, "get_partial_shape");
    const auto& g = m_file->graph(0);
    const Shapes shapes(*m_file, m_symbols);
    auto of = [&](int64_t var) {
        const auto& v = g.vars[static_cast<size_t>(var)];
        return shapes.partial_shape(v.dims, v.rank);
    };
    if (t->is_input())
        return of(g.invars[t->index()]);
    const auto& a = g.outvars[t->index()];
    return a.is_literal ? ov::PartialShape(ov::Shape{}) : of(a.var);
}

void InputModel::set_element_type(const ov::frontend::Place::Ptr& place, const ov::element::Type& type) {
    auto t = as_tensor(place, "set_element_type");
    OPENVINO_ASSERT(t->is_input(), "ovjax: set_element_type: '", t->name(), "' is not an input");
    m_input_types[t->index()] = type;
}

ov::element::Type InputModel::get_element_type(const ov::frontend::Place::Ptr& place) const {
    auto t = as_tensor(place, "get_element_type");
    const auto& g = m_file->graph(0);
    if (t->is_input()) {
        if (m_input_types[t->index()] != ov::element::dynamic)
            return m_input_types[t->index()];
        return to_ov_type(g.vars[static_cast<size_t>(g.invars[t->index()])].dtype);
    }
    const auto& a = g.outvars[t->index()];
    return to_ov_type(a.is_literal ? a.dtype : g.vars[static_cast<size_t>(a.var)].dtype);
}

void InputModel::override_all_inputs(const std::vector<ov::frontend::Place::Ptr>& inputs) {
    std::vector<size_t> order;
    for (auto& p : inputs) {
        auto t = as_tensor(p, "override_all_inputs");
        OPENVINO_ASSERT(t->is_input(), "ovjax: override_all_inputs: '", t->name(),
                        "' is not an input of the jaxpr; cutting a jaxpr at inner tensors is not supported");
        OPENVINO_ASSERT(std::find(order.begin(), order.end(), t->index()) == order.end(),
                        "ovjax: override_all_inputs: input '", t->name(), "' given twice");
        order.push_back(t->index());
    }
    OPENVINO_ASSERT(order.size() == m_inputs.size(), "ovjax: override_all_inputs: every jaxpr input is needed (",
                    m_inputs.size(), " inputs, ", order.size(), " given); inputs can be reordered, not removed");
    m_input_order = order;
}

void InputModel::override_all_outputs(const std::vector<ov::frontend::Place::Ptr>& outputs) {
    std::vector<size_t> order;
    for (auto& p : outputs) {
        auto t = as_tensor(p, "override_all_outputs");
        OPENVINO_ASSERT(t->is_output(), "ovjax: override_all_outputs: '", t->name(),
                        "' is not an output of the jaxpr; cutting a jaxpr at inner tensors is not supported");
        order.push_back(t->index());
    }
    OPENVINO_ASSERT(!order.empty(), "ovjax: override_all_outputs: at least one output is needed");
    m_output_order = order;
}

void InputModel::extract_subgraph(const std::vector<ov::frontend::Place::Ptr>& inputs,
                                  const std::vector<ov::frontend::Place::Ptr>& outputs) {
    override_all_inputs(inputs);
    override_all_outputs(outputs);
}

}  // namespace ovjax

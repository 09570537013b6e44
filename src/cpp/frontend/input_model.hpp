#pragma once

#include <memory>
#include <string>
#include <vector>

#include "format/format.hpp"
#include "frontend/options.hpp"
#include "openvino/frontend/input_model.hpp"
#include "openvino/frontend/place.hpp"

namespace ovjax {

// An input or output tensor of the main graph.
class TensorPlace : public ov::frontend::Place {
public:
    TensorPlace(const void* model, bool is_input, size_t index, std::string name)
        : m_model(model), m_is_input(is_input), m_index(index), m_name(std::move(name)) {}
    std::vector<std::string> get_names() const override { return {m_name}; }
    bool is_input() const override { return m_is_input; }
    bool is_output() const override { return !m_is_input; }
    bool is_equal(const Ptr& another) const override;
    bool is_equal_data(const Ptr& another) const override;
    size_t index() const { return m_index; }
    const std::string& name() const { return m_name; }
    const void* model() const { return m_model; }

private:
    const void* m_model;
    bool m_is_input;
    size_t m_index;
    std::string m_name;
};

class InputModel : public ov::frontend::InputModel {
public:
    InputModel(std::shared_ptr<format::File> file, Options options);

    std::vector<ov::frontend::Place::Ptr> get_inputs() const override;
    std::vector<ov::frontend::Place::Ptr> get_outputs() const override;
    ov::frontend::Place::Ptr get_place_by_tensor_name(const std::string& name) const override;
    ov::frontend::Place::Ptr get_place_by_operation_name(const std::string& name) const override;
    ov::frontend::Place::Ptr get_place_by_input_index(size_t idx) const override;
    void set_partial_shape(const ov::frontend::Place::Ptr& place, const ov::PartialShape& shape) override;
    ov::PartialShape get_partial_shape(const ov::frontend::Place::Ptr& place) const override;
    void set_element_type(const ov::frontend::Place::Ptr& place, const ov::element::Type& type) override;
    ov::element::Type get_element_type(const ov::frontend::Place::Ptr& place) const override;
    void override_all_inputs(const std::vector<ov::frontend::Place::Ptr>& inputs) override;
    void override_all_outputs(const std::vector<ov::frontend::Place::Ptr>& outputs) override;
    void extract_subgraph(const std::vector<ov::frontend::Place::Ptr>& inputs,
                          const std::vector<ov::frontend::Place::Ptr>& outputs) override;

    const std::shared_ptr<format::File>& file() const { return m_file; }
    const Options& options() const { return m_options; }
    const std::vector<size_t>& input_order() const { return m_input_order; }
    const std::vector<size_t>& output_order() const { return m_output_order; }
    const std::string& input_name(size_t i) const { return m_inputs[i]->name(); }
    const std::string& output_name(size_t i) const { return m_outputs[i]->name(); }
    ov::element::Type input_type(size_t i) const { return m_input_types[i]; }  // user's override or aval's
    // The symbolic dimensions' bounds, narrowed by set_partial_shape (empty when static).
    const std::vector<format::DimSymbol>& symbols() const { return m_symbols; }

private:
    void narrow(const TensorPlace& t, const format::VarInfo& var, const ov::PartialShape& shape);
    std::shared_ptr<TensorPlace> as_tensor(const ov::frontend::Place::Ptr& p, const char* what) const;

    std::shared_ptr<format::File> m_file;
    Options m_options;
    std::vector<std::shared_ptr<TensorPlace>> m_inputs, m_outputs;
    std::vector<size_t> m_input_order, m_output_order;
    std::vector<ov::element::Type> m_input_types;
    std::vector<format::DimSymbol> m_symbols;
};

}  // namespace ovjax

#pragma once

#include <memory>
#include <vector>

#include "frontend/translate_session.hpp"
#include "openvino/frontend/frontend.hpp"

namespace ovjax {

class FrontEnd : public ov::frontend::FrontEnd {
public:
    FrontEnd();
    std::string get_name() const override;
    std::shared_ptr<ov::Model> convert(const ov::frontend::InputModel::Ptr& model) const override;
    void convert(const std::shared_ptr<ov::Model>& partially_converted) const override;
    std::shared_ptr<ov::Model> convert_partially(const ov::frontend::InputModel::Ptr& model) const override;
    std::shared_ptr<ov::Model> decode(const ov::frontend::InputModel::Ptr& model) const override;
    void normalize(const std::shared_ptr<ov::Model>& model) const override;
    void add_extension(const std::shared_ptr<ov::Extension>& extension) override;

protected:
    bool supported_impl(const std::vector<ov::Any>& variants) const override;
    ov::frontend::InputModel::Ptr load_impl(const std::vector<ov::Any>& variants) const override;

private:
    std::shared_ptr<ov::Model> convert_impl(const ov::frontend::InputModel::Ptr& model, bool partial) const;
    void normalize(const std::shared_ptr<ov::Model>& model, const Options& options) const;
    TranslatorMap m_translators;
    std::vector<std::shared_ptr<ov::Extension>> m_extensions;
};

}  // namespace ovjax

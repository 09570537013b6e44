// Provenance: every node a translator builds is named after its JAX equation and carries
// the equation's source location.
//
// friendly name  <primitive>_<equation>, nested graphs as a path (pjit_3/scan_1/add_7);
//                further nodes of one equation (and repeated inlinings of one body) get
//                /1, /2, ... appended, so names are unique within a conversion
// rt_info        kSourceKey: a SourceAttribute holding "file:line (function)" as the
//                serializer recorded it; OpenVINO's passes keep it (copy_runtime_info
//                merges the sources of fused nodes) and ov::save_model writes it in the IR
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "openvino/core/model.hpp"
#include "openvino/core/node.hpp"
#include "openvino/core/runtime_attribute.hpp"

namespace ovjax {

constexpr const char* kSourceKey = "ovjax_source";

class SourceAttribute : public ov::RuntimeAttribute {
public:
    OPENVINO_RTTI("ovjax_source", "0", ov::RuntimeAttribute);
    SourceAttribute() = default;
    explicit SourceAttribute(std::string v) : value(std::move(v)) {}
    // Fused nodes: the distinct sources of the nodes they replace, in order ("; "), at most
    // kMaxMerged of them.
    ov::Any merge(const ov::NodeVector& nodes) const override;
    bool visit_attributes(ov::AttributeVisitor& visitor) override;
    std::string to_string() const override { return value; }

    std::string value;  // empty: the file recorded no source for the equation
};

// Whether `node` was already named by the session (the marker a walk stops at).
inline bool has_provenance(const ov::Node& node) {
    static const std::string key(kSourceKey);
    return node.get_rt_info().count(key) != 0;
}

// Passes after translation (fusions.cpp, layout.cpp) build nodes too: a node with the
// ovjax_source key has been named (by the session, a pass, or the walks below), one
// without has not.
// A node a pass built to stand for `from`: from's name and source. (What
// ov::copy_runtime_info would copy, without its per-call merge of every attribute.)
void take_provenance(ov::Node& node, const ov::Node& from);
// Names a node a pass built after the node it stands for: <from's name>/<type>, with
// from's source (several such nodes may share a name; OpenVINO allows it).
void name_after(ov::Node& node, const ov::Node& from);
// Names `out`'s node <owner's name>/<role> with owner's source, and what was built for it
// (its inputs without provenance, back to named nodes) <owner's name>/<role>/<type>: a
// pass names what it builds where it builds it.
void name_built(const ov::Output<ov::Node>& out, const ov::Node& owner, std::string_view role);
// Names the nodes a fusion built for `new_out` to replace `old` (every node without provenance
// from new_out back to named nodes): <old's name>/<type>, with old's source.
void adopt_provenance(const ov::Output<ov::Node>& new_out, const ov::Node& old);
// Gives every other node of `model` (and of its bodies) without provenance the
// name and source of the node it computes from (its first named input), else of the node
// it feeds: <that name>/<type>.
void complete_provenance(const std::shared_ptr<ov::Model>& model);

}  // namespace ovjax

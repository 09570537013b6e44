// Sizes for translators, static or symbolic (docs/format.md, DIMS).
//
// A dimension is a word of the file: >= 0 a static size, <= -2 a symbolic one (an
// expression of the symbols). Translators take every size they build into the graph from
// here: a static size is a Constant (static models are exactly what they were), a
// symbolic one the shared subgraph that computes its expression, built once per model from
// the symbols, each read once from the input that defines it (ShapeOf, Gather).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "format/format.hpp"
#include "openvino/core/node.hpp"
#include "openvino/core/partial_shape.hpp"
#include "openvino/op/parameter.hpp"

namespace ovjax {

using Dims = std::vector<int64_t>;  // dimension words

bool is_static(const Dims& dims);

class Shapes {
public:
    // `symbols`: the symbols' bounds when the user narrowed them (InputModel::set_partial_shape:
    // a symbol fixed to one value is a constant), else the file's.
    explicit Shapes(const format::File& file, std::vector<format::DimSymbol> symbols = {});
    ~Shapes();
    const format::DimBounds& bounds(uint64_t expr) const { return m_bounds.at(expr); }

    // The shape of graph 0's input variable `v` for its Parameter: static dims, symbolic
    // ones with their bounds, and one ov::Symbol per expression, so that equal dimensions
    // share it.
    ov::PartialShape input_shape(const format::VarInfo& v);
    // Where the symbols are read: graph 0's inputs as the model computes them.
    void set_model_inputs(const ov::OutputVector& inputs) { m_inputs = inputs; }

    // A variable's or a parameter's dims as a PartialShape: symbolic dims are dynamic with
    // their bounds (for comparing, and for placeholders).
    ov::PartialShape partial_shape(const int64_t* dims, size_t rank) const;
    ov::PartialShape partial_shape(const Dims& dims) const { return partial_shape(dims.data(), dims.size()); }
    ov::Dimension dimension(int64_t word) const;
    // Whether an output shape OpenVINO computed is the one the dims describe: static dims
    // equal; a symbolic one dynamic (or static, when its bounds allow one value only).
    bool matches(const ov::PartialShape& got, const int64_t* dims, size_t rank) const;
    // Whether `got` is provably the shape `dims` says: static dims equal, each symbolic one
    // carrying the ov::Symbol of its expression (so equal at run time, whatever the sizes).
    // A reshape to it is then no-op.
    bool is_exactly(const ov::PartialShape& got, const Dims& dims) const;

    // The size `word` as an i64 tensor of shape [1].
    ov::Output<ov::Node> dim(int64_t word);
    // The shape `dims` as an i64 tensor of shape [rank]: a Constant when static.
    ov::Output<ov::Node> shape(const Dims& dims);
    // The product of `dims` as an i64 tensor of shape [1] (1 for none).
    ov::Output<ov::Node> product(const Dims& dims);
    std::string text(int64_t word) const { return m_file.dim_text(word); }

    // Symbols by construction. OpenVINO's shape inference gives a dimension a symbol only
    // by copying one (an input's, an operand's); a size computed at run time (a Reshape or
    // Broadcast to shape(dims), a Range, a Concat's sum) gets none, and the fusions, which
    // need equal dimensions to be provably equal, then see two unrelated unknowns.
    // label(): `out` is `dims` by construction (a Reshape or Broadcast to shape(dims)): its
    // dynamic dimensions without a symbol get their expression's.
    void label(const ov::Output<ov::Node>& out, const Dims& dims);
    // label_sum(): `out`'s `axis` is the sum of `parts` (a concatenation): it gets the
    // symbol of the file's expression equal to that sum as a polynomial in the symbols, when
    // each part is static or carries an expression's symbol and the file has such an
    // expression. Nothing the file declares for `out` is read.
    void label_sum(const ov::Output<ov::Node>& out, size_t axis, const std::vector<ov::Dimension>& parts);

    // A graph's inputs as they are bound (TranslateSession::bind_inputs): inside a body, a
    // symbol that is an input's dimension is read from that input (so OpenVINO's shape
    // inference sees it as that dimension).
    void note_inputs(const ov::OutputVector& values, const format::Graph& g);

    // Sub-graphs built as separate bodies (Loop, If) cannot use the model's nodes: while
    // one is built, a symbol no body input has is a body Parameter, made when first needed.
    // end_body() returns those with the value each must be bound to outside (the enclosing
    // body's or model's).
    void begin_body();
    std::vector<std::pair<std::shared_ptr<ov::op::v0::Parameter>, ov::Output<ov::Node>>> end_body();

    // begin_body() now, end_body() by end() or, when translation throws, on destruction.
    class Body {
    public:
        explicit Body(Shapes& s) : m_shapes(s) { s.begin_body(); }
        ~Body() {
            if (!m_ended)
                m_shapes.end_body();
        }
        Body(const Body&) = delete;
        Body& operator=(const Body&) = delete;
        std::vector<std::pair<std::shared_ptr<ov::op::v0::Parameter>, ov::Output<ov::Node>>> end() {
            m_ended = true;
            return m_shapes.end_body();
        }

    private:
        Shapes& m_shapes;
        bool m_ended = false;
    };

private:
    struct Frame {
        std::vector<ov::Output<ov::Node>> exprs;  // by expression index, built when first needed
        std::vector<ov::Output<ov::Node>> symbols;
        std::vector<std::pair<std::shared_ptr<ov::op::v0::Parameter>, uint64_t>> params;  // (param, symbol)
        std::vector<std::pair<ov::Output<ov::Node>, uint64_t>> sources;                   // by symbol: (input, axis)
    };
    ov::Output<ov::Node> symbol(size_t frame, uint64_t s);
    // The first expression that is symbol s (kNone if none), from one pass over the file's
    // expressions made when first needed.
    static constexpr uint64_t kNone = ~uint64_t(0);
    uint64_t symbol_expr(uint64_t s);
    std::shared_ptr<ov::Symbol> ov_symbol(uint64_t e);  // expression e's, made when first needed
    struct Polynomials;                                 // shapes.cpp: expressions as polynomials
    Polynomials& polynomials();
    ov::Output<ov::Node> expr(size_t frame, uint64_t e);

    const format::File& m_file;
    std::vector<format::DimBounds> m_bounds;  // by expression
    ov::OutputVector m_inputs;
    std::vector<Frame> m_frames;
    std::vector<std::shared_ptr<ov::Symbol>> m_ov_symbols;           // by expression index, made when first needed
    std::vector<uint64_t> m_symbol_exprs_by_symbol;                  // symbol_expr()'s
    std::unordered_map<const ov::Symbol*, uint64_t> m_symbol_exprs;  // m_ov_symbols' indices
    std::unique_ptr<Polynomials> m_polynomials;
};

}  // namespace ovjax

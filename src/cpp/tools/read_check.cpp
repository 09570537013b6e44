// ovjax_read_check FILE...: open .ovjax files with the format reader and walk every
// graph, equation and parameter. For one file prints "ok ..." or "error: ..." and
// exits 0 / 1; for several prints "FILE: ok ..." / "FILE: error: ..." per line and
// exits 1 if any failed.
#include <cstdio>
#include <exception>
#include <string>

#include "format/format.hpp"

namespace {
std::string check(const char* path) {
    auto f = ovjax::format::File::open(path);
    size_t eqns = 0, params = 0;
    for (size_t gi = 0; gi < f->num_graphs(); ++gi) {
        const auto& g = f->graph(gi);
        for (size_t ei = 0; ei < g.eqns.size(); ++ei) {
            const auto& e = g.eqns[ei];
            (void)f->eqn_name(g, ei);
            const int64_t* p = e.params;
            for (uint32_t k = 0; k < e.n_params; ++k) {
                ovjax::format::Value v(f.get(), p + 1);
                (void)f->string(static_cast<uint64_t>(p[0]));
                (void)v.describe();
                p = v.end();
                ++params;
            }
            ++eqns;
        }
    }
    return "ok graphs=" + std::to_string(f->num_graphs()) + " equations=" + std::to_string(eqns) +
           " params=" + std::to_string(params) + " buffers=" + std::to_string(f->num_buffers());
}
}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: ovjax_read_check FILE...\n");
        return 2;
    }
    int rc = 0;
    for (int i = 1; i < argc; ++i) {
        std::string line;
        try {
            line = check(argv[i]);
        } catch (const std::exception& e) {
            line = std::string("error: ") + e.what();
            rc = 1;
        }
        if (argc == 2)
            std::printf("%s\n", line.c_str());
        else
            std::printf("%s: %s\n", argv[i], line.c_str());
    }
    return rc;
}

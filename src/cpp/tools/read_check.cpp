// ovjax_read_check FILE: open a .ovjax file with the format reader and walk every
// graph, equation and parameter. Prints "ok ..." or the reader's error; exit 0 / 1.
#include <cstdio>
#include <exception>

#include "format/format.hpp"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: ovjax_read_check FILE\n");
        return 2;
    }
    try {
        auto f = ovjax::format::File::open(argv[1]);
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
        std::printf("ok graphs=%zu equations=%zu params=%zu buffers=%zu\n", f->num_graphs(), eqns, params,
                    f->num_buffers());
        return 0;
    } catch (const std::exception& e) {
        std::printf("error: %s\n", e.what());
        return 1;
    }
}

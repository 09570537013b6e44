"""Generate docs/primitives.md from the primitive table (src/cpp/ops/primitives.def).

python docs/gen_primitives.py          # rewrite docs/primitives.md
python docs/gen_primitives.py --check  # exit 1 if it is out of date (tests do this)
"""

from __future__ import annotations

import ast
import collections
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "src/cpp/ops/primitives.def"
DOC = ROOT / "docs/primitives.md"
TESTS = ROOT / "tests"

OP = re.compile(r"^OVJAX_OP(?:_COMPLEX|_REAL_COMPLEX)?\(([\w-]+),\s*(\w+)(?:,\s*\w+)?\)")
# OVJAX_OP_COMPLEX rows (the translator also handles complex operands and results) and
# OVJAX_OP_REAL_COMPLEX rows (a second translator does).
COMPLEX = re.compile(r"^OVJAX_OP_(?:REAL_)?COMPLEX\(([\w-]+),")
UNSUP = re.compile(r'^OVJAX_UNSUPPORTED\(([\w-]+),\s*"((?:[^"\\]|\\.)*)"\)')
EXPANDED = re.compile(r'^OVJAX_EXPANDED\(([\w-]+),\s*"((?:[^"\\]|\\.)*)"\)')
# OVJAX_OP_COMPLEX_EXPANDED rows: translated for real operands; the serializer expands the
# complex case (src/python/ovjax/_expand.py's COMPLEX_EXPANSIONS).
COMPLEX_EXPANDED = re.compile(r'^OVJAX_OP_COMPLEX_EXPANDED\(([\w-]+),\s*(\w+),\s*"((?:[^"\\]|\\.)*)"\)')
# The translator column of an OVJAX_EXPANDED row: the Python serializer replaces the
# primitive by JAX's own implementation (src/python/ovjax/_expand.py).
EXPANDED_FN = "<expanded>"
SECTION = re.compile(r"^// ---- (.*)$")


def parse_table():
    """[(section, primitive, translator or EXPANDED_FN or None, reason / how or None)]"""
    rows = []
    section = ""
    for line in TABLE.read_text().splitlines():
        line = line.strip()
        if m := SECTION.match(line):
            section = m.group(1)
        elif m := OP.match(line):
            rows.append((section, m.group(1), m.group(2), None))
        elif m := COMPLEX_EXPANDED.match(line):
            rows.append((section, m.group(1), m.group(2), None))
        elif m := UNSUP.match(line):
            rows.append((section, m.group(1), None, m.group(2)))
        elif m := EXPANDED.match(line):
            rows.append((section, m.group(1), EXPANDED_FN, m.group(2)))
    return rows


def complex_expanded() -> dict[str, str]:
    """OVJAX_OP_COMPLEX_EXPANDED rows: primitive -> how the serializer expands complex operands."""
    return {
        m.group(1): m.group(3) for line in TABLE.read_text().splitlines() if (m := COMPLEX_EXPANDED.match(line.strip()))
    }


def complex_aware() -> set[str]:
    """Primitives whose translator handles complex values (OVJAX_OP_COMPLEX and OVJAX_OP_REAL_COMPLEX rows)."""
    return {m.group(1) for line in TABLE.read_text().splitlines() if (m := COMPLEX.match(line.strip()))}


# ---------------------------------------------------------------- the tests column
#
# A test file checks a primitive when it declares it the way tests/harness.py asserts it:
# a prims= argument (check(), check_many(), assert_prims() and the test files' own
# helpers; each asserts the primitives are in the traced jaxpr), a case named "primitive"
# or "primitive:detail" of check_cases() / check_elementwise() (each case's jaxpr must
# hold it), or needs_primitives(...) on a test. The files are read with ast, not
# imported: names are resolved through the assignments, for loops, comprehensions and
# pytest.mark.parametrize lists of the module and the enclosing functions, and a
# helper's parameters through what the module's calls of it pass. What cannot be
# resolved is left out of the column and reported (python docs/gen_primitives.py says so).

CASE_CHECKERS = {"check_cases", "check_elementwise"}
PRIMS_DECORATORS = {"needs_primitives"}


class Unresolved(Exception):
    pass


def _callee(node) -> str:
    f = node.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


def _param_args(node):
    """pytest.param(a, b, id=...) as the tuple (a, b)."""
    if isinstance(node, ast.Call) and _callee(node) == "param":
        return ast.Tuple(elts=node.args, ctx=ast.Load())
    return node


class _Scope:
    """What a module, function or comprehension binds: name -> [(kind, node, extra, scope)].

    kinds: "expr" (assigned node; extra: the index path into a tuple target), "iter" (a
    for target over node), "param" (a pytest.mark.parametrize argnames' values; extra: the
    argname's index), "key" (a dict's item assignment, node the key), "update" (a dict's
    update() or |= with node), "forwarded" (a helper's parameter, node the helper, extra
    the parameter's position: what its calls in the module pass), "def" (a function or
    class), "unknown" (a test's fixture, a with target)."""

    def __init__(self, parent=None):
        self.parent, self.bindings = parent, {}

    def bind(self, name, kind, node, extra=None):
        self.bindings.setdefault(name, []).append((kind, node, extra, self))


def _bind_target(scope, target, kind, value, path=()):
    if isinstance(target, ast.Name):
        scope.bind(target.id, kind, value, path)
    elif isinstance(target, (ast.Tuple, ast.List)):
        for i, t in enumerate(target.elts):
            _bind_target(scope, t, kind, value, path + (i,))
    elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name) and kind == "expr":
        scope.bind(target.value.id, "key", target.slice)


def _parametrized(fn) -> dict:
    """argname -> (argvalues, index among the decorator's argnames or None)."""
    out = {}
    for d in fn.decorator_list:
        if not (isinstance(d, ast.Call) and _callee(d) == "parametrize" and len(d.args) >= 2):
            continue
        names = d.args[0]
        if isinstance(names, ast.Constant):
            names = [n.strip() for n in names.value.split(",") if n.strip()]
        else:
            names = [e.value for e in names.elts]
        for i, n in enumerate(names):
            out[n] = (d.args[1], i if len(names) > 1 else None)
    return out


class _Module:
    """The primitives one test file declares, and the declarations it could not resolve."""

    def __init__(self, path: Path):
        self.path = path
        self.tree = ast.parse(path.read_text())
        self.found: set[str] = set()
        self.unresolved: list[str] = []
        self._calls: list = []  # (call, scope) of every call of a name
        self._declarations: list = []  # (what, expression, scope, resolver)
        self._following: set = set()  # the helper parameters being followed to their calls
        self._what, self._declaration = "", None

    # ---- scopes

    @staticmethod
    def _collect(nodes, scope):
        """The bindings of a scope's statements (not of the functions, lambdas and
        comprehensions in them, which have scopes of their own)."""
        stack = list(nodes)
        while stack:
            n = stack.pop()
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                scope.bind(n.name, "def", n)
                continue
            if isinstance(n, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
                continue
            if isinstance(n, ast.Assign):
                for t in n.targets:
                    _bind_target(scope, t, "expr", n.value)
            elif isinstance(n, ast.AnnAssign) and n.value is not None:
                _bind_target(scope, n.target, "expr", n.value)
            elif isinstance(n, ast.AugAssign) and isinstance(n.op, ast.BitOr) and isinstance(n.target, ast.Name):
                scope.bind(n.target.id, "update", n.value)  # cases |= {...}
            elif isinstance(n, (ast.For, ast.AsyncFor)):
                _bind_target(scope, n.target, "iter", n.iter)
            elif isinstance(n, (ast.With, ast.AsyncWith)):
                for item in n.items:
                    if item.optional_vars is not None:
                        _bind_target(scope, item.optional_vars, "unknown", item)
            elif isinstance(n, ast.NamedExpr):
                _bind_target(scope, n.target, "expr", n.value)
            elif (
                isinstance(n, ast.Call)
                and isinstance(n.func, ast.Attribute)
                and n.func.attr == "update"
                and isinstance(n.func.value, ast.Name)
                and n.args
            ):
                scope.bind(n.func.value.id, "update", n.args[0])
            stack.extend(ast.iter_child_nodes(n))

    def _function_scope(self, fn, parent):
        scope = _Scope(parent)
        params = _parametrized(fn)
        a = fn.args
        positional = a.posonlyargs + a.args
        for arg in positional + a.kwonlyargs + [x for x in (a.vararg, a.kwarg) if x]:
            if arg.arg in params:
                scope.bind(arg.arg, "param", *params[arg.arg])
            elif fn.name.startswith("test") or arg in (a.vararg, a.kwarg):
                scope.bind(arg.arg, "unknown", arg)
            else:
                scope.bind(arg.arg, "forwarded", fn, positional.index(arg) if arg in positional else None)
        self._collect(fn.body, scope)
        return scope

    @staticmethod
    def _comprehension_scope(node, parent):
        scope = _Scope(parent)
        for gen in node.generators:
            _bind_target(scope, gen.target, "iter", gen.iter)
        return scope

    @staticmethod
    def _lookup(name, scope):
        while scope is not None:
            if name in scope.bindings:
                return scope.bindings[name]
            scope = scope.parent
        raise Unresolved(name)

    # ---- resolution: every function gives (node, scope) pairs or strings, raising
    # Unresolved for what it cannot follow

    def _values(self, name, scope) -> list:
        """The expressions a name can stand for."""
        out = []
        for kind, node, extra, where in self._lookup(name, scope):
            if kind == "expr":
                out += self._pick([(node, where)], extra)
            elif kind == "iter":
                out += self._pick(self.elements(node, where), extra)
            elif kind == "param":
                values = [(_param_args(v), s) for v, s in self.elements(node, where)]
                out += self._pick(values, () if extra is None else (extra,))
            elif kind == "forwarded":
                out += self._passed(node, name, extra)
            elif kind in ("unknown", "def"):
                raise Unresolved(f"{name}: {type(node).__name__.lower()}")
        return out

    def _passed(self, fn, name, index) -> list:
        """What the calls of helper `fn` in the module pass its parameter `name` (at
        position `index`), or its default."""
        if (fn, name) in self._following:  # a recursive helper
            return []
        self._following.add((fn, name))
        try:
            a = fn.args
            positional = a.posonlyargs + a.args
            defaults = {x.arg: d for x, d in zip(positional[len(positional) - len(a.defaults) :], a.defaults)}
            defaults.update({x.arg: d for x, d in zip(a.kwonlyargs, a.kw_defaults) if d is not None})
            out = []
            for call, scope in self._calls:
                try:
                    if not any(kind == "def" and node is fn for kind, node, _, _ in self._lookup(call.func.id, scope)):
                        continue
                except Unresolved:
                    continue
                passed = [k.value for k in call.keywords if k.arg == name]
                if not passed and index is not None:
                    if any(isinstance(x, ast.Starred) for x in call.args[: index + 1]) or any(
                        k.arg is None for k in call.keywords
                    ):
                        raise Unresolved(ast.unparse(call))
                    passed = call.args[index : index + 1]
                if passed:
                    out.append((passed[0], scope))
                elif name in defaults:
                    out.append((defaults[name], scope))
                else:
                    raise Unresolved(ast.unparse(call))
            return out
        finally:
            self._following.discard((fn, name))

    def _pick(self, values, path) -> list:
        """Part `path` of each value (what a tuple target's name gets)."""
        for i in path:
            picked = []
            for v, s in values:
                v = _param_args(v)
                if isinstance(v, (ast.Tuple, ast.List)) and not any(isinstance(e, ast.Starred) for e in v.elts):
                    picked.append((v.elts[i], s))
                elif isinstance(v, ast.Name):
                    picked += self._pick(self._values(v.id, s), (i,))
                elif isinstance(v, ast.Subscript):  # an element of a collection (a dict's value)
                    picked += self._pick(self._members(v.value, s), (i,))
                else:
                    raise Unresolved(ast.unparse(v))
            values = picked
        return values

    def _members(self, expr, scope) -> list:
        """What subscripting a collection gives: a dict's values, a sequence's elements."""
        try:
            return [(v, s) for _, v, s in self.dict_items(expr, scope) if v is not None]
        except Unresolved:
            return self.elements(expr, scope)

    def elements(self, expr, scope) -> list:
        """What iterating an expression gives (a dict: its keys)."""
        if isinstance(expr, (ast.List, ast.Tuple, ast.Set)):
            out = []
            for e in expr.elts:
                out += self.elements(e.value, scope) if isinstance(e, ast.Starred) else [(e, scope)]
            return out
        if isinstance(expr, (ast.Dict, ast.DictComp)) or (isinstance(expr, ast.Call) and _callee(expr) == "dict"):
            return [(k, s) for k, _, s in self.dict_items(expr, scope)]
        if isinstance(expr, ast.Name):
            out = []
            for v, s in self._values(expr.id, scope):
                out += self.elements(v, s)
            return out + [(k, s) for k, _, s in self._dict_additions(expr.id, scope)]
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, (ast.Add, ast.BitOr)):
            return self.elements(expr.left, scope) + self.elements(expr.right, scope)
        if isinstance(expr, ast.Call):
            name = _callee(expr)
            if name in ("list", "tuple", "sorted", "set", "reversed", "frozenset") and expr.args:
                return self.elements(expr.args[0], scope)
            if name in ("items", "keys", "values") and isinstance(expr.func, ast.Attribute) and not expr.args:
                # an item assignment's value is not followed: None stands for it
                items = [
                    (k, ast.Constant(None) if v is None else v, s)
                    for k, v, s in self.dict_items(expr.func.value, scope)
                ]
                if name == "keys":
                    return [(k, s) for k, _, s in items]
                if name == "values":
                    return [(v, s) for _, v, s in items]
                return [(ast.Tuple(elts=[k, v], ctx=ast.Load()), s) for k, v, s in items]
        if isinstance(expr, (ast.ListComp, ast.SetComp, ast.GeneratorExp)):
            return [(expr.elt, self._comprehension_scope(expr, scope))]
        raise Unresolved(ast.unparse(expr))

    def _dict_additions(self, name, scope) -> list:
        """(key, value or None, scope) a name's dict gets from item assignments and update()s."""
        out = []
        for kind, node, _, where in self._lookup(name, scope):
            if kind == "key":
                out.append((node, None, where))
            elif kind == "update":
                out += self.dict_items(node, where)
        return out

    def dict_items(self, expr, scope) -> list:
        """(key, value or None, scope) of a dict: its literal, comprehension, item
        assignments and updates."""
        if isinstance(expr, ast.Dict):
            out = []
            for k, v in zip(expr.keys, expr.values):
                out += self.dict_items(v, scope) if k is None else [(k, v, scope)]
            return out
        if isinstance(expr, ast.DictComp):
            return [(expr.key, expr.value, self._comprehension_scope(expr, scope))]
        if isinstance(expr, ast.Call) and _callee(expr) == "dict" and len(expr.args) <= 1:
            out = self.dict_items(expr.args[0], scope) if expr.args else []
            return out + [(ast.Constant(k.arg), k.value, scope) for k in expr.keywords if k.arg]
        if isinstance(expr, ast.Name):
            out = []
            for v, s in self._values(expr.id, scope):
                out += self.dict_items(v, s)
            return out + self._dict_additions(expr.id, scope)
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.BitOr):
            return self.dict_items(expr.left, scope) + self.dict_items(expr.right, scope)
        raise Unresolved(ast.unparse(expr))

    def strings(self, expr, scope) -> set[str]:
        """The strings an expression can be (a name, a set or list of names, ...); what
        it cannot follow inside a collection is recorded, the rest is kept."""
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            return {expr.value}
        if isinstance(expr, ast.Name):
            return set().union(*(self.strings(v, s) for v, s in self._values(expr.id, scope)))
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, (ast.BitOr, ast.Add)):
            return self.strings(expr.left, scope) | self.strings(expr.right, scope)
        if isinstance(expr, ast.IfExp):
            return self.strings(expr.body, scope) | self.strings(expr.orelse, scope)
        if isinstance(expr, ast.Subscript):
            return set().union(*(self.strings(v, s) for v, s in self._members(expr.value, scope)))
        if isinstance(expr, ast.JoinedStr):
            return self._joined(expr, scope)
        if isinstance(expr, (ast.Set, ast.List, ast.Tuple, ast.ListComp, ast.SetComp, ast.GeneratorExp)) or (
            isinstance(expr, ast.Call) and _callee(expr) in ("set", "frozenset", "tuple", "list", "sorted")
        ):
            if isinstance(expr, ast.Call) and not expr.args:
                return set()
            out = set()
            for e, s in self.elements(expr.args[0] if isinstance(expr, ast.Call) else expr, scope):
                try:
                    out |= self.strings(e, s)
                except Unresolved as err:
                    self._unresolved(e, err)
            return out
        raise Unresolved(ast.unparse(expr))

    def _joined(self, expr, scope) -> set[str]:
        """An f-string's values up to its first ':' (as much as a case name's primitive needs)."""
        prefixes = {""}
        for part in expr.values:
            values = {str(part.value)} if isinstance(part, ast.Constant) else self.strings(part.value, scope)
            prefixes = {p + v for p in prefixes for v in values}
            if any(":" in p for p in prefixes):
                break
        return {p.split(":")[0] for p in prefixes}

    def case_primitives(self, expr, scope) -> set[str]:
        """The primitives of a check_cases() dict: its keys up to the first ':'."""
        out = set()
        for key, _, s in self.dict_items(expr, scope):
            try:
                out |= {k.split(":")[0] for k in self.strings(key, s)}
            except Unresolved as err:
                self._unresolved(key, err)
        return out

    # ---- the walk

    def _unresolved(self, expr, err):
        line = getattr(expr, "lineno", None) or self._declaration.lineno
        self.unresolved.append(f"{self.path.name}:{line}: {self._what} {ast.unparse(expr)} (cannot follow {err})")

    def _declare(self, what, expr, scope, resolve):
        self._declarations.append((what, expr, scope, resolve))

    def _visit(self, node, scope):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for d in node.decorator_list:
                if isinstance(d, ast.Call) and _callee(d) in PRIMS_DECORATORS:
                    for a in d.args:
                        self._declare(_callee(d), a, scope, self.strings)
            inner = self._function_scope(node, scope)
            for child in node.body:
                self._visit(child, inner)
            return
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            scope = self._comprehension_scope(node, scope)
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name):
                self._calls.append((node, scope))
            for k in node.keywords:
                if k.arg == "prims":
                    self._declare("prims=", k.value, scope, self.strings)
            if _callee(node) in CASE_CHECKERS and node.args:
                self._declare(_callee(node), node.args[0], scope, self.case_primitives)
        for child in ast.iter_child_nodes(node):
            self._visit(child, scope)

    def run(self):
        module = _Scope()
        self._collect(self.tree.body, module)
        for node in self.tree.body:
            self._visit(node, module)
        for self._what, self._declaration, scope, resolve in self._declarations:  # all calls seen
            try:
                self.found |= resolve(self._declaration, scope)
            except Unresolved as err:
                self._unresolved(self._declaration, err)
        return self


def _renamed() -> dict[str, str]:
    """src/python/ovjax/_jax_compat.py's RENAMED (a release's name -> the name ovjax
    writes, the table's), read without importing JAX."""
    tree = ast.parse((ROOT / "src/python/ovjax/_jax_compat.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "RENAMED" for t in node.targets):
            return ast.literal_eval(node.value)
    raise RuntimeError("_jax_compat.py has no RENAMED")


_CHECKED: dict = {}


def checked_primitives() -> tuple[dict[str, set[str]], list[str]]:
    """({test file name: the primitives it checks, by the table's names}, [the
    declarations it could not resolve])."""
    if not _CHECKED:
        renamed = _renamed()
        for path in sorted(TESTS.glob("test_*.py")):
            m = _Module(path).run()
            _CHECKED[path.name] = ({renamed.get(p, p) for p in m.found}, m.unresolved)
    return {k: v[0] for k, v in _CHECKED.items()}, [u for v in _CHECKED.values() for u in v[1]]


def tests_checking(prim: str) -> list[str]:
    """The test files that check `prim` (declare it as above)."""
    files, _ = checked_primitives()
    return sorted(name for name, prims in files.items() if prim in prims)


def render() -> str:
    rows = parse_table()
    cplx = complex_aware()
    cplx_expanded = complex_expanded()
    n_ok = sum(1 for r in rows if r[2])
    out = [
        "# Supported JAX primitives",
        "",
        "Generated from `src/cpp/ops/primitives.def` by `docs/gen_primitives.py`; "
        "`tests/test_coverage.py` fails when this page drifts from the table.",
        "",
        f"{n_ok} primitives are translated; {len(rows) - n_ok} are known and reported as unsupported. "
        "Any other primitive is reported as unsupported too, together with every other one in the model.",
        "",
        f'{len(cplx)} translators also handle complex values ("complex too"; complex64 is a float32 tensor '
        "with a trailing (real, imag) axis of 2, see docs/format.md); any other primitive with a complex "
        "operand or result is reported as an error, except for the "
        f"{len(cplx_expanded)} whose complex operands the serializer expands into functions of the real "
        'and imaginary parts ("complex expanded"; see "Complex elementwise functions" below).',
        "",
        "| primitive | family | status | tests |",
        "|---|---|---|---|",
    ]
    for section, prim, fn, reason in rows:
        if fn == EXPANDED_FN:
            status = f"translated (expanded by the serializer: {reason})"
        else:
            status = ("translated, complex too" if prim in cplx else "translated") if fn else f"unsupported: {reason}"
            if prim in cplx_expanded:
                status = f"translated; complex expanded: {cplx_expanded[prim]}"
        tests = ", ".join(f"`{t}`" for t in tests_checking(prim)) or "—"
        out.append(f"| `{prim}` | {section} | {status} | {tests} |")
    out += APPROXIMATIONS
    out += COMPLEX_FUNCTIONS
    out += DECOMPOSITIONS
    out += render_harness_results()
    return "\n".join(out) + "\n"


# Primitives OpenVINO has no operation for, composed from other operations: which ones
# approximate and how closely (measured against JAX on float32).
APPROXIMATIONS = [
    "",
    "## Approximations",
    "",
    "Where OpenVINO has no operation, translators compose one. These approximate the "
    "function with the same algorithm XLA uses, evaluated in float32 (errors measured "
    "against JAX over 340,000 float32 points, x in [-50, 50] incl. negative non-integers, "
    "up to 1e30, +-inf and NaN):",
    "",
    "| primitive | method | measured error vs JAX |",
    "|---|---|---|",
    "| `lgamma` | Lanczos approximation with reflection (XLA's) | 3.1e-6 absolute where \\|y\\| < 1, 2.5e-6 relative elsewhere; poles and +-inf give +inf |",
    "| `digamma` | XLA's Lanczos-based series | 1.5e-6 absolute / 1.3e-6 relative; poles NaN as JAX, +-0 JAX's own value (NaN up to 0.10, -inf from 0.12) |",
    "| `bessel_i1e` | Cephes Chebyshev series (XLA's) | 4.5e-8 absolute |",
    "| `zeta`, `polygamma` | XLA's decomposition (Cephes' Hurwitz zeta: 10-term series and a 12-term "
    "Euler-Maclaurin correction by Horner's rule, run in loops; polygamma through it, digamma and lgamma), "
    "expanded by the serializer (src/python/ovjax/_zeta.py) | zeta 2.4e-7 relative, polygamma 2e-6 relative "
    "(tests/test_special.py's grids); poles and NaN cases as JAX |",
    "| `erf_inv` | Giles' single-precision polynomial (XLA's) | within the harness tolerance (1e-4) |",
    "| `erfc` | 1 - erf for \\|x\\| < 1, Cephes' erfcf tails (XLA's) | within 1e-5 relative on the harnesses |",
    "| `cumlogsumexp` | log-depth scan of max + log1p(exp(-\\|a-b\\|)) | within 1e-4 |",
    "| `cholesky`, `triangular_solve` | row-by-row substitution (unrolled, or a Loop beyond 16 rows) | within 1e-3 on the harnesses (condition numbers up to 1e5) |",
    "| `eig` | expanded by the serializer (src/python/ovjax/_eig.py): complex shifted QR with Wilkinson shifts and "
    "deflation to Schur form, eigenvectors by triangular substitution, LAPACK geev's normalization; eigenvalue order "
    "differs from LAPACK's | eigenvalues within 1.3e-6 \\|A\\|_F of JAX's (as multisets), residuals "
    "\\|A vr - vr diag(w)\\| and \\|vl^H A - diag(w) vl^H\\| within 1.8e-6 \\|A\\|_F (random float32 / complex64, "
    "n <= 20); float64 computed in float32 |",
    "",
    "Exact (the same function as JAX, or bit-exact): `igamma`, `igammac`, `igamma_grad_a`, "
    "`regularized_incomplete_beta`, `bessel_i0e`, `random_gamma`, `lu`, `custom_linear_solve` "
    "and `tridiagonal_solve` are expanded into JAX's own implementations; `bitcast_convert_type`, "
    "`reduce_precision`, `nextafter` and half-precision `cumsum` are bit-exact.",
]


# Complex operands of elementwise primitives (OVJAX_OP_COMPLEX_EXPANDED rows and the complex
# exp and div translators): how and how closely (tests/test_complex_math.py).
COMPLEX_FUNCTIONS = [
    "",
    "## Complex elementwise functions",
    "",
    "The serializer writes a complex operand's function as JAX operations on the real and "
    "imaginary parts (src/python/ovjax/_complex_math.py), with the formulas, branch cuts, "
    "regions and special values XLA computes it with on the CPU: its elemental code for exp, "
    "expm1, tanh, tan, rsqrt and pow, and for sqrt, log, log1p, asin, acos, asinh, acosh, "
    "atan, atanh, sinh and cosh the decompositions generated by functional_algorithms (as "
    "XLA's optimized HLO shows them); sin, cos and logistic are JAX's own complex lowerings. "
    "Division is Smith's algorithm with XLA's corner cases for zero and infinite operands, "
    "bit-exact with JAX on every pair of special values. Errors relative to \\|JAX's result\\| "
    "(complex64), on the plane of tests/test_complex_math.py (every (re, im) pair of 43 "
    "values: 0, 1e-25 ... 3e38, both signs, infinities, NaN; NaNs, infinities and the signs "
    "of zeros equal JAX's everywhere) and on 20,000 random points with parts from 1e-4 to "
    "1e4 in magnitude:",
    "",
    "| function | plane | random |",
    "|---|---|---|",
    "| `sin`, `cos` | 2.5e-7 | 4.2e-7 |",
    "| `tan`, `tanh` | 1.6e-6 | 6e-5 (next to the poles, where both round the denominator differently) |",
    "| `sinh`, `cosh` | 3.1e-7 | 4.5e-6; sinh of a real part below 1e-4: 1e-3 (XLA's "
    "exp(z + log 1/2) - exp(-z + log 1/2) cancels there; JAX's own result is that far from the "
    "true value too) |",
    "| `asin`, `acos`, `atan`, `asinh`, `acosh`, `atanh` | 1.9e-7 | 3.5e-7 |",
    "| `log`, `log1p`, `sqrt`, `rsqrt`, `expm1`, `exp` | 5.1e-7 | 4.9e-7 |",
    "| `logistic` | 5.1e-7 | 1.9e-6 |",
    "| `pow` | 6e-7 on special pairs | 5e-7 where no intermediate is a float32 denormal |",
    "",
    "Where XLA's CPU code meets a denormal float32 it flushes it to zero, and OpenVINO keeps it: "
    "a result or an intermediate square below 1.2e-38 (log1p(-1 + 1e-20i) is -inf in JAX and "
    "-46.05 here; a power whose modulus underflows is 0 in JAX). complex128 runs in float32 on "
    "the CPU plugin, to float32's accuracy and range.",
]


# Matrix decompositions expanded by the serializer (src/python/ovjax/_linalg.py, _eig.py):
# how and how closely (tests/test_decompositions.py, tests/test_eig.py), and how fast
# (benchmarks/decompositions.py).
DECOMPOSITIONS = [
    "",
    "## Matrix decompositions",
    "",
    "JAX's CPU computes these with LAPACK, which has no OpenVINO counterpart; the serializer "
    "writes each as an algorithm in the graph (loops become OpenVINO Loops), with LAPACK's "
    "conventions where the result is unique (qr, geqrf, householder_product, hessenberg, "
    "tridiagonal: equal to JAX's elementwise up to rounding) and compared by invariants where "
    "it is not (eigenvector signs and phases, the order of a Schur form's diagonal). Worst "
    "errors measured on OpenVINO's CPU plugin at f32 (random matrices up to 20x20 and the "
    "special ones of the tests), relative to \\|A\\| (orthogonality: \\|Q^H Q - I\\|); "
    "LAPACK's own residuals are 3-8e-7. qr, eigh and svd: residuals from tests/test_decompositions.py "
    "(f32 / c64), orthogonality and values from benchmarks/decompositions.py at n = 32; eig from "
    "tests/test_eig.py; schur measured at n = 3 to 20 (complex, 12 random matrices) and over the "
    "special matrices of tests/test_eig.py (real):",
    "",
    "| primitive | how | residual | orthogonality | eigen/singular values |",
    "|---|---|---|---|---|",
    "| `qr` | Householder (xGEQR2, xORG2R) | 4.4e-7 / 3.5e-7 | 1.8e-6 | — |",
    "| `eigh` | parallel cyclic Jacobi in a while loop | 1.1e-6 / 1.0e-6 | 8.1e-7 | 5.4e-8 |",
    "| `svd` | Householder QR, then one-sided parallel Jacobi on R | 6.3e-7 / 6.8e-7 | 2.7e-6 | 6.2e-8 |",
    "| `eig` | complex shifted QR (Wilkinson and exceptional shifts), vectors by substitution | 1.8e-6 | — | 1.3e-6 |",
    "| `schur`, complex | eig's iteration | 2.2e-6 | 6.0e-6 | 4.9e-7 |",
    "| `schur`, real | Francis double shift on the Hessenberg form (dlahqr), 2x2 blocks as dlanv2 | 1.7e-6 | 1.5e-6 | 6.0e-7 |",
    "",
    "JAX's own pure-JAX eigh (QDWH spectral divide and conquer, TPU's route) converts too; "
    "benchmarks/decompositions.py measured it 2.1-3.2x slower than this Jacobi at n = 32 to "
    "128, at the same accuracy. Against LAPACK under jax.jit these graphs are slow (eigh "
    "34-60x, svd 18-34x, qr 3-8x at f32, same benchmark): they make models that use them "
    "convert and run. At the plugin's default precision on a bf16 CPU they lose four digits; "
    "compile such models with `INFERENCE_PRECISION_HINT=f32`.",
]


DTYPE_ORDER = [
    "float32",
    "float16",
    "bfloat16",
    "float64",
    "int8",
    "int16",
    "int32",
    "uint8",
    "uint16",
    "uint32",
    "bool",
    "complex64",
    "complex128",
]


def _group_primitive() -> dict[str, str]:
    """tests/catalogue.py's GROUP_PRIMITIVE (harness group -> primitive), read without
    importing JAX."""
    import ast

    tree = ast.parse((ROOT / "tests/catalogue.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "GROUP_PRIMITIVE" for t in node.targets):
            return ast.literal_eval(node.value)
    raise RuntimeError("tests/catalogue.py has no GROUP_PRIMITIVE")


def harness_records() -> list[tuple[str, dict]]:
    """(release, results) of every recorded full catalogue run, oldest release first."""
    import json
    import re

    out = []
    for path in (ROOT / "docs").glob("harness_results_jax*.json"):
        release = re.fullmatch(r"harness_results_jax(.*)\.json", path.name).group(1)
        out.append((release, json.loads(path.read_text())))
    return sorted(out, key=lambda r: tuple(int(x) for x in r[0].split(".")))


def render_harness_results() -> list[str]:
    """Pass counts per harness group and dtype from the full catalogue runs."""
    records = harness_records()
    if not records:
        return []
    table = {p: bool(fn) for _, p, fn, _ in parse_table()}
    group_primitive = _group_primitive()
    lines = []
    for release, results in records:
        total = len(results)
        passed = sum(r["status"] == "pass" for r in results.values())
        ours = [r for r in results.values() if table.get(group_primitive.get(r["group"], r["group"]))]
        ours_passed = sum(r["status"] == "pass" for r in ours)
        lines.append(
            f"| {release} | {passed} of {total} ({100 * passed / total:.1f}%) | "
            f"{ours_passed} of {len(ours)} ({100 * ours_passed / len(ours):.1f}%) |"
        )
    release, results = records[-1]
    cells: dict = {}
    for r in results.values():
        c = cells.setdefault(r["group"], {}).setdefault(r["dtype"], [0, 0])
        c[0] += r["status"] == "pass"
        c[1] += 1
    dtypes = [d for d in DTYPE_ORDER if any(d in g for g in cells.values())]
    dtypes += sorted({d for g in cells.values() for d in g} - set(dtypes))
    sym_lines = []
    sym_gap = ("", collections.Counter())
    for release, results in records:
        path = ROOT / f"docs/harness_symbolic_jax{release}.json"
        if not path.exists():
            continue
        import json

        sym = json.loads(path.read_text())
        batched = [k for k, r in sym.items() if r["status"] != "jax_error" and k in results]
        sp = sum(sym[k]["status"] == "pass" for k in batched)
        st = sum(results[k]["status"] == "pass" for k in batched)
        n = len(batched)
        sym_lines.append(
            f"| {release} | {n} of {len(sym)} | {sp} of {n} ({100 * sp / n:.1f}%) | {st} of {n} ({100 * st / n:.1f}%) |"
        )
        gap = collections.Counter(
            (sym[k]["group"], sym[k]["status"])
            for k in batched
            if results[k]["status"] == "pass" and sym[k]["status"] != "pass"
        )
        sym_gap = (release, gap)
    out = [
        "",
        "## JAX's harness catalogue",
        "",
        "Every harness of `jax/_src/internal_test_util/test_harnesses.py` that JAX runs on CPU, converted with "
        "ovjax, run on OpenVINO CPU at f32 inference precision and compared with JAX (`tests/catalogue.py`), "
        "under each tested JAX release: the results are in `docs/harness_results_jax<release>.json`, and "
        "`tests/test_catalogue.py` checks each harness against the running release's record.",
        "",
        "| JAX | harnesses passing | of primitives the table translates |",
        "|---|---|---|",
        *lines,
    ]
    if sym_lines:
        out += [
            "",
            "With a symbolic batch: each harness vmapped over a new leading axis of symbolic size B (what JAX's "
            "own shape-polymorphism tests do for its exporters), traced once, converted once, run at B = 1, 3 "
            "and 7 and compared with JAX's jitted vmap at each size (`tests/catalogue.py --symbolic`; results in "
            "`docs/harness_symbolic_jax<release>.json`). Counted over the harnesses JAX itself can batch and "
            "trace symbolically, beside the static outcome of the same harnesses:",
            "",
            "| JAX | harnesses JAX batches | symbolic batch passing | static passing (same harnesses) |",
            "|---|---|---|---|",
            *sym_lines,
            "",
            f"Passing statically but not with a symbolic batch (JAX {sym_gap[0]}; harness group, outcome, count): "
            + (
                ", ".join(f"{g} ({st}) {n}" for (g, st), n in sorted(sym_gap[1].items(), key=lambda x: (-x[1], x[0])))
                or "none"
            )
            + ".",
        ]
    if len(records) > 1:
        old_release, old = records[0]
        added = sorted(set(results) - set(old))
        dropped = sorted(set(old) - set(results))
        changed = sorted(k for k in set(results) & set(old) if results[k]["status"] != old[k]["status"])
        out += [
            "",
            f"Between JAX {old_release} and {release}: {len(added)} harnesses added, {len(dropped)} dropped, "
            f"{len(changed)} with a different outcome.",
        ]
        for title, names, rec in (("added", added, results), ("dropped", dropped, old)):
            if names:
                out.append(f"{title.capitalize()}: " + ", ".join(f"`{k}` ({rec[k]['status']})" for k in names) + ".")
        if changed:
            out.append(
                "Different outcome: "
                + ", ".join(
                    f"`{k}` ({old[k]['status']} under {old_release}, {results[k]['status']} under {release})"
                    for k in changed
                )
                + "."
            )
    out += [
        "",
        f"Per harness group (usually one primitive) and dtype under JAX {release}, passed/total:",
        "",
        "| group | " + " | ".join(dtypes) + " | all |",
        "|---|" + "---|" * (len(dtypes) + 1),
    ]
    for g in sorted(cells):
        row = cells[g]
        p = sum(v[0] for v in row.values())
        n = sum(v[1] for v in row.values())
        out.append(
            f"| `{g}` | " + " | ".join(f"{row[d][0]}/{row[d][1]}" if d in row else "" for d in dtypes) + f" | {p}/{n} |"
        )
    return out


def main() -> int:
    text = render()
    for u in checked_primitives()[1]:
        print(f"tests column: unresolved declaration {u}", file=sys.stderr)
    if "--check" in sys.argv:
        if not DOC.exists() or DOC.read_text() != text:
            print("docs/primitives.md is out of date: run python docs/gen_primitives.py")
            return 1
        return 0
    DOC.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

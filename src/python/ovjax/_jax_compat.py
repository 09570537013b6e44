"""Where JAX keeps its jaxpr classes, across the releases ovjax supports.

Older JAX exposes them as ``jax.core``; newer releases as ``jax.extend.core`` (and
eventually only there). Primitives are always matched by name, never by object, so
the rename of ``pjit`` to ``jit`` needs nothing here.
"""

try:  # jax >= 0.4.3x
    import jax.extend.core as _core
    ClosedJaxpr = _core.ClosedJaxpr
    Jaxpr = _core.Jaxpr
    Literal = _core.Literal
    Var = _core.Var
    DropVar = getattr(_core, "DropVar", None)
except (ImportError, AttributeError):  # pragma: no cover - old jax
    import jax.core as _core  # type: ignore[no-redef]
    ClosedJaxpr = _core.ClosedJaxpr
    Jaxpr = _core.Jaxpr
    Literal = _core.Literal
    Var = _core.Var
    DropVar = getattr(_core, "DropVar", None)

if DropVar is None:  # pragma: no cover
    from jax._src.core import DropVar  # type: ignore[no-redef]

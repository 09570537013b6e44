"""ovjax: an OpenVINO frontend for JAX.

import ovjax
ov_model = ovjax.convert_model(fn, example_input=x)   # or a ClosedJaxpr / Flax module
ovjax.save(fn, "model.ovjax", example_input=x)         # a file any ovjax frontend reads
ov.convert_model(closed_jaxpr)                          # goes through ovjax once imported
"""

from ._jax_compat import check_jax_version as _check_jax
from ._library import __version__, check_openvino_version as _check

_check_jax()  # an older JAX than supported: ImportError; a newer one than tested: a warning
_check()

from ._library import library_path  # noqa: E402
from .convert import convert_model, is_jax_model, save, serialize, trace  # noqa: E402
from . import _hook  # noqa: E402

_hook.install()

__all__ = ["convert_model", "save", "serialize", "trace", "is_jax_model", "library_path", "__version__"]

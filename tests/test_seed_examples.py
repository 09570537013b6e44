"""The three examples of OpenVINO's page on converting JAX/Flax models
(../shared/seed/convert-model-jax.rst), run exactly as written after `import ovjax`,
and checked against JAX's own numbers."""

import numpy as np

import ovjax  # noqa: F401 - hooks ov.convert_model

from harness import assert_close, run_ov


def test_seed_closed_jaxpr():
    import jax
    import jax.numpy as jnp
    import openvino as ov

    # let us have some JAX function
    def jax_func(x, y):
        return jax.lax.tanh(jax.lax.max(x, y))

    # 1. Create ClosedJaxpr object
    x = jnp.array([1.0, 2.0])
    y = jnp.array([-1.0, 10.0])
    jaxpr = jax.make_jaxpr(jax_func)(x, y)
    # 2. Convert to OpenVINO
    ov_model = ov.convert_model(jaxpr)

    assert ov_model.get_rt_info(["ovjax", "version"]).astype(str) == ovjax.__version__
    (got,) = run_ov(ov_model, (x, y))
    assert_close(got, jax_func(x, y))


def test_seed_flax_linen_module():
    import flax.linen as nn
    import jax
    import jax.numpy as jnp
    import openvino as ov

    # let user have some Flax module
    class SimpleModule(nn.Module):
        features: int

        @nn.compact
        def __call__(self, x):
            return nn.Dense(features=self.features)(x)

    module = SimpleModule(features=4)

    # create example_input used for training
    example_input = jnp.ones((2, 3))

    # prepare parameters to initialize the module
    # they can be also loaded using pickle, flax.serialization
    key = jax.random.PRNGKey(0)
    params = module.init(key, example_input)
    module = module.bind(params)

    ov_model = ov.convert_model(module, example_input=example_input)

    x = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
    (got,) = run_ov(ov_model, (x,))
    assert_close(got, module(x))
    assert ov_model.inputs[0].get_any_name() == "x"


def test_seed_flax_module_with_extra_flag():
    import jax
    import jax.numpy as jnp
    import openvino as ov
    from flax import linen as nn
    from flax.core import freeze, unfreeze  # noqa: F401 - as in the example

    class SimpleModuleWithExtraFlag(nn.Module):
        features: int

        @nn.compact
        def __call__(self, x, training):
            x = nn.Dense(self.features)(x)
            x = nn.BatchNorm(use_running_average=not training)(x)
            return x

    # 1. Initialize the model
    module = SimpleModuleWithExtraFlag(features=10)
    key = jax.random.PRNGKey(0)
    input_data = jnp.ones((4, 5))  # Batch of 4 samples, each with 5 features
    params = module.init(key, input_data, training=False)

    # 2. Create helper function with only input data parameter
    def helper_function(x):
        return module.apply(params, x, training=False)

    # 3. Trace the helper function
    jaxpr = jax.make_jaxpr(helper_function)(input_data)

    # 4. Convert to OpenVINO
    ov_model = ov.convert_model(jaxpr)

    x = np.random.default_rng(1).standard_normal((4, 5)).astype(np.float32)
    (got,) = run_ov(ov_model, (x,))
    assert_close(got, helper_function(x))

    # and without the helper: the flag as a static keyword
    import ovjax as oj

    m2 = oj.convert_model(module, example_input=input_data, params=params, call_kwargs={"training": False})
    (got2,) = run_ov(m2, (x,))
    assert_close(got2, helper_function(x))
    m3 = ov.convert_model(module.bind(params), example_input={"x": input_data, "training": False})
    (got3,) = run_ov(m3, (x,))
    assert_close(got3, helper_function(x))

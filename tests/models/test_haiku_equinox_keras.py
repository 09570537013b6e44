"""dm-haiku, equinox and Keras 3 (JAX backend) models with random weights."""

import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from harness import rand

from ._check import check_function, random_like

# ---------------------------------------------------------------- haiku


def _haiku(forward, x):
    """forward(x, is_training) as an inference function of x with random weights."""
    hk = pytest.importorskip("haiku")
    f = hk.transform_with_state(forward)
    # initialised in training mode (BatchNorm creates its moving averages), run in inference mode
    shapes = jax.eval_shape(lambda x: f.init(jax.random.PRNGKey(0), x, True), x)
    params, state = random_like(shapes)
    return lambda x: f.apply(params, state, None, x, False)[0]


def test_haiku_mlp():
    hk = pytest.importorskip("haiku")
    x = rand((4, 16))
    fn = _haiku(lambda x, is_training: hk.nets.MLP([32, 32, 8], activation=jax.nn.gelu)(x), x)
    check_function(fn, (x,), "haiku MLP")


@pytest.mark.slow
def test_haiku_resnet50():
    hk = pytest.importorskip("haiku")
    x = rand((1, 32, 32, 3), low=-1, high=1)
    fn = _haiku(lambda x, is_training: hk.nets.ResNet50(num_classes=10)(x, is_training=is_training), x)
    # 50 layers of batch-normalised convolutions
    check_function(fn, (x,), "haiku ResNet50", tol=(1e-3, 1e-3))


def test_haiku_small_resnet():
    hk = pytest.importorskip("haiku")
    x = rand((1, 32, 32, 3), low=-1, high=1)

    def forward(x, is_training):
        net = hk.nets.ResNet(
            blocks_per_group=(1, 1, 1, 1),
            num_classes=10,
            bottleneck=False,
            channels_per_group=(8, 16, 16, 32),
            use_projection=(True, True, True, True),
        )
        return net(x, is_training=is_training)

    check_function(_haiku(forward, x), (x,), "haiku ResNet (ResNet18 layout, narrow)")


# ---------------------------------------------------------------- equinox


def _eqx_random(model, seed=0):
    """The model with its floating-point weights replaced by random ones (no init cost)."""
    eqx = pytest.importorskip("equinox")
    params, static = eqx.partition(model, lambda l: isinstance(l, jax.ShapeDtypeStruct))
    return eqx.combine(jax.tree_util.tree_map(jnp.asarray, random_like(params, seed)), static)


def test_equinox_mlp_and_convnet():
    eqx = pytest.importorskip("equinox")
    keys = jax.random.split(jax.random.PRNGKey(0), 4)
    mlp = eqx.filter_eval_shape(eqx.nn.MLP, 16, 8, 32, 2, key=keys[0])
    mlp = _eqx_random(mlp)
    x = rand((4, 16))
    check_function(lambda x: jax.vmap(mlp)(x), (x,), "equinox MLP")

    class ConvNet(eqx.Module):
        c1: eqx.nn.Conv2d
        c2: eqx.nn.Conv2d
        pool: eqx.nn.MaxPool2d
        norm: eqx.nn.LayerNorm
        fc: eqx.nn.Linear

        def __init__(self, key):
            k1, k2, k3 = jax.random.split(key, 3)
            self.c1 = eqx.nn.Conv2d(3, 8, 3, padding=1, key=k1)
            self.c2 = eqx.nn.Conv2d(8, 16, 3, stride=2, key=k2)
            self.pool = eqx.nn.MaxPool2d(2, 2)
            self.norm = eqx.nn.LayerNorm(16 * 3 * 3)
            self.fc = eqx.nn.Linear(16 * 3 * 3, 10, key=k3)

        def __call__(self, x):
            x = jax.nn.relu(self.c1(x))
            x = self.pool(jax.nn.relu(self.c2(x)))
            return self.fc(self.norm(x.reshape(-1)))

    net = _eqx_random(eqx.filter_eval_shape(ConvNet, keys[1]))
    img = rand((2, 3, 16, 16), low=-1, high=1)
    check_function(lambda x: jax.vmap(net)(x), (img,), "equinox ConvNet")


def test_equinox_multihead_attention():
    eqx = pytest.importorskip("equinox")
    mha = eqx.filter_eval_shape(eqx.nn.MultiheadAttention, 4, 32, key=jax.random.PRNGKey(0))
    mha = _eqx_random(mha)
    q, kv = rand((6, 32), seed=1), rand((9, 32), seed=2)
    mask = np.tril(np.ones((6, 9), bool), k=3)
    check_function(lambda q, kv, mask: mha(q, kv, kv, mask=mask), (q, kv, mask), "equinox MultiheadAttention")


# ---------------------------------------------------------------- keras


def _keras():
    if os.environ.get("KERAS_BACKEND", "jax") != "jax":
        pytest.skip("Keras runs on another backend (KERAS_BACKEND)")
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "jax":
        pytest.skip(f"Keras was imported with the {keras.backend.backend()} backend")
    return keras


def _stateless(model):
    """model.stateless_call as a function of the inputs, with the weights as constants."""
    tv = [np.asarray(v.value) for v in model.trainable_variables]
    ntv = [np.asarray(v.value) for v in model.non_trainable_variables]

    def fn(*inputs):
        out, _ = model.stateless_call(tv, ntv, *inputs, training=False)
        return out

    return fn


def _keras_cnn():
    keras = _keras()
    # zero initialisers and random weights from numpy: Keras's random initialisers run
    # eagerly, one XLA compilation per weight shape (seconds on a busy machine)
    z = {"kernel_initializer": "zeros"}
    inp = keras.Input((16, 16, 3))
    h = keras.layers.Conv2D(8, 3, padding="same", activation="relu", **z)(inp)
    h = keras.layers.BatchNormalization()(h)
    h = keras.layers.MaxPooling2D()(h)
    h = keras.layers.Conv2D(16, 3, activation="gelu", **z)(h)
    h = keras.layers.GlobalAveragePooling2D()(h)
    h = keras.layers.Dropout(0.5)(h)
    h = keras.layers.LayerNormalization()(h)
    out = keras.layers.Dense(10, activation="softmax", **z)(h)
    model = keras.Model(inp, out)
    # a name per weight tells random_like which are scales/variances
    shapes = {f"{i:03d}{w.path}": jax.ShapeDtypeStruct(w.shape, w.dtype) for i, w in enumerate(model.weights)}
    weights = random_like(shapes)
    model.set_weights([weights[k] for k in shapes])
    return _stateless(model), (rand((2, 16, 16, 3), low=-1, high=1),)


def test_keras_functional_model():
    check_function(*_keras_cnn(), "keras functional CNN")


@pytest.mark.slow  # keras-hub's import and the layers' eager random init take ~20 s
def test_keras_hub_bert_backbone():
    _keras()
    keras_hub = pytest.importorskip("keras_hub")
    import keras

    keras.utils.set_random_seed(0)
    model = keras_hub.models.BertBackbone(
        vocabulary_size=100, num_layers=2, num_heads=4, hidden_dim=32, intermediate_dim=64, max_sequence_length=16
    )
    ids = np.random.default_rng(0).integers(0, 100, (2, 8)).astype(np.int32)
    mask = np.ones((2, 8), np.int32)
    mask[1, -3:] = 0
    inputs = {"token_ids": ids, "segment_ids": np.zeros_like(ids), "padding_mask": mask}
    fn = _stateless(model)
    check_function(lambda inputs: fn(inputs), (inputs,), "keras_hub BertBackbone")

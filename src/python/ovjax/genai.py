"""JAX language models to OpenVINO GenAI: a directory ``openvino_genai.LLMPipeline`` loads.

    import ovjax.genai
    ovjax.genai.export(step, params, "out", tokenizer=tok, config=cfg)
    openvino_genai.LLMPipeline("out", "CPU").generate("Hello")

``step(params, input_ids, attention_mask, position_ids, past) -> (logits, present)`` is one
forward pass of a decoder with a key/value cache: ``input_ids`` and ``position_ids`` are
[B, S], ``attention_mask`` is [B, P + S] (1 for a token to attend to), ``past`` is a
sequence of per-layer ``(key, value)`` arrays [B, H, P, D] holding the P tokens seen so
far, and ``present`` the same arrays grown by the step's S tokens along axis 2 (the usual
``jnp.concatenate([past_k, k], axis=2)``). ``logits`` is [B, S, vocabulary].

``export`` traces ``step`` once with B, S and P symbolic, converts it with ovjax and
writes what GenAI's stateful pipeline reads (openvino.genai's contract, as optimum-intel
writes it for PyTorch models):

- ``openvino_model.xml/.bin``: inputs ``input_ids``, ``attention_mask``, ``position_ids``
  (i64) and ``beam_idx`` (i32, [B]); output ``logits``; the cache as OpenVINO state
  (ReadValue/Assign pairs named ``past_key_values.<layer>.key|value``), each read gathered
  by ``beam_idx`` along the batch, starting empty ([B, H, 0, D]);
- ``openvino_tokenizer.xml`` / ``openvino_detokenizer.xml`` from the transformers
  tokenizer (``openvino_tokenizers.convert_tokenizer``) and the tokenizer's own files;
- ``config.json`` and ``generation_config.json`` (bos/eos/pad ids).

JAX's symbolic dimensions are at least 1, so the trace sees P >= 1; GenAI's first step
has P = 0. The exported model is checked at P = 0 against ``step`` itself before it is
written (an empty cache must give the logits JAX gives).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

import numpy as np

__all__ = ["export", "adapt", "attend", "Config"]

INPUTS = ("input_ids", "attention_mask", "position_ids")


@dataclass(frozen=True)
class Config:
    """What ``export`` needs to know of the model beyond the step function."""

    num_layers: int
    num_kv_heads: int
    head_dim: int
    eos_token_id: int
    bos_token_id: int | None = None
    pad_token_id: int | None = None
    max_length: int = 2048  # the largest P + S: the bound of the symbolic sizes
    cache_dtype: str = "float32"
    model_type: str = "ovjax"  # written to config.json
    # per layer, the sliding window the step applies to its attention (the number of
    # positions a query sees, its own included, as _attend's window=), None for full
    # attention: export marks it on the layer's attention for GenAI's paged attention
    sliding_windows: tuple[int | None, ...] | None = None

    @classmethod
    def of(cls, config) -> Config:
        """A Config from a Config, a dict, or an object with these attributes (a
        transformers config: num_hidden_layers, num_key_value_heads, ...)."""
        if isinstance(config, Config):
            return config
        get = config.get if isinstance(config, dict) else lambda k, d=None: getattr(config, k, d)

        def first(*names, default=None):
            for n in names:
                v = get(n)
                if v is not None:
                    return v
            return default

        layers = first("num_layers", "num_hidden_layers", "n_layer")
        heads = first("num_kv_heads", "num_key_value_heads", "num_attention_heads", "n_head")
        head_dim = first("head_dim")
        if head_dim is None and first("hidden_size", "n_embd") is not None and first("num_attention_heads", "n_head"):
            head_dim = first("hidden_size", "n_embd") // first("num_attention_heads", "n_head")
        eos = first("eos_token_id")
        missing = [
            n
            for n, v in (("num_layers", layers), ("num_kv_heads", heads), ("head_dim", head_dim), ("eos_token_id", eos))
            if v is None
        ]
        if missing:
            raise ValueError(f"ovjax.genai: the config does not give {', '.join(missing)}")
        windows = first("sliding_windows")
        if windows is not None:
            windows = tuple(None if w is None else int(w) for w in windows)
            if len(windows) != int(layers) or any(w is not None and w < 1 for w in windows):
                raise ValueError(
                    f"ovjax.genai: sliding_windows must give each of the {int(layers)} layers a window of "
                    f"at least 1 or None; got {windows}"
                )
        return cls(
            num_layers=int(layers),
            num_kv_heads=int(heads),
            head_dim=int(head_dim),
            eos_token_id=int(eos),
            bos_token_id=first("bos_token_id"),
            pad_token_id=first("pad_token_id"),
            max_length=int(first("max_length", "max_position_embeddings", "n_positions", default=2048)),
            cache_dtype=str(first("cache_dtype", default="float32")),
            model_type=str(first("model_type", default="ovjax")),
            sliding_windows=windows,
        )


def export(model, params=None, out_dir=None, *, tokenizer, config=None, weights: str | None = None):
    """Write an LLMPipeline directory; returns the stateful ``openvino.Model``.

    ``export(step, params, out_dir, tokenizer=..., config=...)``: a step function (module
    docstring) with its parameters. ``export(model, out_dir, tokenizer=...)``: a
    transformers Flax causal LM holding its params (``FlaxGPT2LMHeadModel``,
    ``FlaxLlamaForCausalLM``); its step comes from this module's adapters and its config
    from the model. ``export(model, params, out_dir, tokenizer=...)``: a Gemma 3 model of
    Google DeepMind's ``gemma`` library (``gm.nn.Gemma3_1B()``, a ``gm.nn.Transformer``)
    and its params as gemma holds them apart from the model (``gm.ckpts.load_params``,
    ``model.init(...)["params"]``): the same arguments as a step function's, the step
    and config coming from the model (its local layers' sliding windows included; bos,
    eos and pad ids gemma's). It is exported in float32; the tokenizer is a transformers
    tokenizer of the model's vocabulary (GenAI converts those, not SentencePiece files).
    ``weights``: None (as they are), "int8" or "int4" (NNCF weight compression, as GenAI's
    compressed LLMs are made)."""
    import openvino as ov

    if out_dir is None and isinstance(params, (str, os.PathLike)):
        if config is not None:
            raise ValueError("ovjax.genai: a transformers model brings its own config; config= is for step functions")
        out_dir = os.fspath(params)
        step, params, config = adapt(model)
    elif _is_gemma(model):
        if config is not None:
            raise ValueError("ovjax.genai: a gemma model brings its own config; config= is for step functions")
        if out_dir is None:
            raise TypeError("ovjax.genai.export(model, params, out_dir, *, tokenizer): a gemma model needs its params")
        step, params, config = adapt(model, params)
    else:
        step = model
        if out_dir is None or config is None:
            raise TypeError(
                "ovjax.genai.export(step, params, out_dir, *, tokenizer, config): out_dir and config are needed"
            )
    cfg = Config.of(config)
    if weights not in (None, "int8", "int4"):
        raise ValueError(f"ovjax.genai: weights= takes None, 'int8' or 'int4', got {weights!r}")
    model = _stateless(step, params, cfg)
    _make_stateful(model, cfg)
    _mark_sliding_windows(model, cfg)
    _check_first_step(model, step, params, cfg)
    if weights is not None:
        model = _compress(model, weights)
    os.makedirs(out_dir, exist_ok=True)
    ov.save_model(model, os.path.join(out_dir, "openvino_model.xml"), compress_to_fp16=False)
    _write_tokenizer(tokenizer, out_dir)
    _write_configs(cfg, model.outputs[0].get_partial_shape()[2].get_length(), out_dir)
    return model


# ---------------------------------------------------------------- transformers adapters


def _is_gemma(model) -> bool:
    """A model of Google DeepMind's gemma library (a class of the gemma package, or a
    subclass of one), told apart without importing it."""
    return any(k.__module__.split(".")[0] == "gemma" for k in type(model).__mro__)


def adapt(model, params=None):
    """(step, params, Config) for a transformers Flax causal LM, ``adapt(model)``, or a
    Gemma 3 model of the ``gemma`` library with its params, ``adapt(model, params)``.
    Their own cache is preallocated to the longest length and written with
    dynamic_update_slice; these steps compute the same layers on a cache that grows by
    concatenation, GenAI's contract."""
    if _is_gemma(model):
        from gemma.gm.nn import _config, _transformer

        # Gemma 3n's Transformer subclasses gemma's, with a config (and layers) of its own
        if not isinstance(model, _transformer.Transformer) or type(model.config) is not _config.TransformerConfig:
            raise ValueError(
                f"ovjax.genai: no adapter for gemma's {type(model).__name__}; the gemma adapter takes Gemma 3 "
                "text models (gm.nn.Gemma3_1B, ..., a gm.nn.Transformer with a gm.nn.config.TransformerConfig)"
            )
        if params is None or isinstance(params, (str, os.PathLike)):
            raise ValueError(
                f"ovjax.genai: a gemma {type(model).__name__} holds no params: pass them, "
                "export(model, params, out_dir, tokenizer=...) (the params gemma's Sampler takes)"
            )
        import jax
        import jax.numpy as jnp

        if set(params) == {"params"}:  # the variables model.init returns
            params = params["params"]
        step, cfg = _gemma3(model.config)
        # the step computes in float32 (checkpoints restore as bfloat16), the cache's type
        params = jax.tree_util.tree_map(lambda a: jnp.asarray(a, jnp.float32), params)
        return step, params, Config.of(cfg)
    if params is not None:
        raise ValueError("ovjax.genai: a transformers model holds its params; adapt(model) takes no params")
    name = type(model).__name__
    adapters = {"FlaxGPT2LMHeadModel": _gpt2, "FlaxLlamaForCausalLM": _llama, "FlaxMistralForCausalLM": _llama}
    if name not in adapters:
        raise ValueError(
            f"ovjax.genai: no adapter for {name}; adapters exist for {', '.join(sorted(adapters))} "
            "and gemma.gm.nn's Gemma 3 models (export(model, params, out_dir, tokenizer=...)). "
            "Pass a step function instead: export(step, params, out_dir, tokenizer=..., config=...)"
        )
    step, cfg = adapters[name](model.config)
    gen = getattr(model, "generation_config", None)
    ids = {
        k: getattr(gen, k, None) if getattr(gen, k, None) is not None else getattr(model.config, k, None)
        for k in ("bos_token_id", "eos_token_id", "pad_token_id")
    }
    if isinstance(ids["eos_token_id"], (list, tuple)):
        ids["eos_token_id"] = ids["eos_token_id"][0]
    return step, model.params, Config.of({**cfg, **{k: v for k, v in ids.items() if v is not None}})


def _layer_norm(x, p, eps):
    import jax.numpy as jnp

    mean = x.mean(-1, keepdims=True)
    var = jnp.square(x - mean).mean(-1, keepdims=True)
    return (x - mean) / jnp.sqrt(var + eps) * p["scale"] + p["bias"]


def _rms_norm(x, weight, eps):
    import jax.numpy as jnp

    return weight * (x / jnp.sqrt(jnp.square(x).mean(-1, keepdims=True) + eps))


def _attend(q, k, v, attention_mask, *, scale=None, window=None):
    """Causal attention of q [B, S, H, D] over the cache k, v [B, Hkv, T, D] (the last S
    positions the step's own) and attention_mask [B, T]: [B, S, H, D]. Masked scores are
    float32's lowest value, as transformers' Flax models have them: the form ovjax fuses
    into ScaledDotProductAttention (which GenAI's paged attention and the CPU plugin's
    stateful attention take over).

    ``scale``: what the queries are multiplied by (1/sqrt(D) when None). ``window``: a
    sliding window (Gemma's local layers): a query sees the keys less than ``window``
    positions before its own, its own included, positions counted in attended tokens
    (the cumulative sum of ``attention_mask``, as GenAI and gemma number them)."""
    import jax
    import jax.numpy as jnp

    s, heads, depth = q.shape[1], q.shape[2], q.shape[3]
    t = k.shape[2]
    groups = heads // k.shape[1]
    if groups > 1:
        k, v = jnp.repeat(k, groups, axis=1), jnp.repeat(v, groups, axis=1)
    q = q / jnp.sqrt(depth).astype(q.dtype) if scale is None else q * jnp.asarray(scale, q.dtype)
    scores = jnp.einsum("bqhd,bhkd->bhqk", q, k)
    causal = jnp.arange(t)[None, :] <= jnp.arange(s)[:, None] + (t - s)
    allowed = causal[None, None] & (attention_mask[:, None, None, :] > 0)
    if window is not None:
        pos = jnp.cumsum((attention_mask > 0).astype(jnp.int32), axis=-1) - 1  # [B, T]
        near = pos[:, None, :] > pos[:, t - s :, None] - window  # [B, S, T]
        allowed = allowed & near[:, None]
    scores = jnp.where(allowed, scores, jnp.finfo(scores.dtype).min)
    return jnp.einsum("bhqk,bhkd->bqhd", jax.nn.softmax(scores, axis=-1), v)


def _grow(past, new):
    """The cache [B, H, P, D] grown by the step's keys or values [B, S, H, D]."""
    import jax.numpy as jnp

    return jnp.concatenate([past, new.transpose(0, 2, 1, 3)], axis=2)


def attend(mha, x, past, attention_mask, *, rotary=None):
    """A ``flax.nnx.MultiHeadAttention`` as causal self-attention over GenAI's growing
    cache, for nnx decoders' step functions: ``(out [B, S, out_features], (k, v))``.

    ``x`` is [B, S, in_features], ``past`` the layer's ``(k, v)``, each [B, num_kv_heads,
    P, head_dim], ``attention_mask`` [B, P + S]; the returned k, v are ``past`` grown by
    the step's S tokens to P + S. The module's own ``query``, ``key``, ``value`` and
    ``out`` projections are run (its bias, dtype and grouped-query heads included, and
    its query/key LayerNorms if it was built with ``normalize_qk``); the attention is its
    default ``dot_product_attention`` (queries scaled by 1/sqrt(head_dim)) with the
    causal mask and ``attention_mask``. ``rotary``: a callable applied to the queries and
    keys [B, S, heads, head_dim] before the keys are cached (rotary position embeddings,
    closed over the step's ``position_ids``). What the module would do differently on its
    own is an error: ``decode=True`` (its preallocated cache), an ``attention_fn`` other
    than the default (pass RoPE as ``rotary``), dropout that is not switched off
    (``deterministic=True``, ``model.eval()``), keys and values from other features."""
    from flax import nnx

    if not isinstance(mha, nnx.MultiHeadAttention):
        raise ValueError(f"ovjax.genai.attend: mha must be a flax.nnx.MultiHeadAttention, got {type(mha).__name__}")
    why = []
    if mha.decode:
        why.append("decode=True (its own preallocated cache; attend keeps the cache in past)")
    if mha.attention_fn is not nnx.dot_product_attention:
        name = getattr(mha.attention_fn, "__name__", type(mha.attention_fn).__name__)
        why.append(f"attention_fn={name} (attend runs dot_product_attention; pass rotary embeddings as rotary=)")
    if mha.dropout_rate > 0 and mha.deterministic is not True:
        why.append(f"dropout_rate={mha.dropout_rate} without deterministic=True (set it, or call model.eval())")
    if mha.in_kv_features != mha.in_features:
        why.append(f"in_kv_features={mha.in_kv_features} != in_features={mha.in_features} (not self-attention)")
    if why:
        raise ValueError(f"ovjax.genai.attend: the MultiHeadAttention has {'; '.join(why)}")
    past_k, past_v = past
    want = (mha.num_kv_heads, mha.head_dim)
    for name, a in (("past key", past_k), ("past value", past_v)):
        if len(a.shape) != 4 or (a.shape[1], a.shape[3]) != want:
            raise ValueError(
                f"ovjax.genai.attend: the {name} has shape {a.shape}; the module's cache is "
                f"[B, {want[0]}, P, {want[1]}] (num_kv_heads, head_dim)"
            )
    q, k, v = mha.query(x), mha.key(x), mha.value(x)  # [B, S, heads, head_dim]
    if mha.normalize_qk:
        q, k = mha.query_ln(q), mha.key_ln(k)
    if rotary is not None:
        q, k = rotary(q), rotary(k)
    k, v = _grow(past_k, k.astype(past_k.dtype)), _grow(past_v, v.astype(past_v.dtype))
    return mha.out(_attend(q, k.astype(q.dtype), v.astype(q.dtype), attention_mask)), (k, v)


def _gpt2(c):
    import jax
    import jax.numpy as jnp

    heads, width = c.n_head, c.n_embd
    depth = width // heads

    def dense(x, p):  # transformers' FlaxConv1D: kernel [out, in]
        return x @ p["kernel"].T + p["bias"]

    def step(params, input_ids, attention_mask, position_ids, past):
        p = params["transformer"]
        x = p["wte"]["embedding"][input_ids] + p["wpe"]["embedding"][position_ids]
        b, s = input_ids.shape
        present = []
        for i, (pk, pv) in enumerate(past):
            lp = p["h"][str(i)]
            h = _layer_norm(x, lp["ln_1"], c.layer_norm_epsilon)
            q, k, v = jnp.split(dense(h, lp["attn"]["c_attn"]), 3, axis=-1)
            q = q.reshape(b, s, heads, depth)
            k, v = _grow(pk, k.reshape(b, s, heads, depth)), _grow(pv, v.reshape(b, s, heads, depth))
            present.append((k, v))
            a = _attend(q, k, v, attention_mask).reshape(b, s, width)
            x = x + dense(a, lp["attn"]["c_proj"])
            h = _layer_norm(x, lp["ln_2"], c.layer_norm_epsilon)
            x = x + dense(jax.nn.gelu(dense(h, lp["mlp"]["c_fc"]), approximate=True), lp["mlp"]["c_proj"])
        x = _layer_norm(x, p["ln_f"], c.layer_norm_epsilon)
        return x @ p["wte"]["embedding"].T, present

    if c.activation_function != "gelu_new" or getattr(c, "scale_attn_by_inverse_layer_idx", False):
        raise ValueError("ovjax.genai: the GPT-2 adapter takes gelu_new and unscaled-by-layer attention")
    cfg = {
        "num_layers": c.n_layer,
        "num_kv_heads": heads,
        "head_dim": depth,
        "max_length": c.n_positions,
        "model_type": "gpt2",
        "eos_token_id": c.eos_token_id,
    }
    return step, cfg


def _llama(c):
    import jax
    import jax.numpy as jnp
    from transformers.models.llama.modeling_flax_llama import create_sinusoidal_positions

    heads, kv_heads, width = c.num_attention_heads, c.num_key_value_heads, c.hidden_size
    depth = width // heads
    sincos = np.asarray(create_sinusoidal_positions(c.max_position_embeddings, depth))  # [positions, 1, 2 * depth]
    bias = getattr(c, "attention_bias", False)
    if getattr(c, "rope_scaling", None) or c.hidden_act != "silu":
        raise ValueError("ovjax.genai: the Llama adapter takes silu and unscaled rotary embeddings")
    # Mistral's sliding window: a query sees the keys at most sliding_window positions before
    # its own (FlaxMistral's triu(causal, -sliding_window)), sliding_window + 1 with its own
    window = getattr(c, "sliding_window", None)
    window = window + 1 if window and window + 1 < c.max_position_embeddings else None

    def dense(x, p):  # flax Dense: kernel [in, out]
        return x @ p["kernel"] + (p["bias"] if bias and "bias" in p else 0)

    def rotate(x, sin, cos):
        half = x.shape[-1] // 2
        return x * cos + jnp.concatenate([-x[..., half:], x[..., :half]], axis=-1) * sin

    def step(params, input_ids, attention_mask, position_ids, past):
        p = params["model"]
        x = p["embed_tokens"]["embedding"][input_ids]
        b, s = input_ids.shape
        sin, cos = jnp.split(jnp.asarray(sincos)[position_ids], 2, axis=-1)  # [B, S, 1, depth] each
        present = []
        for i, (pk, pv) in enumerate(past):
            lp = p["layers"][str(i)]
            att = lp["self_attn"]
            h = _rms_norm(x, lp["input_layernorm"]["weight"], c.rms_norm_eps)
            q = rotate(dense(h, att["q_proj"]).reshape(b, s, heads, depth), sin, cos)
            k = rotate(dense(h, att["k_proj"]).reshape(b, s, kv_heads, depth), sin, cos)
            v = dense(h, att["v_proj"]).reshape(b, s, kv_heads, depth)
            k, v = _grow(pk, k), _grow(pv, v)
            present.append((k, v))
            x = x + dense(_attend(q, k, v, attention_mask, window=window).reshape(b, s, width), att["o_proj"])
            h = _rms_norm(x, lp["post_attention_layernorm"]["weight"], c.rms_norm_eps)
            mlp = lp["mlp"]
            x = x + dense(jax.nn.silu(dense(h, mlp["gate_proj"])) * dense(h, mlp["up_proj"]), mlp["down_proj"])
        x = _rms_norm(x, p["norm"]["weight"], c.rms_norm_eps)
        if "lm_head" in params:
            return x @ params["lm_head"]["kernel"], present
        return x @ p["embed_tokens"]["embedding"].T, present

    cfg = {
        "num_layers": c.num_hidden_layers,
        "num_kv_heads": kv_heads,
        "head_dim": depth,
        "max_length": c.max_position_embeddings,
        "model_type": c.model_type,  # llama, mistral
        "eos_token_id": c.eos_token_id,
        "sliding_windows": (window,) * c.num_hidden_layers if window else None,
    }
    return step, cfg


def _gemma3(c):
    """Gemma 3 text models of Google DeepMind's ``gemma`` library (``gemma.gm.nn.Gemma3_1B``,
    a ``gm.nn.Transformer`` with a ``TransformerConfig``) from the config: the layers of
    gemma's ``Transformer.__call__`` (gemma 4.0.1, gemma/gm/nn/_transformer.py and
    _modules.py) on GenAI's growing cache. Its own cache is preallocated [B, cache_size,
    K, H], written with dynamic_update_slice at end_index % cache_size, with the tokens'
    positions kept beside it for the sliding window."""
    import jax
    import jax.numpy as jnp
    from gemma.gm.nn import _modules

    why = []
    if c.attn_logits_soft_cap is not None:
        why.append(f"attn_logits_soft_cap={c.attn_logits_soft_cap} (Gemma 2's soft-capped attention scores)")
    kinds = set(c.attention_types) - {_modules.AttentionType.GLOBAL, _modules.AttentionType.LOCAL_SLIDING}
    if kinds:
        why.append(f"attention types {sorted(map(str, kinds))}")
    if _modules.AttentionType.LOCAL_SLIDING in c.attention_types and not c.sliding_window_size:
        why.append("local sliding attention without sliding_window_size")
    if min(c.local_scale_factor, c.global_scale_factor) < 1.0:
        why.append("a rotary scale factor below 1")
    if why:
        raise ValueError(f"ovjax.genai: the Gemma 3 adapter does not take {'; '.join(why)}")
    kv_heads, depth, width = c.num_kv_heads, c.head_dim, c.embed_dim
    local = [t == _modules.AttentionType.LOCAL_SLIDING for t in c.attention_types]
    scalar = c.query_pre_attn_scalar()

    def norm(x, p):  # gemma's RMSNorm: rsqrt, eps 1e-6, scale 1 + w
        return x * jax.lax.rsqrt(jnp.mean(jnp.square(x), axis=-1, keepdims=True) + 1e-6) * (1 + p["scale"])

    def rope(x, positions, base, scale):  # gemma.gm.math.apply_rope, [B, S, N, H] by [B, S]
        timescale = base ** (2.0 / depth * jnp.arange(0, depth // 2, dtype=jnp.float32))
        angles = positions[..., None] / timescale[None, None, :]
        angles = angles[..., None, :] / scale
        sin, cos = jnp.sin(angles), jnp.cos(angles)
        first, second = jnp.split(x, 2, axis=-1)
        return jnp.concatenate([first * cos - second * sin, second * cos + first * sin], axis=-1).astype(x.dtype)

    def step(params, input_ids, attention_mask, position_ids, past):
        table = params["embedder"]["input_embedding"]
        x = table[input_ids]
        x = x * jnp.sqrt(width).astype(x.dtype)
        present = []
        for i, (pk, pv) in enumerate(past):
            lp = params[f"layer_{i}"]
            att = lp["attn"]
            h = norm(x, lp["pre_attention_norm"])
            if "qkv_einsum" in att:  # num_kv_heads == num_heads
                q, k, v = jnp.einsum("BTD,SNDH->SBTNH", h, att["qkv_einsum"]["w"])
            else:
                q = jnp.einsum("BTD,NDH->BTNH", h, att["q_einsum"]["w"])
                k, v = jnp.einsum("BSD,CKDH->CBSKH", h, att["kv_einsum"]["w"])
            if c.use_qk_norm:
                q, k = norm(q, att["_query_norm"]), norm(k, att["_key_norm"])
            base, scale = (
                (c.local_base_frequency, c.local_scale_factor)
                if local[i]
                else (c.global_base_frequency, c.global_scale_factor)
            )
            q, k = rope(q, position_ids, base, scale), rope(k, position_ids, base, scale)
            k, v = _grow(pk, k), _grow(pv, v)
            present.append((k, v))
            window = c.sliding_window_size if local[i] else None
            a = _attend(q, k, v, attention_mask, scale=scalar, window=window)
            a = jnp.einsum("BTNH,NHD->BTD", a, att["attn_vec_einsum"]["w"])
            if c.use_post_attn_norm:
                a = norm(a, lp["post_attention_norm"])
            x = x + a
            h = norm(x, lp["pre_ffw_norm"])
            mlp = lp["mlp"]
            eq = "...F,NHF->...NH" if c.transpose_gating_einsum else "...F,NFH->...NH"
            gate = jnp.einsum(eq, h, mlp["gating_einsum"])
            h = jnp.einsum("...H,HF->...F", jax.nn.gelu(gate[..., 0, :]) * gate[..., 1, :], mlp["linear"])
            if c.use_post_ffw_norm:
                h = norm(h, lp["post_ffw_norm"])
            x = x + h
        x = norm(x, params["final_norm"])
        logits = x @ table.T
        if c.final_logit_softcap is not None:
            logits = jnp.tanh(logits / c.final_logit_softcap) * c.final_logit_softcap
        return logits, present

    special = c.input_config.special_tokens
    cfg = {
        "num_layers": c.num_layers,
        "num_kv_heads": kv_heads,
        "head_dim": depth,
        # Gemma 3's context: 32K tokens for 270M and 1B, 128K for the larger models (those
        # with global rotary embeddings scaled by 8)
        "max_length": 131072 if c.global_scale_factor != 1.0 else 32768,
        "model_type": "gemma3",
        "eos_token_id": int(special.EOS),
        "bos_token_id": int(special.BOS),
        "pad_token_id": int(special.PAD),
        "sliding_windows": tuple(c.sliding_window_size if w else None for w in local),
    }
    return step, cfg


# ---------------------------------------------------------------- tracing


def _stateless(step, params, cfg: Config):
    import jax
    import jax.numpy as jnp
    from jax import export as jexport

    from .convert import convert_model

    limit = cfg.max_length
    b, s, p = jexport.symbolic_shape("B, S, P", constraints=[f"S <= {limit}", f"P <= {limit}", f"P + S <= {limit}"])
    ids = jax.ShapeDtypeStruct((b, s), jnp.int32)
    mask = jax.ShapeDtypeStruct((b, p + s), jnp.int32)
    kv = jax.ShapeDtypeStruct((b, cfg.num_kv_heads, p, cfg.head_dim), jnp.dtype(cfg.cache_dtype))
    past = tuple((kv, kv) for _ in range(cfg.num_layers))

    def fn(input_ids, attention_mask, position_ids, past):
        out = step(params, input_ids, attention_mask, position_ids, past)
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise ValueError(
                f"ovjax.genai: the step function must return (logits, present); it returned {type(out).__name__}"
            )
        logits, present = out
        present = tuple(tuple(kv) for kv in present)
        _check_present(logits, present, cfg, b, s, p + s)
        return (logits,) + tuple(x for kv in present for x in kv)

    try:
        closed = jax.make_jaxpr(fn)(ids, mask, ids, past)
    except Exception as e:
        if isinstance(e, ValueError) and str(e).startswith("ovjax.genai:"):
            raise
        raise ValueError(
            "ovjax.genai: the step function does not trace with a symbolic batch B, sequence length S "
            "and cache length P; it must take any of them (a size written for one sequence length is "
            f"the usual cause). JAX said: {type(e).__name__}: {e}"
        ) from e
    return convert_model(closed)


def _check_present(logits, present, cfg: Config, batch, seq, grown) -> None:
    """``logits`` [batch, seq, vocabulary] and ``present`` as the contract has it: per layer a
    (key, value) pair of [batch, heads, P + S, head_dim] arrays (``grown`` is P + S)."""
    if len(logits.shape) != 3 or logits.shape[0] != batch or logits.shape[1] != seq:
        raise ValueError(
            f"ovjax.genai: logits must be [B, S, vocabulary] (one row per input token, GenAI reads the "
            f"last), got shape {logits.shape}"
        )
    if len(present) != cfg.num_layers or any(len(kv) != 2 for kv in present):
        raise ValueError(
            f"ovjax.genai: present must be {cfg.num_layers} (key, value) pairs, as past is; got "
            f"{[len(kv) for kv in present]}"
        )
    for layer, kv in enumerate(present):
        for x in kv:
            if len(x.shape) != 4 or (x.shape[0], x.shape[1], x.shape[3]) != (batch, cfg.num_kv_heads, cfg.head_dim):
                raise ValueError(
                    f"ovjax.genai: present[{layer}] has shape {x.shape}; the cache must stay "
                    f"[B, {cfg.num_kv_heads}, P + S, {cfg.head_dim}]"
                )
            if x.shape[2] != grown:
                raise ValueError(
                    f"ovjax.genai: present[{layer}] has {x.shape[2]} positions where the cache must grow "
                    "by the step's tokens along axis 2 to P + S (jnp.concatenate([past, new], axis=2))"
                )


# ---------------------------------------------------------------- the stateful model


def _make_stateful(model, cfg: Config) -> None:
    import openvino as ov
    import openvino.opset13 as ops
    from openvino._offline_transformations import apply_make_stateful_transformation

    params = model.get_parameters()
    n_kv = 2 * cfg.num_layers
    if len(params) != 3 + n_kv or len(model.outputs) != 1 + n_kv:
        raise ValueError(
            f"ovjax.genai: the converted step has {len(params)} inputs and {len(model.outputs)} outputs; "
            f"expected 3 + {n_kv} and 1 + {n_kv}"
        )
    # token inputs as GenAI feeds them (i64), converted to what the step was traced with
    for i, name in enumerate(INPUTS):
        old = params[i]
        new = ops.parameter(ov.PartialShape([-1, -1]), ov.Type.i64, name=name)
        new.output(0).get_tensor().set_names({name})
        cast = ops.convert(new, old.get_element_type())
        for target in list(old.output(0).get_target_inputs()):
            target.replace_source_output(cast.output(0))
        model.replace_parameter(i, new)
        new.output(0).get_tensor().set_names({name})
    beam = ops.parameter(ov.PartialShape([-1]), ov.Type.i32, name="beam_idx")
    beam.output(0).get_tensor().set_names({"beam_idx"})
    pairs = {}
    for k in range(n_kv):
        p = params[3 + k]
        which = f"{k // 2}.{'key' if k % 2 == 0 else 'value'}"
        past, present = f"past_key_values.{which}", f"present.{which}"
        # P is 0 at the first step: the cache's length takes any size from 0
        p.set_partial_shape(ov.PartialShape([-1, cfg.num_kv_heads, -1, cfg.head_dim]))
        p.set_friendly_name(past)
        users = list(p.output(0).get_target_inputs())
        reordered = ops.gather(p, beam, ops.constant(np.int64(0)), name=f"{past}/beam_idx")
        for target in users:
            target.replace_source_output(reordered.output(0))
        p.output(0).get_tensor().set_names({past})
        model.outputs[1 + k].get_tensor().set_names({present})
        pairs[past] = present
    model.outputs[0].get_tensor().set_names({"logits"})
    model.add_parameters([beam])
    model.validate_nodes_and_infer_types()
    apply_make_stateful_transformation(model, pairs)
    # each state starts as an empty [B, H, 0, D] (B that of input_ids): the CPU plugin's
    # stateful attention and GenAI's paged-attention conversion read the initial value
    ids = next(p for p in model.get_parameters() if p.output(0).get_names() == {"input_ids"})
    batch = ops.gather(ops.shape_of(ids, output_type="i64"), ops.constant(np.array([0], np.int64)), np.int64(0))
    for op in model.get_ops():
        if op.get_type_name() == "ReadValue":
            shape = ops.concat([batch, ops.constant(np.array([cfg.num_kv_heads, 0, cfg.head_dim], np.int64))], 0)
            op.set_arguments([ops.broadcast(ops.constant(0, op.get_output_element_type(0)), shape)])
    model.validate_nodes_and_infer_types()


def _mark_sliding_windows(model, cfg: Config) -> None:
    """Each sliding-window layer's attention mask in the form GenAI's paged attention
    conversion (SDPAToPagedAttention) reads a window from, gpt-oss's as optimum-intel
    exports it: Slice(Select(Broadcast(BitwiseAnd(BitwiseAnd(_, BitwiseAnd(BitwiseAnd(_,
    Greater(key position, query position + -window)), _)), _)), mask, lowest)); the paged
    attention kernel then applies the window itself (the mask is dropped there). The
    condition is the one the step's own mask already has (_attend's window: positions the
    cumulative sum of attention_mask), so the stateful model computes what it did."""
    import openvino as ov
    import openvino.opset13 as ops

    windows = cfg.sliding_windows
    if not windows or all(w is None for w in windows):
        return
    sdpa = [op for op in model.get_ordered_ops() if op.get_type_name() == "ScaledDotProductAttention"]
    if len(sdpa) != cfg.num_layers:
        raise ValueError(
            f"ovjax.genai: the converted step has {len(sdpa)} ScaledDotProductAttention operations for "
            f"{cfg.num_layers} layers; sliding windows need each layer's attention fused into one"
        )
    inputs = {p.output(0).get_any_name(): p for p in model.get_parameters()}
    i64 = lambda v: ops.constant(np.array(v, np.int64))  # noqa: E731
    # positions of the cache's tokens and of the step's own (the last S), as _attend counts them
    mask = ops.convert(inputs["attention_mask"], ov.Type.i64)
    pos = ops.subtract(ops.cumsum(mask, i64(1)), i64(1))  # [B, T]
    s = ops.gather(ops.shape_of(inputs["input_ids"], output_type="i64"), i64([1]), i64(0))
    t = ops.gather(ops.shape_of(mask, output_type="i64"), i64([1]), i64(0))
    key_pos = ops.unsqueeze(pos, i64([1, 2]))  # [B, 1, 1, T]
    query_pos = ops.unsqueeze(ops.slice(pos, ops.subtract(t, s), t, i64([1]), i64([1])), i64([1, 3]))  # [B, 1, S, 1]
    yes = ops.constant(np.array(True))
    for layer, (node, window) in enumerate(zip(sdpa, windows)):
        if window is None:
            continue
        old = node.input_value(3)
        if not old.get_element_type().is_real():
            raise ValueError(f"ovjax.genai: layer {layer}'s attention mask is not a float mask")
        offset = ops.constant(np.array(-window, np.int64), name=f"sliding_window.{layer}")
        near = ops.greater(key_pos, ops.add(query_pos, offset))
        cond = ops.bitwise_and(ops.bitwise_and(yes, ops.bitwise_and(ops.bitwise_and(yes, near), yes)), yes)
        cond = ops.broadcast(cond, ops.shape_of(old, output_type="i64"), broadcast_spec="BIDIRECTIONAL")
        lowest = ops.convert(ops.constant(np.float32(np.finfo(np.float32).min)), old.get_element_type())
        chosen = ops.select(cond, old, lowest)
        whole = ops.slice(chosen, i64([0]), i64([np.iinfo(np.int64).max]), i64([1]), i64([-1]))
        node.input(3).replace_source_output(whole.output(0))
    model.validate_nodes_and_infer_types()


def _check_first_step(model, step, params, cfg: Config) -> None:
    """The exported model at P = 0 and P > 0 (two steps of two prompts) against ``step``."""
    import jax.numpy as jnp
    import openvino as ov

    compiled = ov.Core().compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": "f32", "KV_CACHE_PRECISION": "f32"})
    req = compiled.create_infer_request()
    rng = np.random.default_rng(0)
    vocab = model.outputs[0].get_partial_shape()[2]
    high = vocab.get_length() if vocab.is_static else 2
    ids = rng.integers(0, high, (2, 3)).astype(np.int64)
    past = tuple(
        (jnp.zeros((2, cfg.num_kv_heads, 0, cfg.head_dim), cfg.cache_dtype),) * 2 for _ in range(cfg.num_layers)
    )
    total = 0
    req.reset_state()
    for s in (3, 1):
        tok = ids if s == 3 else rng.integers(0, high, (2, 1)).astype(np.int64)
        total += s
        mask = np.ones((2, total), np.int64)
        pos = np.broadcast_to(np.arange(total - s, total, dtype=np.int64), (2, s))
        want, present = step(
            params, jnp.asarray(tok, jnp.int32), jnp.asarray(mask, jnp.int32), jnp.asarray(pos, jnp.int32), past
        )
        past = tuple(tuple(kv) for kv in present)
        got = req.infer(
            {
                "input_ids": tok,
                "attention_mask": mask,
                "position_ids": np.ascontiguousarray(pos),
                "beam_idx": np.arange(2, dtype=np.int32),
            }
        )[0]
        err = float(np.abs(got - np.asarray(want, np.float32)).max())
        scale = max(float(np.abs(np.asarray(want)).max()), 1.0)
        if not err <= 1e-3 * scale:
            raise ValueError(
                f"ovjax.genai: the exported model's logits differ from the step function's by {err:.3g} "
                f"(largest {scale:.3g}) at the step with {total - s} cached tokens"
            )


def _compress(model, weights: str):
    import nncf
    from nncf.quantization.advanced_parameters import AdvancedCompressionParameters

    if weights == "int8":
        return nncf.compress_weights(model, mode=nncf.CompressWeightsMode.INT8_ASYM)
    # int4 in groups of 128 (NNCF's default); a layer whose channels do not divide into
    # them gets a smaller group (at least 32), or else NNCF's backup precision, instead of failing
    adjust = AdvancedCompressionParameters(group_size_fallback_mode=nncf.GroupSizeFallbackMode.ADJUST)
    return nncf.compress_weights(model, mode=nncf.CompressWeightsMode.INT4_ASYM, advanced_parameters=adjust)


# ---------------------------------------------------------------- tokenizer and configs


def _write_tokenizer(tokenizer, out_dir: str) -> None:
    import openvino as ov
    from openvino_tokenizers import convert_tokenizer

    # a decoder-only model generates after the prompt's last token: a batch of prompts is
    # padded on the left (as transformers generates), whatever side the tokenizer pads
    # for training; the user's tokenizer is left as it was
    side = getattr(tokenizer, "padding_side", None)
    if side is not None:
        tokenizer.padding_side = "left"
    try:
        tok, detok = convert_tokenizer(tokenizer, with_detokenizer=True)
        ov.save_model(tok, os.path.join(out_dir, "openvino_tokenizer.xml"))
        ov.save_model(detok, os.path.join(out_dir, "openvino_detokenizer.xml"))
        if hasattr(tokenizer, "save_pretrained"):
            tokenizer.save_pretrained(out_dir)  # special tokens and chat template, which GenAI reads
    finally:
        if side is not None:
            tokenizer.padding_side = side


def _write_configs(cfg: Config, vocab_size: int, out_dir: str) -> None:
    ids = {
        k: v
        for k, v in (
            ("bos_token_id", cfg.bos_token_id),
            ("eos_token_id", cfg.eos_token_id),
            ("pad_token_id", cfg.pad_token_id),
        )
        if v is not None
    }
    config = {
        "model_type": cfg.model_type,
        "num_hidden_layers": cfg.num_layers,
        "num_key_value_heads": cfg.num_kv_heads,
        "head_dim": cfg.head_dim,
        "max_position_embeddings": cfg.max_length,
        "vocab_size": vocab_size,
        **ids,
    }
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(out_dir, "generation_config.json"), "w") as f:
        json.dump(ids, f, indent=2)

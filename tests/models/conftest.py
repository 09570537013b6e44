import os

# Keras 3 picks its backend when it is first imported.
os.environ.setdefault("KERAS_BACKEND", "jax")

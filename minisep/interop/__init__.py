"""Moving models and weights between minisep and other frameworks.

    minisep.interop.torch   to_torch, torch_twin, copy_state_to_torch, from_torch (PyTorch, both ways)
    minisep.interop.keras   the Keras 3 argument mapping; keras_config, to_keras, to_keras_weights,
                            from_keras_weights, from_keras_layer

None of them imports torch or keras at import time: both stay optional.
"""

"""Activation functions (Keras 3 names, defaults and math), each paired with its derivative.

A layer calls `function(x, **kwargs)` forward and `function.derivative(grad, x, y, **kwargs)`
backward; the derivative returns a new array `grad * dy/dx` (the vector-Jacobian product for
softmax and log_softmax) and never writes into `grad`. Where the output y alone gives the slope,
`function.needs_input` is False and a layer may keep y only, passing x=None (half the memory).
The functions live in `rectifiers` (the ReLU family and smooth rectifiers) and `saturating`
(sigmoid, tanh, softmax, ...); `base` holds the registry and `derivative_of`.
"""
from trainwell._special import erf as _erf, erfc as _erfc  # noqa: F401  (_erf stays importable from here)
from trainwell.activations.base import (REGISTRY, derivative_of, deserialize, exponential, get, linear,
                                        serialize)
from trainwell.activations.rectifiers import (SELU_ALPHA, SELU_SCALE, elu, gelu, hard_silu, leaky_relu, mish,
                                              relu, relu6, selu, silu, softplus)
from trainwell.activations.saturating import hard_sigmoid, log_softmax, sigmoid, softmax, softsign, tanh

__all__ = ["REGISTRY", "SELU_ALPHA", "SELU_SCALE", "derivative_of", "deserialize", "elu", "exponential", "gelu",
           "get", "hard_sigmoid", "hard_silu", "leaky_relu", "linear", "log_softmax", "mish", "relu", "relu6",
           "selu", "serialize", "sigmoid", "silu", "softmax", "softplus", "softsign", "tanh"]

"""Layers, one file per family; every class is registered by name for configs and saving."""
from trainwell.layers.activation import ELU, PReLU, ReLU, RReLU, LeakyReLU, Softmax
from trainwell.layers.base import REGISTRY, Layer
from trainwell.layers.core import Activation, Dense, Flatten, Input, InputLayer, Reshape
from trainwell.layers.normalization import BatchNormalization
from trainwell.layers.preprocessing import Normalization, Rescaling
from trainwell.layers.regularization import AlphaDropout, Dropout
from trainwell.layers.variable import Variable

__all__ = ["ELU", "Activation", "AlphaDropout", "BatchNormalization", "Dense", "Dropout", "Flatten", "Input",
           "InputLayer", "Layer", "LeakyReLU", "Normalization", "PReLU", "REGISTRY", "RReLU", "ReLU", "Rescaling", "Reshape",
           "Softmax", "Variable"]

"""Layers, one file per family; every class is registered by name for configs and saving."""
from trainwell.layers.activation import ELU, PReLU, ReLU, RReLU, LeakyReLU, Softmax
from trainwell.layers.base import REGISTRY, Layer
from trainwell.layers.convolution import Conv2D
from trainwell.layers.core import Activation, Dense, Flatten, Input, InputLayer, Reshape
from trainwell.layers.normalization import BatchNormalization
from trainwell.layers.preprocessing import Normalization, Rescaling
from trainwell.layers.pooling import (AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D,
                                      MaxPooling2D)
from trainwell.layers.regularization import AlphaDropout, Dropout, SpatialDropout2D
from trainwell.layers.variable import Variable

__all__ = ["ELU", "Activation", "AlphaDropout", "AveragePooling2D", "BatchNormalization", "Conv2D", "Dense", "Dropout",
           "Flatten", "GlobalAveragePooling2D", "GlobalMaxPooling2D", "Input", "InputLayer", "Layer", "LeakyReLU",
           "MaxPooling2D", "Normalization", "PReLU", "REGISTRY", "RReLU", "ReLU", "Rescaling", "Reshape", "Softmax",
           "SpatialDropout2D", "Variable"]

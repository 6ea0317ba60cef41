"""Datasets shipped inside the package, so the demo and the tests run offline."""
from importlib import resources

import numpy


def load_digits():
    """The 8x8 handwritten digits (1,797 images, 10 classes, pixel values 0-16).

    Returns (images, labels): images of shape (1797, 8, 8) as float32 and labels as int64.
    Source: the UCI "Optical Recognition of Handwritten Digits" test set (Alpaydin & Kaynak,
    CC BY 4.0), as scikit-learn's `load_digits` ships it; stored here as a compressed NumPy file
    (no pickle).
    """
    with resources.files("trainwell.data").joinpath("digits.npz").open("rb") as handle:
        with numpy.load(handle, allow_pickle=False) as archive:
            return archive["images"].astype(numpy.float32), archive["target"].astype(numpy.int64)

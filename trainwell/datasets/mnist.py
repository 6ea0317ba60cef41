"""MNIST handwritten digits (LeCun, Cortes & Burges), downloaded as IDX files into the cache."""
from trainwell.datasets._download import cache_root
from trainwell.datasets.idx import load_idx_dataset

# Mirrors serving byte-identical copies of the original files, tried in order.
MIRRORS = ("https://storage.googleapis.com/cvdf-datasets/mnist/",
           "https://ossci-datasets.s3.amazonaws.com/mnist/")

# sha256 as published in tensorflow/datasets: tensorflow_datasets/url_checksums/mnist.txt (files of
# 9,912,422, 28,881, 1,648,877 and 4,542 bytes).
SHA256 = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}


def load_data(cache_dir=None):
    """MNIST: 60,000 training and 10,000 test images of handwritten digits 0-9, 28x28 grayscale.

    Returns ((x_train, y_train), (x_test, y_test)): images uint8 of shape (n, 28, 28) with pixel values
    0-255, labels uint8 of shape (n,), as Keras returns them. Scale before training (x / 255).

    The four IDX gzip files are downloaded once into `<cache>/mnist/`, where <cache> is `cache_dir`,
    else $TRAINWELL_DATA_DIR, else ~/.trainwell/datasets; each is checked against its published
    sha256 and written atomically. Offline with no cached copy, DownloadError names the URLs tried
    and the path to put the file at by hand.

    Differs from Keras: Keras downloads one `mnist.npz` into ~/.keras/datasets; trainwell reads the
    original IDX files. Example: `(x_train, y_train), (x_test, y_test) = mnist.load_data()`.
    """
    return load_idx_dataset("mnist", "mnist.load_data", MIRRORS, SHA256, cache_dir)


def cache_path(cache_dir=None):
    """The folder that holds (or will hold) the four MNIST files."""
    return cache_root(cache_dir) / "mnist"

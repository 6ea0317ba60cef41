"""Fashion-MNIST (Zalando Research, MIT licence), downloaded as IDX files into the cache."""
from trainwell.datasets._download import cache_root
from trainwell.datasets.idx import load_idx_dataset

# Keras's mirror first, then Zalando's own; both serve the same bytes (the sha256 below are published
# for both: tensorflow/datasets url_checksums/fashion_mnist.txt and keras/src/datasets/fashion_mnist.py).
MIRRORS = ("https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
           "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/")

SHA256 = {
    "train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    "train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    "t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
    "t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
}

CLASS_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


def load_data(cache_dir=None):
    """Fashion-MNIST: 60,000 training and 10,000 test 28x28 grayscale images of 10 kinds of clothing.

    Returns ((x_train, y_train), (x_test, y_test)): images uint8 of shape (n, 28, 28) with pixel values
    0-255, labels uint8 0-9 of shape (n,) naming CLASS_NAMES[label], as Keras returns them.

    The four IDX gzip files are downloaded once into `<cache>/fashion_mnist/`, where <cache> is
    `cache_dir`, else $TRAINWELL_DATA_DIR, else ~/.trainwell/datasets; each is checked against its
    published sha256 and written atomically. Offline with no cached copy, DownloadError names the
    URLs tried and the path to put the file at by hand. Keras takes no arguments and caches in
    ~/.keras/datasets/fashion-mnist. Example: `(x_train, y_train), _ = fashion_mnist.load_data()`.
    """
    return load_idx_dataset("fashion_mnist", "fashion_mnist.load_data", MIRRORS, SHA256, cache_dir)


def cache_path(cache_dir=None):
    """The folder that holds (or will hold) the four Fashion-MNIST files."""
    return cache_root(cache_dir) / "fashion_mnist"

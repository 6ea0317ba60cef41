"""Datasets with the Keras call shape `load_data()` -> ((x_train, y_train), (x_test, y_test)).

Downloaded sets (mnist, fashion_mnist, boston_housing) are cached in `cache_dir`, else
$TRAINWELL_DATA_DIR, else ~/.trainwell/datasets, sha256-checked and written atomically; imdb reads a
pickle-free file (see `imdb.load_data`); digits is bundled; wine, breast_cancer, diabetes and iris
come from scikit-learn (`pip install 'trainwell[data]'`). Tables in CSV files: `trainwell.data.load_csv`.
"""
from trainwell.datasets import boston_housing, fashion_mnist, idx, imdb, mnist
from trainwell.datasets._download import DownloadError, cache_root
from trainwell.datasets.sklearn_sets import breast_cancer, diabetes, digits, iris, wine

__all__ = ["DownloadError", "boston_housing", "breast_cancer", "cache_root", "diabetes", "digits", "fashion_mnist",
           "idx", "imdb", "iris", "mnist", "wine"]

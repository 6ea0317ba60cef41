"""Small tables bundled with scikit-learn (and trainwell's own digits), with the Keras call shape."""
import importlib

from trainwell._errors import bad_type, check_number
from trainwell.data.bundled import load_digits
from trainwell.data.split import train_test_split


class BundledSet:
    """One small bundled dataset; `load_data()` returns ((x_train, y_train), (x_test, y_test)).

    The split is `trainwell.data.train_test_split` after a seeded shuffle: test_size=0.2 of the samples
    go to the test set, seed=113 (Keras's loaders' seed) makes it repeatable, and stratify (default:
    True for classification sets, False for regression) keeps each class's share equal in both parts.
    Features are returned as scikit-learn gives them (float64), class labels as int64; nothing is
    scaled (fit a scaler on x_train only).
    """

    def __init__(self, name, sklearn_loader, task, description):
        self.name, self.sklearn_loader, self.task, self.description = name, sklearn_loader, task, description

    def load_data(self, test_size=0.2, seed=113, stratify=None):
        """((x_train, y_train), (x_test, y_test)); defaults test_size=0.2, seed=113, stratify by task."""
        where = f"{self.name}.load_data"
        check_number(where, "test_size", test_size, low=0, high=1, low_open=True, high_open=True)
        check_number(where, "seed", seed, low=0, integer=True)
        if stratify is None:
            stratify = self.task != "regression"
        elif not isinstance(stratify, bool):
            raise bad_type(where, "stratify", "True, False or None", stratify)
        x, y = self._arrays()
        return train_test_split(x, y, test_size=test_size, stratify=stratify, seed=seed)

    def _arrays(self):
        try:
            sklearn_datasets = importlib.import_module("sklearn.datasets")
        except ImportError as error:
            raise ImportError(
                f"trainwell.datasets.{self.name} reads its data from scikit-learn, which is not installed; "
                f"install it with `pip install 'trainwell[data]'` (or `pip install scikit-learn`).") from error
        bunch = getattr(sklearn_datasets, self.sklearn_loader)()
        target = bunch.target.astype("int64") if self.task != "regression" else bunch.target
        return bunch.data, target

    def __repr__(self):
        return f"<trainwell.datasets.{self.name}: {self.description}>"


class _Digits(BundledSet):
    """The 8x8 digits from trainwell's own bundled copy: images (n, 8, 8) float32 0-16, no scikit-learn."""

    def _arrays(self):
        return load_digits()


digits = _Digits("digits", None, "multiclass",
                 "1,797 8x8 handwritten digit images (values 0-16), 10 classes; bundled, needs no scikit-learn")
wine = BundledSet("wine", "load_wine", "multiclass",
                  "178 wines, 13 chemical measurements, 3 cultivars (classes 0-2)")
breast_cancer = BundledSet("breast_cancer", "load_breast_cancer", "binary",
                           "569 tumours, 30 cell-nucleus features, 0 malignant / 1 benign")
diabetes = BundledSet("diabetes", "load_diabetes", "regression",
                      "442 patients, 10 baseline variables (centred and scaled by scikit-learn), "
                      "target a disease-progression score one year later")
iris = BundledSet("iris", "load_iris", "multiclass",
                  "150 irises, 4 sepal/petal measurements in cm, 3 species (classes 0-2)")

"""Boston house prices, a regression task: 13 attributes, target the median home value in k$;
standardized inputs and the lecture's Dense(64, relu) → Dense(64, relu) → Dense(1) with mse loss and
mae metric; prints the test MAE and the MAE of always predicting the training mean.

Data: trainwell.datasets.boston_housing (downloaded once into the cache). Offline, or with
TRAINWELL_OFFLINE=1 and no cached copy, scikit-learn's diabetes table stands in (442 patients, 10
variables, target a disease-progression score); without scikit-learn either, the example says so and
exits 0. The data line says which. Run: `python examples/boston_housing.py` (100 epochs); CI:
`--quick` (30 epochs).
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import pathlib  # noqa: E402

import numpy  # noqa: E402

import _stand_in  # noqa: E402

from trainwell import layers, utils  # noqa: E402
from trainwell.data import StandardScaler  # noqa: E402
from trainwell.datasets import DownloadError, boston_housing, cache_root, diabetes  # noqa: E402
from trainwell.models import Sequential  # noqa: E402

NAME = "boston_housing"


def main(argv=None):
    args = _stand_in.arguments(__doc__.splitlines()[0], pathlib.Path(__file__).parent / "out", argv)
    utils.set_random_seed(args.seed)
    try:
        (x_train, y_train), (x_test, y_test), source = load(args.seed)
    except ImportError as error:
        print(f"skipped: Boston housing is not cached and the stand-in needs scikit-learn: {error}")
        return
    _stand_in.say_data(source)
    scaler = StandardScaler().fit(x_train)  # statistics from the training rows only
    x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)
    y_train, y_test = y_train.astype("float32"), y_test.astype("float32")

    model = Sequential([layers.Input(shape=(x_train.shape[1],)), layers.Dense(64, activation="relu"),
                        layers.Dense(64, activation="relu"), layers.Dense(1)])
    model.compile(optimizer="rmsprop", loss="mse", metrics=["mae"])
    epochs = 30 if args.quick else 100
    history = model.fit(x_train, y_train, batch_size=16, epochs=epochs, verbose=0)
    test_mse, test_mae = model.evaluate(x_test, y_test, verbose=0)
    mean_mae = float(numpy.mean(numpy.abs(y_test - y_train.mean())))
    print(f"test MAE: {test_mae:.3f} (predicting the training mean: {mean_mae:.3f})")
    _stand_in.write_record(args.out, NAME, {
        "data": source, "quick": args.quick, "seed": args.seed, "train_samples": len(x_train),
        "test_samples": len(x_test), "epochs_run": len(history.history["loss"]),
        "test_mse": _stand_in.finite(test_mse), "test_mae": _stand_in.finite(test_mae), "mean_baseline_mae": mean_mae})


def load(seed):
    """((x_train, y_train), (x_test, y_test), source); ImportError when the stand-in needs scikit-learn."""
    cached = (cache_root() / "boston_housing" / "boston_housing.npz").is_file()
    if cached or not _stand_in.offline():
        try:
            train, test = boston_housing.load_data()
            return train, test, "Boston housing (404 training, 102 test districts)"
        except (DownloadError, OSError) as error:
            print(f"Boston housing is not available ({type(error).__name__}); using the stand-in.")
    train, test = diabetes.load_data(seed=seed)
    return train, test, "stand-in: scikit-learn diabetes (442 patients, 10 variables), Boston housing not cached"


if __name__ == "__main__":
    main()

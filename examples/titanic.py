"""Titanic survival, a binary task from a CSV table: load_csv one-hot encodes Sex and Embarked and fills
the missing ages and ports, a standardized MLP with the 'binary' preset (sigmoid, binary cross-entropy)
predicts Survived; prints the test accuracy and the majority-class baseline.

Data: `--csv PATH` reads a real Titanic table (Kaggle's train.csv: PassengerId, Name, Ticket and Cabin
are dropped). Without it, a synthetic Titanic-like table from examples/_stand_in.py (its logistic
survival rule is documented there) is written to --out and used; the data line says which.
Run: `python examples/titanic.py [--csv train.csv]` (100 epochs); CI: `--quick` (10 epochs).
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import csv  # noqa: E402
import pathlib  # noqa: E402

import numpy  # noqa: E402

import _stand_in  # noqa: E402

from trainwell import utils  # noqa: E402
from trainwell.callbacks import EarlyStopping  # noqa: E402
from trainwell.data import StandardScaler, load_csv, train_test_split  # noqa: E402
from trainwell.tasks import build_mlp  # noqa: E402

NAME = "titanic"
NOT_FEATURES = ("PassengerId", "Name", "Ticket", "Cabin")  # identifiers and free text


def main(argv=None):
    args = _stand_in.arguments(__doc__.splitlines()[0], pathlib.Path(__file__).parent / "out", argv,
                               extra=lambda parser: parser.add_argument(
                                   "--csv", type=pathlib.Path, help="a real Titanic CSV (Kaggle's train.csv)"))
    utils.set_random_seed(args.seed)
    if args.csv is not None:
        path, source = args.csv, f"Titanic CSV {args.csv}"
    else:
        args.out.mkdir(parents=True, exist_ok=True)
        path = _stand_in.titanic_csv(args.out / "titanic_stand_in.csv", seed=args.seed)
        source = f"stand-in: synthetic Titanic-like table (891 rows, logistic survival rule), written to {path}"
    _stand_in.say_data(source)
    with open(path, newline="") as handle:
        header = next(csv.reader(handle))
    x, y, report = load_csv(path, "Survived", drop=[name for name in NOT_FEATURES if name in header])
    filled = {column["name"]: column["missing"] for column in report["columns"] if column.get("missing")}
    print(f"features: {', '.join(report['features'])}; filled cells: {filled}")

    (x_train, y_train), (x_test, y_test) = train_test_split(x, y, test_size=0.2, stratify=True, seed=args.seed)
    scaler = StandardScaler().fit(x_train)  # statistics from the training rows only
    x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)
    model = build_mlp("binary", input_shape=x.shape[1], n_outputs=1, hidden=(32, 16), dropout=0.2)
    epochs = 10 if args.quick else 100
    history = model.fit(x_train, y_train, batch_size=32, epochs=epochs, validation_split=0.15, verbose=0,
                        callbacks=[EarlyStopping(patience=10, restore_best_weights=True)])
    test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=0)
    majority = max(float(numpy.mean(y_test)), 1.0 - float(numpy.mean(y_test)))
    print(f"test accuracy: {test_accuracy:.4f} (majority-class baseline {majority:.4f})")
    _stand_in.write_record(args.out, NAME, {
        "data": source, "quick": args.quick, "seed": args.seed, "train_samples": len(x_train),
        "test_samples": len(x_test), "features": report["features"], "epochs_run": len(history.history["loss"]),
        "test_loss": _stand_in.finite(test_loss), "test_accuracy": _stand_in.finite(test_accuracy),
        "majority_baseline": majority})


if __name__ == "__main__":
    main()

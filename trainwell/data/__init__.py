"""Data: datasets that ship with trainwell, scaling, splitting and batching helpers."""
from trainwell.data.bundled import load_digits
from trainwell.data.csv_loader import load_csv
from trainwell.data.split import train_test_split

__all__ = ["load_csv", "load_digits", "train_test_split"]

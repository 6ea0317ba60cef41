"""Data: datasets that ship with trainwell, scaling, splitting and batching helpers."""
from trainwell.data.batching import RowSource, explain_steps, steps_per_epoch, total_steps
from trainwell.data.bundled import load_digits
from trainwell.data.csv_loader import load_csv
from trainwell.data.scaling import MinMaxScaler, StandardScaler
from trainwell.data.split import train_test_split, train_val_test_split

__all__ = ["MinMaxScaler", "RowSource", "StandardScaler", "explain_steps", "load_csv", "load_digits",
           "steps_per_epoch", "total_steps", "train_test_split", "train_val_test_split"]

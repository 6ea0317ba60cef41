"""CSVLogger: Keras's column layout, one flushed row per epoch, separator, append, a missing directory."""
import csv

import pytest

from tests.test_callbacks_early_stopping import fit, tiny_model
from tests.test_callbacks_monitor import ScriptedModel
from trainwell.callbacks import CSVLogger


def log_epochs(logger, epoch_logs):
    logger.set_model(ScriptedModel())
    logger.on_train_begin({})
    for epoch, logs in enumerate(epoch_logs):
        logger.on_epoch_end(epoch, dict(logs))
    logger.on_train_end({})


def test_columns_are_epoch_then_sorted_keys_with_na_validation_twins(tmp_path):
    path = tmp_path / "log.csv"
    log_epochs(CSVLogger(path), [{"loss": 0.5, "accuracy": 0.75}, {"loss": 0.25, "accuracy": 0.875}])
    assert path.read_bytes().decode() == ("epoch,accuracy,loss,val_accuracy,val_loss\r\n"
                                          "0,0.75,0.5,NA,NA\r\n"
                                          "1,0.875,0.25,NA,NA\r\n")


def test_with_validation_keys_no_columns_are_added_and_missing_values_are_na(tmp_path):
    path = tmp_path / "log.csv"
    log_epochs(CSVLogger(path), [{"val_loss": 0.5, "loss": 0.25}, {"loss": 0.125}])
    assert path.read_bytes().decode() == "epoch,loss,val_loss\r\n0,0.25,0.5\r\n1,0.125,NA\r\n"


def test_each_row_is_on_disk_when_its_epoch_ends(tmp_path):
    path = tmp_path / "log.csv"
    logger = CSVLogger(path)
    logger.set_model(ScriptedModel())
    logger.on_train_begin({})
    logger.on_epoch_end(0, {"loss": 0.5, "val_loss": 0.75})
    assert path.read_bytes().decode() == "epoch,loss,val_loss\r\n0,0.5,0.75\r\n"
    logger.on_train_end({})


def test_separator(tmp_path):
    path = tmp_path / "log.csv"
    log_epochs(CSVLogger(path, separator=";"), [{"loss": 0.5, "val_loss": 0.75}])
    assert path.read_bytes().decode() == "epoch;loss;val_loss\r\n0;0.5;0.75\r\n"


def test_append_adds_rows_under_the_existing_header(tmp_path):
    path = tmp_path / "log.csv"
    log_epochs(CSVLogger(path), [{"loss": 0.5, "val_loss": 0.75}])
    log_epochs(CSVLogger(path, append=True), [{"loss": 0.25, "val_loss": 0.5}])
    assert path.read_bytes().decode() == "epoch,loss,val_loss\r\n0,0.5,0.75\r\n0,0.25,0.5\r\n"


def test_without_append_the_file_is_rewritten(tmp_path):
    path = tmp_path / "log.csv"
    log_epochs(CSVLogger(path), [{"loss": 0.5, "val_loss": 0.75}])
    log_epochs(CSVLogger(path), [{"loss": 0.25, "val_loss": 0.5}])
    assert path.read_bytes().decode() == "epoch,loss,val_loss\r\n0,0.25,0.5\r\n"


def test_append_to_an_empty_file_writes_the_header(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("")
    log_epochs(CSVLogger(path, append=True), [{"loss": 0.5, "val_loss": 0.75}])
    assert path.read_bytes().decode() == "epoch,loss,val_loss\r\n0,0.5,0.75\r\n"


def test_append_with_other_columns_is_an_error_not_misaligned_rows(tmp_path):
    path = tmp_path / "log.csv"
    log_epochs(CSVLogger(path), [{"loss": 0.5, "val_loss": 0.75}])
    with pytest.raises(ValueError, match=r"CSVLogger: the columns of this run must be those already in"):
        log_epochs(CSVLogger(path, append=True), [{"loss": 0.5, "val_loss": 0.75, "accuracy": 0.5}])
    assert path.read_bytes().decode() == "epoch,loss,val_loss\r\n0,0.5,0.75\r\n"


def test_a_missing_directory_is_an_error_at_train_begin_naming_it(tmp_path):
    logger = CSVLogger(tmp_path / "no_such_dir" / "log.csv")
    logger.set_model(ScriptedModel())
    with pytest.raises(FileNotFoundError, match=r"CSVLogger: filename must be a path in an existing directory.*"
                       r"no_such_dir' does not exist"):
        logger.on_train_begin({})


@pytest.mark.parametrize("bad", [{"filename": 3}, {"separator": ""}, {"separator": ",,"}, {"separator": "\n"},
                                 {"append": "yes"}])
def test_bad_arguments_are_refused(tmp_path, bad):
    with pytest.raises((TypeError, ValueError), match=f"CSVLogger: {next(iter(bad))} must be"):
        CSVLogger(**{"filename": tmp_path / "log.csv", **bad})


def test_fit_writes_one_row_per_epoch_matching_the_history(tmp_path):
    path = tmp_path / "log.csv"
    model = tiny_model()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = fit(model, [CSVLogger(str(path))], epochs=3)
    with open(path, newline="") as file:
        rows = list(csv.DictReader(file))
    assert list(rows[0]) == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert [int(row["epoch"]) for row in rows] == [0, 1, 2]
    assert [float(row["loss"]) for row in rows] == history.history["loss"]
    assert [float(row["accuracy"]) for row in rows] == history.history["accuracy"]
    assert {row["val_loss"] for row in rows} == {"NA"}

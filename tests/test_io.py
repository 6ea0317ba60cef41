"""trainwell.io: all-or-nothing writes, writable-directory checks, guarded HDF5 reads, nested state in HDF5."""
import os
import pathlib
import subprocess
import sys

import h5py
import numpy as np
import pytest

from trainwell import io

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_a_successful_write_replaces_the_file_through_a_temporary_beside_it(tmp_path):
    target = tmp_path / "data.bin"
    target.write_bytes(b"old")
    with io.atomic_write(target) as handle:
        handle.write(b"new contents")
        temporary = [p.name for p in tmp_path.iterdir() if p.name != "data.bin"]
        assert len(temporary) == 1 and temporary[0].startswith(".data.bin.") and temporary[0].endswith(".tmp")
        assert target.read_bytes() == b"old"  # the target is untouched until the block ends
    assert target.read_bytes() == b"new contents"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.bin"]


def test_an_error_inside_the_block_keeps_the_old_file_and_removes_the_temporary(tmp_path):
    target = tmp_path / "data.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError, match="disk full"):
        with io.atomic_write(target, mode="w", encoding="utf-8") as handle:
            handle.write("half")
            raise RuntimeError("disk full")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.txt"]


def test_a_process_killed_mid_write_leaves_the_old_file_and_a_hidden_temporary(tmp_path):
    target = tmp_path / "model.h5"
    target.write_bytes(b"previous checkpoint")
    script = ("import os, sys; from trainwell import io\n"
              "with io.atomic_write(sys.argv[1]) as handle:\n"
              "    handle.write(b'partial'); handle.flush(); os._exit(9)\n")
    result = subprocess.run([sys.executable, "-c", script, str(target)], cwd=ROOT, env=_env(), check=False)
    assert result.returncode == 9
    assert target.read_bytes() == b"previous checkpoint"
    stale = [p.name for p in tmp_path.iterdir() if p.name != "model.h5"]
    assert len(stale) == 1 and stale[0].startswith(".model.h5.") and stale[0].endswith(".tmp")
    assert io.remove_stale_temporaries(target) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.h5"]


def test_mode_none_yields_a_path_for_h5py_and_the_file_gets_umask_permissions(tmp_path):
    target = tmp_path / "arrays.h5"
    with io.atomic_write(target, mode=None) as temporary, h5py.File(temporary, "w") as file:
        file["x"] = np.arange(3)
    with h5py.File(target, "r") as file:
        assert file["x"][()].tolist() == [0, 1, 2]
    umask = os.umask(0o022)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask  # as open() would create it, not mkstemp's 0o600


def test_a_missing_directory_is_named_in_the_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist") as error:
        with io.atomic_write(tmp_path / "absent" / "file.bin"):
            pass
    assert str(tmp_path / "absent") in str(error.value)


def test_writable_directory_check_names_missing_and_read_only_directories(tmp_path):
    io.check_writable_directory("Saver", "filepath", tmp_path)
    assert list(tmp_path.iterdir()) == []  # the probe file is gone
    with pytest.raises(FileNotFoundError, match=r"Saver: filepath must be a path in an existing directory"):
        io.check_writable_directory("Saver", "filepath", tmp_path / "absent")
    with pytest.raises(PermissionError, match=r"Saver: filepath must be a path in a directory this process can"):
        io.check_writable_directory("Saver", "filepath", read_only_directory(tmp_path))


def test_state_tree_round_trips_types_exactly(tmp_path):
    tree = {"epoch": 3, "loss_sum": 0.1 + 0.2, "big": 2**127 + 5, "flag": True, "none": None, "name": "a/b",
            "nested": [1, [2.5, {"k": "v"}]], "weights": [np.arange(6, dtype=np.float32).reshape(2, 3)],
            "scalar32": np.float32(1.25), "scalar64": np.float64(-0.5), "count": np.int64(7)}
    with h5py.File(tmp_path / "t.h5", "w") as file:
        io.write_tree(file.create_group("state"), tree)
    with io.hdf5_reader(tmp_path / "t.h5", "test") as file:
        back = io.read_tree(file["state"], "test", "t.h5")
    assert back["loss_sum"] == 0.30000000000000004 and type(back["loss_sum"]) is float
    assert back["big"] == 2**127 + 5 and back["flag"] is True and back["none"] is None and back["name"] == "a/b"
    assert back["nested"] == [1, [2.5, {"k": "v"}]]
    assert back["weights"][0].dtype == np.float32 and back["weights"][0].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert type(back["scalar32"]) is np.float32 and back["scalar32"] == 1.25
    assert type(back["scalar64"]) is np.float64 and type(back["count"]) is np.int64


def test_reads_refuse_non_numeric_data_links_and_non_json_text(tmp_path):
    path = tmp_path / "odd.h5"
    with h5py.File(path, "w") as file:
        file["text"] = "not json {"
        file["objects"] = np.array([b"\x80\x04pickle"], dtype=h5py.string_dtype("ascii"))
        file["numbers"] = np.zeros(3)
        file["link"] = h5py.SoftLink("/numbers")
    with io.hdf5_reader(path, "reader") as file:
        with pytest.raises(ValueError, match="is not JSON text"):
            io.read_json(file, "text", "reader", path)
        with pytest.raises(ValueError, match="must hold numbers"):
            io.read_array(file["objects"], "reader", path)
        with pytest.raises(ValueError, match="has shape \\(3,\\); the model needs \\(4,\\)"):
            io.read_array(file["numbers"], "reader", path, shape=(4,))
        with pytest.raises(ValueError, match="/link is not a stored dataset"):
            io.child(file, "link", h5py.Dataset, "reader", path)


def test_hdf5_reader_turns_truncation_and_foreign_bytes_into_errors_naming_the_file(tmp_path):
    good = tmp_path / "good.h5"
    with h5py.File(good, "w") as file:
        file["x"] = np.arange(100000.0)
    truncated = tmp_path / "cut.h5"
    truncated.write_bytes(good.read_bytes()[:5000])
    text = tmp_path / "text.h5"
    text.write_text("hello")
    for path in (truncated, text):
        with pytest.raises(ValueError, match="not a readable HDF5 file") as error:
            with io.hdf5_reader(path, "reader"):
                pass
        assert str(path) in str(error.value)
    with pytest.raises(FileNotFoundError, match="reader: filepath must be an existing file"):
        with io.hdf5_reader(tmp_path / "absent.h5", "reader"):
            pass


def read_only_directory(tmp_path):
    """A directory where no file can be created: mode 0o555, or /sys for root (who ignores mode bits)."""
    directory = tmp_path / "read_only"
    directory.mkdir()
    directory.chmod(0o555)
    return directory if os.geteuid() != 0 else pathlib.Path("/sys")


def _env():
    return {**os.environ, "PYTHONPATH": str(ROOT)}

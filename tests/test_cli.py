"""The `trainwell` command."""
import pytest

from trainwell import cli


def test_demo_trains_and_reports_test_accuracy(capsys):
    accuracy = cli.demo(epochs=2, seed=3, verbose=0)
    out = capsys.readouterr().out
    assert "Total params: 52,210" in out  # 64*300+300 + 4*300 + 300*100+100 + 4*100 + 100*10+10
    assert f"accuracy {accuracy:.4f}" in out
    assert accuracy > 0.8  # two epochs of Adam on digits; chance is 0.1


def test_unknown_command_exits_with_usage():
    with pytest.raises(SystemExit):
        cli.main(["train-everything"])

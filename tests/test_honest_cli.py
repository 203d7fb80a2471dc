"""The `honest` dispatcher: every package's subcommands registered, and a command whose
optional extra is missing exits 2 naming what to install (no traceback)."""

import importlib.util

import pytest

import honest_cli


def test_every_package_contributes_its_subcommands():
    sub = next(a for a in honest_cli.build_parser()._actions if a.dest == "command")
    assert {"generate", "serve", "check", "solve", "export", "train", "eval",
            "demo"} <= set(sub.choices)


@pytest.mark.parametrize("command", [["demo", "--quick"], ["train", "--method", "sft", "--data",
                                                             "x.jsonl", "--out", "o"]])
def test_a_missing_extra_exits_2_and_says_what_to_install(monkeypatch, capsys, command):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "transformers" else real(name, *a))
    assert honest_cli.main(command) == 2
    err = capsys.readouterr().err
    assert "needs the 'train' extra" in err and "transformers" in err
    assert "pip install torch==2.13.0 'honest-deduction[train]'" in err
    assert "Traceback" not in err


def test_an_undeclared_missing_module_of_an_extra_command_is_reported_too(monkeypatch, capsys):
    def handler(args):
        raise ModuleNotFoundError("No module named 'trl'", name="trl")
    parser = honest_cli.build_parser()
    args = parser.parse_args(["demo", "--quick"])
    monkeypatch.setattr(honest_cli, "build_parser", lambda: _Fixed(args, handler))
    assert honest_cli.main(["demo"]) == 2
    assert "needs the 'train' extra" in capsys.readouterr().err


class _Fixed:
    def __init__(self, args, handler):
        args.handler = handler
        self.args = args

    def parse_args(self, argv):
        return self.args

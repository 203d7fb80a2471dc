"""One item schema under ``datasets`` (files of both tasks and both kinds load together,
in any order) and ``honest export`` to verl parquet and OpenRLHF JSONL: rows re-check
with the verifier, a bad line stops the export with its line number, bad paths exit 2."""

import json

import pytest

import honest_cli
from clients.checking import LocalChecker
from helpers import read_jsonl, run_honest
from test_tasks import audit
from verifier.tasks.common import META_TYPES

datasets = pytest.importorskip("datasets")
pq = pytest.importorskip("pyarrow.parquet")

#: the issue's four files: both tasks, default mix, only answerable, only unanswerable
SETS = {"la": ["graphla"], "li": ["graphli"],
        "la_answerable": ["graphla", "--unanswerable-share", "0"],
        "li_unanswerable": ["graphli", "--unanswerable-share", "1"]}
N = 10
COLUMNS = ["id", "domain", "prompt", "premises", "query", "answer", "trajectory", "meta"]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sets")
    out = {}
    for name, args in SETS.items():
        out[name] = folder / f"{name}.jsonl"
        assert honest_cli.main(["generate", *args, "-n", str(N), "--seed", "3",
                                "-o", str(out[name]), "--no-progress"]) == 0
    return out


def load_json(paths, cache):
    datasets.disable_progress_bars()
    return datasets.load_dataset("json", data_files=[str(p) for p in paths], split="train",
                                 cache_dir=str(cache))


def export(capsys, *args):
    """``honest export ...`` in this process: (exit code, stderr)."""
    try:
        code = honest_cli.main(["export", *map(str, args)])
    except SystemExit as e:  # argparse's own errors
        code = e.code
    return code, capsys.readouterr().err


def recheck(problem_json: str, trajectory: str) -> str:
    problem = json.loads(problem_json)
    assert set(problem) == {"domain", "premises", "query"}
    return LocalChecker().check({**problem, "response": trajectory}, True)["verdict"]


# ---------------------------------------------------------------- the item schema

def test_generated_files_load_together_in_any_order(files, tmp_path):
    order = [files[k] for k in ("la", "li", "la_answerable", "li_unanswerable")]
    for i, paths in enumerate([order, order[::-1], order[2:] + order[:2]]):
        ds = load_json(paths, tmp_path / f"cache{i}")
        assert ds.num_rows == 4 * N and ds.column_names == COLUMNS
        assert list(ds.features["meta"]) == list(META_TYPES)
        assert ds.features["meta"]["perturbation"] == datasets.Value("string")
        assert ds.features["meta"]["cut_depth"] == datasets.Value("int64")
        assert ds.features["meta"]["rules"] == datasets.List(datasets.Value("string"))
    assert sorted(ds["domain"]) == ["linear"] * 2 * N + ["logic"] * 2 * N


def test_every_kind_of_file_infers_the_same_schema(files, tmp_path):
    """Order-independence follows from this: ``datasets`` types a set by its first file."""
    schemas = {name: load_json([path], tmp_path / name).features for name, path in files.items()}
    assert all(f == schemas["la"] for f in schemas.values()), schemas


def test_items_written_today_round_trip_through_the_verifier(files):
    for path in files.values():
        audit(read_jsonl(path))


# ---------------------------------------------------------------- honest export

@pytest.mark.parametrize("split", ["train", None])
def test_export_verl_rows_recheck_with_the_verifier(files, tmp_path, capsys, split):
    for name in ("la", "li_unanswerable"):
        out = tmp_path / f"{name}.parquet"
        code, err = export(capsys, "--format", "verl", files[name], "-o", out, "--no-progress",
                           *(["--split", split] if split else []))
        assert code == 0, err
        rows = pq.read_table(out).to_pylist()
        items = read_jsonl(files[name])
        assert len(rows) == len(items) == N
        for i, (row, item) in enumerate(zip(rows, items)):
            assert list(row) == ["data_source", "prompt", "ability", "reward_model",
                                 "extra_info"]
            assert row["data_source"] == item["meta"]["task"] and row["ability"] == "deduction"
            assert row["prompt"] == [{"role": "user", "content": item["prompt"]}]
            assert row["reward_model"]["style"] == "rule"
            assert row["extra_info"] == {"id": item["id"], "index": i, "split": split,
                                         "depth": item["meta"]["depth"],
                                         "answerable": item["answer"] != "Unknown",
                                         "answer": item["answer"]}
            assert recheck(row["reward_model"]["ground_truth"], item["trajectory"]) == "correct"


def test_export_verl_files_load_together_with_datasets(files, tmp_path, capsys):
    outs = []
    for name, split in (("la", "train"), ("li", None)):  # the split null in one file only
        outs.append(tmp_path / f"{name}.parquet")
        code, err = export(capsys, "--format", "verl", files[name], "-o", outs[-1],
                           "--no-progress", *(["--split", split] if split else []))
        assert code == 0, err
    datasets.disable_progress_bars()
    ds = datasets.load_dataset("parquet", data_files=[str(p) for p in outs[::-1]],
                               split="train", cache_dir=str(tmp_path / "cache"))
    assert ds.num_rows == 2 * N and sorted(set(ds["data_source"])) == ["graphla", "graphli"]


def test_export_openrlhf_rows_recheck_with_the_verifier(files, tmp_path, capsys):
    out = tmp_path / "li.jsonl"
    code, err = export(capsys, "--format", "openrlhf", files["li"], "-o", out, "--no-progress")
    assert code == 0, err
    rows, items = read_jsonl(out), read_jsonl(files["li"])
    assert [r["id"] for r in rows] == [it["id"] for it in items]
    for row, item in zip(rows, items):
        assert set(row) == {"input", "label", "id"} and row["input"] == item["prompt"]
        assert recheck(row["label"], item["trajectory"]) == "correct"


def test_export_reads_items_written_before_the_unified_meta(files, tmp_path, capsys):
    item = read_jsonl(files["la"])[1]
    item["meta"] = {"depth": 2, "dishes": 7, "distractors": 1, "seed": 3, "index": 1,
                    "perturbation": None, "cut_depth": None, "attempts": 1}
    src, out = tmp_path / "old.jsonl", tmp_path / "old.parquet"
    src.write_text(json.dumps(item) + "\n")
    code, err = export(capsys, "--format", "verl", src, "-o", out, "--no-progress")
    assert code == 0, err
    row = pq.read_table(out).to_pylist()[0]
    assert row["data_source"] == "graphla" and row["extra_info"]["depth"] == 2


def test_export_shows_progress_on_stderr_unless_told_not_to(files, tmp_path, capsys):
    out = tmp_path / "x.jsonl"
    _, err = export(capsys, "--format", "openrlhf", files["la"], "-o", out)
    assert "export openrlhf" in err and f"{N}/{N}" in err
    _, err = export(capsys, "--format", "openrlhf", files["la"], "-o", out, "--no-progress")
    assert "export openrlhf" not in err and f"wrote {N} rows" in err


GOOD = {"id": "g-1", "domain": "logic", "prompt": "p", "premises": ["a -> b", "a"],
        "query": "b", "answer": "True", "trajectory": "Answer: True",
        "meta": {"task": "graphli", "depth": 1}}


@pytest.mark.parametrize("bad,message", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "expected a JSON object"),
    (json.dumps({k: v for k, v in GOOD.items() if k != "query"}), "missing field 'query'"),
    (json.dumps({**GOOD, "premises": ["a ->"]}), "premise 1"),
    (json.dumps({**GOOD, "domain": "chess"}), "domain must be one of"),
    (json.dumps({**GOOD, "meta": {"depth": "deep"}}), "meta.depth must be an integer"),
    (json.dumps({**GOOD, "meta": {"depth": 1, "answerable": False}}), "meta.answerable"),
    (json.dumps({**GOOD, "id": "ok"}), "already appeared on line 1"),
    (json.dumps({**GOOD, "meta": {"depth": 1}}), "cannot tell which task"),
])
@pytest.mark.parametrize("fmt,ext", [("verl", "parquet"), ("openrlhf", "jsonl")])
def test_export_stops_at_a_bad_line_and_leaves_no_output(tmp_path, capsys, bad, message,
                                                         fmt, ext):
    ok = {**GOOD, "id": "ok"}
    src, out = tmp_path / "in.jsonl", tmp_path / f"out.{ext}"
    src.write_text(json.dumps(ok) + "\n\n" + bad + "\n" + json.dumps(ok | {"id": "z"}) + "\n")
    code, err = export(capsys, "--format", fmt, src, "-o", out, "--no-progress")
    assert code == 2
    assert f"{src} line 3: " in err and message in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]  # no output, no temp


def test_export_rejects_bad_paths_and_options_with_exit_2(files, tmp_path, capsys):
    src = files["la"]
    cases = [
        (["--format", "verl", tmp_path / "missing.jsonl", "-o", tmp_path / "o.parquet"],
         "no such file"),
        (["--format", "verl", src, "-o", tmp_path / "o.jsonl"], "writes .parquet files"),
        (["--format", "openrlhf", src, "-o", tmp_path / "o.parquet"], "writes .jsonl or .json"),
        (["--format", "verl", src, "-o", tmp_path / "nodir" / "o.parquet"], "does not exist"),
        (["--format", "openrlhf", src, "-o", src], "is the input file"),
        (["--format", "openrlhf", src, "-o", tmp_path / "o.jsonl", "--split", "train"],
         "goes with --format verl"),
        (["--format", "csv", src, "-o", tmp_path / "o.csv"], "invalid choice: 'csv'"),
    ]
    for args, message in cases:
        code, err = export(capsys, *args, "--no-progress")
        assert code == 2 and message in err, (args, err)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    code, err = export(capsys, "--format", "verl", empty, "-o", tmp_path / "e.parquet")
    assert code == 2 and "holds no items" in err
    assert not list(tmp_path.glob("*.parquet")) and not list(tmp_path.glob(".*.part"))


def test_export_command_exits_2_with_the_line_in_a_subprocess(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({**GOOD, "premises": "a"}) + "\n")
    r = run_honest("export", "--format", "openrlhf", src, "-o", tmp_path / "o.jsonl")
    assert r.returncode == 2 and "line 1: field 'premises' must be a list" in r.stderr

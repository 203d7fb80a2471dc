"""``honest audit``: verdicts equal ``honest check``'s (in process and through a real
service), summary rates and intervals, bad input, and a self-contained report that a
real browser renders."""

import base64
import importlib.util
import json
import re
import sys
from collections import Counter
from pathlib import Path

import pytest

from clients.audit import step_fields
from clients.audit.sample import synthetic_outputs
from clients.audit.summary import Summary, wilson
from helpers import ROOT, read_jsonl, run_honest
from verifier import tasks

CHECK_FIELDS = ("verdict", "reward", "answer", "status", "expected", "inconsistent")


def _outputs(path: Path) -> list[dict]:
    """Two models over 25 GraphLA + 25 GraphLI items (gold, slips, wrong values, invented
    answers, abstentions, garbage), some as prompt text only, plus bad lines."""
    items = []
    for task in ("graphla", "graphli"):
        items += tasks.get(task).generate(tasks.config(task, depth="1-5"), 25, seed=3)
    rows = synthetic_outputs(items, seed=1)
    for i, row in enumerate(rows):
        if i % 3 == 0:  # the natural-language form of the problem
            for key in ("domain", "premises", "query"):
                row.pop(key)
        if i % 7 == 0:  # depth at the top level instead of meta.depth
            row["depth"] = row.pop("meta")["depth"]
    rows.insert(5, {"model": "model-a", "domain": "linear", "premises": ["a = b*c"],
                    "query": "a", "response": "Answer: 1"})
    rows.insert(9, {"model": "model-b", "domain": "linear", "premises": ["a = 1"],
                    "query": "a"})
    rows.insert(13, {"model": "<b>model-c</b>", "domain": "logic", "premises": ["p"],
                     "query": "p", "response": "<script>alert(1)</script>\nAnswer: False"})
    with open(path, "w", encoding="utf-8") as f:
        for i, row in enumerate(rows):
            f.write(json.dumps(row) + "\n")
            if i == 20:
                f.write("{not json\n\n")
    return rows


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("audit")
    path = tmp / "outputs.jsonl"
    rows = _outputs(path)
    audit = run_honest("audit", path, "--report", tmp / "report", "--by", "kind",
                       "--by", "meta.perturbation", "--examples", "5", "--no-progress")
    assert audit.returncode == 0, audit.stderr
    check = run_honest("check", "--jsonl", path, "--no-progress")
    assert check.returncode == 0, check.stderr
    checked = [json.loads(line) for line in check.stdout.splitlines()]
    return {"dir": tmp / "report", "path": path, "rows": rows, "checked": checked,
            "items": read_jsonl(tmp / "report" / "items.jsonl"),
            "summary": json.loads((tmp / "report" / "summary.json").read_text())}


def _models(path: Path) -> list:
    """The model of each non-blank input line (None where the line is not JSON)."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            try:
                out.append(json.loads(line).get("model"))
            except json.JSONDecodeError:
                out.append(None)
    return out


def _verdict_counts(results: list[dict], models: list) -> Counter:
    return Counter((m, r.get("verdict", "error")) for m, r in zip(models, results))


def test_audit_items_equal_check_line_for_line(run):
    items, checked = run["items"], run["checked"]
    assert len(items) == len(checked) == len(run["rows"]) + 1  # + the line that is not JSON
    for item, chk in zip(items, checked):
        if "error" in chk:
            assert item["error"] == chk["error"] and item["line"] == chk["line"]
        else:
            assert {k: item[k] for k in CHECK_FIELDS + ("certificate",)} == \
                   {k: chk[k] for k in CHECK_FIELDS + ("certificate",)}
            assert item.get("id") == chk.get("id")


def test_audit_verdict_counts_equal_check_overall_and_per_model(run):
    models = _models(run["path"])
    assert _verdict_counts(run["items"], models) == _verdict_counts(run["checked"], models)
    s = run["summary"]
    counts = Counter(c["verdict"] for c in run["checked"] if "verdict" in c)
    assert s["overall"]["verdicts"] == {v: counts[v] for v in s["overall"]["verdicts"]}
    assert all(counts[v] > 0 for v in s["overall"]["verdicts"])  # every verdict occurs
    for model, m in s["by"]["model"].items():
        want = Counter(c["verdict"] for c, mm in zip(run["checked"], models)
                       if "verdict" in c and str(mm) == model)
        assert m["verdicts"] == {v: want[v] for v in m["verdicts"]}, model
    assert s["overall"]["errors"] == 3 and s["lines"] == len(run["items"])


def test_audit_through_a_service_equals_check(run, server, tmp_path):
    audit = run_honest("audit", run["path"], "--report", tmp_path, "--server",
                       server.address, "--no-progress")
    assert audit.returncode == 0, audit.stderr
    check = run_honest("check", "--jsonl", run["path"], "--server", server.address,
                       "--no-progress")
    assert check.returncode == 0, check.stderr
    checked = [json.loads(line) for line in check.stdout.splitlines()]
    items = read_jsonl(tmp_path / "items.jsonl")
    assert [{k: i.get(k) for k in CHECK_FIELDS} for i in items] == \
           [{k: c.get(k) for k in CHECK_FIELDS} for c in checked]
    assert [{k: c.get(k) for k in CHECK_FIELDS} for c in checked] == \
           [{k: c.get(k) for k in CHECK_FIELDS} for c in run["checked"]]
    assert [(i["line"], i["error"]) for i in items if "error" in i] == \
           [(c["line"], c["error"]) for c in checked if "error" in c]
    assert [i.get("steps") for i in items] == [i.get("steps") for i in run["items"]]


def test_audit_items_carry_id_model_depth_and_step_audit(run):
    for row, item in zip([r for r in run["rows"]], [i for i in run["items"] if i["line"] != 22]):
        assert item["model"] == row.get("model") and item.get("id") == row.get("id")
        depth = (row.get("meta") or {}).get("depth", row.get("depth"))
        assert item["depth"] == depth
        if "error" not in item:
            assert {"steps", "first_unsupported_line", "unrecognised_lines"} <= set(item)
    slips = [i for i, r in zip([i for i in run["items"] if i["line"] != 22], run["rows"])
             if r.get("kind") == "slip" and r["response"] != r["trajectory"]]
    assert slips and all(i["verdict"] == "correct" and i["first_unsupported_line"] is not None
                         for i in slips)
    gold = [i for i, r in zip([i for i in run["items"] if i["line"] != 22], run["rows"])
            if r.get("kind") == "gold"]
    assert gold and all(i["first_unsupported_line"] is None for i in gold)


def test_audit_bad_lines_get_error_entries_and_the_run_goes_on(run):
    errors = [i for i in run["items"] if "error" in i]
    assert [e["error"]["kind"] for e in errors] == ["parse_error", "invalid_input",
                                                    "invalid_input"]
    assert errors[0]["model"] == "model-a" and errors[2]["line"] == 22
    assert run["items"][-1]["line"] == len(run["rows"]) + 2  # + the bad line + the blank one


def test_audit_summary_groups_by_model_domain_depth_and_fields(run):
    by = run["summary"]["by"]
    assert set(by) == {"model", "domain", "depth", "kind", "meta.perturbation"}
    assert set(by["model"]) == {"model-a", "model-b", "<b>model-c</b>", "(none)"}
    assert by["model"]["(none)"]["n"] == 0 and by["model"]["(none)"]["errors"] == 1
    assert set(by["domain"]) == {"linear", "logic", "(none)"}  # (none): the non-JSON line
    assert {"1", "5"} <= set(by["depth"]) and "(none)" in by["depth"]
    assert by["kind"]["gold"]["overall_accuracy"] == 1.0
    assert by["kind"]["invent"]["unwarranted_answer_rate"] == 1.0
    assert by["kind"]["slip"]["steps"]["correct_but_flagged_rate"] == 1.0
    assert sum(g["n"] for g in by["model"].values()) == run["summary"]["overall"]["n"]


def _item(verdict, determined, flagged=False):
    return {"verdict": verdict, "status": "determined" if determined else "undetermined",
            "model": "m", "steps": [], "first_unsupported_line": 1 if flagged else None}


def test_summary_rates_use_the_documented_denominators():
    s = Summary()
    items = ([_item("correct", True)] * 6 + [_item("wrong_answer", True)] * 2
             + [_item("wrong_abstention", True)] + [_item("unparsable", True)]
             + [_item("correct", False, flagged=True)] * 3
             + [_item("unwarranted_answer", False)] * 4
             + [_item("unparsable", False)] + [{"line": 9, "error": {"kind": "x"}}])
    for it in items:
        s.add(it)
    m = s.to_dict()["overall"]
    assert (m["n"], m["n_answerable"], m["n_unanswerable"], m["errors"]) == (18, 10, 8, 1)
    assert m["answerable_accuracy"] == 0.6 and m["unanswerable_accuracy"] == 0.375
    assert m["overall_accuracy"] == round(9 / 18, 6)
    assert m["unwarranted_answer_rate"] == 0.5  # over unanswerable items, not all items
    assert m["wrong_abstention_rate"] == 0.1 and m["wrong_answer_rate"] == 0.2
    assert m["abstention_rate"] == round(4 / 18, 6)  # 3 correct Unknowns + 1 wrong abstention
    assert m["unparsable_rate"] == round(2 / 18, 6)
    assert m["steps"]["flagged_rate"] == round(3 / 18, 6)
    assert m["steps"]["correct_but_flagged_rate"] == round(3 / 9, 6)
    lo, hi = m["ci95"]["unwarranted_answer_rate"]
    assert (lo, hi) == tuple(round(x, 6) for x in wilson(4, 8))


def test_wilson_interval_known_values():
    lo, hi = wilson(5, 10)
    assert abs(lo - 0.2366) < 1e-4 and abs(hi - 0.7634) < 1e-4
    assert wilson(0, 10)[0] == 0.0 and wilson(10, 10)[1] == 1.0
    assert wilson(0, 0) is None


def test_report_is_self_contained_and_escapes_input(run):
    html = (run["dir"] / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"""(?:src|href)\s*=\s*['"]?(?:https?:)?//""", html)
    assert "http://" not in html and "https://" not in html and "<link" not in html
    srcs = re.findall(r"<img[^>]*\ssrc='([^']*)'", html)
    assert len(srcs) == 3 and all(s.startswith("data:image/png;base64,") for s in srcs)
    for s in srcs:
        assert base64.b64decode(s.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<script" not in html and "&lt;script&gt;" in html and "&lt;b&gt;model-c" in html
    for png in ("accuracy_by_depth.png", "verdict_mix.png", "rates.png"):
        assert (run["dir"] / png).stat().st_size > 1000
    for kind in ("Wrong answer", "Unwarranted answer", "Wrong abstention", "Unparsable",
                 "Correct final answer, unsupported step"):
        assert kind in html
    assert "class='first'" in html  # a first unsupported line is highlighted


def test_report_without_matplotlib_has_tables_and_no_images(run, tmp_path, monkeypatch):
    from clients.audit.report import Examples, write_report
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib → ImportError
    summary = Summary()
    for item in run["items"]:
        summary.add(item)
    assert write_report(tmp_path, summary, Examples(1), "x.jsonl") == ["report.html"]
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "matplotlib is not installed" in html and "<img" not in html
    assert "model-a" in html and not list(tmp_path.glob("*.png"))


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs Debian's chromium")
def test_report_renders_in_headless_chromium(run, tmp_path):
    spec = importlib.util.spec_from_file_location("screenshot_report",
                                                  ROOT / "scripts" / "screenshot_report.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = tmp_path / "shot.png"
    mod.screenshot(run["dir"] / "report.html", out, size="1280,1600")
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 1600) and len(data) > 50_000  # not a blank page


@pytest.mark.parametrize("args, message", [
    (["missing.jsonl", "--report", "{tmp}/r"], "no such file"),
    (["{tmp}/in.jsonl", "--report", "{tmp}/in.jsonl/sub"], "cannot write the report"),
    (["{tmp}/in.jsonl", "--report", "{tmp}/r", "--by", "no such"], "is not a field name"),
    (["{tmp}/in.jsonl", "--report", "{tmp}/r", "--by", "meta.colour"], "no line of"),
    (["{tmp}/in.jsonl", "--report", "{tmp}/r", "--token-file", "t"], "goes with --server"),
])
def test_audit_bad_input_exits_2_with_a_message(tmp_path, args, message):
    (tmp_path / "in.jsonl").write_text(json.dumps(
        {"domain": "logic", "premises": ["a"], "query": "a", "response": "Answer: True",
         "meta": {"depth": 1}}) + "\n")
    proc = run_honest("audit", *[a.format(tmp=tmp_path) for a in args], "--no-progress",
                      timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr


def test_audit_server_that_does_not_answer_is_refused_before_any_work():
    from clients.audit.pipeline import RemoteGrader
    from verifier.errors import InvalidInput
    with pytest.raises(InvalidInput, match="health check"):
        RemoteGrader("127.0.0.1:1", health_timeout=1.0)


def test_step_fields_for_honest_check():
    rec = {"domain": "linear", "premises": ["a = 2", "b = a + 1"], "query": "b",
           "response": "a = 2\nb = 4\nAnswer: 4"}
    got = step_fields(rec)
    assert got["first_unsupported_line"] == 1 and got["unrecognised_lines"] == 0
    assert [(s["claim"], s["status"]) for s in got["steps"]] == [("a = 2", "supported"),
                                                                 ("b = 4", "contradicted")]
    with pytest.raises(Exception) as e:
        step_fields({"domain": "linear", "premises": ["a = 2"], "query": "a"})
    assert "response" in str(e.value)


def test_sample_outputs_cover_every_kind():
    items = tasks.get("graphla").generate(tasks.config("graphla", depth="2-4"), 40, seed=2)
    kinds = Counter(r["kind"] for r in synthetic_outputs(list(items), seed=0))
    assert set(kinds) == {"gold", "slip", "wrong", "give_up", "garbage", "invent"}

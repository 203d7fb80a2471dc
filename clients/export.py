"""``honest export``: a generated JSONL set in the input format of an RL trainer.

    honest export --format verl la.jsonl -o train.parquet --split train
    honest export --format openrlhf la.jsonl -o train.jsonl

verl (parquet, one row per item; scored by ``clients/rl_adapters.py:compute_score``):

    data_source   the task that made the item (``meta.task``, e.g. graphla; --data-source)
    prompt        [{"role": "user", "content": <the item's prompt>}]
    ability       "deduction"
    reward_model  {"style": "rule", "ground_truth": <problem JSON>}
    extra_info    {"id", "index" (0-based row in this file), "split" (--split; null when
                   not given), "depth" (meta.depth; -1 when the item has none),
                   "answerable" (answer != Unknown), "answer"}

OpenRLHF (JSONL, ``--input_key input --label_key label``; scored by ``reward_func``)::

    {"input": <the item's prompt>, "label": <problem JSON>, "id": <the item's id>}

The problem JSON is ``{"domain", "premises", "query"}`` as text. Every line is
checked (fields and types, premises parsed by the verifier's parsers, ids unique):
the first bad line stops the export with its line number and exit code 2, because
a training set silently missing a row is worse than none. The output file appears
only once every line has converted (it is written next to itself, then renamed).
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from typing import Any, Iterator

from clients.jsonl import count_lines
from verifier import tasks
from verifier.errors import InvalidInput
from verifier.problem import Problem, parse_problem

FORMATS = {"verl": (".parquet",), "openrlhf": (".jsonl", ".json")}
ABILITY = "deduction"
UNKNOWN = "Unknown"
#: rows per parquet row group (bounds memory on big files)
ROWS_PER_GROUP = 8192


@dataclass(frozen=True)
class ExportRow:
    """What every format needs from one item, checked."""

    id: str
    task: str
    prompt: str
    problem_json: str
    depth: int
    answerable: bool
    answer: str


_TYPE_NAMES = {str: "a string", int: "an integer", list: "a list"}


def _field(rec: dict, key: str, kind: type, where: str) -> Any:
    if key not in rec:
        raise InvalidInput(f"{where}: missing field {key!r} (expected an item written by "
                           "`honest generate`)")
    value = rec[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise InvalidInput(f"{where}: field {key!r} must be {_TYPE_NAMES[kind]}, got "
                           f"{type(value).__name__}")
    return value


def _task_of(rec: dict, meta: dict, where: str) -> str:
    task = meta.get("task")
    if isinstance(task, str) and task:
        return task
    prefix = rec["id"].split("-", 1)[0]  # items written before meta.task: graphla-<seed>-<i>
    if prefix in tasks.names():
        return prefix
    raise InvalidInput(f"{where}: cannot tell which task made item {rec['id']!r} (no "
                       "meta.task, and the id does not start with a task name); give "
                       "--data-source")


def export_row(rec: Any, where: str, data_source: str | None = None) -> ExportRow:
    """One line of a generated set → :class:`ExportRow`; errors start with ``where``."""
    if not isinstance(rec, dict):
        raise InvalidInput(f"{where}: expected a JSON object (an item from `honest generate`), "
                           f"got {type(rec).__name__}")
    item_id = _field(rec, "id", str, where)
    prompt = _field(rec, "prompt", str, where)
    answer = _field(rec, "answer", str, where)
    premises = _field(rec, "premises", list, where)
    problem = Problem.make(_field(rec, "domain", str, where), premises,
                           _field(rec, "query", str, where))
    parse_problem(problem)  # the reward function will parse it: fail here, not mid-training
    meta = rec.get("meta", {})
    if not isinstance(meta, dict):
        raise InvalidInput(f"{where}: field 'meta' must be an object, got "
                           f"{type(meta).__name__}")
    depth = meta.get("depth", -1)
    if isinstance(depth, bool) or not isinstance(depth, int):
        raise InvalidInput(f"{where}: meta.depth must be an integer, got {depth!r}")
    answerable = answer != UNKNOWN
    if meta.get("answerable", answerable) != answerable:
        raise InvalidInput(f"{where}: meta.answerable is {meta['answerable']} but the answer "
                           f"is {answer!r}")
    return ExportRow(id=item_id, task=data_source or _task_of(rec, meta, where), prompt=prompt,
                     problem_json=json.dumps(problem.to_dict(), ensure_ascii=False),
                     depth=depth, answerable=answerable, answer=answer)


def read_rows(path: str, data_source: str | None = None) -> Iterator[ExportRow]:
    """The checked rows of a JSONL file ('-' = stdin), blank lines skipped; the first bad
    line raises :class:`InvalidInput` naming the file and line."""
    try:
        f = sys.stdin.buffer if path == "-" else open(path, "rb")
    except OSError as e:
        raise InvalidInput(f"cannot read {path}: {e.strerror}") from None
    seen: dict[str, int] = {}
    try:
        for lineno, raw in enumerate(f, 1):
            where = f"{'stdin' if path == '-' else path} line {lineno}"
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise InvalidInput(f"{where}: not UTF-8 text (byte {e.start})") from None
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                raise InvalidInput(f"{where}: not valid JSON ({e.msg} at column {e.colno})") \
                    from None
            try:
                row = export_row(rec, where, data_source)
            except InvalidInput as e:
                if e.message.startswith(where):
                    raise
                raise InvalidInput(f"{where}: {e.message}") from None
            if row.id in seen:
                raise InvalidInput(f"{where}: id {row.id!r} already appeared on line "
                                   f"{seen[row.id]}")
            seen[row.id] = lineno
            yield row
    finally:
        if f is not sys.stdin.buffer:
            f.close()


# ---------------------------------------------------------------- formats

def verl_record(row: ExportRow, index: int, split: str | None) -> dict[str, Any]:
    return {"data_source": row.task,
            "prompt": [{"role": "user", "content": row.prompt}],
            "ability": ABILITY,
            "reward_model": {"style": "rule", "ground_truth": row.problem_json},
            "extra_info": {"id": row.id, "index": index, "split": split, "depth": row.depth,
                           "answerable": row.answerable, "answer": row.answer}}


def openrlhf_record(row: ExportRow) -> dict[str, Any]:
    return {"input": row.prompt, "label": row.problem_json, "id": row.id}


def _verl_schema(pa):
    # explicit, so every export has the same column types (split is a typed null if not given)
    text = pa.string()
    return pa.schema([
        ("data_source", text),
        ("prompt", pa.list_(pa.struct([("role", text), ("content", text)]))),
        ("ability", text),
        ("reward_model", pa.struct([("style", text), ("ground_truth", text)])),
        ("extra_info", pa.struct([("id", text), ("index", pa.int64()), ("split", text),
                                  ("depth", pa.int64()), ("answerable", pa.bool_()),
                                  ("answer", text)])),
    ])


def write_verl(rows, path: str, split: str | None) -> int:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise InvalidInput("--format verl writes parquet, which needs pyarrow: pip install "
                           "pyarrow (the 'train' extra brings it)") from None
    schema = _verl_schema(pa)
    n = 0
    batch: list[dict] = []
    with pq.ParquetWriter(path, schema) as writer:
        for row in rows:
            batch.append(verl_record(row, n, split))
            n += 1
            if len(batch) == ROWS_PER_GROUP:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                batch = []
        if batch or n == 0:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
    return n


def write_openrlhf(rows, path: str) -> int:
    n = 0
    with open(path, "w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(openrlhf_record(row), ensure_ascii=False) + "\n")
            n += 1
    return n


# ---------------------------------------------------------------- command

def _check_paths(fmt: str, src: str, dst: str) -> str:
    """Refuse what would fail late or destroy something; return the temporary path."""
    if src != "-":
        if not os.path.exists(src):
            raise InvalidInput(f"no such file: {src}")
        if os.path.isdir(src):
            raise InvalidInput(f"{src} is a directory; give a JSONL file from "
                               "`honest generate`")
    if not dst.endswith(FORMATS[fmt]):
        raise InvalidInput(f"--format {fmt} writes {' or '.join(FORMATS[fmt])} files; "
                           f"name the output accordingly, not {dst}")
    if os.path.isdir(dst):
        raise InvalidInput(f"output {dst} is a directory")
    if src != "-" and os.path.exists(dst) and os.path.samefile(src, dst):
        raise InvalidInput(f"output {dst} is the input file; write somewhere else")
    folder = os.path.dirname(os.path.abspath(dst))
    if not os.path.isdir(folder):
        raise InvalidInput(f"cannot write {dst}: directory {folder} does not exist")
    tmp = os.path.join(folder, f".{os.path.basename(dst)}.{os.getpid()}.part")
    try:
        open(tmp, "xb").close()  # can we write there? (a normal file mode, unlike mkstemp)
    except OSError as e:
        raise InvalidInput(f"cannot write {dst}: {e.strerror}") from None
    return tmp


def cmd_export(args) -> int:
    if args.split is not None and args.format != "verl":
        raise InvalidInput("--split sets verl's extra_info.split; it goes with --format verl")
    if args.split is not None and not args.split.strip():
        raise InvalidInput("--split must not be empty")
    tmp = _check_paths(args.format, args.input, args.output)
    try:
        rows: Any = read_rows(args.input, args.data_source)
        if not args.no_progress:
            from tqdm import tqdm
            rows = tqdm(rows, total=count_lines(args.input), desc=f"export {args.format}",
                        unit="item", mininterval=0.5, file=sys.stderr)
        if args.format == "verl":
            n = write_verl(rows, tmp, args.split)
        else:
            n = write_openrlhf(rows, tmp)
        if n == 0:
            raise InvalidInput(f"{args.input} holds no items; nothing was written")
        os.replace(tmp, args.output)
    except OSError as e:
        raise InvalidInput(f"cannot write {args.output}: {e.strerror or e}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    print(f"wrote {n} rows to {args.output} ({args.format})", file=sys.stderr)
    return 0


def add_export_command(sub) -> None:
    p = sub.add_parser("export", help="write a generated set as verl parquet or OpenRLHF JSONL",
                       description="Convert a JSONL set from `honest generate` for an RL "
                       "trainer. Every line is checked; a bad line stops the export with "
                       "its line number and leaves no output file.")
    p.add_argument("input", help="a JSONL file from `honest generate` ('-' = stdin)")
    p.add_argument("--format", required=True, choices=tuple(FORMATS),
                   help="verl: parquet with data_source/prompt/ability/reward_model/"
                   "extra_info; openrlhf: JSONL with input/label/id")
    p.add_argument("-o", "--output", required=True,
                   help="output file: .parquet for verl, .jsonl (or .json) for openrlhf")
    p.add_argument("--split", help="verl: the extra_info.split value of every row "
                   "(e.g. train, test); default null")
    p.add_argument("--data-source", help="the data_source of every row (default: the task "
                   "that made each item, meta.task)")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(handler=cmd_export)


__all__ = ["ExportRow", "export_row", "read_rows", "verl_record", "openrlhf_record",
           "add_export_command"]

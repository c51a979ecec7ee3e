"""``mmbench data path TASK`` and ``mmbench data check TASK``: where a task's files go, and are they right.

``path`` prints the data root, the dataset folder and every file the task's format needs, each
marked present or missing, and the task's hub alternative (``--data hf``) where it has one; with
``--data hf`` (or ``<task>@hf``) it describes the hub source instead. ``check`` also reads the split and verifies sample count
(``expected_count``), checksums (``checksums``) and that every image file exists (``--decode``:
opens each image too). Exit status 0 when everything is in order, 1 when a check failed.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from mmbench.commands.common import add_data_source_option


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser("data", help="show where a task's data files go, or check them",
                                   description=__doc__.splitlines()[0])
    actions = parser.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    for name, help_text in (("path", "print where a task's files are expected"),
                            ("check", "verify a task's files: presence, counts, checksums")):
        action = actions.add_parser(name, help=help_text)
        action.add_argument("task", help="task name (see `mmbench list tasks`) or path to a task .yaml file")
        action.add_argument("--data-dir", type=Path, default=None, help="data root (default: $MMBENCH_DATA or ~/.cache/mmbench/data)")
        add_data_source_option(action)
        if name == "check":
            action.add_argument("--decode", action="store_true", help="also decode every image (slow on large sets)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from mmbench.data.hub import split_name, with_source
    from mmbench.tasks.spec import load_task_spec

    spec = load_task_spec(args.task)
    if spec.group:  # a task group: each member's data, in order; the worst status
        from mmbench.engine.groups import member_refs

        source = split_name(args.task)[1] or args.data_source
        members = [load_task_spec(with_source(ref, source)) for ref in member_refs(spec)]
        return max(_one(member, args) for member in members)
    return _one(load_task_spec(with_source(args.task, args.data_source)), args)


def _one(spec: Any, args: argparse.Namespace) -> int:
    if args.data_command == "path":
        if spec.data_source != "official":
            return _print_hub(spec, args.data_dir)
        code = _print_paths(spec.name, spec.data, args.data_dir)
        if spec.hub is not None:
            from mmbench.data.hub import describe

            print(f"  hub alternative: {describe(spec.hub)}: `mmbench run --data hf` (or --task {spec.name}@hf) "
                  f"loads it without manual downloads; `mmbench data path {spec.name}@hf` for details")
        return code
    return _check(spec.name, spec.data, args.data_dir, args.decode)


def _print_hub(spec: Any, data_dir: Path | None) -> int:
    from mmbench.data.hub import describe, is_pinned, local_copies, notes
    from mmbench.data.source import resolve_data_root

    hub = spec.hub
    root, how = resolve_data_root(data_dir)
    print(f"task {spec.name}: hub source {describe(hub)} (format hf; the official files stay the reference)")
    pin = f"pinned commit {hub['revision']}" if is_pinned(hub["revision"]) else f"revision {hub['revision']!r}, NOT a pinned commit"
    print(f"  revision: {pin}" + (f" (source: {hub['revision_source']})" if hub.get("revision_source") else ""))
    print("  loaded through the datasets library into its cache ($HF_DATASETS_CACHE, default ~/.cache/huggingface/datasets); "
          "nothing to download by hand")
    for local in local_copies(hub, root):
        print(f"  {'ok     ' if local.is_dir() else 'absent '} local copy, used instead when present: {local} (data root from {how})")
    samples = "the official split's samples and ids" if hub.get("same_samples", True) else "NOT the official split's samples"
    print(f"  holds {samples}" + (f"; expected {hub['expected_count']} samples" if hub.get("expected_count") else ""))
    for line in notes(spec.name, hub):
        print(f"  note: {line}")
    return 0


def _print_paths(name: str, data: dict[str, Any], data_dir: Path | None) -> int:
    from mmbench.data.formats import expected_files

    source, files = expected_files(data, data_dir)
    print(f"task {name}: format {source.format}, dataset folder {source.dir} ({source.origin})")
    missing = 0
    for what, path in files:
        present = path.exists()
        missing += not present
        url = None if present else source.download_location(path)
        print(f"  {'ok     ' if present else 'MISSING'} {what}: {path}" + (f"  <- {url}" if url else ""))
    if missing:
        print(f"  to get it: {source.how_to_get()}")
    return 0


def _check(name: str, data: dict[str, Any], data_dir: Path | None, decode: bool) -> int:
    from mmbench.data.check import check_split

    report = check_split(data, data_dir, decode=decode, task=name)
    print(f"task {name}: {report.summary}")
    for problem in report.problems:
        print(f"  FAIL {problem}")
    if report.hint:
        print(f"  {report.hint}")
    if not report.problems:
        print("  all checks passed")
    return 1 if report.problems else 0

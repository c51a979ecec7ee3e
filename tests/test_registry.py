"""Registry: decorators, lazy targets, did-you-mean, and entry-point plugins."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mmbench.errors import UserError
from mmbench.registry import Registry


def test_register_decorator_and_lazy_target() -> None:
    reg: Registry[object] = Registry("widget")

    @reg.register("square", "a square widget")
    class Square:
        pass

    reg.add("path", "pathlib:Path", "lazy reference")
    assert reg.get("square") is Square
    assert reg.get("path") is Path
    assert reg.names() == ["path", "square"]
    assert reg.entry("square").description == "a square widget"


def test_unknown_name_suggests_close_match() -> None:
    reg: Registry[object] = Registry("model")
    reg.add("shapes-clip", object)
    reg.add("shapes-llava", object)
    with pytest.raises(UserError, match=r"unknown model 'shapes-clp'; did you mean 'shapes-clip'"):
        reg.get("shapes-clp")


def test_reregistering_a_different_object_is_refused() -> None:
    reg: Registry[object] = Registry("metric")
    reg.add("x", int)
    with pytest.raises(ValueError, match="already registered"):
        reg.add("x", float)


PLUGIN_PYPROJECT = """
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "mmbench-plugin-demo"
version = "0.0.1"

[project.entry-points."mmbench.models"]
tiny-colour = "mmbench_plugin_demo:create"

[project.entry-points."mmbench.tasks"]
plugin_vqa = "mmbench_plugin_demo:task_file"

[tool.setuptools]
py-modules = ["mmbench_plugin_demo"]
"""

PLUGIN_MODULE = '''
from pathlib import Path
from mmbench.models.mock import MockAdapter

class TinyColour(MockAdapter):
    """A third-party adapter: the mock under another name."""
    adapter_name = "tiny-colour"

def create(location=None, *, device="cpu", dtype="float32", **args):
    return TinyColour.create(location, device=device, dtype=dtype)

def task_file():
    return Path(__file__).with_name("plugin_vqa.yaml")
'''


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real plugin package, built and installed with pip into a private target directory."""
    src = tmp_path_factory.mktemp("plugin-src")
    (src / "pyproject.toml").write_text(PLUGIN_PYPROJECT)
    (src / "mmbench_plugin_demo.py").write_text(PLUGIN_MODULE)
    site = tmp_path_factory.mktemp("plugin-site")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index",
                    "--target", str(site), str(src)], check=True, capture_output=True)
    return site


def _run_with_plugin(site: Path, code: str) -> subprocess.CompletedProcess[str]:
    import os

    env = dict(os.environ, PYTHONPATH=str(site))
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True, text=True)


def test_entry_point_plugin_model_is_listed_and_loads(plugin_site: Path) -> None:
    out = _run_with_plugin(plugin_site, """
        from mmbench.models.spec import list_model_entries, load_model
        names = [row[0] for row in list_model_entries()]
        assert "tiny-colour" in names, names
        model = load_model("tiny-colour")
        print(type(model).__name__, sorted(c.value for c in model.capabilities))
    """)
    assert out.returncode == 0, out.stderr
    assert "TinyColour ['encode_images', 'encode_texts', 'generate', 'match']" in out.stdout


def test_entry_point_plugin_task_resolves_to_its_file(plugin_site: Path) -> None:
    (plugin_site / "plugin_vqa.yaml").write_text(
        "name: plugin_vqa\ntype: vqa\nversion: 3\ndescription: from a plugin\ndata: {format: vqav2, dir: nowhere}\n")
    out = _run_with_plugin(plugin_site, """
        from mmbench.tasks.spec import load_task_spec
        spec = load_task_spec("plugin_vqa")
        print(spec.name, spec.type, spec.version, spec.description)
    """)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "plugin_vqa vqa 3 from a plugin"

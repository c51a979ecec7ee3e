"""`.ci/install-system-tools` (run by `.ci/run`): installs Java and chromium when missing, nothing when present.

Tested without root and without removing anything: the script runs with a PATH holding only a
fake bin folder (so `java`, `chromium`, `chromedriver` are missing unless the test puts fakes
there) and fake `id`, `sudo` and `apt-get` that record their arguments; the fake `apt-get install`
"installs" a package by creating the commands Debian's package provides.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / ".ci" / "install-system-tools"
BASH = shutil.which("bash") or "/bin/bash"
CHMOD = shutil.which("chmod") or "/bin/chmod"  # the fake apt-get runs with only the fakes on PATH
PROVIDES = {"default-jre-headless": ["java"], "chromium": ["chromium"], "chromium-driver": ["chromedriver"]}


def _executable(path: Path, text: str) -> None:
    path.write_text(f"#!{BASH}\n{text}", encoding="utf-8")
    path.chmod(0o755)


def _fake_system(tmp_path: Path, present: list[str], uid: int = 1000, apt: bool = True) -> tuple[dict[str, str], Path]:
    """A PATH of fakes: ``present`` commands exist, ``id -u`` prints ``uid``; returns (env, log file)."""
    bin_dir, log = tmp_path / "bin", tmp_path / "calls.log"
    bin_dir.mkdir()
    env_binary = shutil.which("env")
    assert env_binary, "the test needs env(1)"
    (bin_dir / "env").symlink_to(env_binary)
    _executable(bin_dir / "id", f'[ "$1" = -u ] && echo {uid}\n')
    _executable(bin_dir / "sudo", f'echo "sudo $*" >> {log}\nexec "$@"\n')
    if apt:
        installs = "\n".join(f'    {pkg}) ' + "; ".join(f"printf '#!{BASH}\\n' > {bin_dir}/{c}; {CHMOD} +x {bin_dir}/{c}"
                                                          for c in cmds) + " ;;" for pkg, cmds in PROVIDES.items())
        _executable(bin_dir / "apt-get", f'echo "apt-get $* DEBIAN_FRONTEND=${{DEBIAN_FRONTEND:-}}" >> {log}\n'
                                         f'if [ "$1" = install ]; then for p in "$@"; do case "$p" in\n{installs}\n'
                                         f'  esac; done; fi\n')
    for command in present:
        _executable(bin_dir / command, "")
    return {"PATH": str(bin_dir), "HOME": str(tmp_path)}, log


def _run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([BASH, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60)


def _calls(log: Path) -> list[str]:
    return log.read_text(encoding="utf-8").splitlines() if log.exists() else []


def test_missing_java_installs_a_headless_jre_through_sudo_when_not_root(tmp_path: Path) -> None:
    env, log = _fake_system(tmp_path, present=["chromium", "chromedriver"])
    proc = _run(env)
    assert proc.returncode == 0, proc.stderr
    assert _calls(log) == [
        "sudo apt-get update -qq", "apt-get update -qq DEBIAN_FRONTEND=",
        "sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless",
        "apt-get install -y -qq default-jre-headless DEBIAN_FRONTEND=noninteractive"]
    assert (tmp_path / "bin" / "java").exists()


def test_nothing_is_installed_when_java_and_chromium_are_present(tmp_path: Path) -> None:
    env, log = _fake_system(tmp_path, present=["java", "chromium", "chromedriver"])
    proc = _run(env)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert _calls(log) == []


def test_missing_chromedriver_installs_both_browser_packages_as_root_without_sudo(tmp_path: Path) -> None:
    env, log = _fake_system(tmp_path, present=["java", "chromium"], uid=0)
    proc = _run(env)
    assert proc.returncode == 0, proc.stderr
    assert _calls(log) == ["apt-get update -qq DEBIAN_FRONTEND=",
                           "apt-get install -y -qq chromium chromium-driver DEBIAN_FRONTEND=noninteractive"]


def test_a_package_that_does_not_provide_the_command_fails(tmp_path: Path) -> None:
    env, log = _fake_system(tmp_path, present=["chromium", "chromedriver"])
    (tmp_path / "bin" / "apt-get").write_text(f"#!{BASH}\necho \"apt-get $*\" >> {log}\n", encoding="utf-8")
    proc = _run(env)
    assert proc.returncode == 1 and "java is still not on PATH" in proc.stderr


def test_without_apt_get_it_names_what_to_install_and_goes_on(tmp_path: Path) -> None:
    env, log = _fake_system(tmp_path, present=["chromium", "chromedriver"], apt=False)
    proc = _run(env)
    assert proc.returncode == 0 and _calls(log) == []
    assert "missing java and no apt-get; install default-jre-headless" in proc.stderr


def test_ci_run_calls_the_install_script_before_the_tests() -> None:
    lines = [line.strip() for line in (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    assert lines.index("bash .ci/install-system-tools") < lines.index("python3 -m pytest -q")
    assert os.access(SCRIPT, os.X_OK)


def test_without_java_the_caption_metric_tests_fail_in_ci_and_skip_elsewhere(tmp_path: Path) -> None:
    """As the browser tests do for Chromium: CI installs Java, so a missing one is a failure there."""
    import sys

    test = "tests/test_captioning_units.py::test_java_tokenizer_matches_golden_edge_cases"
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "MMBENCH_SPICE_JAVA")}
    env["PATH"] = str(tmp_path)  # no java on it (pytest runs by its absolute path)
    outcomes = {}
    for ci in ("true", ""):
        run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rsf", test],
                             cwd=REPO, env={**env, "CI": ci}, capture_output=True, text=True, timeout=300)
        outcomes[ci] = (run.returncode, run.stdout)
    code, out = outcomes["true"]
    assert code == 1 and "1 error" in out and "need a Java runtime" in out and "its absence is a failure" in out, out
    code, out = outcomes[""]
    assert code == 0 and "1 skipped" in out and "skipped outside CI" in out, out

"""Packaging glue that pyproject.toml cannot express: ship the top-level ``tasks/`` folder
(declarative benchmark files) inside the wheel as the package ``mmbench.task_files``."""

from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["mmbench", "mmbench.*"]) + ["mmbench.task_files"],
    package_dir={"mmbench.task_files": "tasks"},
    package_data={
        "mmbench": ["py.typed", "refdata/*.json", "refdata/*.txt", "refdata/imagenet/*.json", "refdata/cifar/*.json", "bundled/*/*", "bundled/stages/*/*", "report/*.html", "report/*.js", "report/*.css"],
        "mmbench.task_files": ["*.yaml"],
    },
)

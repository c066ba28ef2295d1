"""Shim for scrapyd-deploy, which builds eggs through setup.py; all metadata is in pyproject.toml."""

from setuptools import setup

setup()

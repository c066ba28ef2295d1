"""Shim for scrapyd-deploy (scrapyd-client), which builds the Scrapyd egg by running
``python setup.py bdist_egg`` with the current interpreter, outside PEP 517 build
isolation. All metadata is in pyproject.toml: packages ``crawler`` and
``pipelines``, the site configs ``crawler/sites/*.toml`` and ``crawler/sites/platforms/*.toml`` and the body model
``crawler/extract/body_model.json`` as package data, and the
``scrapy`` entry point ``settings = crawler.settings`` that Scrapyd reads.
"""

import sys

import setuptools

# pyproject.toml's SPDX `license = "MIT"` needs setuptools 77; older ones fail with
# "invalid pyproject.toml config: `project.license`" (scrapyd-deploy hides it).
if int(setuptools.__version__.split(".")[0]) < 77:
    sys.exit(f"setup.py: setuptools {setuptools.__version__} cannot read pyproject.toml; "
             f"run: {sys.executable} -m pip install 'setuptools>=77'")

setuptools.setup()

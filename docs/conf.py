"""Sphinx configuration of the sklearn-lstmae documentation.

Build with ``python -m sphinx -W -b html docs docs/_build/html``; it needs the
``docs`` extra (``pip install '.[docs]'``).
"""

import os
from importlib.metadata import version as _version

# The gallery runs every example; 2 epochs keep the build to a few minutes on
# two CPU cores. Export LSTMAE_EXAMPLE_EPOCHS (e.g. 40) before building for a
# gallery of fully trained models.
os.environ.setdefault("LSTMAE_EXAMPLE_EPOCHS", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

project = "sklearn-lstmae"
author = "sklearn-lstmae developers"
copyright = "sklearn-lstmae developers"
release = _version("sklearn-lstmae")
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build"]
default_role = "literal"

autosummary_generate = True
autodoc_default_options = {"member-order": "groupwise"}
# numpydoc: the class template lists the methods; no second table of them.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

html_theme = "pydata_sphinx_theme"
html_title = f"sklearn-lstmae {release}"
html_theme_options = {"navigation_with_keys": False}
html_static_path = []

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": "/plot_",
    # The README's plain demo script is not part of the gallery.
    "ignore_pattern": r"__init__\.py|demo_",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    # "Examples using X" at the end of each API page.
    "doc_module": ("sklearn_lstmae",),
    "backreferences_dir": "generated/backreferences",
    "remove_config_comments": True,
    "image_scrapers": ("matplotlib",),
}

# Members that scikit-learn or Keras give every estimator or layer: their
# docstrings point into those projects' documentation (labels this one does
# not have), and the user guide says what matters about them.
_INHERITED_PLUMBING = {
    "get_metadata_routing",
    "set_fit_request",
    "set_partial_fit_request",
    "set_score_request",
    "set_output",
}
# Of what Keras, SciKeras and TensorFlow define, only these belong to the API.
_FOREIGN = ("keras", "scikeras", "tensorflow")
_FOREIGN_KEPT = {"set_params"}


def _skip_member(app, what, name, obj, skip, options):
    if name in _INHERITED_PLUMBING:
        return True
    # A property's module is that of its getter.
    module = getattr(getattr(obj, "fget", obj), "__module__", None) or ""
    if module.split(".")[0] in _FOREIGN and name not in _FOREIGN_KEPT:
        return True
    # The shared base hides SciKeras's predict behind an always-false
    # available_if; only the detector has a predict of its own.
    if getattr(obj, "__qualname__", "") == "BaseLSTMAutoencoder.predict":
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_member)

"""cimsim: a cycle-level simulator of compute-in-memory DNN accelerators.

Data flow: trace -> mapping -> functional and timing simulation -> costs -> reports.
See ``DESIGN`` in the README for where each stage lives.
"""

__version__ = "0.1.0"

from cimsim.errors import CimsimError  # noqa: E402,F401

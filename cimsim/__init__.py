"""cimsim: a cycle-level simulator of compute-in-memory DNN accelerators.

Data flow: trace -> mapping -> functional and timing simulation -> costs -> reports.

    import cimsim
    report = cimsim.simulate("arch/neurosim-rram-22nm.yaml", cimsim.load_trace("traces/vgg8-cifar10.cimtrace"))
    print(report.summary_text())
"""

__version__ = "0.1.0"

from cimsim.errors import CimsimError  # noqa: E402,F401


def __getattr__(name):
    # Heavy modules load on first use so that `import cimsim` stays fast.
    if name == "simulate":
        from cimsim.simulation import simulate

        return simulate
    if name == "load_trace":
        from cimsim.trace import load

        return load
    if name == "load_architecture":
        from cimsim.architecture import load_architecture

        return load_architecture
    raise AttributeError(f"module 'cimsim' has no attribute {name!r}")

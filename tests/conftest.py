import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

# OpenVINO's telemetry forks a process for each ov.convert_model call unless it runs
# under CI; forking a multithreaded JAX process is slow and warned against.
os.environ.setdefault("CI", "true")


def pytest_collection_modifyitems(config, items):
    """Tests marked slow run only when asked for (`pytest -m slow`)."""
    if "slow" in (config.getoption("-m") or ""):
        return
    keep = [i for i in items if "slow" not in i.keywords]
    if len(keep) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if "slow" in i.keywords])
        items[:] = keep

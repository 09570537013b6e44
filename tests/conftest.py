import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

# OpenVINO's telemetry forks a process for each ov.convert_model call unless it runs
# under CI; forking a multithreaded JAX process is slow and warned against.
os.environ.setdefault("CI", "true")

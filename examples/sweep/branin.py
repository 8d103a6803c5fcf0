"""The Branin function, a standard test of black-box optimisers (minimum 0.397887)."""
import math
import sys

from mlscale import params, report

p = params()
x, y = float(p["x"]), float(p["y"])
value = (y - 5.1 / (4 * math.pi**2) * x**2 + 5 / math.pi * x - 6) ** 2 \
    + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x) + 10
report(branin=value)
sys.exit(0)

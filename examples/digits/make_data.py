"""Writes scikit-learn's bundled digits as a CSV: 64 pixel columns, then the label.

To the path given, or to digits.csv in $MLSCALE_WORKSPACE (in a pipeline), or in this folder.
"""
import os
import sys

import numpy as np
from sklearn.datasets import load_digits

x, y = load_digits(return_X_y=True)
default = os.path.join(os.environ.get("MLSCALE_WORKSPACE", "."), "digits.csv")
path = sys.argv[1] if len(sys.argv) > 1 else default
np.savetxt(path, np.column_stack([x, y]), delimiter=",", fmt="%g")
print("wrote %d images to %s" % (len(y), path))

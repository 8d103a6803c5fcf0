"""The workshop's train-oom.py: grabs 10 MB more every 0.1 s (1,200 times) until it is killed."""

import time

from mlscale import report

chunks = []
for i in range(1, 1201):
    chunks.append(bytearray(b"x") * (10 * 1024 * 1024))  # touched, so it really is resident
    if i % 5 == 0:
        report(step=i, allocated_mb=i * 10)
    time.sleep(0.1)
print("allocated %d MB and was never stopped" % (len(chunks) * 10))

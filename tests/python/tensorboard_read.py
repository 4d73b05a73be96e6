"""Reads a TensorBoard event directory with the tensorboard package and prints tag,step,value lines.

Test-only reference: it checks that fastimg's hand-encoded event files are what TensorBoard reads.
"""
import sys

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

acc = EventAccumulator(sys.argv[1])
acc.Reload()
for tag in sorted(acc.Tags()["scalars"]):
    for event in acc.Scalars(tag):
        print(f"{tag},{event.step},{event.value!r}")

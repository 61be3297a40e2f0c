"""DeferredItemFn (transforms/isolation.py), the base of the extract stage: items that wait for work done
elsewhere end in any order, each once, as its outputs in its own window or as its one error row."""
import apache_beam as beam
import pytest
from apache_beam.transforms.window import FixedWindows, GlobalWindows, TimestampedValue

from newsbeam.transforms.isolation import Await, DeferredItemFn
from newsbeam.transforms.names import ERRORS


class Squares(DeferredItemFn):
    """Squares numbers "elsewhere": jobs come back only when waited for, newest first, so items end out of
    order, in later process() calls and in finish_bundle. ``broken_after``: finished() fails from then on."""
    STAGE = "extract"

    def __init__(self, room: int = 3, broken_after: int = 0):
        super().__init__()
        self._room = room
        self._broken_after = broken_after

    def setup(self):
        self._jobs, self._calls = [], 0

    def submit(self, ticket, job):
        if job == 7:
            raise OSError("no worker for seven")
        self._jobs.append((ticket, job))

    def full(self):
        return len(self._jobs) >= self._room

    def finished(self, wait):
        self._calls += wait
        if self._broken_after and self._calls >= self._broken_after:
            raise RuntimeError("the pool broke")
        if not wait:
            return []
        done, self._jobs = list(reversed(self._jobs)), []
        return [(ticket, job * job) for ticket, job in done]

    def handle(self, n):
        if n == 13:
            raise ValueError("unlucky")
        try:
            squared = yield Await(n)
        except OSError:
            yield beam.pvalue.TaggedOutput("refused", n)
            return
        yield (n, squared)


def run(run_transform, fn, numbers):
    def build(p):
        result = (p | beam.Create(numbers) | beam.Map(lambda n: TimestampedValue(n, n))
                  | beam.WindowInto(FixedWindows(10))
                  | beam.ParDo(fn).with_outputs(ERRORS, "refused", main="squares"))
        windowed = result.squares | beam.ParDo(
            lambda pair, window=beam.DoFn.WindowParam: [(int(window.start), *pair)])
        found = {"squares": windowed, "errors": result[ERRORS], "refused": result.refused}
        return {name: pcoll | f"Unwindow_{name}" >> beam.WindowInto(GlobalWindows()) for name, pcoll in found.items()}
    return run_transform(build)


def test_items_end_out_of_order_each_once_in_its_own_window(run_transform):
    numbers = list(range(30))
    found = run(run_transform, Squares(), numbers)
    assert sorted(found["squares"]) == [(n // 10 * 10, n, n * n) for n in numbers if n not in (7, 13)]
    assert [(e.error_type, e.excerpt) for e in found["errors"]] == [("value_error", "13")]
    assert found["refused"] == [7]  # the item heard that its job could not be handed in, and decided


@pytest.mark.parametrize("broken_after", [1, 3])
def test_a_broken_pool_costs_each_waiting_item_one_error_row(run_transform, broken_after):
    numbers = list(range(20))
    found = run(run_transform, Squares(broken_after=broken_after), numbers)
    done = [n for _, n, _ in found["squares"]]
    failed = [int(e.excerpt) for e in found["errors"]]
    assert all(e.error_type == "runtime_error" and "the pool broke" in e.message
               for e in found["errors"] if e.excerpt != "13")
    assert sorted(done + failed + found["refused"]) == numbers  # every item once: nothing lost, nothing twice
    assert len(failed) > 1

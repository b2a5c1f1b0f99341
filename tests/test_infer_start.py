"""Ray's start-up under load: `imagine infer` tries twice, then says so in one message."""

from __future__ import annotations

import pytest

from imagine_core.api import ImagineError
from imagine_plugins.ocr.infer import _start_ray


class FlakyRay:
    """Stands in for the ray module: init fails ``failures`` times, then starts."""

    def __init__(self, failures: int) -> None:
        self.failures, self.inits, self.shutdowns = failures, 0, 0

    def init(self, **settings) -> None:
        self.inits += 1
        if self.inits <= self.failures:
            raise TimeoutError("Timed out after 60 seconds waiting for the GCS to start.\n")

    def shutdown(self) -> None:
        self.shutdowns += 1


def test_a_start_that_times_out_once_is_retried():
    ray = FlakyRay(failures=1)
    _start_ray(ray, num_cpus=2)
    assert (ray.inits, ray.shutdowns) == (2, 1)


def test_a_start_that_fails_twice_is_one_message():
    ray = FlakyRay(failures=2)
    with pytest.raises(ImagineError) as caught:
        _start_ray(ray, num_cpus=2)
    message = str(caught.value)
    assert "Ray did not start: Timed out after 60 seconds" in message
    assert "--address" in message and ray.inits == 2

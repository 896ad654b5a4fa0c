"""Probability distributions that a scenario can name (lead times, transit times).

A distribution is written in YAML as a bare number (fixed) or a mapping with a ``kind``:
``{kind: gamma, mean: 2, cv: 0.3}``, ``{kind: lognormal, mean: 2, cv: 0.5}``,
``{kind: discrete, values: [1, 2, 3], probs: [0.2, 0.5, 0.3]}``. Gamma and lognormal are
parameterised by mean and coefficient of variation because that is how analysts quote lead times.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

MAX_TIME = 10_000.0  # days of lead time or hours of transit: beyond any real lane, well inside float and int ranges
MAX_CV = 5.0


class Spec(BaseModel):
    """Base for every scenario object: immutable, and unknown keys are errors (typos get caught)."""

    # Finite numbers only: an infinite capacity or cost would turn into NaN deep inside a run.
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, allow_inf_nan=False)


class Fixed(Spec):
    kind: Literal["fixed"] = "fixed"
    value: float = Field(ge=0, le=MAX_TIME)

    @property
    def mean(self) -> float:
        return self.value

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.full(size, self.value)


class Gamma(Spec):
    kind: Literal["gamma"]
    mean: float = Field(gt=0, le=MAX_TIME)
    cv: float = Field(gt=0, le=MAX_CV)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        shape = 1.0 / self.cv**2
        return rng.gamma(shape, self.mean / shape, size)


class Lognormal(Spec):
    kind: Literal["lognormal"]
    mean: float = Field(gt=0, le=MAX_TIME)
    cv: float = Field(gt=0, le=MAX_CV)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        sigma2 = math.log1p(self.cv**2)
        return rng.lognormal(math.log(self.mean) - sigma2 / 2, math.sqrt(sigma2), size)


class Discrete(Spec):
    kind: Literal["discrete"]
    values: list[Annotated[float, Field(ge=0, le=MAX_TIME)]] = Field(min_length=1)
    probs: list[Annotated[float, Field(ge=0)]] = Field(min_length=1)

    @model_validator(mode="after")
    def _probs_match(self) -> Discrete:
        if len(self.values) != len(self.probs):
            raise ValueError(f"values and probs must have the same length, got {len(self.values)} and {len(self.probs)}")
        if not math.isclose(sum(self.probs), 1.0, abs_tol=1e-6):
            raise ValueError(f"probs must sum to 1, got {sum(self.probs):.6g}")
        return self

    @property
    def mean(self) -> float:
        return float(np.dot(self.values, self.probs))

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.choice(np.asarray(self.values), size=size, p=np.asarray(self.probs))


def _number_is_fixed(value):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {"kind": "fixed", "value": value}
    return value


Distribution = Annotated[
    Fixed | Gamma | Lognormal | Discrete,
    Field(discriminator="kind"),
    BeforeValidator(_number_is_fixed),
]

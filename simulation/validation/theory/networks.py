"""Networks of stocks: Eppen's pooling of safety stock, the serial two-echelon system, and Clark-Scarf."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simulation.validation.theory.losses import discrete_loss, poisson_pmf
from simulation.validation.theory.single_node import StockPerformance, _from_losses


@dataclass(frozen=True)
class Pooling:
    separate: float   # total safety stock of n locations each stocking for itself
    pooled: float     # safety stock of one stock serving all n

    @property
    def ratio(self) -> float:
        return self.pooled / self.separate


def eppen_safety_stock(locations: int, daily_sd: float, z: float, correlation: float = 0.0) -> Pooling:
    """Eppen (1979), *Management Science* 25(5): n locations with normal demand of equal standard
    deviation sigma and pairwise correlation rho, each stocking z sigma of safety stock, hold n z sigma
    in total; one pooled stock needs z sigma sqrt(n + n (n - 1) rho). Independent demand (rho = 0)
    gives the square-root law; perfectly correlated demand (rho = 1) gives no saving.

    >>> [round(eppen_safety_stock(n, 1.0, 1.645).ratio, 3) for n in (1, 4, 16)]
    [1.0, 0.5, 0.25]
    >>> round(eppen_safety_stock(4, 1.0, 1.645, correlation=1.0).ratio, 3)
    1.0
    """
    n = locations
    return Pooling(separate=n * z * daily_sd, pooled=z * daily_sd * math.sqrt(n + n * (n - 1) * correlation))


@dataclass(frozen=True)
class SerialPerformance:
    retailer: StockPerformance   # customer-facing stage
    warehouse_on_hand: float     # expected end-of-day on hand upstream
    warehouse_owed: float        # expected units the warehouse owes the retailer (its backorders)
    in_transit: float            # expected units on the way from warehouse to retailer

    def cost(self, retailer_holding: float, warehouse_holding: float, backorder: float) -> float:
        """Expected cost per day: holding at each stage (in-transit units at the warehouse's rate,
        as in echelon accounting) plus the backorder cost at the retailer."""
        return (retailer_holding * self.retailer.on_hand + backorder * self.retailer.backorders
                + warehouse_holding * (self.warehouse_on_hand + self.in_transit))


def serial_two_echelon_poisson(daily_mean: float, retailer_lead: int, warehouse_lead: int,
                               retailer_base_stock: int, warehouse_base_stock: int) -> SerialPerformance:
    """Two-stage serial system (supplier -> warehouse -> retailer -> customers), Poisson demand, daily
    installation base stock S1 (retailer) and S2 (warehouse), backorders at both stages. The warehouse
    owes the retailer B2 = (D_{L2} - S2)^+ and holds (S2 - D_{L2})^+; the retailer's net stock L1 days
    later is S1 - B2 - D_{L1}, with D_{L1} independent of B2 (Clark & Scarf 1960; Axsaeter, *Inventory
    Control*, section 10.2; Zipkin section 8.3). Exact up to truncating the Poisson tails.

    >>> p = serial_two_echelon_poisson(4.0, 1, 2, 7, 9)
    >>> round(p.retailer.fill_rate, 4), round(p.retailer.on_hand, 4), round(p.warehouse_on_hand, 4)
    (0.9292, 2.5803, 1.7092)
    """
    lam, L1, L2, S1, S2 = daily_mean, retailer_lead, warehouse_lead, retailer_base_stock, warehouse_base_stock
    upto = int(lam * (L1 + L2) + 15 * math.sqrt(lam * (L1 + L2) + 1) + S1 + S2 + 30)
    d2 = poisson_pmf(lam * L2, upto)
    owed = np.zeros(upto + 1)                 # law of B2
    owed[0] = d2[: S2 + 1].sum()
    owed[1: upto + 1 - S2] = d2[S2 + 1:]
    k = np.arange(upto + 1)
    ahead_l = np.convolve(owed, poisson_pmf(lam * L1, upto))[: upto + 1]      # B2 + D_{L1}
    ahead_lm1 = np.convolve(owed, poisson_pmf(lam * (L1 - 1), upto))[: upto + 1]  # B2 + D_{L1 - 1}
    retailer = _from_losses(lam, discrete_loss(ahead_l, S1), discrete_loss(ahead_lm1, S1), S1, float(ahead_l @ k))
    return SerialPerformance(retailer=retailer, warehouse_on_hand=float(d2 @ np.maximum(S2 - k, 0)),
                             warehouse_owed=float(owed @ k), in_transit=lam * L1)


@dataclass(frozen=True)
class ClarkScarf:
    echelon_base_stock: tuple[int, int]   # (retailer, warehouse) echelon levels
    local_base_stock: tuple[int, int]     # the equivalent installation levels the engine uses
    expected_cost: float                  # per day at the optimum


def clark_scarf_poisson(daily_mean: float, retailer_lead: int, warehouse_lead: int, retailer_holding: float,
                        warehouse_holding: float, backorder: float) -> ClarkScarf:
    """Optimal echelon base-stock levels of the two-stage serial system by the Clark-Scarf
    decomposition (Clark & Scarf 1960; Chen & Zheng 1994; Snyder & Shen section 6.2.3), with local
    holding costs H1 >= H2 and echelon holding costs e1 = H1 - H2, e2 = H2:

    * G1(y) = e1 (y - lambda L1) + (p + H1) E[(D_{L1} - y)^+]; S1* = argmin G1;
    * G2(y) = e2 (y - lambda L2) + E[G1(min(y - D_{L2}, S1*))]; S2* = argmin G2; cost = G2(S2*).

    The engine runs installation base stock: retailer S1*, warehouse S2* - S1*.

    >>> cs = clark_scarf_poisson(4.0, 1, 2, 2.0, 1.0, 19.0)
    >>> cs.echelon_base_stock, cs.local_base_stock, round(cs.expected_cost, 4)
    ((8, 17), (8, 9), 15.7033)
    >>> perf = serial_two_echelon_poisson(4.0, 1, 2, *cs.local_base_stock)
    >>> round(perf.cost(2.0, 1.0, 19.0), 4)
    15.7033
    """
    lam, L1, L2, H1, H2, p = daily_mean, retailer_lead, warehouse_lead, retailer_holding, warehouse_holding, backorder
    e1, e2 = H1 - H2, H2
    upto = int(lam * (L1 + L2) * 3 + 15 * math.sqrt(lam * (L1 + L2) + 1) + 30)
    d1, d2 = poisson_pmf(lam * L1, upto), poisson_pmf(lam * L2, upto)
    ys = np.arange(-upto, upto + 1)
    g1 = np.array([e1 * (y - lam * L1) + (p + H1) * discrete_loss(d1, y) for y in ys])
    s1 = int(ys[np.argmin(g1)])
    k = np.arange(upto + 1)

    def g2(y):
        below = np.minimum(y - k, s1)
        return e2 * (y - lam * L2) + float(d2 @ g1[below + upto])

    candidates = range(s1, upto)
    costs = [g2(y) for y in candidates]
    s2 = candidates[int(np.argmin(costs))]
    return ClarkScarf((s1, s2), (s1, s2 - s1), float(min(costs)))

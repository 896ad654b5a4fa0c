"""Picking queues: M/M/c (Erlang C) waiting, sojourn time and number in system."""

from __future__ import annotations

import math


def erlang_c(servers: int, offered_load: float) -> float:
    """Probability an arrival waits in an M/M/c queue with offered load a = lambda / mu < c (Erlang C;
    Kleinrock, *Queueing Systems* vol. 1, eq. 3.40; Gross & Harris, *Fundamentals of Queueing Theory*,
    section 2.3).

    >>> round(erlang_c(1, 0.5), 4), round(erlang_c(3, 2.5), 4)
    (0.5, 0.7022)
    """
    c, a = servers, offered_load
    if a >= c:
        raise ValueError(f"offered load {a} must be below the number of servers {c}")
    head = sum(a**k / math.factorial(k) for k in range(c))
    tail = a**c / math.factorial(c) * c / (c - a)
    return tail / (head + tail)


def mmc_sojourn_hours(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Mean time in an M/M/c system (wait plus service): W = C(c, a) / (c mu - lambda) + 1 / mu, with
    lambda arrivals and mu services per server per hour. By Little's law L = lambda W.

    >>> round(mmc_sojourn_hours(2.0, 3.0, 1), 4)
    1.0
    """
    a = arrival_rate / service_rate
    return erlang_c(servers, a) / (servers * service_rate - arrival_rate) + 1.0 / service_rate


def mmc_number_in_system(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Time-average number of orders at the node (waiting or being picked), by Little's law
    L = lambda W (Little 1961) with W from :func:`mmc_sojourn_hours`.

    >>> round(mmc_number_in_system(2.0, 3.0, 1), 4)
    2.0
    """
    return arrival_rate * mmc_sojourn_hours(arrival_rate, service_rate, servers)

"""The fit's kernels against independent implementations: scipy's negative binomial for the likelihood,
the censored mean and the histograms, on data whose every cell is listed."""

import numpy as np
import pytest
from scipy import optimize, stats

from simulation.kernels import fitting


def nbinom(mu, alpha):
    """scipy's parametrisation of mean mu, variance mu + alpha mu^2."""
    n = 1.0 / alpha
    return stats.nbinom(n, n / (n + mu))


@pytest.fixture(scope="module")
def cells():
    """Two SKUs at three stores over 84 season groups (a day each), drawn from the model, a few censored."""
    rng = np.random.default_rng(4)
    rate, scale, alpha = np.array([0.7, 3.0]), np.array([0.8, 1.0, 1.3]), np.array([0.25, 0.6])
    mix = np.array([[1.0, 1.2, 0.9], [1.1, 1.0, 0.8]])
    season = rng.uniform(0.7, 1.3, 84)
    k, i, g = (a.ravel() for a in np.meshgrid(np.arange(2), np.arange(3), np.arange(84), indexing="ij"))
    mu = rate[k] * scale[i] * mix[k, i] * season[g]
    y = nbinom(mu, alpha[k]).rvs(random_state=rng)
    censored = rng.random(y.size) < 0.1
    return dict(rate=rate, scale=scale, mix=mix, season=season, alpha=alpha, k=k, i=i, g=g, mu=mu, y=y, censored=censored)


def reference_alpha(c, sku):
    """The MLE of one SKU's alpha with scipy: log pmf of observed cells, log P[D >= y] of censored ones."""
    mine = c["k"] == sku
    y, mu, cens = c["y"][mine], c["mu"][mine], c["censored"][mine]

    def minus_loglik(log_alpha):
        d = nbinom(mu, np.exp(log_alpha))
        return -(d.logpmf(y)[~cens].sum() + d.logsf(y - 1)[cens].sum())

    return np.exp(optimize.minimize_scalar(minus_loglik, bounds=(np.log(1e-4), np.log(50)), method="bounded",
                                           options={"xatol": 1e-6}).x)


def test_overdispersion_from_gathered_statistics_is_the_likelihoods_maximum(cells):
    c = cells
    free = ~c["censored"]
    cell_units = np.zeros((2, 3, 84), np.int32)
    np.add.at(cell_units, (c["k"][free], c["i"][free], c["g"][free]), c["y"][free])
    values = 64
    counts = np.zeros((2, values), np.int64)
    np.add.at(counts, (c["k"][free], np.minimum(c["y"][free], values - 1)), 1)
    big = free & (c["y"] >= values)
    order = np.argsort(c["k"][big], kind="stable")
    cens = np.flatnonzero(c["censored"])
    cens = cens[np.argsort(c["k"][cens], kind="stable")]
    alpha, information, _ = fitting.fit_overdispersion_stats(
        c["rate"], c["scale"], c["mix"], c["season"], np.ones(84), cell_units, counts,
        np.searchsorted(c["k"][big][order], np.arange(3)), c["y"][big][order],
        np.searchsorted(c["k"][cens], np.arange(3)), c["y"][cens], c["mu"][cens], 1e-4, 50.0)
    for sku in (0, 1):
        assert alpha[sku] == pytest.approx(reference_alpha(c, sku), rel=2e-3)
    assert (information > 0).all()


def test_censored_mean_is_the_conditional_expectation(cells):
    c = cells
    y, mu, a = c["y"][:40], c["mu"][:40], c["alpha"][c["k"][:40]]
    got = fitting.censored_mean(y, mu, a)
    for j in range(y.size):
        d = nbinom(mu[j], a[j])
        support = np.arange(y[j], y[j] + 2000)
        expected = (support * d.pmf(support)).sum() / d.sf(y[j] - 1)
        assert got[j] == pytest.approx(expected, rel=1e-6)


def test_histograms_are_the_probabilities_summed(cells):
    c = cells
    bins = 12
    expected = fitting.expected_histogram(c["rate"], c["scale"], c["mix"], c["season"], np.ones(84), c["alpha"], bins)
    for sku in (0, 1):
        d = nbinom(c["mu"][c["k"] == sku], c["alpha"][sku])
        want = np.array([d.pmf(n).sum() for n in range(bins - 1)] + [d.sf(bins - 2).sum()])
        np.testing.assert_allclose(expected[sku], want, rtol=1e-9)
    stock = np.array([0, 1, 3, 20])
    mu, a = c["mu"][:4], c["alpha"][c["k"][:4]]
    got = fitting.sales_histogram(mu, a, stock, bins)
    want = np.zeros(bins)
    for m, al, s in zip(mu, a, stock, strict=True):
        d = nbinom(m, al)
        for n in range(min(s, bins - 1)):
            want[n] += d.pmf(n)
        want[min(s, bins - 1)] += d.sf(min(s, bins - 1) - 1)  # sells its stock (or bins - 1 or more) when demand reaches it
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)

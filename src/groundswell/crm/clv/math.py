"""BG/NBD and Gamma-Gamma: the published likelihoods and the quantities CLV is made of.

Pure numpy/scipy, no database. The formulas are those of Fader, Hardie & Lee, "Counting
your customers the easy way" (Marketing Science 2005) and Fader & Hardie, "The Gamma-Gamma
model of monetary value" (2013 note); see docs/adr/0013-clv-with-scipy.md for why they are
written out here instead of taken from a library.

Customers are summarised as ``x`` (repeat purchases in the calibration period), ``t_x``
(time of the last purchase, from the first) and ``T`` (time from the first purchase to the
end of calibration), all in weeks.

scipy is imported inside the functions that use it: importing it costs about 0.4 s, and
every web, worker and CLI process imports this module while only CLV fits and scores need
scipy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

Array = NDArray[np.float64]


@dataclass(frozen=True)
class BgNbdParams:
    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float


@dataclass(frozen=True)
class GammaGammaParams:
    p: float
    q: float
    gamma: float
    log_likelihood: float


def _arr(v: ArrayLike) -> Array:
    return np.asarray(v, dtype=np.float64)


def bgnbd_log_likelihood(
    params: ArrayLike, x: ArrayLike, t_x: ArrayLike, big_t: ArrayLike
) -> Array:
    """Per-customer log-likelihood (equation 6 of the paper, in log space for stability)."""
    from scipy import special

    r, alpha, a, b = _arr(params)
    x, t_x, big_t = _arr(x), _arr(t_x), _arr(big_t)
    a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    a2 = (
        special.gammaln(a + b)
        + special.gammaln(b + x)
        - special.gammaln(b)
        - special.gammaln(a + b + x)
    )
    a3 = -(r + x) * np.log(alpha + big_t)
    repeat = x > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.where(
            repeat,
            np.log(a) - np.log(np.where(repeat, b + x - 1, 1.0)) - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
    return np.asarray(a1 + a2 + np.logaddexp(a3, a4), dtype=np.float64)


def fit_bgnbd(
    x: ArrayLike, t_x: ArrayLike, big_t: ArrayLike, *, weights: ArrayLike | None = None
) -> BgNbdParams:
    """Maximum-likelihood r, α, a, b (Nelder-Mead then L-BFGS-B on log parameters)."""
    from scipy import optimize

    xa, ta, ba = _arr(x), _arr(t_x), _arr(big_t)
    w = np.ones_like(xa) if weights is None else _arr(weights)

    def nll(log_params: Array) -> float:
        # The optimiser probes extreme parameters; overflow there only means "far worse"
        # (the value is then not finite and is answered with 1e300), not a fault.
        with np.errstate(over="ignore", invalid="ignore"):
            value = -float(np.sum(w * bgnbd_log_likelihood(np.exp(log_params), xa, ta, ba)))
        return value if np.isfinite(value) else 1e300

    start = np.log(np.array([1.0, max(float(np.mean(ba)), 1.0), 1.0, 1.0]))
    rough = optimize.minimize(nll, start, method="Nelder-Mead", options={"maxiter": 4000})
    best = optimize.minimize(nll, rough.x, method="L-BFGS-B")
    chosen = best if best.fun <= rough.fun else rough
    r, alpha, a, b = (float(v) for v in np.exp(chosen.x))
    return BgNbdParams(r=r, alpha=alpha, a=a, b=b, log_likelihood=-float(chosen.fun))


def probability_alive(p: BgNbdParams, x: ArrayLike, t_x: ArrayLike, big_t: ArrayLike) -> Array:
    """P(still active | x, t_x, T); 1 for customers with no repeat purchase (by the model)."""
    x, t_x, big_t = _arr(x), _arr(t_x), _arr(big_t)
    with np.errstate(divide="ignore", invalid="ignore"):
        odds = np.where(
            x > 0,
            p.a
            / np.where(x > 0, p.b + x - 1, 1.0)
            * np.exp((p.r + x) * (np.log(p.alpha + big_t) - np.log(p.alpha + t_x))),
            0.0,
        )
    return np.asarray(1.0 / (1.0 + odds), dtype=np.float64)


def expected_purchases(
    p: BgNbdParams, t: float, x: ArrayLike, t_x: ArrayLike, big_t: ArrayLike
) -> Array:
    """E[purchases in the next ``t`` weeks | x, t_x, T] (equation 10 of the paper)."""
    from scipy import special

    x, t_x, big_t = _arr(x), _arr(t_x), _arr(big_t)
    hyp = special.hyp2f1(p.r + x, p.b + x, p.a + p.b + x - 1, t / (p.alpha + big_t + t))
    head = (p.a + p.b + x - 1) / (p.a - 1)
    body = 1 - ((p.alpha + big_t) / (p.alpha + big_t + t)) ** (p.r + x) * hyp
    return np.asarray(head * body * probability_alive(p, x, t_x, big_t), dtype=np.float64)


def expected_purchases_new(p: BgNbdParams, t: ArrayLike) -> Array:
    """E[X(t)] for a customer just acquired (the population curve, equation 9)."""
    from scipy import special

    t = _arr(t)
    hyp = special.hyp2f1(p.r, p.b, p.a + p.b - 1, t / (p.alpha + t))
    return np.asarray(
        (p.a + p.b - 1) / (p.a - 1) * (1 - (p.alpha / (p.alpha + t)) ** p.r * hyp),
        dtype=np.float64,
    )


def gamma_gamma_log_likelihood(params: ArrayLike, x: ArrayLike, m_x: ArrayLike) -> Array:
    """Per-customer log-likelihood of the mean spend ``m_x`` over ``x`` transactions."""
    from scipy import special

    p, q, g = _arr(params)
    x, m_x = _arr(x), _arr(m_x)
    return np.asarray(
        special.gammaln(p * x + q)
        - special.gammaln(p * x)
        - special.gammaln(q)
        + q * np.log(g)
        + (p * x - 1) * np.log(m_x)
        + p * x * np.log(x)
        - (p * x + q) * np.log(g + m_x * x),
        dtype=np.float64,
    )


def fit_gamma_gamma(x: ArrayLike, m_x: ArrayLike) -> GammaGammaParams:
    """Maximum-likelihood p, q, γ over customers with at least one repeat purchase."""
    from scipy import optimize

    xa, ma = _arr(x), _arr(m_x)
    keep = (xa > 0) & (ma > 0)
    xa, ma = xa[keep], ma[keep]

    def nll(log_params: Array) -> float:
        with np.errstate(over="ignore", invalid="ignore"):  # as in fit_bgnbd
            value = -float(np.sum(gamma_gamma_log_likelihood(np.exp(log_params), xa, ma)))
        return value if np.isfinite(value) else 1e300

    start = np.log(np.array([1.0, 1.0, max(float(np.mean(ma)), 1.0)]))
    rough = optimize.minimize(nll, start, method="Nelder-Mead", options={"maxiter": 4000})
    best = optimize.minimize(nll, rough.x, method="L-BFGS-B")
    chosen = best if best.fun <= rough.fun else rough
    p, q, g = (float(v) for v in np.exp(chosen.x))
    return GammaGammaParams(p=p, q=q, gamma=g, log_likelihood=-float(chosen.fun))


def expected_average_spend(p: GammaGammaParams, x: ArrayLike, m_x: ArrayLike) -> Array:
    """E[M | x, m_x]: the mean spend shrunk towards the population mean (few purchases)."""
    x, m_x = _arr(x), _arr(m_x)
    population = p.p * p.gamma / (p.q - 1) if p.q > 1 else float("nan")
    conditional = (p.gamma + m_x * x) * p.p / (p.p * x + p.q - 1)
    return np.asarray(np.where(x > 0, conditional, population), dtype=np.float64)


def discounted_value(
    bg: BgNbdParams,
    gg: GammaGammaParams,
    *,
    x: ArrayLike,
    t_x: ArrayLike,
    big_t: ArrayLike,
    m_x: ArrayLike,
    horizon_weeks: float,
    annual_discount_rate: float,
    step_weeks: float = 4.0,
) -> Array:
    """CLV over the horizon: expected purchases per step × expected spend, discounted.

    Purchases are counted step by step (the difference of the cumulative expectation) so
    later purchases are discounted more, as in the lifetimes/Fader-Hardie recipe.
    """
    spend = expected_average_spend(gg, x, m_x)
    weekly = (1 + annual_discount_rate) ** (1 / 52.0) - 1
    total = np.zeros_like(_arr(x))
    previous = np.zeros_like(total)
    t = 0.0
    while t < horizon_weeks - 1e-9:
        t = min(t + step_weeks, horizon_weeks)
        cumulative = expected_purchases(bg, t, x, t_x, big_t)
        total += (cumulative - previous) * spend / (1 + weekly) ** t
        previous = cumulative
    return total

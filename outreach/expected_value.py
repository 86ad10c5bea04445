"""Expected value of a member: the BG/NBD model of when members buy and stop buying (Fader, Hardie & Lee 2005,
"Counting Your Customers the Easy Way") and the Gamma–Gamma model of how much they spend per purchase
(Fader, Hardie & Lee 2005, "RFM and CLV"; Fader & Hardie 2013, "The Gamma-Gamma Model of Monetary Value").

Pure numpy/scipy, no Django: arrays in, arrays out. The conventions are those of the `lifetimes` package,
time in days: `frequency` x = the number of repeat purchase days (distinct days after the first purchase
day), `recency` t_x = days from the first purchase to the last, `T` = days from the first purchase to the
end of the calibration period; `monetary` = the mean spend of the repeat purchase days (0 with no repeat).

BG/NBD: while alive a member buys as a Poisson process of rate λ ~ Gamma(r, α) (α in days); after each
repeat purchase they drop out with probability p ~ Beta(a, b). Gamma–Gamma: a member's spends are
Gamma(p, ν) with ν ~ Gamma(q, v), independent of the buying process.
"""

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1


@dataclass(frozen=True)
class BgNbdParams:
    r: float
    alpha: float
    a: float
    b: float

    def as_dict(self) -> dict[str, float]:
        return {"r": self.r, "alpha": self.alpha, "a": self.a, "b": self.b}


@dataclass(frozen=True)
class GammaGammaParams:
    p: float
    q: float
    v: float

    @property
    def population_mean(self) -> float:
        """E[spend per purchase] over the population: p·v/(q − 1), infinite unless q > 1."""
        return self.p * self.v / (self.q - 1) if self.q > 1 else float("inf")

    def as_dict(self) -> dict[str, float]:
        return {"p": self.p, "q": self.q, "v": self.v}


# The objective is a mean over members, so its changes near the optimum are tiny: scipy's default stopping
# rule (relative change 2e-9) leaves the CDNOW fit 1e-4 short of the published estimates; this reaches them.
TIGHT = {"ftol": 1e-13, "gtol": 1e-9, "maxiter": 1000}


class FitError(ValueError):
    """The data cannot identify the model (too few members or repeat buyers, or the optimiser failed)."""


def _arrays(*values) -> list[np.ndarray]:
    return [np.asarray(v, dtype=float) for v in values]


# --- BG/NBD ------------------------------------------------------------------------------------------------


def bgnbd_log_likelihood(params: BgNbdParams, frequency, recency, T) -> np.ndarray:
    """Each member's log-likelihood (FHL 2005, eq. 6), in logs throughout: ln L = A1 + A2 + ln(e^A3 + δ e^A4)
    with the sum taken by logaddexp, so large x, t_x and T neither overflow nor lose the smaller term."""
    x, t_x, T = _arrays(frequency, recency, T)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = betaln(a, b + x) - betaln(a, b)
    a3 = -(r + x) * np.log(alpha + T)
    # δ(x > 0): for x = 0 the term is absent; b + x − 1 is clipped only to keep the discarded branch finite.
    a4 = np.log(a) - np.log(b + np.maximum(x, 1) - 1) - (r + x) * np.log(alpha + t_x)
    return a1 + a2 + np.where(x > 0, np.logaddexp(a3, a4), a3)


def _bgnbd_gradient(params: BgNbdParams, x, t_x, T) -> tuple[np.ndarray, np.ndarray]:
    """Each member's log-likelihood and its gradient with respect to (r, α, a, b), one row per parameter:
    the fit evaluates both at once, which takes a few dozen evaluations where a numerical gradient needs
    hundreds."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    ll = bgnbd_log_likelihood(params, x, t_x, T)
    a3 = -(r + x) * np.log(alpha + T)
    a4 = np.log(a) - np.log(b + np.maximum(x, 1) - 1) - (r + x) * np.log(alpha + t_x)
    mix = np.where(x > 0, np.logaddexp(a3, a4), a3)
    w3 = np.exp(a3 - mix)  # the share of e^A3 in e^A3 + δ e^A4
    w4 = np.where(x > 0, np.exp(a4 - mix), 0.0)
    psi_ab, psi_abx = digamma(a + b), digamma(a + b + x)
    grad = np.vstack(
        [
            digamma(r + x) - digamma(r) + np.log(alpha) - w3 * np.log(alpha + T) - w4 * np.log(alpha + t_x),
            r / alpha - w3 * (r + x) / (alpha + T) - w4 * (r + x) / (alpha + t_x),
            psi_ab - psi_abx + w4 / a,
            digamma(b + x) - digamma(b) + psi_ab - psi_abx - w4 / (b + np.maximum(x, 1) - 1),
        ]
    )
    return ll, grad


def _compress(*columns: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Identical rows once, with their counts as weights: integer days repeat a lot, so this divides the
    work of every likelihood evaluation."""
    stacked = np.column_stack(columns)
    unique, counts = np.unique(stacked, axis=0, return_counts=True)
    return [unique[:, i] for i in range(unique.shape[1])], counts.astype(float)


def fit_bgnbd(frequency, recency, T, *, penalizer: float = 0.0) -> BgNbdParams:
    """Maximum likelihood (r, α, a, b), optimised on their logs so they stay positive. `penalizer` adds
    penalizer·Σθ² to the mean negative log-likelihood, as `lifetimes` does, to keep sparse data from
    running a parameter to infinity. Raises FitError when the data cannot identify the parameters."""
    x, t_x, T = _arrays(frequency, recency, T)
    if len(x) < 2:
        raise FitError("at least two members are needed to fit the model")
    # T = 0 is allowed (a member whose first purchase is on the last day): their likelihood is 1, no information.
    if not np.all((x >= 0) & (t_x >= 0) & (t_x <= T)) or np.any((x > 0) & (t_x <= 0)):
        raise FitError("each member needs 0 <= recency <= T, and recency > 0 when frequency > 0")
    if not np.any(x > 0):
        raise FitError("no member bought again: nothing to fit")
    (x, t_x, T), weights = _compress(x, t_x, T)
    total = weights.sum()

    def objective(log_params: np.ndarray) -> tuple[float, np.ndarray]:
        theta = np.exp(log_params)
        ll, grad = _bgnbd_gradient(BgNbdParams(*theta), x, t_x, T)
        value = -(weights @ ll) / total + penalizer * float(theta @ theta)
        # d/d(ln θ) = θ · d/dθ
        gradient = (-(grad @ weights) / total + 2 * penalizer * theta) * theta
        return value, gradient

    # Start from the population's purchase rate (r = 1, so E[λ] = 1/α) and a middling dropout.
    rate = (weights @ x) / (weights @ T)
    start = np.log([1.0, 1.0 / rate, 0.5, 1.0])
    result = minimize(objective, start, jac=True, method="L-BFGS-B", bounds=[(-12.0, 12.0)] * 4, options=TIGHT)
    if not np.isfinite(result.fun):
        raise FitError("the optimiser did not find a finite likelihood")
    return BgNbdParams(*(float(v) for v in np.exp(result.x)))


def _log_odds_dead(params: BgNbdParams, x, t_x, T) -> np.ndarray:
    """ln(P(dead) / P(alive)) for members with x > 0 (FHL 2005, eq. 13, in logs)."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    return np.log(a) - np.log(b + np.maximum(x, 1) - 1) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))


def p_alive(params: BgNbdParams, frequency, recency, T) -> np.ndarray:
    """P(still buying | x, t_x, T). 1 for a member with no repeat purchase: the model lets a member drop out
    only right after a repeat purchase."""
    x, t_x, T = _arrays(frequency, recency, T)
    return np.where(x > 0, expit(-_log_odds_dead(params, x, t_x, T)), 1.0)


def _log_hyp2f1(a, b, c, z) -> np.ndarray:
    """ln ₂F₁(a, b; c; z) for 0 <= z < 1; when the series overflows (large a, b), Euler's transformation
    ₂F₁(a, b; c; z) = (1 − z)^(c−a−b) ₂F₁(c − a, c − b; c; z) gives the same value from small terms."""
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        direct = np.log(hyp2f1(a, b, c, z))
        euler = np.log(hyp2f1(c - a, c - b, c, z)) + (c - a - b) * np.log1p(-z)
    return np.where(np.isfinite(direct), direct, euler)


def expected_purchases(params: BgNbdParams, t: float, frequency, recency, T) -> np.ndarray:
    """E[purchases in the next t days | x, t_x, T] (FHL 2005, eq. 10): the alive member's expectation
    times P(alive)."""
    x, t_x, T = _arrays(frequency, recency, T)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    if abs(a - 1) < 1e-9:
        a = 1 + 1e-9  # the formula's 0/0 at a = 1; its limit is finite and this is next to it
    z = t / (alpha + T + t)
    log_hyp = _log_hyp2f1(r + x, b + x, a + b + x - 1, z)
    first = (a + b + x - 1) / (a - 1)
    second = -np.expm1(log_hyp + (r + x) * (np.log(alpha + T) - np.log(alpha + T + t)))
    # Both factors change sign together at a = 1; the max only absorbs rounding on the far side of zero.
    return np.maximum(first * second, 0.0) * p_alive(params, x, t_x, T)


def expected_purchases_new(params: BgNbdParams, t: float) -> float:
    """E[X(t)] for a member just acquired (FHL 2005, eq. 7): the population's curve."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    hyp = float(np.exp(_log_hyp2f1(r, b, a + b - 1, t / (alpha + t))))
    return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp)


# --- Gamma–Gamma -------------------------------------------------------------------------------------------


def gamma_gamma_log_likelihood(params: GammaGammaParams, frequency, monetary) -> np.ndarray:
    """Each repeat buyer's log-likelihood of their mean spend m over x purchases (Fader & Hardie 2013, eq. 3)."""
    x, m = _arrays(frequency, monetary)
    p, q, v = params.p, params.q, params.v
    return (
        gammaln(p * x + q) - gammaln(p * x) - gammaln(q) + q * np.log(v)
        + (p * x - 1) * np.log(m) + p * x * np.log(x) - (p * x + q) * np.log(x * m + v)
    )  # fmt: skip


def fit_gamma_gamma(frequency, monetary, *, penalizer: float = 0.0) -> GammaGammaParams:
    """(p, q, v) by maximum likelihood on the repeat buyers (x > 0, m > 0), the others being dropped: the
    model describes the spend of purchases, and a first purchase is often unlike the rest."""
    x, m = _arrays(frequency, monetary)
    keep = (x > 0) & (m > 0)
    if keep.sum() < 3:
        raise FitError("at least three repeat buyers with a spend are needed to fit the spend model")
    (x, m), weights = _compress(x[keep], m[keep])
    total = weights.sum()
    # Money is rescaled to a mean of 1 inside the fit (v scales with it), so the start fits any currency.
    scale = (weights @ m) / total
    m_scaled = m / scale

    log_m, log_x = np.log(m_scaled), np.log(x)

    def objective(log_params: np.ndarray) -> tuple[float, np.ndarray]:
        theta = np.exp(log_params)
        p, q, v = theta
        ll = gamma_gamma_log_likelihood(GammaGammaParams(p, q, v), x, m_scaled)
        common = digamma(p * x + q)
        log_total = np.log(x * m_scaled + v)
        grad = np.vstack(
            [
                x * (common - digamma(p * x) + log_m + log_x - log_total),
                common - digamma(q) + np.log(v) - log_total,
                q / v - (p * x + q) / (x * m_scaled + v),
            ]
        )
        value = -(weights @ ll) / total + penalizer * float(theta @ theta)
        return value, (-(grad @ weights) / total + 2 * penalizer * theta) * theta

    start = np.log([1.0, 2.0, 1.0])  # mean p·v/(q − 1) = 1, the scaled sample mean
    result = minimize(objective, start, jac=True, method="L-BFGS-B", bounds=[(-12.0, 12.0)] * 3, options=TIGHT)
    if not np.isfinite(result.fun):
        raise FitError("the optimiser did not find a finite likelihood for the spend model")
    p, q, v = (float(val) for val in np.exp(result.x))
    return GammaGammaParams(p=p, q=q, v=v * scale)


def expected_spend(params: GammaGammaParams, frequency, monetary, *, fallback: float) -> np.ndarray:
    """E[spend per purchase | x, m] = (p(v + x·m)) / (p·x + q − 1): the member's own mean shrunk toward the
    population's. For a member with no repeat (x = 0) it is the population mean p·v/(q − 1). When q <= 1
    that mean is infinite and the formula meaningless: every member gets `fallback` (the sample mean)."""
    x, m = _arrays(frequency, monetary)
    if params.q <= 1:
        return np.full(len(x), float(fallback))
    x = np.where(m > 0, x, 0.0)  # a repeat buyer whose repeats were all free tells nothing about spend
    return params.p * (params.v + x * m) / (params.p * x + params.q - 1)


# --- Simulation --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Simulated:
    frequency: np.ndarray
    recency: np.ndarray
    T: np.ndarray
    holdout: np.ndarray  # purchases in (T, T + holdout_days]
    alive: np.ndarray  # alive at T


def simulate_bgnbd(
    params: BgNbdParams, T, *, holdout_days: float = 0.0, rng: np.random.Generator | None = None
) -> Simulated:
    """Members drawn from the BG/NBD with these parameters, one per entry of T (days observed after their
    first purchase), in continuous time, exactly: λ ~ Gamma(r, α), p ~ Beta(a, b); the member's K-th repeat
    purchase is their last with K ~ Geometric(p); N(T) ~ Poisson(λT) purchases fall in (0, T], uniformly, so
    x = min(K, N) and the x-th of N uniform points sits at T·Beta(x, N − x + 1). Memorylessness gives the
    holdout: min(K − x, Poisson(λh)) for the members still alive."""
    rng = rng or np.random.default_rng()
    T = np.asarray(T, dtype=float)
    n = len(T)
    lam = rng.gamma(params.r, 1.0 / params.alpha, size=n)
    p = rng.beta(params.a, params.b, size=n)
    k = rng.geometric(p)
    events = rng.poisson(lam * T)
    x = np.minimum(k, events)
    recency = np.zeros(n)
    bought = x > 0
    recency[bought] = T[bought] * rng.beta(x[bought], events[bought] - x[bought] + 1)
    alive = k > events
    holdout = np.zeros(n, dtype=np.int64)
    if holdout_days > 0:
        later = rng.poisson(lam * holdout_days)
        holdout = np.where(alive, np.minimum(k - x, later), 0)
    return Simulated(frequency=x.astype(float), recency=recency, T=T, holdout=holdout, alive=alive)

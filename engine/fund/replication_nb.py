"""Kernels of :mod:`engine.fund.replication`: the tracking-error optimiser of the optimised policy.

Problem, on a support :math:`A` of the candidate names (weights off :math:`A` are zero): with the
covariance :math:`S`, the index weights :math:`b` and the current book :math:`w^0`,

.. math:: \\min_{w \\ge 0,\\ \\mathbf 1^\\top w = 1} \\ \\tfrac12 (w - b)^\\top S (w - b)
          + \\lambda \\sum_{i \\in A} |w_i - w^0_i| .

On :math:`A` this is :math:`\\tfrac12 w_A^\\top S_{AA} w_A - c_A^\\top w_A + const` with
:math:`c = S b`.  :func:`solve` runs accelerated proximal gradient (FISTA with O'Donoghue-Candes
gradient restart, step :math:`1/L`, :math:`L` the largest eigenvalue of :math:`S_{AA}` by power
iteration); the proximal step :func:`prox` (simplex plus the L1 pull towards :math:`w^0`) is exact:
each weight is :math:`w_i(\\mu) = \\max(0, \\mathrm{soft}_{w^0_i, \\lambda t}(z_i - \\mu))`, and the
:math:`\\mu` that makes them sum to one is found on the sorted breakpoints of the piecewise-linear
sum.  The turnover :math:`\\tfrac12 \\sum |w - w^0|` of the solution does not increase with
:math:`\\lambda`, so the budgeted problem (turnover at most :math:`\\tau`) is the penalised one at the
smallest :math:`\\lambda` that meets it (:func:`solve_budget`, Illinois regula falsi on
:math:`\\lambda`).  The cardinality heuristic is :func:`eliminate` (backward elimination) followed
by :func:`swap` (one-in, one-out exchanges).  Only NumPy and scalars are seen here.
"""

from __future__ import annotations

import numpy as np

from engine._jit import njit

SHORTLIST = 3
"""Backward elimination re-solves the problem without each of this many names (those with the least
second-order removal cost) and drops the one whose removal costs least."""
SEARCH_TOL = 1e-9
"""Solver tolerance while choosing the names (the final weights are solved to the caller's)."""
BUDGET_TOL = 1e-9
"""How far below the turnover budget the budgeted solution may stop (one-way turnover, fraction)."""


@njit
def _w(z, w0, lam, mu):
    """One weight of :func:`prox` at the multiplier :math:`\\mu`: :math:`z - \\mu` moved by
    :math:`\\lambda` towards :math:`w^0` (held at :math:`w^0` within :math:`\\lambda` of it), floored at 0."""
    v = z - mu
    if v > w0 + lam:
        v -= lam
    elif v < w0 - lam:
        v += lam
    else:
        v = w0
    return v if v > 0.0 else 0.0


@njit
def _g(z, w0, lam, mu):
    """:math:`\\sum_i w_i(\\mu)` of :func:`prox`."""
    s = 0.0
    for i in range(z.shape[0]):
        v = _w(z[i], w0[i], lam, mu)
        if v > 0.0:
            s += v
    return s


@njit
def _simplex(z, out):
    """Euclidean projection of ``z`` on the unit simplex (sort, then the largest :math:`\\rho` with
    :math:`u_\\rho - (\\sum_{r \\le \\rho} u_r - 1) / \\rho > 0`), into ``out``."""
    k = z.shape[0]
    u = np.sort(z)[::-1]
    cum = 0.0
    theta = 0.0
    for r in range(k):
        cum += u[r]
        t = (cum - 1.0) / (r + 1)
        if u[r] - t > 0.0:
            theta = t
    for i in range(k):
        v = z[i] - theta
        out[i] = v if v > 0.0 else 0.0


@njit
def prox(z, w0, lam, out):
    """The point of the unit simplex nearest ``z`` with the pull :math:`\\lambda |w - w^0|`:
    :math:`\\arg\\min_{w \\ge 0, \\sum w = 1} \\tfrac12 \\|w - z\\|^2 + \\lambda \\sum_i |w_i - w^0_i|`,
    written into ``out``."""
    k = z.shape[0]
    if lam == 0.0:
        _simplex(z, out)
        return
    bp = np.empty(3 * k)
    for i in range(k):
        bp[3 * i] = z[i] - w0[i] - lam
        bp[3 * i + 1] = z[i] - w0[i] + lam
        bp[3 * i + 2] = z[i] + lam
    bp.sort()
    g0 = _g(z, w0, lam, bp[0])
    if g0 < 1.0:  # below every breakpoint every weight moves with mu at slope -1
        mu = bp[0] - (1.0 - g0) / k
    else:
        lo, hi = 0, 3 * k - 1  # g(bp[lo]) >= 1 > g(bp[hi]) (g(bp[-1]) = 0)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if _g(z, w0, lam, bp[mid]) >= 1.0:
                lo = mid
            else:
                hi = mid
        glo = _g(z, w0, lam, bp[lo])
        ghi = _g(z, w0, lam, bp[hi])
        mu = bp[lo]
        if glo > ghi:
            mu = bp[lo] + (glo - 1.0) * (bp[hi] - bp[lo]) / (glo - ghi)
    for i in range(k):
        out[i] = _w(z[i], w0[i], lam, mu)


@njit
def largest_eigenvalue(q):
    """Largest eigenvalue of the symmetric positive semi-definite ``q`` (power iteration)."""
    k = q.shape[0]
    v = np.full(k, 1.0 / np.sqrt(k))
    lam = 0.0
    for _ in range(100):
        u = q @ v
        norm = np.sqrt(np.sum(u * u))
        if norm == 0.0:
            return 0.0
        new = norm
        v = u / norm
        if abs(new - lam) <= 1e-6 * new:
            lam = new
            break
        lam = new
    return lam


@njit
def solve(q, c, w0, lam, x, tol, max_iter):
    """Minimise :math:`\\tfrac12 x^\\top q x - c^\\top x + \\lambda \\sum |x - w^0|` on the simplex by
    FISTA from the start ``x`` (overwritten with the solution).  Stops when the proximal-gradient
    step moves no weight by more than ``tol``; returns the iterations used."""
    k = q.shape[0]
    big = largest_eigenvalue(q) * 1.05
    if big <= 0.0:
        big = 1.0
    t = 1.0 / big
    prev = x.copy()
    y = x.copy()
    new = np.empty(k)
    z = np.empty(k)
    theta = 1.0
    for it in range(max_iter):
        for i in range(k):
            gi = -c[i]
            for j in range(k):
                gi += q[i, j] * y[j]
            z[i] = y[i] - t * gi
        prox(z, w0, lam * t, new)
        step = 0.0
        dot = 0.0
        for i in range(k):
            d = new[i] - prev[i]
            if abs(d) > step:
                step = abs(d)
            dot += (y[i] - new[i]) * d
        theta_next = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * theta * theta))
        if dot > 0.0:  # restart: the momentum points uphill
            theta_next = 1.0
            for i in range(k):
                y[i] = new[i]
        else:
            beta = (theta - 1.0) / theta_next
            for i in range(k):
                y[i] = new[i] + beta * (new[i] - prev[i])
        theta = theta_next
        for i in range(k):
            prev[i] = new[i]
        if step <= tol and it > 0:
            break
    for i in range(k):
        x[i] = prev[i]
    return it + 1


@njit
def turnover(x, w0, outside):
    """One-way turnover :math:`\\tfrac12 (\\sum_{i \\in A} |x_i - w^0_i| + outside)`, ``outside`` the
    book's weight off the support."""
    s = outside
    for i in range(x.shape[0]):
        s += abs(x[i] - w0[i])
    return 0.5 * s


@njit
def solve_budget(q, c, w0, outside, budget, x, tol, max_iter):
    """:func:`solve` with the one-way turnover against ``w0`` at most ``budget`` (plus ``outside``,
    the book's weight off the support, which must be sold whatever the weights).  Returns the
    penalty :math:`\\lambda` used (0 when the budget does not bind).  A budget below the least
    turnover the support allows (``outside``) gets that least turnover."""
    solve(q, c, w0, 0.0, x, tol, max_iter)
    if turnover(x, w0, outside) <= budget:
        return 0.0
    scale = 0.0
    for i in range(q.shape[0]):
        for j in range(q.shape[0]):
            if abs(q[i, j]) > scale:
                scale = abs(q[i, j])
    hi = 4.0 * scale + 4.0 * np.max(np.abs(c)) + 1e-300
    lo = 0.0
    best = x.copy()
    trial = x.copy()
    solve(q, c, w0, hi, trial, tol, max_iter)
    for i in range(x.shape[0]):
        best[i] = trial[i]
    if turnover(trial, w0, outside) > budget:  # infeasible budget: the least turnover
        for i in range(x.shape[0]):
            x[i] = best[i]
        return hi
    # Illinois (regula falsi) on h(lam) = turnover - budget, bracketed by h(lo) > 0 >= h(hi)
    h_lo = turnover(x, w0, outside) - budget
    h_hi = turnover(trial, w0, outside) - budget
    side = 0
    for _ in range(100):
        mid = (lo * h_hi - hi * h_lo) / (h_hi - h_lo)
        if not (lo < mid < hi):
            mid = 0.5 * (lo + hi)
        solve(q, c, w0, mid, trial, tol, max_iter)
        h = turnover(trial, w0, outside) - budget
        if h <= 0.0:
            hi, h_hi = mid, h
            for i in range(x.shape[0]):
                best[i] = trial[i]
            if side == -1:
                h_lo *= 0.5
            side = -1
            if h >= -BUDGET_TOL:
                break
        else:
            lo, h_lo = mid, h
            if side == 1:
                h_hi *= 0.5
            side = 1
        if hi - lo <= 1e-12 * hi:
            break
    for i in range(x.shape[0]):
        x[i] = best[i]
    return hi


@njit
def _sub(s, cvec, w0, active):
    idx = np.flatnonzero(active)
    k = idx.shape[0]
    q = np.empty((k, k))
    for a in range(k):
        for b in range(k):
            q[a, b] = s[idx[a], idx[b]]
    c = np.empty(k)
    w = np.empty(k)
    out = 0.0
    for a in range(k):
        c[a] = cvec[idx[a]]
        w[a] = w0[idx[a]]
    for i in range(w0.shape[0]):
        if not active[i]:
            out += w0[i]
    return idx, q, c, w, out


@njit
def _losses(q, x):
    """Second-order cost of removing each name of the support (all weights ``x`` positive): forcing
    :math:`x_i = 0` in the equality-constrained problem costs :math:`x_i^2 / (2 G_{ii})`,
    :math:`G = H^{-1} - H^{-1}\\mathbf 1 \\mathbf 1^\\top H^{-1} / \\mathbf 1^\\top H^{-1} \\mathbf 1`
    (:math:`H` the covariance on the support, a relative ridge of 1e-12 added)."""
    k = x.shape[0]
    ridge = 0.0
    for i in range(k):
        ridge += q[i, i]
    h = q.copy()
    for i in range(k):
        h[i, i] += 1e-12 * ridge / k + 1e-300
    inv = np.linalg.inv(h)
    u = inv @ np.ones(k)
    total = np.sum(u)
    out = np.empty(k)
    for i in range(k):
        g = inv[i, i] - u[i] * u[i] / total
        out[i] = 0.5 * x[i] * x[i] / g if g > 0.0 else 0.0
    return out


@njit
def _objective(q, c, w0, lam, x):
    v = 0.5 * (x @ (q @ x)) - c @ x
    for i in range(x.shape[0]):
        v += lam * abs(x[i] - w0[i])
    return v


@njit
def _least_loss(q, c, w0, lam, x, tol, max_iter):
    """The position in ``x`` whose removal raises the objective least: the ``SHORTLIST`` names with
    the least second-order cost (:func:`_losses`) are each removed and the problem solved again."""
    k = x.shape[0]
    order = np.argsort(_losses(q, x))
    best, arg = np.inf, order[0]
    for r in range(min(SHORTLIST, k)):
        i = order[r]
        keep = np.ones(k, dtype=np.bool_)
        keep[i] = False
        sub = np.flatnonzero(keep)
        qs = q[sub][:, sub]
        y = x[sub].copy()
        y /= np.sum(y)
        solve(qs, c[sub], w0[sub], lam, y, tol, max_iter)
        v = _objective(qs, c[sub], w0[sub], lam, y)
        if v < best:
            best, arg = v, i
    return arg


@njit
def eliminate(s, b, w0, lam, n_keep, tol, max_iter):
    """Backward elimination to ``n_keep`` names: solve on the support, drop every zero weight, else
    the name whose removal costs least (:func:`_least_loss`), repeat; returns the boolean
    support ``[k]``.  ``s`` is the covariance and ``b`` the index weights of the ``k`` candidates;
    ``lam`` the turnover penalty against ``w0`` used while selecting."""
    k = b.shape[0]
    cvec = s @ b
    active = np.ones(k, dtype=np.bool_)
    count = k
    w = b.copy()  # start from the index weights
    while count > n_keep:
        idx, q, c, w0a, _ = _sub(s, cvec, w0, active)
        x = np.empty(idx.shape[0])
        tot = 0.0
        for a in range(idx.shape[0]):
            tot += w[idx[a]]
        for a in range(idx.shape[0]):
            x[a] = w[idx[a]] / tot if tot > 0.0 else 1.0 / idx.shape[0]
        solve(q, c, w0a, lam, x, tol, max_iter)
        for a in range(idx.shape[0]):
            w[idx[a]] = x[a]
        order = np.argsort(x)
        drop = 0
        for a in range(idx.shape[0]):  # zero weights cost nothing to drop
            if count - drop > n_keep and x[order[a]] <= 0.0:
                active[idx[order[a]]] = False
                w[idx[order[a]]] = 0.0
                drop += 1
        if drop == 0:
            j = idx[_least_loss(q, c, w0a, lam, x, tol, max_iter)]
            active[j] = False
            w[j] = 0.0
            drop = 1
        count -= drop
    return active


@njit
def _solve_on(s, cvec, w0, lam, active, w, tol, max_iter):
    """Solve on the support ``active`` starting from ``w`` (renormalised), write the answer into
    ``w`` (zeros off the support) and return the objective."""
    idx, q, c, w0a, _ = _sub(s, cvec, w0, active)
    x = w[idx].copy()
    tot = np.sum(x)
    for a in range(idx.shape[0]):
        x[a] = x[a] / tot if tot > 0.0 else 1.0 / idx.shape[0]
    solve(q, c, w0a, lam, x, tol, max_iter)
    for i in range(w.shape[0]):
        w[i] = 0.0
    for a in range(idx.shape[0]):
        w[idx[a]] = x[a]
    return _objective(q, c, w0a, lam, x)


@njit
def swap(s, b, w0, lam, active, tol, max_iter):
    """Improve the support ``active`` (in place) by swaps: for the ``SHORTLIST`` outside names of
    steepest descent :math:`\\partial/\\partial w_j` (gradient plus the turnover penalty's slope,
    against the support's least slope), add the name, solve, drop the name whose removal costs least
    (:func:`_least_loss`), and keep the first swap that lowers the objective; stop when none does
    (at most ``k`` swaps)."""
    k = b.shape[0]
    cvec = s @ b
    w = b * active
    best = _solve_on(s, cvec, w0, lam, active, w, tol, max_iter)
    for _ in range(k):
        g = s @ w - cvec
        nu = np.inf
        for i in range(k):
            if active[i] and w[i] > 0.0:
                nu = min(nu, g[i] + (lam if w[i] > w0[i] else -lam))
        descent = np.zeros(k)
        for i in range(k):
            if not active[i]:
                descent[i] = g[i] + (lam if w0[i] <= 0.0 else -lam) - nu
        improved = False
        for j in np.argsort(descent)[:SHORTLIST]:
            if active[j] or descent[j] >= 0.0:
                break
            trial = active.copy()
            trial[j] = True
            wt = w.copy()
            _solve_on(s, cvec, w0, lam, trial, wt, tol, max_iter)
            idx, q, c, w0a, _ = _sub(s, cvec, w0, trial)
            out = idx[_least_loss(q, c, w0a, lam, wt[idx], tol, max_iter)]
            if out == j:
                continue
            trial[out] = False
            wt[out] = 0.0
            v = _solve_on(s, cvec, w0, lam, trial, wt, tol, max_iter)
            if v < best - 1e-12 * abs(best):
                best = v
                active[:] = trial
                w[:] = wt
                improved = True
                break
        if not improved:
            break
    return active


@njit
def optimise(s, b, w0, n_keep, budget, tol, max_iter):
    """The optimised policy's weights ``[k]`` for ``k`` candidates: support by :func:`eliminate`,
    weights by :func:`solve_budget` (``budget < 0``: no budget).  Returns ``(w, lam)``."""
    k = b.shape[0]
    loose = max(tol, SEARCH_TOL)
    lam_sel = 0.0
    if budget >= 0.0:
        x = b.copy()
        lam_sel = solve_budget(s, s @ b, w0, 0.0, budget, x, loose, max_iter)
    active = eliminate(s, b, w0, lam_sel, n_keep, loose, max_iter)
    if n_keep < k:
        active = swap(s, b, w0, lam_sel, active, loose, max_iter)
    idx, q, c, w0a, outside = _sub(s, s @ b, w0, active)
    x = np.empty(idx.shape[0])
    tot = 0.0
    for a in range(idx.shape[0]):
        tot += b[idx[a]]
    for a in range(idx.shape[0]):
        x[a] = b[idx[a]] / tot
    lam = 0.0
    if budget >= 0.0:
        lam = solve_budget(q, c, w0a, outside, budget, x, tol, max_iter)
    else:
        solve(q, c, w0a, 0.0, x, tol, max_iter)
    w = np.zeros(k)
    for a in range(idx.shape[0]):
        w[idx[a]] = x[a]
    return w, lam

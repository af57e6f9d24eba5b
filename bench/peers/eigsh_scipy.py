"""scipy peer of the QDG eigensolve: the K smallest eigenvectors of the normalised Laplacian L = I - M, with
M = D^-1/2 A0 D^-1/2 given (S x S float32 raw file, converted to float64 as scikit-learn does).
mode 'LA': eigsh(M, k=K, which='LA') (the K largest of M are the K smallest of L; the fast ARPACK route).
mode 'sklearn': eigsh(-L, k=K, sigma=1.0, which='LM'), shift-invert, exactly what
sklearn.manifold.spectral_embedding does with eigen_solver='arpack' (a dense LU of -L - I per call).
mode 'eigh': scipy.linalg.eigh(M, subset_by_index=[S - K, S - 1]) (LAPACK's dense route: a full tridiagonal
reduction, then only the K wanted eigenpairs; tol does not apply).
The ARPACK modes with tol (default 1e-10) and v0 = uniform(-1, 1) as sklearn draws it. Returns the explicit relative
residuals max_j ||M v_j - mu_j v_j|| / |mu_j|. config: file, S, K, mode, tol.
"""
import time

from peer_server import serve


def setup(c):
    import numpy as np

    S = int(c["S"])
    m = np.fromfile(c["file"], dtype=np.float32).reshape(S, S).astype(np.float64)
    # The matrix ours reads: its upper triangle, mirrored. The dump is symmetric only up to one f32 rounding
    # (D^-1/2 A D^-1/2 multiplies in a different order on each side), which would show in every peer's
    # residuals (eigh reads the lower triangle, ARPACK the whole matrix) as a 1e-7 floor that is not theirs.
    m = np.triu(m) + np.triu(m, 1).T
    import scipy

    return {"m": m, "c": c, "_info": {"scipy": scipy.__version__, "mode": c.get("mode", "LA")}}


def run(state):
    import numpy as np
    from scipy.sparse.linalg import eigsh

    m, c = state["m"], state["c"]
    S, K = m.shape[0], int(c["K"])
    tol = float(c.get("tol", 1e-10))
    v0 = np.random.default_rng(0).uniform(-1, 1, S)
    t0 = time.perf_counter()
    mode = c.get("mode", "LA")
    if mode == "LA":
        mu, v = eigsh(m, k=K, which="LA", tol=tol, v0=v0)
    elif mode == "eigh":
        from scipy.linalg import eigh

        mu, v = eigh(m, subset_by_index=[S - K, S - 1])
    else:
        neg_l = m - np.eye(S)  # -L = M - I
        lam, v = eigsh(neg_l, k=K, sigma=1.0, which="LM", tol=tol, v0=v0)
        mu = lam + 1.0  # eigenvalues of M
    seconds = time.perf_counter() - t0
    r = np.linalg.norm(m @ v - v * mu, axis=0) / np.maximum(np.abs(mu), 1e-300)
    return {"seconds": seconds, "maxResidual": float(r.max()), "smallestLaplacianEigenvalue": float(1 - mu.max())}


serve(setup, run, requires=[("scipy", "python3-scipy"), ("numpy", "python3-numpy")])

"""numpy peer of the dense Gram G = A A^T of an S x P float32 gradient matrix: `A @ A.T` (numpy hands the
product of an array with its own transpose to BLAS syrk; OpenBLAS here). Also reports numpy's GFLOP/s.
config: S, P, seed. Threads: OPENBLAS_NUM_THREADS / OMP_NUM_THREADS set by the harness.
"""
import time

from peer_server import serve


def setup(c):
    import numpy as np

    S, P = int(c["S"]), int(c["P"])
    rng = np.random.default_rng(int(c.get("seed", 0)))
    a = rng.standard_normal((S, P), dtype=np.float32)
    (a[:64] @ a[:64].T).sum()  # warm the BLAS up
    blas = "unknown"
    try:
        cfg = np.show_config(mode="dicts")  # numpy >= 1.25
        blas = cfg["Build Dependencies"]["blas"]["name"]
    except Exception:  # noqa: BLE001 - older numpy: no dict form
        pass
    return {"a": a, "_info": {"numpy": np.__version__, "blas": blas}}


def run(state):
    a = state["a"]
    t0 = time.perf_counter()
    g = a @ a.T
    s = time.perf_counter() - t0
    return {"seconds": s, "trace": float(g.trace())}


serve(setup, run, requires=[("numpy", "python3-numpy")])

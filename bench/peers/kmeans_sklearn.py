"""scikit-learn peer of the k-means step of QDG's spectral clustering: KMeans(n_clusters=K, init='k-means++',
n_init, algorithm='lloyd', random_state=0), what SpectralClustering(assign_labels='kmeans') runs on the
embedding (SPEC 4.1 item 9). config: file (float64 raw S x D embedding), S, D, K (uses the first K columns),
nInit. Threads: OMP_NUM_THREADS / OPENBLAS_NUM_THREADS from the harness. Returns seconds and the inertia.
"""
import time

from peer_server import serve


def setup(c):
    import numpy as np
    import sklearn

    S, D, K = int(c["S"]), int(c["D"]), int(c["K"])
    x = np.fromfile(c["file"], dtype=np.float64).reshape(S, D)[:, :K].copy()
    return {"x": x, "c": c, "_info": {"sklearn": sklearn.__version__}}


def run(state):
    from sklearn.cluster import KMeans

    x, c = state["x"], state["c"]
    t0 = time.perf_counter()
    model = KMeans(
        n_clusters=int(c["K"]), init="k-means++", n_init=int(c["nInit"]), algorithm="lloyd", random_state=0
    ).fit(x)
    return {"seconds": time.perf_counter() - t0, "inertia": float(model.inertia_), "iterations": int(model.n_iter_)}


serve(setup, run, requires=[("sklearn", "python3-sklearn"), ("numpy", "python3-numpy")])

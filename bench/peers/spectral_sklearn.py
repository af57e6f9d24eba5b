"""scikit-learn peer of QDG's clustering sweep: for every K of the list, what the paper ran (SPEC 4.1 item 9):
SpectralClustering(n_clusters=K, affinity='precomputed', n_init=30) on the same S x S affinity (float32 raw
file, used as float64), eigen_solver 'arpack' (sklearn's default: shift-invert on -L, one eigensolve per K),
assign_labels 'kmeans'; random_state 0 so that runs repeat. Returns the total seconds and every K's labels.
config: file, S, clusters (list of K), nInit, warmS (an untimed warm-up on the top-left warmS x warmS block, K 10
and 40, when > 0). Threads: OMP_NUM_THREADS / OPENBLAS_NUM_THREADS from the harness.
"""
import time

from peer_server import serve


def setup(c):
    import numpy as np
    import sklearn

    S = int(c["S"])
    a = np.fromfile(c["file"], dtype=np.float32).reshape(S, S).astype(np.float64)
    warm = int(c.get("warmS", 0))
    if warm > 0:
        # untimed, as ours: the imports and the thread pools start on the top-left block, K 10 and 40
        from sklearn.cluster import SpectralClustering

        for K in (10, 40):
            SpectralClustering(
                n_clusters=K, affinity="precomputed", n_init=int(c.get("nInit", 30)), random_state=0
            ).fit(a[:warm, :warm])
    return {"a": a, "c": c, "_info": {"sklearn": sklearn.__version__}}


def run(state):
    from sklearn.cluster import SpectralClustering

    a, c = state["a"], state["c"]
    labels = {}
    per_k = {}
    t0 = time.perf_counter()
    for K in c["clusters"]:
        t1 = time.perf_counter()
        model = SpectralClustering(
            n_clusters=int(K), affinity="precomputed", n_init=int(c.get("nInit", 30)), random_state=0
        )
        labels[str(K)] = model.fit(a).labels_.tolist()
        per_k[str(K)] = time.perf_counter() - t1
    return {"seconds": time.perf_counter() - t0, "labels": labels, "secondsPerK": per_k}


serve(setup, run, requires=[("sklearn", "python3-sklearn"), ("numpy", "python3-numpy")])

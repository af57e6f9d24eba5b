"""PyTorch peer of QDG's similarity matrix for an MLP (SPEC 4.1 items 5-7, 4.3): the dense route a PyTorch user
takes. Per-sample gradients of the cross-entropy with respect to every weight and bias, by
functorch.vmap(functorch.grad(...)) (torch 1.13's torch.func), flattened, L2-normalised, then C = G @ G.T.
The model is the paper's Linear(nTasks + n -> width) -> ReLU -> Linear(width -> 2) on dense float32
sparse-parity inputs. Gradients are computed in row blocks of `block` samples; if all S x P floats fit in
`maxBytes` they are kept and C = G @ G.T is one product, otherwise C is built block pair by block pair,
recomputing the gradients of the second block (what a user does when G does not fit in memory).
config: nTasks, n, k, width, S, block, maxBytes, seed.
"""
import time

from peer_server import serve


def setup(c):
    import torch

    torch.set_num_threads(int(c.get("threads", 1)))
    torch.manual_seed(int(c.get("seed", 0)))
    n_tasks, n, k, width, S = (int(c[x]) for x in ("nTasks", "n", "k", "width", "S"))
    g = torch.Generator().manual_seed(int(c.get("seed", 0)))
    subsets = torch.stack([torch.randperm(n, generator=g)[:k] for _ in range(n_tasks)])
    tasks = torch.randint(0, n_tasks, (S,), generator=g)
    bits = torch.randint(0, 2, (S, n), generator=g)
    x = torch.zeros(S, n_tasks + n)
    x[torch.arange(S), tasks] = 1.0
    x[:, n_tasks:] = bits.float()
    y = torch.gather(bits, 1, subsets[tasks]).sum(dim=1) % 2
    model = torch.nn.Sequential(
        torch.nn.Linear(n_tasks + n, width), torch.nn.ReLU(), torch.nn.Linear(width, 2)
    )
    P = sum(p.numel() for p in model.parameters())
    return {"x": x, "y": y, "model": model, "c": c, "P": P, "_info": {"torch": torch.__version__, "P": P}}


def block_grads(state, i0, i1):
    """Normalised per-sample gradients of samples [i0, i1): a (i1 - i0) x P float32 tensor."""
    import torch
    import torch.nn.functional as F
    from functorch import grad, make_functional, vmap

    fmodel, params = make_functional(state["model"])

    def loss(params, x, y):
        return F.cross_entropy(fmodel(params, x.unsqueeze(0)), y.unsqueeze(0))

    gs = vmap(grad(loss), in_dims=(None, 0, 0))(params, state["x"][i0:i1], state["y"][i0:i1])
    flat = torch.cat([g.reshape(i1 - i0, -1) for g in gs], dim=1)
    return F.normalize(flat, p=2, dim=1)


def run(state):
    import torch

    c, P = state["c"], state["P"]
    S = int(c["S"])
    block = int(c.get("block", 500))
    edges = list(range(0, S, block)) + [S]
    t0 = time.perf_counter()
    if S * P * 4 <= float(c.get("maxBytes", 8e9)):
        G = torch.cat([block_grads(state, a, b) for a, b in zip(edges, edges[1:])])
        C = G @ G.T
        route = "all gradients, one G @ G.T"
    else:
        C = torch.empty(S, S)
        for i, (a, b) in enumerate(zip(edges, edges[1:])):
            Gi = block_grads(state, a, b)
            C[a:b, a:b] = Gi @ Gi.T
            for c0, c1 in list(zip(edges, edges[1:]))[i + 1 :]:
                Cij = Gi @ block_grads(state, c0, c1).T
                C[a:b, c0:c1] = Cij
                C[c0:c1, a:b] = Cij.T
        route = "block pairs, gradients recomputed"
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "route": route, "trace": float(C.trace())}


serve(setup, run, requires=[("torch", "python3-torch"), ("functorch", "python3-torch (functorch)")])

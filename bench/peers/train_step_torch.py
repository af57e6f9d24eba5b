"""PyTorch CPU peer of one training step of the paper's MLP (SPEC 2): Linear(n_tasks+n -> width) -> ReLU ->
Linear(width -> 2), mean softmax cross-entropy, AdamW(lr 1e-3, weight_decay 0), on a dense float32 batch of
multitask sparse parity (one control bit, n task bits), exactly what the reference script feeds the net.

The batch is generated once in setup and reused, so the timing is the dense step alone (forward, backward,
AdamW): the reference also spends time generating each batch, which this peer is spared.
config: nTasks, n, k, width, batch, threads, seed, minSeconds (per repetition).
"""
import time

from peer_server import serve


def setup(c):
    import torch

    torch.set_num_threads(int(c.get("threads", 1)))
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass  # already set in this process
    torch.manual_seed(int(c.get("seed", 0)))
    n_tasks, n, k, width, batch = (int(c[x]) for x in ("nTasks", "n", "k", "width", "batch"))
    g = torch.Generator().manual_seed(int(c.get("seed", 0)))
    subsets = torch.stack([torch.randperm(n, generator=g)[:k] for _ in range(n_tasks)])
    tasks = torch.randint(0, n_tasks, (batch,), generator=g)
    bits = torch.randint(0, 2, (batch, n), generator=g)
    x = torch.zeros(batch, n_tasks + n)
    x[torch.arange(batch), tasks] = 1.0
    x[:, n_tasks:] = bits.float()
    y = torch.gather(bits, 1, subsets[tasks]).sum(dim=1) % 2
    model = torch.nn.Sequential(
        torch.nn.Linear(n_tasks + n, width), torch.nn.ReLU(), torch.nn.Linear(width, 2)
    )
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.0)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    # calibrate the steps of one repetition (and warm up the allocator and kernels)
    steps = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        s = time.perf_counter() - t0
        if s >= float(c.get("minSeconds", 0.3)) or steps >= 100000:
            break
        steps *= 2
    return {
        "step": step,
        "steps": steps,
        "_info": {"torch": torch.__version__, "threads": torch.get_num_threads(), "stepsPerRep": steps},
    }


def run(state):
    t0 = time.perf_counter()
    for _ in range(state["steps"]):
        state["step"]()
    return {"seconds": (time.perf_counter() - t0) / state["steps"]}


serve(setup, run, requires=[("torch", "python3-torch")])

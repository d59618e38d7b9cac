"""In-batch negatives under DDP: `all_gather` over 2 gloo processes gives the gradient of one process over the
combined batch, for NT-Xent (two views) and a max-over-batch (hardest negative) hinge."""
import os, socket

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F

B, D_IN, D_OUT = 8, 5, 4


def nt_xent(a, b, tau=0.5):
    "NT-Xent (SimCLR) between two views: each row of a against all rows of b, and back."
    a, b = F.normalize(a, dim=1), F.normalize(b, dim=1)
    logits = a @ b.T / tau
    t = torch.arange(len(a))
    return (F.cross_entropy(logits, t) + F.cross_entropy(logits.T, t)) / 2


def hardest_hinge(a, b, margin=0.2):
    "VSE++: for each pair, the hinge against the hardest in-batch negative, both directions."
    s = F.normalize(a, dim=1) @ F.normalize(b, dim=1).T
    pos = s.diag()
    off = s - 10 * torch.eye(len(s))
    return (F.relu(margin - pos + off.max(1).values) + F.relu(margin - pos + off.max(0).values)).mean()


LOSSES = {'nt_xent': nt_xent, 'hardest_hinge': hardest_hinge}


def data():
    g = torch.Generator().manual_seed(0)
    return torch.randn(B, D_IN, generator=g), torch.randn(B, D_IN, generator=g), torch.nn.Linear(D_IN, D_OUT)


def grads(model, x1, x2, loss, gather):
    a, b = gather(model(x1)), gather(model(x2))
    model.zero_grad(); loss(a, b).backward()
    return [p.grad.clone() for p in model.parameters()]


def worker(rank, world, port, out):
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    torch.set_num_threads(1)
    dist.init_process_group('gloo', rank=rank, world_size=world)
    from t2i_nb.parallel import all_gather
    res = {}
    for name, loss in LOSSES.items():
        torch.manual_seed(0); x1, x2, model = data()
        model = torch.nn.parallel.DistributedDataParallel(model)        # averages gradients, as in training
        s = slice(rank * B // world, (rank + 1) * B // world)
        res[name] = grads(model, x1[s], x2[s], loss, all_gather)
    if rank == 0: torch.save(res, out)
    dist.destroy_process_group()


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]


@pytest.fixture(scope='module')
def two_process_grads(tmp_path_factory):
    "The gradients of both losses from one run of 2 gloo processes (one spawn: starting them is the slow part)."
    out = tmp_path_factory.mktemp('ddp')/'g.pt'
    mp.start_processes(worker, args=(2, free_port(), str(out)), nprocs=2, join=True, start_method='spawn')
    return torch.load(out, weights_only=True)


@pytest.mark.parametrize('name', list(LOSSES))
def test_all_gather_two_processes_equal_one(name, two_process_grads):
    torch.manual_seed(0); x1, x2, model = data()
    want = grads(model, x1, x2, LOSSES[name], lambda t: t)
    for w, g_ in zip(want, two_process_grads[name]): torch.testing.assert_close(g_, w, rtol=1e-5, atol=1e-6)
    assert max(w.abs().max() for w in want) > 1e-3            # the loss has a gradient: the comparison is not vacuous

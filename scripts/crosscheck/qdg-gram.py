# QDG's per-sample-gradient cosines recomputed in PyTorch from the files a run leaves, and compared with ours.
#
#   npx quanta qdg --run RUN.json --samples 500 --save-samples --save-affinity [--gradient-of logit]
#       [--layers 2] [--cosine abs] --out QDG
#   /usr/bin/python3 scripts/crosscheck/qdg-gram.py RUN.json QDG
#
# Reads the run record and its weights (.npy: each layer's W [inputs x outputs] then b), QDG/samples.npy (the
# dense 0/1 inputs, uint8 S x (nTasks + n)), QDG/samples.csv (each sample's parity label), QDG/clusters.json
# (options: gradientOf, layers, cosine) and QDG/affinity.npy (ours: 1 - arccos(c)/pi). Takes each sample's
# gradient with torch.autograd (of the cross-entropy, or of z_1 - z_0), keeps the chosen parameter groups, and
# prints the largest difference between its cosines and ours. Needs numpy and torch
# (`apt-get install -y python3-torch`).
import csv, json, os, sys
import numpy as np
import torch

run_path, qdg = sys.argv[1], sys.argv[2]
run = json.load(open(run_path))
flat = np.load(os.path.join(os.path.dirname(os.path.abspath(run_path)), run['weights']['file']))
acts = {'relu': torch.relu, 'tanh': torch.tanh, 'sigmoid': torch.sigmoid}
act = acts[run['config'].get('activation', 'relu')]
params = []  # [(name, tensor)] in the order W1, b1, W2, b2, ...
for l, lay in enumerate(run['weights']['layers']):
    i, o, at = lay['inputs'], lay['outputs'], lay['offset']
    W = torch.tensor(flat[at:at + i * o].reshape(i, o), dtype=torch.float64, requires_grad=True)
    b = torch.tensor(flat[at + i * o:at + i * o + o], dtype=torch.float64, requires_grad=True)
    params += [(f'W{l + 1}', W), (f'b{l + 1}', b)]

X = torch.tensor(np.load(os.path.join(qdg, 'samples.npy')).astype(np.float64))
rows = list(csv.DictReader(open(os.path.join(qdg, 'samples.csv'))))
Y = [int(r['parity_label']) for r in rows]
opts = json.load(open(os.path.join(qdg, 'clusters.json')))['options']
chosen = [n for n, _ in params] if opts['layers'] == 'all' else opts['layers']
gradient_of, cosine = opts['gradientOf'], opts['cosine']


def forward(x):
    h = x
    for l in range(0, len(params), 2):
        h = h @ params[l][1] + params[l + 1][1]
        if l + 2 < len(params):
            h = act(h)
    return h


G = []
for x, y in zip(X, Y):
    z = forward(x)
    out = z[1] - z[0] if gradient_of == 'logit' else torch.nn.functional.cross_entropy(z[None], torch.tensor([y]))
    grads = torch.autograd.grad(out, [p for _, p in params])
    G.append(torch.cat([g.reshape(-1) for (n, _), g in zip(params, grads) if n in chosen]))
G = torch.stack(G)
norms = G.norm(dim=1, keepdim=True)
C = ((G / norms) @ (G / norms).T).numpy()
if cosine == 'abs':
    C = np.abs(C)
ours = np.cos(np.pi * (1 - np.load(os.path.join(qdg, 'affinity.npy')).astype(np.float64)))
print(json.dumps({'samples': len(Y), 'gradientOf': gradient_of, 'layers': chosen, 'cosine': cosine,
                  'maxAbsCosineDifference': float(np.abs(C - ours).max())}))

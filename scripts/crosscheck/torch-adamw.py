# The PyTorch half of scripts/crosscheck/torch-adamw.mjs: same initial weights, inputs and AdamW steps in torch.
import numpy as np, torch, json, sys
import os
d=os.path.join(os.path.dirname(os.path.abspath(__file__)),'out')+'/'
l=lambda n: torch.tensor(np.load(d+n))
net=torch.nn.Sequential(torch.nn.Linear(36,24),torch.nn.ReLU(),torch.nn.Linear(24,2))
with torch.no_grad():
    net[0].weight.copy_(l('W0.npy').T); net[0].bias.copy_(l('b0.npy')); net[2].weight.copy_(l('W1.npy').T); net[2].bias.copy_(l('b1.npy'))
opt=torch.optim.AdamW(net.parameters(), lr=1e-2, weight_decay=0.1)
X=l('X.npy'); Y=torch.tensor(np.load(d+'Y.npy')).long()
losses=[]
for s in range(5):
    opt.zero_grad(); loss=torch.nn.functional.cross_entropy(net(X[s]),Y[s]); loss.backward(); opt.step(); losses.append(loss.item())
print(json.dumps(losses))
for name,p,ref in [('W0',net[0].weight.T,'W0f.npy'),('W1',net[2].weight.T,'W1f.npy'),('b0',net[0].bias,'b0f.npy')]:
    r=np.load(d+ref); print(name,'max abs diff', float(np.abs(p.detach().numpy()-r).max()), 'max |w|', float(np.abs(r).max()))

# The PyTorch peer of docs/benchmarks.md ("A PyTorch peer in the same rounds"). Not part of klip and not run by any
# npm script (klip does not depend on Python): run it by hand beside `npx tsx bench/train.ts` to compare on your
# machine, e.g. with Debian's python3-torch: `/usr/bin/python3 bench/peer/cleanrl_ppo_torch.py 64`.
# CleanRL ppo.py-style PPO in PyTorch on slippery FrozenLake 4x4 (one-hot float observation), 1 thread.
# 8 envs x 128 steps, 4 epochs x 4 minibatches of 256, separate actor/critic MLP 64-64 tanh, Adam 2.5e-4 eps 1e-5,
# GAE 0.99/0.95, clip 0.2 (also on the value), ent 0.01, vf 0.5, grad norm 0.5, advantage normalisation.
# The env is a per-copy Python step loop, as gymnasium's SyncVectorEnv. Prints env steps/s per timed block.
import sys, time, random
import numpy as np
import torch, torch.nn as nn
torch.set_num_threads(1)
MAP = ["SFFF", "FHFH", "FFFH", "HFFG"]
nrow, ncol = 4, 4
class FrozenLake:
    def __init__(self, rng): self.rng = rng; self.reset()
    def reset(self): self.s = 0; self.t = 0; return self.s
    def step(self, a):
        a = (a + self.rng.choice((-1, 0, 1))) % 4
        r, c = divmod(self.s, ncol)
        if a == 0: c = max(c - 1, 0)
        elif a == 1: r = min(r + 1, nrow - 1)
        elif a == 2: c = min(c + 1, ncol - 1)
        else: r = max(r - 1, 0)
        self.s = r * ncol + c; self.t += 1
        ch = MAP[r][c]
        term = ch in "GH"; rew = 1.0 if ch == "G" else 0.0
        trunc = (not term) and self.t >= 100
        return self.s, rew, term, trunc
def layer(i, o, std=np.sqrt(2)):
    l = nn.Linear(i, o); nn.init.orthogonal_(l.weight, std); nn.init.constant_(l.bias, 0.0); return l
class Agent(nn.Module):
    def __init__(s, n, A, h):
        super().__init__()
        s.critic = nn.Sequential(layer(n, h), nn.Tanh(), layer(h, h), nn.Tanh(), layer(h, 1, 1.0))
        s.actor = nn.Sequential(layer(n, h), nn.Tanh(), layer(h, h), nn.Tanh(), layer(h, A, 0.01))
    def value(s, x): return s.critic(x)
    def act(s, x, a=None):
        logits = s.actor(x); d = torch.distributions.Categorical(logits=logits)
        if a is None: a = d.sample()
        return a, d.log_prob(a), d.entropy(), s.critic(x)
def main(updates=30, warm=3, hidden=64):
    torch.manual_seed(1); rng = random.Random(1)
    N, T, S, A = 8, 128, 16, 4
    envs = [FrozenLake(random.Random(i)) for i in range(N)]
    agent = Agent(S, A, hidden); opt = torch.optim.Adam(agent.parameters(), lr=2.5e-4, eps=1e-5)
    eye = torch.eye(S)
    obs_s = [e.reset() for e in envs]
    B, mb = N * T, 256
    o_buf = torch.zeros((T, N, S)); a_buf = torch.zeros((T, N)); lp_buf = torch.zeros((T, N))
    r_buf = torch.zeros((T, N)); d_buf = torch.zeros((T, N)); v_buf = torch.zeros((T, N))
    next_done = torch.zeros(N)
    rates = []
    for u in range(warm + updates):
        t0 = time.perf_counter()
        next_obs = eye[obs_s]
        for t in range(T):
            o_buf[t] = next_obs; d_buf[t] = next_done
            with torch.no_grad():
                a, lp, _, v = agent.act(next_obs)
            v_buf[t] = v.flatten(); a_buf[t] = a; lp_buf[t] = lp
            acts = a.numpy(); rs = np.zeros(N, dtype=np.float32); ds = np.zeros(N, dtype=np.float32)
            for i, e in enumerate(envs):
                s, r, term, trunc = e.step(int(acts[i]))
                if term or trunc: s = e.reset()
                obs_s[i] = s; rs[i] = r; ds[i] = float(term or trunc)
            r_buf[t] = torch.from_numpy(rs); next_obs = eye[obs_s]; next_done = torch.from_numpy(ds)
        with torch.no_grad():
            nv = agent.value(next_obs).reshape(1, -1)
            adv = torch.zeros_like(r_buf); last = 0
            for t in reversed(range(T)):
                if t == T - 1: nnt = 1.0 - next_done; nval = nv
                else: nnt = 1.0 - d_buf[t + 1]; nval = v_buf[t + 1]
                delta = r_buf[t] + 0.99 * nval * nnt - v_buf[t]
                adv[t] = last = delta + 0.99 * 0.95 * nnt * last
            ret = adv + v_buf
        bo = o_buf.reshape(-1, S); ba = a_buf.reshape(-1); blp = lp_buf.reshape(-1)
        badv = adv.reshape(-1); bret = ret.reshape(-1); bv = v_buf.reshape(-1)
        idx = np.arange(B)
        for ep in range(4):
            np.random.shuffle(idx)
            for st in range(0, B, mb):
                m = idx[st:st + mb]
                _, nlp, ent, nv2 = agent.act(bo[m], ba.long()[m])
                ratio = (nlp - blp[m]).exp()
                ma = badv[m]; ma = (ma - ma.mean()) / (ma.std() + 1e-8)
                pg = torch.max(-ma * ratio, -ma * torch.clamp(ratio, 0.8, 1.2)).mean()
                nv2 = nv2.view(-1)
                vu = (nv2 - bret[m]) ** 2
                vc = bv[m] + torch.clamp(nv2 - bv[m], -0.2, 0.2)
                vl = 0.5 * torch.max(vu, (vc - bret[m]) ** 2).mean()
                loss = pg - 0.01 * ent.mean() + 0.5 * vl
                opt.zero_grad(); loss.backward(); nn.utils.clip_grad_norm_(agent.parameters(), 0.5); opt.step()
        if u >= warm: rates.append(B / (time.perf_counter() - t0))
    return float(np.median(rates))
if __name__ == "__main__":
    h = int(sys.argv[1]) if len(sys.argv) > 1 else 64
    print(f"torch hidden={h}: {main(hidden=h):.0f} env steps/s (median of 30 updates)")

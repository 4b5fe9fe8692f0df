#!/usr/bin/python3
"""PyTorch peer of amdrn's DL-score network for bench/dl_bench: the same 3D attention ResNet
(BasicBlock ResNet-10/18, CBAM or SE on the residual branch, bias-free convs, 1x1x1 conv + BN
shortcut, dropout + one logit), trained with the same step (BCE with pos_weight, AdamW) on
random batches. Prints one JSON line: parameters, samples/s and seconds per step.

Run with Debian's python3-torch: /usr/bin/python3 bench/dl_peer.py --help
"""
import argparse
import json
import time

import torch
from torch import nn
import torch.nn.functional as F


def hidden_width(channels, reduction):
    return max(channels // reduction, min(channels, 4))


class ChannelGate(nn.Module):
    def __init__(self, channels, hidden, use_max):
        super().__init__()
        self.fc1 = nn.Linear(channels, hidden)
        self.fc2 = nn.Linear(hidden, channels)
        self.use_max = use_max

    def forward(self, x):
        mlp = lambda v: self.fc2(F.relu(self.fc1(v)))
        logits = mlp(x.mean(dim=(2, 3, 4)))
        if self.use_max:
            logits = logits + mlp(x.amax(dim=(2, 3, 4)))
        return x * torch.sigmoid(logits)[:, :, None, None, None]


class SpatialGate(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv3d(2, 1, 7, padding=3, bias=False)
        self.bn = nn.BatchNorm3d(1, eps=1e-5, momentum=0.01)

    def forward(self, x):
        pooled = torch.cat([x.amax(dim=1, keepdim=True), x.mean(dim=1, keepdim=True)], dim=1)
        return x * torch.sigmoid(self.bn(self.conv(pooled)))


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride, attention, reduction):
        super().__init__()
        self.conv1 = nn.Conv3d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm3d(cout)
        self.conv2 = nn.Conv3d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm3d(cout)
        hidden = hidden_width(cout, reduction)
        self.channel_gate = None
        self.spatial_gate = None
        if attention == "cbam":
            self.channel_gate = ChannelGate(cout, hidden, True)
            self.spatial_gate = SpatialGate()
        elif attention == "se":
            self.channel_gate = ChannelGate(cout, hidden, False)
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv3d(cin, cout, 1, stride=stride, bias=False),
                                          nn.BatchNorm3d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        if self.channel_gate is not None:
            y = self.channel_gate(y)
        if self.spatial_gate is not None:
            y = self.spatial_gate(y)
        return F.relu(y + (x if self.shortcut is None else self.shortcut(x)))


class AttentionResNet3d(nn.Module):
    def __init__(self, depth=10, width=16, in_channels=4, attention="cbam", reduction=8,
                 stem_kernel=7, stem_stride=2, max_pool=False, dropout=0.2):
        super().__init__()
        self.stem_conv = nn.Conv3d(in_channels, width, stem_kernel, stride=stem_stride,
                                   padding=stem_kernel // 2, bias=False)
        self.stem_bn = nn.BatchNorm3d(width)
        self.max_pool = max_pool
        blocks = 2 if depth == 18 else 1
        stages, cin = [], width
        for s in range(4):
            cout = width << s
            stage = [BasicBlock(cin if b == 0 else cout, cout, 2 if (b == 0 and s > 0) else 1,
                                attention, reduction) for b in range(blocks)]
            stages.append(nn.Sequential(*stage))
            cin = cout
        self.stages = nn.ModuleList(stages)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(cin, 1)
        for m in self.modules():
            if isinstance(m, nn.Conv3d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm3d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        y = F.relu(self.stem_bn(self.stem_conv(x)))
        if self.max_pool:
            y = F.max_pool3d(y, 3, 2, 1)
        for stage in self.stages:
            y = stage(y)
        return self.fc(self.dropout(y.mean(dim=(2, 3, 4)))).squeeze(1)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--depth", type=int, default=10)
    p.add_argument("--width", type=int, default=16)
    p.add_argument("--attention", default="cbam")
    p.add_argument("--reduction", type=int, default=8)
    p.add_argument("--stem-kernel", type=int, default=7)
    p.add_argument("--stem-stride", type=int, default=2)
    p.add_argument("--max-pool", action="store_true")
    p.add_argument("--edge", type=int, default=56, help="ROI voxels per edge")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    net = AttentionResNet3d(a.depth, a.width, 4, a.attention, a.reduction, a.stem_kernel,
                            a.stem_stride, a.max_pool)
    net.train()
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=1e-2)
    x = torch.randn(a.batch, 4, a.edge, a.edge, a.edge)
    y = (torch.arange(a.batch) % 2).float()
    pos_weight = torch.tensor([1.0])

    def step():
        loss = F.binary_cross_entropy_with_logits(net(x), y, pos_weight=pos_weight)
        opt.zero_grad()
        loss.backward()
        opt.step()

    for _ in range(a.warmup):
        step()
    start = time.perf_counter()
    for _ in range(a.steps):
        step()
    seconds = time.perf_counter() - start
    print(json.dumps({"torch": torch.__version__,
                      "parameters": sum(q.numel() for q in net.parameters()),
                      "samples_per_s": a.steps * a.batch / seconds,
                      "seconds_per_step": seconds / a.steps}))


if __name__ == "__main__":
    main()

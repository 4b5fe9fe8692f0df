#!/usr/bin/python3
"""PyTorch peer for bench/seg_bench: the same U-Net and sliding window run eagerly from Python.

Modes (all print one JSON object on stdout):
  infer  --arch A.json --weights W.pt --volume V.f32 --shape C,Z,Y,X --patch Z,Y,X --classes K
         [--bf16] [--repeats R] [--labels-out L.u8]: median seconds of R sliding-window
         predictions (nnU-Net's step 0.5 and Gaussian weighting, no TTA) after one untimed
         warm-up tile, optionally writing the argmax labels. --bf16 runs under
         torch.autocast("cpu", bfloat16): Conv3d in bf16, ConvTranspose3d in float32 (autocast's
         CPU policy in PyTorch 1.13).
  train  --arch A.json --channels C --classes K --patch Z,Y,X --batch B --iters N [--bf16]:
         median seconds per SGD iteration (deep-supervision Dice + CE, Nesterov momentum) on
         random batches after one warm-up; --bf16 runs the forward pass under
         torch.autocast("cpu", bfloat16) (the loss in float32).
The network classes come from tools/make_nnunet_folder.py (dynamic_network_architectures'
module tree). Weights: an amdrn checkpoint (torch.save-compatible), key network_weights.
Needs Debian's python3-torch.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from make_nnunet_folder import UNet  # noqa: E402


def build(arch_path, channels, classes, weights=None):
    arch = json.load(open(arch_path))
    residual = arch["network_class_name"].endswith("ResidualEncoderUNet")
    net = UNet(arch["arch_kwargs"], channels, classes, residual)
    if weights:
        state = torch.load(weights)["network_weights"]
        missing, unexpected = net.load_state_dict(state, strict=False)
        aliases = [m for m in missing if ".all_modules." not in m and not m.startswith("decoder.encoder.")]
        if aliases or unexpected:
            raise SystemExit(f"weights do not fit: missing {aliases[:3]}, unexpected {unexpected[:3]}")
    return net, arch


def gaussian(patch):
    axes = []
    for p in patch:
        sigma, c = p / 8.0, p // 2
        d = torch.arange(p, dtype=torch.float64) - c
        g = torch.exp(-d * d / (2 * sigma * sigma))
        g[d.abs() > int(4 * sigma + 0.5)] = 0
        axes.append(g)
    m = axes[0][:, None, None] * axes[1][None, :, None] * axes[2][None, None, :]
    m = m / m.max() * 10
    m[m == 0] = m[m > 0].min()
    return m.float()


def steps(size, patch, step=0.5):
    n = int(math.ceil((size - patch) / (patch * step))) + 1
    actual = (size - patch) / (n - 1) if n > 1 else 0
    return [int(np.round(actual * i)) for i in range(n)]


def sliding_window(net, image, patch, classes):
    c, *size = image.shape
    g = gaussian(patch)
    logits = torch.zeros((classes, *size))
    counts = torch.zeros(size)
    for z in steps(size[0], patch[0]):
        for y in steps(size[1], patch[1]):
            for x in steps(size[2], patch[2]):
                tile = image[None, :, z:z + patch[0], y:y + patch[1], x:x + patch[2]]
                out = net(tile)[0].float()
                logits[:, z:z + patch[0], y:y + patch[1], x:x + patch[2]] += out * g
                counts[z:z + patch[0], y:y + patch[1], x:x + patch[2]] += g
    return logits / counts


def dice_ce(logits, target):
    ce = F.cross_entropy(logits, target)
    probs = torch.softmax(logits, 1)[:, 1:]
    onehot = F.one_hot(target, logits.shape[1]).permute(0, 4, 1, 2, 3)[:, 1:].float()
    axes = (2, 3, 4)
    inter = (probs * onehot).sum(axes)
    dc = (2 * inter + 1e-5) / (probs.sum(axes) + onehot.sum(axes) + 1e-5).clamp_min(1e-8)
    return ce - dc.mean()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["infer", "train"])
    p.add_argument("--arch", required=True)
    p.add_argument("--weights")
    p.add_argument("--volume")
    p.add_argument("--shape")
    p.add_argument("--patch", required=True)
    p.add_argument("--classes", type=int, default=4)
    p.add_argument("--channels", type=int, default=1)
    p.add_argument("--bf16", action="store_true")
    p.add_argument("--labels-out")
    p.add_argument("--batch", type=int, default=2)
    p.add_argument("--iters", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    patch = [int(v) for v in a.patch.split(",")]

    if a.mode == "infer":
        shape = [int(v) for v in a.shape.split(",")]
        net, _ = build(a.arch, shape[0], a.classes, a.weights)
        net.eval()
        image = torch.from_numpy(np.fromfile(a.volume, dtype="<f4").reshape(shape))
        runs = []
        autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.bf16)
        with torch.no_grad(), autocast:
            start = time.perf_counter()
            net(image[None, :, :patch[0], :patch[1], :patch[2]].contiguous())
            warm_up = time.perf_counter() - start
            for _ in range(max(1, a.repeats)):
                start = time.perf_counter()
                logits = sliding_window(net, image, patch, a.classes)
                runs.append(time.perf_counter() - start)
        if a.labels_out:
            logits.argmax(0).to(torch.uint8).numpy().tofile(a.labels_out)
        print(json.dumps({"seconds": float(np.median(runs)), "runs": runs, "warm_up_seconds": warm_up,
                          "torch": torch.__version__, "threads": a.threads}))
        return

    net, arch = build(a.arch, a.channels, a.classes)
    strides = arch["arch_kwargs"]["strides"]
    opt = torch.optim.SGD(net.parameters(), 1e-2, momentum=0.99, nesterov=True, weight_decay=3e-5)
    n_out = len(strides) - 1
    w = [1 / 2 ** i for i in range(n_out)]
    w[-1] = 0 if n_out > 1 else w[-1]
    w = [x / sum(w) for x in w]

    def step():
        x = torch.randn(a.batch, a.channels, *patch)
        seg = torch.randint(0, a.classes, (a.batch, *patch))
        start = time.perf_counter()
        # Deep-supervision outputs: the decoder's stages, highest resolution first.
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.bf16):
            skips = net.encoder(x)
            dec = net.decoder
            h, outs = skips[-1], []
            for s in range(len(dec.stages)):
                h = dec.stages[s](torch.cat((dec.transpconvs[s](h), skips[-(s + 2)]), 1))
                outs.append(dec.seg_layers[s](h))
        outs = [o.float() for o in outs[::-1]]
        loss, factor = 0, [1, 1, 1]
        for i, out in enumerate(outs):
            if i:
                factor = [f * s for f, s in zip(factor, strides[i])]
            t = seg[:, factor[0] // 2::factor[0], factor[1] // 2::factor[1], factor[2] // 2::factor[2]]
            if w[i]:
                loss = loss + w[i] * dice_ce(out, t)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 12)
        opt.step()
        return time.perf_counter() - start

    step()  # warm-up
    times = [step() for _ in range(a.iters)]
    print(json.dumps({"seconds_per_iteration": float(np.median(times)), "runs": times,
                      "threads": a.threads, "bf16": a.bf16}))


if __name__ == "__main__":
    main()

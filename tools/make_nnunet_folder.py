#!/usr/bin/python3
"""Builds a small nnU-Net v2 model folder with random weights, for amdrn's import test.

The folder looks like nnU-Net's `nnUNet_results/DatasetXXX/{Trainer}__{Plans}__3d_fullres/`:
plans.json, dataset.json and fold_0/checkpoint_final.pth with nnU-Net's checkpoint keys
(network_weights as an OrderedDict with the duplicated `all_modules` / `decoder.encoder`
names, optimizer_state, logging with numpy scalars, _best_ema, init_args with a torch.device,
trainer_name, inference_allowed_mirroring_axes). The network is a re-implementation of
dynamic_network_architectures' PlainConvUNet / ResidualEncoderUNet module tree (so parameter
names match), written here because that package is not a Debian package.

It also writes reference_input.f32 / reference_output.f32 (raw little-endian float32,
C-order (N, C, z, y, x)) and reference.json with their shapes: the PyTorch forward pass that
amdrn must reproduce.

Usage: /usr/bin/python3 tools/make_nnunet_folder.py --out DIR [--arch plain|resenc]
       [--seed 0] [--cuda-locations]
Needs Debian's python3-torch and python3-numpy.
"""
import argparse
import collections
import json
import os

import numpy as np
import torch
from torch import nn


class ConvDropoutNormReLU(nn.Module):
    def __init__(self, cin, cout, kernel, stride, bias, nonlin=True):
        super().__init__()
        self.conv = nn.Conv3d(cin, cout, kernel, stride, [(k - 1) // 2 for k in kernel], bias=bias)
        self.norm = nn.InstanceNorm3d(cout, eps=1e-5, affine=True)
        ops = [self.conv, self.norm]
        if nonlin:
            self.nonlin = nn.LeakyReLU(inplace=True)
            ops.append(self.nonlin)
        self.all_modules = nn.Sequential(*ops)

    def forward(self, x):
        return self.all_modules(x)


class StackedConvBlocks(nn.Module):
    def __init__(self, n, cin, cout, kernel, stride, bias):
        super().__init__()
        self.convs = nn.Sequential(
            ConvDropoutNormReLU(cin, cout, kernel, stride, bias),
            *[ConvDropoutNormReLU(cout, cout, kernel, [1, 1, 1], bias) for _ in range(n - 1)])

    def forward(self, x):
        return self.convs(x)


class BasicBlockD(nn.Module):
    def __init__(self, cin, cout, kernel, stride, bias):
        super().__init__()
        self.conv1 = ConvDropoutNormReLU(cin, cout, kernel, stride, bias)
        self.conv2 = ConvDropoutNormReLU(cout, cout, kernel, [1, 1, 1], bias, nonlin=False)
        self.nonlin2 = nn.LeakyReLU(inplace=True)
        has_stride = any(s != 1 for s in stride)
        if has_stride or cin != cout:
            ops = []
            if has_stride:
                ops.append(nn.AvgPool3d(stride, stride))
            if cin != cout:
                ops.append(ConvDropoutNormReLU(cin, cout, [1, 1, 1], [1, 1, 1], False, nonlin=False))
            self.skip = nn.Sequential(*ops)
        else:
            self.skip = lambda x: x

    def forward(self, x):
        out = self.conv2(self.conv1(x))
        out += self.skip(x)
        return self.nonlin2(out)


class StackedResidualBlocks(nn.Module):
    def __init__(self, n, cin, cout, kernel, stride, bias):
        super().__init__()
        self.blocks = nn.Sequential(
            BasicBlockD(cin, cout, kernel, stride, bias),
            *[BasicBlockD(cout, cout, kernel, [1, 1, 1], bias) for _ in range(n - 1)])

    def forward(self, x):
        return self.blocks(x)


class Encoder(nn.Module):
    def __init__(self, kw, cin, residual):
        super().__init__()
        f, k, s = kw["features_per_stage"], kw["kernel_sizes"], kw["strides"]
        self.residual = residual
        if residual:
            self.stem = StackedConvBlocks(1, cin, f[0], k[0], [1, 1, 1], kw["conv_bias"])
            cin = f[0]
            per_stage = kw["n_blocks_per_stage"]
        else:
            per_stage = kw["n_conv_per_stage"]
        stages = []
        for i in range(kw["n_stages"]):
            if residual:
                stages.append(StackedResidualBlocks(per_stage[i], cin, f[i], k[i], s[i],
                                                    kw["conv_bias"]))
            else:
                stages.append(nn.Sequential(
                    StackedConvBlocks(per_stage[i], cin, f[i], k[i], s[i], kw["conv_bias"])))
            cin = f[i]
        self.stages = nn.Sequential(*stages)
        self.output_channels, self.strides, self.kernel_sizes = f, s, k
        self.conv_bias = kw["conv_bias"]

    def forward(self, x):
        if self.residual:
            x = self.stem(x)
        skips = []
        for stage in self.stages:
            x = stage(x)
            skips.append(x)
        return skips


class UNetDecoder(nn.Module):
    def __init__(self, encoder, num_classes, n_conv_decoder):
        super().__init__()
        self.encoder = encoder
        n = len(encoder.output_channels)
        self.stages, self.transpconvs, self.seg_layers = nn.ModuleList(), nn.ModuleList(), nn.ModuleList()
        for s in range(1, n):
            below, skip = encoder.output_channels[-s], encoder.output_channels[-(s + 1)]
            stride = encoder.strides[-s]
            self.transpconvs.append(nn.ConvTranspose3d(below, skip, stride, stride, bias=encoder.conv_bias))
            self.stages.append(StackedConvBlocks(n_conv_decoder[s - 1], 2 * skip, skip,
                                                 encoder.kernel_sizes[-(s + 1)], [1, 1, 1],
                                                 encoder.conv_bias))
            self.seg_layers.append(nn.Conv3d(skip, num_classes, 1, 1, 0, bias=True))

    def forward(self, skips):
        x = skips[-1]
        for s in range(len(self.stages)):
            x = self.transpconvs[s](x)
            x = torch.cat((x, skips[-(s + 2)]), 1)
            x = self.stages[s](x)
        return self.seg_layers[-1](x)


class UNet(nn.Module):
    def __init__(self, kw, cin, num_classes, residual):
        super().__init__()
        self.encoder = Encoder(kw, cin, residual)
        self.decoder = UNetDecoder(self.encoder, num_classes, kw["n_conv_per_stage_decoder"])

    def forward(self, x):
        return self.decoder(self.encoder(x))


def architecture(residual):
    kw = {
        "n_stages": 3,
        "features_per_stage": [4, 8, 16],
        "conv_op": "torch.nn.modules.conv.Conv3d",
        "kernel_sizes": [[1, 3, 3], [3, 3, 3], [3, 3, 3]],
        "strides": [[1, 1, 1], [1, 2, 2], [2, 2, 2]],
        "n_conv_per_stage_decoder": [1, 1],
        "conv_bias": True,
        "norm_op": "torch.nn.modules.instancenorm.InstanceNorm3d",
        "norm_op_kwargs": {"eps": 1e-05, "affine": True},
        "dropout_op": None,
        "dropout_op_kwargs": None,
        "nonlin": "torch.nn.LeakyReLU",
        "nonlin_kwargs": {"inplace": True},
    }
    if residual:
        kw["n_blocks_per_stage"] = [1, 3, 4]
        name = "dynamic_network_architectures.architectures.unet.ResidualEncoderUNet"
    else:
        kw["n_conv_per_stage"] = [2, 2, 2]
        name = "dynamic_network_architectures.architectures.unet.PlainConvUNet"
    return {"network_class_name": name, "arch_kwargs": kw,
            "_kw_requires_import": ["conv_op", "norm_op", "dropout_op", "nonlin"]}


def plans_json(arch, patch):
    resampling = {"is_seg": False, "order": 3, "order_z": 0, "force_separate_z": None}
    return {
        "dataset_name": "Dataset900_Tiny",
        "plans_name": "nnUNetPlans",
        "original_median_spacing_after_transp": [0.6, 0.4, 0.4],
        "original_median_shape_after_transp": [24, 40, 40],
        "image_reader_writer": "SimpleITKIO",
        "transpose_forward": [0, 1, 2],
        "transpose_backward": [0, 1, 2],
        "configurations": {"3d_fullres": {
            "data_identifier": "nnUNetPlans_3d_fullres",
            "preprocessor_name": "DefaultPreprocessor",
            "batch_size": 2,
            "patch_size": patch,
            "median_image_size_in_voxels": [24, 40, 40],
            "spacing": [0.6, 0.4, 0.4],
            "normalization_schemes": ["CTNormalization"],
            "use_mask_for_norm": [False],
            "resampling_fn_data": "resample_data_or_seg_to_shape",
            "resampling_fn_seg": "resample_data_or_seg_to_shape",
            "resampling_fn_data_kwargs": resampling,
            "resampling_fn_seg_kwargs": dict(resampling, is_seg=True, order=1),
            "resampling_fn_probabilities": "resample_data_or_seg_to_shape",
            "resampling_fn_probabilities_kwargs": dict(resampling, order=1),
            "architecture": arch,
            "batch_dice": False,
        }},
        "experiment_planner_used": "ExperimentPlanner",
        "label_manager": "LabelManager",
        "foreground_intensity_properties_per_channel": {"0": {
            "max": 3000.0, "mean": 900.0, "median": 950.0, "min": -500.0,
            "percentile_00_5": -200.0, "percentile_99_5": 2500.0, "std": 400.0}},
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--arch", choices=["plain", "resenc"], default="plain")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cuda-locations", action="store_true",
                        help="tag storages as saved on cuda:0, like a GPU-trained checkpoint")
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    residual = args.arch == "resenc"
    arch = architecture(residual)
    net = UNet(arch["arch_kwargs"], 1, 4, residual)
    with torch.no_grad():  # random norms too, so the test exercises every tensor
        for name, p in net.named_parameters():
            if ".norm." in name:
                p.copy_(torch.rand_like(p) + 0.5 if name.endswith("weight") else torch.randn_like(p) * 0.1)
    optimizer = torch.optim.SGD(net.parameters(), 1e-2, momentum=0.99, nesterov=True, weight_decay=3e-5)
    x = torch.randn(1, 1, 8, 16, 16)
    net(x).square().mean().backward()
    optimizer.step()  # momentum buffers, like a real checkpoint
    net.eval()

    patch = [8, 16, 16]
    plans = plans_json(arch, patch)
    dataset = {"channel_names": {"0": "CT"},
               "labels": {"background": 0, "sinus": 1, "membrane": 2, "bone": 3},
               "numTraining": 10, "file_ending": ".nii.gz", "name": "Tiny"}
    os.makedirs(os.path.join(args.out, "fold_0"), exist_ok=True)
    for name, content in (("plans.json", plans), ("dataset.json", dataset)):
        with open(os.path.join(args.out, name), "w") as f:
            json.dump(content, f, indent=2)
    checkpoint = {
        "network_weights": net.state_dict(),
        "optimizer_state": optimizer.state_dict(),
        "grad_scaler_state": None,
        "logging": {"mean_fg_dice": [np.float64(0.5), np.float64(0.6)],
                    "ema_fg_dice": [np.float64(0.5), np.float64(0.51)],
                    "dice_per_class_or_region": [[np.float64(0.4), np.float64(0.6), np.float64(0.5)]],
                    "train_losses": [np.float32(-0.1)], "val_losses": [np.float32(-0.2)],
                    "lrs": [0.01], "epoch_start_timestamps": [1.0], "epoch_end_timestamps": [2.0]},
        "_best_ema": np.float64(0.51),
        "current_epoch": 2,
        "init_args": {"plans": plans, "configuration": "3d_fullres", "fold": 0,
                      "dataset_json": dataset, "device": torch.device("cpu")},
        "trainer_name": "nnUNetTrainer",
        "inference_allowed_mirroring_axes": (0, 1, 2),
    }
    if args.cuda_locations:
        torch.serialization.location_tag = lambda storage: "cuda:0"
    torch.save(checkpoint, os.path.join(args.out, "fold_0", "checkpoint_final.pth"))

    x = torch.randn(1, 1, *patch, generator=torch.Generator().manual_seed(args.seed + 1))
    with torch.no_grad():
        y = net(x)
    x.numpy().astype("<f4").tofile(os.path.join(args.out, "reference_input.f32"))
    y.numpy().astype("<f4").tofile(os.path.join(args.out, "reference_output.f32"))
    with open(os.path.join(args.out, "reference.json"), "w") as f:
        json.dump({"input_shape": list(x.shape), "output_shape": list(y.shape),
                   "torch_version": torch.__version__}, f, indent=2)


if __name__ == "__main__":
    main()

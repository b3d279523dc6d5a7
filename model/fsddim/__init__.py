"""FSDDIM (Fully Spiking DDIM, Watanabe et al., arXiv 2312.01742) for the spikemesh chip.

Modules: config (presets), data (Fashion-MNIST), lif (neurons), net (spiking U-Net and its ANN twin),
diffusion (schedule, losses, DDIM), quant (chip formats, QAT, lowering), netfile (network file I/O),
fixed (bit-exact fixed-point forward and sampler), export, train, evaluate, verify, float_images.
The training campaign that drives them (experiment orchestration) is scripts/fsddim_campaign.py.
Run tools as `cd model && /usr/bin/python3 -m fsddim.<tool>` or through `scripts/fsddim <tool>`.
"""

__version__ = "1"

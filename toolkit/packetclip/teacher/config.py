"""Training presets. `full` was chosen on a validation split carved from the training split
(55/15/30 train/val/test, the test rows left out), never on the test split.

Validation macro-F1 / three-mission AUC measured for the choice (CIC-IDS2017 sample, 5,289 rows
after de-duplication; random forest on the same split: 0.975 / 0.9999 seed 0, 0.958 / 0.9996 seed 1):
  mlp, ssl packet, 60 epochs    seed 0: 0.973 / 0.9997   seed 1: 0.931 / 0.9981  (~100 s)
  mlp, ssl none                 seed 0: 0.978 / 0.9996
  mlp, ssl both                 seed 0: 0.976 / 0.9999
  mlp, dropout 0                seed 0: 0.973 / 0.9982
  mlp, 100 epochs               seed 0: 0.979 / 0.9996   (169 s)
  mlp_plr (periodic embeddings) seed 0: 0.983 / 0.9973   seed 1: 0.935 / 0.9919
  transformer (64 wide, 2 layers, 40 epochs): stopped unfinished after > 12 min (measured with 2
    torch threads on the loaded machine, so slower than it needs to be; not re-measured)
The residual MLP stays the default: it keeps the mission AUC above 0.995 on both validation
seeds at ~100 s per training; mlp_plr trades AUC for F1 (train(..., flow_encoder="mlp_plr")).

Temporal model on real captures (issue 9): windows of 4 flows per source host. Trained on the
70/30 training split of the first lab-full-s1 (26,995 flows, 13 classes), validated on the first
lab-ci-s1 (7,440 flows, another `packetclip lab` run; no test capture was looked at), seed 0.
(Those first lab runs were later regenerated because their os_scan/version_scan phases were
mostly port scans; the choice was not re-run on the regenerated captures.)
Validation macro-F1 / three-mission AUC, training wall time (2 shared cores, load ~2-3):
  60 epochs, no step budget         not run: ~25 s an epoch here, over 25 min
  max_steps 2000 (28 epochs)        0.807 / 0.9993   728 s
  max_steps 1500, history_grad off  0.742 / 0.9989   517 s  (ping_sweep 0.95 -> 0.00)
  max_steps 1500 (21 epochs)        0.908 / 0.9999   601 s  <- chosen
  random forest, per flow           0.714 / 0.9996   (same training rows, same validation capture)
  random forest + host context      0.818 / 1.0000   (mean of the host's previous 3 flows)
Seed-to-seed swings on the small classes (slowloris 0.02 vs 0.88, ping_sweep, version_scan with
18 validation flows) are as large as the differences between settings, so the choice is weak
evidence; SimCLR views are of the flow itself (not its window), which halves the SSL cost.
The step budget does not touch the CIC sample (900 steps in 60 epochs).
"""

PRESETS = {
    "full": dict(flow_encoder="mlp", width=256, depth=3, dropout=0.1, embed_dim=128,
                 epochs=60, pretrain_epochs=10, batch=256, lr=2e-3, weight_decay=1e-4,
                 w_clip=0.5, w_ssl=0.2, w_mission=0.5, class_weight_power=0.5,
                 label_smoothing=0.0, window=4, max_rows=None, log_every=50, zs_rows=2000,
                 history_grad=True, max_steps=1500),
    "demo": dict(flow_encoder="mlp", width=128, depth=2, dropout=0.1, embed_dim=64,
                 epochs=25, pretrain_epochs=5, batch=256, lr=3e-3, weight_decay=1e-4,
                 w_clip=0.5, w_ssl=0.2, w_mission=0.5, class_weight_power=0.5,
                 label_smoothing=0.0, window=4, max_rows=None, log_every=25, zs_rows=1000,
                 history_grad=True, max_steps=None),
    "tiny": dict(flow_encoder="mlp", width=32, depth=1, dropout=0.0, embed_dim=32,
                 epochs=5, pretrain_epochs=2, batch=128, lr=5e-3, weight_decay=0.0,
                 w_clip=0.5, w_ssl=0.2, w_mission=0.5, class_weight_power=0.5,
                 label_smoothing=0.0, window=3, max_rows=600, log_every=5, zs_rows=300,
                 history_grad=True, max_steps=None),
}
SSL_MODES = ("packet", "both", "none")


def resolve(preset, **overrides):
    from packetclip.errors import PacketclipError

    if preset not in PRESETS:
        raise PacketclipError(f"--preset: unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
    cfg = dict(PRESETS[preset], preset=preset)
    for k, v in overrides.items():
        if v is not None:
            if k not in cfg and k not in ("text_encoder", "ssl", "seed", "fraction"):
                raise PacketclipError(f"unknown training option {k!r}")
            cfg[k] = v
    return cfg

-- compare_optimizers: which optimizer should train the detector — Momentum, RMSProp or Adam?
--
-- The question of the original study (EfficientDet-d0 on cars and pedestrians with the TF Object
-- Detection API, cosine learning rate with warmup): train the same detector several times,
-- changing only the optimizer, and compare the loss curves. Here the detector is Descent's small
-- single-shot detector on synthetic street scenes (cars and pedestrians, 64x64), so the whole
-- study runs in a few minutes on a laptop.
--
-- Every run starts from the same initial weights and sees the same batches. The optimizers are
-- the TF Object Detection API's own presets (`descent plugins show tfod_rmsprop`):
--   tfod_momentum  TF1 MomentumOptimizer, momentum 0.9
--   tfod_rmsprop   TF1 RMSPropOptimizer, decay 0.9, momentum 0.9, epsilon 1.0 (mean square starts at 1)
--   tfod2_rmsprop  the same proto as the TF2 builder makes it (Keras RMSprop + inverse-time decay 0.9)
--   tfod_adam      TF1 AdamOptimizer (epsilon-hat form)
-- and all share one warmup + cosine schedule shape. Each optimizer's peak learning rate is the
-- one its sample configs use at this scale (momentum and RMSProp with epsilon 1.0 take SGD-sized
-- steps; Adam's steps are normalised, so it takes a smaller one) — `--set lr_scale=2` scales all.
--
-- How to read the answer: report.html (path printed at the end) ranks the runs by best mAP@0.5
-- on a held-out set (then by final loss), plots the metric and final loss per optimizer, and
-- overlays the loss curves (raw and smoothed; tick "log-scale training loss" to see the tail),
-- validation loss, mAP@0.5 and the learning rate; hover for values, drag to zoom. "steps to
-- threshold" is how soon the smoothed loss fell below the threshold. A run whose loss turned
-- NaN is marked diverged. results.csv has the same table; tensorboard --logdir runs/ the curves.
--
-- Long version: --set steps=5000 (the original's length). Smoke test: --quick.
local steps = params.steps or 1500
local scale = params.lr_scale or 1

local study = experiment {
  name = "compare_optimizers",
  model = "detector", model_args = { width = 16, depth = 1 },
  dataset = "street_scenes", dataset_args = { train = 4096, val = 128 }, size = 64,
  steps = steps, batch = 16, seed = params.seed or 1,
  schedule = "warmup_cosine",
  schedule_args = { init_value = 0, warmup_steps = math.max(1, steps // 10), decay_steps = steps, end_value = 0 },
  eval_every = math.max(1, steps // 5),
  threshold = 1.0,
}

local function peak(lr) return { schedule_args = { peak_value = lr * scale } } end
local function with(t, extra) for k, v in pairs(extra) do t[k] = v end return t end

study:run(with({ name = "tfod_momentum", optimizer = "tfod_momentum" }, peak(0.04)))
study:run(with({ name = "tfod_rmsprop", optimizer = "tfod_rmsprop" }, peak(0.04)))
study:run(with({ name = "tfod2_rmsprop", optimizer = "tfod2_rmsprop" }, peak(0.04)))
study:run(with({ name = "tfod_adam", optimizer = "tfod_adam" }, peak(0.002)))

-- learning_rate: which peak learning rate should Momentum and Adam use on the detector?
--
-- A grid over the peak of the warmup-cosine schedule for tfod_momentum (0.01 ... 0.16) and
-- tfod_adam (0.0005 ... 0.008), all else equal. Too large a rate shows up as a diverged run
-- (NaN loss; the study goes on); too small as a slow, high curve.
--
-- How to read the answer: in report.html tick "log-scale loss"; the table's best mAP@0.5 per
-- optimizer picks the rate. Long version: --set steps=3000.
local steps = params.steps or 500

local study = experiment {
  name = "learning_rate",
  model = "detector", dataset = "street_scenes", dataset_args = { train = 4096, val = 128 }, size = 64,
  steps = steps, batch = 16, seed = params.seed or 1,
  schedule = "warmup_cosine", schedule_args = { warmup_steps = math.max(1, steps // 10), decay_steps = steps },
  eval_every = math.max(1, steps // 4),
}
study:sweep { name = "momentum_lr_{schedule_args.peak_value}", optimizer = "tfod_momentum",
              vary = { ["schedule_args.peak_value"] = { 0.01, 0.04, 0.16 } } }
study:sweep { name = "adam_lr_{schedule_args.peak_value}", optimizer = "tfod_adam",
              vary = { ["schedule_args.peak_value"] = { 0.0005, 0.002, 0.008 } } }

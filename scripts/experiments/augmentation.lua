-- augmentation: does data augmentation help the detector at this training length?
--
-- Same detector, optimizer (tfod_momentum) and schedule; only the augmentation changes: none,
-- horizontal flip, scale jitter (random crop, boxes follow), photometric (brightness/contrast),
-- and all together. Augmentation is seeded, so each run is reproducible.
--
-- How to read the answer: augmentation usually raises the training loss (harder batches) while
-- improving held-out mAP@0.5; compare the table's best mAP, not the loss curves alone. Long
-- version: --set steps=4000.
local steps = params.steps or 600

local study = experiment {
  name = "augmentation",
  model = "detector", dataset = "street_scenes", dataset_args = { train = 1024, val = 128 }, size = 64,
  steps = steps, batch = 16, seed = params.seed or 1, optimizer = "tfod_momentum",
  schedule = "warmup_cosine", schedule_args = { peak_value = 0.04, warmup_steps = math.max(1, steps // 10), decay_steps = steps },
  eval_every = math.max(1, steps // 4),
}
study:run { name = "none" }
study:run { name = "flip", augment = { flip = 0.5 } }
study:run { name = "jitter", augment = { jitter = 0.3 } }
study:run { name = "photometric", augment = { brightness = 0.2, contrast = 0.3 } }
study:run { name = "all", augment = { flip = 0.5, jitter = 0.3, brightness = 0.2, contrast = 0.3 } }

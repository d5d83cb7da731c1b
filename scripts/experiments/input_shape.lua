-- input_shape: how does the input resolution change what the detector learns and what it costs?
--
-- Trains the detector on street scenes rendered at 32, 48, 64 and 96 pixels (the objects scale
-- with the image; the grid is size/8), with Adam and the same schedule. Every run starts from
-- the same seed, but the model's grid differs, so compare final mAP@0.5 and time, not curves
-- point by point.
--
-- How to read the answer: mAP@0.5 per resolution against seconds per run. Long version:
-- --set steps=3000.
local steps = params.steps or 500

local study = experiment {
  name = "input_shape",
  model = "detector", dataset = "street_scenes", dataset_args = { train = 2048, val = 128 },
  steps = steps, batch = 16, seed = params.seed or 1, optimizer = "tfod_adam",
  schedule = "warmup_cosine", schedule_args = { peak_value = 0.002, warmup_steps = math.max(1, steps // 10), decay_steps = steps },
  eval_every = math.max(1, steps // 4),
}
study:sweep { name = "size_{size}", vary = { size = { 32, 48, 64, 96 } } }

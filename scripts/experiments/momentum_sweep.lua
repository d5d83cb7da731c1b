-- momentum_sweep: how much momentum should Momentum use on the detector, and does the best
-- setting beat Adam?
--
-- Part 1 trains the detector with TF1-style momentum (tfod_momentum) for momentum 0.1, 0.3, 0.5,
-- 0.7, 0.9, everything else equal (same initial weights, batches and warmup-cosine schedule).
-- Part 2 runs Adam (tfod_adam) against them; the best momentum run is not trained twice (the
-- report ranks all six).
--
-- How to read the answer: report.html plots best mAP@0.5 and final loss against momentum, and
-- overlays the curves of all six runs; the table ranks them. In the TF1 form the effective step is lr / (1 - momentum), so
-- low momentum with the same learning rate also means smaller steps: compare the tails, not only
-- the first hundred steps. Long version: --set steps=5000.
local steps = params.steps or 800

local study = experiment {
  name = "momentum_sweep",
  model = "detector", dataset = "street_scenes", dataset_args = { train = 4096, val = 128 }, size = 64,
  steps = steps, batch = 16, seed = params.seed or 1,
  schedule = "warmup_cosine",
  schedule_args = { peak_value = 0.04, warmup_steps = math.max(1, steps // 10), decay_steps = steps },
  eval_every = math.max(1, steps // 4),
}

study:sweep { name = "momentum_{momentum}", optimizer = "tfod_momentum", vary = { momentum = { 0.1, 0.3, 0.5, 0.7, 0.9 } } }
local results = study:go()

local best, best_loss = nil, math.huge
for name, r in pairs(results) do
  if r.status == "ok" and r.final_loss < best_loss then best, best_loss = name, r.final_loss end
end
if best then
  print(string.format("best momentum run: %s (final loss %.4g); now Adam against it", best, best_loss))
  study:run { name = "adam", optimizer = "tfod_adam", schedule_args = { peak_value = 0.002 } }
end

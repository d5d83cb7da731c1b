-- custom_optimizer: do the bundled Lua optimizers (scripts/optimizers/) beat the natives on the
-- detector?
--
-- Trains the detector with native momentum and Adam and with Lion, AdaBelief, NAdam, RAdam,
-- AdaBound and Signum — each a Lua plugin — with the same warmup-cosine schedule shape and each
-- optimizer's customary peak learning rate (sign-based methods take ~10x smaller steps than Adam).
-- A plugin that fails marks its run failed and the study goes on.
--
-- How to read the answer: the table's final loss and best mAP@0.5; the time column shows the
-- cost of a Lua optimizer (most use a fused optim.kernel and run at native speed). Add your own:
-- put a file in a directory and pass --plugins DIR, then add a run below.
local steps = params.steps or 500

local study = experiment {
  name = "custom_optimizer",
  model = "detector", dataset = "street_scenes", dataset_args = { train = 4096, val = 128 }, size = 64,
  steps = steps, batch = 16, seed = params.seed or 1,
  schedule = "warmup_cosine", schedule_args = { warmup_steps = math.max(1, steps // 10), decay_steps = steps },
  eval_every = math.max(1, steps // 4),
}
local runs = {
  { "momentum", 0.04 }, { "adam", 0.002 }, { "lion", 0.0002 }, { "adabelief", 0.002 },
  { "nadam", 0.002 }, { "radam", 0.002 }, { "adabound", 0.002 }, { "signum", 0.0002 },
}
for _, r in ipairs(runs) do
  study:run { name = r[1], optimizer = r[1], schedule_args = { peak_value = r[2] } }
end

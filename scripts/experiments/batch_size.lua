-- batch_size: how does the batch size change training of the detector at a fixed number of
-- steps (and so a fixed compute budget per image seen x batch)?
--
-- Runs batch 4, 8, 16, 32 with Adam (tfod_adam) and the same warmup-cosine schedule, so larger
-- batches see more images. The learning rate is scaled linearly with the batch (Goyal et al.
-- 2017) from 0.002 at batch 16; --set linear_scaling=false keeps it fixed.
--
-- How to read the answer: compare final loss and mAP@0.5 against the time column: a bigger batch
-- costs more per step. The data order differs between batch sizes (each run draws its batches
-- from the same seeded shuffle). Long version: --set steps=3000.
local steps = params.steps or 600
local scaling = params.linear_scaling ~= false

local study = experiment {
  name = "batch_size",
  model = "detector", dataset = "street_scenes", dataset_args = { train = 4096, val = 128 }, size = 64,
  steps = steps, seed = params.seed or 1, optimizer = "tfod_adam",
  schedule = "warmup_cosine", schedule_args = { warmup_steps = math.max(1, steps // 10), decay_steps = steps },
  eval_every = math.max(1, steps // 4),
}
for _, b in ipairs { 4, 8, 16, 32 } do
  study:run { name = "batch_" .. b, batch = b, schedule_args = { peak_value = scaling and 0.002 * b / 16 or 0.002 } }
end

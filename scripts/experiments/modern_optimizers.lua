-- modern_optimizers: do the optimizers of 2024-2026 beat the TF Object Detection API's
-- presets on the detector?
--
-- Trains the detector of compare_optimizers.lua (same data, same initial weights, same budget)
-- with the TF OD API's Momentum and Adam, and with the four bundled modern optimizers:
--   muon                 Newton-Schulz-orthogonalised momentum on every conv kernel (form
--                        "jordan": kernels flattened to [out, in*kh*kw]), AdamW at a tenth of
--                        the rate for batch norm and biases
--   schedule_free_adamw  no schedule at all; evaluated at its average x (eval_averaged)
--   adafactor            factored second moments, steps relative to each tensor's RMS
--   lamb                 Adam's direction scaled per tensor by ||p|| / ||u||
-- Every other optimizer follows the same warmup + cosine schedule, at its customary peak rate.
--
-- How to read the answer: as compare_optimizers.lua (report.html, results.csv, TensorBoard).
-- Smoke test: --quick. Longer: --set steps=5000.
local steps = params.steps or 1500

local study = experiment {
  name = "modern_optimizers",
  model = "detector", model_args = { width = 16, depth = 1 },
  dataset = "street_scenes", dataset_args = { train = 4096, val = 128 }, size = 64,
  steps = steps, batch = 16, seed = params.seed or 1,
  schedule = "warmup_cosine",
  schedule_args = { init_value = 0, warmup_steps = math.max(1, steps // 10), decay_steps = steps, end_value = 0 },
  eval_every = math.max(1, steps // 5),
  threshold = 1.0,
}

local function peak(lr) return { peak_value = lr } end
study:run { name = "tfod_momentum", optimizer = "tfod_momentum", schedule_args = peak(0.04) }
study:run { name = "tfod_adam", optimizer = "tfod_adam", schedule_args = peak(0.002) }
study:run { name = "muon", optimizer = "muon", hyper = { form = "jordan", adam_lr_ratio = 0.1 }, schedule_args = peak(0.02) }
study:run { name = "schedule_free_adamw", optimizer = "schedule_free_adamw", schedule = false,
            hyper = { lr = 0.002, warmup_steps = math.max(1, steps // 10) }, eval_averaged = true }
study:run { name = "adafactor", optimizer = "adafactor", schedule_args = peak(0.01) }
study:run { name = "lamb", optimizer = "lamb", schedule_args = peak(0.005) }

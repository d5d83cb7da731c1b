-- fashion_mnist: do the optimizer study's findings hold on real images, and are they more than
-- one seed's luck?
--
-- The same question as compare_optimizers.lua and momentum_sweep.lua (which optimizer, which
-- momentum), asked of real data: Fashion-MNIST (60k training images, 28x28 grey, 10 classes;
-- the 10k test images are the validation set), from Debian's dataset-fashion-mnist package
-- (tools/setup installs it; dataset_args.path names another directory). The model is the
-- bundled CNN (three Conv3x3-BN-ReLU-MaxPool blocks of 16, 32, 64 channels), trained 2000 steps
-- of 64 images (about two epochs) under one warmup + cosine schedule.
--
-- Every setting trains with seeds 1, 2 and 3 (seeds = 3): a seed draws the initial weights and
-- the order of the batches, and every setting sees the same seeds, so differences are paired.
-- settings.csv and the report give each setting's mean test accuracy with its standard
-- deviation and 95% interval, and say whether the best two settings are separable.
--
-- Settings: the TF Object Detection API presets (TF1 Momentum, TF1 RMSProp, the TF2 builder's
-- RMSProp, TF1 Adam) and the Keras forms of the three (Keras' momentum update, RMSprop with
-- epsilon inside the root and 1e-7, Adam with Keras' epsilon 1e-7); then, in a second
-- experiment, momentum 0.1 ... 0.9 in steps of 0.2 with TF1 Momentum's update.
--
-- descent run scripts/experiments/fashion_mnist.lua   (about 10 minutes on 2 cores)
-- Options: --set steps=N, --set seeds=N, --quick (smoke test: 6 steps on 256 images).
local steps = params.steps or 2000
local seeds = params.seeds or 3

local function study(name)
  return experiment {
    name = name,
    model = "cnn", model_args = { width = 16, depth = 3 },
    dataset = "fashion_mnist",
    steps = steps, batch = 64, seeds = seeds,
    schedule = "warmup_cosine",
    schedule_args = { init_value = 0, warmup_steps = math.max(1, steps // 10), decay_steps = steps, end_value = 0 },
    eval_every = math.max(1, steps // 2),
    threshold = 0.5,
  }
end

local function peak(lr) return { peak_value = lr } end

local optimizers = study("fashion_mnist")
optimizers:run { name = "tfod_momentum", optimizer = "tfod_momentum", schedule_args = peak(0.1) }
optimizers:run { name = "tfod_rmsprop", optimizer = "tfod_rmsprop", schedule_args = peak(0.1) }
optimizers:run { name = "tfod2_rmsprop", optimizer = "tfod2_rmsprop", schedule_args = peak(0.1) }
optimizers:run { name = "tfod_adam", optimizer = "tfod_adam", schedule_args = peak(0.003) }
optimizers:run { name = "keras_momentum", optimizer = "momentum", hyper = { form = "keras", momentum = 0.9 }, schedule_args = peak(0.1) }
optimizers:run { name = "keras_rmsprop", optimizer = "rmsprop", hyper = { form = "keras", epsilon = 1e-7 }, schedule_args = peak(0.001) }
optimizers:run { name = "keras_adam", optimizer = "adam", hyper = { form = "tf", epsilon = 1e-7 }, schedule_args = peak(0.003) }

local momentum = study("fashion_mnist_momentum")
momentum:sweep { name = "momentum_{momentum}", optimizer = "momentum", hyper = { form = "tf1" }, schedule_args = peak(0.1),
                 vary = { momentum = { 0.1, 0.3, 0.5, 0.7, 0.9 } } }

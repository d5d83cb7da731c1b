#!/usr/bin/env python3
"""The reference CNN of `descent bench` (Sources/Core/Models/ReferenceCNN.swift) trained in
TensorFlow CPU, for side-by-side figures: prints steps/s of the same training step.

Model: input 32x3x64x64 (TensorFlow's fast NHWC layout), Conv 3->16 3x3 same, ReLU, MaxPool 2;
Conv 16->32, ReLU, MaxPool 2; Conv 32->64, ReLU, MaxPool 2; Flatten; Dense 4096->128, ReLU;
Dense 128->10; sparse softmax cross-entropy; Adam lr 1e-3. The step is one tf.function
(forward, backward, Adam), as Keras's own train_step compiles it.

A benchmark tool, not a dependency: run it from a throwaway virtual environment.

    python3 -m venv /tmp/tf && /tmp/tf/bin/pip install tensorflow-cpu
    /tmp/tf/bin/python bench/tensorflow_reference.py --threads 1
    /tmp/tf/bin/python bench/tensorflow_reference.py --threads 2 --rounds 5

Compare with `DESCENT_THREADS=N .build/release/descent bench --only train` in the same minute
(run them alternately: the machines here drift by ~10% within seconds).
"""
import argparse
import os
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--steps", type=int, default=20, help="steps per timed round")
    ap.add_argument("--rounds", type=int, default=5, help="timed rounds; the median is printed")
    args = ap.parse_args()

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    tf.random.set_seed(1)

    layers = tf.keras.layers
    model = tf.keras.Sequential([
        tf.keras.Input((64, 64, 3), batch_size=32),
        layers.Conv2D(16, 3, padding="same", activation="relu"), layers.MaxPool2D(2),
        layers.Conv2D(32, 3, padding="same", activation="relu"), layers.MaxPool2D(2),
        layers.Conv2D(64, 3, padding="same", activation="relu"), layers.MaxPool2D(2),
        layers.Flatten(), layers.Dense(128, activation="relu"), layers.Dense(10),
    ])
    opt = tf.keras.optimizers.Adam(1e-3)
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    x = tf.random.normal((32, 64, 64, 3), seed=1)
    y = tf.random.uniform((32,), maxval=10, dtype=tf.int32, seed=1)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    for _ in range(5):
        step().numpy()
    rates = []
    for _ in range(args.rounds):
        t0 = time.perf_counter()
        for _ in range(args.steps):
            loss = step()
        loss.numpy()
        rates.append(args.steps / (time.perf_counter() - t0))
    rates.sort()
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    print(f"tensorflow {tf.__version__}  reference CNN step  {rates[len(rates) // 2]:.1f} steps/s "
          f"(median of {args.rounds} x {args.steps} steps, {args.threads} threads, {cpu})")


if __name__ == "__main__":
    main()

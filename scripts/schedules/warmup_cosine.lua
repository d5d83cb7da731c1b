-- warmup_cosine: linear warmup, then cosine decay; Optax's warmup_cosine_decay_schedule.
-- decay_steps counts the warmup too (the schedule reaches end_value at step decay_steps).
--
--   step < warmup_steps:  init_value + (peak_value - init_value) * step / warmup_steps
--   else:                 k = min(step - warmup_steps, decay_steps - warmup_steps)
--                         c = (0.5 * (1 + cos(pi * k / (decay_steps - warmup_steps))))^exponent
--                         end_value + (peak_value - end_value) * c
--
-- Loshchilov & Hutter (2017), "SGDR: Stochastic Gradient Descent with Warm Restarts"; warmup:
-- Goyal et al. (2017), "Accurate, Large Minibatch SGD".
return {
  kind = "schedule",
  name = "warmup_cosine",
  doc = "Linear warmup then cosine decay to end_value (Optax warmup_cosine_decay_schedule)",
  defaults = { init_value = 0, peak_value = 0.1, warmup_steps = 100, decay_steps = 1000, end_value = 0, exponent = 1 },
  at = function(step, h)
    if h.warmup_steps < 0 or h.decay_steps < 1 or h.warmup_steps > h.decay_steps then
      error(string.format("warmup_cosine: 0 <= warmup_steps <= decay_steps and decay_steps >= 1 expected, got warmup_steps %g, decay_steps %g",
                          h.warmup_steps, h.decay_steps))
    end
    if step < h.warmup_steps then
      return h.init_value + (h.peak_value - h.init_value) * step / h.warmup_steps
    end
    local span = h.decay_steps - h.warmup_steps
    if span <= 0 then return h.end_value end
    local k = math.min(step - h.warmup_steps, span)
    local c = (0.5 * (1 + math.cos(math.pi * k / span))) ^ h.exponent
    return h.end_value + (h.peak_value - h.end_value) * c
  end,
}

-- step_decay: multiply the learning rate by gamma every step_size steps (PyTorch StepLR).
--
--   lr = base * gamma^floor(step / step_size)
--
-- The classic schedule of He et al. (2016), "Deep Residual Learning for Image Recognition".
return {
  kind = "schedule",
  name = "step_decay",
  doc = "Step decay: base * gamma^floor(step / step_size) (PyTorch StepLR)",
  defaults = { base = 0.1, step_size = 1000, gamma = 0.1 },
  at = function(step, h)
    if h.step_size <= 0 then error("step_decay: step_size must be > 0, got " .. h.step_size) end
    return h.base * h.gamma ^ math.floor(step / h.step_size)
  end,
}

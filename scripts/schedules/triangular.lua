-- triangular: cyclical learning rate between base_lr and max_lr (PyTorch CyclicLR semantics).
-- One cycle is step_size_up steps up and step_size_down (0: same as up) steps down.
--
--   T = up + down;  cycle = floor(1 + step / T);  x = 1 + step / T - cycle
--   scale = x / (up / T)  if x <= up / T  else  (x - 1) / (up / T - 1)
--   lr = base_lr + (max_lr - base_lr) * scale * f,   f = 1 (triangular),
--        1 / 2^(cycle - 1) (triangular2), gamma^step (exp_range)
--
-- Smith (2017), "Cyclical Learning Rates for Training Neural Networks".
return {
  kind = "schedule",
  name = "triangular",
  doc = "Cyclical learning rate between base_lr and max_lr (Smith 2017; PyTorch CyclicLR)",
  defaults = { base_lr = 1e-3, max_lr = 6e-3, step_size_up = 2000, step_size_down = 0, mode = "triangular", gamma = 1 },
  at = function(step, h)
    local up = h.step_size_up
    local down = h.step_size_down > 0 and h.step_size_down or up
    if up <= 0 then error("triangular: step_size_up must be > 0, got " .. up) end
    local total = up + down
    local ratio = up / total
    local cycle = math.floor(1 + step / total)
    local x = 1 + step / total - cycle
    local scale = x <= ratio and x / ratio or (x - 1) / (ratio - 1)
    local f
    if h.mode == "triangular" then f = 1
    elseif h.mode == "triangular2" then f = 1 / 2 ^ (cycle - 1)
    elseif h.mode == "exp_range" then f = h.gamma ^ step
    else error("triangular: mode must be \"triangular\", \"triangular2\" or \"exp_range\", got \"" .. h.mode .. "\"") end
    return h.base_lr + (h.max_lr - h.base_lr) * scale * f
  end,
}

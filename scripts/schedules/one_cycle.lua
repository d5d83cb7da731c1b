-- one_cycle: the 1cycle policy for the learning rate, with PyTorch OneCycleLR's semantics.
-- Starts at max_lr / div_factor, rises to max_lr over the first pct_start of total_steps, then
-- anneals to max_lr / (div_factor * final_div_factor) at step total_steps - 1 (and stays there).
-- three_phase: rise, fall back to the initial value, then anneal to the minimum (fast.ai).
--
--   phases end at pct_start*T - 1 and T - 1 (three_phase: pct_start*T - 1, 2*pct_start*T - 2, T - 1)
--   inside a phase from a to b over steps [s0, s1]:  x = (step - s0) / (s1 - s0)
--     cos:     b + (a - b) / 2 * (1 + cos(pi * x))
--     linear:  a + (b - a) * x
--
-- Smith & Topin (2019), "Super-Convergence: Very Fast Training of Neural Networks Using Large
-- Learning Rates".
local function anneal(strategy, a, b, x)
  if strategy == "linear" then return a + (b - a) * x end
  return b + (a - b) / 2 * (1 + math.cos(math.pi * x))
end

return {
  kind = "schedule",
  name = "one_cycle",
  doc = "1cycle learning rate: warm up to max_lr, anneal far below (PyTorch OneCycleLR)",
  defaults = { max_lr = 0.1, total_steps = 1000, pct_start = 0.3, anneal_strategy = "cos",
               div_factor = 25, final_div_factor = 1e4, three_phase = false },
  at = function(step, h)
    if h.anneal_strategy ~= "cos" and h.anneal_strategy ~= "linear" then
      error("one_cycle: anneal_strategy must be \"cos\" or \"linear\", got \"" .. h.anneal_strategy .. "\"")
    end
    local T = h.total_steps
    if T < 2 or h.pct_start <= 0 or h.pct_start >= 1 or h.div_factor <= 0 or h.final_div_factor <= 0 then
      error(string.format("one_cycle: total_steps >= 2, 0 < pct_start < 1 and positive div factors expected, got total_steps %g, pct_start %g",
                          T, h.pct_start))
    end
    local initial = h.max_lr / h.div_factor
    local min_lr = initial / h.final_div_factor
    local phases
    if h.three_phase then
      phases = { { h.pct_start * T - 1, initial, h.max_lr }, { 2 * h.pct_start * T - 2, h.max_lr, initial }, { T - 1, initial, min_lr } }
    else
      phases = { { h.pct_start * T - 1, initial, h.max_lr }, { T - 1, h.max_lr, min_lr } }
    end
    step = math.min(step, T - 1)
    local start = 0
    for i, ph in ipairs(phases) do
      if step <= ph[1] or i == #phases then
        return anneal(h.anneal_strategy, ph[2], ph[3], (step - start) / (ph[1] - start))
      end
      start = ph[1]
    end
  end,
}

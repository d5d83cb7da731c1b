-- schedule_free_adamw: AdamW without a learning-rate schedule. The parameters hold y, where the
-- gradient is taken; z takes AdamW steps; x, the point to evaluate at, is a running average of
-- z weighted by lr^weight_lr_power.
--
--   warm(s) = lr min(s, warmup_steps) / warmup_steps   (warmup_steps 0: lr)
--   v <- beta2 v + (1 - beta2) g^2;   u = g / (sqrt(v / (1 - beta2^t)) + epsilon) + weight_decay y
--   z' = z - warm(t - 1) u              (t from 1: Optax's inner rate counts from 0 ...)
--   w = max_{s<=t} warm(s)^weight_lr_power;   W <- W + w;   c = w / W   (... its weights from 1;
--                                                                        c is 0 while W is 0)
--   x = (y - (1 - beta1) z) / beta1;   x' = (1 - c) x + c z';   y' = beta1 x' + (1 - beta1) z'
--
-- opt:swap_averages(params) puts x in the parameters (and back); eval_averaged = true in a
-- study evaluates at x. Defazio et al. (2024), "The Road Less Scheduled"; as
-- optax.contrib.schedule_free_adamw (0.2.8). warmup_steps = 0 means no warmup (Optax's None;
-- Optax's own warmup schedule with 0 steps would hold the rate at 0).
local step_kernel = optim.kernel {
  tensors = { "y", "g", "z", "v" },
  body = function(t, s)
    local v = s.beta2 * t.v + (1 - s.beta2) * t.g * t.g
    local z = t.z - s.lr * (t.g / ((v * s.v_scale):sqrt() + s.epsilon) + s.weight_decay * t.y)
    local x = (1 - s.c) * ((t.y - (1 - s.beta1) * t.z) * s.inv_beta1) + s.c * z
    return { v = v, z = z, y = s.beta1 * x + (1 - s.beta1) * z }
  end,
}

return {
  kind = "optimizer",
  name = "schedule_free_adamw",
  doc = "Schedule-Free AdamW: no schedule; evaluate at the average x (Defazio et al. 2024; optax.contrib.schedule_free_adamw)",
  defaults = { lr = 0.0025, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8, weight_decay = 0, warmup_steps = 0, weight_lr_power = 2 },
  check = function(h)
    if not (h.beta1 > 0 and h.beta1 < 1) then error("beta1 must be in (0, 1), got " .. tostring(h.beta1), 0) end
    if not (h.beta2 >= 0 and h.beta2 < 1) then error("beta2 must be in [0, 1), got " .. tostring(h.beta2), 0) end
    if not (h.epsilon >= 0) then error("epsilon must be >= 0, got " .. tostring(h.epsilon), 0) end
    if not (h.weight_decay >= 0) then error("weight_decay must be >= 0, got " .. tostring(h.weight_decay), 0) end
    if not (h.warmup_steps >= 0 and h.warmup_steps == math.floor(h.warmup_steps)) then
      error("warmup_steps must be an integer >= 0, got " .. tostring(h.warmup_steps), 0)
    end
    if not (h.weight_lr_power >= 0) then error("weight_lr_power must be >= 0, got " .. tostring(h.weight_lr_power), 0) end
  end,
  init = function(p) return { z = p:clone(), exp_avg_sq = p:zeros_like(), max_lr = 0, weight_sum = 0 } end,
  update = function(y, g, state, h, step)
    local function warm(s) return h.warmup_steps > 0 and h.lr * math.min(s, h.warmup_steps) / h.warmup_steps or h.lr end
    local lr = warm(step - 1)
    state.max_lr = math.max(state.max_lr, warm(step))
    local w = state.max_lr ^ h.weight_lr_power
    state.weight_sum = state.weight_sum + w
    local c = state.weight_sum > 0 and w / state.weight_sum or 0
    step_kernel {
      y = y, g = g, z = state.z, v = state.exp_avg_sq, lr = lr, c = c,
      beta1 = h.beta1, inv_beta1 = 1 / h.beta1, beta2 = h.beta2, epsilon = h.epsilon, weight_decay = h.weight_decay,
      v_scale = 1 / (1 - h.beta2 ^ step),
    }
  end,
  -- The evaluation point x = (y - (1 - beta1) z) / beta1.
  average = function(y, state, h) return (y - state.z * (1 - h.beta1)) / h.beta1 end,
}

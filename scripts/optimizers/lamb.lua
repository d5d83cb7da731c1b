-- lamb: Layer-wise Adaptive Moments for Batch training. Adam's direction, with decoupled weight
-- decay, rescaled per parameter tensor so that its norm is the parameter's norm.
--
--   m <- beta1 m + (1 - beta1) g;   v <- beta2 v + (1 - beta2) g^2
--   u <- (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + epsilon) + weight_decay p
--   r <- ||p|| / ||u||   (1 when either norm is 0)
--   p <- p - lr r u
--
-- You et al. (2020), "Large Batch Optimization for Deep Learning: Training BERT in 76 minutes";
-- as optax.lamb (0.2.8): scale_by_adam, add_decayed_weights, scale_by_trust_ratio, lr.
local direction = optim.kernel {
  tensors = { "p", "g", "m", "v", "u" },
  body = function(t, s)
    local m = s.beta1 * t.m + (1 - s.beta1) * t.g
    local v = s.beta2 * t.v + (1 - s.beta2) * t.g * t.g
    return { m = m, v = v, u = (m * s.m_scale) / ((v * s.v_scale):sqrt() + s.epsilon) + s.weight_decay * t.p }
  end,
}

return {
  kind = "optimizer",
  name = "lamb",
  doc = "LAMB: Adam direction with decoupled weight decay, layer-wise trust ratio ||p||/||u|| (You et al. 2020; optax.lamb)",
  defaults = { lr = 1e-3, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-6, weight_decay = 0 },
  check = function(h)
    for _, k in ipairs { "beta1", "beta2" } do
      if not (h[k] >= 0 and h[k] < 1) then error(k .. " must be in [0, 1), got " .. tostring(h[k]), 0) end
    end
    if not (h.epsilon >= 0) then error("epsilon must be >= 0, got " .. tostring(h.epsilon), 0) end
    if not (h.weight_decay >= 0) then error("weight_decay must be >= 0, got " .. tostring(h.weight_decay), 0) end
  end,
  init = function(param)
    return { exp_avg = param:zeros_like(), exp_avg_sq = param:zeros_like(), update = param:zeros_like() }
  end,
  update = function(p, g, state, h, step)
    direction {
      p = p, g = g, m = state.exp_avg, v = state.exp_avg_sq, u = state.update,
      beta1 = h.beta1, beta2 = h.beta2, epsilon = h.epsilon, weight_decay = h.weight_decay,
      m_scale = 1 / (1 - h.beta1 ^ step), v_scale = 1 / (1 - h.beta2 ^ step),
    }
    local pn, un = p:norm(), state.update:norm()
    local ratio = (pn == 0 or un == 0) and 1 or pn / un
    p:add_(state.update, -h.lr * ratio)
  end,
}

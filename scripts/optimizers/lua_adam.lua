-- lua_adam: Adam in the native `adam` optimizer's default (PyTorch, Algorithm 1) form, written
-- as one fused kernel (optim.kernel): the whole update is a single pass over memory, as the
-- native one is.
--
--   g <- g + weight_decay * p
--   m <- beta1 * m + (1 - beta1) * g
--   v <- beta2 * v + (1 - beta2) * g^2
--   p <- p - lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + epsilon)
--
-- Kingma & Ba (2015), "Adam: A Method for Stochastic Optimization", Algorithm 1.
local step_kernel = optim.kernel {
  tensors = { "p", "g", "m", "v" },
  body = function(t, s)
    local g = t.g + s.weight_decay * t.p
    local m = s.beta1 * t.m + (1 - s.beta1) * g
    local v = s.beta2 * t.v + (1 - s.beta2) * g * g
    -- s.step_size = lr / (1 - beta1^t) and s.v_scale = 1 / sqrt(1 - beta2^t), computed per step.
    return { m = m, v = v, p = t.p - s.step_size * m / (v:sqrt() * s.v_scale + s.epsilon) }
  end,
}

return {
  kind = "optimizer",
  name = "lua_adam",
  doc = "Adam as one fused Lua kernel (reference copy of native adam, PyTorch form)",
  defaults = { lr = 1e-3, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8, weight_decay = 0 },
  init = function(param, hyper)
    return { exp_avg = param:zeros_like(), exp_avg_sq = param:zeros_like() }
  end,
  update = function(param, grad, state, hyper, step)
    step_kernel {
      p = param, g = grad, m = state.exp_avg, v = state.exp_avg_sq,
      beta1 = hyper.beta1, beta2 = hyper.beta2, epsilon = hyper.epsilon, weight_decay = hyper.weight_decay,
      step_size = hyper.lr / (1 - hyper.beta1 ^ step),
      v_scale = 1 / math.sqrt(1 - hyper.beta2 ^ step),
    }
  end,
}

-- radam: Rectified Adam. While the variance of the adaptive learning rate is intractable (the
-- first steps), take plain momentum steps; after, rectify Adam's step by r_t.
--
--   m <- beta1 * m + (1 - beta1) * g;   v <- beta2 * v + (1 - beta2) * g^2
--   rho_inf = 2 / (1 - beta2) - 1;   rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
--   rho_t > 5:  r = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
--               p <- p - lr * r * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + epsilon)
--   otherwise:  p <- p - lr * m / (1 - beta1^t)
--
-- Liu et al. (2020), "On the Variance of the Adaptive Learning Rate and Beyond", Algorithm 2
-- (as PyTorch's RAdam, with epsilon added outside the square root).
local function moments(t, c)
  local g = t.g + c.weight_decay * t.p
  return c.beta1 * t.m + (1 - c.beta1) * g, c.beta2 * t.v + (1 - c.beta2) * g * g
end
local adaptive = optim.kernel {
  tensors = { "p", "g", "m", "v" },
  body = function(t, c)
    local m, v = moments(t, c)
    return { m = m, v = v, p = t.p - c.step_size * m / (v:sqrt() * c.v_scale + c.epsilon) }
  end,
}
local plain = optim.kernel {
  tensors = { "p", "g", "m", "v" },
  body = function(t, c)
    local m, v = moments(t, c)
    return { m = m, v = v, p = t.p - c.step_size * m }
  end,
}

return {
  kind = "optimizer",
  name = "radam",
  doc = "RAdam: Adam with the variance of the adaptive step rectified (Liu et al. 2020)",
  defaults = { lr = 1e-3, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8, weight_decay = 0 },
  init = function(param) return { exp_avg = param:zeros_like(), exp_avg_sq = param:zeros_like() } end,
  update = function(param, grad, state, h, step)
    local bc1, bc2 = 1 - h.beta1 ^ step, 1 - h.beta2 ^ step
    local rho_inf = 2 / (1 - h.beta2) - 1
    local rho = rho_inf - 2 * step * h.beta2 ^ step / bc2
    local args = {
      p = param, g = grad, m = state.exp_avg, v = state.exp_avg_sq,
      beta1 = h.beta1, beta2 = h.beta2, weight_decay = h.weight_decay,
    }
    if rho > 5 then
      local r = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
      args.step_size, args.v_scale, args.epsilon = h.lr * r / bc1, 1 / math.sqrt(bc2), h.epsilon
      adaptive(args)
    else
      args.step_size = h.lr / bc1
      plain(args)
    end
  end,
}

-- muon: MomentUm Orthogonalized by Newton-Schulz. On every matrix parameter, the Nesterov
-- momentum is replaced by the nearest semi-orthogonal matrix (its singular values pushed
-- towards 1), computed with matrix products only; other parameters get AdamW.
--
-- form "optax" (the default; optax.contrib.muon 0.2.8), for a 2-D parameter of shape
-- [rows, cols] (Descent's [out, in]):
--   m <- beta m + (1 - beta) g
--   n = beta m / (1 - beta^(t+1)) + (1 - beta) g / (1 - beta^t)        (Nesterov, bias-corrected)
--   X = n / (||n||_F + eps), transposed if rows > cols (so X is wide); ns_steps times:
--     A = X X^T;  X <- a X + (b A + c A A) X      (a, b, c = 3.4445, -4.7750, 2.0315)
--   p <- p - lr (sqrt(max(1, rows/cols)) X + weight_decay p)
-- every other parameter (biases, 4-D kernels): optax.adamw(nesterov=True) with adam_beta1,
-- adam_beta2, eps, no decay, lr times adam_lr_ratio (1: the same lr, Optax's default):
--   m, v as Adam;  n = beta1 m / (1 - beta1^(t+1)) + (1 - beta1) g / (1 - beta1^t)
--   p <- p - lr adam_lr_ratio n / (sqrt(v / (1 - beta2^t)) + eps)
-- form "jordan" (Keller Jordan's reference PyTorch Muon): no bias correction (m <- beta m +
-- (1 - beta) g, n = beta m + (1 - beta) g), 4-D kernels flattened to [out, in*kh*kw] and
-- orthogonalised too, decay p <- p (1 - lr weight_decay) before the step.
--
-- Jordan et al. (2024), "Muon: An optimizer for hidden layers in neural networks".
local coefficients = { 3.4445, -4.7750, 2.0315 }

local function orthogonalize(n, steps, eps)
  local x = n
  local shape = x:shape()
  local transposed = shape[1] > shape[2]
  if transposed then x = x:t() end
  x = x / (x:norm() + eps)
  local a, b, c = coefficients[1], coefficients[2], coefficients[3]
  for _ = 1, steps do
    local A = x:matmul(x:t())
    x = x * a + (A * b + A:matmul(A) * c):matmul(x)
  end
  if transposed then x = x:t() end
  return x
end

local adam_kernel = optim.kernel {
  tensors = { "p", "g", "m", "v" },
  body = function(t, s)
    local m = s.beta1 * t.m + (1 - s.beta1) * t.g
    local v = s.beta2 * t.v + (1 - s.beta2) * t.g * t.g
    local n = s.m_now * m + s.g_now * t.g
    return { m = m, v = v, p = t.p - s.lr * n / ((v * s.v_scale):sqrt() + s.epsilon) }
  end,
}

local function is_matrix(p, h)
  local rank = #p:shape()
  return rank == 2 or (h.form == "jordan" and rank > 2)
end

return {
  kind = "optimizer",
  name = "muon",
  doc = "Muon: Nesterov momentum orthogonalised by Newton-Schulz on matrices, AdamW elsewhere (Jordan et al. 2024; optax.contrib.muon)",
  defaults = { lr = 0.02, momentum = 0.95, ns_steps = 5, eps = 1e-8, weight_decay = 0,
               adam_beta1 = 0.9, adam_beta2 = 0.999, adam_lr_ratio = 1, form = "optax" },
  check = function(h)
    if not (h.momentum >= 0 and h.momentum < 1) then error("momentum must be in [0, 1), got " .. tostring(h.momentum), 0) end
    if not (h.ns_steps >= 1 and h.ns_steps <= 100 and h.ns_steps == math.floor(h.ns_steps)) then
      error("ns_steps must be an integer from 1 to 100, got " .. tostring(h.ns_steps), 0)
    end
    if not (h.eps >= 0) then error("eps must be >= 0, got " .. tostring(h.eps), 0) end
    if not (h.weight_decay >= 0) then error("weight_decay must be >= 0, got " .. tostring(h.weight_decay), 0) end
    for _, k in ipairs { "adam_beta1", "adam_beta2" } do
      if not (h[k] >= 0 and h[k] < 1) then error(k .. " must be in [0, 1), got " .. tostring(h[k]), 0) end
    end
    if not (h.adam_lr_ratio >= 0) then error("adam_lr_ratio must be >= 0, got " .. tostring(h.adam_lr_ratio), 0) end
    if h.form ~= "optax" and h.form ~= "jordan" then error('form must be "optax" or "jordan", got "' .. tostring(h.form) .. '"', 0) end
  end,
  init = function(p, h)
    if is_matrix(p, h) then return { momentum_buffer = p:zeros_like() } end
    return { exp_avg = p:zeros_like(), exp_avg_sq = p:zeros_like() }
  end,
  update = function(p, g, state, h, t)
    if not state.momentum_buffer then
      local b1 = h.adam_beta1
      adam_kernel {
        p = p, g = g, m = state.exp_avg, v = state.exp_avg_sq, lr = h.lr * h.adam_lr_ratio, epsilon = h.eps,
        beta1 = b1, beta2 = h.adam_beta2, v_scale = 1 / (1 - h.adam_beta2 ^ t),
        m_now = b1 / (1 - b1 ^ (t + 1)), g_now = (1 - b1) / (1 - b1 ^ t),
      }
      return
    end
    local beta, m = h.momentum, state.momentum_buffer
    local shape = p:shape()
    local rows = shape[1]
    local cols = p:numel() // rows
    m:mul_(beta):add_(g, 1 - beta)
    local n
    if h.form == "jordan" then
      n = (m * beta):add_(g, 1 - beta)
    else
      n = (m * (beta / (1 - beta ^ (t + 1)))):add_(g, (1 - beta) / (1 - beta ^ t))
    end
    local u = orthogonalize(n:view { rows, cols }, h.ns_steps, h.eps):view(shape)
    local scale = math.sqrt(math.max(1, rows / cols))
    if h.form == "jordan" then
      p:mul_(1 - h.lr * h.weight_decay):add_(u, -h.lr * scale)
    else
      u:mul_(scale):add_(p, h.weight_decay)
      p:add_(u, -h.lr)
    end
  end,
}

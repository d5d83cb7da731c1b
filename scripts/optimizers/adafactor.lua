-- adafactor: Adam-like steps with a factored second moment: for a parameter whose two largest
-- dimensions are at least min_dim_size_to_factor, a row and a column statistic stand for the
-- full matrix of squared gradients (memory O(n + m) instead of O(nm)).
--
--   d_t = 1 - t^(-decay_rate)                       (t counts from 1; 0 at the first step)
--   factored (dims r < c the two largest, as NumPy's argsort orders them):
--     R <- d R + (1 - d) mean_c(g^2 + epsilon);   C <- d C + (1 - d) mean_r(g^2 + epsilon)
--     u = g / sqrt(R / mean_r(R)) / sqrt(C)
--   otherwise:  V <- d V + (1 - d)(g^2 + epsilon);   u = g / sqrt(V)
--   u <- u / max(1, rms(u) / clipping_threshold)    (block RMS clipping; 0: none)
--   u <- lr u;   u <- u max(rms(p), 1e-3)          (when multiply_by_parameter_scale)
--   momentum > 0:  M <- momentum M + (1 - momentum) u;  u = M   (not debiased)
--   p <- p - (u + weight_decay_rate p)
--
-- Shazeer & Stern (2018), "Adafactor: Adaptive Learning Rates with Sublinear Memory Cost"; as
-- optax.adafactor (0.2.8) with an explicit learning rate.
local function factored_dims(shape, min_size)
  if #shape < 2 then return nil end
  local order = {}
  for i = 1, #shape do order[i] = i end
  table.sort(order, function(a, b) return shape[a] < shape[b] or (shape[a] == shape[b] and a < b) end)
  local r, c = order[#order - 1], order[#order]     -- second largest, largest
  if shape[r] < min_size then return nil end
  return r, c
end

return {
  kind = "optimizer",
  name = "adafactor",
  doc = "Adafactor: factored second moments, relative steps clipped by block RMS (Shazeer & Stern 2018; optax.adafactor)",
  defaults = { lr = 1e-2, min_dim_size_to_factor = 128, decay_rate = 0.8, decay_offset = 0, epsilon = 1e-30,
               clipping_threshold = 1, multiply_by_parameter_scale = true, momentum = 0, weight_decay_rate = 0 },
  check = function(h)
    if not (h.min_dim_size_to_factor >= 1 and h.min_dim_size_to_factor == math.floor(h.min_dim_size_to_factor)) then
      error("min_dim_size_to_factor must be an integer >= 1, got " .. tostring(h.min_dim_size_to_factor), 0)
    end
    if not (h.decay_rate >= 0) then error("decay_rate must be >= 0, got " .. tostring(h.decay_rate), 0) end
    if not (h.epsilon >= 0) then error("epsilon must be >= 0, got " .. tostring(h.epsilon), 0) end
    if not (h.clipping_threshold >= 0) then error("clipping_threshold must be >= 0 (0: no clipping), got " .. tostring(h.clipping_threshold), 0) end
    if not (h.momentum >= 0 and h.momentum < 1) then error("momentum must be in [0, 1), got " .. tostring(h.momentum), 0) end
    if not (h.weight_decay_rate >= 0) then error("weight_decay_rate must be >= 0, got " .. tostring(h.weight_decay_rate), 0) end
  end,
  init = function(p, h)
    local state = {}
    local r, c = factored_dims(p:shape(), h.min_dim_size_to_factor)
    if r then
      state.v_row = p:mean(c, true):zero_()          -- the statistic of each row (c reduced)
      state.v_col = p:mean(r, true):zero_()          -- of each column (r reduced)
    else
      state.v = p:zeros_like()
    end
    if h.momentum > 0 then state.momentum = p:zeros_like() end
    return state
  end,
  update = function(p, g, state, h, step)
    local t = step - h.decay_offset
    local d = 1 - t ^ -h.decay_rate
    local g2 = g:square():add_(h.epsilon)
    local u
    if state.v_row then
      local r, c = factored_dims(p:shape(), h.min_dim_size_to_factor)
      state.v_row:mul_(d):add_(g2:mean(c, true), 1 - d)
      state.v_col:mul_(d):add_(g2:mean(r, true), 1 - d)
      local row_factor = (state.v_row / state.v_row:mean(r, true)):sqrt()
      u = g / row_factor / state.v_col:sqrt()
    else
      state.v:mul_(d):add_(g2, 1 - d)
      u = g / state.v:sqrt()
    end
    if h.clipping_threshold > 0 then u:div_(math.max(1, u:rms() / h.clipping_threshold)) end
    u:mul_(h.lr)
    if h.multiply_by_parameter_scale then u:mul_(math.max(p:rms(), 1e-3)) end
    if state.momentum then
      state.momentum:mul_(h.momentum):add_(u, 1 - h.momentum)
      u = state.momentum
    end
    if h.weight_decay_rate > 0 then p:mul_(1 - h.weight_decay_rate) end
    p:sub_(u)
  end,
}

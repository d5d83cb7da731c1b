-- The study layer of the scripting API, Lua side: experiment{...}, e:run{...}, e:sweep{...}
-- (grids), e:go(), and the globals run{...} / sweep{...}. Loaded with the Swift executor
-- (ExperimentAPI.swift) and the list of run fields (RunSpec.fields); returns the finisher that
-- runs what is still pending.
local execute, field_list = ...
local getinfo = debug.getinfo
local Experiment = {}
Experiment.__index = Experiment
local all, current = {}, nil

local function copy(t)
  local c = {}
  for k, v in pairs(t or {}) do c[k] = v end
  return c
end
local function need_table(v, what)
  if type(v) ~= "table" then error(what .. ": a table expected, got " .. type(v), 3) end
end

-- "my_study.lua:12": the first caller outside this file, where the script declared something;
-- errors about a run start there, not in the framework.
local function place()
  for level = 3, 64 do
    local info = getinfo(level, "Sl")
    if not info then break end
    if info.source ~= "=experiment.lua" and info.currentline > 0 then return info.short_src .. ":" .. info.currentline end
  end
  return nil
end

function experiment(spec)
  need_table(spec, "experiment{...}")
  if type(spec.name) ~= "string" then error("experiment{...}: 'name' (a string) is required", 2) end
  local e = setmetatable({name = spec.name, defaults = copy(spec), pending = {}, places = {}, results = {}, place = place()}, Experiment)
  all[#all + 1] = e
  current = e
  return e
end

function Experiment:run(r)
  need_table(r, "run{...}")
  self.pending[#self.pending + 1] = copy(r)
  self.places[#self.pending] = place() or "?"
  return self
end

local function fmt(v)
  if math.type(v) == "float" then return string.format("%g", v) end
  return tostring(v)
end

-- sweep{name = "momentum_{momentum}", optimizer = "momentum", vary = {momentum = {0.1, 0.3}}}
-- expands the grid of `vary` (keys sorted; a dotted key like "schedule_args.peak_value" sets a
-- nested field; a key that is not a run field is a hyperparameter) into runs.
local run_fields = {}
for _, k in ipairs(field_list) do run_fields[k] = true end
function Experiment:sweep(s)
  need_table(s, "sweep{...}")
  need_table(s.vary, "sweep{...}: 'vary'")
  local keys = {}
  for k, values in pairs(s.vary) do
    if type(values) ~= "table" or #values == 0 then error("sweep{...}: vary." .. tostring(k) .. " must be a non-empty list", 2) end
    keys[#keys + 1] = k
  end
  table.sort(keys)
  -- A schedule sets lr every step: sweeping lr under one would train identical runs.
  local schedule = s.schedule
  if schedule == nil then schedule = self.defaults.schedule end
  for _, k in ipairs(keys) do
    if (k == "lr" or k == "hyper.lr") and schedule then
      error("sweep{...}: varies lr, but schedule '" .. tostring(schedule) .. "' sets lr every step, so the runs would be identical;"
        .. " vary the schedule's rate instead (schedule_args.peak_value for warmup_cosine, schedule_args.base for cosine_decay,"
        .. " exponential_decay or constant), or set schedule = false", 2)
    end
  end
  local combos = {{}}
  for _, k in ipairs(keys) do
    local next_combos = {}
    for _, c in ipairs(combos) do
      for _, v in ipairs(s.vary[k]) do
        local n = copy(c)
        n[k] = v
        next_combos[#next_combos + 1] = n
      end
    end
    combos = next_combos
  end
  for _, c in ipairs(combos) do
    local r = copy(s)
    r.vary, r.name = nil, nil
    local parts = {}
    for _, k in ipairs(keys) do
      local v = c[k]
      local head, tail = k:match("^([%w_]+)%.([%w_]+)$")
      if head then
        r[head] = copy(r[head]); r[head][tail] = v
      elseif run_fields[k] then
        r[k] = v
      else
        r.hyper = copy(r.hyper); r.hyper[k] = v
      end
      parts[#parts + 1] = (tail or k) .. "-" .. fmt(v)
    end
    if s.name then
      r.name = s.name:gsub("{([%w_%.]+)}", function(k) return c[k] ~= nil and fmt(c[k]) or "{" .. k .. "}" end)
    else
      r.name = (s.optimizer or "run") .. "_" .. table.concat(parts, "_")
    end
    self:run(r)
  end
  return self
end

-- on_step = function(s) ... end (experiment or run): called after every training step with
-- s = {run, step, loss, lr, model, opt, history}; return false to end the run early.
local function hook_for(defaults, pending)
  local callbacks, plain, any = {}, {}, false
  for i, r in ipairs(pending) do
    local c = copy(r)
    callbacks[i] = c.on_step or defaults.on_step
    c.on_step = nil
    plain[i] = c
    if callbacks[i] ~= nil then
      if type(callbacks[i]) ~= "function" then error("on_step must be a function, got " .. type(callbacks[i]), 3) end
      any = true
    end
  end
  if not any then return nil, plain end
  local histories = {}
  return function(i, rec, model, opt)
    local f = callbacks[i]
    if not f then return true end
    local h = histories[i] or {}
    histories[i] = h
    h[#h + 1] = rec.loss
    return f { run = rec.run, step = rec.step, loss = rec.loss, lr = rec.lr, model = model, opt = opt, history = h }
  end, plain
end

function Experiment:go()
  if #self.pending > 0 then
    local pending, places = self.pending, self.places
    self.pending, self.places = {}, {}
    local defaults = copy(self.defaults)
    local hook, plain = hook_for(defaults, pending)
    defaults.on_step = nil
    -- Errors about a run start where it was declared; others point at the caller's e:go()
    -- (or the end of the script), never at this file.
    local ok, res, settings = pcall(execute, self.name, defaults, plain, hook, places, self.place)
    if not ok then
      local msg = tostring(res):gsub("^experiment:%d+: ", "")
      local declared = false
      for _, p in ipairs(places) do declared = declared or msg:sub(1, #p + 1) == p .. ":" end
      if self.place and msg:sub(1, #self.place + 1) == self.place .. ":" then declared = true end
      error(msg, declared and 0 or 2)
    end
    for _, s in ipairs(res) do self.results[s.run] = s end
    self.settings = settings
  end
  return self.results, self.settings or {}
end

function run(r)
  if not current then error("run{...}: no experiment yet; call experiment{...} first", 2) end
  return current:run(r)
end
function sweep(s)
  if not current then error("sweep{...}: no experiment yet; call experiment{...} first", 2) end
  return current:sweep(s)
end

return function()
  for _, e in ipairs(all) do e:go() end
end

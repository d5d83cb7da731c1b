-- Strict tables for plugin functions: the `hyper` a plugin's update/at receives raises on a key
-- the plugin did not declare (a misspelt `hyper.momentun` is an error at its line, not a nil
-- that fails later in `mul_`), and on writes (hyperparameters change through opt.hyper). The
-- values live behind an empty proxy, so every read and write passes the checks; pairs() works.
return function(values, owner, known)
  return setmetatable({}, {
    __index = function(_, k)
      local v = values[k]
      if v == nil then error(("%s: unknown hyperparameter '%s' (known: %s)"):format(owner, tostring(k), known), 2) end
      return v
    end,
    __newindex = function(_, k)
      error(("%s: hyperparameters are read-only here ('%s'); set them with opt.hyper.%s = value"):format(owner, tostring(k), tostring(k)), 2)
    end,
    __pairs = function() return next, values, nil end,
  })
end

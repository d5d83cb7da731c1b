-- Assertions for the Lua contract tests; a failure raises with the caller's file:line.
function check(cond, msg) if not cond then error(msg or "check failed", 2) end end
function check_eq(a, b, msg)
  if a ~= b then error(string.format("%s: expected %s, got %s", msg or "check_eq", tostring(b), tostring(a)), 2) end
end
function check_close(a, b, tol, msg)
  if math.abs(a - b) > (tol or 1e-6) * math.max(1, math.abs(b)) then
    error(string.format("%s: expected %.9g, got %.9g", msg or "check_close", b, a), 2)
  end
end
-- Calls f and checks it raises an error containing `expected` (plain text).
function check_error(expected, f, ...)
  local ok, err = pcall(f, ...)
  if ok then error("expected an error containing: " .. expected, 2) end
  if not tostring(err):find(expected, 1, true) then
    error(string.format("error mismatch:\n  expected: %s\n  got:      %s", expected, tostring(err)), 2)
  end
end

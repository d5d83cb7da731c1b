-- How every Descent VM compiles and finds code, set once when the VM is made:
--  * text only: load, loadfile, dofile and require refuse precompiled (binary) chunks, which
--    Lua does not verify and which can crash the VM;
--  * nothing from the current directory: the "./" entries leave package.path and cpath, so
--    `require "x"` never picks up a file because of where the user happened to stand.
local rawload, rawloadfile = load, loadfile
local select, error, assert = select, error, assert

function load(chunk, name, mode, ...)
  if select("#", ...) > 0 then return rawload(chunk, name, "t", (...)) end
  return rawload(chunk, name, "t")
end

function loadfile(file, mode, ...)
  if select("#", ...) > 0 then return rawloadfile(file, "t", (...)) end
  return rawloadfile(file, "t")
end

function dofile(file)
  return assert(rawloadfile(file, "t"))()
end

local function without_here(path)
  local kept = {}
  for entry in path:gmatch("[^;]+") do
    if entry:sub(1, 2) ~= "./" then kept[#kept + 1] = entry end
  end
  return table.concat(kept, ";")
end
package.path = without_here(package.path)
package.cpath = without_here(package.cpath)

-- The Lua-file searcher, text only (the standard one loads binary chunks too).
package.searchers[2] = function(name)
  local file, err = package.searchpath(name, package.path)
  if not file then return err end   -- require adds the "\n\t" between searchers
  local f, msg = rawloadfile(file, "t")
  if not f then
    error(("error loading module '%s' from file '%s':\n\t%s"):format(name, file, msg), 2)
  end
  return f, file
end

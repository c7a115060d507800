-- wrk script: POST a cell move for each person named in a keys file, in turn, a different
-- cell each time. Run: wrk -s record.lua URL -- KEYS_FILE BODY_TEMPLATE
-- The body template's {i} becomes the request's number.
local keys, template, i = {}, nil, 0

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then keys[#keys + 1] = line end
  end
  template = args[2]
  -- Threads start at different people, as the Python generator's connections do.
  i = math.random(0, #keys - 1)
end

function request()
  i = i + 1
  local key = keys[(i % #keys) + 1]
  local body = template:gsub("{i}", tostring(i))
  wrk.headers["Content-Type"] = "application/json"
  return wrk.format("POST", "/people/" .. key .. "/cell-moves", nil, body)
end

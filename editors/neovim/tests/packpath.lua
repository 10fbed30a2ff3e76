-- The plugin installed the documented plain way: a package under
-- `$XDG_DATA_HOME/nvim/site/pack/*/start/`, `require('specls').setup()` in the user's init.lua,
-- Neovim started without --clean (see ./run). Run with `-c 'luafile packpath.lua'`.
local failed = 0

local function out(s)
  io.stdout:write(s .. '\n')
  io.stdout:flush()
end

local function check(name, ok, detail)
  if not ok then
    failed = failed + 1
  end
  out(('%s packpath: %s%s'):format(ok and 'PASS' or 'FAIL', name, ok and '' or ('\n    ' .. tostring(detail))))
end

local ok, err = xpcall(function()
  local file = vim.api.nvim_get_runtime_file('lua/specls/init.lua', false)[1] or ''
  check('the plugin is loaded from the package', file:find('/site/pack/specls/start/specls/lua/specls/init.lua', 1, true), file)
  local missing = {}
  for _, c in ipairs({ 'SpecTest', 'SpecTestScenario', 'SpecCompile', 'SpecEdgeCases', 'SpecDrift', 'SpecHealth', 'SpecCancel' }) do
    if vim.fn.exists(':' .. c) ~= 2 then
      missing[#missing + 1] = c
    end
  end
  check('its user commands are defined', #missing == 0, table.concat(missing, ', '))

  vim.cmd('silent helptags ALL')
  local helped = pcall(vim.cmd, 'help specls-commands')
  check(':help specls-commands opens the plugin help', helped and vim.fn.expand('%:t') == 'specls.txt', vim.fn.expand('%:p'))
  if helped then
    vim.cmd('helpclose')
  end

  vim.cmd.edit('tasks.spec.yaml')
  local buf = vim.api.nvim_get_current_buf()
  local diag = vim.wait(20000, function()
    for _, d in ipairs(vim.diagnostic.get(buf)) do
      if d.code == 'conflicting-scenarios' then
        return true
      end
    end
    return false
  end, 50)
  local client = vim.lsp.get_clients({ name = 'specls', bufnr = buf })[1]
  check('specls attaches to a spec and its diagnostics show', client ~= nil and diag, vim.inspect(vim.diagnostic.get(buf)))
  check('the default key maps are set', (vim.fn.maparg('<LocalLeader>sr', 'n', false, true).rhs or ''):find('SpecTestScenario', 1, true) ~= nil)
end, debug.traceback)
if not ok then
  check('no error', false, err)
end
out(('neovim packpath install: %s'):format(failed == 0 and 'passed' or (failed .. ' failed')))
vim.cmd(failed == 0 and 'qall!' or 'cquit 1')

-- Minimal init for the end-to-end tests: this plugin from the repository, nothing else.
-- Usage (see ./run): nvim --headless --clean -u editors/neovim/tests/init.lua
local here = vim.fs.dirname(debug.getinfo(1, 'S').source:sub(2))
local plugin = vim.fs.dirname(here)
vim.opt.runtimepath:prepend(plugin)
vim.opt.swapfile = false
vim.opt.shortmess:append('F')
vim.g.maplocalleader = ','
-- No Python provider: the python ftplugin's has('python3') would probe for it (seconds).
vim.g.loaded_python3_provider = 0

-- Record what the plugin tells the user.
_G.E2E_MESSAGES = {}
vim.notify = function(msg, level)
  table.insert(_G.E2E_MESSAGES, { msg = msg, level = level })
end

require('specls').setup({
  cmd = { assert(os.getenv('SPECLS_BIN'), 'SPECLS_BIN is not set'), 'lsp' },
  settings = { pollInterval = 0 },
})

vim.api.nvim_create_autocmd('VimEnter', {
  once = true,
  callback = function()
    vim.schedule(function()
      package.path = here .. '/?.lua;' .. package.path
      local ok, err = xpcall(function()
        return require('e2e').run()
      end, debug.traceback)
      if not ok then
        io.stdout:write('e2e: crashed: ' .. tostring(err) .. '\n')
        vim.cmd('cquit 1')
      end
      vim.cmd(err == 0 and 'qall!' or 'cquit 1')
    end)
  end,
})

-- `:checkhealth specls`
local M = {}

function M.check()
  local h = vim.health
  h.start('specls')
  if vim.fn.has('nvim-0.11') == 1 then
    h.ok('Neovim ' .. tostring(vim.version()))
  else
    h.error('Neovim 0.11 or newer is needed (vim.lsp.config / vim.lsp.enable)')
    return
  end

  local config = vim.lsp.config and vim.lsp.config.specls
  local cmd = config and config.cmd or { 'specls', 'lsp' }
  if type(cmd) ~= 'table' then
    h.info('cmd is a function; the binary cannot be checked')
  else
    local exe = vim.fn.exepath(cmd[1])
    if exe == '' then
      h.error(('`%s` not found'):format(cmd[1]), {
        'Install it: `cargo install --path .` in a clone of specls, or put the binary on $PATH',
        "Or point the plugin at it: require('specls').setup({ cmd = { '/path/to/specls', 'lsp' } })",
      })
    else
      local ok, res = pcall(function()
        return vim.system({ exe, '--version' }, { text = true }):wait(5000)
      end)
      if ok and res.code == 0 then
        h.ok(('%s (%s)'):format(vim.trim(res.stdout or ''), exe))
      else
        local why = ok and (vim.trim(res.stderr or '') .. ' exit ' .. tostring(res.code)) or tostring(res)
        h.error(('`%s --version` failed: %s'):format(exe, why))
      end
    end
  end

  if vim.lsp.is_enabled and vim.lsp.is_enabled('specls') then
    h.ok('the server is enabled (vim.lsp.enable)')
  elseif package.loaded['lspconfig.configs'] and require('lspconfig.configs').specls then
    h.ok('the server is registered with nvim-lspconfig')
  else
    h.warn('the server is not enabled', { "Call require('specls').setup() or vim.lsp.enable('specls')" })
  end

  local clients = vim.lsp.get_clients({ name = 'specls' })
  if #clients == 0 then
    h.info('no specls client is running (open a spec: *.spec.md, *.spec.yaml, arrangement.yaml...)')
  end
  for _, c in ipairs(clients) do
    local info = c.server_info and (c.server_info.name .. ' ' .. (c.server_info.version or '')) or 'specls'
    local commands = c.server_capabilities and c.server_capabilities.executeCommandProvider
    h.ok(('client %d: %s, root %s, %d buffers, commands: %s'):format(
      c.id,
      info,
      c.root_dir or '(single file)',
      vim.tbl_count(c.attached_buffers or {}),
      table.concat(commands and commands.commands or {}, ', ')
    ))
  end
end

return M
